/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/layer-extract: tar layers built in memory with libarchive (plain, gzip, zstd through libzstd)
 * unpacked into mkdtemp directories: files, modes, links, copy-up of hardlinks into lower layers,
 * overlayfs whiteouts. Refusals, bounds and failures: test-layer-extract-refuse.c. */

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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "extract-fixture.h"
#include "file-util.h"
#include "macro.h"

static void test_extract_basic(void **state) {
        static const OciCompression cs[] = { OCI_COMPRESSION_NONE, OCI_COMPRESSION_GZIP, OCI_COMPRESSION_ZSTD };

        for (size_t i = 0; i < ELEMENTSOF(cs); i++) {
                _cleanup_free_ char *root = scratch(), *tool = join(root, "usr/bin/tool"),
                                    *hard = join(root, "usr/bin/hard"), *link = join(root, "usr/bin/link"),
                                    *abs = join(root, "abs"), *bin = join(root, "usr/bin");
                Buf b = LAYER(basic, cs[i]);
                LayerReadResult res;
                struct stat st, st2;
                char target[64] = {};

                assert_int_equal(extract(&b, root, NULL, &res), 0);
                assert_int_equal(res.n_entries, ELEMENTSOF(basic));
                assert_int_equal(res.stream.compression, cs[i]);
                assert_int_equal(res.stream.raw_bytes, b.size);
                assert_int_equal(res.file_bytes, strlen("#!/bin/sh\necho tool\n") + strlen("key=value\n"));

                assert_file(root, "usr/bin/tool", "#!/bin/sh\necho tool\n", 0750);
                assert_file(root, "etc/conf", "key=value\n", 0600);
                assert_file(root, "empty", "", 0644);
                assert_int_equal(lstat(bin, &st), 0);
                assert_true(S_ISDIR(st.st_mode));
                assert_int_equal(st.st_mode & 07777, 0711);
                /* times, and owners when we may set them */
                assert_int_equal(lstat(tool, &st), 0);
                assert_int_equal(st.st_mtime, TAR_MTIME);
                if (geteuid() == 0) {
                        assert_int_equal(st.st_uid, TAR_OWNER);
                        assert_int_equal(st.st_gid, TAR_OWNER);
                }
                /* the hardlink is the same inode */
                assert_int_equal(lstat(hard, &st2), 0);
                assert_int_equal(st.st_ino, st2.st_ino);
                assert_int_equal(st2.st_nlink, 2);
                /* symlinks keep their targets as written */
                assert_int_equal(readlink(link, target, sizeof(target) - 1), 4);
                assert_string_equal(target, "tool");
                memset(target, 0, sizeof(target));
                assert_int_equal(readlink(abs, target, sizeof(target) - 1), 9);
                assert_string_equal(target, "/etc/conf");

                free(b.data);
                assert_int_equal(rm_rf(root), 0);
        }
}

static void test_extract_whiteouts(void **state) {
        static const Ent ents[] = {
                DIR_("./a/", 0755),
                FILE_("./a/.wh.gone", 0644, ""),
                FILE_("./deep/er/.wh.x", 0644, ""),     /* parents not listed: made */
                FILE_("./.wh.top", 0644, ""),
        };
        _cleanup_free_ char *root = scratch();
        Buf b = LAYER(ents, OCI_COMPRESSION_GZIP);
        LayerReadResult res;

        assert_int_equal(extract(&b, root, NULL, &res), 0);
        assert_true(is_overlay_whiteout(root, "a/gone"));
        assert_true(is_overlay_whiteout(root, "deep/er/x"));
        assert_true(is_overlay_whiteout(root, "top"));
        /* the markers themselves are not written */
        assert_false(exists(root, "a/.wh.gone"));
        assert_false(exists(root, ".wh.top"));
        free(b.data);
        assert_int_equal(rm_rf(root), 0);
}

