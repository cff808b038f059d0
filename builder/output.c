/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "docker-archive.h"
#include "output.h"
#include "registry.h"
#include "strv.h"

static int read_json_blob(Store *s, const OciDescriptor *d, size_t max, char **ret, size_t *ret_size) {
        return oci_layout_read_blob(s->layout, d, max, ret, ret_size);
}

int output_read_index(Store *s, const OciDescriptor *idx, OciIndex *ret) {
        _cleanup_free_ char *buf = NULL;
        size_t n;
        int r = read_json_blob(s, idx, OCI_MANIFEST_SIZE_MAX, &buf, &n);

        return r < 0 ? r : oci_index_parse(buf, n, ret);
}

static int read_manifest(Store *s, const OciDescriptor *d, OciManifest *ret) {
        _cleanup_free_ char *buf = NULL;
        size_t n;
        int r = read_json_blob(s, d, OCI_MANIFEST_SIZE_MAX, &buf, &n);

        return r < 0 ? r : oci_manifest_parse(buf, n, ret);
}

int output_make_index(Store *s, const OciDescriptor *manifests, size_t n, OciDescriptor *ret) {
        _cleanup_(oci_index_done) OciIndex idx = {};
        _cleanup_free_ char *buf = NULL;
        size_t size;
        int r;

        for (size_t k = 0; k < n; k++)
                if ((r = oci_index_add(&idx, &manifests[k])) < 0)
                        return r;
        r = oci_index_to_json(&idx, &buf, &size);
        if (r < 0)
                return r;
        *ret = (OciDescriptor) { .size = (int64_t) size };
        r = oci_layout_add_blob(s->layout, buf, size, &ret->digest);
        if (r < 0)
                return r;
        ret->media_type = strdup(OCI_MEDIA_TYPE_INDEX);
        return ret->media_type ? 0 : -ENOMEM;
}

/* ---- copying blobs between layouts ----------------------------------------------------------- */

static int copy_blob(Store *s, OciLayout *dst, const OciDigest *d) {
        _cleanup_(oci_blob_writer_freep) OciBlobWriter *w = NULL;
        _cleanup_close_ int in = -EBADF;
        char path[128], buf[128 * 1024];
        ssize_t n;
        int r;

        r = oci_layout_has_blob(dst, d);
        if (r != 0)
                return r < 0 ? r : 0;
        /* Same filesystem: a hard link is instant and the content is immutable (named by digest). */
        snprintf(path, sizeof(path), "blobs/sha256/%s", oci_digest_hex(d));
        if (linkat(oci_layout_dirfd(s->layout), path, oci_layout_dirfd(dst), path, 0) >= 0)
                return 0;
        r = oci_layout_open_blob(s->layout, d, -1, &in);
        if (r < 0)
                return r;
        r = oci_blob_writer_new(dst, &w);
        if (r < 0)
                return r;
        while ((n = read(in, buf, sizeof(buf))) > 0)
                if ((r = oci_blob_writer_write(w, buf, (size_t) n)) < 0)
                        return r;
        if (n < 0)
                return negative_errno();
        return oci_blob_writer_finish(w, d, NULL, NULL);
}

static int copy_manifest_tree(Store *s, OciLayout *dst, const OciDescriptor *m) {
        _cleanup_(oci_manifest_done) OciManifest man = {};
        int r = read_manifest(s, m, &man);

        if (r < 0)
                return r;
        for (size_t k = 0; k < man.n_layers; k++)
                if ((r = copy_blob(s, dst, &man.layers[k].digest)) < 0)
                        return r;
        if ((r = copy_blob(s, dst, &man.config.digest)) < 0)
                return r;
        return copy_blob(s, dst, &m->digest);
}

static const char *tag_of(const char *name) {
        const char *slash = strrchr(name, '/'), *colon = strrchr(slash ? slash : name, ':');

        return colon ? colon + 1 : "latest";
}

