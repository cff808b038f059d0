/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One HTTP exchange with a registry and what it may lead to: redirects, each judged by
 * registry-policy before we connect, and the answer to a 401 (Basic, or Docker's bearer-token flow:
 * docs/spec/auth/token.md in distribution). Credentials go only where registry-policy says. */
#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "json-util.h"
#include "registry-internal.h"
#include "time-util.h"

/* Redirects followed per request (Docker Hub: registry -> CDN, one hop). */
#define REGISTRY_REDIRECTS_MAX 5
/* A transfer slower than this for REGISTRY_LOW_SPEED_SEC fails: a registry that trickles bytes ends
 * in seconds, not at the request deadline. */
#define REGISTRY_LOW_SPEED_BYTES 1024L
#define REGISTRY_LOW_SPEED_SEC 30L

static void request_reset_response(Request *q) {
        free(q->resp_content_type);
        free(q->resp_digest);
        free(q->resp_location);
        free(q->www_authenticate);
        q->resp_content_type = q->resp_digest = q->resp_location = q->www_authenticate = NULL;
        q->content_length = -1;
        q->status = 0;
        q->mem_size = q->errbody_size = 0;
        q->body_pos = 0;
}

void request_done(Request *q) {
        request_reset_response(q);
        free(q->url);
        free(q->mem);
        curl_slist_free_all(q->headers);
        if (q->easy)
                curl_easy_cleanup(q->easy);
}

static char *header_value(const char *line, size_t n, const char *name) {
        size_t k = strlen(name);
        const char *v;

        if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
                return NULL;
        v = line + k + 1;
        while (v < line + n && (*v == ' ' || *v == '\t'))
                v++;
        while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == '\n' || line[n - 1] == ' '))
                n--;
        return strndup(v, line + n > v ? (size_t) (line + n - v) : 0);
}

static void header_take(char **slot, char *value) {
        if (!value)
                return;
        free(*slot);
        *slot = value;
}

static size_t header_cb(char *line, size_t size, size_t nitems, void *userdata) {
        Request *q = userdata;
        size_t n = size * nitems;
        char *v;

        if (n >= 5 && strneq(line, "HTTP/", 5)) {
                /* a new response (after a redirect or 100-continue): forget the previous headers */
                request_reset_response(q);
                return n;
        }
        header_take(&q->resp_content_type, header_value(line, n, "Content-Type"));
        header_take(&q->resp_digest, header_value(line, n, "Docker-Content-Digest"));
        header_take(&q->resp_location, header_value(line, n, "Location"));
        header_take(&q->www_authenticate, header_value(line, n, "WWW-Authenticate"));
        v = header_value(line, n, "Content-Length");
        if (v) {
                char *end;
                errno = 0;
                long long l = strtoll(v, &end, 10);
                if (errno == 0 && end != v && *end == 0 && l >= 0)
                        q->content_length = l;
                free(v);
        }
        return n;
}

static size_t write_cb(char *buf, size_t size, size_t nmemb, void *userdata) {
        Request *q = userdata;
        size_t n = size * nmemb;
        long status = 0;

        (void) curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &status);
        if (status < 200 || status > 299) {
                size_t k = n < sizeof(q->errbody) - 1 - q->errbody_size ? n : sizeof(q->errbody) - 1 - q->errbody_size;
                memcpy(q->errbody + q->errbody_size, buf, k);
                q->errbody_size += k;
                q->errbody[q->errbody_size] = 0;
                return n;
        }
        if (q->sink) {
                int r = q->sink(buf, n, q->sink_userdata);
                if (r == REQUEST_SINK_PAUSE)
                        return CURL_WRITEFUNC_PAUSE;
                if (r < 0) {
                        q->sink_error = r;
                        return 0;
                }
                return n;
        }
        if (q->mem_size + n > q->mem_max) {
                q->sink_error = -E2BIG;
                return 0;
        }
        if (!q->mem && !(q->mem = malloc(q->mem_max + 1))) {
                q->sink_error = -ENOMEM;
                return 0;
        }
        memcpy(q->mem + q->mem_size, buf, n);
        q->mem_size += n;
        q->mem[q->mem_size] = 0;
        return n;
}

