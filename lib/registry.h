/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A client for the OCI distribution API (distribution-spec v1.1, spec.md) over libcurl: references,
 * the /v2/ ping, authentication (anonymous, basic, and the bearer-token flow of Docker's token spec:
 * a 401 with `WWW-Authenticate: Bearer realm=...,service=...,scope=...` -> GET realm?service&scope
 * with basic credentials if any -> {"token"|"access_token"}), credentials from a docker config.json
 * ("auths": {"host": {"auth": base64("user:pass")}}), TLS with a CA file or plain HTTP (--insecure,
 * which we allow only for loopback hosts), manifests (GET/HEAD with an Accept of every index and
 * manifest type) and blobs (streamed, verified). Each call uses its own curl handle, so one client may
 * serve several threads (layers fetched in parallel); the token is shared under a lock. Every call
 * that talks to the registry takes the caller's ErrorDetail last (NULL: only the -errno) and fills it
 * with what failed: the HTTP status and the registry's errors[].code, curl's error, the policy's
 * reason for refusing a redirect or a realm. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error-detail.h"
#include "macro.h"
#include "oci.h"

#define REGISTRY_DOCKER_HUB      "registry-1.docker.io"
#define REGISTRY_NAME_MAX        255  /* distribution-spec: a repository name fits in 255 chars */
#define REGISTRY_TAG_MAX         128  /* [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127} */

/* "HOST[:PORT]/REPO[:TAG|@sha256:HEX]" as `docker://` references are written (without the
 * "docker://"). As in docker's reference parsing, the first component is a host only when it has a '.'
 * or a ':' or is "localhost"; otherwise the host is docker.io and one-component names get "library/".
 * No tag and no digest means tag "latest". */
typedef struct RegistryRef {
        char *host;        /* "127.0.0.1:5000", "registry-1.docker.io" */
        char *repository;  /* "library/debian" */
        char *tag;         /* or NULL when only a digest was given */
        OciDigest digest;  /* unset (oci_digest_is_set() false) when not given */
} RegistryRef;

/* Returns 0, -EINVAL for a malformed reference (uppercase repository, bad tag, empty parts), or
 * -EOPNOTSUPP for a non-sha256 digest. */
int registry_ref_parse(const char *s, RegistryRef *ret);
void registry_ref_done(RegistryRef *r);
/* The tag, or the digest string when there is no tag: what goes in /v2/<name>/manifests/<reference>. */
const char *registry_ref_reference(const RegistryRef *r);

/* A parsed WWW-Authenticate challenge (RFC 7235 auth-param list, quoted strings with \-escapes). */
typedef struct RegistryChallenge {
        char *scheme;   /* "Bearer", "Basic" */
        char *realm;
        char *service;  /* or NULL */
        char *scope;    /* or NULL */
} RegistryChallenge;

/* Pure: parse one WWW-Authenticate header value. Returns 0 or -EBADMSG. */
int registry_challenge_parse(const char *header, RegistryChallenge *ret);
void registry_challenge_done(RegistryChallenge *c);

/* Pure: find credentials for host in a docker config.json held in buf: "auths" keyed by "host",
 * "https://host", "http://host" or "https://host/v1/" (docker.io's legacy key), each "auth" being
 * base64("user:password") (or "username"/"password" fields). Returns 0 with the strings, -ENOENT when
 * there is no entry for host, -EBADMSG when the JSON or the base64 is malformed. */
int registry_auth_from_config(const void *buf, size_t size, const char *host, char **ret_user, char **ret_password);

/* Pure: the token from a token-endpoint response ({"token": ...} or {"access_token": ...}). */
int registry_token_parse(const void *buf, size_t size, char **ret);

typedef struct RegistryOptions {
        bool insecure;          /* plain http; refused (-EPERM) unless the host is loopback */
        const char *ca_file;    /* PEM bundle for TLS, or NULL for the system store */
        const char *auth_file;  /* docker config.json, or NULL: $REGISTRY_AUTH_FILE, then
                                 * $DOCKER_CONFIG/config.json, then ~/.docker/config.json, if present */
        const char *username;   /* explicit credentials win over auth_file */
        const char *password;
        long timeout_sec;       /* connect timeout; 0: 30 */
        long request_timeout_sec; /* one request, connect to last byte; 0: 900 (the request-seconds limit) */
        long total_timeout_sec; /* every request of the client, from its creation; 0: 3600 (pull-seconds) */
        const char *user_agent; /* or NULL: "archway" */
} RegistryOptions;

typedef struct RegistryClient RegistryClient;

/* A client for one registry host. Reads credentials now (a malformed auth file is -EBADMSG); does no
 * network I/O. Redirects, token realms and upload locations are followed only as lib/registry-policy
 * allows (-EPERM before any connection otherwise), and credentials go only where it allows. Returns 0
 * or -errno. */
