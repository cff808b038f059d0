/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/layer-write: trees made in mkdtemp directories written into a fresh OCI layout, then read back
 * twice: with layer_read_fd() against the blob's descriptor and diff_id (types, order, whiteouts), and
 * as plain tar through libarchive (owners, names, times, xattrs). */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "file-util.h"
#include "layer-reader.h"
#include "layer-write.h"
#include "macro.h"

/* ---- fixtures ------------------------------------------------------------------------------------ */

static char *scratch(void) {
        char *d = strdup("/tmp/archway-layer-write-XXXXXX");

        assert_non_null(d);
        assert_non_null(mkdtemp(d));
        return d;
}

static bool is_root(void) {
        return geteuid() == 0;
}

static void put_file(int dfd, const char *name, const char *data, mode_t mode, time_t mtime) {
        struct timespec ts[2] = { { .tv_sec = mtime }, { .tv_sec = mtime } };

        assert_int_equal(write_file_atomic(dfd, name, data, strlen(data), mode, NULL), 0);
        assert_int_equal(fchmodat(dfd, name, mode, 0), 0);
        assert_int_equal(utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static void put_dir(int dfd, const char *name, mode_t mode) {
        assert_int_equal(mkdirat(dfd, name, mode), 0);
        assert_int_equal(fchmodat(dfd, name, mode, 0), 0);
}

/* Set the overlay "opaque" xattr name to "y" on the directory dfd/dir. */
static int fsetxattr_at(int dfd, const char *dir, const char *name) {
        int fd = openat(dfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

        assert_true(fd >= 0);
        r = fsetxattr(fd, name, "y", 1, 0);
        close(fd);
        return r;
}

static void set_mtime(int dfd, const char *name, time_t mtime) {
        struct timespec ts[2] = { { .tv_sec = mtime }, { .tv_sec = mtime } };

        assert_int_equal(utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW), 0);
}

#define OLD  1000000000 /* 2001 */
#define NEW  1600000000 /* 2020 */
#define SDE  1500000000 /* the SOURCE_DATE_EPOCH of the tests, between the two */

/* The tree most tests write. forward picks the creation order, so that two equal trees have different
 * directory orders (and inode numbers):
 *   a/            0755, NEW
 *   a/y -> z      symlink
 *   a/z           0640 "zed", OLD
 *   a-b           0600 "dash", NEW  (sorts after a/ by name, before "a/y" as a whole path)
 *   b             0755 "bee", NEW, owner 1000:1001 (root only)
 *   c             hardlink to b
 * With root (mknod, trusted.* xattrs) also: gone (a whiteout 0/0), o/ (trusted.overlay.opaque) with o/k,
 * both OLD. */
static void make_tree(int dfd, bool forward) {
        for (int pass = 0; pass < 2; pass++) {
                if (pass == (forward ? 0 : 1)) {
                        put_dir(dfd, "a", 0755);
                        put_file(dfd, "a/z", "zed", 0640, OLD);
                        assert_int_equal(symlinkat("z", dfd, "a/y"), 0);
                        set_mtime(dfd, "a/y", NEW);
                        set_mtime(dfd, "a", NEW);
                } else {
                        put_file(dfd, "b", "bee", 0755, NEW);
                        assert_int_equal(linkat(dfd, "b", dfd, "c", 0), 0);
                        put_file(dfd, "a-b", "dash", 0600, NEW);
                }
        }
        if (is_root()) {
                assert_int_equal(fchownat(dfd, "b", 1000, 1001, 0), 0);
                assert_int_equal(mknodat(dfd, "gone", S_IFCHR | 0, makedev(0, 0)), 0);
                set_mtime(dfd, "gone", NEW);
                put_dir(dfd, "o", 0755);
                put_file(dfd, "o/k", "kept", 0644, OLD);
                set_mtime(dfd, "o", OLD);
                assert_int_equal(fsetxattr_at(dfd, "o", "trusted.overlay.opaque"), 0);
        }
}

typedef struct Tree {
        char *dir;
        int fd;
} Tree;

static Tree tree_new(bool forward) {
        Tree t = { .dir = scratch() };

        t.fd = open(t.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(t.fd >= 0);
        make_tree(t.fd, forward);
        return t;
}

static void tree_free(Tree *t) {
        close(t->fd);
        assert_int_equal(rm_rf(t->dir), 0);
        free(t->dir);
}

typedef struct Layout {
        char *dir;
        OciLayout *l;
} Layout;

static Layout layout_new(void) {
        Layout x = { .dir = scratch() };

        assert_int_equal(oci_layout_create(x.dir, &x.l), 0);
        return x;
}

static void layout_free(Layout *x) {
        oci_layout_free(x->l);
        assert_int_equal(rm_rf(x->dir), 0);
        free(x->dir);
}

/* Entries in blobs/sha256, temporaries included. */
static unsigned count_blobs(const Layout *x) {
        _cleanup_free_ char *p = NULL;
        struct dirent *de;
        unsigned n = 0;
        DIR *d;

        assert_true(asprintf(&p, "%s/blobs/sha256", x->dir) > 0);
        d = opendir(p);
        assert_non_null(d);
        while ((de = readdir(d)))
                n += de->d_name[0] != '.' || strneq(de->d_name, ".tmp", 4);
        closedir(d);
        return n;
}

/* ---- reading the blob back ----------------------------------------------------------------------- */

typedef struct Seen {
        char path[64];
        char link[64];
        LayerEntryType type;
        LayerWhiteout whiteout;
        mode_t mode;
} Seen;

typedef struct SeenList {
        Seen e[32];
        size_t n;
} SeenList;

static int seen_cb(const LayerEntry *e, void *userdata) {
        SeenList *s = userdata;
        Seen *x;

        assert_true(s->n < ELEMENTSOF(s->e));
        x = &s->e[s->n++];
        snprintf(x->path, sizeof(x->path), "%s", e->path);
        snprintf(x->link, sizeof(x->link), "%s", e->link_target ?: "");
        x->type = e->type;
        x->whiteout = e->whiteout;
        x->mode = e->mode;
        return 0;
}

static OciDescriptor descriptor_of(const LayerWriteResult *res) {
        return (OciDescriptor) { .media_type = (char *) res->media_type, .digest = res->digest,
                                 .size = (int64_t) res->size };
}

/* Read the blob with its digest, size, media type and diff_id checked. */
static void read_back(const Layout *x, const LayerWriteResult *res, SeenList *ret) {
        OciDescriptor d = descriptor_of(res);
        LayerReadOptions o = { .stream.descriptor = &d, .stream.diff_id = &res->diff_id };
        LayerReadResult rr;
        ErrorDetail err = {};
        int fd;

        *ret = (SeenList) {};
        assert_int_equal(oci_layout_open_blob(x->l, &res->digest, (int64_t) res->size, &fd), 0);
        assert_int_equal(layer_read_fd(fd, &o, seen_cb, ret, &rr, &err), 0);
        close(fd);
        assert_int_equal(rr.n_entries, res->n_entries);
        assert_int_equal(rr.stream.raw_bytes, res->size);
}

static const Seen *find(const SeenList *s, const char *path, LayerWhiteout w) {
        for (size_t i = 0; i < s->n; i++)
                if (streq(s->e[i].path, path) && s->e[i].whiteout == w)
                        return &s->e[i];
        return NULL;
}

typedef struct Buf {
        uint8_t *data;
        size_t size;
} Buf;

/* The uncompressed tar of the blob, through lib/layer-stream with the descriptor and diff_id checked. */
static Buf plain_tar(const Layout *x, const LayerWriteResult *res) {
        OciDescriptor d = descriptor_of(res);
        LayerStreamOptions o = { .descriptor = &d, .diff_id = &res->diff_id };
        LayerStream *s = NULL;
        Buf b = {};
        const void *p;
        ssize_t n;
        int fd;

        assert_int_equal(oci_layout_open_blob(x->l, &res->digest, (int64_t) res->size, &fd), 0);
        assert_int_equal(layer_stream_new_fd(fd, &o, &s), 0);
        while ((n = layer_stream_read(s, &p)) > 0) {
                b.data = realloc(b.data, b.size + (size_t) n);
                assert_non_null(b.data);
                memcpy(b.data + b.size, p, (size_t) n);
                b.size += (size_t) n;
        }
        assert_int_equal(n, 0);
        assert_int_equal(layer_stream_finish(s, NULL), 0);
        layer_stream_free(s);
        close(fd);
        return b;
}

/* Call check for every header of the plain tar b, in order. */
static void foreach_header(const Buf *b, void (*check)(struct archive_entry *e, size_t i, void *u), void *u) {
        struct archive *a = archive_read_new();
        struct archive_entry *e;
        size_t i = 0;

        assert_int_equal(archive_read_support_format_tar(a), ARCHIVE_OK);
        assert_int_equal(archive_read_open_memory(a, b->data, b->size), ARCHIVE_OK);
        while (archive_read_next_header(a, &e) == ARCHIVE_OK)
                check(e, i++, u);
        archive_read_free(a);
}

static LayerWriteResult write_tree(const Tree *t, const Layout *x, OciCompression c, int64_t sde) {
        LayerWriteOptions o = LAYER_WRITE_OPTIONS_DEFAULT;
        LayerWriteResult res;

        o.compression = c;
        o.source_date_epoch = sde;
        assert_int_equal(layer_write_tree(t->fd, &o, x->l, &res), 0);
        return res;
}

/* ---- tests --------------------------------------------------------------------------------------- */

/* Order, types and whiteouts as a reader sees them, for each compression; the blob is in the layout
 * under its digest and passes the reader's checks (read_back). */
static void test_write_read_back(void **state) {
        static const struct {
                OciCompression c;
                const char *media_type;
        } rows[] = {
                { OCI_COMPRESSION_NONE, OCI_MEDIA_TYPE_LAYER },
                { OCI_COMPRESSION_GZIP, OCI_MEDIA_TYPE_LAYER_GZIP },
                { OCI_COMPRESSION_ZSTD, OCI_MEDIA_TYPE_LAYER_ZSTD },
        };
        /* depth first, each directory's names in byte order: "a/..." before "a-b", although '-' < '/' */
        static const char *const order_root[] = { "a", "a/y", "a/z", "a-b", "b", "c", "gone", "o", "o", "o/k" };
        static const char *const order_user[] = { "a", "a/y", "a/z", "a-b", "b", "c" };
        Tree t = tree_new(true);

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                Layout x = layout_new();
                LayerWriteResult res = write_tree(&t, &x, rows[i].c, -1);
                const char *const *order = is_root() ? order_root : order_user;
                size_t n_order = is_root() ? ELEMENTSOF(order_root) : ELEMENTSOF(order_user);
                SeenList s;
                const Seen *e;

                assert_string_equal(res.media_type, rows[i].media_type);
                assert_int_equal(oci_layout_has_blob(x.l, &res.digest), 1);
                assert_int_equal(count_blobs(&x), 1);
                if (rows[i].c == OCI_COMPRESSION_NONE)
                        assert_string_equal(res.digest.str, res.diff_id.str);
                else
                        assert_string_not_equal(res.digest.str, res.diff_id.str);

                read_back(&x, &res, &s);
                assert_int_equal(s.n, n_order);
                assert_int_equal(res.n_entries, n_order);
                for (size_t k = 0; k < n_order; k++)
                        assert_string_equal(s.e[k].path, order[k]);

                assert_non_null(e = find(&s, "a", LAYER_WHITEOUT_NONE));
                assert_int_equal(e->type, LAYER_ENTRY_DIRECTORY);
                assert_non_null(e = find(&s, "a/y", LAYER_WHITEOUT_NONE));
                assert_int_equal(e->type, LAYER_ENTRY_SYMLINK);
                assert_string_equal(e->link, "z");
                assert_non_null(e = find(&s, "a/z", LAYER_WHITEOUT_NONE));
                assert_int_equal(e->type, LAYER_ENTRY_REGULAR);
                assert_int_equal(e->mode, 0640);
                assert_non_null(e = find(&s, "b", LAYER_WHITEOUT_NONE));
                assert_int_equal(e->type, LAYER_ENTRY_REGULAR);
                assert_int_equal(e->mode, 0755);
                /* the second name of b is a hardlink to the first in sort order */
                assert_non_null(e = find(&s, "c", LAYER_WHITEOUT_NONE));
                assert_int_equal(e->type, LAYER_ENTRY_HARDLINK);
                assert_string_equal(e->link, "b");
                if (is_root()) {
                        /* the overlay whiteout and opaque directory, as OCI whiteouts */
                        assert_non_null(find(&s, "gone", LAYER_WHITEOUT_FILE));
                        assert_null(find(&s, "gone", LAYER_WHITEOUT_NONE));
                        assert_non_null(find(&s, "o", LAYER_WHITEOUT_NONE));
                        assert_non_null(find(&s, "o", LAYER_WHITEOUT_OPAQUE_DIR));
                        assert_non_null(find(&s, "o/k", LAYER_WHITEOUT_NONE));
                }
                layout_free(&x);
        }
        tree_free(&t);
}

/* The marker right after its directory, from either overlay xattr namespace. */
static void test_write_opaque_dirs(void **state) {
        static const char *const names[] = { "user.overlay.opaque", "trusted.overlay.opaque" };

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                Tree t = { .dir = scratch() };
                Layout x = layout_new();
                LayerWriteResult res;
                SeenList s;
                int r;

                t.fd = open(t.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                assert_true(t.fd >= 0);
                put_dir(t.fd, "o", 0755);
                put_file(t.fd, "o/k", "kept", 0644, OLD);
                put_file(t.fd, "p", "plain", 0644, OLD);
                r = fsetxattr_at(t.fd, "o", names[i]);
                if (r < 0) {
                        print_message("skipped: %s not settable here: %s\n", names[i], strerror(errno));
                        tree_free(&t);
                        layout_free(&x);
                        continue;
                }
                res = write_tree(&t, &x, OCI_COMPRESSION_GZIP, -1);
                read_back(&x, &res, &s);
                assert_int_equal(s.n, 4);
                assert_string_equal(s.e[0].path, "o");
                assert_int_equal(s.e[0].whiteout, LAYER_WHITEOUT_NONE);
                assert_string_equal(s.e[1].path, "o");
                assert_int_equal(s.e[1].whiteout, LAYER_WHITEOUT_OPAQUE_DIR);
                assert_string_equal(s.e[2].path, "o/k");
                assert_string_equal(s.e[3].path, "p");
                /* "n" is not "y": not opaque */
                {
                        int fd = openat(t.fd, "o", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        assert_int_equal(fsetxattr(fd, names[i], "n", 1, 0), 0);
                        close(fd);
                }
                layout_free(&x);
                x = layout_new();
                res = write_tree(&t, &x, OCI_COMPRESSION_GZIP, -1);
                read_back(&x, &res, &s);
                assert_int_equal(s.n, 3);
                assert_null(find(&s, "o", LAYER_WHITEOUT_OPAQUE_DIR));
                tree_free(&t);
                layout_free(&x);
        }
}

typedef struct HeaderCheck {
        int64_t sde;
        bool squash;
        unsigned n;
} HeaderCheck;

static void check_header(struct archive_entry *e, size_t i, void *u) {
        HeaderCheck *h = u;
        const char *p = archive_entry_pathname(e);
        time_t want;

        h->n++;
        /* numbers only, no user or group names; no atime/ctime; whole seconds */
        assert_true(isempty(archive_entry_uname(e)));
        assert_true(isempty(archive_entry_gname(e)));
        assert_false(archive_entry_atime_is_set(e));
        assert_false(archive_entry_ctime_is_set(e));
        assert_int_equal(archive_entry_mtime_nsec(e), 0);
        /* relative names, without "./" */
        assert_true(p[0] != '/' && !strneq(p, "./", 2));

        if (streq(p, "a/z") || strneq(p, "o", 1))
                want = OLD;
        else
                want = NEW;
        if (h->sde >= 0 && want > h->sde)
                want = (time_t) h->sde;
        assert_int_equal(archive_entry_mtime(e), want);

        if (streq(p, "b") && is_root()) {
                assert_int_equal(archive_entry_uid(e), h->squash ? 0 : 1000);
                assert_int_equal(archive_entry_gid(e), h->squash ? 0 : 1001);
        }
        if (streq(p, ".wh.gone") || streq(p, "o/.wh..wh..opq")) {
                assert_int_equal(archive_entry_filetype(e), AE_IFREG);
                assert_int_equal(archive_entry_perm(e), 0);
                assert_int_equal(archive_entry_size(e), 0);
                assert_int_equal(archive_entry_uid(e), 0);
                assert_int_equal(archive_entry_gid(e), 0);
        }
}

/* Headers as a reproducible build wants them, with and without SOURCE_DATE_EPOCH and squashing. */
static void test_write_headers(void **state) {
        Tree t = tree_new(true);
        static const struct {
                int64_t sde;
                bool squash;
        } rows[] = { { -1, false }, { SDE, false }, { SDE, true }, { 0, false } };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                Layout x = layout_new();
                LayerWriteOptions o = LAYER_WRITE_OPTIONS_DEFAULT;
                LayerWriteResult res;
                HeaderCheck h = { .sde = rows[i].sde, .squash = rows[i].squash };
                Buf b;

                o.compression = OCI_COMPRESSION_ZSTD;
                o.source_date_epoch = rows[i].sde;
                if (rows[i].squash)
                        o.squash_uid = 1000, o.squash_gid = 1001;
                assert_int_equal(layer_write_tree(t.fd, &o, x.l, &res), 0);
                b = plain_tar(&x, &res);
                foreach_header(&b, check_header, &h);
                assert_int_equal(h.n, res.n_entries);
                free(b.data);
                layout_free(&x);
        }
        tree_free(&t);
}

/* ustar where it suffices, no padding to a 10 KiB block: one small file is 512 + 512 + 1024 bytes. */
static void test_write_minimal_tar(void **state) {
        Tree t = { .dir = scratch() };
        Layout x = layout_new();
        LayerWriteResult res;
        Buf b;

        t.fd = open(t.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(t.fd >= 0);
        put_file(t.fd, "f", "hello", 0644, OLD);
        res = write_tree(&t, &x, OCI_COMPRESSION_NONE, -1);
        assert_int_equal(res.size, 2048);
        assert_int_equal(res.n_entries, 1);
        b = plain_tar(&x, &res);
        assert_int_equal(b.size, 2048);
        assert_memory_equal(b.data + 257, "ustar", 5);
        assert_memory_equal(b.data + 512, "hello", 5);
        free(b.data);
        layout_free(&x);

        /* gzip: no name and a zero mtime in the header (RFC 1952: FLG at 3, MTIME at 4..7) */
        x = layout_new();
        res = write_tree(&t, &x, OCI_COMPRESSION_GZIP, -1);
        {
                _cleanup_free_ char *blob = NULL;
                OciDescriptor d = descriptor_of(&res);
                size_t n;
                assert_int_equal(oci_layout_read_blob(x.l, &d, 1 << 20, &blob, &n), 0);
                assert_int_equal((uint8_t) blob[0], 0x1f);
                assert_int_equal((uint8_t) blob[1], 0x8b);
                assert_int_equal(blob[3], 0);
                assert_memory_equal(blob + 4, "\0\0\0\0", 4);
        }
        layout_free(&x);
        tree_free(&t);
}

/* Equal trees made in different orders, at different times, give equal blobs: same digest and
 * diff_id, for every compression; the uncompressed digest does not depend on the compression. */
static void test_write_reproducible(void **state) {
        static const OciCompression cs[] = { OCI_COMPRESSION_NONE, OCI_COMPRESSION_GZIP, OCI_COMPRESSION_ZSTD };
        Tree t1 = tree_new(true), t2 = tree_new(false);
        OciDigest diff_id = {};

        for (size_t i = 0; i < ELEMENTSOF(cs); i++) {
                Layout x = layout_new(), y = layout_new();
                LayerWriteResult r1 = write_tree(&t1, &x, cs[i], SDE), r2 = write_tree(&t2, &y, cs[i], SDE),
                                 again = write_tree(&t1, &x, cs[i], SDE);

                assert_string_equal(r1.digest.str, r2.digest.str);
                assert_string_equal(r1.diff_id.str, r2.diff_id.str);
                assert_int_equal(r1.size, r2.size);
                assert_string_equal(r1.digest.str, again.digest.str);
                assert_int_equal(count_blobs(&x), 1); /* the same blob, stored once */
                if (i == 0)
                        diff_id = r1.diff_id;
                assert_string_equal(r1.diff_id.str, diff_id.str);
                layout_free(&x);
                layout_free(&y);
        }
        /* a change of one mode bit changes the digest */
        {
                Layout x = layout_new(), y = layout_new();
                LayerWriteResult r1 = write_tree(&t1, &x, OCI_COMPRESSION_GZIP, SDE), r2;
                assert_int_equal(fchmodat(t2.fd, "a/z", 0644, 0), 0);
                r2 = write_tree(&t2, &y, OCI_COMPRESSION_GZIP, SDE);
                assert_string_not_equal(r1.diff_id.str, r2.diff_id.str);
                layout_free(&x);
                layout_free(&y);
        }
        tree_free(&t1);
        tree_free(&t2);
}

typedef struct XattrSeen {
        bool cap, other;
} XattrSeen;

static void check_xattrs(struct archive_entry *e, size_t i, void *u) {
        XattrSeen *x = u;
        const char *name;
        const void *v;
        size_t n;

        archive_entry_xattr_reset(e);
        while (archive_entry_xattr_next(e, &name, &v, &n) == ARCHIVE_OK) {
                if (streq(name, "security.capability") && streq(archive_entry_pathname(e), "ping"))
                        x->cap = true;
                else
                        x->other = true;
        }
}

/* security.capability is kept; other xattrs (user.*, overlay ones) are not written. */
static void test_write_xattrs(void **state) {
        struct vfs_cap_data cap = {
                .magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE,
                .data = { { .permitted = 1u << CAP_NET_RAW } },
        };
        Tree t = { .dir = scratch() };
        Layout x = layout_new();
        _cleanup_free_ char *ping = NULL, *plain = NULL;
        LayerWriteResult res;
        XattrSeen seen = {};
        Buf b;

        t.fd = open(t.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(t.fd >= 0);
        put_file(t.fd, "ping", "\177ELF", 0755, OLD);
        put_file(t.fd, "plain", "x", 0644, OLD);
        assert_true(asprintf(&ping, "%s/ping", t.dir) > 0);
        assert_true(asprintf(&plain, "%s/plain", t.dir) > 0);
        if (!is_root() || setxattr(ping, "security.capability", &cap, sizeof(cap), 0) < 0 ||
            setxattr(plain, "user.note", "n", 1, 0) < 0 || setxattr(plain, "trusted.overlay.origin", "o", 1, 0) < 0) {
                tree_free(&t);
                layout_free(&x);
                skip(); /* needs root and a file system with user and trusted xattrs */
        }
        res = write_tree(&t, &x, OCI_COMPRESSION_NONE, -1);
        b = plain_tar(&x, &res);
        foreach_header(&b, check_xattrs, &seen);
        assert_true(seen.cap);
        assert_false(seen.other);
        free(b.data);
        layout_free(&x);
        tree_free(&t);
}

/* A path over LAYER_PATH_MAX: -ENAMETOOLONG, and no blob (nor temporary) left in the layout. */
static void test_write_path_too_long(void **state) {
        Tree t = { .dir = scratch() };
        Layout x = layout_new();
        char comp[201];
        LayerWriteOptions o = LAYER_WRITE_OPTIONS_DEFAULT;
        LayerWriteResult res = { .n_entries = 777 };
        int fd;

        memset(comp, 'd', sizeof(comp) - 1);
        comp[sizeof(comp) - 1] = 0;
        fd = open(t.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        t.fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        /* 21 levels of 201 bytes ("d...d/"): 4221 bytes */
        for (int i = 0; i < 21; i++) {
                int next;
                assert_int_equal(mkdirat(fd, comp, 0755), 0);
                next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                assert_true(next >= 0);
                close(fd);
                fd = next;
        }
        close(fd);
        assert_int_equal(layer_write_tree(t.fd, &o, x.l, &res), -ENAMETOOLONG);
        assert_int_equal(res.n_entries, 777); /* untouched on failure */
        assert_int_equal(count_blobs(&x), 0);
        layout_free(&x);
        tree_free(&t);
}

static void test_parse_source_date_epoch(void **state) {
        static const struct {
                const char *s;
                int r;
                int64_t v;
        } rows[] = {
                { "0", 0, 0 },
                { "1700000000", 0, 1700000000 },
                { "0042", 0, 42 },
                { "9223372036854775807", 0, INT64_MAX },
                { "9223372036854775808", -EINVAL },  /* overflow */
                { "", -EINVAL },
                { "-1", -EINVAL },
                { "+5", -EINVAL },
                { " 5", -EINVAL },
                { "5 ", -EINVAL },
                { "5x", -EINVAL },
                { "1.5", -EINVAL },
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                int64_t v = -7;

                print_message("'%s'\n", rows[i].s);
                assert_int_equal(layer_parse_source_date_epoch(rows[i].s, &v), rows[i].r);
                assert_int_equal(v, rows[i].r == 0 ? rows[i].v : -7);
        }
        assert_int_equal(layer_parse_source_date_epoch(NULL, &(int64_t) { 0 }), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_write_read_back),
                cmocka_unit_test(test_write_opaque_dirs),
                cmocka_unit_test(test_write_headers),
                cmocka_unit_test(test_write_minimal_tar),
                cmocka_unit_test(test_write_reproducible),
                cmocka_unit_test(test_write_xattrs),
                cmocka_unit_test(test_write_path_too_long),
                cmocka_unit_test(test_parse_source_date_epoch),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