int output_oci_layout(Store *s, const OciDescriptor *idx, const char *name, const char *dir) {
        _cleanup_(oci_layout_freep) OciLayout *dst = NULL;
        _cleanup_(oci_index_done) OciIndex sub = {}, top = {}, old = {};
        _cleanup_(oci_descriptor_done) OciDescriptor entry = {};
        const char *tag = tag_of(name);
        int r;

        r = oci_layout_create(dir, &dst);
        if (r < 0)
                return r;
        r = output_read_index(s, idx, &sub);
        if (r < 0)
                return r;
        for (size_t k = 0; k < sub.n_manifests; k++)
                if ((r = copy_manifest_tree(s, dst, &sub.manifests[k])) < 0)
                        return r;
        r = copy_blob(s, dst, &idx->digest);
        if (r < 0)
                return r;

        r = oci_descriptor_copy(idx, &entry);
        if (r < 0)
                return r;
        free(entry.ref_name);
        entry.ref_name = strdup(tag);
        entry.has_platform = false;
        if (!entry.ref_name || !(entry.annotations = json_object_new_object()))
                return -ENOMEM;
        json_object_object_add(entry.annotations, OCI_ANNOTATION_IMAGE_NAME, json_object_new_string(name));

        /* Keep other tags already in the layout; replace this one. Written last. */
        r = oci_layout_read_index(dst, &old);
        if (r < 0 && r != -ENOENT)
                return r;
        for (size_t k = 0; k < old.n_manifests; k++)
                if (!(old.manifests[k].ref_name && streq(old.manifests[k].ref_name, tag)) &&
                    (r = oci_index_add(&top, &old.manifests[k])) < 0)
                        return r;
        r = oci_index_add(&top, &entry);
        if (r < 0)
                return r;
        return oci_layout_write_index(dst, &top);
}

/* ---- docker-archive -------------------------------------------------------------------------- */

static int tar_add_blob(struct archive *a, Store *s, const OciDigest *d, int64_t size) {
        _cleanup_close_ int fd = -EBADF;
        struct archive_entry *e = archive_entry_new();
        char path[128], buf[128 * 1024];
        ssize_t n;
        int r;

        if (!e)
                return -ENOMEM;
        snprintf(path, sizeof(path), "blobs/sha256/%s", oci_digest_hex(d));
        archive_entry_set_pathname(e, path);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, size);
        r = archive_write_header(a, e) == ARCHIVE_OK ? 0 : -EIO;
        archive_entry_free(e);
        if (r < 0)
                return r;
        r = oci_layout_open_blob(s->layout, d, (int64_t) size, &fd);
        if (r < 0)
                return r;
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                if (archive_write_data(a, buf, (size_t) n) != n)
                        return -EIO;
        return n < 0 ? negative_errno() : 0;
}

static int tar_add_buffer(struct archive *a, const char *name, const char *buf, size_t size) {
        struct archive_entry *e = archive_entry_new();
        int r;

        if (!e)
                return -ENOMEM;
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t) size);
        r = archive_write_header(a, e) == ARCHIVE_OK && archive_write_data(a, buf, size) == (la_ssize_t) size ? 0 : -EIO;
        archive_entry_free(e);
        return r;
}

static int archive_manifest(const OciManifest *man, const char *name, char **ret, size_t *ret_size) {
        DockerArchiveImage img = {};
        DockerArchiveManifest m = { .images = &img, .n_images = 1 };
        char *tags[2] = { (char *) name, NULL };
        int r = -ENOMEM;

        img.repo_tags = tags;
        img.n_layers = man->n_layers;
        img.layers = calloc(man->n_layers + 1, sizeof(char *));
        if (!img.layers || asprintf(&img.config, "blobs/sha256/%s", oci_digest_hex(&man->config.digest)) < 0)
                goto out;
        for (size_t k = 0; k < man->n_layers; k++)
                if (asprintf(&img.layers[k], "blobs/sha256/%s", oci_digest_hex(&man->layers[k].digest)) < 0)
                        goto out;
        r = docker_archive_manifest_to_json(&m, ret, ret_size);
out:
        free(img.config);
        for (size_t k = 0; img.layers && k < man->n_layers; k++)
                free(img.layers[k]);
        free(img.layers);
        return r;
}

