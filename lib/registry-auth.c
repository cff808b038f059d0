/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What authentication reads: WWW-Authenticate challenges (RFC 7235 auth-params), docker config.json
 * credentials, token responses (Docker's token spec, docs/spec/auth/token.md in distribution). Pure. */
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "json-util.h"
#include "registry-internal.h"

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

