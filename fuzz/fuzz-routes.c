/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The shim's routes: routes.conf compiled to an index and looked up, and an index read as it is found
 * in a root (an image layer may carry any bytes at /.archway/routes.idx). */
#include "fuzz.h"
#include "routes.h"

static void lookup(const void *index, size_t size) {
        static char *const args[] = { (char *) "-c", (char *) "x.c", NULL };
        static char *const env[] = { (char *) "PATH=/usr/bin", NULL };
        static const uint8_t build_id[20] = { 1, 2, 3 };
        RoutesQuery q = { .machine = 183, .elf_class = 2, .elf_data = 1, .path = "/usr/bin/gcc-12",
                          .build_id = build_id, .build_id_size = sizeof(build_id), .args = args, .n_args = 2,
                          .envp = env };
        RouteMatch m;
        RouteMiss miss;

        if (routes_index_check(index, size) < 0)
                return;
        if (routes_lookup(index, size, &q, &m, &miss) > 0) {
                for (unsigned i = 0; i < m.n_args; i++)
                        if (!routes_match_arg(&m, i))
                                abort();
                for (unsigned i = 0; i < m.n_post_args; i++)
                        if (!routes_match_post_arg(&m, i))
                                abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static uint8_t index[1024 * 1024];
        RoutesError err;
        size_t n;

        if (routes_compile((const char *) data, size, size, 0, index, sizeof(index), &n, &err) >= 0)
                lookup(index, n);
        lookup(data, size);
        return 0;
}
