/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The distribution API client: the client (credentials, deadlines) and the calls. References:
 * distribution-spec v1.1 spec.md (endpoints, status codes, error bodies) and docker/cli's config.json
 * "auths" format. The HTTP exchange is registry-http.c's. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file-util.h"
#include "registry-internal.h"
#include "time-util.h"

/* A docker config.json: credentials for a few registries, not megabytes. */
#define REGISTRY_AUTH_FILE_MAX (1024 * 1024)

/* ---- client ------------------------------------------------------------------------------------ */

/* The auth file to read: explicit, else $REGISTRY_AUTH_FILE, $DOCKER_CONFIG/config.json,
 * ~/.docker/config.json; NULL (and 0) when none exists. */
static int auth_file_pick(const char *explicit, char **ret) {
        const char *e;
        char *p = NULL;

        if (explicit)
                return (*ret = strdup(explicit)) ? 0 : -ENOMEM;
        if ((e = getenv("REGISTRY_AUTH_FILE")) && !isempty(e))
                p = strdup(e);
        else if ((e = getenv("DOCKER_CONFIG")) && !isempty(e))
                (void) asprintf(&p, "%s/config.json", e);
        else if ((e = getenv("HOME")) && !isempty(e))
                (void) asprintf(&p, "%s/.docker/config.json", e);
        if (p && access(p, R_OK) < 0) {
                free(p);
                p = NULL;
        }
        *ret = p;
        return 0;
}

static int client_load_credentials(RegistryClient *c, const RegistryOptions *o, ErrorDetail *err) {
        _cleanup_free_ char *path = NULL, *buf = NULL;
        size_t n;
        int r;

        if (o->username) {
                c->user = strdup(o->username);
                c->password = strdup(o->password ?: "");
                return c->user && c->password ? 0 : -ENOMEM;
        }
        r = auth_file_pick(o->auth_file, &path);
        if (r < 0 || !path)
                return r;
        r = read_file(path, REGISTRY_AUTH_FILE_MAX, &buf, &n);
        /* --authfile /dev/null: "no credentials", as podman and skopeo take it */
        if (r == -EBADF && streq(path, "/dev/null"))
                return 0;
        if (r < 0)
                return error_detail_set(err, r, "Failed to read the auth file %s: %m", path);
        if (buf[strspn(buf, " \t\r\n")] == 0)
                return 0; /* an empty file: no credentials */
        r = registry_auth_from_config(buf, n, c->host, &c->user, &c->password);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return error_detail_set(err, r, "The auth file %s is not a valid docker config.json: %m", path);
        return 0;
}

static int client_init(RegistryClient *c, const char *host, const RegistryOptions *o, ErrorDetail *err) {
        long total;

        if (!(c->host = strdup(host)) ||
            asprintf(&c->base, "%s://%s", o->insecure ? "http" : "https", host) < 0 ||
            (o->ca_file && !(c->ca_file = strdup(o->ca_file))) ||
            !(c->user_agent = strdup(o->user_agent ?: "archway")))
                return -ENOMEM;
        if (registry_origin_from_url(c->base, &c->origin) < 0)
                return error_detail_set(err, -EINVAL, "'%s' is not a registry host", host);
        c->connect_timeout_sec = o->timeout_sec > 0 ? o->timeout_sec : 30;
        c->request_timeout_sec = o->request_timeout_sec > 0 ? o->request_timeout_sec : 900;
        total = o->total_timeout_sec > 0 ? o->total_timeout_sec : 3600;
        c->deadline_usec = now_usec() + (uint64_t) total * 1000000;
        return client_load_credentials(c, o, err);
}

static void curl_init_once(void) {
        (void) curl_global_init(CURL_GLOBAL_DEFAULT);
}

