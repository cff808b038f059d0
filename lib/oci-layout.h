/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* An OCI image layout directory (image-spec image-layout.md): "oci-layout", "index.json",
 * "blobs/sha256/<hex>". Reading resolves a tag through index.json (also the shape buildx writes:
 * index.json holds one entry, itself an index, whose ref.name is the tag) and reads blobs with their
 * digest and size verified. Writing adds blobs atomically (a temporary file in blobs/sha256/, fsync,
 * rename to its digest) and writes index.json last, so an interrupted writer leaves the previous
 * layout intact: a reader never sees an index entry whose blob is missing. Every file is reached
 * through the layout's directory fd (openat), never by re-joining paths. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "oci.h"

#define OCI_LAYOUT_VERSION "1.0.0"

typedef struct OciLayout OciLayout;

/* Open an existing layout for reading (and adding blobs). Checks "oci-layout" names version 1.x.
 * Returns 0, -ENOENT when path does not exist, -EMEDIUMTYPE when it is a directory without a valid
 * "oci-layout" file, or -errno. */
int oci_layout_open(const char *path, OciLayout **ret);
/* Create path (and parents' last component only) if missing, with "oci-layout" and blobs/sha256/; an
 * existing layout is opened as it is, and a directory whose "oci-layout" names another version (or is
 * not valid) is refused (-EMEDIUMTYPE), never relabelled. index.json is not written until
 * oci_layout_write_index(). Returns 0 or -errno. */
int oci_layout_create(const char *path, OciLayout **ret);
OciLayout *oci_layout_free(OciLayout *l);
static inline void oci_layout_freep(OciLayout **l) {
        oci_layout_free(*l);
}
#define _cleanup_oci_layout_ _cleanup_(oci_layout_freep)
/* The directory fd (owned by the layout). */
int oci_layout_dirfd(const OciLayout *l);

/* Parse index.json. Returns 0, -ENOENT when there is none, or as oci_index_parse(). */
int oci_layout_read_index(OciLayout *l, OciIndex *ret);

/* Pick the top descriptor for tag from index.json: with tag, the entry whose ref.name is tag
 * (oci_index_find_ref_name()); without (NULL), the only entry, or -EADDRNOTAVAIL (ambiguous) when
 * there are several. The result may name an index (buildx's nested shape, or a multi-platform image)
 * or a manifest: the caller reads it with oci_layout_read_blob() and goes on by its media type.
 * Returns 0, -ENOENT when there is no such tag (or no entries), or as oci_layout_read_index(). */
int oci_layout_resolve(OciLayout *l, const char *tag, OciDescriptor *ret);

/* Read the blob d names into memory, refusing more than max bytes (-E2BIG, checked against d->size
 * before reading and against the file), and verify both size and digest (-EBADMSG on mismatch).
 * -ENOENT when the blob is missing. *ret is NUL-terminated (not counted in *ret_size), so JSON can be
 * handed on as a string. */
int oci_layout_read_blob(OciLayout *l, const OciDescriptor *d, size_t max, char **ret, size_t *ret_size);

/* Open blob digest for streaming (O_RDONLY|O_CLOEXEC); the caller verifies while reading (e.g.
 * LayerStreamOptions.descriptor) and reads no further than size. Nothing on the way may be a symlink
 * (-ELOOP), the blob must be a regular file (-EBADMSG) and, when size >= 0, of exactly that size
 * (-EMSGSIZE, before any byte is read). Returns 0 and the fd, -ENOENT, or -errno. */
int oci_layout_open_blob(OciLayout *l, const OciDigest *digest, int64_t size, int *ret_fd);

/* Whether the blob exists (a regular file of the right name). Returns 1, 0 or -errno. */
int oci_layout_has_blob(OciLayout *l, const OciDigest *digest);

/* ---- writing ----------------------------------------------------------------------------------- */

/* Add a whole in-memory blob. Skips the write when a blob of that digest already exists. Returns 0 and
 * the digest (ret_digest may be NULL) or -errno. */
int oci_layout_add_blob(OciLayout *l, const void *buf, size_t size, OciDigest *ret_digest);

/* Streaming blob writer: data goes to a hidden temporary (".tmp-XXXXXX") in blobs/sha256/ while
 * being hashed; finish fsyncs and links/renames it to its digest. Freeing an unfinished writer removes
 * the temporary. */
typedef struct OciBlobWriter OciBlobWriter;
int oci_blob_writer_new(OciLayout *l, OciBlobWriter **ret);
int oci_blob_writer_write(OciBlobWriter *w, const void *buf, size_t size);
/* Returns 0 with the digest and size, or -errno (the temporary is gone either way). When expected is
 * not NULL the content must hash to it, else -EBADMSG and nothing is stored. */
int oci_blob_writer_finish(OciBlobWriter *w, const OciDigest *expected, OciDigest *ret_digest, uint64_t *ret_size);
OciBlobWriter *oci_blob_writer_free(OciBlobWriter *w);
static inline void oci_blob_writer_freep(OciBlobWriter **w) {
        oci_blob_writer_free(*w);
}

/* Replace index.json atomically (temporary file, fsync, rename, fsync of the directory). Call it last,
 * after every blob it references is in place. Returns 0 or -errno. */
int oci_layout_write_index(OciLayout *l, const OciIndex *index);
