/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A blob GET that the consumer pulls from (libarchive wants to pull): the transfer runs on a curl
 * multi handle and pauses while the consumer lags, so memory stays at REGISTRY_STREAM_BUFFER. Every
 * byte is hashed; the digest and size are checked at the end, and more than the size stops the
 * transfer at once. Redirects are taken under the policy, as for every request. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "registry-internal.h"

/* The pull stream pauses the transfer when this much is buffered and unread. */
#define REGISTRY_STREAM_BUFFER (4 * 1024 * 1024)

struct RegistryBlobStream {
        RegistryClient *client;
        ErrorDetail *err;       /* the caller's, for the whole life of the stream */
        CURLM *multi;
        Request q;
        bool attached;          /* q.easy is in multi */
        OciDigest digest;
        int64_t expected_size;
        OciHasher *hasher;
        uint8_t *buf;
        size_t start, end;
        bool paused, done;
        CURLcode result;
};

static int stream_sink(const void *data, size_t size, void *userdata) {
        RegistryBlobStream *s = userdata;
        int r;

        if (s->start == s->end)
                s->start = s->end = 0;
        if (REGISTRY_STREAM_BUFFER - s->end < size) {
                if (s->start > 0) {
                        memmove(s->buf, s->buf + s->start, s->end - s->start);
                        s->end -= s->start;
                        s->start = 0;
                }
                if (REGISTRY_STREAM_BUFFER - s->end < size) {
                        s->paused = true;
                        return REQUEST_SINK_PAUSE;
                }
        }
        if (s->expected_size >= 0 && oci_hasher_size(s->hasher) + size > (uint64_t) s->expected_size)
                return -EBADMSG;
        r = oci_hasher_update(s->hasher, data, size);
        if (r < 0)
                return r;
        memcpy(s->buf + s->end, data, size);
        s->end += size;
        return 0;
}

/* (Re)start the GET of q.url on the multi handle. */
static int stream_start(RegistryBlobStream *s) {
        int r;

        if (s->attached) {
                (void) curl_multi_remove_handle(s->multi, s->q.easy);
                s->attached = false;
        }
        r = request_prepare(s->client, &s->q);
        if (r < 0)
                return r;
        if (curl_multi_add_handle(s->multi, s->q.easy) != CURLM_OK)
                return -ENOMEM;
        s->attached = true;
        s->done = false;
        s->result = CURLE_OK;
        return 0;
}

int registry_blob_open(RegistryClient *c, const char *repository, const OciDigest *digest, int64_t expected_size,
                       RegistryBlobStream **ret, ErrorDetail *err) {
        RegistryBlobStream *s;
        int r;

        /* Authenticate (and learn early that the blob is missing) with a HEAD: the streamed GET below
         * is not retried. */
        r = registry_blob_exists(c, repository, digest, err);
        if (r == 0)
                return error_detail_set(err, -ENOENT, "Blob %s not found in %s", digest->str, repository);
        if (r < 0)
                return r;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        *s = (RegistryBlobStream) { .client = c, .err = err, .digest = *digest, .expected_size = expected_size,
                                    .q = { .method = "GET", .follow = true, .sink = stream_sink, .sink_userdata = s,
                                           .err = err } };
        s->buf = malloc(REGISTRY_STREAM_BUFFER);
        s->multi = curl_multi_init();
        r = !s->buf || !s->multi ? -ENOMEM : oci_hasher_new(&s->hasher);
        if (r >= 0)
                r = request_url(c, &s->q, repository, "blobs", digest->str);
        if (r >= 0)
                r = stream_start(s);
        if (r < 0) {
                registry_blob_close(s);
                return r;
        }
        *ret = s;
        return 0;
}

/* A finished transfer that was a redirect: follow it (the policy decides) and go on. Returns 1 when
 * the stream goes on, 0 when the transfer really ended, < 0. */
static int stream_redirect(RegistryBlobStream *s) {
        int r;

        (void) curl_easy_getinfo(s->q.easy, CURLINFO_RESPONSE_CODE, &s->q.status);
        if (s->result != CURLE_OK || !request_status_is_redirect(s->q.status))
                return 0;
        r = request_follow(s->client, &s->q);
        if (r >= 0)
                r = stream_start(s);
        return r < 0 ? r : 1;
}

static int stream_pump(RegistryBlobStream *s) {
        CURLMsg *m;
        int running, left, r;

        if (s->paused) {
                s->paused = false;
                (void) curl_easy_pause(s->q.easy, CURLPAUSE_CONT);
        }
        if (curl_multi_perform(s->multi, &running) != CURLM_OK)
                return -EIO;
        while ((m = curl_multi_info_read(s->multi, &left)))
                if (m->msg == CURLMSG_DONE) {
                        s->done = true;
                        s->result = m->data.result;
                }
        if (s->done && (r = stream_redirect(s)) != 0)
                return r < 0 ? r : 0;
        if (!s->done && s->start == s->end && !s->paused &&
            curl_multi_poll(s->multi, NULL, 0, 1000, NULL) != CURLM_OK)
                return -EIO;
        return 0;
}

static int stream_finish(RegistryBlobStream *s) {
        (void) curl_easy_getinfo(s->q.easy, CURLINFO_RESPONSE_CODE, &s->q.status);
        if (s->q.sink_error == -EBADMSG)
                return error_detail_set(s->err, -EBADMSG, "Blob %s is larger than %lld bytes", s->digest.str,
                                        (long long) s->expected_size);
        if (s->q.sink_error < 0)
                return s->q.sink_error;
        if (s->result != CURLE_OK)
                return error_detail_set(s->err, request_curl_to_errno(s->result), "GET %s: %s", s->q.url,
                                        curl_easy_strerror(s->result));
        if (request_status_to_errno(s->q.status) < 0)
                return request_error_from_body(&s->q, request_status_to_errno(s->q.status));
        return registry_blob_verify(s->hasher, &s->digest, s->expected_size, s->err);
}

ssize_t registry_blob_read(RegistryBlobStream *s, void *buf, size_t size) {
        size_t n;
        int r;

        while (s->start == s->end && !s->done) {
                r = stream_pump(s);
                if (r < 0)
                        return r;
        }
        if (s->start == s->end) {
                if (!s->hasher)
                        return 0; /* already verified */
                r = stream_finish(s);
                s->hasher = oci_hasher_free(s->hasher);
                return r < 0 ? r : 0;
        }
        n = s->end - s->start < size ? s->end - s->start : size;
        memcpy(buf, s->buf + s->start, n);
        s->start += n;
        return (ssize_t) n;
}

RegistryBlobStream *registry_blob_close(RegistryBlobStream *s) {
        if (!s)
                return NULL;
        if (s->attached)
                (void) curl_multi_remove_handle(s->multi, s->q.easy);
        request_done(&s->q);
        if (s->multi)
                curl_multi_cleanup(s->multi);
        oci_hasher_free(s->hasher);
        free(s->buf);
        free(s);
        return NULL;
}

