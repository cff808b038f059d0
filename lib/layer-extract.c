/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "layer-extract.h"
#include "layer-path.h"
#include "macro.h"

typedef struct Source {
        int fd;
        OciHasher *hasher;
        uint8_t buf[128 * 1024];
        int error;
} Source;

static la_ssize_t source_read(struct archive *a, void *userdata, const void **ret) {
        Source *s = userdata;
        ssize_t n;

        do
                n = read(s->fd, s->buf, sizeof(s->buf));
        while (n < 0 && errno == EINTR);
        if (n < 0) {
                s->error = negative_errno();
                archive_set_error(a, -s->error, "read failed");
                return -1;
        }
        if (s->hasher && oci_hasher_update(s->hasher, s->buf, (size_t) n) < 0) {
                s->error = -ENOMEM;
                return -1;
        }
        *ret = s->buf;
        return n;
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

static int copy_entry_data(struct archive *in, struct archive *out) {
        const void *buf;
        size_t size;
        la_int64_t offset;
        int ar;

        while ((ar = archive_read_data_block(in, &buf, &size, &offset)) == ARCHIVE_OK)
                if (archive_write_data_block(out, buf, size, offset) < ARCHIVE_OK)
                        return -EIO;
        return ar == ARCHIVE_EOF ? 0 : -EBADMSG;
}

/* Rewrite the entry's names to absolute paths under root. Returns the whiteout kind (>= 0), with
 * *ret_target set for whiteouts, or -errno. */
static int prepare_entry(struct archive_entry *e, const char *root, char **ret_target, LayerExtractResult *res) {
        _cleanup_free_ char *norm = NULL, *full = NULL;
        const char *hl = archive_entry_hardlink(e);
        int kind, r;

        r = layer_path_normalize(archive_entry_pathname(e), &norm);
        if (r < 0) {
                snprintf(res->bad_path, sizeof(res->bad_path), "%s", archive_entry_pathname(e) ?: "");
                return -EBADMSG;
        }
        kind = layer_whiteout_classify(norm, ret_target);
        if (kind < 0)
                return -EBADMSG;
        if (kind != LAYER_WHITEOUT_NONE)
                return kind;
        if (asprintf(&full, "%s/%s", root, norm) < 0)
                return -ENOMEM;
        archive_entry_set_pathname(e, full);
        if (hl) {
                _cleanup_free_ char *hnorm = NULL, *hfull = NULL;
                if (layer_path_normalize(hl, &hnorm) < 0) {
                        snprintf(res->bad_path, sizeof(res->bad_path), "%s", hl);
                        return -EBADMSG;
                }
                if (asprintf(&hfull, "%s/%s", root, hnorm) < 0)
                        return -ENOMEM;
                archive_entry_set_hardlink(e, hfull);
        }
        r = make_parents(root, norm);
        return r < 0 ? r : LAYER_WHITEOUT_NONE;
}

static int extract_all(struct archive *in, struct archive *out, const char *root, LayerExtractResult *res) {
        struct archive_entry *e;
        int ar, r;

        while ((ar = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
                _cleanup_free_ char *target = NULL;

                res->n_entries++;
                r = prepare_entry(e, root, &target, res);
                if (r < 0)
                        return r;
                if (r != LAYER_WHITEOUT_NONE) {
                        r = apply_whiteout(root, r, target);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (archive_write_header(out, e) < ARCHIVE_OK) {
                        snprintf(res->bad_path, sizeof(res->bad_path), "%s", archive_entry_pathname(e));
                        return archive_errno(out) > 0 ? -archive_errno(out) : -EIO;
                }
                if (archive_entry_size(e) > 0) {
                        r = copy_entry_data(in, out);
                        if (r < 0)
                                return r;
                }
                if (archive_write_finish_entry(out) < ARCHIVE_OK)
                        return -EIO;
        }
        return ar == ARCHIVE_EOF ? 0 : -EBADMSG;
}

int layer_extract_fd(int fd, const char *root, const OciDigest *verify, LayerExtractResult *ret) {
        _cleanup_free_ char *real = NULL;
        Source src = { .fd = fd };
        LayerExtractResult res = {};
        struct archive *in = NULL, *out = NULL;
        int flags, r;

        real = realpath(root, NULL);
        if (!real)
                return negative_errno();
        if (verify && (r = oci_hasher_new(&src.hasher)) < 0)
                return r;

        in = archive_read_new();
        out = archive_write_disk_new();
        if (!in || !out) {
                r = -ENOMEM;
                goto out;
        }
        archive_read_support_filter_all(in);
        archive_read_support_format_tar(in);
        flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                ARCHIVE_EXTRACT_SECURE_NODOTDOT;
        if (geteuid() == 0)
                flags |= ARCHIVE_EXTRACT_OWNER;
        archive_write_disk_set_options(out, flags);

        if (archive_read_open(in, &src, NULL, source_read, NULL) != ARCHIVE_OK) {
                r = src.error < 0 ? src.error : -EBADMSG;
                goto out;
        }
        r = extract_all(in, out, real, &res);
        if (r >= 0 && archive_write_close(out) != ARCHIVE_OK)
                r = -EIO;
        if (r >= 0 && verify) {
                OciDigest d;
                char drain[64 * 1024];
                ssize_t n;

                /* Hash what follows the tar end marker too: the digest covers the whole blob. */
                while ((n = read(fd, drain, sizeof(drain))) > 0)
                        oci_hasher_update(src.hasher, drain, (size_t) n);
                r = oci_hasher_final(src.hasher, &d);
                if (r >= 0 && !oci_digest_equal(&d, verify))
                        r = -EBADMSG;
        }
out:
        if (r < 0 && src.error < 0)
                r = src.error;
        if (in)
                archive_read_free(in);
        if (out)
                archive_write_free(out);
        oci_hasher_free(src.hasher);
        if (ret)
                *ret = res;
        return r;
}
