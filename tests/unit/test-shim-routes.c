/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/routes.c and lib/sha256.c, the shim's pure data path: routes.conf parsing and its errors,
 * compiling into an index, lookup by build-id, path and glob, each condition that vetoes a rule,
 * first-rule-wins order, corrupt indexes, globs, path normalisation, and SHA-256 against FIPS 180-4's
 * examples. All in memory. */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "routes.h"
#include "sha256.h"

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif

#define BUILD_ID "0123456789abcdef0123456789abcdef01234567"

static const uint8_t build_id[20] = {
        0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23,
        0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67,
};

/* Aligned scratch for compiled indexes. */
static uint64_t index_buf[64 * 1024];

static size_t compile(const char *text) {
        RoutesError e = {};
        size_t size = 0;
        int r = routes_compile(text, strlen(text), 11, 22, index_buf, sizeof(index_buf), &size, &e);

        if (r < 0)
                fail_msg("compile failed: %d at line %u: %s", r, e.line, e.message ?: "-");
        assert_int_equal(routes_index_check(index_buf, size), 0);
        return size;
}

static void check_error(const char *text, unsigned line, const char *substring) {
        RoutesError e = {};
        size_t size;
        int r = routes_compile(text, strlen(text), 0, 0, index_buf, sizeof(index_buf), &size, &e);

        assert_int_equal(r, -EINVAL);
        assert_int_equal(e.line, line);
        if (!strstr(e.message, substring))
                fail_msg("error '%s' does not mention '%s'", e.message, substring);
}

static RoutesQuery arm64_query(const char *path, char **args, size_t n_args, char **envp) {
        return (RoutesQuery) {
                .machine = EM_AARCH64,
                .elf_class = ELFCLASS64,
                .elf_data = ELFDATA2LSB,
                .path = path,
                .build_id = build_id,
                .build_id_size = sizeof(build_id),
                .args = args,
                .n_args = n_args,
                .envp = envp,
        };
}

static const char gcc_rules[] =
        "# native twins\n"
        "[route]\n"
        "platform = linux/arm64\n"
        "build-id = " BUILD_ID "\n"
        "exec = /.archway/native/bin/aarch64-linux-gnu-gcc-12\n"
        "arg = --sysroot=/\n"
        "arg =\n"
        "append-arg = -v\n"
        "unless-arg = -march=native\n"
        "unless-arg = -fplugin*\n"
        "unless-env = GCC_EXEC_PREFIX\n"
        "unless-env = LIBRARY_PATH=*/usr/local/*\n"
        "unless-env-dir = LPATH\n"
        "\n"
        "[route]\n"
        "platform = arm64\n"
        "path = /usr/bin/as\n"
        "exec = /.archway/native/bin/as\n"
        "argv0 = as\n"
        "[route]\n"
        "platform = linux/arm64\n"
        "path = /usr/lib/gcc/*/12/cc1\n"
        "exec = /.archway/native/cc1\n";

static void test_lookup_build_id(void **state) {
        char *args[] = { (char *) "-c", (char *) "x.c" };
        char *envp[] = { (char *) "PATH=/usr/bin", NULL };
        RoutesQuery q = arm64_query("/usr/bin/gcc", args, 2, envp);
        size_t size = compile(gcc_rules);
        RouteMatch m;

        assert_int_equal(routes_index_count(index_buf), 3);
        assert_int_equal(routes_lookup(index_buf, size, &q, &m, NULL), 1);
        assert_string_equal(m.exec, "/.archway/native/bin/aarch64-linux-gnu-gcc-12");
        assert_string_equal(m.argv0, m.exec); /* no argv0= */
        assert_int_equal(m.line, 2);
        assert_int_equal(m.n_args, 2);
        assert_string_equal(routes_match_arg(&m, 0), "--sysroot=/");
        assert_string_equal(routes_match_arg(&m, 1), ""); /* an empty argument stays one */
        assert_null(routes_match_arg(&m, 2));
        assert_int_equal(m.n_post_args, 1);
        assert_string_equal(routes_match_post_arg(&m, 0), "-v");

        /* The same build-id under any path: the key is the identity, not the name. */
        q.path = "/somewhere/else/cc";
        assert_int_equal(routes_lookup(index_buf, size, &q, &m, NULL), 1);
        assert_int_equal(m.line, 2);
}

/* unless-env-dir: only an entry that names an existing directory vetoes; "" is the cwd. */
static bool fake_is_dir(const char *path) {
        return streq(path, "/usr/lib/extra") || streq(path, ".");
}

