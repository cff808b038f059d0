/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "layer-stream.h"
#include "macro.h"

/* Large reads keep the decompressor busy and syscalls rare; these two buffers are the only memory
 * that scales, and only with these constants. */
#define RAW_BUFFER (1024 * 1024)
#define OUT_BUFFER (256 * 1024)

/* RFC 1952 (gzip) and RFC 8878 (zstd) magic numbers. */
static const uint8_t gzip_magic[] = { 0x1f, 0x8b };
static const uint8_t zstd_magic[] = { 0x28, 0xb5, 0x2f, 0xfd };

struct LayerStream {
        int fd;
        LayerSourceRead source;
        void *userdata;

        int64_t want_size;
        OciDigest want_digest, want_diff_id; /* unset: not checked */
        OciCompression declared;
        uint64_t max_bytes;

        OciHasher *raw_hash, *tar_hash;
        uint8_t *in, *out;
        size_t in_pos, in_len;
        bool in_eof, sniffed, ended;

        z_stream z;
        bool z_ready;
        ZSTD_DStream *zd;
        size_t zstd_pending; /* last ZSTD_decompressStream() hint: 0 when a frame is complete */

        LayerStreamResult res;
};

static const char *const failure_table[_LAYER_STREAM_FAILURE_MAX] = {
        [LAYER_STREAM_OK]          = "is fine",
        [LAYER_STREAM_DIGEST]      = "does not match its digest",
        [LAYER_STREAM_SIZE]        = "does not have the size its descriptor says",
        [LAYER_STREAM_DIFF_ID]     = "does not unpack to the diff_id its image config names",
        [LAYER_STREAM_MEDIA_TYPE]  = "has a media type that is not an image layer type",
        [LAYER_STREAM_COMPRESSION] = "is not compressed the way its media type says",
        [LAYER_STREAM_CORRUPT]     = "is a damaged or truncated compressed stream",
        [LAYER_STREAM_TOO_BIG]     = "unpacks to more bytes than the layer-bytes limit",
};

const char *layer_stream_failure_to_string(LayerStreamFailure f) {
        return f >= 0 && f < _LAYER_STREAM_FAILURE_MAX ? failure_table[f] : NULL;
}

OciCompression layer_stream_sniff(const uint8_t *buf, size_t size) {
        if (size >= sizeof(gzip_magic) && memcmp(buf, gzip_magic, sizeof(gzip_magic)) == 0)
                return OCI_COMPRESSION_GZIP;
        if (size >= sizeof(zstd_magic) && memcmp(buf, zstd_magic, sizeof(zstd_magic)) == 0)
                return OCI_COMPRESSION_ZSTD;
        return OCI_COMPRESSION_NONE;
}

static int fail(LayerStream *s, LayerStreamFailure f) {
        if (s->res.failure == LAYER_STREAM_OK)
                s->res.failure = f;
        return f == LAYER_STREAM_TOO_BIG ? -EFBIG : -EBADMSG;
}

/* ---- the raw side ------------------------------------------------------------------------------ */

static ssize_t source_read(LayerStream *s, void *buf, size_t size) {
        ssize_t n;

        if (!s->source) {
                do
                        n = read(s->fd, buf, size);
                while (n < 0 && errno == EINTR);
                return n < 0 ? negative_errno() : n;
        }
        return s->source(buf, size, s->userdata);
}

/* Append raw bytes behind what is buffered (compacting first). Returns > 0, 0 at the end, or < 0. */
static ssize_t fill(LayerStream *s) {
        ssize_t n;
        int r;

        if (s->in_eof)
                return 0;
        if (s->in_pos > 0) {
                memmove(s->in, s->in + s->in_pos, s->in_len - s->in_pos);
                s->in_len -= s->in_pos;
                s->in_pos = 0;
        }
        if (s->in_len == RAW_BUFFER)
                return -ENOBUFS;
        n = source_read(s, s->in + s->in_len, RAW_BUFFER - s->in_len);
        if (n < 0)
                return n;
        if (n == 0) {
                s->in_eof = true;
                return 0;
        }
        if (s->raw_hash && (r = oci_hasher_update(s->raw_hash, s->in + s->in_len, (size_t) n)) < 0)
                return r;
        s->in_len += (size_t) n;
        s->res.raw_bytes += (uint64_t) n;
        /* More than the descriptor promised: stop now, not after reading a blob of any size. */
        if (s->want_size >= 0 && s->res.raw_bytes > (uint64_t) s->want_size)
                return fail(s, LAYER_STREAM_SIZE);
        return n;
}

static size_t in_avail(const LayerStream *s) {
        return s->in_len - s->in_pos;
}

/* Make sure want bytes are buffered, unless the stream ends first. Returns 0 or < 0. */
static int fill_at_least(LayerStream *s, size_t want) {
        while (in_avail(s) < want && !s->in_eof) {
                ssize_t n = fill(s);
                if (n < 0)
                        return (int) n;
        }
        return 0;
}

/* ---- decompressors ----------------------------------------------------------------------------- */

