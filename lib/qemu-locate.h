/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where a user-mode QEMU for a target is found: a directory the user named, our installed build,
 * Debian's qemu-user-static, in that order. One search for the registrar (binfmt) and the builder
 * (archbuild), so both pick the same binary; each decides which places it allows. Nothing here
 * reads the environment: the caller passes the directory ($ARCHWAY_QEMU_DIR, --qemu-dir). */

#include "libexec.h" /* ARCHWAY_LIBEXECDIR */

/* Our installed build (make install, scripts/build-qemu --install): QEMU_ARCHWAY_DIR/qemu-<target>. */
#define QEMU_ARCHWAY_DIR ARCHWAY_LIBEXECDIR "/qemu"
/* Debian's qemu-user-static: QEMU_DEBIAN_DIR/qemu-<target>-static. */
#define QEMU_DEBIAN_DIR "/usr/bin"

typedef enum QemuOrigin {
        QEMU_FROM_DIR = 1 << 0,     /* the caller's directory: DIR/qemu-<target> */
        QEMU_FROM_ARCHWAY = 1 << 1, /* QEMU_ARCHWAY_DIR/qemu-<target> */
        QEMU_FROM_DEBIAN = 1 << 2,  /* /usr/bin/qemu-<target>-static */
        QEMU_FROM_ANY = QEMU_FROM_DIR | QEMU_FROM_ARCHWAY | QEMU_FROM_DEBIAN,
} QemuOrigin;

/* Find qemu-<target> (a linux-user target name: "aarch64", "arm") in the places ORIGINS allows, in
 * the order above; DIR may be NULL or empty (then QEMU_FROM_DIR is skipped). A candidate counts when
 * it is a regular file we may execute. On success *ret_path is a malloc'd path and *ret_origin (may
 * be NULL) says where it was found. Returns 0, -ENOENT when no place has one, -EINVAL for a target
 * name that is empty or holds a '/', -ENOMEM. */
int qemu_locate(const char *target, const char *dir, unsigned origins, char **ret_path,
                QemuOrigin *ret_origin);
