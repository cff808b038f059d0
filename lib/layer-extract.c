/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "file-util.h"
#include "layer-extract.h"
#include "layer-path.h"
#include "macro.h"

typedef struct Extract {
        const char *root;
        const LayerExtractOptions *opts;
        LayerStream *stream;
        int stream_error;
        struct archive *in, *out;
        LayerReadResult *res;
        char refused[256];      /* the entry name refused, for the message */
        const char *refused_why;/* and why (static), or NULL for the generic reason */
} Extract;

static la_ssize_t source_read(struct archive *a, void *userdata, const void **ret) {
        Extract *x = userdata;
        ssize_t n = layer_stream_read(x->stream, ret);

        if (n < 0) {
                x->stream_error = (int) n;
                archive_set_error(a, (int) -n, "layer stream read failed");
                return -1;
        }
        return n;
}

static int extract_error(const Extract *x) {
        return x->stream_error ?: -EBADMSG;
}

static void refuse_name(Extract *x, const char *name) {
        snprintf(x->refused, sizeof(x->refused), "%s", name ?: "(unnamed)");
}

/* Refuse the entry name with a reason; returns -EBADMSG. */
static int refuse(Extract *x, const char *name, const char *why) {
        refuse_name(x, name);
        x->refused_why = why;
        return -EBADMSG;
}

/* mkdir -p of root/rel's components (rel normalised, relative), refusing to pass through symlinks. */
static int make_parents(const char *root, const char *rel) {
        char p[PATH_MAX];
        size_t root_len = strlen(root);

        if ((size_t) snprintf(p, sizeof(p), "%s/%s", root, rel) >= sizeof(p))
                return -ENAMETOOLONG;
        for (char *s = p + root_len + 1; (s = strchr(s, '/')); s++) {
                struct stat st;
                *s = 0;
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return negative_errno();
                if (lstat(p, &st) < 0)
                        return negative_errno();
                if (!S_ISDIR(st.st_mode))
                        return -ENOTDIR;
                *s = '/';
        }
        return 0;
}

static int apply_whiteout(const char *root, LayerWhiteout kind, const char *target) {
        char p[PATH_MAX];
        int r;

        r = make_parents(root, kind == LAYER_WHITEOUT_OPAQUE_DIR ? (*target ? target : ".") : target);
        if (r < 0)
                return r;
        if ((size_t) snprintf(p, sizeof(p), "%s/%s", root, target) >= sizeof(p))
                return -ENAMETOOLONG;
        if (kind == LAYER_WHITEOUT_OPAQUE_DIR) {
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return negative_errno();
                if (lsetxattr(p, "user.overlay.opaque", "y", 1, 0) < 0)
                        return negative_errno();
                return 0;
        }
        if (mknod(p, S_IFCHR | 0, makedev(0, 0)) < 0)
                return negative_errno();
        return 0;
}

/* ---- hardlinks into lower layers ----------------------------------------------------------------- */