static size_t read_cb(char *buf, size_t size, size_t nitems, void *userdata) {
        Request *q = userdata;
        size_t n = size * nitems;

        if (q->upload_cb) {
                ssize_t k = q->upload_cb(buf, n, q->upload_userdata);
                if (k < 0) {
                        q->upload_error = (int) k;
                        return CURL_READFUNC_ABORT;
                }
                return (size_t) k;
        }
        if (n > q->body_size - q->body_pos)
                n = q->body_size - q->body_pos;
        memcpy(buf, (const char *) q->body + q->body_pos, n);
        q->body_pos += n;
        return n;
}

static int header_list_add(struct curl_slist **l, const char *name, const char *value) {
        _cleanup_free_ char *h = NULL;
        struct curl_slist *n;

        if (!value)
                return 0;
        if (asprintf(&h, "%s: %s", name, value) < 0)
                return -ENOMEM;
        n = curl_slist_append(*l, h);
        if (!n)
                return -ENOMEM;
        *l = n;
        return 0;
}

static void method_setup(Request *q) {
        if (streq(q->method, "HEAD"))
                curl_easy_setopt(q->easy, CURLOPT_NOBODY, 1L);
        else if (streq(q->method, "PUT")) {
                curl_easy_setopt(q->easy, CURLOPT_UPLOAD, 1L);
                curl_easy_setopt(q->easy, CURLOPT_READFUNCTION, read_cb);
                curl_easy_setopt(q->easy, CURLOPT_READDATA, q);
                curl_easy_setopt(q->easy, CURLOPT_INFILESIZE_LARGE,
                                 (curl_off_t) (q->upload_cb ? q->upload_size : (int64_t) q->body_size));
        } else if (streq(q->method, "POST")) {
                curl_easy_setopt(q->easy, CURLOPT_POST, 1L);
                curl_easy_setopt(q->easy, CURLOPT_POSTFIELDS, "");
                curl_easy_setopt(q->easy, CURLOPT_POSTFIELDSIZE, 0L);
        }
}

/* The transport half of a request: URL, timeouts, TLS, callbacks, method; no credentials. Every
 * request of a client ends by its deadline: the remaining time bounds each one. */
