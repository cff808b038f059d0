/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "layer-reader.h"
#include "macro.h"

/* Large reads keep libarchive's decompressor busy and syscalls rare; the buffer is the only memory
 * that scales with nothing but this constant. */
#define LAYER_RAW_BUFFER (1024 * 1024)

struct LayerReader {
        struct archive *archive;

        /* the raw (compressed) source: fd >= 0, or source() */
        int fd;
        LayerSourceRead source;
        void *source_userdata;
        uint8_t *raw;
        uint64_t raw_bytes;
        int source_error;
        OciHasher *hasher;

        /* the current regular file's head */
        uint8_t *head;
        size_t head_alloc, head_size;
        int64_t entry_size;
        uint64_t entry_pos; /* bytes of the entry consumed: head_size until read_at skips ahead */
};

static ssize_t source_pull(LayerReader *r, void *buf, size_t size) {
        ssize_t n;

        if (r->fd >= 0) {
                do
                        n = read(r->fd, buf, size);
                while (n < 0 && errno == EINTR);
                if (n < 0)
                        return negative_errno();
        } else {
                n = r->source(buf, size, r->source_userdata);
                if (n < 0)
                        return n;
        }
        if (n > 0 && r->hasher) {
                int k = oci_hasher_update(r->hasher, buf, (size_t) n);
                if (k < 0)
                        return k;
        }
        r->raw_bytes += (uint64_t) n;
        return n;
}

static la_ssize_t archive_read_cb(struct archive *a, void *userdata, const void **ret_buf) {
        LayerReader *r = userdata;
        ssize_t n;

        n = source_pull(r, r->raw, LAYER_RAW_BUFFER);
        if (n < 0) {
                r->source_error = (int) n;
                archive_set_error(a, (int) -n, "layer source read failed");
                return -1;
        }
        *ret_buf = r->raw;
        return n;
}

/* After the tar end marker, the rest of the stream (padding, or trailing garbage) still counts for
 * the digest: read it through. */
static int source_drain(LayerReader *r) {
        ssize_t n;

        do
                n = source_pull(r, r->raw, LAYER_RAW_BUFFER);
        while (n > 0);
        return n < 0 ? (int) n : 0;
}

static int reader_open(LayerReader *r) {
        r->archive = archive_read_new();
        if (!r->archive)
                return -ENOMEM;
        /* Only what image layers may be: tar (ustar, pax, GNU) under gzip, zstd or nothing. Refusing
         * other formats keeps hostile input away from libarchive's rarer parsers. */
        if (archive_read_support_format_tar(r->archive) != ARCHIVE_OK ||
            archive_read_support_filter_gzip(r->archive) != ARCHIVE_OK ||
            archive_read_support_filter_zstd(r->archive) != ARCHIVE_OK ||
            archive_read_support_filter_none(r->archive) != ARCHIVE_OK)
                return -EOPNOTSUPP;
        if (archive_read_open(r->archive, r, NULL, archive_read_cb, NULL) != ARCHIVE_OK)
                return r->source_error ?: -EBADMSG;
        return 0;
}

static void reader_close(LayerReader *r) {
        if (r->archive)
                archive_read_free(r->archive);
        oci_hasher_free(r->hasher);
        free(r->raw);
        free(r->head);
}

static int head_read(LayerReader *r, size_t want) {
        if (want > LAYER_HEAD_MAX)
                want = LAYER_HEAD_MAX;
        if (r->entry_size >= 0 && (uint64_t) want > (uint64_t) r->entry_size)
                want = (size_t) r->entry_size;
        if (want > r->head_alloc) {
                uint8_t *h = realloc(r->head, want);
                if (!h)
                        return -ENOMEM;
                r->head = h;
                r->head_alloc = want;
        }
        while (r->head_size < want) {
                la_ssize_t n = archive_read_data(r->archive, r->head + r->head_size, want - r->head_size);
                if (n < 0)
                        return r->source_error ?: -EBADMSG;
                if (n == 0)
                        break;
                r->head_size += (size_t) n;
        }
        r->entry_pos = r->head_size;
        return 0;
}