static bool is_whiteout(const struct stat *st) {
        return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

/* How rel's ancestors in the layer at dir treat what lies below them: a whiteout or a non-directory on
 * the way hides it (1); an opaque directory on the way means "this layer, but none below" (2); else 0.
 * Every ancestor is lstat()ed, so nothing below is reached through a symlink. */
static int ancestors_verdict(const char *dir, const char *rel) {
        _cleanup_free_ char *p = NULL;
        size_t dir_len = strlen(dir);
        int verdict = 0;

        if (asprintf(&p, "%s/%s", dir, rel) < 0)
                return -ENOMEM;
        for (char *s = p + dir_len + 1; (s = strchr(s, '/')); s++) {
                struct stat st;
                char v;
                *s = 0;
                if (lstat(p, &st) < 0) {
                        if (errno != ENOENT)
                                return negative_errno();
                        return verdict ?: 3; /* missing: nothing of rel in this layer */
                }
                if (!S_ISDIR(st.st_mode))
                        return 1;
                if (lgetxattr(p, "user.overlay.opaque", &v, 1) == 1 && v == 'y')
                        verdict = 2;
                *s = '/';
        }
        return verdict;
}

/* Copy the regular file at src (opened O_NOFOLLOW) to dst (created, must not exist) with its mode,
 * owner (when we are root), times and extended attributes (security.capability among them). */
static int copy_file(const char *src, const char *dst) {
        _cleanup_close_ int in = -EBADF, out = -EBADF;
        char names[4096], value[4096];
        struct stat st;
        ssize_t n;

        /* A layer may hold a fifo or a device there: it is not opened (a fifo's open blocks until a
         * writer comes, a device's may act); O_NONBLOCK in case it changed since. */
        if (lstat(src, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        in = open(src, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (in < 0)
                return negative_errno();
        if (fstat(in, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 07777);
        if (out < 0)
                return negative_errno();
        for (off_t left = st.st_size; left > 0; left -= n) {
                n = copy_file_range(in, NULL, out, NULL, (size_t) left, 0);
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        break;
        }
        if (geteuid() == 0 && fchown(out, st.st_uid, st.st_gid) < 0)
                return negative_errno();
        n = flistxattr(in, names, sizeof(names));
        for (char *k = names; n > 0 && k < names + n; k += strlen(k) + 1) {
                ssize_t v = fgetxattr(in, k, value, sizeof(value));
                if (v >= 0 && fsetxattr(out, k, value, (size_t) v, 0) < 0 && errno != EPERM && errno != ENOTSUP)
                        return negative_errno();
        }
        /* fchown() clears set-uid bits: put the mode back. */
        if (fchmod(out, st.st_mode & 07777) < 0)
                return negative_errno();
        return futimens(out, (struct timespec[2]) { st.st_atim, st.st_mtim }) < 0 ? negative_errno() : 0;
}

/* A hardlink's target that this layer does not have: copy it up from the newest lower layer in which it
 * is visible (as overlayfs does before link(2) on the mounted stack). Returns 0, -ENOENT when no layer
 * has it, -EBADMSG when it is not a regular file, or -errno. */
static int copy_up(const char *root, const char *target, char **lowers) {
        _cleanup_free_ char *dst = NULL;
        int v, r;

        v = ancestors_verdict(root, target);
        if (v < 0)
                return v;
        if (v == 1 || v == 2)
                return -ENOENT;
        if (asprintf(&dst, "%s/%s", root, target) < 0)
                return -ENOMEM;
        for (char **l = lowers; l && *l; l++) {
                _cleanup_free_ char *src = NULL;
                struct stat st;

                v = ancestors_verdict(*l, target);
                if (v < 0)
                        return v;
                if (v == 1)
                        return -ENOENT;
                if (asprintf(&src, "%s/%s", *l, target) < 0)
                        return -ENOMEM;
                if (v != 3 && lstat(src, &st) >= 0) {
                        if (is_whiteout(&st))
                                return -ENOENT;
                        r = make_parents(root, target);
                        return r < 0 ? r : copy_file(src, dst);
                }
                if (v == 2)
                        return -ENOENT;
        }
        return -ENOENT;
}

/* ---- entries ------------------------------------------------------------------------------------- */

static int copy_entry_data(Extract *x) {
        const void *buf;
        size_t size;
        la_int64_t offset;
        int ar;

        /* Blocks come with their offsets: holes of sparse entries stay holes (the writer seeks). */
        while ((ar = archive_read_data_block(x->in, &buf, &size, &offset)) == ARCHIVE_OK)
                if (archive_write_data_block(x->out, buf, size, offset) < ARCHIVE_OK)
                        return -EIO;
        return ar == ARCHIVE_EOF ? 0 : extract_error(x);
}

/* The entry's names checked against the bounds. */
static int check_names(Extract *x, struct archive_entry *e, size_t max_path) {
        const char *names[] = { archive_entry_pathname(e), archive_entry_hardlink(e), archive_entry_symlink(e) };

        if (!names[0]) {
                refuse_name(x, NULL);
                return -EBADMSG;
        }
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (names[i] && strlen(names[i]) > max_path) {
                        refuse_name(x, names[0]);
                        return -ENAMETOOLONG;
                }
        return 0;
}

/* Point the hardlink entry e at root/its target, copying the target up from a lower layer first when
 * this layer lacks it. */
static int prepare_hardlink(Extract *x, struct archive_entry *e, const char *hl) {
        _cleanup_free_ char *hnorm = NULL, *hfull = NULL;
        struct stat st;
        int r;

        if (layer_path_normalize(hl, &hnorm) < 0) {
                refuse_name(x, hl);
                return -EBADMSG;
        }
        if (asprintf(&hfull, "%s/%s", x->root, hnorm) < 0)
                return -ENOMEM;
        if (lstat(hfull, &st) >= 0) {
                /* deleted by this very layer: on the mounted stack the target is gone, link(2) fails */
                if (is_whiteout(&st))
                        return refuse(x, hl, "its hardlink target was deleted earlier in this layer");
        } else if (errno == ENOENT && x->opts->lowers) {
                r = copy_up(x->root, hnorm, x->opts->lowers);
                if (r == -EBADMSG)
                        return refuse(x, hl, "its hardlink target is not a regular file");
                if (r < 0 && r != -ENOENT)
                        return r;
        }
        archive_entry_set_hardlink(e, hfull);
        return 0;
}

/* Rewrite the entry's names to absolute paths under root. Returns the whiteout kind (>= 0), with
 * *ret_target set for whiteouts, or -errno. */
static int prepare_entry(Extract *x, struct archive_entry *e, char **ret_target) {
        _cleanup_free_ char *norm = NULL, *full = NULL;
        const char *hl = archive_entry_hardlink(e);
        int kind, r;

        r = check_names(x, e, x->opts->read.max_path ?: LAYER_PATH_MAX);
        if (r < 0)
                return r;
        if (layer_path_normalize(archive_entry_pathname(e), &norm) < 0) {
                refuse_name(x, archive_entry_pathname(e));
                return -EBADMSG;
        }
        kind = layer_whiteout_classify(norm, ret_target);
        if (kind == -ENOMEM)
                return kind;
        if (kind < 0)
                return refuse(x, archive_entry_pathname(e), "it is not a valid whiteout name");
        if (kind != LAYER_WHITEOUT_NONE)
                return kind;
        /* The name as the layer wrote it, for a refusal libarchive makes while writing. */
        refuse_name(x, norm);
        if (asprintf(&full, "%s/%s", x->root, norm) < 0)
                return -ENOMEM;
        archive_entry_set_pathname(e, full);
        if (hl && (r = prepare_hardlink(x, e, hl)) < 0)
                return r;
        r = make_parents(x->root, norm);
        if (r == -ENOTDIR)
                return refuse(x, norm, "a directory on its way is a symlink or a file in this layer");
        return r < 0 ? r : LAYER_WHITEOUT_NONE;
}

/* Sparse files count by the size they unpack to, against the same bound as the stream. */
static int count_bytes(Extract *x, struct archive_entry *e) {
        if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e) || archive_entry_size(e) <= 0)
                return 0;
        x->res->file_bytes += (uint64_t) archive_entry_size(e);
        if (x->opts->read.stream.max_bytes > 0 && x->res->file_bytes > x->opts->read.stream.max_bytes)
                return -EFBIG;
        return 0;
}

static int extract_one(Extract *x, struct archive_entry *e) {
        _cleanup_free_ char *target = NULL;
        int r;

        x->refused[0] = 0;
        r = prepare_entry(x, e, &target);
        if (r < 0)
                return r;
        if (r != LAYER_WHITEOUT_NONE)
                return apply_whiteout(x->root, r, target);
        r = count_bytes(x, e);
        if (r < 0)
                return r;
        if (archive_write_header(x->out, e) < ARCHIVE_OK) {
                /* x->refused holds the entry's own name (prepare_entry), not the path under root */
                x->refused_why = archive_entry_hardlink(e) ?
                        "its hardlink target is not in this layer or below it, or is reached through a symlink" :
                        "libarchive refused to write it (a symlink on its way?)";
                return -EBADMSG;
        }
        if (archive_entry_size(e) > 0 && (r = copy_entry_data(x)) < 0)
                return r;
        return archive_write_finish_entry(x->out) < ARCHIVE_OK ? -EIO : 0;
}

static int extract_all(Extract *x) {
        struct archive_entry *e;
        int ar, r;

        while ((ar = archive_read_next_header(x->in, &e)) == ARCHIVE_OK || ar == ARCHIVE_WARN) {
                if (x->opts->read.max_entries > 0 && x->res->n_entries >= x->opts->read.max_entries)
                        return -E2BIG;
                x->res->n_entries++;
                r = extract_one(x, e);
                if (r < 0)
                        return r;
        }
        if (ar != ARCHIVE_EOF)
                return extract_error(x);
        if (archive_write_close(x->out) != ARCHIVE_OK)
                return -EIO;
        /* The digests cover what follows the tar end marker too. */
        return layer_stream_finish(x->stream, NULL);
}

static int archives_open(Extract *x) {
        int flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR |
                    ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SPARSE;

        x->in = archive_read_new();
        x->out = archive_write_disk_new();
        if (!x->in || !x->out)
                return -ENOMEM;
        /* Tar only: decompression is layer-stream's. */
        if (archive_read_support_format_tar(x->in) != ARCHIVE_OK ||
            archive_read_support_format_empty(x->in) != ARCHIVE_OK ||
            archive_read_support_filter_none(x->in) != ARCHIVE_OK)
                return -EOPNOTSUPP;
        if (geteuid() == 0)
                flags |= ARCHIVE_EXTRACT_OWNER;
        archive_write_disk_set_options(x->out, flags);
        if (archive_read_open(x->in, x, NULL, source_read, NULL) != ARCHIVE_OK)
                return extract_error(x);
        return 0;
}

int layer_extract_fd(int fd, const char *root, const LayerExtractOptions *opts, LayerReadResult *ret,
                     ErrorDetail *err) {
        static const LayerExtractOptions defaults = {};
        _cleanup_free_ char *real = NULL;
        LayerReadResult res = {};
        Extract x = { .opts = opts ?: &defaults, .res = &res };
        int r;

        real = realpath(root, NULL);
        if (!real) {
                r = error_detail_set(err, negative_errno(), "cannot be unpacked into %s: %m", root);
                if (ret)
                        *ret = res;
                return r;
        }
        x.root = real;
        r = layer_stream_new_fd(fd, &x.opts->read.stream, &x.stream);
        if (r >= 0)
                r = archives_open(&x);
        if (r >= 0)
                r = extract_all(&x);
        if (x.stream)
                layer_stream_result(x.stream, &res.stream);
        if (r < 0)
                r = layer_read_explain(r, &res, &x.opts->read, x.refused[0] ? x.refused : NULL, x.refused_why, err);
        if (x.in)
                archive_read_free(x.in);
        if (x.out)
                archive_write_free(x.out);
        layer_stream_free(x.stream);
        if (ret)
                *ret = res;
        return r;
}
