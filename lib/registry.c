/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Distribution API client. References: distribution-spec v1.1 spec.md (endpoints, status codes,
 * error bodies), Docker's token authentication spec (docs/spec/auth/token.md in distribution:
 * WWW-Authenticate Bearer realm/service/scope, token response {"token","access_token"}), RFC 7235
 * (auth-param syntax) and docker/cli's config.json "auths" format. */
#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "json-util.h"
#include "registry-policy.h"
#include "registry.h"

/* Error bodies and token responses are small; refuse to hold more. */
#define REGISTRY_SMALL_BODY_MAX (64 * 1024)
/* The pull stream pauses the transfer when this much is buffered and unread. */
#define REGISTRY_STREAM_BUFFER (4 * 1024 * 1024)

static __thread char last_error[512];

_printf_(1, 2) static void set_error(const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(last_error, sizeof(last_error), fmt, ap);
        va_end(ap);
}

const char *registry_last_error(void) {
        return last_error;
}

/* ---- references -------------------------------------------------------------------------------- */

void registry_ref_done(RegistryRef *r) {
        if (!r)
                return;
        free(r->host);
        free(r->repository);
        free(r->tag);
        *r = (RegistryRef) {};
}

const char *registry_ref_reference(const RegistryRef *r) {
        return r->tag ?: r->digest.str;
}

/* distribution-spec: path components [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*, joined by '/'. */
static bool repository_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > REGISTRY_NAME_MAX)
                return false;
        for (const char *p = s; *p; p++) {
                bool alnum = islower((unsigned char) *p) || isdigit((unsigned char) *p);
                bool first = p == s || p[-1] == '/';
                bool last = p[1] == 0 || p[1] == '/';

                if (alnum)
                        continue;
                if (!strchr("._-/", *p) || first || last)
                        return false;
                if (*p == '/' && p[1] == '/')
                        return false;
        }
        return true;
}

static bool tag_valid(const char *s) {
        size_t n = strlen(s);

        if (n == 0 || n > REGISTRY_TAG_MAX || !(isalnum((unsigned char) s[0]) || s[0] == '_'))
                return false;
        for (const char *p = s; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr("._-", *p))
                        return false;
        return true;
}

static bool host_is_registry(const char *first, size_t n) {
        return memchr(first, '.', n) || memchr(first, ':', n) || (n == 9 && strneq(first, "localhost", 9));
}

static int ref_split_host(const char *s, RegistryRef *r, const char **ret_rest) {
        const char *slash = strchr(s, '/');

        if (slash && host_is_registry(s, (size_t) (slash - s))) {
                r->host = strndup(s, (size_t) (slash - s));
                *ret_rest = slash + 1;
        } else {
                r->host = strdup(REGISTRY_DOCKER_HUB);
                *ret_rest = s;
        }
        return r->host ? 0 : -ENOMEM;
}

static int ref_split_name(const char *rest, RegistryRef *r) {
        const char *at = strchr(rest, '@'), *colon;
        _cleanup_free_ char *name = NULL;
        int k;

        if (at) {
                k = oci_digest_parse(at + 1, &r->digest);
                if (k < 0)
                        return k;
                name = strndup(rest, (size_t) (at - rest));
        } else
                name = strdup(rest);
        if (!name)
                return -ENOMEM;
        colon = strrchr(name, ':');
        if (colon && !strchr(colon, '/')) {
                if (!tag_valid(colon + 1))
                        return -EINVAL;
                r->tag = strdup(colon + 1);
                name[colon - name] = 0;
        } else if (!at)
                r->tag = strdup("latest");
        if (!at && !r->tag)
                return -ENOMEM;
        if (!repository_valid(name))
                return -EINVAL;
        if (streq(r->host, REGISTRY_DOCKER_HUB) && !strchr(name, '/')) {
                if (asprintf(&r->repository, "library/%s", name) < 0)
                        return -ENOMEM;
        } else
                r->repository = TAKE_PTR(name);
        return 0;
}

