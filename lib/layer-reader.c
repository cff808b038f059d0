/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "layer-reader.h"
#include "macro.h"

struct LayerReader {
        struct archive *archive;
        LayerStream *stream;
        char refused[256];      /* the entry name refused, for the message */
        int stream_error;       /* what the stream returned when libarchive saw a failed read */

        /* the current regular file's head */
        uint8_t *head;
        size_t head_alloc, head_size;
        int64_t entry_size;
        uint64_t entry_pos; /* bytes of the entry consumed: head_size until read_at skips ahead */
};

static la_ssize_t archive_read_cb(struct archive *a, void *userdata, const void **ret_buf) {
        LayerReader *r = userdata;
        ssize_t n;

        n = layer_stream_read(r->stream, ret_buf);
        if (n < 0) {
                r->stream_error = (int) n;
                archive_set_error(a, (int) -n, "layer stream read failed");
                return -1;
        }
        return n;
}

/* libarchive's error, or the stream's when a read under it failed (a digest, a limit). */
static int reader_error(const LayerReader *r) {
        return r->stream_error ?: -EBADMSG;
}

static int reader_open(LayerReader *r) {
        r->archive = archive_read_new();
        if (!r->archive)
                return -ENOMEM;
        /* Only tar (ustar, pax, GNU): decompression happened below, in layer-stream. Refusing other
         * formats keeps hostile input away from libarchive's rarer parsers. */
        if (archive_read_support_format_tar(r->archive) != ARCHIVE_OK ||
            archive_read_support_format_empty(r->archive) != ARCHIVE_OK ||
            archive_read_support_filter_none(r->archive) != ARCHIVE_OK)
                return -EOPNOTSUPP;
        if (archive_read_open(r->archive, r, NULL, archive_read_cb, NULL) != ARCHIVE_OK)
                return reader_error(r);
        return 0;
}