/* Read exactly size bytes of the current entry (fewer only at its end: -EBADMSG). */
static int entry_read_full(LayerReader *r, void *buf, size_t size) {
        uint8_t *p = buf;

        while (size > 0) {
                la_ssize_t n = archive_read_data(r->archive, p, size);
                if (n < 0)
                        return r->source_error ?: -EBADMSG;
                if (n == 0)
                        return -EBADMSG;
                p += n;
                size -= (size_t) n;
                r->entry_pos += (uint64_t) n;
        }
        return 0;
}

int layer_reader_read_at(LayerReader *r, uint64_t offset, void *buf, size_t size) {
        uint8_t scratch[16384];
        int k;

        if (r->entry_size < 0)
                return -EINVAL;
        if (offset < r->head_size && r->entry_pos == r->head_size) {
                /* starts inside the head: copy that part, read the rest */
                size_t part = offset + size <= r->head_size ? size : r->head_size - (size_t) offset;

                memcpy(buf, r->head + offset, part);
                buf = (uint8_t *) buf + part;
                size -= part;
                offset += part;
                if (size == 0)
                        return 0;
        }
        if (offset < r->entry_pos)
                return -ESPIPE;
        if (offset + size > (uint64_t) r->entry_size)
                return -EBADMSG;
        while (r->entry_pos < offset) {
                uint64_t gap = offset - r->entry_pos;
                k = entry_read_full(r, scratch, gap < sizeof(scratch) ? (size_t) gap : sizeof(scratch));
                if (k < 0)
                        return k;
        }
        return entry_read_full(r, buf, size);
}

int layer_reader_head_extend(LayerReader *r, size_t want, const uint8_t **ret_head, size_t *ret_size) {
        int k;

        if (r->entry_size < 0)
                return -EINVAL;
        if (r->entry_pos != r->head_size)
                return -ESPIPE;
        k = head_read(r, want);
        if (k < 0)
                return k;
        *ret_head = r->head;
        *ret_size = r->head_size;
        return 0;
}

static LayerEntryType entry_type(struct archive_entry *e) {
        if (archive_entry_hardlink(e))
                return LAYER_ENTRY_HARDLINK;
        switch (archive_entry_filetype(e)) {
        case AE_IFREG:
                return LAYER_ENTRY_REGULAR;
        case AE_IFDIR:
                return LAYER_ENTRY_DIRECTORY;
        case AE_IFLNK:
                return LAYER_ENTRY_SYMLINK;
        default:
                return LAYER_ENTRY_OTHER;
        }
}

static void result_bad_path(LayerReadResult *res, const char *name) {
        snprintf(res->bad_path, sizeof(res->bad_path), "%s", name ?: "(unnamed)");
}

/* One tar entry: normalise, classify, read the head, call back. */
static int reader_entry(LayerReader *r, struct archive_entry *e, size_t head_size,
                        LayerEntryCallback cb, void *userdata, LayerReadResult *res) {
        _cleanup_free_ char *path = NULL, *target = NULL, *link = NULL;
        const char *name = archive_entry_pathname(e);
        LayerEntry entry = { .reader = r };
        int k;

        if (!name || layer_path_normalize(name, &path) < 0) {
                result_bad_path(res, name);
                return -EBADMSG;
        }
        k = layer_whiteout_classify(path, &target);
        if (k < 0) {
                result_bad_path(res, name);
                return k == -ENOMEM ? k : -EBADMSG;
        }
        entry.whiteout = (LayerWhiteout) k;
        entry.path = target ?: path;
        entry.type = entry_type(e);
        entry.mode = archive_entry_perm(e);
        entry.size = archive_entry_size(e);
        if (entry.type == LAYER_ENTRY_HARDLINK) {
                if (layer_path_normalize(archive_entry_hardlink(e), &link) < 0) {
                        result_bad_path(res, archive_entry_hardlink(e));
                        return -EBADMSG;
                }
                entry.link_target = link;
        } else if (entry.type == LAYER_ENTRY_SYMLINK)
                entry.link_target = archive_entry_symlink(e) ?: "";
        r->head_size = 0;
        r->entry_pos = 0;
        r->entry_size = -1;
        if (entry.type == LAYER_ENTRY_REGULAR && entry.whiteout == LAYER_WHITEOUT_NONE && entry.size > 0) {
                r->entry_size = entry.size;
                k = head_read(r, head_size);
                if (k < 0)
                        return k;
                entry.head = r->head;
                entry.head_size = r->head_size;
        }
        return cb(&entry, userdata);
}

