/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where a registry may send the client, and where the user's credentials may go. Pure: URLs in,
 * verdicts out; lib/registry asks before every connection it did not choose itself (a redirect, a
 * token realm, an upload location). docs/security.md states the policy; in short:
 *
 *   - https anywhere; plain http only when the registry itself is reached over plain http (--insecure,
 *     which lib/registry allows only for a loopback registry) and only to a loopback host;
 *   - a registry on a public address cannot send us to a loopback, private, link-local or unspecified
 *     address given as an IP literal (the cloud metadata service, the build host's own services);
 *   - credentials (Basic, and the bearer token they buy) go only to the registry's own origin; Basic
 *     credentials go to a token realm only on the registry's own host, over https (or loopback http
 *     under --insecure), or to the one realm a well-known registry is documented to use (Docker Hub's
 *     auth.docker.io); any other realm gets an anonymous token request;
 *   - an upload location must be the registry's own origin.
 *
 * This is stricter than docker and containers/image (which send credentials to any realm and follow
 * redirects with Go's rules) and close to oras-go 2.6.1 and go-containerregistry 0.21, which refuse
 * http realms for https registries and internal addresses. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

/* The origin of a URL (RFC 6454): scheme, host, port. */
typedef struct RegistryOrigin {
        bool https;
        char host[256];  /* lowercase; an IPv6 literal without brackets */
        unsigned port;   /* the scheme's default filled in */
} RegistryOrigin;

/* Parse an absolute http or https URL. Refuses (-EINVAL) other schemes, relative URLs, user
 * information ("https://user:pass@host/"), and hosts longer than 255 bytes. */
int registry_origin_from_url(const char *url, RegistryOrigin *ret);
bool registry_origin_equal(const RegistryOrigin *a, const RegistryOrigin *b);

/* "localhost", 127.0.0.0/8, ::1 (a host as written in a reference or URL, with or without a port or
 * brackets). */
bool registry_host_is_loopback(const char *host);
/* An IP literal in a loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local
 * (169.254/16, fe80::/10), carrier-grade NAT (100.64/10) or unspecified range. Names are not resolved. */
bool registry_host_is_internal(const char *host);

typedef enum RegistryHop {
        REGISTRY_HOP_REDIRECT, /* a 3xx Location while fetching */
        REGISTRY_HOP_REALM,    /* the token service a 401 names */
        REGISTRY_HOP_UPLOAD,   /* the Location of a blob upload session */
        _REGISTRY_HOP_MAX,
        _REGISTRY_HOP_INVALID = -EINVAL,
} RegistryHop;

/* May the client connect to target, sent there by the registry at reg? Returns 0, or -EPERM with a
 * reason written to why (always terminated; why may be NULL). */
int registry_policy_check(const RegistryOrigin *reg, const RegistryOrigin *target, RegistryHop hop, char *why,
                          size_t why_size);

/* May the Basic credentials saved for reg go to the token realm at realm (already allowed by
 * registry_policy_check())? */
bool registry_policy_realm_credentials(const RegistryOrigin *reg, const RegistryOrigin *realm);