static int gzip_begin(LayerStream *s) {
        /* 16 + MAX_WBITS: a gzip wrapper, nothing else (no raw deflate, no zlib header). */
        if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK)
                return -ENOMEM;
        s->z_ready = true;
        return 0;
}

/* Zero bytes to the end of the blob: the padding of a tape block that libarchive and tar programs
 * may write after the compressed stream, which GNU gzip ignores too. Returns 0 when that is all there is,
 * LAYER_STREAM_CORRUPT's error for anything else. */
static int skip_zero_padding(LayerStream *s) {
        for (;;) {
                for (; s->in_pos < s->in_len; s->in_pos++)
                        if (s->in[s->in_pos] != 0)
                                return fail(s, LAYER_STREAM_CORRUPT);
                ssize_t n = fill(s);
                if (n <= 0)
                        return (int) n;
        }
}

/* After a gzip member: another member, the end (perhaps after zero padding), or refused trailing bytes.
 * Returns 1 to go on, 0 at the end, < 0. */
static int gzip_next_member(LayerStream *s) {
        int r = fill_at_least(s, sizeof(gzip_magic));

        if (r < 0)
                return r;
        if (in_avail(s) == 0)
                return 0;
        if (s->in[s->in_pos] == 0)
                return skip_zero_padding(s);
        if (layer_stream_sniff(s->in + s->in_pos, in_avail(s)) != OCI_COMPRESSION_GZIP)
                return fail(s, LAYER_STREAM_CORRUPT);
        return inflateReset(&s->z) == Z_OK ? 1 : fail(s, LAYER_STREAM_CORRUPT);
}

static ssize_t gzip_step(LayerStream *s) {
        size_t produced;
        int zr, r;

        for (;;) {
                if (in_avail(s) == 0 && !s->in_eof) {
                        ssize_t n = fill(s);
                        if (n < 0)
                                return n;
                }
                s->z.next_in = s->in + s->in_pos;
                s->z.avail_in = (uInt) in_avail(s);
                s->z.next_out = s->out;
                s->z.avail_out = OUT_BUFFER;
                zr = inflate(&s->z, Z_NO_FLUSH);
                s->in_pos = s->in_len - s->z.avail_in;
                if (zr == Z_MEM_ERROR)
                        return -ENOMEM;
                if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
                        return fail(s, LAYER_STREAM_CORRUPT);
                produced = OUT_BUFFER - s->z.avail_out;
                if (zr == Z_STREAM_END) {
                        r = gzip_next_member(s);
                        if (r < 0)
                                return r;
                        s->ended = r == 0;
                } else if (produced == 0 && in_avail(s) == 0 && s->in_eof)
                        return fail(s, LAYER_STREAM_CORRUPT); /* the blob ends inside a member */
                if (produced > 0 || s->ended)
                        return (ssize_t) produced;
        }
}

static int zstd_begin(LayerStream *s) {
        s->zd = ZSTD_createDStream();
        if (!s->zd)
                return -ENOMEM;
        return ZSTD_isError(ZSTD_initDStream(s->zd)) ? -ENOMEM : 0;
}

static ssize_t zstd_step(LayerStream *s) {
        for (;;) {
                ZSTD_outBuffer ob = { s->out, OUT_BUFFER, 0 };
                ZSTD_inBuffer ib;
                size_t k;

                if (in_avail(s) == 0 && !s->in_eof) {
                        ssize_t n = fill(s);
                        if (n < 0)
                                return n;
                }
                /* The end is good only between frames, where ZSTD_decompressStream() said 0. */
                if (in_avail(s) == 0 && s->in_eof && s->zstd_pending == 0) {
                        s->ended = true;
                        return 0;
                }
                ib = (ZSTD_inBuffer) { s->in + s->in_pos, in_avail(s), 0 };
                k = ZSTD_decompressStream(s->zd, &ob, &ib);
                s->in_pos += ib.pos;
                if (ZSTD_isError(k))
                        return fail(s, LAYER_STREAM_CORRUPT);
                s->zstd_pending = k;
                if (ob.pos > 0)
                        return (ssize_t) ob.pos;
                if (in_avail(s) == 0 && s->in_eof && k != 0)
                        return fail(s, LAYER_STREAM_CORRUPT); /* the blob ends inside a frame */
        }
}

static ssize_t none_step(LayerStream *s, const void **ret_buf) {
        ssize_t n;

        if (in_avail(s) == 0) {
                s->in_pos = s->in_len = 0;
                n = fill(s);
                if (n <= 0) {
                        s->ended = n == 0;
                        return n;
                }
        }
        *ret_buf = s->in + s->in_pos;
        n = (ssize_t) in_avail(s);
        s->in_pos = s->in_len;
        return n;
}

/* Look at the first bytes, compare with the declared compression, set up the decompressor. */
static int sniff(LayerStream *s) {
        int r = fill_at_least(s, sizeof(zstd_magic));

        if (r < 0)
                return r;
        s->res.compression = layer_stream_sniff(s->in + s->in_pos, in_avail(s));
        if (s->declared >= 0 && s->declared != s->res.compression)
                return fail(s, LAYER_STREAM_COMPRESSION);
        s->sniffed = true;
        switch (s->res.compression) {
        case OCI_COMPRESSION_GZIP:
                return gzip_begin(s);
        case OCI_COMPRESSION_ZSTD:
                return zstd_begin(s);
        default:
                return 0;
        }
}