static void test_lookup_env_dir(void **state) {
        char *plain[] = { (char *) "x.c" };
        char *missing[] = { (char *) "LPATH=/usr/local/cuda/lib64/stubs:/nonexistent", NULL };
        char *existing[] = { (char *) "LPATH=/nonexistent:/usr/lib/extra", NULL };
        char *empty_entry[] = { (char *) "LPATH=/nonexistent::/other", NULL };
        char *empty[] = { (char *) "LPATH=", NULL };
        size_t size = compile(gcc_rules);
        RoutesQuery q;
        RouteMatch m;
        RouteMiss miss;

        q = arm64_query("/usr/bin/gcc", plain, 1, missing);
        q.is_dir = fake_is_dir;
        assert_int_equal(routes_lookup(index_buf, size, &q, &m, &miss), 1);
        q.envp = existing;
        assert_int_equal(routes_lookup(index_buf, size, &q, &m, &miss), 0);
        assert_string_equal(miss.why, "unless-env-dir");
        assert_string_equal(miss.what, "LPATH");
        q.envp = empty_entry;
        assert_int_equal(routes_lookup(index_buf, size, &q, &m, &miss), 0);
        q.envp = empty; /* one empty entry: the cwd, as gcc reads it */
        assert_int_equal(routes_lookup(index_buf, size, &q, &m, &miss), 0);
        /* Without a way to look, every entry counts as a directory: the safe side. */
        q.is_dir = NULL;
        q.envp = missing;
        assert_int_equal(routes_lookup(index_buf, size, &q, &m, &miss), 0);
}

static void test_keep_argv0(void **state) {
        static const char rules[] = "[route]\nplatform = arm64\npath = /bin/sed\nexec = /n/sed\nkeep-argv0 = yes\n"
                                    "[route]\nplatform = arm64\npath = /bin/grep\nexec = /n/grep\n";
        char *plain[] = { (char *) "x" };
        size_t size = compile(rules);
        RoutesQuery q = arm64_query("/bin/sed", plain, 1, NULL);
        RouteMatch m;

        q.build_id_size = 0;
        assert_int_equal(routes_lookup(index_buf, size, &q, &m, NULL), 1);
        assert_true(m.keep_argv0);
        q.path = "/bin/grep";
        assert_int_equal(routes_lookup(index_buf, size, &q, &m, NULL), 1);
        assert_false(m.keep_argv0);
        assert_string_equal(m.argv0, "/n/grep");
}

static void test_lookup_conditions(void **state) {
        char *native[] = { (char *) "-c", (char *) "-march=native", (char *) "x.c" };
        char *plugin[] = { (char *) "-fplugin=foo.so" };
        char *plain[] = { (char *) "x.c" };
        char *env_prefix[] = { (char *) "GCC_EXEC_PREFIX=/opt/", NULL };
        char *env_lib_local[] = { (char *) "LIBRARY_PATH=/usr/local/lib", NULL };
        char *env_lib_other[] = { (char *) "LIBRARY_PATH=/opt/lib", NULL };
        size_t size = compile(gcc_rules);
        RoutesQuery q;
        RouteMatch m;
        RouteMiss miss;

        q = arm64_query("/usr/bin/gcc", native, 3, NULL);
        assert_int_equal(routes_lookup(index_buf, size, &q, &m, &miss), 0);
        assert_int_equal(miss.line, 2);
        assert_string_equal(miss.why, "unless-arg");
        assert_string_equal(miss.what, "-march=native");

        q = arm64_query("/usr/bin/gcc", plugin, 1, NULL);
        assert_int_equal(routes_lookup(index_buf, size, &q, &m, &miss), 0);
        assert_string_equal(miss.why, "unless-arg");

        q = arm64_query("/usr/bin/gcc", plain, 1, env_prefix);
        assert_int_equal(routes_lookup(index_buf, size, &q, &m, &miss), 0);
        assert_string_equal(miss.why, "unless-env");
        assert_string_equal(miss.what, "GCC_EXEC_PREFIX");

        /* NAME=GLOB vetoes only when the value matches. */
        q = arm64_query("/usr/bin/gcc", plain, 1, env_lib_local);
        assert_int_equal(routes_lookup(index_buf, size, &q, &m, &miss), 0);
        q = arm64_query("/usr/bin/gcc", plain, 1, env_lib_other);
        assert_int_equal(routes_lookup(index_buf, size, &q, &m, &miss), 1);
}

