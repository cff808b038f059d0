/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/layer-extract on layers it must refuse or bound: escapes, names, sizes and counts, sparse
 * files, the diff_id check, and a message naming the cause for every failure. */

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "extract-fixture.h"
#include "file-util.h"
#include "macro.h"

static void test_extract_refusals(void **state) {
        _cleanup_free_ char *outside = scratch(), *secret = join(outside, "secret");
        const struct {
                Ent ents[2];
                int error;
                const char *named;  /* the message quotes this name, or NULL */
        } rows[] = {
                { { FILE_("../evil", 0644, "x") },             -EBADMSG, "'../evil'" },
                { { FILE_("/etc/evil", 0644, "x") },           -EBADMSG, "'/etc/evil'" },
                { { FILE_("./a/../../evil", 0644, "x") },      -EBADMSG, "'./a/../../evil'" },
                { { HARD_("./h", "../secret") },               -EBADMSG, "'../secret'" },
                /* a directory symlink out of root, then a file through it (see also
                 * test_extract_refusals_name_the_entry) */
                { { LINK_("./esc", outside), FILE_("./esc/evil", 0644, "x") }, -EBADMSG },
                { { LINK_("./esc", ".."), FILE_("./esc/evil", 0644, "x") },    -EBADMSG },
                /* a hardlink to a file outside, through a symlink: libarchive's SECURE_SYMLINKS */
                { { LINK_("./esc", outside), HARD_("./stolen", "./esc/secret") } },
        };

        assert_int_equal(write_file_atomic(AT_FDCWD, secret, "secret", 6, 0600, NULL), 0);
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                _cleanup_free_ char *root = scratch(), *parent_evil = join(root, "../evil");
                Buf b = tar_make(rows[i].ents, rows[i].ents[1].name ? 2 : 1, OCI_COMPRESSION_GZIP);
                int r;

                print_message("row %zu: %s\n", i, rows[i].ents[rows[i].ents[1].name ? 1 : 0].name);
                r = extract_fails(b, root, NULL);
                if (rows[i].error)
                        assert_int_equal(r, rows[i].error);
                if (rows[i].named)
                        assert_non_null(strstr(extract_err.message, rows[i].named));
                assert_false(exists(outside, "evil"));
                assert_false(exists(root, "stolen"));
                assert_false(exists(root, "h"));
                assert_int_equal(access(parent_evil, F_OK), -1);
                assert_int_equal(rm_rf(root), 0);
        }
        assert_int_equal(rm_rf(outside), 0);
}

/* Regression (found by this test, fixed): refused entries are not named, or named wrongly.
 * lib/layer-extract.c, prepare_entry(): when make_parents() fails (-ENOTDIR: "esc" is a symlink) it
 * returns without refuse_name(), so layer_read_explain() says "could not be read: Not a directory",
 * not which entry, and the error is -ENOTDIR where the header promises -EBADMSG for a refused name; the
 * same for a whiteout name layer_whiteout_classify() refuses ("a/.wh."): "is not a valid tar stream".
 * extract_one(): when libarchive refuses an entry (a hardlink through a symlink, or to a target that
 * is nowhere), the name quoted is the entry's rewritten absolute path under root (the host's
 * temporary directory) with the reason "names are relative, without \"..\"", and the error is -EIO
 * or -ENOENT. */
static void test_extract_refusals_name_the_entry(void **state) {
        char *outside = scratch(), *secret = join(outside, "secret");
        const struct {
                Ent ents[2];
                const char *entry, *or_target; /* the message names one of them */
        } rows[] = {
                { { LINK_("./esc", outside), FILE_("./esc/evil", 0644, "x") }, "esc/evil" },
                { { LINK_("./esc", outside), HARD_("./stolen", "./esc/secret") }, "stolen'", "esc/secret" },
                { { HARD_("./b", "./nowhere") }, "b'", "nowhere" },
                { { FILE_("./a/.wh.", 0644, "") }, "a/.wh." },
        };
        struct {
                int r;
                bool named, leaks_root;
        } got[ELEMENTSOF(rows)];

        /* everything is cleaned up before the assertions */
        assert_int_equal(write_file_atomic(AT_FDCWD, secret, "secret", 6, 0600, NULL), 0);
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                char *root = scratch();

                got[i].r = extract_fails(tar_make(rows[i].ents, rows[i].ents[1].name ? 2 : 1, OCI_COMPRESSION_NONE),
                                         root, NULL);
                got[i].named = strstr(extract_err.message, rows[i].entry) ||
                               (rows[i].or_target && strstr(extract_err.message, rows[i].or_target));
                got[i].leaks_root = strstr(extract_err.message, root);
                print_message("message: %s\n", extract_err.message);
                assert_int_equal(rm_rf(root), 0);
                free(root);
        }
        assert_int_equal(rm_rf(outside), 0);
        free(outside);
        free(secret);
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                assert_int_equal(got[i].r, -EBADMSG);
                assert_true(got[i].named);
                assert_false(got[i].leaks_root);
        }
}