static int reader_run(LayerReader *r, const LayerReadOptions *opts, LayerEntryCallback cb, void *userdata,
                      LayerReadResult *res) {
        size_t head_size = opts->head_size ?: LAYER_HEAD_DEFAULT;
        struct archive_entry *e;
        int k;

        if (head_size > LAYER_HEAD_MAX)
                return -EINVAL;
        k = reader_open(r);
        if (k < 0)
                return k;
        for (;;) {
                k = archive_read_next_header(r->archive, &e);
                if (k == ARCHIVE_EOF)
                        break;
                if (k != ARCHIVE_OK && k != ARCHIVE_WARN)
                        return r->source_error ?: -EBADMSG;
                if (opts->max_entries > 0 && res->n_entries >= opts->max_entries)
                        return -E2BIG;
                res->n_entries++;
                k = reader_entry(r, e, head_size, cb, userdata, res);
                if (k < 0)
                        return k;
        }
        res->tar_bytes = (uint64_t) archive_filter_bytes(r->archive, 0);
        switch (archive_filter_code(r->archive, 0)) {
        case ARCHIVE_FILTER_GZIP:
                res->compression = OCI_COMPRESSION_GZIP;
                break;
        case ARCHIVE_FILTER_ZSTD:
                res->compression = OCI_COMPRESSION_ZSTD;
                break;
        default:
                res->compression = OCI_COMPRESSION_NONE;
        }
        return source_drain(r);
}

static int reader_verify(LayerReader *r, const LayerReadOptions *opts) {
        OciDigest d;
        int k;

        if (opts->expected_size >= 0 && r->raw_bytes != (uint64_t) opts->expected_size)
                return -EBADMSG;
        if (!r->hasher)
                return 0;
        k = oci_hasher_final(r->hasher, &d);
        if (k < 0)
                return k;
        return oci_digest_equal(&d, opts->verify) ? 0 : -EBADMSG;
}

static int layer_read(LayerReader *r, const LayerReadOptions *opts, LayerEntryCallback cb, void *userdata,
                      LayerReadResult *ret_result) {
        static const LayerReadOptions defaults = { .expected_size = -1 };
        LayerReadResult res = { .compression = OCI_COMPRESSION_NONE };
        int k;

        if (!opts)
                opts = &defaults;
        r->raw = malloc(LAYER_RAW_BUFFER);
        k = r->raw ? 0 : -ENOMEM;
        if (k >= 0 && opts->verify)
                k = oci_hasher_new(&r->hasher);
        if (k >= 0)
                k = reader_run(r, opts, cb, userdata, &res);
        if (k >= 0)
                k = reader_verify(r, opts);
        res.raw_bytes = r->raw_bytes;
        reader_close(r);
        if (ret_result)
                *ret_result = res;
        return k;
}

int layer_read_fd(int fd, const LayerReadOptions *opts, LayerEntryCallback cb, void *userdata,
                  LayerReadResult *ret_result) {
        LayerReader r = { .fd = fd };

        if (fd < 0)
                return -EBADF;
        return layer_read(&r, opts, cb, userdata, ret_result);
}

int layer_read_source(LayerSourceRead source, void *source_userdata, const LayerReadOptions *opts,
                      LayerEntryCallback cb, void *userdata, LayerReadResult *ret_result) {
        LayerReader r = { .fd = -EBADF, .source = source, .source_userdata = source_userdata };

        return layer_read(&r, opts, cb, userdata, ret_result);
}
