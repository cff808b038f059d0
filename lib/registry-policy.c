/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "registry-policy.h"

/* Realms on another host that a registry is documented to use, so that credentials saved for the
 * registry may go there: Docker Hub (docs.docker.com/reference/api/registry/auth: registry-1.docker.io
 * answers 401 with realm="https://auth.docker.io/token"). One row per registry. */
static const struct {
        const char *registry;
        const char *realm;
} known_realms[] = {
        { "registry-1.docker.io", "auth.docker.io" },
        { "index.docker.io",      "auth.docker.io" },
};

static int url_part(CURLU *u, CURLUPart part, unsigned flags, char *buf, size_t size) {
        char *v = NULL;
        CURLUcode k = curl_url_get(u, part, &v, flags);
        int r = 0;

        if (k != CURLUE_OK)
                return -EINVAL;
        if (strlen(v) >= size)
                r = -EINVAL;
        else
                strcpy(buf, v);
        curl_free(v);
        return r;
}

int registry_origin_from_url(const char *url, RegistryOrigin *ret) {
        RegistryOrigin o = {};
        char scheme[8], port[8], *end;
        unsigned long p;
        CURLU *u;
        int r;

        u = curl_url();
        if (!u)
                return -ENOMEM;
        r = curl_url_set(u, CURLUPART_URL, url, CURLU_DISALLOW_USER) == CURLUE_OK ? 0 : -EINVAL;
        if (r >= 0)
                r = url_part(u, CURLUPART_SCHEME, 0, scheme, sizeof(scheme));
        if (r >= 0)
                r = url_part(u, CURLUPART_HOST, 0, o.host, sizeof(o.host));
        if (r >= 0)
                r = url_part(u, CURLUPART_PORT, CURLU_DEFAULT_PORT, port, sizeof(port));
        curl_url_cleanup(u);
        if (r < 0)
                return r;
        if (!streq(scheme, "https") && !streq(scheme, "http"))
                return -EINVAL;
        o.https = streq(scheme, "https");
        errno = 0;
        p = strtoul(port, &end, 10);
        if (errno || *end || p == 0 || p > 65535)
                return -EINVAL;
        o.port = (unsigned) p;
        /* curl keeps IPv6 literals in brackets; compare them without. */
        if (o.host[0] == '[') {
                size_t n = strlen(o.host);
                if (n < 3 || o.host[n - 1] != ']')
                        return -EINVAL;
                memmove(o.host, o.host + 1, n - 2);
                o.host[n - 2] = 0;
        }
        for (char *c = o.host; *c; c++)
                *c = (char) tolower((unsigned char) *c);
        *ret = o;
        return 0;
}

bool registry_origin_equal(const RegistryOrigin *a, const RegistryOrigin *b) {
        return a->https == b->https && a->port == b->port && streq(a->host, b->host);
}

/* The host part of "host", "host:port", "[v6]:port" or "v6", without brackets. */
static void host_only(const char *host, char *buf, size_t size) {
        const char *end;

        if (host[0] == '[' && (end = strchr(host, ']')))
                snprintf(buf, size, "%.*s", (int) (end - host - 1), host + 1);
        else if (strchr(host, ':') && strchr(host, ':') == strrchr(host, ':'))
                snprintf(buf, size, "%.*s", (int) strcspn(host, ":"), host);
        else
                snprintf(buf, size, "%s", host);
}

bool registry_host_is_loopback(const char *host) {
        struct in6_addr a6;
        struct in_addr a4;
        char name[256];

        host_only(host, name, sizeof(name));
        if (strcasecmp(name, "localhost") == 0)
                return true;
        if (inet_pton(AF_INET, name, &a4) == 1)
                return (ntohl(a4.s_addr) >> 24) == 127;
        return inet_pton(AF_INET6, name, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

static bool ipv4_internal(uint32_t a) {
        static const struct {
                uint32_t net, mask;
        } ranges[] = {
                /* RFC 1122 "this network", RFC 1918 private, RFC 6598 shared, loopback, link-local */
                { 0x00000000, 0xff000000 }, { 0x0a000000, 0xff000000 }, { 0x64400000, 0xffc00000 },
                { 0x7f000000, 0xff000000 }, { 0xa9fe0000, 0xffff0000 }, { 0xac100000, 0xfff00000 },
                { 0xc0a80000, 0xffff0000 },
        };

        for (size_t i = 0; i < ELEMENTSOF(ranges); i++)
                if ((a & ranges[i].mask) == ranges[i].net)
                        return true;
        return false;
}

bool registry_host_is_internal(const char *host) {
        struct in6_addr a6;
        struct in_addr a4;
        char name[256];

        host_only(host, name, sizeof(name));
        if (registry_host_is_loopback(name))
                return true;
        if (inet_pton(AF_INET, name, &a4) == 1)
                return ipv4_internal(ntohl(a4.s_addr));
        if (inet_pton(AF_INET6, name, &a6) != 1)
                return false;
        if (IN6_IS_ADDR_V4MAPPED(&a6)) {
                uint32_t v4;
                memcpy(&v4, &a6.s6_addr[12], 4);
                return ipv4_internal(ntohl(v4));
        }
        return IN6_IS_ADDR_UNSPECIFIED(&a6) || IN6_IS_ADDR_LINKLOCAL(&a6) || (a6.s6_addr[0] & 0xfe) == 0xfc;
}

static const char *const hop_names[_REGISTRY_HOP_MAX] = {
        [REGISTRY_HOP_REDIRECT] = "a redirect",
        [REGISTRY_HOP_REALM]    = "the token realm",
        [REGISTRY_HOP_UPLOAD]   = "the upload location",
};

_printf_(3, 4) static int refuse(char *why, size_t size, const char *format, ...) {
        va_list ap;

        if (why && size > 0) {
                va_start(ap, format);
                vsnprintf(why, size, format, ap);
                va_end(ap);
        }
        return -EPERM;
}

int registry_policy_check(const RegistryOrigin *reg, const RegistryOrigin *target, RegistryHop hop, char *why,
                          size_t why_size) {
        if (hop < 0 || hop >= _REGISTRY_HOP_MAX)
                return -EINVAL;
        if (why && why_size > 0)
                why[0] = 0;
        if (hop == REGISTRY_HOP_UPLOAD && !registry_origin_equal(reg, target))
                return refuse(why, why_size, "%s is on %s://%s:%u, not on the registry %s", hop_names[hop],
                              target->https ? "https" : "http", target->host, target->port, reg->host);
        if (!target->https && (reg->https || !registry_host_is_loopback(target->host)))
                return refuse(why, why_size,
                              "%s is plain HTTP to %s: plain HTTP is allowed only to a loopback host, under --insecure",
                              hop_names[hop], target->host);
        if (registry_host_is_internal(target->host) && !registry_host_is_internal(reg->host))
                return refuse(why, why_size, "%s points to the internal address %s, and the registry %s is not internal",
                              hop_names[hop], target->host, reg->host);
        return 0;
}

bool registry_policy_realm_credentials(const RegistryOrigin *reg, const RegistryOrigin *realm) {
        if (!realm->https && !(registry_host_is_loopback(realm->host) && registry_host_is_loopback(reg->host)))
                return false;
        if (streq(reg->host, realm->host))
                return true;
        for (size_t i = 0; i < ELEMENTSOF(known_realms); i++)
                if (streq(reg->host, known_realms[i].registry) && streq(realm->host, known_realms[i].realm))
                        return realm->https;
        return false;
}