int registry_ref_parse(const char *s, RegistryRef *ret) {
        RegistryRef r = {};
        const char *rest;
        int k;

        if (isempty(s))
                return -EINVAL;
        if (strneq(s, "docker://", 9))
                s += 9;
        k = ref_split_host(s, &r, &rest);
        if (k >= 0)
                k = ref_split_name(rest, &r);
        if (k >= 0 && streq(r.host, "docker.io")) {
                free(r.host);
                k = (r.host = strdup(REGISTRY_DOCKER_HUB)) ? 0 : -ENOMEM;
        }
        if (k < 0) {
                registry_ref_done(&r);
                return k;
        }
        *ret = r;
        return 0;
}

/* ---- WWW-Authenticate -------------------------------------------------------------------------- */

void registry_challenge_done(RegistryChallenge *c) {
        if (!c)
                return;
        free(c->scheme);
        free(c->realm);
        free(c->service);
        free(c->scope);
        *c = (RegistryChallenge) {};
}

/* A token or quoted-string value starting at *p; advances *p. */
static int challenge_value(const char **p, char **ret) {
        const char *s = *p;
        char *v, *o;

        if (*s != '"') {
                size_t n = strcspn(s, ", \t");
                v = strndup(s, n);
                *p = s + n;
                return v ? (*ret = v, 0) : -ENOMEM;
        }
        v = o = malloc(strlen(s));
        if (!v)
                return -ENOMEM;
        for (s++; *s && *s != '"'; s++) {
                if (*s == '\\' && s[1])
                        s++;
                *o++ = *s;
        }
        if (*s != '"') {
                free(v);
                return -EBADMSG;
        }
        *o = 0;
        *p = s + 1;
        *ret = v;
        return 0;
}

static int challenge_param(RegistryChallenge *c, const char *key, size_t n, char *value) {
        char **slot = n == 5 && strncasecmp(key, "realm", 5) == 0 ? &c->realm :
                      n == 7 && strncasecmp(key, "service", 7) == 0 ? &c->service :
                      n == 5 && strncasecmp(key, "scope", 5) == 0 ? &c->scope : NULL;

        if (!slot) {
                free(value);
                return 0;
        }
        free(*slot);
        *slot = value;
        return 0;
}

int registry_challenge_parse(const char *header, RegistryChallenge *ret) {
        RegistryChallenge c = {};
        const char *p = header;
        size_t n;
        int r = 0;

        p += strspn(p, " \t");
        n = strcspn(p, " \t");
        if (n == 0 || !(c.scheme = strndup(p, n)))
                return n == 0 ? -EBADMSG : -ENOMEM;
        p += n;
        while (r >= 0 && *(p += strspn(p, " \t,"))) {
                const char *key = p;
                char *value;

                n = strcspn(p, "= \t,");
                if (n == 0 || p[n] != '=') {
                        r = -EBADMSG;
                        break;
                }
                p += n + 1;
                r = challenge_value(&p, &value);
                if (r >= 0)
                        r = challenge_param(&c, key, n, value);
        }
        if (r >= 0 && strcasecmp(c.scheme, "Bearer") == 0 && !c.realm)
                r = -EBADMSG;
        if (r < 0) {
                registry_challenge_done(&c);
                return r;
        }
        *ret = c;
        return 0;
}

/* ---- credentials ------------------------------------------------------------------------------- */

static int base64_value(char ch) {
        static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const char *p = ch ? strchr(alphabet, ch) : NULL;

        return p ? (int) (p - alphabet) : -1;
}

/* RFC 4648 base64 with optional padding; refuses other characters. */
static int base64_decode(const char *s, char **ret) {
        size_t n = strlen(s), o = 0;
        unsigned acc = 0, bits = 0;
        char *out;

        while (n > 0 && s[n - 1] == '=')
                n--;
        out = malloc(n * 3 / 4 + 1);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                int v = base64_value(s[i]);
                if (v < 0) {
                        free(out);
                        return -EBADMSG;
                }
                acc = (acc << 6) | (unsigned) v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[o++] = (char) ((acc >> bits) & 0xff);
                }
        }
        out[o] = 0;
        *ret = out;
        return 0;
}