/* A regular file entry over a symlink of the same layer replaces the link; the file it pointed at is
 * untouched. */
static void test_extract_file_over_symlink(void **state) {
        _cleanup_free_ char *outside = scratch(), *secret = join(outside, "secret"), *root = scratch(),
                            *back = NULL;
        const Ent ents[] = {
                LINK_("./x", secret),
                FILE_("./x", 0644, "replaced"),
        };
        Buf b = LAYER(ents, OCI_COMPRESSION_NONE);
        LayerReadResult res;

        assert_int_equal(write_file_atomic(AT_FDCWD, secret, "secret", 6, 0600, NULL), 0);
        assert_int_equal(extract(&b, root, NULL, &res), 0);
        assert_file(root, "x", "replaced", 0644);
        assert_int_equal(read_file(secret, 100, &back, NULL), 0);
        assert_string_equal(back, "secret");
        free(b.data);
        assert_int_equal(rm_rf(root), 0);
        assert_int_equal(rm_rf(outside), 0);
}

static void test_extract_bounds(void **state) {
        char long_name[300];
        const Ent ents[] = {
                DIR_("./d/", 0755),
                FILE_("./d/one", 0644, "1"),
                FILE_("./d/two", 0644, "22"),
                FILE_("./d/three", 0644, "333"),
                LINK_("./d/four", "one"),
        };
        Buf b = LAYER(ents, OCI_COMPRESSION_GZIP);
        LayerReadResult res;
        LayerExtractOptions o;

        /* exactly at the bounds: fine */
        {
                _cleanup_free_ char *root = scratch();
                o = (LayerExtractOptions) { .read.max_entries = 5, .read.max_path = strlen("./d/three") };
                assert_int_equal(extract(&b, root, &o, &res), 0);
                assert_int_equal(rm_rf(root), 0);
        }
        /* one entry too many */
        {
                _cleanup_free_ char *root = scratch();
                o = (LayerExtractOptions) { .read.max_entries = 4 };
                assert_int_equal(extract(&b, root, &o, &res), -E2BIG);
                assert_non_null(strstr(extract_err.message, "more than 4 entries"));
                assert_false(exists(root, "d/four"));
                assert_int_equal(rm_rf(root), 0);
        }
        /* a name one byte too long */
        {
                _cleanup_free_ char *root = scratch();
                o = (LayerExtractOptions) { .read.max_path = strlen("./d/three") - 1 };
                assert_int_equal(extract(&b, root, &o, &res), -ENAMETOOLONG);
                assert_non_null(strstr(extract_err.message, "./d/three"));
                assert_int_equal(rm_rf(root), 0);
        }
        /* the default path bound is LAYER_PATH_MAX */
        {
                _cleanup_free_ char *root = scratch(), *huge = malloc(LAYER_PATH_MAX + 2);
                assert_non_null(huge);
                memset(huge, 'n', LAYER_PATH_MAX + 1);
                for (size_t k = 100; k < LAYER_PATH_MAX; k += 100)
                        huge[k] = '/';
                huge[LAYER_PATH_MAX + 1] = 0;
                Ent big[] = { FILE_(huge, 0644, "x") };
                Buf hb = LAYER(big, OCI_COMPRESSION_NONE);
                assert_int_equal(extract_fails(hb, root, NULL), -ENAMETOOLONG);
                assert_int_equal(rm_rf(root), 0);
        }
        /* a link target counts too */
        {
                _cleanup_free_ char *root = scratch();
                memset(long_name, 't', sizeof(long_name) - 1);
                long_name[sizeof(long_name) - 1] = 0;
                Ent lk[] = { LINK_("./l", long_name) };
                o = (LayerExtractOptions) { .read.max_path = 200 };
                assert_int_equal(extract_fails(LAYER(lk, OCI_COMPRESSION_NONE), root, &o), -ENAMETOOLONG);
                assert_int_equal(rm_rf(root), 0);
        }
        /* uncompressed bytes */
        {
                _cleanup_free_ char *root = scratch();
                o = (LayerExtractOptions) { .read.stream.max_bytes = 1024 };
                assert_int_equal(extract(&b, root, &o, &res), -EFBIG);
                assert_non_null(strstr(extract_err.message, "layer-bytes"));
                assert_int_equal(res.stream.failure, LAYER_STREAM_TOO_BIG);
                assert_int_equal(rm_rf(root), 0);
        }
        free(b.data);
}

