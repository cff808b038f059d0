/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <zlib.h>
#include <zstd.h>

#include "layer-path.h"
#include "layer-write.h"
#include "macro.h"

/* ---- the byte pipeline: tar -> diff_id hasher -> compressor -> blob writer ------------------- */

typedef struct Sink {
        OciCompression compression;
        OciHasher *tar_hasher;
        OciBlobWriter *blob;
        z_stream z;
        bool z_ready;
        ZSTD_CStream *zstd;
        uint8_t out[128 * 1024];
        int error;     /* first failure, reported after libarchive returns */
} Sink;

static int sink_emit(Sink *s, const void *buf, size_t n) {
        return n ? oci_blob_writer_write(s->blob, buf, n) : 0;
}

static int sink_gzip(Sink *s, const void *buf, size_t n, bool finish) {
        int zr;

        s->z.next_in = (Bytef *) buf;
        s->z.avail_in = (uInt) n;
        do {
                s->z.next_out = s->out;
                s->z.avail_out = sizeof(s->out);
                zr = deflate(&s->z, finish ? Z_FINISH : Z_NO_FLUSH);
                if (zr == Z_STREAM_ERROR)
                        return -EIO;
                int r = sink_emit(s, s->out, sizeof(s->out) - s->z.avail_out);
                if (r < 0)
                        return r;
        } while (s->z.avail_out == 0 || (finish && zr != Z_STREAM_END));
        return 0;
}

static int sink_zstd(Sink *s, const void *buf, size_t n, bool finish) {
        ZSTD_inBuffer in = { buf, n, 0 };
        size_t left;

        do {
                ZSTD_outBuffer out = { s->out, sizeof(s->out), 0 };
                left = ZSTD_compressStream2(s->zstd, &out, &in, finish ? ZSTD_e_end : ZSTD_e_continue);
                if (ZSTD_isError(left))
                        return -EIO;
                int r = sink_emit(s, s->out, out.pos);
                if (r < 0)
                        return r;
        } while (finish ? left != 0 : in.pos < in.size);
        return 0;
}

static int sink_push(Sink *s, const void *buf, size_t n, bool finish) {
        int r = oci_hasher_update(s->tar_hasher, buf, n);
        if (r < 0)
                return r;
        switch (s->compression) {
        case OCI_COMPRESSION_GZIP:
                return sink_gzip(s, buf, n, finish);
        case OCI_COMPRESSION_ZSTD:
                return sink_zstd(s, buf, n, finish);
        default:
                return sink_emit(s, buf, n);
        }
}

static int sink_init(Sink *s, const LayerWriteOptions *opts, OciLayout *l) {
        int r;

        s->compression = opts->compression;
        r = oci_hasher_new(&s->tar_hasher);
        if (r < 0)
                return r;
        r = oci_blob_writer_new(l, &s->blob);
        if (r < 0)
                return r;
        if (s->compression == OCI_COMPRESSION_GZIP) {
                /* windowBits 16+15: a gzip wrapper; zlib writes mtime 0 and no name, so the header is
                 * the same on every run. */
                if (deflateInit2(&s->z, opts->level > 0 ? opts->level : Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + 15, 8,
                                 Z_DEFAULT_STRATEGY) != Z_OK)
                        return -ENOMEM;
                s->z_ready = true;
        } else if (s->compression == OCI_COMPRESSION_ZSTD) {
                s->zstd = ZSTD_createCStream();
                if (!s->zstd)
                        return -ENOMEM;
                if (ZSTD_isError(ZSTD_CCtx_setParameter(s->zstd, ZSTD_c_compressionLevel,
                                                        opts->level > 0 ? opts->level : 3)))
                        return -EINVAL;
        } else if (s->compression != OCI_COMPRESSION_NONE)
                return -EINVAL;
        return 0;
}

static void sink_done(Sink *s) {
        if (s->z_ready)
                deflateEnd(&s->z);
        ZSTD_freeCStream(s->zstd);
        oci_hasher_free(s->tar_hasher);
        oci_blob_writer_free(s->blob);
}

static la_ssize_t archive_write_cb(struct archive *a, void *userdata, const void *buf, size_t n) {
        Sink *s = userdata;
        int r = sink_push(s, buf, n, false);

        if (r < 0) {
                s->error = r;
                archive_set_error(a, -r, "layer sink failed");
                return -1;
        }
        return (la_ssize_t) n;
}

/* ---- the tree walk -------------------------------------------------------------------------- */

typedef struct HardLink {
        dev_t dev;
        ino_t ino;
        char *path;
} HardLink;

typedef struct Walk {
        struct archive *a;
        struct archive_entry *entry;
        const LayerWriteOptions *opts;
        HardLink *links;
        size_t n_links;
        uint64_t n_entries;
        char path[LAYER_PATH_MAX + 1];
} Walk;

