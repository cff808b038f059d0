/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emulator.h"
#include "libexec.h"
#include "macro.h"
#include "qemu-locate.h"

static const char *const mode_names[_EMULATOR_MODE_MAX] = {
        [EMULATOR_AUTO] = "auto",
        [EMULATOR_SHIM] = "shim",
        [EMULATOR_QEMU] = "qemu",
};

EmulatorMode emulator_mode_from_string(const char *s) {
        for (size_t k = 0; k < ELEMENTSOF(mode_names); k++)
                if (streq(s, mode_names[k]))
                        return (EmulatorMode) k;
        return _EMULATOR_MODE_INVALID;
}

bool emulator_is_shim(const char *path) {
        size_t n = path ? strlen(path) : 0;

        return n > 8 && streq(path + n - 8, "-archway");
}

bool emulator_needed(const Platform *target) {
        Platform host, i386 = { "linux", "386", "" }, base;

        if (platform_host(&host) < 0)
                return true;
        platform_base(target, &base);  /* linux/amd64/v3 runs natively on an amd64 host */
        if (platform_runs_on(&base, &host))
                return false;
        /* An x86_64 kernel runs i386 programs itself (binfmt_elf's compat path). */
        return !(streq(host.arch, "amd64") && platform_equal(target, &i386));
}

/* The linked shim (shim + QEMU in one static binary per target, docs/shim.md): the only form that
 * works in a step's root, which holds none of our files. The standalone archshim would look for QEMU
 * inside the step's root and fail, so it is not chosen. */
static char *find_shim(const char *target) {
        _cleanup_free_ char *name = NULL;
        char *p = NULL;

        if (asprintf(&name, "qemu-%s-archway", target) < 0)
                return NULL;
        return libexec_find(name, getenv("ARCHWAY_SHIM_DIR"), &p) < 0 ? NULL : p;
}

/* The same search as the registrar's (lib/qemu-locate). */
static char *find_qemu(const char *target) {
        char *p = NULL;

        return qemu_locate(target, getenv("ARCHWAY_QEMU_DIR"), QEMU_FROM_ANY, &p, NULL) < 0 ? NULL : p;
}

int emulator_find(const Platform *target, EmulatorMode mode, char **ret_path, BinfmtFlags *ret_flags) {
        const PlatformInfo *info = platform_info_lookup(target);
        char *p = NULL;

        if (!info || !info->qemu_target)
                return -EOPNOTSUPP;
        if (mode != EMULATOR_QEMU)
                p = find_shim(info->qemu_target);
        if (!p && mode == EMULATOR_SHIM)
                return -ENOENT;
        if (p) {
                /* The shim handles P (argv0 preserved) itself. */
                *ret_path = p;
                *ret_flags = BINFMT_FIX_BINARY | BINFMT_PRESERVE_ARGV0;
                return 0;
        }
        p = find_qemu(info->qemu_target);
        if (!p)
                return -ENOENT;
        *ret_path = p;
        *ret_flags = BINFMT_FIX_BINARY;
        return 0;
}
