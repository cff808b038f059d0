/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "file-util.h"
#include "openat-resolve.h"
#include "oci-layout.h"

struct OciLayout {
        int dirfd;
};

struct OciBlobWriter {
        OciLayout *layout;
        int fd;
        char tmp_name[64]; /* "blobs/sha256/.tmp-XXXXXX" when O_TMPFILE is unavailable */
        OciHasher *hasher;
};

/* blobs/sha256/<hex> */
#define BLOB_PATH_MAX (sizeof("blobs/sha256/") + OCI_DIGEST_HEX_LEN)

static void blob_path(const OciDigest *d, char buf[static BLOB_PATH_MAX]) {
        snprintf(buf, BLOB_PATH_MAX, "blobs/sha256/%s", oci_digest_hex(d));
}

/* Open a file of the layout for reading without following any symlink: a layout made by someone else
 * must not make us read (and hash, and quote) a file outside it. -ELOOP for a symlink. */
static int open_beneath(int dirfd, const char *name) {
        return openat_resolve(dirfd, name, O_RDONLY | O_NOCTTY, 0,
                              RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
}

static int read_all_at(int dirfd, const char *name, size_t max, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = open_beneath(dirfd, name);
        int r;

        if (fd < 0)
                return fd;
        r = read_fd(fd, max, ret, ret_size);
        /* A layout's files are documents: not a regular file is malformed, too large is too large. */
        return r == -EBADF ? -EBADMSG : r == -EFBIG ? -E2BIG : r;
}

/* {"imageLayoutVersion": "1.x..."}: 0, -ENOENT when there is no such file, -EMEDIUMTYPE for anything
 * else (another version, not JSON, not a regular file). */
static int layout_check_version(int dirfd) {
        _cleanup_free_ char *buf = NULL;
        json_object *o, *v;
        size_t n;
        int r;

        r = read_all_at(dirfd, "oci-layout", 64 * 1024, &buf, &n);
        if (r == -EBADMSG || r == -E2BIG || r == -ELOOP)
                return -EMEDIUMTYPE;
        if (r < 0)
                return r;
        o = json_tokener_parse(buf);
        r = o && json_object_object_get_ex(o, "imageLayoutVersion", &v) && json_object_is_type(v, json_type_string) &&
            strneq(json_object_get_string(v), "1.", 2) ? 0 : -EMEDIUMTYPE;
        json_object_put(o);
        return r;
}

/* The layout open at dirfd, which it takes over (closed on failure too). */
static int layout_new(int dirfd, OciLayout **ret) {
        OciLayout *l = calloc(1, sizeof(*l));

        if (!l) {
                closep(&dirfd);
                return -ENOMEM;
        }
        l->dirfd = dirfd;
        *ret = l;
        return 0;
}

int oci_layout_open(const char *path, OciLayout **ret) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        r = layout_check_version(fd);
        if (r == -ENOENT)
                return -EMEDIUMTYPE;
        if (r < 0)
                return r;
        return layout_new(TAKE_FD(fd), ret);
}

static int layout_write_file(int dirfd, const char *name, const void *buf, size_t size);

int oci_layout_create(const char *path, OciLayout **ret) {
        static const char version[] = "{\"imageLayoutVersion\":\"" OCI_LAYOUT_VERSION "\"}";
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                return negative_errno();
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if ((mkdirat(fd, "blobs", 0755) < 0 && errno != EEXIST) ||
            (mkdirat(fd, "blobs/sha256", 0755) < 0 && errno != EEXIST))
                return negative_errno();
        /* A new layout gets the file; one of another version is not relabelled. */
        r = layout_check_version(fd);
        if (r == -ENOENT)
                r = layout_write_file(fd, "oci-layout", version, sizeof(version) - 1);
        if (r < 0)
                return r;
        return layout_new(TAKE_FD(fd), ret);
}

OciLayout *oci_layout_free(OciLayout *l) {
        if (l) {
                closep(&l->dirfd);
                free(l);
        }
        return NULL;
}

int oci_layout_dirfd(const OciLayout *l) {
        return l->dirfd;
}

int oci_layout_read_index(OciLayout *l, OciIndex *ret) {
        _cleanup_free_ char *buf = NULL;
        size_t n;
        int r;

        r = read_all_at(l->dirfd, "index.json", OCI_MANIFEST_SIZE_MAX, &buf, &n);
        if (r < 0)
                return r;
        return oci_index_parse(buf, n, ret);
}

int oci_layout_resolve(OciLayout *l, const char *tag, OciDescriptor *ret) {
        OciIndex index = {};
        int r, k;

        r = oci_layout_read_index(l, &index);
        if (r < 0)
                return r;
        if (tag)
                k = oci_index_find_ref_name(&index, tag);
        else
                k = index.n_manifests == 1 ? 0 : index.n_manifests == 0 ? -ENOENT : -EADDRNOTAVAIL;
        r = k < 0 ? k : oci_descriptor_copy(&index.manifests[k], ret);
        oci_index_done(&index);
        return r;
}

