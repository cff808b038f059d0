/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/layer-stream on streams built in memory with zlib and libzstd: what may follow a compressed
 * stream (more members or frames, zero padding; nothing else), truncation, the declared compression,
 * the byte bound stopping early, digests of both sides. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include <cmocka.h>

#include "layer-stream.h"
#include "macro.h"

typedef struct Buf {
        uint8_t *data;
        size_t size;
} Buf;

static void append(Buf *b, const void *p, size_t n) {
        b->data = realloc(b->data, b->size + n);
        assert_non_null(b->data);
        memcpy(b->data + b->size, p, n);
        b->size += n;
}

static void append_gzip(Buf *b, const void *p, size_t n) {
        z_stream z = {};
        uint8_t out[65536];

        assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
        z.next_in = (Bytef *) p;
        z.avail_in = (uInt) n;
        z.next_out = out;
        z.avail_out = sizeof(out);
        assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
        append(b, out, sizeof(out) - z.avail_out);
        deflateEnd(&z);
}

static void append_zstd(Buf *b, const void *p, size_t n) {
        uint8_t out[65536];
        size_t k = ZSTD_compress(out, sizeof(out), p, n, 3);

        assert_false(ZSTD_isError(k));
        append(b, out, k);
}

typedef struct Cursor {
        const Buf *b;
        size_t pos;
} Cursor;

/* Seven bytes at a time: every boundary case of the buffering is crossed. */
static ssize_t source(void *buf, size_t size, void *userdata) {
        Cursor *c = userdata;
        size_t n = c->b->size - c->pos;

        if (n > size)
                n = size;
        if (n > 7)
                n = 7;
        memcpy(buf, c->b->data + c->pos, n);
        c->pos += n;
        return (ssize_t) n;
}

/* Read it all; returns what finish returned, the bytes in *out. */
static int drain(const Buf *b, const LayerStreamOptions *o, Buf *out, LayerStreamResult *res) {
        _cleanup_(layer_stream_freep) LayerStream *s = NULL;
        Cursor c = { b, 0 };
        const void *p;
        ssize_t n;

        assert_int_equal(layer_stream_new_source(source, &c, o, &s), 0);
        while ((n = layer_stream_read(s, &p)) > 0)
                if (out)
                        append(out, p, (size_t) n);
        if (n < 0) {
                layer_stream_result(s, res);
                return (int) n;
        }
        return layer_stream_finish(s, res);
}

static const char text1[] = "first member: hello, hello, hello, hello\n";
static const char text2[] = "second member\n";

static void test_gzip_members_and_padding(void **state) {
        LayerStreamOptions o = { .want_diff_id = true };
        LayerStreamResult res;
        Buf b = {}, out = {};
        OciDigest want;

        append_gzip(&b, text1, strlen(text1));
        append_gzip(&b, text2, strlen(text2));
        assert_int_equal(drain(&b, &o, &out, &res), 0);
        assert_int_equal(res.compression, OCI_COMPRESSION_GZIP);
        assert_int_equal(out.size, strlen(text1) + strlen(text2));
        assert_memory_equal(out.data + strlen(text1), text2, strlen(text2));
        oci_digest_buffer(out.data, out.size, &want);
        assert_true(oci_digest_equal(&res.diff_id, &want));
        /* zero padding after the last member: accepted (tape blocks); anything else: refused */
        append(&b, (uint8_t[300]) {}, 300);
        assert_int_equal(drain(&b, &o, NULL, &res), 0);
        append(&b, "junk", 4);
        assert_int_equal(drain(&b, &o, NULL, &res), -EBADMSG);
        assert_int_equal(res.failure, LAYER_STREAM_CORRUPT);
        free(b.data);
        free(out.data);
}

static void test_truncated(void **state) {
        LayerStreamOptions o = {};
        LayerStreamResult res;
        Buf g = {}, z = {};

        append_gzip(&g, text1, strlen(text1));
        g.size -= 5;
        assert_int_equal(drain(&g, &o, NULL, &res), -EBADMSG);
        assert_int_equal(res.failure, LAYER_STREAM_CORRUPT);
        append_zstd(&z, text1, strlen(text1));
        append_zstd(&z, text2, strlen(text2));
        assert_int_equal(drain(&z, &o, NULL, &res), 0);
        assert_int_equal(res.tar_bytes, strlen(text1) + strlen(text2));
        z.size -= 3;
        assert_int_equal(drain(&z, &o, NULL, &res), -EBADMSG);
        assert_int_equal(res.failure, LAYER_STREAM_CORRUPT);
        free(g.data);
        free(z.data);
}

static void test_declared_compression_and_digest(void **state) {
        OciDescriptor d = { .media_type = (char *) OCI_MEDIA_TYPE_LAYER_ZSTD };
        LayerStreamOptions o = { .descriptor = &d };
        LayerStreamResult res;
        Buf z = {};

        append_zstd(&z, text1, strlen(text1));
        d.size = (int64_t) z.size;
        oci_digest_buffer(z.data, z.size, &d.digest);
        assert_int_equal(drain(&z, &o, NULL, &res), 0);
        assert_true(oci_digest_equal(&res.digest, &d.digest));
        d.media_type = (char *) DOCKER_MEDIA_TYPE_LAYER_GZIP;
        assert_int_equal(drain(&z, &o, NULL, &res), -EBADMSG);
        assert_int_equal(res.failure, LAYER_STREAM_COMPRESSION);
        d.media_type = (char *) OCI_MEDIA_TYPE_LAYER_ZSTD;
        d.size--;
        assert_int_equal(drain(&z, &o, NULL, &res), -EBADMSG);
        assert_int_equal(res.failure, LAYER_STREAM_SIZE);
        assert_string_equal(layer_stream_failure_to_string(LAYER_STREAM_SIZE), "does not have the size its descriptor says");
        free(z.data);
}

/* A gzip of 64 MiB of zeros is 64 KiB: the bound stops it after about max_bytes of output, having read
 * only what those bytes needed. */
static void test_bound_stops_early(void **state) {
        LayerStreamOptions o = { .max_bytes = 1024 * 1024 };
        size_t big = 64 * 1024 * 1024;
        uint8_t *zeros = calloc(1, big);
        LayerStreamResult res;
        Buf b = {};

        assert_non_null(zeros);
        append_gzip(&b, zeros, big);
        free(zeros);
        assert_int_equal(drain(&b, &o, NULL, &res), -EFBIG);
        assert_int_equal(res.failure, LAYER_STREAM_TOO_BIG);
        assert_true(res.tar_bytes <= o.max_bytes + 256 * 1024);
        assert_true(res.raw_bytes < b.size);
        free(b.data);
}

static void test_sniff(void **state) {
        assert_int_equal(layer_stream_sniff((const uint8_t *) "\x1f\x8b\x08", 3), OCI_COMPRESSION_GZIP);
        assert_int_equal(layer_stream_sniff((const uint8_t *) "\x28\xb5\x2f\xfd", 4), OCI_COMPRESSION_ZSTD);
        assert_int_equal(layer_stream_sniff((const uint8_t *) "\x28\xb5\x2f", 3), OCI_COMPRESSION_NONE);
        assert_int_equal(layer_stream_sniff((const uint8_t *) "usr/", 4), OCI_COMPRESSION_NONE);
        assert_int_equal(layer_stream_sniff(NULL, 0), OCI_COMPRESSION_NONE);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_gzip_members_and_padding),
                cmocka_unit_test(test_truncated),
                cmocka_unit_test(test_declared_compression_and_digest),
                cmocka_unit_test(test_bound_stops_early),
                cmocka_unit_test(test_sniff),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
