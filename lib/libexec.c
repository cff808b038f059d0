/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libexec.h"
#include "macro.h"

/* DIR/NAME when executable: 1 and *ret set, 0 when not there, -ENOMEM. */
static int try_dir(const char *dir, const char *name, char **ret) {
        char *p;

        if (isempty(dir))
                return 0;
        if (asprintf(&p, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        if (access(p, X_OK) == 0) {
                *ret = p;
                return 1;
        }
        free(p);
        return 0;
}

void libexec_dirs(const char *first_dir, char build[static LIBEXEC_BUILD_DIR_MAX], const char *ret[static 4]) {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        char *slash;
        size_t k = 0;

        build[0] = 0;
        if (n > 0) {
                self[n] = 0;
                if ((slash = strrchr(self, '/'))) {
                        *slash = 0;
                        snprintf(build, LIBEXEC_BUILD_DIR_MAX, "%s/../libexec", self);
                }
        }
        if (!isempty(first_dir))
                ret[k++] = first_dir;
        if (build[0])
                ret[k++] = build;
        ret[k++] = ARCHWAY_LIBEXECDIR;
        ret[k] = NULL;
}

int libexec_find(const char *name, const char *first_dir, char **ret) {
        char build[LIBEXEC_BUILD_DIR_MAX];
        const char *dirs[4];

        libexec_dirs(first_dir, build, dirs);
        for (const char *const *d = dirs; *d; d++) {
                int r = try_dir(*d, name, ret);

                if (r != 0)
                        return r < 0 ? r : 0;
        }
        return -ENOENT;
}