static json_object *auths_lookup(json_object *auths, const char *host) {
        static const struct {
                const char *prefix, *suffix;
        } forms[] = {
                { "", "" }, { "https://", "" }, { "http://", "" }, { "https://", "/v1/" }, { "https://", "/v2/" },
        };
        json_object *v;

        for (size_t i = 0; i < ELEMENTSOF(forms); i++) {
                _cleanup_free_ char *key = NULL;

                if (asprintf(&key, "%s%s%s", forms[i].prefix, host, forms[i].suffix) < 0)
                        return NULL;
                if (json_object_object_get_ex(auths, key, &v))
                        return v;
        }
        /* docker.io credentials are stored under the v1 index name. */
        if (streq(host, REGISTRY_DOCKER_HUB) && json_object_object_get_ex(auths, "https://index.docker.io/v1/", &v))
                return v;
        return NULL;
}

static int auth_entry_parse(json_object *e, char **ret_user, char **ret_password) {
        _cleanup_free_ char *decoded = NULL;
        json_object *v, *u, *p;
        char *colon;
        int r;

        if (!json_object_is_type(e, json_type_object))
                return -EBADMSG;
        if (json_object_object_get_ex(e, "auth", &v) && json_object_is_type(v, json_type_string) &&
            json_object_get_string_len(v) > 0) {
                r = base64_decode(json_object_get_string(v), &decoded);
                if (r < 0)
                        return r;
                colon = strchr(decoded, ':');
                if (!colon)
                        return -EBADMSG;
                *ret_user = strndup(decoded, (size_t) (colon - decoded));
                *ret_password = strdup(colon + 1);
        } else if (json_object_object_get_ex(e, "username", &u) && json_object_object_get_ex(e, "password", &p)) {
                *ret_user = strdup(json_object_get_string(u));
                *ret_password = strdup(json_object_get_string(p));
        } else
                return -ENOENT;
        if (!*ret_user || !*ret_password) {
                free(*ret_user);
                free(*ret_password);
                return -ENOMEM;
        }
        return 0;
}

int registry_auth_from_config(const void *buf, size_t size, const char *host, char **ret_user, char **ret_password) {
        json_object *o = NULL, *auths, *e;
        int r;

        r = json_parse_buffer(buf, size, REGISTRY_SMALL_BODY_MAX * 16, &o);
        if (r >= 0 && !json_object_is_type(o, json_type_object))
                r = -EBADMSG;
        if (r >= 0 && (!json_object_object_get_ex(o, "auths", &auths) || !json_object_is_type(auths, json_type_object)))
                r = -ENOENT;
        if (r >= 0)
                r = (e = auths_lookup(auths, host)) ? auth_entry_parse(e, ret_user, ret_password) : -ENOENT;
        json_object_put(o);
        return r;
}

int registry_token_parse(const void *buf, size_t size, char **ret) {
        json_object *o = NULL, *v;
        int r;

        r = json_parse_buffer(buf, size, SIZE_MAX, &o);
        if (r >= 0 && !json_object_is_type(o, json_type_object))
                r = -EBADMSG;
        if (r >= 0 && !((json_object_object_get_ex(o, "token", &v) && json_object_is_type(v, json_type_string)) ||
                        (json_object_object_get_ex(o, "access_token", &v) && json_object_is_type(v, json_type_string))))
                r = -EBADMSG;
        if (r >= 0)
                r = (*ret = strdup(json_object_get_string(v))) ? 0 : -ENOMEM;
        json_object_put(o);
        return r;
}

/* ---- client ------------------------------------------------------------------------------------ */

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

        pthread_mutex_t lock; /* guards the two below */
        char *token;          /* bearer token, or NULL */
        bool basic;           /* the registry asked for Basic */
};

