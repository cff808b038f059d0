/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The byte pipeline under every layer read, before any tar parsing:
 *
 *   raw source (fd or pull callback)
 *     -> size bound and digest of the raw bytes      (the blob's descriptor: digest, size)
 *     -> decompression: gzip, zstd or none           (sniffed from the magic, checked against the
 *                                                     compression the media type declares)
 *     -> byte bound and digest of the tar stream     (the config's diff_id)
 *     -> the caller (libarchive, reading tar only)
 *
 * Decompressing here rather than in libarchive's filters gives us the uncompressed digest: an image
 * config names every layer by the digest of its uncompressed tar (image-spec config.md, "diff_ids"),
 * and a store that files unpacked trees under diff_ids must see that the bytes hash to it, or an image
 * that claims someone else's diff_id plants its files under that name. It also puts the byte bound
 * where the bytes are made, so a small gzip of zeros stops at the limit, not at the disk's end.
 *
 * Every byte is counted: what follows the tar end marker in the tar stream, and what follows the
 * compressed stream in the blob (gzip members, zstd frames; anything else is refused, as Go's gzip
 * reader and so containerd refuse it). */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci.h"

/* Pull source: write up to size bytes to buf; return the count, 0 at the end, or -errno. */
typedef ssize_t (*LayerSourceRead)(void *buf, size_t size, void *userdata);

typedef struct LayerStreamOptions {
        /* The blob's descriptor, or NULL: the raw bytes must hash to its digest and be exactly its size
         * (more is refused as soon as it is read), and its media type must be an image layer type whose
         * compression the bytes have. */
        const OciDescriptor *descriptor;
        const OciDigest *diff_id;    /* the uncompressed bytes must hash to this, or NULL */
        bool want_diff_id;           /* compute the uncompressed digest even when not checking it */
        uint64_t max_bytes;          /* uncompressed bytes at most; 0: no bound */
} LayerStreamOptions;

/* Which check a stream failed, so that the caller can name it. */
typedef enum LayerStreamFailure {
        LAYER_STREAM_OK,
        LAYER_STREAM_DIGEST,         /* raw bytes do not hash to the descriptor's digest */
        LAYER_STREAM_SIZE,           /* more or fewer raw bytes than the descriptor's size */
        LAYER_STREAM_DIFF_ID,        /* uncompressed bytes do not hash to the diff_id */
        LAYER_STREAM_MEDIA_TYPE,     /* the descriptor's media type is not an image layer type */
        LAYER_STREAM_COMPRESSION,    /* the bytes are not compressed as the media type says */
        LAYER_STREAM_CORRUPT,        /* the compressed stream is damaged or truncated */
        LAYER_STREAM_TOO_BIG,        /* more uncompressed bytes than max_bytes */
        _LAYER_STREAM_FAILURE_MAX,
        _LAYER_STREAM_FAILURE_INVALID = -EINVAL,
} LayerStreamFailure;

typedef struct LayerStreamResult {
        uint64_t raw_bytes;          /* compressed bytes read */
        uint64_t tar_bytes;          /* uncompressed bytes made */
        OciCompression compression;  /* what the bytes are */
        OciDigest digest;            /* of the raw bytes, when checked */
        OciDigest diff_id;           /* of the uncompressed bytes, when checked or wanted */
        LayerStreamFailure failure;
} LayerStreamResult;

/* "does not match its digest", ...: a phrase for messages. */
const char *layer_stream_failure_to_string(LayerStreamFailure f);

typedef struct LayerStream LayerStream;

/* A stream over fd (read from its current offset) or over source(). Returns 0 or -ENOMEM/-EINVAL. The
 * options' pointers need not outlive the call. */
int layer_stream_new_fd(int fd, const LayerStreamOptions *opts, LayerStream **ret);
int layer_stream_new_source(LayerSourceRead source, void *userdata, const LayerStreamOptions *opts,
                            LayerStream **ret);
LayerStream *layer_stream_free(LayerStream *s);
static inline void layer_stream_freep(LayerStream **s) {
        layer_stream_free(*s);
}

/* The next piece of the uncompressed stream, valid until the next call. Returns its size, 0 at the end
 * of the stream (all checks but the final ones passed), or -EBADMSG (a check failed: see the result),
 * -EFBIG (max_bytes), -errno from the source. */
ssize_t layer_stream_read(LayerStream *s, const void **ret_buf);

/* Read whatever is left (the reader may stop at the tar end marker), then check size, digest and
 * diff_id. Returns 0 or as layer_stream_read(); the result is filled either way (ret may be NULL). */
int layer_stream_finish(LayerStream *s, LayerStreamResult *ret);

/* The result so far (after a failed read: which check failed). */
void layer_stream_result(const LayerStream *s, LayerStreamResult *ret);

/* Pure: what the first bytes of a blob say it is (gzip, zstd, else none). */
OciCompression layer_stream_sniff(const uint8_t *buf, size_t size);
