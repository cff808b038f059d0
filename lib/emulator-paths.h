/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where an interpreter for a foreign program can be, and which places each emulator mode searches in
 * which order: one table for the registrar (binfmt), the builder (archbuild) and the shim, so they
 * agree on what "our QEMU" and "Debian's" are. Allocation-free, for the shim's exec path. Finding the
 * first place that holds an executable is emulator_locate() (lib/qemu-locate.h). */

#include <errno.h>
#include <stddef.h>

#include "libexec.h" /* ARCHWAY_LIBEXECDIR */

/* Our installed QEMU build (make install, scripts/build-qemu --install): QEMU_ARCHWAY_DIR/qemu-<T>. */
#define QEMU_ARCHWAY_DIR ARCHWAY_LIBEXECDIR "/qemu"
/* Debian's qemu-user-static: QEMU_DEBIAN_DIR/qemu-<T>-static; qemu-user: QEMU_DEBIAN_DIR/qemu-<T>. */
#define QEMU_DEBIAN_DIR "/usr/bin"

/* What a user asks for (binfmt --emulator and emulator= in binfmt.conf, archbuild --emulator). */
typedef enum EmulatorMode {
        EMULATOR_AUTO,     /* the program's default: binfmt registers QEMU (as EMULATOR_QEMU); archbuild
                            * runs the shim when it is built, else QEMU */
        EMULATOR_QEMU,     /* our QEMU build, else Debian's qemu-user-static */
        EMULATOR_ARCHWAY,  /* our QEMU build only */
        EMULATOR_DEBIAN,   /* Debian's qemu-user-static only */
        EMULATOR_SHIM,     /* the archway shim, linked with our QEMU (qemu-<T>-archway) */
        _EMULATOR_MODE_MAX,
        _EMULATOR_MODE_INVALID = -EINVAL,
} EmulatorMode;

const char *emulator_mode_to_string(EmulatorMode m);
EmulatorMode emulator_mode_from_string(const char *s);

/* The places, for QEMU linux-user target T ("aarch64"). */
typedef enum EmulatorOrigin {
        EMULATOR_FROM_DIR,             /* the caller's QEMU directory (--qemu-dir, $ARCHWAY_QEMU_DIR): DIR/qemu-T */
        EMULATOR_FROM_ARCHWAY,         /* QEMU_ARCHWAY_DIR/qemu-T */
        EMULATOR_FROM_DEBIAN,          /* QEMU_DEBIAN_DIR/qemu-T-static */
        EMULATOR_FROM_DEBIAN_DYNAMIC,  /* QEMU_DEBIAN_DIR/qemu-T: runs only where its shared libraries are */
        EMULATOR_FROM_SHIM,            /* the shim linked with QEMU, in the shims' directory: DIR/qemu-T-archway */
        _EMULATOR_ORIGIN_MAX,
} EmulatorOrigin;

/* The places mode searches, in order, ending with _EMULATOR_ORIGIN_MAX. EMULATOR_AUTO has none of its
 * own (each program says what its default is). */
const EmulatorOrigin *emulator_search_order(EmulatorMode mode);

/* The path of place o for target into buf (size bytes). dir is the QEMU directory for
 * EMULATOR_FROM_DIR and the shims' directory for EMULATOR_FROM_SHIM, unused otherwise. Returns 0,
 * -ENOENT when o needs a directory and dir is NULL or empty, -EINVAL for a target that is empty or
 * holds a '/', -ENAMETOOLONG. */
int emulator_path(EmulatorOrigin o, const char *target, const char *dir, char *buf, size_t size);
