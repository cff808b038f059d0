/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The registry client's pure parts: references, WWW-Authenticate challenges, docker config.json
 * credentials, token responses; and the loopback rule for --insecure. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "registry.h"

#define HEX "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void check_ref(const char *s, const char *host, const char *repo, const char *tag, const char *digest) {
        RegistryRef r;

        assert_int_equal(registry_ref_parse(s, &r), 0);
        assert_string_equal(r.host, host);
        assert_string_equal(r.repository, repo);
        if (tag)
                assert_string_equal(r.tag, tag);
        else
                assert_null(r.tag);
        assert_string_equal(r.digest.str, digest ?: "");
        registry_ref_done(&r);
}

static void test_refs(void **state) {
        RegistryRef r;

        check_ref("127.0.0.1:5000/test/img:v1", "127.0.0.1:5000", "test/img", "v1", NULL);
        check_ref("docker://127.0.0.1:5000/img", "127.0.0.1:5000", "img", "latest", NULL);
        check_ref("localhost/a/b/c:x_1.2-3", "localhost", "a/b/c", "x_1.2-3", NULL);
        check_ref("debian:12", REGISTRY_DOCKER_HUB, "library/debian", "12", NULL);
        check_ref("docker.io/user/app", REGISTRY_DOCKER_HUB, "user/app", "latest", NULL);
        check_ref("quay.io/x/y@sha256:" HEX, "quay.io", "x/y", NULL, "sha256:" HEX);
        check_ref("quay.io/x/y:t@sha256:" HEX, "quay.io", "x/y", "t", "sha256:" HEX);
        assert_int_equal(registry_ref_parse("", &r), -EINVAL);
        assert_int_equal(registry_ref_parse("quay.io/Upper/case", &r), -EINVAL);
        assert_int_equal(registry_ref_parse("quay.io/x/y:bad tag", &r), -EINVAL);
        assert_int_equal(registry_ref_parse("quay.io/x//y", &r), -EINVAL);
        assert_int_equal(registry_ref_parse("quay.io/x/y@sha256:12", &r), -EINVAL);
        assert_int_equal(registry_ref_parse("quay.io/x/y@sha512:12ab", &r), -EOPNOTSUPP);
}

static void test_challenge(void **state) {
        RegistryChallenge c;

        assert_int_equal(registry_challenge_parse(
                "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                "scope=\"repository:library/debian:pull\"", &c), 0);
        assert_string_equal(c.scheme, "Bearer");
        assert_string_equal(c.realm, "https://auth.docker.io/token");
        assert_string_equal(c.service, "registry.docker.io");
        assert_string_equal(c.scope, "repository:library/debian:pull");
        registry_challenge_done(&c);

        assert_int_equal(registry_challenge_parse("Basic realm=\"a \\\"quoted\\\" realm\"", &c), 0);
        assert_string_equal(c.scheme, "Basic");
        assert_string_equal(c.realm, "a \"quoted\" realm");
        assert_null(c.service);
        registry_challenge_done(&c);

        assert_int_equal(registry_challenge_parse("Bearer service=\"x\"", &c), -EBADMSG); /* no realm */
        assert_int_equal(registry_challenge_parse("Bearer realm=\"unterminated", &c), -EBADMSG);
        assert_int_equal(registry_challenge_parse("", &c), -EBADMSG);
}

static void test_auth_config(void **state) {
        /* "tester:s3:cret" base64; a password may contain ':' */
        static const char cfg[] =
                "{\"auths\":{\"127.0.0.1:5000\":{\"auth\":\"dGVzdGVyOnMzOmNyZXQ=\"},"
                "\"https://quay.io\":{\"username\":\"u\",\"password\":\"p\"},"
                "\"https://index.docker.io/v1/\":{\"auth\":\"aHViOmh1Yg==\"},"
                "\"bad.example\":{\"auth\":\"!!!\"}}}";
        char *u, *p;

        assert_int_equal(registry_auth_from_config(cfg, strlen(cfg), "127.0.0.1:5000", &u, &p), 0);
        assert_string_equal(u, "tester");
        assert_string_equal(p, "s3:cret");
        free(u), free(p);
        assert_int_equal(registry_auth_from_config(cfg, strlen(cfg), "quay.io", &u, &p), 0);
        assert_string_equal(u, "u");
        free(u), free(p);
        assert_int_equal(registry_auth_from_config(cfg, strlen(cfg), REGISTRY_DOCKER_HUB, &u, &p), 0);
        assert_string_equal(u, "hub");
        free(u), free(p);
        assert_int_equal(registry_auth_from_config(cfg, strlen(cfg), "other.example", &u, &p), -ENOENT);
        assert_int_equal(registry_auth_from_config(cfg, strlen(cfg), "bad.example", &u, &p), -EBADMSG);
        assert_int_equal(registry_auth_from_config("{", 1, "x", &u, &p), -EBADMSG);
        assert_int_equal(registry_auth_from_config("{}", 2, "x", &u, &p), -ENOENT);
}

static void test_token(void **state) {
        char *t;

        assert_int_equal(registry_token_parse("{\"token\":\"abc\",\"expires_in\":300}", 32, &t), 0);
        assert_string_equal(t, "abc");
        free(t);
        assert_int_equal(registry_token_parse("{\"access_token\":\"xyz\"}", 22, &t), 0);
        assert_string_equal(t, "xyz");
        free(t);
        assert_int_equal(registry_token_parse("{\"token\":3}", 11, &t), -EBADMSG);
        assert_int_equal(registry_token_parse("nope", 4, &t), -EBADMSG);
}

static void test_insecure_loopback_only(void **state) {
        RegistryOptions o = { .insecure = true, .auth_file = "/dev/null" };
        RegistryClient *c = NULL;
        ErrorDetail err = {};

        assert_int_equal(registry_client_new("127.0.0.1:5000", &o, &c, NULL), 0);
        registry_client_free(c);
        assert_int_equal(registry_client_new("localhost:5000", &o, &c, NULL), 0);
        registry_client_free(c);
        assert_int_equal(registry_client_new("[::1]:5000", &o, &c, NULL), 0);
        registry_client_free(c);
        assert_int_equal(registry_client_new("registry.example.org", &o, &c, &err), -EPERM);
        assert_non_null(strstr(err.message, "loopback"));
        assert_int_equal(registry_client_new("10.0.0.1:5000", &o, &c, NULL), -EPERM);
}

/* A malformed auth file is named in the error. */
static void test_auth_file_errors(void **state) {
        char path[] = "/tmp/archway-test-auth-XXXXXX";
        RegistryOptions o = { .auth_file = path };
        RegistryClient *c = NULL;
        ErrorDetail err = {};
        int fd = mkstemp(path);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, "{\"auths\": [", 11), 11);
        close(fd);
        assert_int_equal(registry_client_new("registry.example.org", &o, &c, &err), -EBADMSG);
        assert_non_null(strstr(err.message, path));
        unlink(path);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_refs),
                cmocka_unit_test(test_challenge),
                cmocka_unit_test(test_auth_config),
                cmocka_unit_test(test_token),
                cmocka_unit_test(test_insecure_loopback_only),
                cmocka_unit_test(test_auth_file_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
