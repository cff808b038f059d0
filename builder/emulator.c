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

/* Where archbuild looks: the linked shim (shim + QEMU in one static binary per target, docs/shim.md)
 * is the only form that works in a step's root, which holds none of our files; the standalone archshim
 * would look for QEMU inside the step's root and fail, so it is never chosen. */
static int locate(const char *target, EmulatorMode mode, char **ret) {
        const char *shim_dirs[4];
        char build[LIBEXEC_BUILD_DIR_MAX];

        libexec_dirs(getenv("ARCHWAY_SHIM_DIR"), build, shim_dirs);
        return emulator_locate(target, emulator_search_order(mode), getenv("ARCHWAY_QEMU_DIR"), shim_dirs, ret, NULL);
}

int emulator_find(const Platform *target, EmulatorMode mode, char **ret_path, BinfmtFlags *ret_flags) {
        const PlatformInfo *info = platform_info_lookup(target);
        int r;

        if (!info || !info->qemu_target)
                return -EOPNOTSUPP;
        if (mode == EMULATOR_AUTO || mode == EMULATOR_SHIM) {
                r = locate(info->qemu_target, EMULATOR_SHIM, ret_path);
                if (r != -ENOENT || mode == EMULATOR_SHIM) {
                        /* The shim handles P (argv0 preserved) itself. */
                        *ret_flags = BINFMT_FIX_BINARY | BINFMT_PRESERVE_ARGV0;
                        return r;
                }
                mode = EMULATOR_QEMU;
        }
        *ret_flags = BINFMT_FIX_BINARY;
        return locate(info->qemu_target, mode, ret_path);
}