int registry_client_new(const char *host, const RegistryOptions *opts, RegistryClient **ret, ErrorDetail *err);
RegistryClient *registry_client_free(RegistryClient *c);
static inline void registry_client_freep(RegistryClient **c) {
        registry_client_free(*c);
}
#define _cleanup_registry_client_ _cleanup_(registry_client_freep)

/* GET /v2/. Returns 0 (also when the 401 leads to a successful authentication), -EACCES when
 * credentials are refused, -EHOSTUNREACH/-ECONNREFUSED/-ETIMEDOUT from the transport, -EPROTO when
 * the host does not speak the API. */
int registry_ping(RegistryClient *c, ErrorDetail *err);

/* GET a manifest or index by tag or digest, at most OCI_MANIFEST_SIZE_MAX bytes (-E2BIG). When
 * reference is a digest, the body must hash to it (-EBADMSG). Returns 0 with the body (NUL-terminated,
 * size without the NUL), its Content-Type (ret_media_type may be NULL) and its digest (computed over
 * the body; ret_digest may be NULL); -ENOENT for 404 (MANIFEST_UNKNOWN, NAME_UNKNOWN), -EACCES for 401/
 * 403 after authentication, -EPROTO for other statuses. */
int registry_get_manifest(RegistryClient *c, const char *repository, const char *reference, char **ret,
                          size_t *ret_size, char **ret_media_type, OciDigest *ret_digest, ErrorDetail *err);

/* HEAD a manifest: its Content-Type, Docker-Content-Digest (or -EPROTO if absent) and size. Any ret
 * may be NULL. Errors as registry_get_manifest(). */
int registry_head_manifest(RegistryClient *c, const char *repository, const char *reference, char **ret_media_type,
                           OciDigest *ret_digest, int64_t *ret_size, ErrorDetail *err);

/* GET a blob, following redirects, handing each chunk to cb as it arrives (cb returns < 0 to stop:
 * that value is returned). The whole body is hashed and must match digest (-EBADMSG) and, when
 * expected_size >= 0, that size (-EBADMSG; more than expected stops the transfer at once). */
typedef int (*RegistryDataCallback)(const void *buf, size_t size, void *userdata);
int registry_get_blob(RegistryClient *c, const char *repository, const OciDigest *digest, int64_t expected_size,
                      RegistryDataCallback cb, void *userdata, ErrorDetail *err);

/* Pull side for streaming consumers (libarchive wants to pull): open a blob GET, then read it in
 * pieces; memory stays bounded (the transfer is paused while the consumer lags). read returns the
 * byte count, 0 at the verified end (digest and size checked then: -EBADMSG), or -errno. err is kept
 * by the stream: the failures of later reads are described there too, so it must live as long. */
typedef struct RegistryBlobStream RegistryBlobStream;
int registry_blob_open(RegistryClient *c, const char *repository, const OciDigest *digest, int64_t expected_size,
                       RegistryBlobStream **ret, ErrorDetail *err);
ssize_t registry_blob_read(RegistryBlobStream *s, void *buf, size_t size);
RegistryBlobStream *registry_blob_close(RegistryBlobStream *s);
static inline void registry_blob_closep(RegistryBlobStream **s) {
        registry_blob_close(*s);
}

/* ---- push (distribution-spec "Pushing blobs", "Pushing Manifests") ------------------------------
 * Each returns 0 or -errno. */

/* HEAD /v2/<name>/blobs/<digest>: 1 exists, 0 not, or -errno. */
int registry_blob_exists(RegistryClient *c, const char *repository, const OciDigest *digest, ErrorDetail *err);
/* POST an upload session, then PUT ?digest= with the body read from read_fn (a monolithic upload of
 * size bytes). read_fn returns bytes written to buf, 0 at the end, or -errno. */
typedef ssize_t (*RegistryReadCallback)(void *buf, size_t size, void *userdata);
int registry_push_blob(RegistryClient *c, const char *repository, const OciDigest *digest, uint64_t size,
                       RegistryReadCallback read_fn, void *userdata, ErrorDetail *err);
/* PUT /v2/<name>/manifests/<reference> with Content-Type media_type. */
int registry_put_manifest(RegistryClient *c, const char *repository, const char *reference, const char *media_type,
                          const void *buf, size_t size, ErrorDetail *err);

/* A JSON document the descriptor d names, into memory (NUL-terminated): a manifest or index through
 * the manifests endpoint (its media type says which), anything else (a config) as a blob; at most max
 * bytes (-E2BIG, from the descriptor's size before anything is fetched), verified against d. */
int registry_read_document(RegistryClient *c, const char *repository, const OciDescriptor *d, size_t max,
                           char **ret, size_t *ret_size, ErrorDetail *err);
