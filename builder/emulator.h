/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Which interpreter the binfmt_misc entry of a foreign step gets: --emulator (lib/emulator-paths.h's
 * modes). auto: the shim when it is built (it routes to native twins or our QEMU), else as qemu: our
 * QEMU build, else Debian's qemu-user-static. */

#include "binfmt-entry.h"
#include "emulator-paths.h"
#include "platform.h"

/* Whether the interpreter emulator_find() chose is the linked shim (qemu-<target>-archway), which
 * reads the root's /.archway/routes.idx and so can send programs to native twins. */
bool emulator_is_shim(const char *path);

/* Whether a step for target needs emulation on this host at all. */
bool emulator_needed(const Platform *target);

/* Find the interpreter for target. Returns 0 with a new path and the binfmt flags to register it
 * with (always F, so the kernel pins it and the step's root needs no copy), -ENOENT when none is
 * installed, -EOPNOTSUPP when the platform has no QEMU target. The shim is the linked one,
 * qemu-<T>-archway, in $ARCHWAY_SHIM_DIR, the build tree's libexec/ or ARCHWAY_LIBEXECDIR; the QEMU
 * directory is $ARCHWAY_QEMU_DIR. */
int emulator_find(const Platform *target, EmulatorMode mode, char **ret_path, BinfmtFlags *ret_flags);
