/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where a registry may send the client (redirects, token realms, upload locations) and where the
 * credentials may go: each rule of lib/registry-policy, row by row. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "registry-policy.h"

static RegistryOrigin origin(const char *url) {
        RegistryOrigin o;

        assert_int_equal(registry_origin_from_url(url, &o), 0);
        return o;
}

static void test_origin_parse(void **state) {
        RegistryOrigin o;

        o = origin("https://Registry.Example:5000/v2/x");
        assert_true(o.https);
        assert_string_equal(o.host, "registry.example");
        assert_int_equal(o.port, 5000);
        o = origin("http://[::1]/token");
        assert_false(o.https);
        assert_string_equal(o.host, "::1");
        assert_int_equal(o.port, 80);
        assert_int_equal(origin("https://auth.docker.io/token?service=x").port, 443);
        assert_int_equal(registry_origin_from_url("ftp://x/", &o), -EINVAL);
        assert_int_equal(registry_origin_from_url("file:///etc/passwd", &o), -EINVAL);
        assert_int_equal(registry_origin_from_url("/relative/path", &o), -EINVAL);
        assert_int_equal(registry_origin_from_url("https://user:secret@evil.example/", &o), -EINVAL);
        assert_true(registry_origin_equal(&(RegistryOrigin) { true, "a", 443 }, &(RegistryOrigin) { true, "a", 443 }));
        assert_false(registry_origin_equal(&(RegistryOrigin) { true, "a", 443 }, &(RegistryOrigin) { false, "a", 443 }));
        assert_false(registry_origin_equal(&(RegistryOrigin) { true, "a", 443 }, &(RegistryOrigin) { true, "a", 444 }));
}

static void test_hosts(void **state) {
        static const struct {
                const char *host;
                bool loopback, internal;
        } rows[] = {
                { "localhost", true, true },       { "127.0.0.1:5000", true, true },  { "127.8.9.10", true, true },
                { "[::1]:5000", true, true },      { "::1", true, true },              { "10.1.2.3", false, true },
                { "172.16.0.1", false, true },     { "172.32.0.1", false, false },     { "192.168.1.1", false, true },
                { "169.254.169.254", false, true },{ "100.64.0.1", false, true },      { "0.0.0.0", false, true },
                { "fe80::1", false, true },        { "fd00::1", false, true },         { "::ffff:10.0.0.1", false, true },
                { "::", false, true },             { "203.0.113.5", false, false },    { "2001:db8::1", false, false },
                { "registry.example", false, false }, { "auth.docker.io", false, false },
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                assert_int_equal(registry_host_is_loopback(rows[i].host), rows[i].loopback);
                assert_int_equal(registry_host_is_internal(rows[i].host), rows[i].internal);
        }
}

static void test_policy(void **state) {
        static const struct {
                const char *registry, *target;
                RegistryHop hop;
                int want;
                const char *why;
        } rows[] = {
                /* https anywhere public */
                { "https://registry.example", "https://cdn.example/blob", REGISTRY_HOP_REDIRECT, 0, NULL },
                { "https://registry-1.docker.io", "https://auth.docker.io/token", REGISTRY_HOP_REALM, 0, NULL },
                /* no downgrade to http */
                { "https://registry.example", "http://cdn.example/blob", REGISTRY_HOP_REDIRECT, -EPERM, "plain HTTP" },
                { "https://registry.example", "http://registry.example/token", REGISTRY_HOP_REALM, -EPERM, "plain HTTP" },
                /* --insecure: plain http to loopback only */
                { "http://127.0.0.1:5000", "http://127.0.0.1:6000/x", REGISTRY_HOP_REDIRECT, 0, NULL },
                { "http://127.0.0.1:5000", "http://127.0.0.2:6000/x", REGISTRY_HOP_REDIRECT, 0, NULL },
                { "http://127.0.0.1:5000", "http://203.0.113.9/x", REGISTRY_HOP_REDIRECT, -EPERM, "plain HTTP" },
                { "http://127.0.0.1:5000", "http://evil.example/token", REGISTRY_HOP_REALM, -EPERM, "plain HTTP" },
                { "http://127.0.0.1:5000", "https://203.0.113.9/x", REGISTRY_HOP_REDIRECT, 0, NULL },
                /* a public registry cannot aim us at internal addresses */
                { "https://registry.example", "https://169.254.169.254/latest/", REGISTRY_HOP_REDIRECT, -EPERM, "internal" },
                { "https://registry.example", "https://10.0.0.1/token", REGISTRY_HOP_REALM, -EPERM, "internal" },
                { "https://registry.example", "https://[::1]/token", REGISTRY_HOP_REALM, -EPERM, "internal" },
                { "https://10.0.0.5:5000", "https://10.0.0.6/blob", REGISTRY_HOP_REDIRECT, 0, NULL },
                /* uploads stay on the registry's origin */
                { "https://registry.example", "https://registry.example/v2/x/blobs/uploads/1", REGISTRY_HOP_UPLOAD, 0, NULL },
                { "https://registry.example", "https://storage.example/up", REGISTRY_HOP_UPLOAD, -EPERM, "not on the registry" },
                { "https://registry.example", "https://registry.example:8443/up", REGISTRY_HOP_UPLOAD, -EPERM, NULL },
        };
        char why[256];

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                RegistryOrigin reg = origin(rows[i].registry), target = origin(rows[i].target);
                int r = registry_policy_check(&reg, &target, rows[i].hop, why, sizeof(why));

                if (r != rows[i].want)
                        fail_msg("row %zu: %s -> %s: %d, want %d (%s)", i, rows[i].registry, rows[i].target, r,
                                 rows[i].want, why);
                if (rows[i].why)
                        assert_non_null(strstr(why, rows[i].why));
        }
}

static void test_realm_credentials(void **state) {
        static const struct {
                const char *registry, *realm;
                bool send;
        } rows[] = {
                { "https://ghcr.io", "https://ghcr.io/token", true },
                { "https://quay.io", "https://quay.io/v2/auth", true },
                { "https://registry-1.docker.io", "https://auth.docker.io/token", true },
                { "https://registry.example", "https://auth.docker.io/token", false },
                { "https://registry.example", "https://auth.registry.example/token", false },
                { "https://registry.example", "https://evil.example/token", false },
                { "http://127.0.0.1:5000", "http://127.0.0.1:5001/token", true },
                { "http://127.0.0.1:5000", "http://127.0.0.2:5000/token", false },
                { "http://127.0.0.1:5000", "https://evil.example/token", false },
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                RegistryOrigin reg = origin(rows[i].registry), realm = origin(rows[i].realm);
                if (registry_policy_realm_credentials(&reg, &realm) != rows[i].send)
                        fail_msg("row %zu: %s -> %s", i, rows[i].registry, rows[i].realm);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_origin_parse),
                cmocka_unit_test(test_hosts),
                cmocka_unit_test(test_policy),
                cmocka_unit_test(test_realm_credentials),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