static int cmp_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The sorted names in the directory fd (consumed). */
static int read_sorted(int fd, char ***ret, size_t *ret_n) {
        DIR *d = fdopendir(fd);
        char **names = NULL;
        size_t n = 0;
        struct dirent *de;

        if (!d) {
                int r = negative_errno();
                close(fd);
                return r;
        }
        while ((errno = 0, de = readdir(d))) {
                char **t;
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                t = reallocarray(names, n + 1, sizeof(char *));
                if (!t || !(t[n] = strdup(de->d_name))) {
                        names = t ? t : names;
                        goto oom;
                }
                names = t;
                n++;
        }
        closedir(d);
        qsort(names, n, sizeof(char *), cmp_names);
        *ret = names;
        *ret_n = n;
        return 0;
oom:
        closedir(d);
        for (size_t k = 0; k < n; k++)
                free(names[k]);
        free(names);
        return -ENOMEM;
}

static time_t clamp_mtime(const Walk *w, time_t t) {
        if (w->opts->source_date_epoch >= 0 && t > w->opts->source_date_epoch)
                return (time_t) w->opts->source_date_epoch;
        return t;
}

static int64_t map_id(int64_t id, int64_t squash) {
        return squash >= 0 && id == squash ? 0 : id;
}

static int write_header(Walk *w) {
        w->n_entries++;
        if (archive_write_header(w->a, w->entry) != ARCHIVE_OK)
                return -EIO;
        return 0;
}

/* A zero-size regular file marking a whiteout: mode 0, root-owned, the parent's clamped time. */
static int write_marker(Walk *w, const char *dir, const char *name, time_t mtime) {
        char p[LAYER_PATH_MAX + 1];

        if ((size_t) snprintf(p, sizeof(p), "%s%s%s", dir, *dir ? "/" : "", name) >= sizeof(p))
                return -ENAMETOOLONG;
        archive_entry_clear(w->entry);
        archive_entry_set_pathname(w->entry, p);
        archive_entry_set_filetype(w->entry, AE_IFREG);
        archive_entry_set_perm(w->entry, 0);
        archive_entry_set_size(w->entry, 0);
        archive_entry_set_mtime(w->entry, clamp_mtime(w, mtime), 0);
        return write_header(w);
}

static bool is_overlay_opaque(int fd) {
        static const char *const names[] = { "user.overlay.opaque", "trusted.overlay.opaque" };
        char v[4];

        for (size_t k = 0; k < ELEMENTSOF(names); k++) {
                ssize_t n = fgetxattr(fd, names[k], v, sizeof(v));
                if (n == 1 && v[0] == 'y')
                        return true;
        }
        return false;
}

static void add_capability_xattr(Walk *w, int dirfd, const char *name) {
        char proc[64], v[256];
        _cleanup_close_ int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return;
        /* getxattr needs a real path for O_PATH fds. */
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        n = getxattr(proc, "security.capability", v, sizeof(v));
        if (n > 0)
                archive_entry_xattr_add_entry(w->entry, "security.capability", v, (size_t) n);
}

static int copy_data(Walk *w, int dirfd, const char *name) {
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
        char buf[64 * 1024];
        ssize_t n;

        if (fd < 0)
                return negative_errno();
        while ((n = read(fd, buf, sizeof(buf))) != 0) {
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (archive_write_data(w->a, buf, (size_t) n) != n)
                        return -EIO;
        }
        return 0;
}

