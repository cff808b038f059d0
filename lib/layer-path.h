/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Pure helpers for paths inside tar layers: normalisation that refuses escapes, and the whiteout
 * conventions of the OCI image-spec (layer.md, "Whiteouts": ".wh.<name>" deletes <name> from lower
 * layers, ".wh..wh..opq" makes its directory opaque). */

#include <errno.h>
#include <stdbool.h>

/* A layer path, like the kernel's PATH_MAX. */
#define LAYER_PATH_MAX 4096

#define LAYER_WHITEOUT_PREFIX ".wh."
#define LAYER_WHITEOUT_OPAQUE ".wh..wh..opq"

/* Normalise a tar entry name to a relative path without "./" prefixes, empty components, "." or a
 * trailing "/": "./usr//bin/" -> "usr/bin"; "./" and "." -> "" (the root). Refuses (-EINVAL) an
 * absolute name ("/etc/passwd"), any ".." component, a NUL-length name, and more than
 * LAYER_PATH_MAX bytes (-ENAMETOOLONG). Returns 0 and a new string. */
int layer_path_normalize(const char *name, char **ret);

typedef enum LayerWhiteout {
        LAYER_WHITEOUT_NONE,   /* a normal entry */
        LAYER_WHITEOUT_FILE,   /* ".wh.<name>": <dir>/<name> is deleted */
        LAYER_WHITEOUT_OPAQUE_DIR, /* "<dir>/.wh..wh..opq": <dir>'s lower contents are hidden */
        _LAYER_WHITEOUT_MAX,
        _LAYER_WHITEOUT_INVALID = -EINVAL,
} LayerWhiteout;

/* Classify a normalised path. For FILE, *ret_target is the deleted path ("a/.wh.b" -> "a/b"); for
 * OPAQUE_DIR, the directory ("a/.wh..wh..opq" -> "a", "" for the root). Returns the kind; ret_target
 * (may be NULL) is a new string for FILE and OPAQUE_DIR, else NULL. -EINVAL for ".wh." alone or a
 * whiteout of "." / "..", -ENOMEM. */
int layer_whiteout_classify(const char *path, char **ret_target);

/* Join a symlink target onto the directory of the link (both normalised layer paths) and normalise,
 * clamping ".." at the root as a chroot would ("usr/bin/x" -> "../../lib/y" -> "lib/y"); an absolute
 * target starts at the root. Returns 0 and a new string, -ENAMETOOLONG or -ENOMEM. Never refuses "..":
 * resolution inside the image cannot escape it. */
int layer_path_resolve_link(const char *link_path, const char *target, char **ret);