static uint64_t now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static int read_small_file(const char *path, char **ret, size_t *ret_size) {
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t n;

        f = fopen(path, "re");
        if (!f)
                return negative_errno();
        buf = malloc(REGISTRY_SMALL_BODY_MAX * 16 + 1);
        if (!buf)
                return -ENOMEM;
        n = fread(buf, 1, REGISTRY_SMALL_BODY_MAX * 16 + 1, f);
        if (ferror(f))
                return -EIO;
        if (n > REGISTRY_SMALL_BODY_MAX * 16)
                return -E2BIG;
        buf[n] = 0;
        *ret = TAKE_PTR(buf);
        *ret_size = n;
        return 0;
}

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

static int client_load_credentials(RegistryClient *c, const RegistryOptions *o) {
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
        r = read_small_file(path, &buf, &n);
        if (r < 0)
                return r;
        if (buf[strspn(buf, " \t\r\n")] == 0)
                return 0; /* an empty file: no credentials */
        r = registry_auth_from_config(buf, n, c->host, &c->user, &c->password);
        return r == -ENOENT ? 0 : r;
}

static int client_init(RegistryClient *c, const char *host, const RegistryOptions *o) {
        long total;

        if (!(c->host = strdup(host)) ||
            asprintf(&c->base, "%s://%s", o->insecure ? "http" : "https", host) < 0 ||
            (o->ca_file && !(c->ca_file = strdup(o->ca_file))) ||
            !(c->user_agent = strdup(o->user_agent ?: "archway")))
                return -ENOMEM;
        if (registry_origin_from_url(c->base, &c->origin) < 0)
                return -EINVAL;
        c->connect_timeout_sec = o->timeout_sec > 0 ? o->timeout_sec : 30;
        c->request_timeout_sec = o->request_timeout_sec > 0 ? o->request_timeout_sec : 900;
        total = o->total_timeout_sec > 0 ? o->total_timeout_sec : 3600;
        c->deadline_usec = now_usec() + (uint64_t) total * 1000000;
        return client_load_credentials(c, o);
}

static void curl_init_once(void) {
        (void) curl_global_init(CURL_GLOBAL_DEFAULT);
}

