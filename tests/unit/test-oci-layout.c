/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/oci-layout on layouts made in mkdtemp directories: create and open, blobs added whole and
 * streamed, index.json written and read back, tags resolved (also buildx's nested shape), and blobs
 * opened and read with their digest, size and path checked. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "file-util.h"
#include "macro.h"
#include "oci-layout.h"

static char *scratch(void) {
        char *d = strdup("/tmp/archway-oci-layout-XXXXXX");

        assert_non_null(d);
        assert_non_null(mkdtemp(d));
        return d;
}

static char *join(const char *dir, const char *rel) {
        char *p;

        assert_true(asprintf(&p, "%s/%s", dir, rel) > 0);
        return p;
}

static void put(const char *dir, const char *rel, const char *data) {
        _cleanup_free_ char *p = join(dir, rel);

        assert_int_equal(write_file_atomic(AT_FDCWD, p, data, strlen(data), 0644, NULL), 0);
}

static char *slurp(const char *dir, const char *rel) {
        _cleanup_free_ char *p = join(dir, rel);
        char *buf = NULL;

        assert_int_equal(read_file(p, 1 << 20, &buf, NULL), 0);
        return buf;
}

/* Names in dir/rel, hidden ones (temporaries) included, "." and ".." not. */
static unsigned count_entries(const char *dir, const char *rel) {
        _cleanup_free_ char *p = join(dir, rel);
        struct dirent *de;
        unsigned n = 0;
        DIR *d = opendir(p);

        assert_non_null(d);
        while ((de = readdir(d)))
                n += !streq(de->d_name, ".") && !streq(de->d_name, "..");
        closedir(d);
        return n;
}

static char *blob_rel(const OciDigest *d) {
        char *p;

        assert_true(asprintf(&p, "blobs/sha256/%s", oci_digest_hex(d)) > 0);
        return p;
}

/* ---- create and open --------------------------------------------------------------------------- */

static void test_create_and_open(void **state) {
        _cleanup_free_ char *d = scratch(), *path = join(d, "layout"), *version = NULL, *missing = NULL;
        _cleanup_oci_layout_ OciLayout *l = NULL, *again = NULL, *opened = NULL;
        OciIndex index;
        OciDescriptor desc;
        struct stat st;

        assert_int_equal(oci_layout_create(path, &l), 0);
        version = slurp(path, "oci-layout");
        assert_string_equal(version, "{\"imageLayoutVersion\":\"" OCI_LAYOUT_VERSION "\"}");
        missing = join(path, "blobs/sha256");
        assert_int_equal(stat(missing, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        free(missing);
        /* no index.json until one is written */
        missing = join(path, "index.json");
        assert_int_equal(access(missing, F_OK), -1);
        assert_int_equal(oci_layout_read_index(l, &index), -ENOENT);
        assert_int_equal(oci_layout_resolve(l, NULL, &desc), -ENOENT);

        /* an existing layout is opened as it is: its oci-layout is not rewritten */
        put(path, "oci-layout", "{\"imageLayoutVersion\": \"1.1.0\", \"x\": 1}");
        assert_int_equal(oci_layout_create(path, &again), 0);
        free(version);
        version = slurp(path, "oci-layout");
        assert_string_equal(version, "{\"imageLayoutVersion\": \"1.1.0\", \"x\": 1}");
        assert_int_equal(oci_layout_open(path, &opened), 0);
        assert_true(oci_layout_dirfd(opened) >= 0);
        assert_int_equal(rm_rf(d), 0);
}

static void test_open_refusals(void **state) {
        static const struct {
                const char *oci_layout;   /* contents, or NULL for none */
                int error;
        } rows[] = {
                { NULL, -EMEDIUMTYPE },
                { "", -EMEDIUMTYPE },
                { "{", -EMEDIUMTYPE },
                { "[]", -EMEDIUMTYPE },
                { "{\"imageLayoutVersion\":\"2.0.0\"}", -EMEDIUMTYPE },
                { "{\"imageLayoutVersion\":1}", -EMEDIUMTYPE },
                { "{\"version\":\"1.0.0\"}", -EMEDIUMTYPE },
                { "{\"imageLayoutVersion\":\"1.0.0\"}", 0 },
        };
        _cleanup_free_ char *d = scratch(), *nowhere = join(d, "nowhere"), *file = join(d, "file"),
                            *outside = join(d, "outside"), *linked = join(d, "linked"), *target = NULL;
        OciLayout *l = NULL;

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                _cleanup_free_ char *dir = scratch();

                if (rows[i].oci_layout)
                        put(dir, "oci-layout", rows[i].oci_layout);
                assert_int_equal(oci_layout_open(dir, &l), rows[i].error);
                if (rows[i].error == 0)
                        l = oci_layout_free(l);
                assert_int_equal(rm_rf(dir), 0);
        }
        assert_int_equal(oci_layout_open(nowhere, &l), -ENOENT);
        put(d, "file", "x");
        assert_int_equal(oci_layout_open(file, &l), -ENOTDIR);
        assert_int_equal(oci_layout_create(file, &l), -ENOTDIR);
        /* missing parents are not made */
        target = join(nowhere, "deeper");
        assert_int_equal(oci_layout_create(target, &l), -ENOENT);
        /* an oci-layout that is a symlink is not followed */
        assert_int_equal(mkdir(outside, 0755), 0);
        put(outside, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
        assert_int_equal(mkdir(linked, 0755), 0);
        free(target);
        target = join(linked, "oci-layout");
        assert_int_equal(symlink("../outside/oci-layout", target), 0);
        assert_true(oci_layout_open(linked, &l) < 0);
        assert_null(l);
        assert_int_equal(rm_rf(d), 0);
}

/* Regression (found by this test, fixed): lib/oci-layout.c, oci_layout_create(): layout_check_version()
 * answers -EMEDIUMTYPE both for a missing "oci-layout" and for one naming another major version, and
 * create writes {"imageLayoutVersion":"1.0.0"} over it in both cases. A directory that holds a layout
 * of version 2.0.0 is then relabelled 1.0.0 and opened, where the header says an existing layout "is
 * opened as it is" and oci_layout_open() refuses it. Expected: -EMEDIUMTYPE, the file untouched. */
static void test_create_keeps_other_versions(void **state) {
        char *d = scratch(), *version;
        OciLayout *l = NULL;
        int r;

        /* everything is cleaned up before the assertions */
        put(d, "oci-layout", "{\"imageLayoutVersion\":\"2.0.0\"}");
        r = oci_layout_create(d, &l);
        version = slurp(d, "oci-layout");
        if (r >= 0)
                oci_layout_free(l);
        assert_int_equal(rm_rf(d), 0);
        free(d);
        print_message("oci-layout after create: %s\n", version);
        r = r == -EMEDIUMTYPE && streq(version, "{\"imageLayoutVersion\":\"2.0.0\"}");
        free(version);
        assert_true(r);
}

/* ---- blobs ------------------------------------------------------------------------------------- */

static void test_add_blob(void **state) {
        static const char data[] = "{\"a\":1}";
        _cleanup_free_ char *d = scratch(), *rel = NULL, *back = NULL;
        _cleanup_oci_layout_ OciLayout *l = NULL;
        OciDigest got, want, other;

        assert_int_equal(oci_layout_create(d, &l), 0);
        assert_int_equal(oci_digest_buffer(data, strlen(data), &want), 0);
        assert_int_equal(oci_layout_has_blob(l, &want), 0);
        assert_int_equal(oci_layout_add_blob(l, data, strlen(data), &got), 0);
        assert_string_equal(got.str, want.str);
        assert_int_equal(oci_layout_has_blob(l, &want), 1);
        rel = blob_rel(&want);
        back = slurp(d, rel);
        assert_string_equal(back, data);
        /* again: the same blob, once; no temporaries */
        assert_int_equal(oci_layout_add_blob(l, data, strlen(data), NULL), 0);
        assert_int_equal(count_entries(d, "blobs/sha256"), 1);
        /* the empty blob has the well-known digest */
        assert_int_equal(oci_layout_add_blob(l, "", 0, &other), 0);
        assert_string_equal(other.str, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_int_equal(count_entries(d, "blobs/sha256"), 2);
        assert_int_equal(rm_rf(d), 0);
}

static void test_open_blob(void **state) {
        static const char data[] = "layer bytes";
        _cleanup_free_ char *d = scratch(), *outside = scratch(), *rel = NULL, *p = NULL, *o = NULL,
                            *blobs = NULL, *moved = NULL;
        _cleanup_oci_layout_ OciLayout *l = NULL;
        OciDigest dg, unknown;
        char buf[32] = {};
        int fd = -1;

        assert_int_equal(oci_layout_create(d, &l), 0);
        assert_int_equal(oci_layout_add_blob(l, data, strlen(data), &dg), 0);
        assert_int_equal(oci_layout_open_blob(l, &dg, (int64_t) strlen(data), &fd), 0);
        assert_int_equal(read(fd, buf, sizeof(buf)), (ssize_t) strlen(data));
        assert_string_equal(buf, data);
        close(fd);
        assert_int_equal(oci_layout_open_blob(l, &dg, -1, &fd), 0); /* size unknown: not checked */
        close(fd);
        fd = -1;
        /* another size: refused before reading */
        assert_int_equal(oci_layout_open_blob(l, &dg, (int64_t) strlen(data) + 1, &fd), -EMSGSIZE);
        assert_int_equal(oci_layout_open_blob(l, &dg, 0, &fd), -EMSGSIZE);
        assert_int_equal(fd, -1);
        assert_int_equal(oci_digest_buffer("nothing", 7, &unknown), 0);
        assert_int_equal(oci_layout_open_blob(l, &unknown, 7, &fd), -ENOENT);

        /* the blob a symlink to the same bytes elsewhere: -ELOOP, and not "had" */
        rel = blob_rel(&dg);
        p = join(d, rel);
        o = join(outside, "blob");
        assert_int_equal(rename(p, o), 0);
        assert_int_equal(symlink(o, p), 0);
        assert_int_equal(oci_layout_open_blob(l, &dg, (int64_t) strlen(data), &fd), -ELOOP);
        assert_int_equal(oci_layout_has_blob(l, &dg), 0);
        assert_int_equal(unlink(p), 0);
        /* blobs/ itself a symlink to a directory with the blob */
        assert_int_equal(rename(o, p), 0);
        blobs = join(d, "blobs");
        moved = join(outside, "blobs");
        assert_int_equal(rename(blobs, moved), 0);
        assert_int_equal(symlink(moved, blobs), 0);
        assert_int_equal(oci_layout_open_blob(l, &dg, (int64_t) strlen(data), &fd), -ELOOP);
        assert_int_equal(unlink(blobs), 0);
        assert_int_equal(rename(moved, blobs), 0);
        assert_int_equal(oci_layout_open_blob(l, &dg, (int64_t) strlen(data), &fd), 0);
        close(fd);
        /* a directory where the blob should be */
        assert_int_equal(unlink(p), 0);
        assert_int_equal(mkdir(p, 0755), 0);
        assert_int_equal(oci_layout_open_blob(l, &dg, -1, &fd), -EBADMSG);
        assert_int_equal(oci_layout_has_blob(l, &dg), 0);
        assert_int_equal(rm_rf(d), 0);
        assert_int_equal(rm_rf(outside), 0);
}

static void test_read_blob(void **state) {
        static const char data[] = "0123456789";
        _cleanup_free_ char *d = scratch(), *rel = NULL, *p = NULL, *buf = NULL;
        _cleanup_oci_layout_ OciLayout *l = NULL;
        OciDescriptor desc = { .media_type = (char *) OCI_MEDIA_TYPE_CONFIG, .size = 10 };
        size_t n = 0;

        assert_int_equal(oci_layout_create(d, &l), 0);
        assert_int_equal(oci_layout_add_blob(l, data, 10, &desc.digest), 0);
        assert_int_equal(oci_layout_read_blob(l, &desc, 10, &buf, &n), 0);
        assert_int_equal(n, 10);
        assert_string_equal(buf, data); /* NUL-terminated */
        free(buf);
        buf = NULL;

        /* bounds: the descriptor's size, then the file's */
        assert_int_equal(oci_layout_read_blob(l, &desc, 9, &buf, &n), -E2BIG);
        desc.size = 3;
        assert_int_equal(oci_layout_read_blob(l, &desc, 5, &buf, &n), -E2BIG);
        desc.size = -1;
        assert_true(oci_layout_read_blob(l, &desc, 100, &buf, &n) < 0);
        /* the size in the descriptor is not the file's */
        desc.size = 9;
        assert_int_equal(oci_layout_read_blob(l, &desc, 100, &buf, &n), -EBADMSG);
        desc.size = 11;
        assert_int_equal(oci_layout_read_blob(l, &desc, 100, &buf, &n), -EBADMSG);
        desc.size = 10;
        /* same size, other bytes: the digest says so */
        rel = blob_rel(&desc.digest);
        put(d, rel, "0123456780");
        assert_int_equal(oci_layout_read_blob(l, &desc, 100, &buf, &n), -EBADMSG);
        assert_null(buf);
        /* missing */
        p = join(d, rel);
        assert_int_equal(unlink(p), 0);
        assert_int_equal(oci_layout_read_blob(l, &desc, 100, &buf, &n), -ENOENT);
        /* a symlink to the right bytes */
        put(d, "elsewhere", data);
        assert_int_equal(symlink("../../elsewhere", p), 0);
        assert_int_equal(oci_layout_read_blob(l, &desc, 100, &buf, &n), -ELOOP);
        assert_null(buf);
        assert_int_equal(rm_rf(d), 0);
}

/* ---- the streaming writer ---------------------------------------------------------------------- */

static void test_blob_writer(void **state) {
        _cleanup_free_ char *d = scratch(), *rel = NULL, *back = NULL;
        _cleanup_oci_layout_ OciLayout *l = NULL;
        OciBlobWriter *w = NULL;
        OciDigest got, want, wrong;
        uint64_t size = 0;
        DIR *dir;
        struct dirent *de;
        bool tmp_seen = false;

        assert_int_equal(oci_layout_create(d, &l), 0);
        assert_int_equal(oci_digest_buffer("hello, world", 12, &want), 0);

        /* written in pieces into a hidden temporary, then renamed to its digest */
        assert_int_equal(oci_blob_writer_new(l, &w), 0);
        rel = join(d, "blobs/sha256");
        dir = opendir(rel);
        assert_non_null(dir);
        while ((de = readdir(dir)))
                tmp_seen |= strneq(de->d_name, ".tmp-", 5);
        closedir(dir);
        assert_true(tmp_seen);
        assert_int_equal(oci_blob_writer_write(w, "hello", 5), 0);
        assert_int_equal(oci_blob_writer_write(w, ", ", 2), 0);
        assert_int_equal(oci_blob_writer_write(w, "world", 5), 0);
        assert_int_equal(oci_blob_writer_finish(w, &want, &got, &size), 0);
        assert_string_equal(got.str, want.str);
        assert_int_equal(size, 12);
        assert_int_equal(oci_layout_has_blob(l, &want), 1);
        assert_int_equal(count_entries(d, "blobs/sha256"), 1);
        free(rel);
        rel = blob_rel(&want);
        back = slurp(d, rel);
        assert_string_equal(back, "hello, world");
        /* finished: no more writes */
        assert_int_equal(oci_blob_writer_write(w, "x", 1), -EBADF);
        assert_int_equal(oci_blob_writer_finish(w, NULL, &got, &size), -EBADF);
        w = oci_blob_writer_free(w);

        /* content that does not hash to what was expected is not stored */
        wrong = want;
        wrong.str[10] = wrong.str[10] == 'a' ? 'b' : 'a';
        assert_int_equal(oci_blob_writer_new(l, &w), 0);
        assert_int_equal(oci_blob_writer_write(w, "hello, world", 12), 0);
        assert_int_equal(oci_blob_writer_finish(w, &wrong, &got, &size), -EBADMSG);
        assert_int_equal(oci_layout_has_blob(l, &wrong), 0);
        assert_int_equal(count_entries(d, "blobs/sha256"), 1);
        w = oci_blob_writer_free(w);

        /* freed before finishing: the temporary goes */
        assert_int_equal(oci_blob_writer_new(l, &w), 0);
        assert_int_equal(oci_blob_writer_write(w, "partial", 7), 0);
        assert_int_equal(count_entries(d, "blobs/sha256"), 2);
        w = oci_blob_writer_free(w);
        assert_null(w);
        assert_int_equal(count_entries(d, "blobs/sha256"), 1);
        assert_int_equal(rm_rf(d), 0);
}

/* ---- index.json -------------------------------------------------------------------------------- */

static void descriptor(OciDescriptor *d, OciLayout *l, const char *media_type, const char *content,
                       const char *ref_name) {
        *d = (OciDescriptor) { .media_type = (char *) media_type, .size = (int64_t) strlen(content),
                               .ref_name = (char *) ref_name };
        assert_int_equal(oci_layout_add_blob(l, content, strlen(content), &d->digest), 0);
}

static void test_index_write_read_resolve(void **state) {
        _cleanup_free_ char *d = scratch(), *json = NULL, *written = NULL;
        _cleanup_oci_layout_ OciLayout *l = NULL;
        OciDescriptor m1, m2, got = {};
        OciIndex index = {}, back = {};
        size_t n;

        assert_int_equal(oci_layout_create(d, &l), 0);
        descriptor(&m1, l, OCI_MEDIA_TYPE_MANIFEST, "{\"m\":1}", "v1");
        descriptor(&m2, l, OCI_MEDIA_TYPE_MANIFEST, "{\"m\":2}", "v2");

        /* one entry: resolved with or without its tag */
        assert_int_equal(oci_index_add(&index, &m1), 0);
        assert_int_equal(oci_layout_write_index(l, &index), 0);
        assert_int_equal(oci_layout_resolve(l, NULL, &got), 0);
        assert_string_equal(got.digest.str, m1.digest.str);
        oci_descriptor_done(&got);
        assert_int_equal(oci_layout_resolve(l, "v1", &got), 0);
        assert_string_equal(got.ref_name, "v1");
        oci_descriptor_done(&got);

        /* two: by tag only; index.json replaced whole, with nothing left behind */
        assert_int_equal(oci_index_add(&index, &m2), 0);
        assert_int_equal(oci_layout_write_index(l, &index), 0);
        assert_int_equal(count_entries(d, "."), 3); /* oci-layout, blobs, index.json */
        written = slurp(d, "index.json");
        assert_int_equal(oci_index_to_json(&index, &json, &n), 0);
        assert_string_equal(written, json);
        assert_int_equal(oci_layout_read_index(l, &back), 0);
        assert_int_equal(back.n_manifests, 2);
        assert_string_equal(back.manifests[1].digest.str, m2.digest.str);
        assert_int_equal(back.manifests[1].size, m2.size);
        assert_string_equal(back.manifests[1].media_type, OCI_MEDIA_TYPE_MANIFEST);
        assert_string_equal(back.manifests[1].ref_name, "v2");
        oci_index_done(&back);

        assert_int_equal(oci_layout_resolve(l, "v2", &got), 0);
        assert_string_equal(got.digest.str, m2.digest.str);
        oci_descriptor_done(&got);
        assert_int_equal(oci_layout_resolve(l, "v3", &got), -ENOENT);
        assert_int_equal(oci_layout_resolve(l, NULL, &got), -EADDRNOTAVAIL);
        oci_index_done(&index);

        /* an empty index */
        index = (OciIndex) {};
        assert_int_equal(oci_layout_write_index(l, &index), 0);
        assert_int_equal(oci_layout_resolve(l, NULL, &got), -ENOENT);
        /* a malformed one */
        put(d, "index.json", "{\"schemaVersion\":2");
        assert_int_equal(oci_layout_resolve(l, NULL, &got), -EBADMSG);
        assert_int_equal(rm_rf(d), 0);
}

/* What `docker buildx build --output type=oci` writes: index.json has one entry, itself an index
 * (one manifest per platform), named by ref.name and by containerd's image name. Resolving the tag
 * gives that index; the caller reads it and goes on. */
static void test_resolve_buildx_nested(void **state) {
        _cleanup_free_ char *d = scratch(), *top = NULL, *inner = NULL, *buf = NULL;
        _cleanup_oci_layout_ OciLayout *l = NULL;
        OciDescriptor amd, arm, got = {};
        OciIndex nested = {};
        OciDigest inner_digest;
        size_t n;

        assert_int_equal(oci_layout_create(d, &l), 0);
        descriptor(&amd, l, OCI_MEDIA_TYPE_MANIFEST, "{\"amd64\":1}", NULL);
        descriptor(&arm, l, OCI_MEDIA_TYPE_MANIFEST, "{\"arm64\":1}", NULL);
        assert_true(asprintf(&inner,
                             "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MEDIA_TYPE_INDEX "\",\"manifests\":["
                             "{\"mediaType\":\"" OCI_MEDIA_TYPE_MANIFEST "\",\"digest\":\"%s\",\"size\":%" PRId64 ","
                             "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
                             "{\"mediaType\":\"" OCI_MEDIA_TYPE_MANIFEST "\",\"digest\":\"%s\",\"size\":%" PRId64 ","
                             "\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}}]}",
                             amd.digest.str, amd.size, arm.digest.str, arm.size) > 0);
        assert_int_equal(oci_layout_add_blob(l, inner, strlen(inner), &inner_digest), 0);
        assert_true(asprintf(&top,
                             "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MEDIA_TYPE_INDEX "\",\"manifests\":["
                             "{\"mediaType\":\"" OCI_MEDIA_TYPE_INDEX "\",\"digest\":\"%s\",\"size\":%zu,"
                             "\"annotations\":{\"io.containerd.image.name\":\"docker.io/library/app:v7\","
                             "\"org.opencontainers.image.created\":\"2024-01-01T00:00:00Z\","
                             "\"org.opencontainers.image.ref.name\":\"v7\"}}]}",
                             inner_digest.str, strlen(inner)) > 0);
        put(d, "index.json", top);

        assert_int_equal(oci_layout_resolve(l, "v7", &got), 0);
        assert_string_equal(got.media_type, OCI_MEDIA_TYPE_INDEX);
        assert_string_equal(got.digest.str, inner_digest.str);
        assert_int_equal(oci_layout_read_blob(l, &got, OCI_MANIFEST_SIZE_MAX, &buf, &n), 0);
        assert_int_equal(oci_index_parse(buf, n, &nested), 0);
        assert_int_equal(nested.n_manifests, 2);
        assert_string_equal(nested.manifests[1].digest.str, arm.digest.str);
        oci_index_done(&nested);
        oci_descriptor_done(&got);
        /* the only entry, untagged */
        assert_int_equal(oci_layout_resolve(l, NULL, &got), 0);
        assert_string_equal(got.digest.str, inner_digest.str);
        oci_descriptor_done(&got);
        assert_int_equal(oci_layout_resolve(l, "latest", &got), -ENOENT);
        free(top);

        /* containerd's name alone (no ref.name): its tag still finds it */
        assert_true(asprintf(&top,
                             "{\"schemaVersion\":2,\"manifests\":["
                             "{\"mediaType\":\"" OCI_MEDIA_TYPE_INDEX "\",\"digest\":\"%s\",\"size\":%zu,"
                             "\"annotations\":{\"io.containerd.image.name\":\"registry.example:5000/team/app:v8\"}}]}",
                             inner_digest.str, strlen(inner)) > 0);
        put(d, "index.json", top);
        assert_int_equal(oci_layout_resolve(l, "v8", &got), 0);
        assert_string_equal(got.digest.str, inner_digest.str);
        oci_descriptor_done(&got);
        assert_int_equal(oci_layout_resolve(l, "registry.example:5000/team/app:v8", &got), 0);
        oci_descriptor_done(&got);
        assert_int_equal(oci_layout_resolve(l, "v9", &got), -ENOENT);
        free(top);

        /* a name without a tag: the registry's port is not a tag */
        assert_true(asprintf(&top,
                             "{\"schemaVersion\":2,\"manifests\":["
                             "{\"mediaType\":\"" OCI_MEDIA_TYPE_INDEX "\",\"digest\":\"%s\",\"size\":%zu,"
                             "\"annotations\":{\"io.containerd.image.name\":\"registry.example:5000/team/app\"}}]}",
                             inner_digest.str, strlen(inner)) > 0);
        put(d, "index.json", top);
        assert_int_equal(oci_layout_resolve(l, "5000/team/app", &got), -ENOENT);
        assert_int_equal(oci_layout_resolve(l, "registry.example:5000/team/app", &got), 0);
        oci_descriptor_done(&got);
        assert_int_equal(rm_rf(d), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_create_and_open),
                cmocka_unit_test(test_open_refusals),
                cmocka_unit_test(test_create_keeps_other_versions),
                cmocka_unit_test(test_add_blob),
                cmocka_unit_test(test_open_blob),
                cmocka_unit_test(test_read_blob),
                cmocka_unit_test(test_blob_writer),
                cmocka_unit_test(test_index_write_read_resolve),
                cmocka_unit_test(test_resolve_buildx_nested),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