static void test_lookup_path_and_glob(void **state) {
        size_t size = compile(gcc_rules);
        RoutesQuery q = arm64_query("/usr/bin/as", NULL, 0, NULL);
        RouteMatch m;

        q.build_id_size = 0;
        assert_int_equal(routes_lookup(index_buf, size, &q, &m, NULL), 1);
        assert_string_equal(m.exec, "/.archway/native/bin/as");
        assert_string_equal(m.argv0, "as");

        q.path = "/usr/lib/gcc/aarch64-linux-gnu/12/cc1";
        assert_int_equal(routes_lookup(index_buf, size, &q, &m, NULL), 1);
        assert_string_equal(m.exec, "/.archway/native/cc1");

        /* '*' does not cross '/' in a path glob. */
        q.path = "/usr/lib/gcc/a/b/12/cc1";
        assert_int_equal(routes_lookup(index_buf, size, &q, &m, NULL), 0);
        q.path = "/usr/bin/as2";
        assert_int_equal(routes_lookup(index_buf, size, &q, &m, NULL), 0);
        q.path = NULL;
        assert_int_equal(routes_lookup(index_buf, size, &q, &m, NULL), 0);
}

static void test_lookup_platform(void **state) {
        size_t size = compile(gcc_rules);
        RoutesQuery q = arm64_query("/usr/bin/as", NULL, 0, NULL);
        RouteMatch m;

        q.machine = EM_RISCV;
        assert_int_equal(routes_lookup(index_buf, size, &q, &m, NULL), 0);
        q.machine = EM_AARCH64;
        q.elf_data = ELFDATA2MSB; /* aarch64_be is not linux/arm64 */
        assert_int_equal(routes_lookup(index_buf, size, &q, &m, NULL), 0);
}

static void test_first_rule_wins(void **state) {
        /* A glob rule earlier in the file beats a hashed rule later, and vice versa. */
        const char *text =
                "[route]\nplatform=arm64\npath=/usr/bin/*\nexec=/first\n"
                "[route]\nplatform=arm64\npath=/usr/bin/ld\nexec=/second\n"
                "[route]\nplatform=arm64\nbuild-id=" BUILD_ID "\nexec=/third\n";
        RoutesQuery q = arm64_query("/usr/bin/ld", NULL, 0, NULL);
        size_t size = compile(text);
        RouteMatch m;

        assert_int_equal(routes_lookup(index_buf, size, &q, &m, NULL), 1);
        assert_string_equal(m.exec, "/first");
        assert_int_equal(m.rule, 0);
        q.path = "/opt/ld";
        assert_int_equal(routes_lookup(index_buf, size, &q, &m, NULL), 1);
        assert_string_equal(m.exec, "/third");
}

static int fake_sha(void *userdata, uint8_t ret[static SHA256_DIGEST_SIZE]) {
        (*(int *) userdata)++;
        memset(ret, 0xab, SHA256_DIGEST_SIZE);
        return 0;
}

static void test_sha256_rule(void **state) {
        char hex[2 * SHA256_DIGEST_SIZE + 1], text[512];
        RoutesQuery q = arm64_query("/usr/bin/ld", NULL, 0, NULL);
        RouteMatch m;
        int calls = 0;
        size_t size;

        for (unsigned i = 0; i < SHA256_DIGEST_SIZE; i++)
                memcpy(hex + 2 * i, "ab", 2);
        hex[sizeof(hex) - 1] = 0;
        snprintf(text, sizeof(text), "[route]\nplatform=arm64\npath=/usr/bin/ld\nsha256=%s\nexec=/x\n", hex);
        size = compile(text);
        q.build_id_size = 0;
        /* No hash function: the rule cannot be verified and does not apply. */
        assert_int_equal(routes_lookup(index_buf, size, &q, &m, NULL), 0);
        q.sha256 = fake_sha;
        q.userdata = &calls;
        assert_int_equal(routes_lookup(index_buf, size, &q, &m, NULL), 1);
        assert_int_equal(calls, 1);
        /* Not hashed when the path already differs. */
        q.path = "/usr/bin/gold";
        assert_int_equal(routes_lookup(index_buf, size, &q, &m, NULL), 0);
        assert_int_equal(calls, 1);
}

