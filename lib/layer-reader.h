/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Stream a tar layer through libarchive without unpacking it: gzip, zstd or plain tar, read from an fd
 * or from any pull callback (a registry stream, an entry of an outer tar). One callback per entry with
 * its normalised path, type, whiteout kind and the first bytes of regular files; the rest of each file
 * is skipped without copying. Memory is bounded by the head size, whatever the layer size. The bytes
 * pass through lib/layer-stream, which checks them against the descriptor (digest, size, compression)
 * and the image config (diff_id) and bounds what they unpack to; libarchive parses tar only. Entry
 * names with ".." or absolute paths are refused (-EBADMSG). Truncated or corrupt streams are -EBADMSG.
 * What failed is said in the caller's ErrorDetail, as a phrase to follow "layer sha256:... ". */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error-detail.h"
#include "layer-path.h"
#include "layer-stream.h"
#include "oci.h"

/* Default number of leading bytes handed to the callback: an ELF header, its program headers and
 * PT_INTERP fit in this for everything a linker normally writes. */
#define LAYER_HEAD_DEFAULT 4096
/* What layer_reader_head_extend() may grow to. */
#define LAYER_HEAD_MAX (1024 * 1024)

typedef enum LayerEntryType {
        LAYER_ENTRY_REGULAR,
        LAYER_ENTRY_DIRECTORY,
        LAYER_ENTRY_SYMLINK,
        LAYER_ENTRY_HARDLINK,
        LAYER_ENTRY_OTHER,      /* devices, fifos, sockets */
        _LAYER_ENTRY_TYPE_MAX,
        _LAYER_ENTRY_TYPE_INVALID = -EINVAL,
} LayerEntryType;

typedef struct LayerReader LayerReader;

/* Valid only during the callback. */
typedef struct LayerEntry {
        const char *path;         /* normalised (layer_path_normalize()); for whiteouts, the target */
        LayerWhiteout whiteout;   /* NONE, or FILE/OPAQUE_DIR with path the deleted path/the dir */
        LayerEntryType type;
        mode_t mode;              /* permission bits */
        int64_t size;             /* regular files: size from the header */
        const char *link_target;  /* symlink: as written; hardlink: normalised path of the target */
        const uint8_t *head;      /* regular files: the first head_size bytes (<= size) */
        size_t head_size;
        LayerReader *reader;      /* for layer_reader_head_extend() */
} LayerEntry;

/* Return < 0 to stop the read (that value is returned by layer_read_*). */
typedef int (*LayerEntryCallback)(const LayerEntry *e, void *userdata);

typedef struct LayerReadOptions {
        size_t head_size;          /* 0: LAYER_HEAD_DEFAULT; at most LAYER_HEAD_MAX */
        /* Checks of the bytes (digest, size, diff_id, compression) and the bound on uncompressed bytes;
         * max_bytes also bounds the sum of the regular files' sizes, so that a sparse file counts as
         * what it unpacks to. stream.size 0 with no digest is taken as "unknown": set -1 for that. */
        LayerStreamOptions stream;
        uint64_t max_entries;      /* 0: no bound */
        size_t max_path;           /* longest entry name or link target; 0: LAYER_PATH_MAX */
} LayerReadOptions;

typedef struct LayerReadResult {
        uint64_t n_entries;
        uint64_t file_bytes;       /* sum of the regular files' sizes */
        LayerStreamResult stream;  /* bytes, compression, digests; which check failed */
} LayerReadResult;

/* For the readers of layers (this one and lib/layer-extract): put why a read failed into err as a
 * phrase ("has more than 5 entries (the layer-entries limit)", "has a refused entry '../x' ...", "does
 * not match its digest (expected ..., got ...)"), from the value it returned, its result, the name it
 * refused (or NULL) and why (NULL: names are relative, without ".."). Returns r. */
int layer_read_explain(int r, const LayerReadResult *res, const LayerReadOptions *opts, const char *refused,
                       const char *why, ErrorDetail *err);

/* Read the layer at fd (from its current offset, to EOF). opts and ret_result may be NULL. Returns 0,
 * a callback's negative value, -EBADMSG (bad tar, bad compression, truncation, refused name, a failed
 * check of the bytes: see result.stream.failure), -E2BIG (max_entries), -EFBIG (max_bytes),
 * -ENAMETOOLONG (max_path), -ENOMEM, or -errno from reading, with err (may be NULL) saying why. ret_result
 * is filled also on failure. */
int layer_read_fd(int fd, const LayerReadOptions *opts, LayerEntryCallback cb, void *userdata,
                  LayerReadResult *ret_result, ErrorDetail *err);
/* The same from a pull callback. */
int layer_read_source(LayerSourceRead source, void *source_userdata, const LayerReadOptions *opts,
                      LayerEntryCallback cb, void *userdata, LayerReadResult *ret_result, ErrorDetail *err);

/* From inside a callback for a regular file: read more of it so that at least want bytes (bounded by
 * the file size and LAYER_HEAD_MAX) are available; *ret_head and *ret_size then describe them (the
 * earlier e->head pointer is invalid afterwards). Returns 0 or -errno/-EBADMSG. */
int layer_reader_head_extend(LayerReader *r, size_t want, const uint8_t **ret_head, size_t *ret_size);

/* From inside a callback for a regular file: read size bytes at offset of the file, forward only: the
 * bytes between what was read so far and offset are decompressed and dropped, never stored, so memory
 * stays bounded (a PT_INTERP 1.4 MiB into glibc's libc.so.6). Ranges inside the head are served from
 * it. Returns 0, -ESPIPE for a range behind what was already passed, -EBADMSG when the file is
 * shorter, or -errno. After this, layer_reader_head_extend() answers -ESPIPE. */
int layer_reader_read_at(LayerReader *r, uint64_t offset, void *buf, size_t size);