int oci_layout_open_blob(OciLayout *l, const OciDigest *digest, int64_t size, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;
        char path[BLOB_PATH_MAX];
        struct stat st;

        blob_path(digest, path);
        fd = open_beneath(l->dirfd, path);
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        /* A blob of another size is not the blob its descriptor names: refuse before reading any. */
        if (size >= 0 && st.st_size != size)
                return -EMSGSIZE;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int oci_layout_has_blob(OciLayout *l, const OciDigest *digest) {
        char path[BLOB_PATH_MAX];
        struct stat st;

        blob_path(digest, path);
        if (fstatat(l->dirfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : negative_errno();
        return S_ISREG(st.st_mode);
}

int oci_layout_read_blob(OciLayout *l, const OciDescriptor *d, size_t max, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        char path[BLOB_PATH_MAX];
        size_t n;
        int r;

        if (d->size < 0 || (uint64_t) d->size > max)
                return -E2BIG;
        blob_path(&d->digest, path);
        r = read_all_at(l->dirfd, path, max, &buf, &n);
        if (r < 0)
                return r;
        if (n != (size_t) d->size)
                return -EBADMSG;
        r = oci_digest_verify(&d->digest, buf, n);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(buf);
        *ret_size = n;
        return 0;
}

/* ---- writing ----------------------------------------------------------------------------------- */

/* Write name in dirfd atomically, then fsync the directory: index.json names blobs that must be there. */
static int layout_write_file(int dirfd, const char *name, const void *buf, size_t size) {
        int r = write_file_atomic(dirfd, name, buf, size, 0644, NULL);

        if (r >= 0)
                (void) fsync(dirfd);
        return r;
}

int oci_layout_add_blob(OciLayout *l, const void *buf, size_t size, OciDigest *ret_digest) {
        char path[BLOB_PATH_MAX];
        OciDigest d;
        int r;

        r = oci_digest_buffer(buf, size, &d);
        if (r < 0)
                return r;
        r = oci_layout_has_blob(l, &d);
        if (r == 0) {
                blob_path(&d, path);
                r = layout_write_file(l->dirfd, path, buf, size);
        }
        if (r < 0)
                return r;
        if (ret_digest)
                *ret_digest = d;
        return 0;
}

/* A hidden temporary in blobs/sha256/ (same filesystem as its final name, so rename works), created
 * through the layout's fd by way of /proc/self/fd since mkostemp() only takes paths. */
static int blob_tmp_open(int dirfd, char name[static 64], int *ret_fd) {
        static const char template[] = "blobs/sha256/.tmp-XXXXXX";
        char full[sizeof("/proc/self/fd/") + 12 + sizeof(template)];
        int fd;

        snprintf(full, sizeof(full), "/proc/self/fd/%d/%s", dirfd, template);
        fd = mkostemp(full, O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        memcpy(name, full + strlen(full) - (sizeof(template) - 1), sizeof(template));
        *ret_fd = fd;
        return 0;
}

int oci_blob_writer_new(OciLayout *l, OciBlobWriter **ret) {
        OciBlobWriter *w;
        int r;

        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->layout = l;
        w->fd = -EBADF;
        r = oci_hasher_new(&w->hasher);
        if (r < 0) {
                free(w);
                return r;
        }
        r = blob_tmp_open(l->dirfd, w->tmp_name, &w->fd);
        if (r < 0) {
                oci_blob_writer_free(w);
                return r;
        }
        *ret = w;
        return 0;
}

int oci_blob_writer_write(OciBlobWriter *w, const void *buf, size_t size) {
        int r;

        if (w->fd < 0)
                return -EBADF;
        r = oci_hasher_update(w->hasher, buf, size);
        if (r < 0)
                return r;
        return loop_write(w->fd, buf, size);
}

int oci_blob_writer_finish(OciBlobWriter *w, const OciDigest *expected, OciDigest *ret_digest, uint64_t *ret_size) {
        char path[BLOB_PATH_MAX];
        OciDigest d;
        int r;

        if (w->fd < 0)
                return -EBADF;
        r = oci_hasher_final(w->hasher, &d);
        if (r >= 0 && expected && !oci_digest_equal(expected, &d))
                r = -EBADMSG;
        if (r >= 0 && fsync(w->fd) < 0)
                r = negative_errno();
        if (r >= 0) {
                blob_path(&d, path);
                if (renameat(w->layout->dirfd, w->tmp_name, w->layout->dirfd, path) < 0)
                        r = negative_errno();
        }
        if (r < 0)
                (void) unlinkat(w->layout->dirfd, w->tmp_name, 0);
        closep(&w->fd);
        w->fd = -EBADF;
        if (r < 0)
                return r;
        if (ret_digest)
                *ret_digest = d;
        if (ret_size)
                *ret_size = oci_hasher_size(w->hasher);
        return 0;
}

OciBlobWriter *oci_blob_writer_free(OciBlobWriter *w) {
        if (!w)
                return NULL;
        if (w->fd >= 0) {
                (void) unlinkat(w->layout->dirfd, w->tmp_name, 0);
                closep(&w->fd);
        }
        oci_hasher_free(w->hasher);
        free(w);
        return NULL;
}

int oci_layout_write_index(OciLayout *l, const OciIndex *index) {
        _cleanup_free_ char *json = NULL;
        size_t n;
        int r;

        r = oci_index_to_json(index, &json, &n);
        if (r < 0)
                return r;
        return layout_write_file(l->dirfd, "index.json", json, n);
}