/* Record the first name of a multiply linked file; return the earlier name for later ones. */
static int hardlink_check(Walk *w, const struct stat *st, const char **ret_target) {
        HardLink *t;

        *ret_target = NULL;
        if (S_ISDIR(st->st_mode) || st->st_nlink < 2)
                return 0;
        for (size_t k = 0; k < w->n_links; k++)
                if (w->links[k].dev == st->st_dev && w->links[k].ino == st->st_ino) {
                        *ret_target = w->links[k].path;
                        return 0;
                }
        t = reallocarray(w->links, w->n_links + 1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        w->links = t;
        t[w->n_links] = (HardLink) { st->st_dev, st->st_ino, strdup(w->path) };
        if (!t[w->n_links].path)
                return -ENOMEM;
        w->n_links++;
        return 0;
}

static int fill_entry(Walk *w, int dirfd, const char *name, const struct stat *st) {
        archive_entry_clear(w->entry);
        archive_entry_set_pathname(w->entry, w->path);
        archive_entry_set_mode(w->entry, st->st_mode);
        archive_entry_set_uid(w->entry, map_id(st->st_uid, w->opts->squash_uid));
        archive_entry_set_gid(w->entry, map_id(st->st_gid, w->opts->squash_gid));
        archive_entry_set_mtime(w->entry, clamp_mtime(w, st->st_mtime), 0);
        if (S_ISREG(st->st_mode)) {
                archive_entry_set_size(w->entry, st->st_size);
                add_capability_xattr(w, dirfd, name);
        } else if (S_ISLNK(st->st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
                if (n < 0)
                        return negative_errno();
                target[n] = 0;
                archive_entry_set_symlink(w->entry, target);
        } else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
                archive_entry_set_rdev(w->entry, st->st_rdev);
        return 0;
}

static int walk_dir(Walk *w, int dirfd, size_t base_len);

static int walk_one(Walk *w, int dirfd, const char *name, size_t base_len) {
        const char *link_target;
        struct stat st;
        size_t len;
        int r;

        len = base_len + (base_len ? 1 : 0) + strlen(name);
        if (len > LAYER_PATH_MAX)
                return -ENAMETOOLONG;
        snprintf(w->path + base_len, sizeof(w->path) - base_len, "%s%s", base_len ? "/" : "", name);

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return negative_errno();

        /* overlayfs whiteout: a character device 0/0 */
        if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
                char marker[NAME_MAX + 8];
                w->path[base_len] = 0;
                snprintf(marker, sizeof(marker), LAYER_WHITEOUT_PREFIX "%s", name);
                return write_marker(w, w->path, marker, st.st_mtime);
        }

        r = hardlink_check(w, &st, &link_target);
        if (r < 0)
                return r;
        r = fill_entry(w, dirfd, name, &st);
        if (r < 0)
                return r;
        if (link_target) {
                archive_entry_set_filetype(w->entry, AE_IFREG);
                archive_entry_set_size(w->entry, 0);
                archive_entry_set_hardlink(w->entry, link_target);
                return write_header(w);
        }
        r = write_header(w);
        if (r < 0)
                return r;
        if (S_ISREG(st.st_mode) && st.st_size > 0)
                return copy_data(w, dirfd, name);
        if (S_ISDIR(st.st_mode)) {
                _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return negative_errno();
                if (is_overlay_opaque(fd)) {
                        r = write_marker(w, w->path, LAYER_WHITEOUT_OPAQUE, st.st_mtime);
                        if (r < 0)
                                return r;
                }
                return walk_dir(w, TAKE_FD(fd), len);
        }
        return 0;
}

/* Walk the directory fd (consumed); w->path holds its layer path (base_len bytes). */
static int walk_dir(Walk *w, int fd, size_t base_len) {
        _cleanup_close_ int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        char **names = NULL;
        size_t n = 0;
        int r;

        if (dfd < 0) {
                r = negative_errno();
                close(fd);
                return r;
        }
        r = read_sorted(fd, &names, &n);
        if (r < 0)
                return r;
        for (size_t k = 0; k < n; k++) {
                if (r >= 0)
                        r = walk_one(w, dfd, names[k], base_len);
                free(names[k]);
        }
        free(names);
        w->path[base_len] = 0;
        return r;
}

static void walk_done(Walk *w) {
        for (size_t k = 0; k < w->n_links; k++)
                free(w->links[k].path);
        free(w->links);
        if (w->entry)
                archive_entry_free(w->entry);
        if (w->a)
                archive_write_free(w->a);
}

static int finish(Sink *s, Walk *w, LayerWriteResult *ret) {
        int r;

        if (archive_write_close(w->a) != ARCHIVE_OK)
                return s->error < 0 ? s->error : -EIO;
        r = sink_push(s, NULL, 0, true);
        if (r < 0)
                return r;
        r = oci_hasher_final(s->tar_hasher, &ret->diff_id);
        if (r < 0)
                return r;
        r = oci_blob_writer_finish(s->blob, NULL, &ret->digest, &ret->size);
        if (r < 0)
                return r;
        ret->n_entries = w->n_entries;
        ret->media_type = oci_layer_media_type(s->compression);
        return 0;
}

int layer_write_tree(int dirfd, const LayerWriteOptions *opts, OciLayout *l, LayerWriteResult *ret) {
        _cleanup_(sink_done) Sink s = {};
        _cleanup_(walk_done) Walk w = { .opts = opts };
        LayerWriteResult result = {};
        int fd, r;

        r = sink_init(&s, opts, l);
        if (r < 0)
                return r;
        w.a = archive_write_new();
        w.entry = archive_entry_new();
        if (!w.a || !w.entry)
                return -ENOMEM;
        if (archive_write_set_format_pax_restricted(w.a) != ARCHIVE_OK ||
            archive_write_set_bytes_per_block(w.a, 10240) != ARCHIVE_OK ||
            archive_write_set_bytes_in_last_block(w.a, 1) != ARCHIVE_OK)
                return -EIO;
        if (archive_write_open2(w.a, &s, NULL, archive_write_cb, NULL, NULL) != ARCHIVE_OK)
                return -EIO;

        fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        r = walk_dir(&w, fd, 0);
        if (r < 0)
                return s.error < 0 ? s.error : r;
        r = finish(&s, &w, &result);
        if (r < 0)
                return r;
        *ret = result;
        return 0;
}

int layer_parse_source_date_epoch(const char *s, int64_t *ret) {
        char *end;
        long long v;

        if (isempty(s) || *s == '-' || *s == '+' || *s == ' ')
                return -EINVAL;
        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno != 0 || *end || v < 0)
                return -EINVAL;
        *ret = v;
        return 0;
}