int registry_client_new(const char *host, const RegistryOptions *opts, RegistryClient **ret, ErrorDetail *err) {
        static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
        static const RegistryOptions defaults = {};
        RegistryClient *c;
        int r;

        if (!opts)
                opts = &defaults;
        if (isempty(host))
                return error_detail_set(err, -EINVAL, "No registry host");
        if (opts->insecure && !registry_host_is_loopback(host))
                return error_detail_set(err, -EPERM, "Plain HTTP (--insecure) is allowed only for a loopback "
                                        "registry, not %s", host);
        (void) pthread_once(&curl_once, curl_init_once);
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        pthread_mutex_init(&c->lock, NULL);
        r = client_init(c, host, opts, err);
        if (r < 0) {
                registry_client_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

RegistryClient *registry_client_free(RegistryClient *c) {
        if (!c)
                return NULL;
        free(c->host);
        free(c->base);
        free(c->user);
        free(c->password);
        free(c->ca_file);
        free(c->user_agent);
        free(c->token);
        pthread_mutex_destroy(&c->lock);
        free(c);
        return NULL;
}

/* ---- API calls --------------------------------------------------------------------------------- */

/* The name and reference a manifest request takes, checked before anything goes out. */
static int check_names(const char *repository, const char *reference, ErrorDetail *err) {
        if (!registry_repository_valid(repository))
                return error_detail_set(err, -EINVAL, "'%s' is not a valid repository name", repository);
        if (reference && !registry_tag_valid(reference) && oci_digest_parse(reference, &(OciDigest) {}) < 0)
                return error_detail_set(err, -EINVAL, "'%s' is neither a tag nor a sha256 digest", reference);
        return 0;
}

int registry_ping(RegistryClient *c, ErrorDetail *err) {
        Request q = { .method = "GET", .mem_max = REGISTRY_SMALL_BODY_MAX, .err = err };
        int r;

        if (asprintf(&q.url, "%s/v2/", c->base) < 0)
                return -ENOMEM;
        r = request_perform(c, &q, NULL);
        request_done(&q);
        return r == -ENOENT ? -EPROTO : r;
}

static int manifest_request(RegistryClient *c, Request *q, const char *repository, const char *reference) {
        _cleanup_free_ char *scope = NULL;
        int r;

        r = check_names(repository, reference, q->err);
        if (r < 0)
                return r;
        scope = registry_pull_scope(repository);
        if (!scope || request_url(c, q, repository, "manifests", reference) < 0)
                return -ENOMEM;
        return request_perform(c, q, scope);
}

int registry_get_manifest(RegistryClient *c, const char *repository, const char *reference, char **ret,
                          size_t *ret_size, char **ret_media_type, OciDigest *ret_digest, ErrorDetail *err) {
        Request q = { .method = "GET", .follow = true, .accept = OCI_ACCEPT_MANIFESTS,
                      .mem_max = OCI_MANIFEST_SIZE_MAX, .err = err };
        OciDigest want, got;
        int r;

        r = manifest_request(c, &q, repository, reference);
        if (r >= 0)
                r = oci_digest_buffer(q.mem ?: "", q.mem_size, &got);
        if (r >= 0 && oci_digest_parse(reference, &want) >= 0 && !oci_digest_equal(&want, &got))
                r = error_detail_set(err, -EBADMSG, "Manifest %s@%s has the digest %s", repository, reference,
                                     got.str);
        if (r >= 0 && !q.mem && !(q.mem = strdup("")))
                r = -ENOMEM;
        if (r >= 0) {
                *ret = TAKE_PTR(q.mem);
                *ret_size = q.mem_size;
                if (ret_media_type)
                        *ret_media_type = TAKE_PTR(q.resp_content_type);
                if (ret_digest)
                        *ret_digest = got;
        }
        request_done(&q);
        return r;
}

int registry_head_manifest(RegistryClient *c, const char *repository, const char *reference, char **ret_media_type,
                           OciDigest *ret_digest, int64_t *ret_size, ErrorDetail *err) {
        Request q = { .method = "HEAD", .follow = true, .accept = OCI_ACCEPT_MANIFESTS, .err = err };
        OciDigest d;
        int r;

        r = manifest_request(c, &q, repository, reference);
        if (r >= 0 && (!q.resp_digest || oci_digest_parse(q.resp_digest, &d) < 0))
                r = error_detail_set(err, -EPROTO, "HEAD %s: no valid Docker-Content-Digest", q.url);
        if (r >= 0) {
                if (ret_media_type)
                        *ret_media_type = TAKE_PTR(q.resp_content_type);
                if (ret_digest)
                        *ret_digest = d;
                if (ret_size)
                        *ret_size = q.content_length;
        }
        request_done(&q);
        return r;
}

int registry_blob_exists(RegistryClient *c, const char *repository, const OciDigest *digest, ErrorDetail *err) {
        _cleanup_free_ char *scope = NULL;
        Request q = { .method = "HEAD", .err = err };
        int r;

        r = check_names(repository, NULL, err);
        if (r < 0)
                return r;
        scope = registry_pull_scope(repository);
        if (!scope || request_url(c, &q, repository, "blobs", digest->str) < 0)
                return -ENOMEM;
        r = request_perform(c, &q, scope);
        /* Not followed: a registry that redirects a blob to its storage has it (and a presigned
         * storage URL may answer HEAD with 403, being signed for GET). */
        if (r == -EPROTO && request_status_is_redirect(q.status))
                r = 1;
        else if (r == -ENOENT)
                r = 0;
        else if (r >= 0)
                r = 1;
        request_done(&q);
        return r;
}

/* The blob GET sink: hash, check the size, hand on. */
typedef struct BlobSink {
        OciHasher *hasher;
        int64_t expected_size;
        RegistryDataCallback cb;
        void *userdata;
} BlobSink;

static int blob_sink(const void *buf, size_t size, void *userdata) {
        BlobSink *s = userdata;
        int r;

        if (s->expected_size >= 0 && oci_hasher_size(s->hasher) + size > (uint64_t) s->expected_size)
                return -EBADMSG;
        r = oci_hasher_update(s->hasher, buf, size);
        if (r < 0)
                return r;
        return s->cb(buf, size, s->userdata);
}

int registry_blob_verify(OciHasher *h, const OciDigest *digest, int64_t expected_size, ErrorDetail *err) {
        OciDigest got;
        int r;

        if (expected_size >= 0 && oci_hasher_size(h) != (uint64_t) expected_size)
                return error_detail_set(err, -EBADMSG, "Blob %s: %llu bytes, expected %lld", digest->str,
                                        (unsigned long long) oci_hasher_size(h), (long long) expected_size);
        r = oci_hasher_final(h, &got);
        if (r < 0)
                return r;
        if (!oci_digest_equal(&got, digest))
                return error_detail_set(err, -EBADMSG, "Blob %s has the digest %s", digest->str, got.str);
        return 0;
}

int registry_get_blob(RegistryClient *c, const char *repository, const OciDigest *digest, int64_t expected_size,
                      RegistryDataCallback cb, void *userdata, ErrorDetail *err) {
        _cleanup_(oci_hasher_freep) OciHasher *h = NULL;
        _cleanup_free_ char *scope = NULL;
        BlobSink s = { .expected_size = expected_size, .cb = cb, .userdata = userdata };
        Request q = { .method = "GET", .follow = true, .sink = blob_sink, .sink_userdata = &s, .err = err };
        int r;

        r = check_names(repository, NULL, err);
        if (r < 0)
                return r;
        r = oci_hasher_new(&h);
        if (r < 0)
                return r;
        s.hasher = h;
        scope = registry_pull_scope(repository);
        if (!scope || request_url(c, &q, repository, "blobs", digest->str) < 0)
                return -ENOMEM;
        r = request_perform(c, &q, scope);
        if (r == -EBADMSG)
                r = error_detail_set(err, r, "Blob %s is larger than %lld bytes", digest->str, (long long) expected_size);
        if (r >= 0)
                r = registry_blob_verify(h, digest, expected_size, err);
        request_done(&q);
        return r;
}

/* ---- push -------------------------------------------------------------------------------------- */

static char *push_scope(const char *repository) {
        char *s = NULL;

        (void) asprintf(&s, "repository:%s:pull,push", repository);
        return s;
}

/* The upload URL from a 202's Location (absolute, or relative to the registry), with digest added;
 * it must be on the registry's own origin (registry_policy). */
static int upload_url(const RegistryClient *c, const char *location, const OciDigest *digest, char **ret,
                      ErrorDetail *err) {
        const char *sep = strchr(location, '?') ? "&" : "?";
        _cleanup_free_ char *url = NULL;
        RegistryOrigin o;
        char why[512];

        if (strneq(location, "http://", 7) || strneq(location, "https://", 8)) {
                if (asprintf(&url, "%s%sdigest=%s", location, sep, digest->str) < 0)
                        return -ENOMEM;
        } else if (asprintf(&url, "%s%s%s%sdigest=%s", c->base, location[0] == '/' ? "" : "/", location, sep,
                            digest->str) < 0)
                return -ENOMEM;
        if (registry_origin_from_url(url, &o) < 0)
                return error_detail_set(err, -EPROTO, "The upload location '%s' of %s is not an http(s) URL",
                                        location, c->host);
        if (registry_policy_check(&c->origin, &o, REGISTRY_HOP_UPLOAD, why, sizeof(why)) < 0)
                return error_detail_set(err, -EPERM, "Refused the upload location %s: %s", location, why);
        *ret = TAKE_PTR(url);
        return 0;
}

int registry_push_blob(RegistryClient *c, const char *repository, const OciDigest *digest, uint64_t size,
                       RegistryReadCallback read_fn, void *userdata, ErrorDetail *err) {
        _cleanup_free_ char *scope = NULL;
        Request post = { .method = "POST", .err = err };
        Request put = { .method = "PUT", .content_type = "application/octet-stream", .upload_cb = read_fn,
                        .upload_userdata = userdata, .upload_size = (int64_t) size, .err = err };
        int r;

        r = check_names(repository, NULL, err);
        if (r < 0)
                return r;
        scope = push_scope(repository);
        if (!scope || request_url(c, &post, repository, "blobs/uploads/", NULL) < 0)
                r = -ENOMEM;
        if (r >= 0)
                r = request_perform(c, &post, scope);
        if (r >= 0 && (post.status != 202 || !post.resp_location))
                r = error_detail_set(err, -EPROTO, "POST %s: HTTP %ld without an upload location", post.url,
                                     post.status);
        if (r >= 0)
                r = upload_url(c, post.resp_location, digest, &put.url, err);
        if (r >= 0)
                r = request_perform(c, &put, scope);
        request_done(&post);
        request_done(&put);
        return r;
}

int registry_put_manifest(RegistryClient *c, const char *repository, const char *reference, const char *media_type,
                          const void *buf, size_t size, ErrorDetail *err) {
        _cleanup_free_ char *scope = NULL;
        Request q = { .method = "PUT", .content_type = media_type, .body = buf, .body_size = size, .err = err };
        int r;

        r = check_names(repository, reference, err);
        if (r < 0)
                return r;
        scope = push_scope(repository);
        if (!scope || request_url(c, &q, repository, "manifests", reference) < 0)
                r = -ENOMEM;
        if (r >= 0)
                r = request_perform(c, &q, scope);
        request_done(&q);
        return r;
}

/* ---- documents --------------------------------------------------------------------------------- */

typedef struct MemSink {
        char *buf;
        size_t size, max;
} MemSink;

static int mem_sink(const void *buf, size_t size, void *userdata) {
        MemSink *m = userdata;

        if (size > m->max - m->size)
                return -E2BIG;
        memcpy(m->buf + m->size, buf, size);
        m->size += size;
        return 0;
}

int registry_read_document(RegistryClient *c, const char *repository, const OciDescriptor *d, size_t max,
                           char **ret, size_t *ret_size, ErrorDetail *err) {
        OciMediaKind kind = oci_media_type_kind(d->media_type);
        MemSink m = { .max = max };
        int r;

        if (d->size < 0 || (uint64_t) d->size > max)
                return error_detail_set(err, -E2BIG, "%s is larger than %zu bytes", d->digest.str, max);
        if (kind == OCI_KIND_INDEX || kind == OCI_KIND_MANIFEST)
                return registry_get_manifest(c, repository, d->digest.str, ret, ret_size, NULL, NULL, err);
        m.buf = malloc((size_t) d->size + 1);
        if (!m.buf)
                return -ENOMEM;
        r = registry_get_blob(c, repository, &d->digest, d->size, mem_sink, &m, err);
        if (r < 0) {
                free(m.buf);
                return r;
        }
        m.buf[m.size] = 0;
        *ret = m.buf;
        *ret_size = m.size;
        return 0;
}
