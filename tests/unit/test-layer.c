/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Layer paths and whiteouts (pure), and the streaming reader on tar streams built in memory with
 * libarchive: compression sniffing, heads, read-ahead, refusals, digest and truncation checks. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <zstd.h>

#include "docker-archive.h"
#include "layer-reader.h"
#include "tar-fixture.h"

static void check_norm(const char *in, const char *want, int error) {
        char *out = NULL;
        int r = layer_path_normalize(in, &out);

        assert_int_equal(r, error);
        if (want)
                assert_string_equal(out, want);
        free(out);
}

static void test_normalize(void **state) {
        check_norm("./usr//bin/", "usr/bin", 0);
        check_norm("usr/bin/x", "usr/bin/x", 0);
        check_norm("./", "", 0);
        check_norm(".", "", 0);
        check_norm("a/./b", "a/b", 0);
        check_norm("..", NULL, -EINVAL);
        check_norm("a/../b", NULL, -EINVAL);
        check_norm("../../etc/passwd", NULL, -EINVAL);
        check_norm("/etc/passwd", NULL, -EINVAL);
        check_norm("", NULL, -EINVAL);
        check_norm("a..b/..c", "a..b/..c", 0);
}

static void test_whiteouts(void **state) {
        char *t = NULL;

        assert_int_equal(layer_whiteout_classify("usr/bin/x", &t), LAYER_WHITEOUT_NONE);
        assert_null(t);
        assert_int_equal(layer_whiteout_classify("usr/bin/.wh.x", &t), LAYER_WHITEOUT_FILE);
        assert_string_equal(t, "usr/bin/x");
        free(t);
        assert_int_equal(layer_whiteout_classify(".wh.top", &t), LAYER_WHITEOUT_FILE);
        assert_string_equal(t, "top");
        free(t);
        assert_int_equal(layer_whiteout_classify("opt/.wh..wh..opq", &t), LAYER_WHITEOUT_OPAQUE_DIR);
        assert_string_equal(t, "opt");
        free(t);
        assert_int_equal(layer_whiteout_classify(".wh..wh..opq", &t), LAYER_WHITEOUT_OPAQUE_DIR);
        assert_string_equal(t, "");
        free(t);
        assert_int_equal(layer_whiteout_classify("a/.wh.", &t), -EINVAL);
        assert_int_equal(layer_whiteout_classify("a/.wh...", &t), -EINVAL);
}

static void check_link(const char *link, const char *target, const char *want) {
        char *out;

        assert_int_equal(layer_path_resolve_link(link, target, &out), 0);
        assert_string_equal(out, want);
        free(out);
}

static void test_resolve_link(void **state) {
        check_link("usr/bin/x", "../../lib/y", "lib/y");
        check_link("usr/bin/x", "../../../../lib/y", "lib/y"); /* clamped at the root */
        check_link("bin/sh", "busybox", "bin/busybox");
        check_link("lib", "usr/lib", "usr/lib");
        check_link("a/b", "/c/./d/", "c/d");
}

/* ---- reader ------------------------------------------------------------------------------------ */

/* A layer: a file whose bytes 150000..150003 are "FAR!", a symlink, a hardlink, whiteouts, and an
 * optional hostile name. */
static Buf make_layer(OciCompression c, const char *hostile) {
        static char big[200000];
        const Ent ents[] = {
                DIR_("./usr/", 0755),
                { .name = "./usr/big", .type = AE_IFREG, .mode = 0755, .data = big, .size = sizeof(big) },
                FILE_("./usr/small", 0755, "#!/bin/sh\n"),
                LINK_("./usr/link", "big"),
                HARD_("./usr/hard", "./usr/big"),
                FILE_("./usr/.wh.gone", 0755, ""),
                FILE_("./opt/.wh..wh..opq", 0755, ""),
                FILE_(hostile, 0755, "x"),
        };

        memset(big, 'x', sizeof(big));
        memcpy(big, "\177ELF", 4);
        memcpy(big + 150000, "FAR!", 4);
        return tar_make(ents, ELEMENTSOF(ents) - !hostile, c);
}

typedef struct Seen {
        unsigned n, files, whiteouts, opaque, links, hardlinks;
        size_t big_head;
        char far[5];
} Seen;

