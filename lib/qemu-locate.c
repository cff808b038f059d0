/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file-util.h"
#include "macro.h"
#include "qemu-locate.h"

int qemu_locate(const char *target, const char *dir, unsigned origins, char **ret_path,
                QemuOrigin *ret_origin) {
        const struct {
                QemuOrigin origin;
                const char *dir;
                const char *suffix;
        } places[] = {
                { QEMU_FROM_DIR, dir, "" },
                { QEMU_FROM_ARCHWAY, QEMU_ARCHWAY_DIR, "" },
                { QEMU_FROM_DEBIAN, QEMU_DEBIAN_DIR, "-static" },
        };

        if (isempty(target) || strchr(target, '/'))
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(places); i++) {
                char *p;

                if (!(origins & places[i].origin) || isempty(places[i].dir))
                        continue;
                if (asprintf(&p, "%s/qemu-%s%s", places[i].dir, target, places[i].suffix) < 0)
                        return -ENOMEM;
                if (is_executable_file(p)) {
                        *ret_path = p;
                        if (ret_origin)
                                *ret_origin = places[i].origin;
                        return 0;
                }
                free(p);
        }
        return -ENOENT;
}
