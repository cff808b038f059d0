/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "openat-resolve.h"
#include "run-mount.h"
#include "strv.h"

void run_mounts_done(RunMounts *m) {
        for (size_t k = 0; k < m->n; k++) {
                run_mount_spec_done(&m->spec[k]);
                strv_free(m->lowers[k]);
                free(m->chain[k]);
                free(m->merged[k]);
        }
        *m = (RunMounts) {};
}

static int expand_spec(const RunMountResolver *res, RunMountSpec *s) {
        char **fields[] = { &s->from, &s->source, &s->target };
        int r;

        for (size_t k = 0; k < ELEMENTSOF(fields); k++) {
                char *v = NULL;
                if ((r = res->expand(res->userdata, *fields[k], &v)) < 0)
                        return r;
                free(*fields[k]);
                *fields[k] = v;
        }
        return 0;
}

int run_mounts_prepare(const DockerfileInstruction *i, const RunMountResolver *res, RunMounts *ret, ErrorDetail *err) {
        const char *values[RUN_MOUNTS_MAX];
        size_t n = run_mount_values(i, values, ELEMENTSOF(values));
        int r;

        *ret = (RunMounts) {};
        for (size_t k = 0; k < n; k++) {
                RunMountSpec *s = &ret->spec[k];
                if ((r = run_mount_parse(i, values[k], s, err)) < 0)
                        return r;
                ret->n = k + 1;
                if ((r = expand_spec(res, s)) < 0)
                        return r;
                if (s->target[0] != '/')
                        return error_detail_set_line(err, i->line, -EINVAL, "RUN --mount: target=%s must be absolute",
                                                     s->target);
                if ((r = res->resolve(res->userdata, s->from, &ret->lowers[k], &ret->chain[k])) < 0)
                        return r;
                if (streq(s->target, "/.archway") || streq(s->target, "/.archway/"))
                        ret->twins = true;
        }
        return 0;
}

int run_mounts_hash(const RunMounts *m, OciHasher *h) {
        int r = 0;

        for (size_t k = 0; k < m->n && r >= 0; k++) {
                const char *parts[] = { "mount", m->chain[k], m->spec[k].source, m->spec[k].target };
                for (size_t j = 0; j < ELEMENTSOF(parts) && r >= 0; j++)
                        r = oci_hasher_update(h, parts[j], strlen(parts[j]) + 1);
        }
        return r;
}

int run_mounts_bind(RunMounts *m, const char *step_dir) {
        for (size_t k = 0; k < m->n; k++) {
                if (asprintf(&m->merged[k], "%s/mount%zu", step_dir, k) < 0)
                        return -ENOMEM;
                if (mkdir(m->merged[k], 0755) < 0)
                        return negative_errno();
                m->binds[k] = (SandboxBind) {
                        .from = { .lowers = m->lowers[k], .n_lowers = strv_length(m->lowers[k]), .merged = m->merged[k] },
                        .source = m->spec[k].source,
                        .target = m->spec[k].target,
                };
        }
        return 0;
}

void run_mounts_remove_stubs(const RunMounts *m, const char *upper, unsigned stubs) {
        /* The step wrote the upper: the target's path there may now lead through a symlink it made
         * (to anywhere on the host, as seen from here), so nothing on the way is followed. */
        _cleanup_close_ int fd = open(upper, O_PATH | O_DIRECTORY | O_CLOEXEC);

        for (size_t k = m->n; k > 0 && fd >= 0; k--)
                if (stubs & SANDBOX_STUB_BIND(k - 1))
                        (void) remove_empty_beneath(fd, m->spec[k - 1].target);
}