int registry_client_new(const char *host, const RegistryOptions *opts, RegistryClient **ret) {
        static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
        static const RegistryOptions defaults = {};
        RegistryClient *c;
        int r;

        if (!opts)
                opts = &defaults;
        if (isempty(host))
                return -EINVAL;
        if (opts->insecure && !registry_host_is_loopback(host))
                return -EPERM;
        (void) pthread_once(&curl_once, curl_init_once);
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        pthread_mutex_init(&c->lock, NULL);
        r = client_init(c, host, opts);
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

/* ---- one HTTP exchange ------------------------------------------------------------------------- */

typedef int (*RequestSink)(const void *buf, size_t size, void *userdata);
/* A sink may return this to pause the transfer (the data is delivered again after unpausing). */
#define REQUEST_SINK_PAUSE 1

/* Redirects followed per request (Docker Hub: registry -> CDN, one hop). */
#define REGISTRY_REDIRECTS_MAX 5
/* A transfer slower than this for REGISTRY_LOW_SPEED_SEC fails: a registry that trickles bytes ends
 * in seconds, not at the request deadline. */
#define REGISTRY_LOW_SPEED_BYTES 1024L
#define REGISTRY_LOW_SPEED_SEC 30L

typedef struct Request {
        const char *method;     /* GET HEAD PUT POST */
        char *url;
        bool follow;            /* follow redirects (GET and HEAD of manifests and blobs) */
        bool foreign;           /* url left the registry's origin: no credentials, ever again */
        unsigned hops;
        const char *accept;
        const char *content_type;
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
        /* 2xx bodies go to sink, or to mem (up to mem_max); other bodies to err */
        RequestSink sink;
        void *sink_userdata;
        int sink_error;
        char *mem;
        size_t mem_size, mem_max;
        char err[4096];
        size_t err_size;
} Request;

static void request_reset_response(Request *q) {
        free(q->resp_content_type);
        free(q->resp_digest);
        free(q->resp_location);
        free(q->www_authenticate);
        q->resp_content_type = q->resp_digest = q->resp_location = q->www_authenticate = NULL;
        q->content_length = -1;
        q->status = 0;
        q->mem_size = q->err_size = 0;
        q->body_pos = 0;
}

static void request_done(Request *q) {
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
                size_t k = n < sizeof(q->err) - 1 - q->err_size ? n : sizeof(q->err) - 1 - q->err_size;
                memcpy(q->err + q->err_size, buf, k);
                q->err_size += k;
                q->err[q->err_size] = 0;
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
        if (now >= c->deadline_usec) {
                set_error("%s %s: not started, the registry has used up the time allowed (the pull-seconds limit)",
                          q->method, q->url);
                return -ETIMEDOUT;
        }
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
static int request_prepare(RegistryClient *c, Request *q) {
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

static int curl_code_to_errno(CURLcode k) {
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
static void error_from_body(const Request *q) {
        json_object *o = json_tokener_parse(q->err), *errs, *e, *code = NULL, *msg = NULL;

        if (o && json_object_object_get_ex(o, "errors", &errs) && json_object_is_type(errs, json_type_array) &&
            (e = json_object_array_get_idx(errs, 0))) {
                (void) json_object_object_get_ex(e, "code", &code);
                (void) json_object_object_get_ex(e, "message", &msg);
        }
        set_error("HTTP %ld from %s %s%s%s%s%s", q->status, q->method, q->url, code ? ": " : "",
                  code ? json_object_get_string(code) : "", msg ? " " : "", msg ? json_object_get_string(msg) : "");
        json_object_put(o);
}

static int status_to_errno(long status) {
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
        if (k != CURLE_OK) {
                set_error("%s %s: %s", q->method, q->url, curl_easy_strerror(k));
                return curl_code_to_errno(k);
        }
        return 0;
}

static bool status_is_redirect(long status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* Take q's redirect: the Location (resolved by curl) must pass registry_policy before we connect. */
static int request_follow(RegistryClient *c, Request *q) {
        RegistryOrigin target;
        char why[512], *next = NULL, *copy;

        if (++q->hops > REGISTRY_REDIRECTS_MAX) {
                set_error("%s %s: more than %d redirects", q->method, q->url, REGISTRY_REDIRECTS_MAX);
                return -ELOOP;
        }
        if (curl_easy_getinfo(q->easy, CURLINFO_REDIRECT_URL, &next) != CURLE_OK || !next ||
            registry_origin_from_url(next, &target) < 0) {
                set_error("%s %s: HTTP %ld without a usable http(s) Location", q->method, q->url, q->status);
                return -EPROTO;
        }
        if (registry_policy_check(&c->origin, &target, REGISTRY_HOP_REDIRECT, why, sizeof(why)) < 0) {
                set_error("%s %s: refused to follow the redirect to %s: %s", q->method, q->url, next, why);
                return -EPERM;
        }
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
static int realm_check(RegistryClient *c, const char *realm, bool *ret_credentials) {
        RegistryOrigin o;
        char why[512];

        if (registry_origin_from_url(realm, &o) < 0) {
                set_error("The token realm '%s' of %s is not an absolute http(s) URL", realm, c->host);
                return -EPROTO;
        }
        if (registry_policy_check(&c->origin, &o, REGISTRY_HOP_REALM, why, sizeof(why)) < 0) {
                set_error("Refused the token realm %s of %s: %s", realm, c->host, why);
                return -EPERM;
        }
        *ret_credentials = c->user && registry_policy_realm_credentials(&c->origin, &o);
        return 0;
}

/* The token from a finished token request. */
static int token_response(RegistryClient *c, Request *q, bool sent_credentials, char **ret) {
        if (status_is_redirect(q->status)) {
                set_error("The token service %s redirected us; token requests are not redirected", q->url);
                return -EPERM;
        }
        if (q->status == 401 && c->user && !sent_credentials) {
                set_error("The token service %s refused an anonymous request; the credentials saved for %s go only "
                          "to %s itself or a token service on the same host over https (docs/security.md)", q->url,
                          c->host, c->host);
                return -EACCES;
        }
        if (q->status != 200) {
                error_from_body(q);
                return -EACCES;
        }
        return registry_token_parse(q->mem ?: "", q->mem_size, ret);
}

/* Docker token spec: GET realm?service=&scope=, with Basic credentials when the policy lets them go. */
static int client_fetch_token(RegistryClient *c, const RegistryChallenge *ch, const char *scope) {
        Request q = { .method = "GET", .mem_max = REGISTRY_SMALL_BODY_MAX, .foreign = true };
        char *token = NULL;
        bool credentials;
        CURLcode k;
        int r;

        r = realm_check(c, ch->realm, &credentials);
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
                if (k != CURLE_OK) {
                        set_error("token request %s: %s", q.url, curl_easy_strerror(k));
                        r = curl_code_to_errno(k);
                } else
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

        if (!q->www_authenticate) {
                set_error("HTTP 401 from %s without WWW-Authenticate", q->url);
                return -EACCES;
        }
        r = registry_challenge_parse(q->www_authenticate, &ch);
        if (r < 0) {
                set_error("Malformed WWW-Authenticate from %s", q->url);
                return -EPROTO;
        }
        if (strcasecmp(ch.scheme, "Bearer") == 0)
                return client_fetch_token(c, &ch, ch.scope ?: default_scope);
        if (strcasecmp(ch.scheme, "Basic") != 0) {
                set_error("Unsupported authentication scheme '%s' at %s", ch.scheme, c->host);
                return -EACCES;
        }
        if (!c->user || c->basic) {
                set_error("%s needs credentials (Basic)%s", c->host, c->user ? " and refused ours" : "");
                return -EACCES;
        }
        if (!c->origin.https && !registry_host_is_loopback(c->host)) {
                set_error("%s asks for Basic credentials over plain HTTP; refused", c->host);
                return -EPERM;
        }
        c->basic = true;
        return 0;
}

/* Perform, following redirects that the policy allows and answering one 401 from the registry with
 * authentication (not for streamed uploads, which cannot be replayed: their callers authenticate with
 * an earlier request). A 401 from a host we were redirected to is an error: it gets no credentials. */
static int request_perform(RegistryClient *c, Request *q, const char *scope) {
        bool authenticated = false;
        int r;

        for (;;) {
                r = request_perform_once(c, q);
                if (r < 0)
                        return r;
                if (q->follow && status_is_redirect(q->status)) {
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
        r = status_to_errno(q->status);
        if (r < 0)
                error_from_body(q);
        return r;
}

static int request_url(const RegistryClient *c, Request *q, const char *repository, const char *kind,
                       const char *reference) {
        return asprintf(&q->url, "%s/v2/%s%s%s%s%s", c->base, repository ?: "", repository ? "/" : "",
                        kind ?: "", reference ? "/" : "", reference ?: "") < 0 ? -ENOMEM : 0;
}

static char *pull_scope(const char *repository) {
        char *s = NULL;

        if (repository)
                (void) asprintf(&s, "repository:%s:pull", repository);
        return s;
}

/* ---- API calls --------------------------------------------------------------------------------- */

int registry_ping(RegistryClient *c) {
        Request q = { .method = "GET", .mem_max = REGISTRY_SMALL_BODY_MAX };
        int r;

        r = asprintf(&q.url, "%s/v2/", c->base) < 0 ? -ENOMEM : request_perform(c, &q, NULL);
        request_done(&q);
        return r == -ENOENT ? -EPROTO : r;
}

static int manifest_request(RegistryClient *c, Request *q, const char *repository, const char *reference) {
        _cleanup_free_ char *scope = pull_scope(repository);

        if (!repository_valid(repository) || (!tag_valid(reference) && oci_digest_parse(reference, &(OciDigest) {}) < 0))
                return -EINVAL;
        if (request_url(c, q, repository, "manifests", reference) < 0 || !scope)
                return -ENOMEM;
        return request_perform(c, q, scope);
}

int registry_get_manifest(RegistryClient *c, const char *repository, const char *reference,
                          char **ret, size_t *ret_size, char **ret_media_type, OciDigest *ret_digest) {
        Request q = { .method = "GET", .follow = true, .accept = OCI_ACCEPT_MANIFESTS, .mem_max = OCI_MANIFEST_SIZE_MAX };
        OciDigest want, got;
        int r;

        r = manifest_request(c, &q, repository, reference);
        if (r >= 0)
                r = oci_digest_buffer(q.mem ?: "", q.mem_size, &got);
        if (r >= 0 && oci_digest_parse(reference, &want) >= 0 && !oci_digest_equal(&want, &got)) {
                set_error("Manifest %s@%s has digest %s", repository, reference, got.str);
                r = -EBADMSG;
        }
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

int registry_head_manifest(RegistryClient *c, const char *repository, const char *reference,
                           char **ret_media_type, OciDigest *ret_digest, int64_t *ret_size) {
        Request q = { .method = "HEAD", .follow = true, .accept = OCI_ACCEPT_MANIFESTS };
        OciDigest d;
        int r;

        r = manifest_request(c, &q, repository, reference);
        if (r >= 0 && (!q.resp_digest || oci_digest_parse(q.resp_digest, &d) < 0))
                r = -EPROTO;
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

int registry_blob_exists(RegistryClient *c, const char *repository, const OciDigest *digest) {
        _cleanup_free_ char *scope = pull_scope(repository);
        Request q = { .method = "HEAD" };
        int r;

        if (!repository_valid(repository))
                return -EINVAL;
        r = !scope || request_url(c, &q, repository, "blobs", digest->str) < 0 ? -ENOMEM : 0;
        /* Not followed: a registry that redirects a blob to its storage has it (and a presigned
         * storage URL may answer HEAD with 403, being signed for GET). */
        if (r >= 0 && (r = request_perform(c, &q, scope)) == -EPROTO && status_is_redirect(q.status))
                r = 1;
        request_done(&q);
        return r == -ENOENT ? 0 : r < 0 ? r : 1;
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

static int blob_verify(OciHasher *h, const OciDigest *digest, int64_t expected_size) {
        OciDigest got;
        int r;

        if (expected_size >= 0 && oci_hasher_size(h) != (uint64_t) expected_size) {
                set_error("Blob %s: %llu bytes, expected %lld", digest->str,
                          (unsigned long long) oci_hasher_size(h), (long long) expected_size);
                return -EBADMSG;
        }
        r = oci_hasher_final(h, &got);
        if (r < 0)
                return r;
        if (!oci_digest_equal(&got, digest)) {
                set_error("Blob %s has digest %s", digest->str, got.str);
                return -EBADMSG;
        }
        return 0;
}

int registry_get_blob(RegistryClient *c, const char *repository, const OciDigest *digest,
                      int64_t expected_size, RegistryDataCallback cb, void *userdata) {
        _cleanup_free_ char *scope = pull_scope(repository);
        BlobSink s = { .expected_size = expected_size, .cb = cb, .userdata = userdata };
        Request q = { .method = "GET", .follow = true, .sink = blob_sink, .sink_userdata = &s };
        int r;

        if (!repository_valid(repository))
                return -EINVAL;
        r = oci_hasher_new(&s.hasher);
        if (r >= 0)
                r = !scope || request_url(c, &q, repository, "blobs", digest->str) < 0 ? -ENOMEM :
                    request_perform(c, &q, scope);
        if (r == -EBADMSG)
                set_error("Blob %s is larger than %lld bytes", digest->str, (long long) expected_size);
        if (r >= 0)
                r = blob_verify(s.hasher, digest, expected_size);
        oci_hasher_free(s.hasher);
        request_done(&q);
        return r;
}

/* ---- pull stream ------------------------------------------------------------------------------- */

struct RegistryBlobStream {
        RegistryClient *client;
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

int registry_blob_open(RegistryClient *c, const char *repository, const OciDigest *digest,
                       int64_t expected_size, RegistryBlobStream **ret) {
        RegistryBlobStream *s;
        int r;

        /* Authenticate (and learn early that the blob is missing) with a HEAD: the streamed GET below
         * is not retried. */
        r = registry_blob_exists(c, repository, digest);
        if (r == 0) {
                set_error("Blob %s not found in %s", digest->str, repository);
                return -ENOENT;
        }
        if (r < 0)
                return r;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        *s = (RegistryBlobStream) { .client = c, .digest = *digest, .expected_size = expected_size,
                                    .q = { .method = "GET", .follow = true, .sink = stream_sink, .sink_userdata = s } };
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
        if (s->result != CURLE_OK || !status_is_redirect(s->q.status))
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
        if (s->q.sink_error == -EBADMSG) {
                set_error("Blob %s is larger than %lld bytes", s->digest.str, (long long) s->expected_size);
                return -EBADMSG;
        }
        if (s->q.sink_error < 0)
                return s->q.sink_error;
        if (s->result != CURLE_OK) {
                set_error("GET %s: %s", s->q.url, curl_easy_strerror(s->result));
                return curl_code_to_errno(s->result);
        }
        if (status_to_errno(s->q.status) < 0) {
                error_from_body(&s->q);
                return status_to_errno(s->q.status);
        }
        return blob_verify(s->hasher, &s->digest, s->expected_size);
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

/* ---- push -------------------------------------------------------------------------------------- */

static char *push_scope(const char *repository) {
        char *s = NULL;

        (void) asprintf(&s, "repository:%s:pull,push", repository);
        return s;
}

/* The upload URL from a 202's Location (absolute, or relative to the registry), with digest added;
 * it must be on the registry's own origin (registry_policy). */
static int upload_url(const RegistryClient *c, const char *location, const OciDigest *digest, char **ret) {
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
        if (registry_origin_from_url(url, &o) < 0) {
                set_error("The upload location '%s' of %s is not an http(s) URL", location, c->host);
                return -EPROTO;
        }
        if (registry_policy_check(&c->origin, &o, REGISTRY_HOP_UPLOAD, why, sizeof(why)) < 0) {
                set_error("Refused the upload location %s: %s", location, why);
                return -EPERM;
        }
        *ret = TAKE_PTR(url);
        return 0;
}

int registry_push_blob(RegistryClient *c, const char *repository, const OciDigest *digest, uint64_t size,
                       RegistryReadCallback read_fn, void *userdata) {
        _cleanup_free_ char *scope = NULL;
        Request post = { .method = "POST" };
        Request put = { .method = "PUT", .content_type = "application/octet-stream", .upload_cb = read_fn,
                        .upload_userdata = userdata, .upload_size = (int64_t) size };
        int r;

        if (!repository_valid(repository))
                return -EINVAL;
        scope = push_scope(repository);
        r = !scope || request_url(c, &post, repository, "blobs/uploads/", NULL) < 0 ? -ENOMEM :
            request_perform(c, &post, scope);
        if (r >= 0 && (post.status != 202 || !post.resp_location)) {
                set_error("POST %s: HTTP %ld without an upload location", post.url, post.status);
                r = -EPROTO;
        }
        if (r >= 0)
                r = upload_url(c, post.resp_location, digest, &put.url);
        if (r >= 0)
                r = request_perform(c, &put, scope);
        request_done(&post);
        request_done(&put);
        return r;
}

int registry_put_manifest(RegistryClient *c, const char *repository, const char *reference,
                          const char *media_type, const void *buf, size_t size) {
        _cleanup_free_ char *scope = NULL;
        Request q = { .method = "PUT", .content_type = media_type, .body = buf, .body_size = size };
        int r;

        if (!repository_valid(repository) || (!tag_valid(reference) && oci_digest_parse(reference, &(OciDigest) {}) < 0))
                return -EINVAL;
        scope = push_scope(repository);
        r = !scope || request_url(c, &q, repository, "manifests", reference) < 0 ? -ENOMEM :
            request_perform(c, &q, scope);
        request_done(&q);
        return r;
}