static void test_extract_opaque(void **state) {
        static const Ent ents[] = {
                DIR_("./opt/", 0755),
                FILE_("./opt/.wh..wh..opq", 0644, ""),
                FILE_("./opt/kept", 0644, "k"),
                FILE_("./new/dir/.wh..wh..opq", 0644, ""), /* the directory itself not listed */
        };
        _cleanup_free_ char *root = scratch();
        Buf b = LAYER(ents, OCI_COMPRESSION_NONE);
        LayerReadResult res;

        if (!user_xattrs_work(root)) {
                assert_int_equal(rm_rf(root), 0);
                free(b.data);
                skip(); /* the extractor needs user.* xattrs for opaque directories */
        }
        assert_int_equal(extract(&b, root, NULL, &res), 0);
        assert_opaque(root, "opt");
        assert_opaque(root, "new/dir");
        assert_file(root, "opt/kept", "k", 0644);
        assert_false(exists(root, "opt/.wh..wh..opq"));
        free(b.data);
        assert_int_equal(rm_rf(root), 0);
}

/* A hardlink to a file of a lower layer: copied up, then linked. */
static void test_extract_lower_hardlink(void **state) {
        static const Ent lower_ents[] = {
                DIR_("./bin/", 0755),
                FILE_("./bin/a", 0751, "lower a\n"),
        };
        static const Ent upper_ents[] = {
                HARD_("./bin/b", "./bin/a"),
        };
        _cleanup_free_ char *lower = scratch(), *root = scratch(), *a = join(root, "bin/a"),
                            *bb = join(root, "bin/b"), *la = join(lower, "bin/a");
        char *lowers[] = { lower, NULL };
        LayerExtractOptions o = { .lowers = lowers };
        Buf lb = LAYER(lower_ents, OCI_COMPRESSION_NONE), ub = LAYER(upper_ents, OCI_COMPRESSION_GZIP);
        LayerReadResult res;
        struct stat st, st2, st3;

        assert_int_equal(extract(&lb, lower, NULL, &res), 0);
        assert_int_equal(extract(&ub, root, &o, &res), 0);
        assert_file(root, "bin/a", "lower a\n", 0751);
        assert_file(root, "bin/b", "lower a\n", 0751);
        assert_int_equal(stat(a, &st), 0);
        assert_int_equal(stat(bb, &st2), 0);
        assert_int_equal(st.st_ino, st2.st_ino);
        assert_int_equal(st.st_mtime, TAR_MTIME);
        /* a copy: the lower layer's file is untouched and not linked */
        assert_int_equal(stat(la, &st3), 0);
        assert_true(st3.st_ino != st.st_ino);
        assert_int_equal(st3.st_nlink, 1);

        /* without lowers the same layer cannot be unpacked: the target is nowhere */
        assert_int_equal(rm_rf(root), 0);
        assert_int_equal(mkdir(root, 0755), 0);
        assert_true(extract(&ub, root, NULL, &res) < 0);
        assert_false(exists(root, "bin/b"));

        free(lb.data);
        free(ub.data);
        assert_int_equal(rm_rf(root), 0);
        assert_int_equal(rm_rf(lower), 0);
}

/* A hardlink to a lower layer's fifo: refused, without opening it (the open blocked until a writer
 * came: archbuild hung). */
static void test_extract_lower_hardlink_to_fifo(void **state) {
        static const Ent upper_ents[] = {
                HARD_("./bin/b", "./bin/a"),
        };
        _cleanup_free_ char *lower = scratch(), *root = scratch(), *bin = join(lower, "bin"), *la = join(lower, "bin/a");
        char *lowers[] = { lower, NULL };
        LayerExtractOptions o = { .lowers = lowers };
        Buf ub = LAYER(upper_ents, OCI_COMPRESSION_NONE);
        LayerReadResult res;

        assert_int_equal(mkdir(bin, 0755), 0);
        assert_int_equal(mkfifo(la, 0644), 0);
        assert_true(extract(&ub, root, &o, &res) < 0);
        assert_false(exists(root, "bin/b"));
        free(ub.data);
        assert_int_equal(rm_rf(root), 0);
        assert_int_equal(rm_rf(lower), 0);
}

/* A lower layer with bin/a. */
static const Ent bin_a_ents[] = {
        DIR_("./bin/", 0755),
        FILE_("./bin/a", 0755, "bottom a\n"),
};

