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

int libexec_find(const char *name, const char *first_dir, char **ret) {
        char self[PATH_MAX], build[PATH_MAX + 16] = "";
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        const char *dirs[] = { first_dir, build, ARCHWAY_LIBEXECDIR };
        char *slash;

        if (n > 0) {
                self[n] = 0;
                if ((slash = strrchr(self, '/'))) {
                        *slash = 0;
                        snprintf(build, sizeof(build), "%s/../libexec", self);
                }
        }
        for (size_t k = 0; k < ELEMENTSOF(dirs); k++) {
                int r = try_dir(dirs[k], name, ret);

                if (r != 0)
                        return r < 0 ? r : 0;
        }
        return -ENOENT;
}
