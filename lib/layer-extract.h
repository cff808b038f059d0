/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Unpack a tar layer (plain, gzip or zstd) into an empty directory so that overlayfs can stack it as a
 * lower layer: OCI whiteouts become overlayfs ones (".wh.<name>" -> a character device 0/0 named
 * <name>; ".wh..wh..opq" -> xattr user.overlay.opaque="y" on its directory, the form overlayfs reads
 * when mounted with "userxattr", as in a user namespace). Entry names are normalised with
 * layer_path_normalize() (absolute names and ".." are refused) and nothing is written through a
 * symlink (libarchive's SECURE_SYMLINKS and SECURE_NODOTDOT). Owners, modes, mtimes and
 * security.capability are restored when the caller may (root); otherwise owners are left as the
 * caller. The bytes pass through lib/layer-stream (digest, size, media type, diff_id, byte bound);
 * sparse files are written sparse, and count against the byte bound by their size.
 *
 * A hardlink may name a file of an earlier layer (the image-spec allows it, and containerd unpacks
 * onto the mounted stack, where overlayfs copies the target up first). Given the lower layers, the
 * extractor does the same: the target is copied into this layer, then linked. */

#include <stdbool.h>
#include <stdint.h>

#include "layer-reader.h"
#include "layer-stream.h"
#include "oci.h"

typedef struct LayerExtractOptions {
        LayerReadOptions read;     /* checks and bounds, as for layer_read_fd() (head_size unused) */
        char **lowers;             /* the unpacked layers below this one, newest first (strv), or NULL */
} LayerExtractOptions;

/* Unpack the tar stream read from fd into the directory root (an absolute path; must exist). opts may
 * be NULL. Returns 0 or -errno; -EBADMSG for a bad stream, a failed check (result.stream.failure) or a
 * refused name, -E2BIG/-EFBIG/-ENAMETOOLONG for the bounds, as layer_read_fd(), with err (may be NULL)
 * saying why. The caller removes root on failure. ret may be NULL; it is filled on failure too. */
int layer_extract_fd(int fd, const char *root, const LayerExtractOptions *opts, LayerReadResult *ret,
                     ErrorDetail *err);