/* The layer between the hardlink's layer and the file's hides it: the link must not resurrect it.
 * Each row is the middle layer; lowers = { middle, bottom }. */
static void test_extract_lower_hardlink_hidden(void **state) {
        static const Ent upper_ents[] = {
                HARD_("./bin/b", "./bin/a"),
        };
        static const struct {
                const char *what;
                Ent ents[2];
                bool opaque;      /* needs user xattrs */
        } middles[] = {
                { "a whiteout of the file",      { FILE_("./bin/.wh.a", 0644, "") } },
                { "a whiteout of its directory", { FILE_("./.wh.bin", 0644, "") } },
                { "an opaque directory",         { DIR_("./bin/", 0755), FILE_("./bin/.wh..wh..opq", 0644, "") }, true },
                { "a file in place of the directory", { FILE_("./bin", 0644, "not a dir") } },
        };
        _cleanup_free_ char *bottom = scratch();
        Buf bb = LAYER(bin_a_ents, OCI_COMPRESSION_NONE), ub = LAYER(upper_ents, OCI_COMPRESSION_NONE);
        LayerReadResult res;
        bool xattrs = user_xattrs_work(bottom);

        assert_int_equal(extract(&bb, bottom, NULL, &res), 0);
        for (size_t i = 0; i < ELEMENTSOF(middles); i++) {
                _cleanup_free_ char *middle = scratch(), *root = scratch();
                char *lowers[] = { middle, bottom, NULL };
                LayerExtractOptions o = { .lowers = lowers };
                Buf mb = tar_make(middles[i].ents, middles[i].ents[1].name ? 2 : 1, OCI_COMPRESSION_NONE);

                if (middles[i].opaque && !xattrs) {
                        print_message("skipped: %s (needs user.* xattrs)\n", middles[i].what);
                        free(mb.data);
                        assert_int_equal(rm_rf(middle), 0);
                        assert_int_equal(rm_rf(root), 0);
                        continue;
                }
                print_message("middle layer: %s\n", middles[i].what);
                assert_int_equal(extract(&mb, middle, NULL, &res), 0);
                assert_true(extract(&ub, root, &o, &res) < 0);
                print_message("  %s\n", extract_err.message);
                assert_false(exists(root, "bin/a"));
                assert_false(exists(root, "bin/b"));
                free(mb.data);
                assert_int_equal(rm_rf(middle), 0);
                assert_int_equal(rm_rf(root), 0);
        }
        free(bb.data);
        free(ub.data);
        assert_int_equal(rm_rf(bottom), 0);
}

/* What the hardlink's own layer did before it counts too: an opaque bin/ hides the lower bin/a. */
static void test_extract_lower_hardlink_hidden_by_own_opaque(void **state) {
        static const Ent upper_ents[] = {
                DIR_("./bin/", 0755),
                FILE_("./bin/.wh..wh..opq", 0644, ""),
                HARD_("./bin/b", "./bin/a"),
        };
        _cleanup_free_ char *bottom = scratch(), *root = scratch();
        char *lowers[] = { bottom, NULL };
        LayerExtractOptions o = { .lowers = lowers };
        Buf bb = LAYER(bin_a_ents, OCI_COMPRESSION_NONE), ub = LAYER(upper_ents, OCI_COMPRESSION_NONE);
        LayerReadResult res;

        if (!user_xattrs_work(bottom)) {
                free(bb.data), free(ub.data);
                assert_int_equal(rm_rf(bottom), 0);
                assert_int_equal(rm_rf(root), 0);
                skip(); /* opaque directories need user.* xattrs */
        }
        assert_int_equal(extract(&bb, bottom, NULL, &res), 0);
        assert_true(extract(&ub, root, &o, &res) < 0);
        assert_false(exists(root, "bin/a"));
        assert_false(exists(root, "bin/b"));
        free(bb.data), free(ub.data);
        assert_int_equal(rm_rf(bottom), 0);
        assert_int_equal(rm_rf(root), 0);
}

