/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Finding an interpreter (the places are lib/emulator-paths.h's), and what our QEMU build is (its
 * manifest). Nothing here reads the environment: the caller passes the directories ($ARCHWAY_QEMU_DIR,
 * --qemu-dir, the shims' directory). */

#include <stdbool.h>
#include <stddef.h>

#include "emulator-paths.h"

/* The first place of order (emulator_search_order(), or a program's own) that holds a regular file we
 * may execute for target. qemu_dir is the QEMU directory (EMULATOR_FROM_DIR; NULL or "" skips it),
 * shim_dirs the directories the shims may be in, in order (EMULATOR_FROM_SHIM; NULL-terminated, or
 * NULL for none). Returns 0 with a malloc'd *ret_path and *ret_origin (may be NULL), -ENOENT when no
 * place has one, -EINVAL for a bad target name, -ENOMEM. */
int emulator_locate(const char *target, const EmulatorOrigin *order, const char *qemu_dir,
                    const char *const *shim_dirs, char **ret_path, EmulatorOrigin *ret_origin);

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
