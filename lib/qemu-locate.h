/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where a user-mode QEMU for a target is found: a directory the user named, our installed build,
 * Debian's qemu-user-static, in that order. One search for the registrar (binfmt) and the builder
 * (archbuild), so both pick the same binary; each decides which places it allows. Nothing here
 * reads the environment: the caller passes the directory ($ARCHWAY_QEMU_DIR, --qemu-dir). */

#include <stdbool.h>
#include <stddef.h>

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

/* What a QEMU directory holds, from the manifest scripts/build-qemu writes beside the binaries
 * (KEY/manifest in the cache, LIBEXECDIR/qemu/manifest when installed): "key=value" lines. */
#define QEMU_MANIFEST_MAX (64 * 1024)
typedef struct QemuManifest {
        char version[128];  /* Debian source version: "1:10.0.13+ds-0+deb13u1" */
        char qemu[64];      /* QEMU's own version: "10.0.13" */
        char targets[512];  /* space-separated: "aarch64 arm" */
} QemuManifest;

/* Parse a manifest's text (len bytes, need not be NUL-terminated). Unknown keys are skipped; a value
 * too long for its field is -E2BIG; no qemu= line is -EBADMSG. Returns 0 and fills *ret. */
int qemu_manifest_parse(const char *text, size_t len, QemuManifest *ret);

/* Read DIR/manifest (at most QEMU_MANIFEST_MAX bytes) and parse it. Returns 0, -ENOENT, -E2BIG,
 * -EBADMSG or another -errno. */
int qemu_manifest_read(const char *dir, QemuManifest *ret);

/* Whether the space-separated list holds target. */
bool qemu_manifest_has(const QemuManifest *m, const char *target);

/* The "qemu:" lines of a program's --version, into buf (NUL-terminated, cut to size): our QEMU in
 * dir (its manifest: version, Debian source, targets) or that there is none, then, when with_debian,
 * Debian's qemu-user-static as the fallback for targets ours lacks. Returns 0 or -ENOMEM. */
int qemu_version_text(const char *dir, bool with_debian, char *buf, size_t size);
