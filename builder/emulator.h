/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Which interpreter the private binfmt_misc instance of a foreign step gets. One small function so
 * the policy is easy to change: the archway shim when installed (it routes to native twins or our
 * QEMU), else our QEMU build, else Debian's qemu-user-static. */

#include "binfmt-entry.h"
#include "platform.h"

typedef enum EmulatorMode {
        EMULATOR_AUTO,   /* shim if present, else QEMU */
        EMULATOR_SHIM,
        EMULATOR_QEMU,
        _EMULATOR_MODE_MAX,
        _EMULATOR_MODE_INVALID = -22,
} EmulatorMode;

EmulatorMode emulator_mode_from_string(const char *s);

/* Whether the interpreter emulator_find() chose is the linked shim (qemu-<target>-archway), which
 * reads the root's /.archway/routes.idx and so can send programs to native twins. */
bool emulator_is_shim(const char *path);

/* Whether a step for target needs emulation on this host at all. */
bool emulator_needed(const Platform *target);

/* Find the interpreter for target. Returns 0 with a new path and the binfmt flags to register it
 * with (always F, so the kernel pins it and the step's root needs no copy), -ENOENT when none is
 * installed (the message names what to install), -EOPNOTSUPP when the platform has no QEMU target. Search: the linked shim qemu-<target>-archway in $ARCHWAY_SHIM_DIR, the build tree's
 * libexec/ and ARCHWAY_LIBEXECDIR; then qemu-<target> in $ARCHWAY_QEMU_DIR and ARCHWAY_LIBEXECDIR; then
 * Debian's /usr/bin/qemu-<target>-static. */
int emulator_find(const Platform *target, EmulatorMode mode, char **ret_path, BinfmtFlags *ret_flags);
