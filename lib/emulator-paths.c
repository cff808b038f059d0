/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "emulator-paths.h"
#include "macro.h"

static const char *const mode_names[_EMULATOR_MODE_MAX] = {
        [EMULATOR_AUTO] = "auto",
        [EMULATOR_QEMU] = "qemu",
        [EMULATOR_ARCHWAY] = "archway",
        [EMULATOR_DEBIAN] = "debian",
        [EMULATOR_SHIM] = "shim",
};

const char *emulator_mode_to_string(EmulatorMode m) {
        return m >= 0 && m < _EMULATOR_MODE_MAX ? mode_names[m] : NULL;
}

EmulatorMode emulator_mode_from_string(const char *s) {
        for (size_t k = 0; k < ELEMENTSOF(mode_names); k++)
                if (streq(s, mode_names[k]))
                        return (EmulatorMode) k;
        return _EMULATOR_MODE_INVALID;
}

static const EmulatorOrigin order_qemu[] = {
        EMULATOR_FROM_DIR, EMULATOR_FROM_ARCHWAY, EMULATOR_FROM_DEBIAN, _EMULATOR_ORIGIN_MAX,
};
static const EmulatorOrigin order_archway[] = { EMULATOR_FROM_DIR, EMULATOR_FROM_ARCHWAY, _EMULATOR_ORIGIN_MAX };
static const EmulatorOrigin order_debian[] = { EMULATOR_FROM_DEBIAN, _EMULATOR_ORIGIN_MAX };
static const EmulatorOrigin order_shim[] = { EMULATOR_FROM_SHIM, _EMULATOR_ORIGIN_MAX };
static const EmulatorOrigin order_none[] = { _EMULATOR_ORIGIN_MAX };

const EmulatorOrigin *emulator_search_order(EmulatorMode mode) {
        static const EmulatorOrigin *const orders[_EMULATOR_MODE_MAX] = {
                [EMULATOR_AUTO] = order_none,
                [EMULATOR_QEMU] = order_qemu,
                [EMULATOR_ARCHWAY] = order_archway,
                [EMULATOR_DEBIAN] = order_debian,
                [EMULATOR_SHIM] = order_shim,
        };

        return mode >= 0 && mode < _EMULATOR_MODE_MAX ? orders[mode] : order_none;
}

int emulator_path(EmulatorOrigin o, const char *target, const char *dir, char *buf, size_t size) {
        static const struct {
                const char *dir;     /* NULL: the caller's */
                const char *suffix;  /* after qemu-T */
        } places[_EMULATOR_ORIGIN_MAX] = {
                [EMULATOR_FROM_DIR]            = { NULL,             "" },
                [EMULATOR_FROM_ARCHWAY]        = { QEMU_ARCHWAY_DIR, "" },
                [EMULATOR_FROM_DEBIAN]         = { QEMU_DEBIAN_DIR,  "-static" },
                [EMULATOR_FROM_DEBIAN_DYNAMIC] = { QEMU_DEBIAN_DIR,  "" },
                [EMULATOR_FROM_SHIM]           = { NULL,             "-archway" },
        };
        int n;

        if (o < 0 || o >= _EMULATOR_ORIGIN_MAX || isempty(target) || strchr(target, '/'))
                return -EINVAL;
        if (!places[o].dir && isempty(dir))
                return -ENOENT;
        n = snprintf(buf, size, "%s/qemu-%s%s", places[o].dir ?: dir, target, places[o].suffix);
        return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : 0;
}