/* Regression (found by this test, fixed): lib/layer-extract.c, prepare_hardlink(): a layer with "bin/.wh.a"
 * and then a hardlink "bin/b" -> "bin/a" (bin/a only in a lower layer) unpacks with success: the
 * whiteout made root/bin/a a character device 0/0, access(hfull) finds it, so there is no copy-up and
 * bin/b becomes a second link to the whiteout device. The layer is broken (the whiteout deletes the
 * lower bin/a; whiteouts apply to lower layers only, so nothing of this layer is the link's target),
 * and the result hides bin/b on the mounted stack instead of saying so. Expected: a failure, and no
 * bin/b. */
static void test_extract_hardlink_to_own_whiteout(void **state) {
        static const Ent upper_ents[] = {
                FILE_("./bin/.wh.a", 0644, ""),
                HARD_("./bin/b", "./bin/a"),
        };
        char *bottom = scratch(), *root = scratch();
        char *lowers[] = { bottom, NULL };
        LayerExtractOptions o = { .lowers = lowers };
        Buf bb = LAYER(bin_a_ents, OCI_COMPRESSION_NONE), ub = LAYER(upper_ents, OCI_COMPRESSION_NONE);
        LayerReadResult res;
        bool b_exists;
        int r;

        /* everything is cleaned up before the assertions */
        assert_int_equal(extract(&bb, bottom, NULL, &res), 0);
        r = extract(&ub, root, &o, &res);
        b_exists = exists(root, "bin/b");
        free(bb.data), free(ub.data);
        assert_int_equal(rm_rf(bottom), 0);
        assert_int_equal(rm_rf(root), 0);
        free(bottom), free(root);
        assert_true(r < 0);
        assert_false(b_exists);
}

/* The middle layer has its own bin/a under an opaque bin/: that one (the newest) is copied up. */
static void test_extract_lower_hardlink_newest(void **state) {
        static const Ent middle_ents[] = {
                DIR_("./bin/", 0755),
                FILE_("./bin/.wh..wh..opq", 0644, ""),
                FILE_("./bin/a", 0700, "middle a\n"),
        };
        static const Ent upper_ents[] = {
                HARD_("./bin/b", "./bin/a"),
        };
        _cleanup_free_ char *bottom = scratch(), *middle = scratch(), *root = scratch();
        char *lowers[] = { middle, bottom, NULL };
        LayerExtractOptions o = { .lowers = lowers };
        Buf bb = LAYER(bin_a_ents, OCI_COMPRESSION_NONE), mb = LAYER(middle_ents, OCI_COMPRESSION_NONE),
            ub = LAYER(upper_ents, OCI_COMPRESSION_NONE);
        LayerReadResult res;

        if (!user_xattrs_work(bottom)) {
                free(bb.data), free(mb.data), free(ub.data);
                assert_int_equal(rm_rf(bottom), 0);
                assert_int_equal(rm_rf(middle), 0);
                assert_int_equal(rm_rf(root), 0);
                skip(); /* opaque directories need user.* xattrs */
        }
        assert_int_equal(extract(&bb, bottom, NULL, &res), 0);
        assert_int_equal(extract(&mb, middle, NULL, &res), 0);
        assert_int_equal(extract(&ub, root, &o, &res), 0);
        assert_file(root, "bin/b", "middle a\n", 0700);
        assert_file(root, "bin/a", "middle a\n", 0700);
        free(bb.data), free(mb.data), free(ub.data);
        assert_int_equal(rm_rf(bottom), 0);
        assert_int_equal(rm_rf(middle), 0);
        assert_int_equal(rm_rf(root), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_extract_basic),
                cmocka_unit_test(test_extract_whiteouts),
                cmocka_unit_test(test_extract_opaque),
                cmocka_unit_test(test_extract_lower_hardlink),
                cmocka_unit_test(test_extract_lower_hardlink_to_fifo),
                cmocka_unit_test(test_extract_lower_hardlink_hidden),
                cmocka_unit_test(test_extract_lower_hardlink_hidden_by_own_opaque),
                cmocka_unit_test(test_extract_hardlink_to_own_whiteout),
                cmocka_unit_test(test_extract_lower_hardlink_newest),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
