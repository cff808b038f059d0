/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error-detail.h"
#include "macro.h"
#include "oci-layout.h"
#include "pull.h"
#include "registry.h"

/* Where blobs come from: a registry repository or an OCI layout. */
typedef struct Source {
        RegistryClient *client;
        const char *repository;
        OciLayout *layout;
} Source;

bool pull_is_remote(const char *name) {
        size_t n = strcspn(name, "/");

        if (name[n] != '/')
                return false;
        return memchr(name, '.', n) || memchr(name, ':', n) || (n == 9 && strneq(name, "localhost", 9));
}

/* ---- reading from a source ------------------------------------------------------------------- */

/* A manifest, index or config named by d, at most max bytes, verified against d. */
static int source_read_json(Source *src, const OciDescriptor *d, size_t max, char **ret, size_t *ret_size,
                            ErrorDetail *err) {
        if (src->layout)
                return oci_layout_read_blob(src->layout, d, max, ret, ret_size);
        return registry_read_document(src->client, src->repository, d, max, ret, ret_size, err);
}

static int writer_sink(const void *buf, size_t size, void *userdata) {
        return oci_blob_writer_write(userdata, buf, size);
}

/* Copy size bytes of fd, not one more: a file that grew after it was opened is not read to its end. */
static int copy_fd(int fd, int64_t size, OciBlobWriter *w) {
        char buf[128 * 1024];

        for (int64_t left = size; left > 0;) {
                ssize_t n = read(fd, buf, left < (int64_t) sizeof(buf) ? (size_t) left : sizeof(buf));
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        return -EBADMSG;
                int r = oci_blob_writer_write(w, buf, (size_t) n);
                if (r < 0)
                        return r;
                left -= n;
        }
        return 0;
}

/* Copy the blob d into the store (streamed, verified), unless it is there already. */
static int source_copy_blob(Source *src, Store *s, const OciDescriptor *d, ErrorDetail *err) {
        _cleanup_(oci_blob_writer_freep) OciBlobWriter *w = NULL;
        int r = oci_layout_has_blob(s->layout, &d->digest);

        if (r != 0)
                return r < 0 ? r : 0;
        r = oci_blob_writer_new(s->layout, &w);
        if (r < 0)
                return r;
        if (src->layout) {
                _cleanup_close_ int fd = -EBADF;
                r = oci_layout_open_blob(src->layout, &d->digest, d->size, &fd);
                if (r >= 0)
                        r = copy_fd(fd, d->size, w);
        } else
                r = registry_get_blob(src->client, src->repository, &d->digest, d->size, writer_sink, w, err);
        if (r < 0)
                return r;
        return oci_blob_writer_finish(w, &d->digest, NULL, NULL);
}

/* Store a JSON document as it was read: the same bytes, so the same digest. */
static int store_json(Store *s, const OciDescriptor *d, const char *buf, size_t size) {
        OciDigest got;
        int r = oci_layout_add_blob(s->layout, buf, size, &got);

        if (r < 0)
                return r;
        return oci_digest_equal(&got, &d->digest) ? 0 : -EBADMSG;
}

/* ---- one image ------------------------------------------------------------------------------- */

static const char *copy_error(int r, const ErrorDetail *why) {
        if (r == -EMSGSIZE)
                return "the blob does not have the size its descriptor says";
        if (why->message[0])
                return why->message;
        return r == -EBADMSG ? "the blob does not match its digest" : strerror(-r);
}

/* Copy the image manifest d (config, layers, then the manifest) into the store. want, when not NULL,
 * is the only platform accepted. ret is d with its platform set from the config. */