static void reader_close(LayerReader *r) {
        if (r->archive)
                archive_read_free(r->archive);
        layer_stream_free(r->stream);
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
                        return reader_error(r);
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
                        return reader_error(r);
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

static void refuse_name(LayerReader *r, const char *name) {
        snprintf(r->refused, sizeof(r->refused), "%s", name ?: "(unnamed)");
}

/* The entry's names within bounds, normalised; its size counted. Returns 0 with the path and, for
 * hardlinks, the normalised target; < 0 with res->bad_path set. */
static int entry_names(LayerReader *r, struct archive_entry *e, const LayerReadOptions *opts, char **ret_path,
                       char **ret_link) {
        size_t max_path = opts->max_path ?: LAYER_PATH_MAX;
        const char *name = archive_entry_pathname(e), *hl = archive_entry_hardlink(e), *sl = archive_entry_symlink(e);
        int k;

        if (!name || strlen(name) > max_path || (hl && strlen(hl) > max_path) || (sl && strlen(sl) > max_path)) {
                refuse_name(r, name);
                return name ? -ENAMETOOLONG : -EBADMSG;
        }
        k = layer_path_normalize(name, ret_path);
        if (k < 0) {
                refuse_name(r, name);
                return k == -ENOMEM ? k : -EBADMSG;
        }
        if (hl && (k = layer_path_normalize(hl, ret_link)) < 0) {
                refuse_name(r, hl);
                return k == -ENOMEM ? k : -EBADMSG;
        }
        return 0;
}

/* Sparse files take little room in the tar stream but what they unpack to is their size: count that
 * against the same bound. */
static int entry_count_bytes(const LayerEntry *entry, const LayerReadOptions *opts, LayerReadResult *res) {
        if (entry->type != LAYER_ENTRY_REGULAR || entry->size <= 0)
                return 0;
        res->file_bytes += (uint64_t) entry->size;
        if (opts->stream.max_bytes > 0 && res->file_bytes > opts->stream.max_bytes)
                return -EFBIG;
        return 0;
}

/* One tar entry: normalise, classify, read the head, call back. */
static int reader_entry(LayerReader *r, struct archive_entry *e, const LayerReadOptions *opts,
                        LayerEntryCallback cb, void *userdata, LayerReadResult *res) {
        size_t head_size = opts->head_size ?: LAYER_HEAD_DEFAULT;
        _cleanup_free_ char *path = NULL, *target = NULL, *link = NULL;
        LayerEntry entry = { .reader = r };
        int k;

        k = entry_names(r, e, opts, &path, &link);
        if (k < 0)
                return k;
        k = layer_whiteout_classify(path, &target);
        if (k < 0) {
                refuse_name(r, archive_entry_pathname(e));
                return k == -ENOMEM ? k : -EBADMSG;
        }
        entry.whiteout = (LayerWhiteout) k;
        entry.path = target ?: path;
        entry.type = entry_type(e);
        entry.mode = archive_entry_perm(e);
        entry.size = archive_entry_size(e);
        if (entry.type == LAYER_ENTRY_HARDLINK)
                entry.link_target = link;
        else if (entry.type == LAYER_ENTRY_SYMLINK)
                entry.link_target = archive_entry_symlink(e) ?: "";
        k = entry_count_bytes(&entry, opts, res);
        if (k < 0)
                return k;
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
        struct archive_entry *e;
        int k;

        if (opts->head_size > LAYER_HEAD_MAX)
                return -EINVAL;
        k = reader_open(r);
        if (k < 0)
                return k;
        for (;;) {
                k = archive_read_next_header(r->archive, &e);
                if (k == ARCHIVE_EOF)
                        break;
                if (k != ARCHIVE_OK && k != ARCHIVE_WARN)
                        return reader_error(r);
                if (opts->max_entries > 0 && res->n_entries >= opts->max_entries)
                        return -E2BIG;
                res->n_entries++;
                k = reader_entry(r, e, opts, cb, userdata, res);
                if (k < 0)
                        return k;
        }
        /* What follows the tar end marker counts for the digests too. */
        return layer_stream_finish(r->stream, NULL);
}

static int layer_read(LayerReader *r, const LayerReadOptions *opts, LayerEntryCallback cb, void *userdata,
                      LayerReadResult *ret_result, ErrorDetail *err) {
        static const LayerReadOptions defaults = {};
        LayerReadResult res = {};
        int k;

        opts = opts ?: &defaults;
        k = reader_run(r, opts, cb, userdata, &res);
        layer_stream_result(r->stream, &res.stream);
        if (k < 0)
                k = layer_read_explain(k, &res, opts, r->refused[0] ? r->refused : NULL, NULL, err);
        reader_close(r);
        if (ret_result)
                *ret_result = res;
        return k;
}

int layer_read_fd(int fd, const LayerReadOptions *opts, LayerEntryCallback cb, void *userdata,
                  LayerReadResult *ret_result, ErrorDetail *err) {
        LayerReader r = {};
        int k;

        k = layer_stream_new_fd(fd, opts ? &opts->stream : &(LayerStreamOptions) {}, &r.stream);
        if (k < 0)
                return k;
        return layer_read(&r, opts, cb, userdata, ret_result, err);
}

int layer_read_source(LayerSourceRead source, void *source_userdata, const LayerReadOptions *opts,
                      LayerEntryCallback cb, void *userdata, LayerReadResult *ret_result, ErrorDetail *err) {
        LayerReader r = {};
        int k;

        k = layer_stream_new_source(source, source_userdata, opts ? &opts->stream : &(LayerStreamOptions) {},
                                    &r.stream);
        if (k < 0)
                return k;
        return layer_read(&r, opts, cb, userdata, ret_result, err);
}

/* " (expected sha256:..., got sha256:...)" after a digest that did not match. */
static void explain_digests(const OciDigest *want, const OciDigest *got, char *buf, size_t size) {
        size_t n = strlen(buf);

        if (want && oci_digest_is_set(got) && n < size)
                snprintf(buf + n, size - n, " (expected %s, got %s)", want->str, got->str);
}

int layer_read_explain(int r, const LayerReadResult *res, const LayerReadOptions *opts, const char *refused,
                       const char *why, ErrorDetail *err) {
        const LayerStreamOptions *so = opts ? &opts->stream : NULL;
        char buf[ERROR_DETAIL_MAX];

        if (res->stream.failure != LAYER_STREAM_OK) {
                snprintf(buf, sizeof(buf), "%s", layer_stream_failure_to_string(res->stream.failure));
                if (res->stream.failure == LAYER_STREAM_DIFF_ID)
                        explain_digests(so ? so->diff_id : NULL, &res->stream.diff_id, buf, sizeof(buf));
                else if (res->stream.failure == LAYER_STREAM_DIGEST)
                        explain_digests(so && so->descriptor ? &so->descriptor->digest : NULL, &res->stream.digest,
                                        buf, sizeof(buf));
                return error_detail_set(err, r, "%s", buf);
        }
        if (r == -E2BIG)
                return error_detail_set(err, r, "has more than %" PRIu64 " entries (the layer-entries limit)",
                                        opts ? opts->max_entries : 0);
        if (r == -EFBIG)
                return error_detail_set(err, r, "unpacks to more bytes than the layer-bytes limit");
        if (r == -ENAMETOOLONG)
                return error_detail_set(err, r, "has a name longer than the path-bytes limit: '%s'", refused ?: "");
        if (refused && r == -EBADMSG)
                return error_detail_set(err, r, "has a refused entry '%s' (%s)", refused,
                                        why ?: "names are relative, without \"..\"");
        /* A failure of the source (a registry stream) said its own words in err already. */
        if (err && err->message[0])
                return r;
        if (r == -EBADMSG)
                return error_detail_set(err, r, "is not a valid tar stream");
        if (refused)
                return error_detail_set(err, r, "could not be unpacked at '%s': %m", refused);
        return error_detail_set(err, r, "could not be read: %m");
}