static int seen_cb(const LayerEntry *e, void *userdata) {
        Seen *s = userdata;

        s->n++;
        if (e->whiteout == LAYER_WHITEOUT_FILE) {
                assert_string_equal(e->path, "usr/gone");
                s->whiteouts++;
        } else if (e->whiteout == LAYER_WHITEOUT_OPAQUE_DIR) {
                assert_string_equal(e->path, "opt");
                s->opaque++;
        } else if (e->type == LAYER_ENTRY_SYMLINK) {
                assert_string_equal(e->link_target, "big");
                s->links++;
        } else if (e->type == LAYER_ENTRY_HARDLINK) {
                assert_string_equal(e->link_target, "usr/big");
                s->hardlinks++;
        } else if (e->type == LAYER_ENTRY_REGULAR) {
                s->files++;
                if (streq(e->path, "usr/big")) {
                        s->big_head = e->head_size;
                        assert_memory_equal(e->head, "\177ELF", 4);
                        /* in a truncated stream, reading ahead is what finds the end */
                        if (layer_reader_read_at(e->reader, 150000, s->far, 4) < 0)
                                return -EBADMSG;
                        assert_int_equal(layer_reader_read_at(e->reader, 10, s->far, 4), -ESPIPE);
                } else
                        assert_int_equal(e->head_size, 10);
        }
        return 0;
}

static ssize_t mem_source(void *buf, size_t size, void *userdata) {
        Buf *b = userdata;
        size_t n = size < b->size ? size : b->size;

        memcpy(buf, b->data, n);
        b->data += n;
        b->size -= n;
        return (ssize_t) n;
}

static ErrorDetail last_err;

static int read_buf(const Buf *b, const LayerReadOptions *o, Seen *s, LayerReadResult *res) {
        Buf cursor = *b;

        *s = (Seen) {};
        last_err = (ErrorDetail) {};
        return layer_read_source(mem_source, &cursor, o, seen_cb, s, res, &last_err);
}

static void test_reader(void **state) {
        static const OciCompression want[] = { OCI_COMPRESSION_NONE, OCI_COMPRESSION_GZIP, OCI_COMPRESSION_ZSTD };

        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                Buf b = make_layer(want[i], NULL);
                OciDescriptor d = { .media_type = (char *) oci_layer_media_type(want[i]), .size = (int64_t) b.size };
                LayerReadOptions o = { .stream.descriptor = &d, .stream.want_diff_id = true };
                LayerReadResult res;
                OciDigest diff_id;
                Seen s;

                assert_int_equal(oci_digest_buffer(b.data, b.size, &d.digest), 0);
                assert_int_equal(read_buf(&b, &o, &s, &res), 0);
                assert_int_equal(res.stream.compression, want[i]);
                assert_int_equal(res.stream.raw_bytes, b.size);
                assert_true(res.stream.tar_bytes >= b.size / 2);
                assert_int_equal(s.files, 2);
                assert_int_equal(s.whiteouts, 1);
                assert_int_equal(s.opaque, 1);
                assert_int_equal(s.links, 1);
                assert_int_equal(s.hardlinks, 1);
                assert_int_equal(s.big_head, LAYER_HEAD_DEFAULT);
                assert_string_equal(s.far, "FAR!");

                /* the diff_id it computed is what a check against it accepts; another is refused */
                diff_id = res.stream.diff_id;
                o.stream.diff_id = &diff_id;
                assert_int_equal(read_buf(&b, &o, &s, &res), 0);
                diff_id.str[10] ^= 1;
                assert_int_equal(read_buf(&b, &o, &s, &res), -EBADMSG);
                assert_int_equal(res.stream.failure, LAYER_STREAM_DIFF_ID);
                o.stream.diff_id = NULL;

                /* wrong size, wrong digest, truncation */
                d.size++;
                assert_int_equal(read_buf(&b, &o, &s, &res), -EBADMSG);
                assert_int_equal(res.stream.failure, LAYER_STREAM_SIZE);
                d.size--;
                b.data[b.size - 1] ^= 1;
                assert_int_equal(read_buf(&b, &o, &s, &res), -EBADMSG);
                b.data[b.size - 1] ^= 1;
                b.size /= 2;
                assert_int_equal(read_buf(&b, &o, &s, &res), -EBADMSG);
                free(b.data);
        }
}

