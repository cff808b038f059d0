/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Image references as `docker://` names them (distribution-spec v1.1 for names and tags; docker's
 * reference parsing for the host rule). Pure. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "registry-internal.h"

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
bool registry_repository_valid(const char *s) {
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

bool registry_tag_valid(const char *s) {
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
                if (!registry_tag_valid(colon + 1))
                        return -EINVAL;
                r->tag = strdup(colon + 1);
                name[colon - name] = 0;
        } else if (!at)
                r->tag = strdup("latest");
        if (!at && !r->tag)
                return -ENOMEM;
        if (!registry_repository_valid(name))
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