static void test_parse_errors(void **state) {
        check_error("platform = arm64\n", 1, "outside");
        check_error("[routes]\n", 1, "unknown section");
        check_error("[route]\nplatform = arm64\nexec = /x\n", 1, "path= or build-id=");
        check_error("[route]\nplatform = arm64\npath = /a\n", 1, "without exec=");
        check_error("[route]\npath = /a\nexec = /x\n", 1, "without platform=");
        check_error("[route]\nplatform = vax\n", 2, "unknown platform");
        check_error("[route]\nplatform = arm64\npath = relative\n", 3, "absolute");
        check_error("[route]\nplatform = arm64\nexec = x\n", 3, "absolute");
        check_error("[route]\nplatform = arm64\nbuild-id = 12g4\n", 3, "hex");
        check_error("[route]\nplatform = arm64\nsha256 = 1234\n", 3, "64 hex");
        check_error("[route]\nplatform = arm64\nbuild-id = 1234\nsha256 = "
                    "0000000000000000000000000000000000000000000000000000000000000000\nexec = /x\n", 1, "sha256= needs");
        check_error("[route]\nplatform = arm64\nfrobnicate = 1\n", 3, "unknown key");
        check_error("[route]\nplatform = arm64\nunless-env = =x\n", 3, "variable name");
        check_error("[route]\nplatform = arm64\nunless-env-dir = LPATH=/x\n", 3, "variable name only");
        check_error("[route]\nplatform = arm64\nkeep-argv0 = no\n", 3, "yes only");
        check_error("[route]\nplatform = arm64\nexec\n", 3, "key = value");
        check_error("[route]\nplatform =\n", 2, "empty value");
}

static void test_compile_buffer_size(void **state) {
        RoutesError e = {};
        size_t need = 0, got = 0;

        assert_int_equal(routes_compile(gcc_rules, strlen(gcc_rules), 0, 0, NULL, 0, &need, &e), -ENOBUFS);
        assert_true(need > 0);
        assert_int_equal(routes_compile(gcc_rules, strlen(gcc_rules), 0, 0, index_buf, need, &got, &e), 0);
        assert_int_equal(got, need);
}

/* An image layer keeps whole seconds, a copy sets a new mtime: the same text is still fresh, another
 * text of the same size is stale. */
static void test_index_fresh_by_content(void **state) {
        RoutesError e = {};
        size_t size = 0, len = strlen(gcc_rules);
        int64_t ns = 1700000000123456789LL, secs = 1700000000000000000LL;
        char *edited = strdup(gcc_rules);

        assert_int_equal(routes_compile(gcc_rules, len, len, ns, index_buf, sizeof(index_buf), &size, &e), 0);
        assert_int_equal(routes_index_fresh(index_buf, len, ns, NULL, 0), 1);
        assert_int_equal(routes_index_fresh(index_buf, len, secs, NULL, 0), -ENODATA);
        assert_int_equal(routes_index_fresh(index_buf, len, secs, gcc_rules, len), 1);
        edited[len - 2] = edited[len - 2] == 'x' ? 'y' : 'x';
        assert_int_equal(routes_index_fresh(index_buf, len, secs, edited, len), 0);
        assert_int_equal(routes_index_fresh(index_buf, len, secs, gcc_rules, len - 1), 0);
        free(edited);
}

static void test_index_source_and_corruption(void **state) {
        size_t size = compile(gcc_rules);
        RoutesQuery q = arm64_query("/usr/bin/as", NULL, 0, NULL);
        uint64_t src_size;
        int64_t src_mtime;
        uint8_t *b = (uint8_t *) index_buf;
        RouteMatch m;

        routes_index_source(index_buf, &src_size, &src_mtime);
        assert_int_equal(src_size, 11);
        assert_int_equal(src_mtime, 22);
        /* Fresh by size and exact mtime; otherwise only the content tells. */
        assert_int_equal(routes_index_fresh(index_buf, 11, 22, NULL, 0), 1);
        assert_int_equal(routes_index_fresh(index_buf, 12, 22, NULL, 0), 0);
        assert_int_equal(routes_index_fresh(index_buf, 11, 0, NULL, 0), -ENODATA);

        assert_int_equal(routes_index_check(index_buf, size - 1), -EBADMSG);
        assert_int_equal(routes_index_check((uint8_t *) index_buf + 8, size - 8), -EBADMSG);
        /* Every byte flipped in turn: the check or the lookup refuses, or the lookup still answers
         * sanely; it never reads out of bounds (ASan watches). */
        for (size_t i = 0; i < size; i++) {
                b[i] ^= 0x5a;
                if (routes_index_check(index_buf, size) == 0) {
                        int r = routes_lookup(index_buf, size, &q, &m, NULL);
                        assert_true(r == 0 || r == 1 || r == -EBADMSG);
                        if (r == 1) {
                                assert_non_null(m.exec);
                                (void) strlen(m.exec);
                        }
                }
                b[i] ^= 0x5a;
        }
}

