/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Write a directory tree as an image layer blob, reproducibly: entries in byte-wise sorted order of
 * their names, owners as numbers only (no user/group names), no atime/ctime, mtimes in whole seconds
 * clamped to SOURCE_DATE_EPOCH when one is given, pax (ustar where it suffices), no block padding.
 * The tree may be an overlayfs upper directory: a character device 0/0 is a deleted file and becomes
 * the OCI whiteout ".wh.<name>"; a directory with the overlay "opaque" xattr (user.overlay.opaque or
 * trusted.overlay.opaque = "y") is followed at once by ".wh..wh..opq" (image-spec layer.md). Other
 * overlay xattrs are dropped; security.capability is kept. Hard links inside the tree become tar hard
 * links to the first name in sort order.
 *
 * One pass: the tar stream is hashed (the diff_id), compressed (gzip with a zero mtime in its header,
 * or zstd) and streamed into the layout's blob writer (the digest). So two runs over equal trees give
 * equal bytes and digests. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci-layout.h"
#include "oci.h"

typedef struct LayerWriteOptions {
        OciCompression compression;  /* NONE, GZIP (the usual) or ZSTD */
        int level;                   /* 0: the compressor's default */
        int64_t source_date_epoch;   /* < 0: none */
        /* When >= 0, files owned by this uid/gid are written as owned by 0 (a rootless build's host
         * id, which is root inside the build); else owners are written as they are. */
        int64_t squash_uid, squash_gid;
} LayerWriteOptions;

#define LAYER_WRITE_OPTIONS_DEFAULT \
        ((LayerWriteOptions) { .compression = OCI_COMPRESSION_GZIP, .source_date_epoch = -1, \
                               .squash_uid = -1, .squash_gid = -1 })

typedef struct LayerWriteResult {
        OciDigest digest;     /* of the blob as stored */
        OciDigest diff_id;    /* of the uncompressed tar */
        uint64_t size;        /* blob size */
        uint64_t n_entries;
        const char *media_type; /* static: oci_layer_media_type(compression) */
} LayerWriteResult;

/* Write the tree under dirfd (not closed) into l as one blob. Returns 0 and the result, or -errno
 * (-ENOMEM, -EIO from a compressor or libarchive, -ENAMETOOLONG for a path over LAYER_PATH_MAX). The
 * blob is stored only on success. */
int layer_write_tree(int dirfd, const LayerWriteOptions *opts, OciLayout *l, LayerWriteResult *ret);

/* The SOURCE_DATE_EPOCH value in s (decimal seconds, as reproducible-builds.org specifies), or
 * -EINVAL. */
int layer_parse_source_date_epoch(const char *s, int64_t *ret);
