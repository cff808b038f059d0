/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the pieces of the registry client share; users include registry.h only.
 *
 *   registry-ref.c      image references (pure)
 *   registry-auth.c     WWW-Authenticate challenges, config.json credentials, token responses (pure)
 *   registry-policy.c   where redirects, realms and uploads may go, and where credentials may (pure)
 *   registry-http.c     one HTTP exchange: transport, credentials, redirects under the policy, the
 *                       answer to a 401
 *   registry.c          the client and the API calls (ping, manifests, blobs, push)
 *   registry-stream.c   the pull stream for consumers that read (libarchive through layer-stream) */

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "error-detail.h"
#include "registry-policy.h"
#include "registry.h"

/* Error bodies and token responses are small; refuse to hold more. */
#define REGISTRY_SMALL_BODY_MAX (64 * 1024)

struct RegistryClient {
        char *host;
        char *base; /* "https://host" or "http://host" */
        RegistryOrigin origin;
        char *user, *password;
        char *ca_file;
        char *user_agent;
        long connect_timeout_sec;
        long request_timeout_sec;
        uint64_t deadline_usec;  /* CLOCK_MONOTONIC: every request of this client ends before it */

        pthread_mutex_t lock;    /* guards the two below */
        char *token;             /* bearer token, or NULL */
        bool basic;              /* the registry asked for Basic */
};

typedef int (*RequestSink)(const void *buf, size_t size, void *userdata);
/* A sink may return this to pause the transfer (the data is delivered again after unpausing). */
#define REQUEST_SINK_PAUSE 1

typedef struct Request {
        const char *method;      /* GET HEAD PUT POST */
        char *url;
        bool follow;             /* follow redirects (GET and HEAD of manifests and blobs) */
        bool foreign;            /* url left the registry's origin: no credentials, ever again */
        unsigned hops;
        const char *accept;
        const char *content_type;
        ErrorDetail *err;        /* the caller's, or NULL */
        /* request body: from memory, or from upload_cb */
        const void *body;
        size_t body_size, body_pos;
        RegistryReadCallback upload_cb;
        void *upload_userdata;
        int64_t upload_size;
        int upload_error;

        CURL *easy;
        struct curl_slist *headers;
        long status;
        char *resp_content_type, *resp_digest, *resp_location, *www_authenticate;
        int64_t content_length;
        /* 2xx bodies go to sink, or to mem (up to mem_max); other bodies to errbody */
        RequestSink sink;
        void *sink_userdata;
        int sink_error;
        char *mem;
        size_t mem_size, mem_max;
        char errbody[4096];
        size_t errbody_size;
} Request;

/* registry-ref.c */
bool registry_repository_valid(const char *s);
bool registry_tag_valid(const char *s);

/* registry-http.c */
void request_done(Request *q);
/* Make q->easy ready to perform (transport options, and credentials unless q is foreign). */
int request_prepare(RegistryClient *c, Request *q);
/* Perform, following redirects the policy allows and answering one 401 from the registry. Returns 0
 * for a 2xx answer, else -errno with q->err filled. */
int request_perform(RegistryClient *c, Request *q, const char *scope);
/* Take q's redirect (a finished 3xx) under the policy. */
int request_follow(RegistryClient *c, Request *q);
bool request_status_is_redirect(long status);
int request_status_to_errno(long status);
int request_curl_to_errno(CURLcode k);
/* Fill q->err from the answer: the status and the registry's errors[0].code and message. Returns r. */
int request_error_from_body(const Request *q, int r);
/* "BASE/v2/REPOSITORY/KIND/REFERENCE" into q->url. */
int request_url(const RegistryClient *c, Request *q, const char *repository, const char *kind, const char *reference);
/* "repository:NAME:pull", or NULL when out of memory. */
char *registry_pull_scope(const char *repository);

/* registry.c: hash h (all of a blob) must be digest and, when expected_size >= 0, that many bytes. */
int registry_blob_verify(OciHasher *h, const OciDigest *digest, int64_t expected_size, ErrorDetail *err);