/* ---- the uncompressed side --------------------------------------------------------------------- */

ssize_t layer_stream_read(LayerStream *s, const void **ret_buf) {
        ssize_t n;
        int r;

        if (s->res.failure != LAYER_STREAM_OK)
                return s->res.failure == LAYER_STREAM_TOO_BIG ? -EFBIG : -EBADMSG;
        if (!s->sniffed && (r = sniff(s)) < 0)
                return r;
        if (s->ended)
                return 0;
        *ret_buf = s->out;
        switch (s->res.compression) {
        case OCI_COMPRESSION_GZIP:
                n = gzip_step(s);
                break;
        case OCI_COMPRESSION_ZSTD:
                n = zstd_step(s);
                break;
        default:
                n = none_step(s, ret_buf);
        }
        if (n <= 0)
                return n;
        s->res.tar_bytes += (uint64_t) n;
        if (s->max_bytes > 0 && s->res.tar_bytes > s->max_bytes)
                return fail(s, LAYER_STREAM_TOO_BIG);
        if (s->tar_hash && (r = oci_hasher_update(s->tar_hash, *ret_buf, (size_t) n)) < 0)
                return r;
        return n;
}

void layer_stream_result(const LayerStream *s, LayerStreamResult *ret) {
        *ret = s->res;
}

static int finish_checks(LayerStream *s) {
        int r;

        if (s->want_size >= 0 && s->res.raw_bytes != (uint64_t) s->want_size)
                return fail(s, LAYER_STREAM_SIZE);
        if (s->raw_hash) {
                r = oci_hasher_final(s->raw_hash, &s->res.digest);
                if (r < 0)
                        return r;
                if (!oci_digest_equal(&s->res.digest, &s->want_digest))
                        return fail(s, LAYER_STREAM_DIGEST);
        }
        if (s->tar_hash) {
                r = oci_hasher_final(s->tar_hash, &s->res.diff_id);
                if (r < 0)
                        return r;
                if (oci_digest_is_set(&s->want_diff_id) && !oci_digest_equal(&s->res.diff_id, &s->want_diff_id))
                        return fail(s, LAYER_STREAM_DIFF_ID);
        }
        return 0;
}

int layer_stream_finish(LayerStream *s, LayerStreamResult *ret) {
        const void *buf;
        ssize_t n;
        int r;

        do
                n = layer_stream_read(s, &buf);
        while (n > 0);
        r = n < 0 ? (int) n : finish_checks(s);
        if (ret)
                *ret = s->res;
        return r;
}

/* ---- setup ------------------------------------------------------------------------------------- */

static int stream_new(const LayerStreamOptions *o, LayerStream **ret) {
        _cleanup_(layer_stream_freep) LayerStream *s = NULL;
        int r;

        if (!o)
                return -EINVAL;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->fd = -EBADF;
        s->want_size = -1;
        s->declared = _OCI_COMPRESSION_INVALID;
        s->max_bytes = o->max_bytes;
        s->res.compression = OCI_COMPRESSION_NONE;
        if (o->descriptor) {
                s->want_size = o->descriptor->size;
                s->want_digest = o->descriptor->digest;
                s->declared = oci_layer_compression(o->descriptor->media_type);
                /* Refused at the first read, so that the caller sees it like any other check. */
                if (s->declared < 0)
                        s->res.failure = LAYER_STREAM_MEDIA_TYPE;
        }
        if (o->diff_id)
                s->want_diff_id = *o->diff_id;
        s->in = malloc(RAW_BUFFER);
        s->out = malloc(OUT_BUFFER);
        if (!s->in || !s->out)
                return -ENOMEM;
        if (o->descriptor && (r = oci_hasher_new(&s->raw_hash)) < 0)
                return r;
        if ((o->diff_id || o->want_diff_id) && (r = oci_hasher_new(&s->tar_hash)) < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

int layer_stream_new_fd(int fd, const LayerStreamOptions *opts, LayerStream **ret) {
        int r;

        if (fd < 0)
                return -EBADF;
        r = stream_new(opts, ret);
        if (r >= 0)
                (*ret)->fd = fd;
        return r;
}

int layer_stream_new_source(LayerSourceRead source, void *userdata, const LayerStreamOptions *opts,
                            LayerStream **ret) {
        int r;

        if (!source)
                return -EINVAL;
        r = stream_new(opts, ret);
        if (r >= 0) {
                (*ret)->source = source;
                (*ret)->userdata = userdata;
        }
        return r;
}

LayerStream *layer_stream_free(LayerStream *s) {
        if (!s)
                return NULL;
        if (s->z_ready)
                inflateEnd(&s->z);
        ZSTD_freeDStream(s->zd);
        oci_hasher_free(s->raw_hash);
        oci_hasher_free(s->tar_hash);
        free(s->in);
        free(s->out);
        free(s);
        return NULL;
}