/* The media type decides what the bytes must be; what they unpack to is bounded. */
static void test_reader_checks(void **state) {
        Buf gz = make_layer(OCI_COMPRESSION_GZIP, NULL);
        OciDescriptor d = { .media_type = (char *) OCI_MEDIA_TYPE_LAYER, .size = (int64_t) gz.size };
        LayerReadOptions o = { .stream.descriptor = &d };
        LayerReadResult res;
        Seen s;

        assert_int_equal(oci_digest_buffer(gz.data, gz.size, &d.digest), 0);
        assert_int_equal(read_buf(&gz, &o, &s, &res), -EBADMSG);
        assert_int_equal(res.stream.failure, LAYER_STREAM_COMPRESSION);
        d.media_type = (char *) OCI_MEDIA_TYPE_LAYER_ZSTD;
        assert_int_equal(read_buf(&gz, &o, &s, &res), -EBADMSG);
        assert_int_equal(res.stream.failure, LAYER_STREAM_COMPRESSION);
        d.media_type = (char *) "application/vnd.example.not-a-layer";
        assert_int_equal(read_buf(&gz, &o, &s, &res), -EBADMSG);
        assert_int_equal(res.stream.failure, LAYER_STREAM_MEDIA_TYPE);
        assert_non_null(strstr(last_err.message, "media type"));
        d.media_type = (char *) DOCKER_MEDIA_TYPE_LAYER_GZIP;
        assert_int_equal(read_buf(&gz, &o, &s, &res), 0);

        /* bounds: uncompressed bytes, entries, name length */
        o = (LayerReadOptions) { .stream.max_bytes = 4096 };
        assert_int_equal(read_buf(&gz, &o, &s, &res), -EFBIG);
        o = (LayerReadOptions) { .max_entries = 3 };
        assert_int_equal(read_buf(&gz, &o, &s, &res), -E2BIG);
        assert_non_null(strstr(last_err.message, "layer-entries"));
        o = (LayerReadOptions) { .max_path = 4 };
        assert_int_equal(read_buf(&gz, &o, &s, &res), -ENAMETOOLONG);
        free(gz.data);
}

static void test_reader_refusals(void **state) {
        static const char * const names[] = { "../evil", "/etc/evil", "a/../../evil" };
        LayerReadResult res;
        Seen s;

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                Buf b = make_layer(OCI_COMPRESSION_GZIP, names[i]);
                assert_int_equal(read_buf(&b, NULL, &s, &res), -EBADMSG);
                assert_non_null(strstr(last_err.message, names[i]));
                free(b.data);
        }
        /* not a tar at all */
        Buf junk = { .data = (uint8_t *) strdup("this is not a tar archive, not even close......"), .size = 48 };
        assert_int_equal(read_buf(&junk, NULL, &s, &res), -EBADMSG);
        free(junk.data);
}

static void test_docker_archive_manifest(void **state) {
        static const char ok[] = "[{\"Config\":\"abc.json\",\"RepoTags\":[\"x/y:v1\"],\"Layers\":[\"l1.tar\",\"./d/layer.tar\"]}]";
        static const char dotdot[] = "[{\"Config\":\"../abc.json\",\"RepoTags\":null,\"Layers\":[]}]";
        DockerArchiveManifest m = {};

        assert_int_equal(docker_archive_manifest_parse(ok, strlen(ok), &m), 0);
        assert_int_equal(m.images[0].n_layers, 2);
        assert_string_equal(m.images[0].layers[1], "d/layer.tar");
        assert_int_equal(docker_archive_manifest_find(&m, "v1"), 0);
        assert_int_equal(docker_archive_manifest_find(&m, "x/y:v1"), 0);
        assert_int_equal(docker_archive_manifest_find(&m, NULL), 0);
        assert_int_equal(docker_archive_manifest_find(&m, "v2"), -ENOENT);
        docker_archive_manifest_done(&m);
        assert_int_equal(docker_archive_manifest_parse(dotdot, strlen(dotdot), &m), -EBADMSG);
        assert_int_equal(docker_archive_manifest_parse("[]", 2, &m), -EBADMSG);
        assert_int_equal(docker_archive_manifest_parse("{", 1, &m), -EBADMSG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_normalize),
                cmocka_unit_test(test_whiteouts),
                cmocka_unit_test(test_resolve_link),
                cmocka_unit_test(test_reader),
                cmocka_unit_test(test_reader_checks),
                cmocka_unit_test(test_reader_refusals),
                cmocka_unit_test(test_docker_archive_manifest),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
