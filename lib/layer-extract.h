/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Unpack a tar layer (plain, gzip or zstd, sniffed) into an empty directory so that overlayfs can
 * stack it as a lower layer: OCI whiteouts become overlayfs ones (".wh.<name>" -> a character device
 * 0/0 named <name>; ".wh..wh..opq" -> xattr user.overlay.opaque="y" on its directory, the form
 * overlayfs reads when mounted with "userxattr", as in a user namespace). Entry names are normalised
 * with layer_path_normalize() (absolute names and ".." are refused) and nothing is written through a
 * symlink (libarchive's SECURE_SYMLINKS and SECURE_NODOTDOT). Owners, modes, mtimes and
 * security.capability are restored when the caller may (root); otherwise owners are left as the
 * caller. */

#include <stdbool.h>
#include <stdint.h>

#include "oci.h"

typedef struct LayerExtractResult {
        uint64_t n_entries;
        char bad_path[256]; /* the refused name, on -EBADMSG for a name */
} LayerExtractResult;

/* Unpack the tar stream read from fd into the directory root (an absolute path; must exist). When
 * verify is not NULL, the raw bytes of fd must hash to it (-EBADMSG). Returns 0 or -errno; -EBADMSG
 * for a bad stream or a refused name. The caller removes root on failure. ret may be NULL. */
int layer_extract_fd(int fd, const char *root, const OciDigest *verify, LayerExtractResult *ret);