int output_docker_archive(Store *s, const OciDescriptor *m, const char *name, const char *path) {
        _cleanup_(oci_manifest_done) OciManifest man = {};
        _cleanup_free_ char *json = NULL, *tmp = NULL;
        struct archive *a;
        size_t n;
        int r;

        r = read_manifest(s, m, &man);
        if (r < 0)
                return r;
        r = archive_manifest(&man, name, &json, &n);
        if (r < 0)
                return r;
        if (asprintf(&tmp, "%s.tmp.%d", path, getpid()) < 0)
                return -ENOMEM;
        a = archive_write_new();
        if (!a)
                return -ENOMEM;
        archive_write_set_format_pax_restricted(a);
        if (archive_write_open_filename(a, tmp) != ARCHIVE_OK) {
                archive_write_free(a);
                return -EIO;
        }
        r = tar_add_blob(a, s, &man.config.digest, man.config.size);
        for (size_t k = 0; r >= 0 && k < man.n_layers; k++)
                r = tar_add_blob(a, s, &man.layers[k].digest, man.layers[k].size);
        if (r >= 0)
                r = tar_add_buffer(a, "manifest.json", json, n);
        if (archive_write_close(a) != ARCHIVE_OK && r >= 0)
                r = -EIO;
        archive_write_free(a);
        if (r >= 0 && rename(tmp, path) < 0)
                r = negative_errno();
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

/* ---- push ------------------------------------------------------------------------------------ */

typedef struct BlobSource {
        int fd;
} BlobSource;

static ssize_t blob_read(void *buf, size_t size, void *userdata) {
        BlobSource *b = userdata;
        ssize_t n = read(b->fd, buf, size);

        return n < 0 ? negative_errno() : n;
}

static int push_blob(RegistryClient *c, Store *s, const char *repo, const OciDescriptor *d, ErrorDetail *err) {
        _cleanup_close_ int fd = -EBADF;
        BlobSource src;
        int r;

        r = registry_blob_exists(c, repo, &d->digest, err);
        if (r != 0)
                return r < 0 ? r : 0;
        r = oci_layout_open_blob(s->layout, &d->digest, d->size, &fd);
        if (r < 0)
                return error_detail_set(err, r, "Failed to open the blob %s in the store: %m", d->digest.str);
        src.fd = fd;
        return registry_push_blob(c, repo, &d->digest, (uint64_t) d->size, blob_read, &src, err);
}

static int push_json(RegistryClient *c, Store *s, const char *repo, const OciDescriptor *d, const char *reference,
                     ErrorDetail *err) {
        _cleanup_free_ char *buf = NULL;
        size_t n;
        int r = read_json_blob(s, d, OCI_MANIFEST_SIZE_MAX, &buf, &n);

        if (r < 0)
                return error_detail_set(err, r, "Failed to read %s from the store: %m", d->digest.str);
        return registry_put_manifest(c, repo, reference, d->media_type, buf, n, err);
}

int output_push(Store *s, const OciDescriptor *idx, const char *ref, bool insecure, ErrorDetail *err) {
        _cleanup_(registry_client_freep) RegistryClient *c = NULL;
        _cleanup_(registry_ref_done) RegistryRef rr = {};
        _cleanup_(oci_index_done) OciIndex sub = {};
        RegistryOptions o = { .insecure = insecure, .user_agent = "archbuild",
                              .request_timeout_sec = (long) s->limits.value[LIMIT_REQUEST_SECONDS],
                              .total_timeout_sec = (long) s->limits.value[LIMIT_PULL_SECONDS] };
        int r;

        r = registry_ref_parse(ref, &rr);
        if (r < 0)
                return error_detail_set(err, r, "'%s' is not a valid image reference", ref);
        r = registry_client_new(rr.host, &o, &c, err);
        if (r < 0)
                return r;
        r = output_read_index(s, idx, &sub);
        if (r < 0)
                return error_detail_set(err, r, "Failed to read the index %s from the store: %m", idx->digest.str);
        for (size_t k = 0; k < sub.n_manifests; k++) {
                _cleanup_(oci_manifest_done) OciManifest man = {};
                r = read_manifest(s, &sub.manifests[k], &man);
                if (r < 0)
                        return error_detail_set(err, r, "Failed to read the manifest %s from the store: %m",
                                                sub.manifests[k].digest.str);
                for (size_t l = 0; r >= 0 && l < man.n_layers; l++)
                        r = push_blob(c, s, rr.repository, &man.layers[l], err);
                if (r >= 0)
                        r = push_blob(c, s, rr.repository, &man.config, err);
                if (r >= 0)
                        r = push_json(c, s, rr.repository, &sub.manifests[k], sub.manifests[k].digest.str, err);
                if (r < 0)
                        return r;
        }
        return push_json(c, s, rr.repository, idx, registry_ref_reference(&rr), err);
}