static int request_transport(RegistryClient *c, Request *q) {
        uint64_t now = now_usec();
        long left;

        if (q->easy)
                curl_easy_reset(q->easy);
        else if (!(q->easy = curl_easy_init()))
                return -ENOMEM;
        request_reset_response(q);
        curl_slist_free_all(q->headers);
        q->headers = NULL;
        if (now >= c->deadline_usec)
                return error_detail_set(q->err, -ETIMEDOUT, "%s %s: not started, the registry has used up the time "
                                        "allowed (the pull-seconds limit)", q->method, q->url);
        left = (long) ((c->deadline_usec - now + 999999) / 1000000);
        curl_easy_setopt(q->easy, CURLOPT_URL, q->url);
        curl_easy_setopt(q->easy, CURLOPT_USERAGENT, c->user_agent);
        curl_easy_setopt(q->easy, CURLOPT_PROTOCOLS_STR, "http,https");
        /* Redirects are followed by request_follow(), which asks registry_policy first. */
        curl_easy_setopt(q->easy, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(q->easy, CURLOPT_CONNECTTIMEOUT, c->connect_timeout_sec);
        curl_easy_setopt(q->easy, CURLOPT_TIMEOUT, left < c->request_timeout_sec ? left : c->request_timeout_sec);
        curl_easy_setopt(q->easy, CURLOPT_LOW_SPEED_LIMIT, REGISTRY_LOW_SPEED_BYTES);
        curl_easy_setopt(q->easy, CURLOPT_LOW_SPEED_TIME, REGISTRY_LOW_SPEED_SEC);
        curl_easy_setopt(q->easy, CURLOPT_NOSIGNAL, 1L);
        if (c->ca_file)
                curl_easy_setopt(q->easy, CURLOPT_CAINFO, c->ca_file);
        curl_easy_setopt(q->easy, CURLOPT_HEADERFUNCTION, header_cb);
        curl_easy_setopt(q->easy, CURLOPT_HEADERDATA, q);
        curl_easy_setopt(q->easy, CURLOPT_WRITEFUNCTION, write_cb);
        curl_easy_setopt(q->easy, CURLOPT_WRITEDATA, q);
        method_setup(q);
        return 0;
}

/* The credentials half: the bearer token, or Basic when the registry asked for it; nothing for a URL
 * off the registry's origin. */
static int request_credentials(RegistryClient *c, Request *q) {
        _cleanup_free_ char *bearer = NULL;
        int r = 0;

        if (q->foreign)
                return 0;
        pthread_mutex_lock(&c->lock);
        if (c->token)
                r = asprintf(&bearer, "Bearer %s", c->token) < 0 ? -ENOMEM : 0;
        else if (c->basic && c->user) {
                curl_easy_setopt(q->easy, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
                curl_easy_setopt(q->easy, CURLOPT_USERNAME, c->user);
                curl_easy_setopt(q->easy, CURLOPT_PASSWORD, c->password);
        }
        pthread_mutex_unlock(&c->lock);
        return r < 0 ? r : header_list_add(&q->headers, "Authorization", bearer);
}

/* Make q->easy ready to perform. */
int request_prepare(RegistryClient *c, Request *q) {
        int r = request_transport(c, q);

        if (r >= 0)
                r = request_credentials(c, q);
        if (r >= 0)
                r = header_list_add(&q->headers, "Accept", q->accept);
        if (r >= 0)
                r = header_list_add(&q->headers, "Content-Type", q->content_type);
        if (r >= 0)
                curl_easy_setopt(q->easy, CURLOPT_HTTPHEADER, q->headers);
        return r;
}

int request_curl_to_errno(CURLcode k) {
        switch (k) {
        case CURLE_OK:
                return 0;
        case CURLE_COULDNT_CONNECT:
                return -ECONNREFUSED;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
                return -EHOSTUNREACH;
        case CURLE_OPERATION_TIMEDOUT:
                return -ETIMEDOUT;
        case CURLE_OUT_OF_MEMORY:
                return -ENOMEM;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CONNECT_ERROR:
                return -EKEYREJECTED;
        case CURLE_PARTIAL_FILE:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
                return -EPIPE;
        default:
                return -EPROTO;
        }
}

/* The registry's error code from an error body ({"errors":[{"code":...,"message":...}]}). */
int request_error_from_body(const Request *q, int r) {
        _cleanup_json_ json_object *o = json_tokener_parse(q->errbody);
        json_object *errs, *e, *code = NULL, *msg = NULL;

        if (o && json_object_object_get_ex(o, "errors", &errs) && json_object_is_type(errs, json_type_array) &&
            (e = json_object_array_get_idx(errs, 0))) {
                (void) json_object_object_get_ex(e, "code", &code);
                (void) json_object_object_get_ex(e, "message", &msg);
        }
        return error_detail_set(q->err, r, "HTTP %ld from %s %s%s%s%s%s", q->status, q->method, q->url,
                                code ? ": " : "", code ? json_object_get_string(code) : "", msg ? " " : "",
                                msg ? json_object_get_string(msg) : "");
}

int request_status_to_errno(long status) {
        if (status >= 200 && status <= 299)
                return 0;
        if (status == 401 || status == 403)
                return -EACCES;
        if (status == 404)
                return -ENOENT;
        return -EPROTO;
}

/* Run the exchange once. Returns 0 when there was an HTTP response (any status, in q->status), or
 * the transport/sink error. */
static int request_perform_once(RegistryClient *c, Request *q) {
        CURLcode k;
        int r;

        r = request_prepare(c, q);
        if (r < 0)
                return r;
        k = curl_easy_perform(q->easy);
        (void) curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &q->status);
        if (q->sink_error < 0)
                return q->sink_error;
        if (q->upload_error < 0)
                return q->upload_error;
        if (k != CURLE_OK)
                return error_detail_set(q->err, request_curl_to_errno(k), "%s %s: %s", q->method, q->url,
                                        curl_easy_strerror(k));
        return 0;
}

bool request_status_is_redirect(long status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* Take q's redirect: the Location (resolved by curl) must pass registry_policy before we connect. */
int request_follow(RegistryClient *c, Request *q) {
        RegistryOrigin target;
        char why[512], *next = NULL, *copy;

        if (++q->hops > REGISTRY_REDIRECTS_MAX)
                return error_detail_set(q->err, -ELOOP, "%s %s: more than %d redirects", q->method, q->url,
                                        REGISTRY_REDIRECTS_MAX);
        if (curl_easy_getinfo(q->easy, CURLINFO_REDIRECT_URL, &next) != CURLE_OK || !next ||
            registry_origin_from_url(next, &target) < 0)
                return error_detail_set(q->err, -EPROTO, "%s %s: HTTP %ld without a usable http(s) Location",
                                        q->method, q->url, q->status);
        if (registry_policy_check(&c->origin, &target, REGISTRY_HOP_REDIRECT, why, sizeof(why)) < 0)
                return error_detail_set(q->err, -EPERM, "%s %s: refused to follow the redirect to %s: %s", q->method,
                                        q->url, next, why);
        copy = strdup(next);
        if (!copy)
                return -ENOMEM;
        free(q->url);
        q->url = copy;
        q->foreign = q->foreign || !registry_origin_equal(&c->origin, &target);
        return 0;
}

static int url_escape(CURL *easy, const char *s, char **ret) {
        char *e = curl_easy_escape(easy, s, 0);
        char *copy;

        if (!e)
                return -ENOMEM;
        copy = strdup(e);
        curl_free(e);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 0;
}

static int token_url(CURL *easy, const RegistryChallenge *ch, const char *scope, char **ret) {
        _cleanup_free_ char *service = NULL, *escaped_scope = NULL;
        const char *sep = strchr(ch->realm, '?') ? "&" : "?";

        if ((ch->service && url_escape(easy, ch->service, &service) < 0) ||
            (scope && url_escape(easy, scope, &escaped_scope) < 0))
                return -ENOMEM;
        if (asprintf(ret, "%s%s%s%s%s%s", ch->realm, service || escaped_scope ? sep : "",
                     service ? "service=" : "", service ?: "",
                     escaped_scope ? (service ? "&scope=" : "scope=") : "", escaped_scope ?: "") < 0)
                return -ENOMEM;
        return 0;
}

static void set_basic_auth(CURL *easy, const char *user, const char *password) {
        curl_easy_setopt(easy, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
        curl_easy_setopt(easy, CURLOPT_USERNAME, user);
        curl_easy_setopt(easy, CURLOPT_PASSWORD, password);
}

/* Where the token request goes, and whether our credentials go with it (registry_policy). */
static int realm_check(RegistryClient *c, const char *realm, bool *ret_credentials, ErrorDetail *err) {
        RegistryOrigin o;
        char why[512];

        if (registry_origin_from_url(realm, &o) < 0)
                return error_detail_set(err, -EPROTO, "The token realm '%s' of %s is not an absolute http(s) URL",
                                        realm, c->host);
        if (registry_policy_check(&c->origin, &o, REGISTRY_HOP_REALM, why, sizeof(why)) < 0)
                return error_detail_set(err, -EPERM, "Refused the token realm %s of %s: %s", realm, c->host, why);
        *ret_credentials = c->user && registry_policy_realm_credentials(&c->origin, &o);
        return 0;
}

/* The token from a finished token request. */
static int token_response(RegistryClient *c, Request *q, bool sent_credentials, char **ret) {
        if (request_status_is_redirect(q->status))
                return error_detail_set(q->err, -EPERM, "The token service %s redirected us; token requests are not "
                                        "redirected", q->url);
        if (q->status == 401 && c->user && !sent_credentials)
                return error_detail_set(q->err, -EACCES, "The token service %s refused an anonymous request; the "
                                        "credentials saved for %s go only to %s itself or a token service on the same "
                                        "host over https (docs/security.md)", q->url, c->host, c->host);
        if (q->status != 200)
                return request_error_from_body(q, -EACCES);
        return registry_token_parse(q->mem ?: "", q->mem_size, ret);
}

/* Docker token spec: GET realm?service=&scope=, with Basic credentials when the policy lets them go. */
static int client_fetch_token(RegistryClient *c, const RegistryChallenge *ch, const char *scope, ErrorDetail *err) {
        Request q = { .method = "GET", .mem_max = REGISTRY_SMALL_BODY_MAX, .foreign = true, .err = err };
        char *token = NULL;
        bool credentials = false;
        CURLcode k;
        int r;

        r = realm_check(c, ch->realm, &credentials, err);
        if (r >= 0 && !(q.easy = curl_easy_init()))
                r = -ENOMEM;
        if (r >= 0)
                r = token_url(q.easy, ch, scope, &q.url);
        if (r >= 0)
                r = request_transport(c, &q);
        if (r >= 0) {
                if (credentials)
                        set_basic_auth(q.easy, c->user, c->password);
                k = curl_easy_perform(q.easy);
                (void) curl_easy_getinfo(q.easy, CURLINFO_RESPONSE_CODE, &q.status);
                if (k != CURLE_OK)
                        r = error_detail_set(err, request_curl_to_errno(k), "token request %s: %s", q.url,
                                             curl_easy_strerror(k));
                else
                        r = token_response(c, &q, credentials, &token);
        }
        request_done(&q);
        if (r < 0)
                return r;
        pthread_mutex_lock(&c->lock);
        free(c->token);
        c->token = token;
        pthread_mutex_unlock(&c->lock);
        return 0;
}

/* Answer a 401: Basic means send our credentials; Bearer means get a token for the scope asked. */
static int client_authenticate(RegistryClient *c, const Request *q, const char *default_scope) {
        _cleanup_(registry_challenge_done) RegistryChallenge ch = {};
        int r;

        if (!q->www_authenticate)
                return error_detail_set(q->err, -EACCES, "HTTP 401 from %s without WWW-Authenticate", q->url);
        r = registry_challenge_parse(q->www_authenticate, &ch);
        if (r < 0)
                return error_detail_set(q->err, -EPROTO, "Malformed WWW-Authenticate from %s", q->url);
        if (strcasecmp(ch.scheme, "Bearer") == 0)
                return client_fetch_token(c, &ch, ch.scope ?: default_scope, q->err);
        if (strcasecmp(ch.scheme, "Basic") != 0)
                return error_detail_set(q->err, -EACCES, "Unsupported authentication scheme '%s' at %s", ch.scheme,
                                        c->host);
        if (!c->user || c->basic)
                return error_detail_set(q->err, -EACCES, "%s needs credentials (Basic)%s", c->host,
                                        c->user ? " and refused ours" : "");
        if (!c->origin.https && !registry_host_is_loopback(c->host))
                return error_detail_set(q->err, -EPERM, "%s asks for Basic credentials over plain HTTP; refused",
                                        c->host);
        c->basic = true;
        return 0;
}

/* Perform, following redirects that the policy allows and answering one 401 from the registry with
 * authentication (not for streamed uploads, which cannot be replayed: their callers authenticate with
 * an earlier request). A 401 from a host we were redirected to is an error: it gets no credentials. */
int request_perform(RegistryClient *c, Request *q, const char *scope) {
        bool authenticated = false;
        int r;

        for (;;) {
                r = request_perform_once(c, q);
                if (r < 0)
                        return r;
                if (q->follow && request_status_is_redirect(q->status)) {
                        r = request_follow(c, q);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (q->status != 401 || authenticated || q->upload_cb || q->foreign)
                        break;
                r = client_authenticate(c, q, scope);
                if (r < 0)
                        return r;
                authenticated = true;
        }
        r = request_status_to_errno(q->status);
        return r < 0 ? request_error_from_body(q, r) : 0;
}

int request_url(const RegistryClient *c, Request *q, const char *repository, const char *kind,
                       const char *reference) {
        return asprintf(&q->url, "%s/v2/%s%s%s%s%s", c->base, repository ?: "", repository ? "/" : "",
                        kind ?: "", reference ? "/" : "", reference ?: "") < 0 ? -ENOMEM : 0;
}

char *registry_pull_scope(const char *repository) {
        char *s = NULL;

        if (repository)
                (void) asprintf(&s, "repository:%s:pull", repository);
        return s;
}