/* A sparse file is small in the stream but counts by the size it unpacks to; unbounded it is
 * written sparse. */
static void test_extract_sparse(void **state) {
        const int64_t size = 8 * 1024 * 1024;
        Buf b = tar_make_sparse("./sparse", size);
        LayerReadResult res;
        LayerExtractOptions o;

        assert_true(b.size < 64 * 1024);
        {
                _cleanup_free_ char *root = scratch();
                /* far above the tar's bytes, below the file's size */
                o = (LayerExtractOptions) { .read.stream.max_bytes = 1024 * 1024 };
                assert_int_equal(extract(&b, root, &o, &res), -EFBIG);
                assert_non_null(strstr(extract_err.message, "layer-bytes"));
                assert_int_equal(rm_rf(root), 0);
        }
        {
                _cleanup_free_ char *root = scratch(), *p = join(root, "sparse");
                char tail[4];
                struct stat st;
                int fd;

                o = (LayerExtractOptions) { .read.stream.max_bytes = (uint64_t) size };
                assert_int_equal(extract(&b, root, &o, &res), 0);
                assert_int_equal(res.file_bytes, size);
                assert_int_equal(stat(p, &st), 0);
                assert_int_equal(st.st_size, size);
                assert_true(st.st_blocks * 512 < size / 2);
                fd = open(p, O_RDONLY | O_CLOEXEC);
                assert_true(fd >= 0);
                assert_int_equal(pread(fd, tail, 4, size - 4), 4);
                assert_memory_equal(tail, "SSSS", 4);
                assert_int_equal(pread(fd, tail, 4, 0), 4);
                assert_memory_equal(tail, "\0\0\0\0", 4);
                close(fd);
                assert_int_equal(rm_rf(root), 0);
        }
        free(b.data);
}

static void test_extract_diff_id(void **state) {
        Buf b = LAYER(basic, OCI_COMPRESSION_ZSTD);
        Buf plain = LAYER(basic, OCI_COMPRESSION_NONE);
        OciDigest good, bad;
        LayerExtractOptions o = {};
        LayerReadResult res;

        /* the diff_id is the digest of the uncompressed tar */
        assert_int_equal(oci_digest_buffer(plain.data, plain.size, &good), 0);
        {
                _cleanup_free_ char *root = scratch();
                o.read.stream.diff_id = &good;
                assert_int_equal(extract(&b, root, &o, &res), 0);
                assert_string_equal(res.stream.diff_id.str, good.str);
                assert_int_equal(rm_rf(root), 0);
        }
        {
                _cleanup_free_ char *root = scratch();
                bad = good;
                bad.str[20] = bad.str[20] == '0' ? '1' : '0';
                o.read.stream.diff_id = &bad;
                assert_int_equal(extract(&b, root, &o, &res), -EBADMSG);
                assert_int_equal(res.stream.failure, LAYER_STREAM_DIFF_ID);
                assert_non_null(strstr(extract_err.message, "does not unpack to the diff_id"));
                assert_non_null(strstr(extract_err.message, bad.str));
                assert_non_null(strstr(extract_err.message, good.str));
                assert_int_equal(rm_rf(root), 0);
        }
        free(b.data);
        free(plain.data);
}