static int copy_image(Source *src, Store *s, const OciDescriptor *d, const char *what, const Platform *want,
                      OciDescriptor *ret, ErrorDetail *err) {
        _cleanup_free_ char *mbuf = NULL, *cbuf = NULL;
        _cleanup_(oci_manifest_done) OciManifest m = {};
        _cleanup_(oci_config_done) OciConfig c = {};
        _cleanup_(oci_descriptor_done) OciDescriptor out = {};
        char a[PLATFORM_STRING_MAX], b[PLATFORM_STRING_MAX];
        ErrorDetail why = {};
        size_t mn, cn;
        int r;

        r = source_read_json(src, d, OCI_MANIFEST_SIZE_MAX, &mbuf, &mn, &why);
        if (r >= 0)
                r = oci_manifest_parse(mbuf, mn, &m);
        if (r < 0)
                return error_detail_set(err, r, "Failed to read the manifest %s of %s: %s", d->digest.str, what,
                                        error_detail_or(&why, strerror(-r)));
        r = source_read_json(src, &m.config, OCI_CONFIG_SIZE_MAX, &cbuf, &cn, &why);
        if (r >= 0)
                r = oci_config_parse(cbuf, cn, &c);
        if (r < 0)
                return error_detail_set(err, r, "Failed to read the config of %s: %s", what,
                                        error_detail_or(&why, strerror(-r)));
        if (want && !platform_equal(&c.platform, want))
                return error_detail_set(err, -ENXIO,
                        "the image %s is %s, not %s; a base of another platform is never used in its place",
                        what, platform_to_string(&c.platform, a), platform_to_string(want, b));
        if (m.n_layers != c.n_diff_ids)
                return error_detail_set(err, -EBADMSG,
                        "the image %s has %zu layers but %zu diff_ids", what, m.n_layers, c.n_diff_ids);
        for (size_t k = 0; k < m.n_layers; k++)
                if (oci_layer_compression(m.layers[k].media_type) < 0)
                        return error_detail_set(err, -EMEDIUMTYPE,
                                "layer %zu of %s has the media type '%s', which is not an image layer type", k, what,
                                m.layers[k].media_type);
        r = store_json(s, &m.config, cbuf, cn);
        for (size_t k = 0; r >= 0 && k < m.n_layers; k++)
                if ((r = source_copy_blob(src, s, &m.layers[k], &why)) < 0)
                        return error_detail_set(err, r, "Failed to copy layer %s of %s: %s", m.layers[k].digest.str,
                                                what, copy_error(r, &why));
        if (r >= 0)
                r = store_json(s, d, mbuf, mn);
        if (r >= 0)
                r = oci_descriptor_copy(d, &out);
        if (r < 0)
                return error_detail_set(err, r, "Failed to store %s: %m", what);
        if (!out.media_type && !(out.media_type = strdup(m.media_type ?: OCI_MEDIA_TYPE_MANIFEST)))
                return error_detail_set(err, -ENOMEM, "out of memory");
        free(out.ref_name);
        out.ref_name = NULL;
        out.has_platform = true;
        out.platform = c.platform;
        *ret = out;
        out = (OciDescriptor) {};
        return 0;
}

/* "linux/amd64,linux/arm64": the runnable platforms of an index. */
static char *index_platforms(const OciIndex *idx) {
        char *list = NULL, buf[PLATFORM_STRING_MAX];

        for (size_t k = 0; k < idx->n_manifests; k++) {
                const OciDescriptor *e = &idx->manifests[k];
                char *t;
                if (oci_descriptor_is_attestation(e) || !e->has_platform)
                        continue;
                if (asprintf(&t, "%s%s%s", list ?: "", list ? "," : "", platform_to_string(&e->platform, buf)) < 0)
                        return list;
                free(list);
                list = t;
        }
        return list;
}

/* ---- from a registry ------------------------------------------------------------------------- */

/* The manifest descriptor for p below the top document of ref (an index or a manifest). */
static int registry_select(Source *src, const RegistryRef *rr, const char *ref, const Platform *p,
                           OciDescriptor *ret, ErrorDetail *err) {
        _cleanup_free_ char *buf = NULL, *type = NULL, *have = NULL;
        _cleanup_(oci_index_done) OciIndex idx = {};
        char want[PLATFORM_STRING_MAX];
        ErrorDetail why = {};
        OciMediaKind kind;
        OciDigest digest;
        size_t n;
        int r, k;

        r = registry_get_manifest(src->client, rr->repository, registry_ref_reference(rr), &buf, &n, &type, &digest, &why);
        if (r < 0)
                return error_detail_set(err, r, "Failed to fetch %s: %s", ref, error_detail_or(&why, strerror(-r)));
        r = oci_sniff_kind(buf, n, type, &kind);
        if (r < 0)
                return error_detail_set(err, r, "%s is neither an image index nor a manifest: %m", ref);
        if (kind == OCI_KIND_MANIFEST) {
                *ret = (OciDescriptor) { .media_type = strdup(type ?: OCI_MEDIA_TYPE_MANIFEST), .digest = digest,
                                         .size = (int64_t) n };
                return ret->media_type ? 0 : -ENOMEM;
        }
        r = oci_index_parse(buf, n, &idx);
        if (r < 0)
                return error_detail_set(err, r, "Failed to parse the index of %s: %m", ref);
        k = oci_index_find_platform(&idx, p);
        if (k < 0) {
                have = index_platforms(&idx);
                return error_detail_set(err, -ENXIO,
                        "the base image %s has no %s variant (it has: %s); a base of another platform is "
                        "never used in its place", ref, platform_to_string(p, want), have ?: "none");
        }
        return oci_descriptor_copy(&idx.manifests[k], ret);
}

