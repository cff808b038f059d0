/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/layer-extract: tar layers built in memory with libarchive (plain, gzip, zstd through libzstd)
 * unpacked into mkdtemp directories: files, modes, links, copy-up of hardlinks into lower layers,
 * overlayfs whiteouts, refusals, bounds, the diff_id check, and a message for every failure. */
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
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>
#include <zstd.h>

#include "file-util.h"
#include "layer-extract.h"
#include "macro.h"
#include "tar-fixture.h"

/* ---- running the extractor ----------------------------------------------------------------------- */

static ErrorDetail err;

static int extract(const Buf *b, const char *root, const LayerExtractOptions *o, LayerReadResult *res) {
        int fd = memfd_create("layer", MFD_CLOEXEC), r;

        assert_true(fd >= 0);
        assert_int_equal(loop_write(fd, b->data, b->size), 0);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        err = (ErrorDetail) {};
        r = layer_extract_fd(fd, root, o, res, &err);
        close(fd);
        /* every failure says why */
        if (r < 0)
                assert_true(err.message[0] != 0);
        return r;
}

/* The same, expecting failure; returns the error and frees b. */
static int extract_fails(Buf b, const char *root, const LayerExtractOptions *o) {
        LayerReadResult res;
        int r = extract(&b, root, o, &res);

        free(b.data);
        assert_true(r < 0);
        return r;
}

static char *scratch(void) {
        char *d = strdup("/tmp/archway-extract-XXXXXX");

        assert_non_null(d);
        assert_non_null(mkdtemp(d));
        return d;
}

static char *join(const char *root, const char *rel) {
        char *p;

        assert_true(asprintf(&p, "%s/%s", root, rel) > 0);
        return p;
}

static void assert_file(const char *root, const char *rel, const char *content, mode_t mode) {
        _cleanup_free_ char *p = join(root, rel), *back = NULL;
        struct stat st;
        size_t n;

        assert_int_equal(lstat(p, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 07777, mode);
        assert_int_equal(read_file(p, 1 << 20, &back, &n), 0);
        assert_int_equal(n, strlen(content));
        assert_string_equal(back, content);
}

static bool exists(const char *root, const char *rel) {
        _cleanup_free_ char *p = join(root, rel);
        struct stat st;

        return lstat(p, &st) == 0;
}

static bool is_overlay_whiteout(const char *root, const char *rel) {
        _cleanup_free_ char *p = join(root, rel);
        struct stat st;

        return lstat(p, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

/* Whether the file system under dir takes user.* xattrs (ext4, btrfs, tmpfs >= 6.6 do). */
static bool user_xattrs_work(const char *dir) {
        if (setxattr(dir, "user.archway-test", "1", 1, 0) < 0)
                return false;
        (void) removexattr(dir, "user.archway-test");
        return true;
}

static void assert_opaque(const char *root, const char *rel) {
        _cleanup_free_ char *p = join(root, rel);
        char v[8];

        assert_int_equal(lgetxattr(p, "user.overlay.opaque", v, sizeof(v)), 1);
        assert_int_equal(v[0], 'y');
}

/* ---- tests --------------------------------------------------------------------------------------- */

static const Ent basic[] = {
        DIR_("./usr/", 0755),
        DIR_("./usr/bin/", 0711),
        FILE_("./usr/bin/tool", 0750, "#!/bin/sh\necho tool\n"),
        FILE_("etc/conf", 0600, "key=value\n"),  /* no "./", parent not listed */
        FILE_("./empty", 0644, ""),
        LINK_("./usr/bin/link", "tool"),
        LINK_("./abs", "/etc/conf"),
        HARD_("./usr/bin/hard", "./usr/bin/tool"),
};

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
                print_message("  %s\n", err.message);
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

/* Names that would write outside root, or through a symlink: refused, nothing written outside. */
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
                        assert_non_null(strstr(err.message, rows[i].named));
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
                got[i].named = strstr(err.message, rows[i].entry) ||
                               (rows[i].or_target && strstr(err.message, rows[i].or_target));
                got[i].leaks_root = strstr(err.message, root);
                print_message("message: %s\n", err.message);
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
                assert_non_null(strstr(err.message, "more than 4 entries"));
                assert_false(exists(root, "d/four"));
                assert_int_equal(rm_rf(root), 0);
        }
        /* a name one byte too long */
        {
                _cleanup_free_ char *root = scratch();
                o = (LayerExtractOptions) { .read.max_path = strlen("./d/three") - 1 };
                assert_int_equal(extract(&b, root, &o, &res), -ENAMETOOLONG);
                assert_non_null(strstr(err.message, "./d/three"));
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
                assert_non_null(strstr(err.message, "layer-bytes"));
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
                assert_non_null(strstr(err.message, "layer-bytes"));
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
                assert_non_null(strstr(err.message, "does not unpack to the diff_id"));
                assert_non_null(strstr(err.message, bad.str));
                assert_non_null(strstr(err.message, good.str));
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
                assert_non_null(strstr(err.message, "digest"));
                assert_non_null(strstr(err.message, d.digest.str));
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
                cmocka_unit_test(test_extract_basic),
                cmocka_unit_test(test_extract_whiteouts),
                cmocka_unit_test(test_extract_opaque),
                cmocka_unit_test(test_extract_lower_hardlink),
                cmocka_unit_test(test_extract_lower_hardlink_hidden),
                cmocka_unit_test(test_extract_lower_hardlink_hidden_by_own_opaque),
                cmocka_unit_test(test_extract_hardlink_to_own_whiteout),
                cmocka_unit_test(test_extract_lower_hardlink_newest),
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