/* Every way to fail leaves a message (extract() asserts it) and the error the header names. */
static void test_extract_failures_say_why(void **state) {
        static const char junk[] = "this is not a tar archive, not even close, and longer than a block? no.";
        const Ent bad_whiteout[] = { FILE_("./a/.wh.", 0644, "") };
        Buf gz = LAYER(basic, OCI_COMPRESSION_GZIP);
        OciDescriptor d = { .media_type = (char *) OCI_MEDIA_TYPE_LAYER_GZIP, .size = (int64_t) gz.size };
        LayerExtractOptions o = { .read.stream.descriptor = &d };
        LayerReadResult res;
        Buf b;

        assert_int_equal(oci_digest_buffer(gz.data, gz.size, &d.digest), 0);
        {
                _cleanup_free_ char *root = scratch();
                assert_int_equal(extract(&gz, root, &o, &res), 0);
                assert_int_equal(rm_rf(root), 0);
        }
        /* the descriptor's digest, size and media type */
        {
                _cleanup_free_ char *root = scratch();
                d.digest.str[30] = d.digest.str[30] == 'a' ? 'b' : 'a';
                assert_int_equal(extract(&gz, root, &o, &res), -EBADMSG);
                assert_int_equal(res.stream.failure, LAYER_STREAM_DIGEST);
                assert_non_null(strstr(extract_err.message, "digest"));
                assert_non_null(strstr(extract_err.message, d.digest.str));
                assert_int_equal(oci_digest_buffer(gz.data, gz.size, &d.digest), 0);
                d.size++;
                assert_int_equal(extract(&gz, root, &o, &res), -EBADMSG);
                assert_int_equal(res.stream.failure, LAYER_STREAM_SIZE);
                d.size--;
                d.media_type = (char *) OCI_MEDIA_TYPE_LAYER_ZSTD;
                assert_int_equal(extract(&gz, root, &o, &res), -EBADMSG);
                assert_int_equal(res.stream.failure, LAYER_STREAM_COMPRESSION);
                assert_int_equal(rm_rf(root), 0);
        }
        /* not a tar; a truncated gzip; a whiteout of nothing */
        {
                _cleanup_free_ char *root = scratch();
                b = (Buf) { .data = (uint8_t *) junk, .size = sizeof(junk) };
                assert_int_equal(extract(&b, root, NULL, &res), -EBADMSG);
                b = (Buf) { .data = gz.data, .size = 64 };
                assert_int_equal(extract(&b, root, NULL, &res), -EBADMSG);
                assert_int_equal(extract_fails(LAYER(bad_whiteout, OCI_COMPRESSION_NONE), root, NULL), -EBADMSG);
                assert_int_equal(rm_rf(root), 0);
        }
        /* a bad fd */
        {
                _cleanup_free_ char *root = scratch();
                ErrorDetail e = {};
                assert_int_equal(layer_extract_fd(-1, root, NULL, &res, &e), -EBADF);
                assert_true(e.message[0] != 0);
                assert_int_equal(rm_rf(root), 0);
        }
        free(gz.data);
}

/* Regression (found by this test, fixed): lib/layer-extract.c, layer_extract_fd(): when realpath(root) fails
 * (root missing) it returns -errno before anything else, leaving the ErrorDetail empty and *ret
 * unfilled, against its contract ("ret ... is filled on failure too") and the rule that every failure
 * says why. */
static void test_extract_missing_root_says_why(void **state) {
        Buf b = LAYER(basic, OCI_COMPRESSION_NONE);
        LayerReadResult res = { .n_entries = 12345 };
        ErrorDetail e = {};
        int fd = memfd_create("layer", MFD_CLOEXEC);

        assert_true(fd >= 0);
        assert_int_equal(loop_write(fd, b.data, b.size), 0);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        assert_int_equal(layer_extract_fd(fd, "/nonexistent/archway-root", NULL, &res, &e), -ENOENT);
        close(fd);
        free(b.data);
        assert_int_equal(res.n_entries, 0);
        assert_true(e.message[0] != 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_extract_refusals),
                cmocka_unit_test(test_extract_refusals_name_the_entry),
                cmocka_unit_test(test_extract_file_over_symlink),
                cmocka_unit_test(test_extract_bounds),
                cmocka_unit_test(test_extract_sparse),
                cmocka_unit_test(test_extract_diff_id),
                cmocka_unit_test(test_extract_failures_say_why),
                cmocka_unit_test(test_extract_missing_root_says_why),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