int pull_image(Store *s, const char *ref, const Platform *p, bool insecure, ErrorDetail *err) {
        _cleanup_(registry_client_freep) RegistryClient *c = NULL;
        _cleanup_(registry_ref_done) RegistryRef rr = {};
        _cleanup_(oci_descriptor_done) OciDescriptor sel = {}, got = {};
        RegistryOptions o = { .insecure = insecure, .user_agent = "archbuild",
                              .request_timeout_sec = (long) s->limits.value[LIMIT_REQUEST_SECONDS],
                              .total_timeout_sec = (long) s->limits.value[LIMIT_PULL_SECONDS] };
        Source src = {};
        int r;

        r = registry_ref_parse(ref, &rr);
        if (r < 0)
                return error_detail_set(err, r, "%s is not a valid image reference", ref);
        r = registry_client_new(rr.host, &o, &c, err);
        if (r < 0)
                return r;
        src = (Source) { .client = c, .repository = rr.repository };
        r = registry_select(&src, &rr, ref, p, &sel, err);
        if (r < 0)
                return r;
        r = copy_image(&src, s, &sel, ref, p, &got, err);
        if (r < 0)
                return r;
        r = store_tag_image(s, ref, &got);
        if (r < 0)
                return error_detail_set(err, r, "Failed to tag %s in the store: %m", ref);
        return 0;
}

/* ---- from an OCI layout ---------------------------------------------------------------------- */

static int layout_walk(Source *src, Store *s, const OciDescriptor *d, const char *what, unsigned depth, OciIndex *acc,
                       ErrorDetail *err) {
        _cleanup_(oci_index_done) OciIndex idx = {};
        _cleanup_(oci_descriptor_done) OciDescriptor got = {};
        _cleanup_free_ char *buf = NULL;
        size_t n;
        int r;

        if (oci_media_type_kind(d->media_type) != OCI_KIND_INDEX) {
                r = copy_image(src, s, d, what, NULL, &got, err);
                if (r < 0)
                        return r;
                if (oci_index_find_platform(acc, &got.platform) >= 0)
                        return error_detail_set(err, -EEXIST,
                                "two sources give %s/%s", got.platform.os, got.platform.arch);
                return oci_index_add(acc, &got) < 0 ? error_detail_set(err, -ENOMEM, "out of memory") : 0;
        }
        /* index.json -> index (buildx's shape) -> manifests: two levels at most. */
        if (depth >= 2)
                return error_detail_set(err, -ELOOP, "%s: image indexes nested too deep", what);
        r = oci_layout_read_blob(src->layout, d, OCI_MANIFEST_SIZE_MAX, &buf, &n);
        if (r >= 0)
                r = oci_index_parse(buf, n, &idx);
        if (r < 0)
                return error_detail_set(err, r,
                        "Failed to read the index %s of %s: %m", d->digest.str, what);
        for (size_t k = 0; k < idx.n_manifests; k++) {
                if (oci_descriptor_is_attestation(&idx.manifests[k]))
                        continue;
                r = layout_walk(src, s, &idx.manifests[k], what, depth + 1, acc, err);
                if (r < 0)
                        return r;
        }
        /* An index is copied too, so the store holds everything the source named. */
        r = store_json(s, d, buf, n);
        if (r < 0)
                return error_detail_set(err, r, "Failed to store the index of %s: %m", what);
        return 0;
}

int pull_layout(Store *s, const char *dir, const char *tag, OciIndex *acc, ErrorDetail *err) {
        _cleanup_oci_layout_ OciLayout *l = NULL;
        _cleanup_(oci_descriptor_done) OciDescriptor top = {};
        Source src = {};
        int r;

        r = oci_layout_open(dir, &l);
        if (r < 0)
                return error_detail_set(err, r, "Failed to open the OCI layout %s: %m", dir);
        r = oci_layout_resolve(l, tag, &top);
        if (r == -EADDRNOTAVAIL)
                return error_detail_set(err, r,
                        "%s holds several images: name one as oci:%s:TAG", dir, dir);
        if (r < 0)
                return error_detail_set(err, r,
                        "No image %s in the OCI layout %s: %m", tag ?: "(untagged)", dir);
        src.layout = l;
        return layout_walk(&src, s, &top, dir, 0, acc, err);
}