static void test_glob(void **state) {
        static const struct {
                const char *pat, *s;
                bool pathname, match;
        } rows[] = {
                { "-march=native", "-march=native", false, true  },
                { "-march=native", "-march=armv8",  false, false },
                { "-fplugin*",     "-fplugin=x.so", false, true  },
                { "-m*=native",    "-mcpu=native",  false, true  },
                { "*",             "",              false, true  },
                { "?",             "",              false, false },
                { "a?c",           "abc",           false, true  },
                { "[abc]x",        "bx",            false, true  },
                { "[!abc]x",       "bx",            false, false },
                { "[a-c]x",        "cx",            false, true  },
                { "[^a-c]x",       "dx",            false, true  },
                { "\\*",           "*",             false, true  },
                { "\\*",           "x",             false, false },
                { "[",             "[",             false, true  },
                { "*a*b*c",        "xaybzc",        false, true  },
                { "*a*b*c",        "xaybz",         false, false },
                { "/usr/*/cc1",    "/usr/lib/cc1",  true,  true  },
                { "/usr/*/cc1",    "/usr/a/b/cc1",  true,  false },
                { "/usr/*/cc1",    "/usr/a/b/cc1",  false, true  },
                { "/usr/?",        "/usr//",        true,  false },
                { "/a[/]b",        "/a/b",          true,  false },
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++)
                if (routes_glob_match(rows[i].pat, strlen(rows[i].pat), rows[i].s, rows[i].pathname) != rows[i].match)
                        fail_msg("glob '%s' vs '%s' (pathname=%d): expected %d", rows[i].pat, rows[i].s,
                                 rows[i].pathname, rows[i].match);
}

static void test_path_normalise(void **state) {
        static const struct {
                const char *cwd, *path, *want;
        } rows[] = {
                { NULL,       "/usr/bin/gcc",          "/usr/bin/gcc" },
                { NULL,       "//usr///bin/./gcc",     "/usr/bin/gcc" },
                { NULL,       "/usr/lib/../bin/gcc",   "/usr/bin/gcc" },
                { NULL,       "/../../x",              "/x" },
                { NULL,       "/",                     "/" },
                { "/work",    "./a.out",               "/work/a.out" },
                { "/work/sub", "../bin/cc",            "/work/bin/cc" },
                { "/",        "x",                     "/x" },
        };
        char buf[64];

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                int r = routes_path_normalise(rows[i].cwd, rows[i].path, buf, sizeof(buf));
                assert_int_equal(r, (int) strlen(rows[i].want));
                assert_string_equal(buf, rows[i].want);
        }
        assert_int_equal(routes_path_normalise(NULL, "rel", buf, sizeof(buf)), -EINVAL);
        assert_int_equal(routes_path_normalise("rel", "x", buf, sizeof(buf)), -EINVAL);
        assert_int_equal(routes_path_normalise(NULL, "/a/very/long/path/that/does/not/fit/in/the/buffer/at/all/x",
                                               buf, 16), -ENAMETOOLONG);
}

static void hex(const uint8_t *d, char out[static 2 * SHA256_DIGEST_SIZE + 1]) {
        for (unsigned i = 0; i < SHA256_DIGEST_SIZE; i++)
                snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void test_sha256_vectors(void **state) {
        /* FIPS 180-4 / NIST CSRC examples. */
        static const struct {
                const char *msg, *digest;
        } rows[] = {
                { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
                { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
                { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
        };
        uint8_t d[SHA256_DIGEST_SIZE];
        char out[2 * SHA256_DIGEST_SIZE + 1];
        Sha256 s;

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                sha256_init(&s);
                sha256_update(&s, rows[i].msg, strlen(rows[i].msg));
                sha256_final(&s, d);
                hex(d, out);
                assert_string_equal(out, rows[i].digest);
        }
        /* One million 'a', fed in odd-sized pieces across block boundaries. */
        sha256_init(&s);
        for (size_t left = 1000000; left > 0;) {
                static const char a[77] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
                size_t n = MIN(left, sizeof(a) - 1);
                sha256_update(&s, a, n);
                left -= n;
        }
        sha256_final(&s, d);
        hex(d, out);
        assert_string_equal(out, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lookup_build_id),
                cmocka_unit_test(test_lookup_conditions),
                cmocka_unit_test(test_lookup_env_dir),
                cmocka_unit_test(test_keep_argv0),
                cmocka_unit_test(test_lookup_path_and_glob),
                cmocka_unit_test(test_lookup_platform),
                cmocka_unit_test(test_first_rule_wins),
                cmocka_unit_test(test_sha256_rule),
                cmocka_unit_test(test_parse_errors),
                cmocka_unit_test(test_compile_buffer_size),
                cmocka_unit_test(test_index_source_and_corruption),
                cmocka_unit_test(test_index_fresh_by_content),
                cmocka_unit_test(test_glob),
                cmocka_unit_test(test_path_normalise),
                cmocka_unit_test(test_sha256_vectors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
