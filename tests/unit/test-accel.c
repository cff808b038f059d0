/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/accel: the pure parts. Fixtures in memory: dpkg status stanzas, a specs dump, rules. */

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "accel.h"
#include "file-util.h"
#include "macro.h"
#include "routes.h"

static const char status[] =
        "Package: gcc-12\nStatus: deinstall ok config-files\nVersion: 12.2.0-13\n\n"
        "Package: cpp-12\nStatus: install ok installed\nVersion: 12.2.0-14+deb12u1\n\n"
        "Package: gcc-12\nStatus: install ok installed\nArchitecture: arm64\nVersion: 12.2.0-14+deb12u1\n";

static void test_dpkg_version(void **state) {
        char v[64];

        assert_int_equal(accel_dpkg_version(status, strlen(status), "gcc-12", v, sizeof(v)), 0);
        assert_string_equal(v, "12.2.0-14+deb12u1"); /* the removed stanza before it does not count */
        assert_int_equal(accel_dpkg_version(status, strlen(status), "cpp-12", v, sizeof(v)), 0);
        assert_int_equal(accel_dpkg_version(status, strlen(status), "gcc", v, sizeof(v)), -ENOENT);
        assert_int_equal(accel_dpkg_version(status, strlen(status), "gcc-12", v, 5), -ENAMETOOLONG);
        assert_int_equal(accel_dpkg_version("", 0, "gcc-12", v, sizeof(v)), -ENOENT);
}

static void test_version_check(void **state) {
        const char *arg, *why;

        /* equal once the cross package's suffix is dropped */
        assert_int_equal(accel_version_check("gcc-12", "12.2.0-14cross1", "12.2.0-14", false, &arg, &why), 0);
        assert_null(arg);
        assert_int_equal(accel_version_check("binutils", "2.40", "2.40", false, &arg, &why), 0);
        /* the known bookworm delta: allowed, with the stack-protector condition */
        assert_int_equal(accel_version_check("gcc-12", "12.2.0-14cross1", "12.2.0-14+deb12u1", false, &arg, &why), 0);
        assert_string_equal(arg, "-fstack-protector*");
        assert_non_null(strstr(why, "CVE-2023-4039"));
        assert_int_equal(accel_version_check("gcc-12", "12.2.0-14", "12.2.0-14+deb12u1", false, &arg, &why), 0);
        /* ... and without it when cc1 & co. are built from the root's exact source (the delta is theirs) */
        assert_int_equal(accel_version_check("gcc-12", "12.2.0-14cross1", "12.2.0-14+deb12u1", true, &arg, &why), 1);
        assert_null(arg);
        assert_null(why);
        /* anything else is refused, with or without a version-exact compiler proper */
        assert_int_equal(accel_version_check("gcc-12", "12.2.0-14cross1", "12.2.0-14+deb12u2", false, &arg, &why), -ESRCH);
        assert_int_equal(accel_version_check("gcc-12", "12.2.0-14cross1", "12.2.0-14+deb12u2", true, &arg, &why), -ESRCH);
        assert_int_equal(accel_version_check("gcc-12", "12.3.0-1cross1", "12.2.0-14", false, &arg, &why), -ESRCH);
        assert_int_equal(accel_version_check("cpp-12", "12.2.0-14", "12.2.0-14+deb12u1", false, &arg, &why), -ESRCH);
}

static const char specs_dump[] =
        "*cc1:\n%{profile:-p}\n\n"
        "*cc1plus:\n\n\n"
        "*cross_compile:\n1\n\n"
        "*version:\n12.2.0\n";

static void test_specs_patch(void **state) {
        const AccelPlatform *p = accel_platform_lookup("arm64");
        char *out = NULL;

        assert_non_null(p);
        assert_int_equal(accel_specs_patch(specs_dump, p, &out), 0);
        assert_non_null(strstr(out, "*cross_compile:\n0\n"));
        assert_non_null(strstr(out, "*cc1:\n%{profile:-p} -iprefix /usr/lib/gcc/aarch64-linux-gnu/12/\n"));
        /* cc1plus unchanged: the C++ directories come through CPLUS_INCLUDE_PATH (test_cxx_include_env) */
        assert_non_null(strstr(out, "*cc1plus:\n\n"));
        assert_non_null(strstr(out, "*version:\n12.2.0\n"));
        free(out);
        /* a dump without one of the specs we change is refused, not half-patched */
        assert_int_equal(accel_specs_patch("*cc1:\n\n*cc1plus:\n\n", p, &out), -EBADMSG);
}

static void test_cxx_include_env(void **state) {
        const AccelPlatform *p = accel_platform_lookup("arm64");
        char buf[256];

        assert_int_equal(accel_cxx_include_env(p, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "CPLUS_INCLUDE_PATH=/usr/include/c++/12:/usr/include/aarch64-linux-gnu/c++/12:"
                                 "/usr/include/c++/12/backward\n");
        assert_int_equal(accel_cxx_include_env(p, buf, 20), -ENAMETOOLONG);
}

static int count_rule(const RouteRuleSrc *r, void *userdata) {
        unsigned *n = userdata;
        (*n)++;
        assert_int_equal(r->build_id_size, 20);
        assert_true(r->n_unless_envs >= 2);
        return 0;
}

static void test_tools_and_routes(void **state) {
        const AccelPlatform *p = accel_platform_lookup("arm64");
        static AccelTool tools[ACCEL_TOOLS_MAX];
        AccelRule rules[3] = {};
        size_t binutil = 0, tool = 0;
        char *text = NULL;
        RoutesError err = {};
        unsigned n = 0;
        size_t k;

        assert_null(accel_platform_lookup("riscv64"));
        k = accel_tools(p, tools, ACCEL_TOOLS_MAX);
        assert_true(k >= 15 && k < ACCEL_TOOLS_MAX);
        assert_string_equal(tools[0].host, "usr/bin/aarch64-linux-gnu-gcc-12");
        assert_string_equal(tools[0].argv0, "gcc");
        assert_int_equal(tools[0].role, ACCEL_ROLE_DRIVER);
        for (size_t i = 0; i < k; i++)
                if (tools[i].role == ACCEL_ROLE_HELPER)
                        assert_non_null(strstr(tools[i].target, "usr/lib/gcc/aarch64-linux-gnu/12/"));
        assert_int_equal(accel_tools(p, tools, 2), 2);

        rules[0] = (AccelRule) { .tool = &tools[0], .build_id_size = 20, .extra_unless_arg = "-fstack-protector*",
                                 .extra_why = "why" };
        memset(rules[0].build_id, 0xab, 20);
        k = accel_tools(p, tools, 64);
        for (size_t i = 0; i < k; i++) {
                if (tools[i].role == ACCEL_ROLE_BINUTIL && !binutil)
                        binutil = i;
                if (tools[i].role == ACCEL_ROLE_TOOL && !tool)
                        tool = i;
                /* nothing that reports the machine is a build-tool twin */
                assert_null(strstr(tools[i].host, "uname"));
                if (!tools[i].built[0]) { /* make, bash: only builds of the root's source (machine strings) */
                        assert_null(strstr(tools[i].host, "bin/make"));
                        assert_null(strstr(tools[i].host, "bin/bash"));
                }
                assert_null(strstr(tools[i].host, "perl"));
        }
        assert_true(binutil > 0 && tool > 0);
        rules[1] = (AccelRule) { .tool = &tools[binutil], .build_id_size = 20 };
        rules[2] = (AccelRule) { .tool = &tools[tool], .build_id_size = 20 };
        assert_int_equal(accel_routes_format(p, rules, 3, &text), 0);
        assert_non_null(strstr(text, "exec = /.archway/native/bin/dash\nkeep-argv0 = yes\nunless-env = LD_PRELOAD\n"));
        assert_non_null(strstr(text, "build-id = abababab"));
        assert_non_null(strstr(text, "argv0 = /.archway/native/usr/bin/gcc\n"));
        assert_non_null(strstr(text, "unless-arg = -march=native\n"));
        assert_non_null(strstr(text, "unless-arg = -fstack-protector*\n"));
        /* LIBRARY_PATH vetoes only when it names a directory (the twin driver ignores it) */
        assert_null(strstr(text, "unless-env = LIBRARY_PATH\n"));
        assert_non_null(strstr(text, "unless-env-dir = LIBRARY_PATH\n"));
        assert_non_null(strstr(text, "unless-env-dir = LPATH\n"));
        assert_non_null(strstr(text, "unless-env = GCC_EXEC_PREFIX\n"));
        assert_non_null(strstr(text, "unless-arg = --plugin*\n"));
        assert_true(strstr(text, "keep-argv0") > strstr(text, "# /bin/dash (dash)")); /* tools only */
        /* the text is valid routes.conf for the shim's own parser */
        assert_int_equal(routes_parse(text, strlen(text), count_rule, &n, &err), 0);
        assert_int_equal(n, 3);
        free(text);
}

/* The rows beyond the host's packages: make built from the root's source, dpkg-deb's libraries and
 * its -W condition, objdump/readelf as tools of the binutils-TRIPLE package; dpkg itself never. */
static void test_build_tool_rows(void **state) {
        const AccelPlatform *p = accel_platform_lookup("arm64");
        static AccelTool tools[ACCEL_TOOLS_MAX];
        const AccelTool *make = NULL, *deb = NULL, *split = NULL, *objdump = NULL;
        AccelRule rules[2] = {};
        char *text = NULL;
        size_t k = accel_tools(p, tools, ACCEL_TOOLS_MAX);

        for (size_t i = 0; i < k; i++) {
                const AccelTool *t = &tools[i];
                assert_false(streq(t->target, "usr/bin/dpkg") || streq(t->target, "usr/bin/dpkg-architecture"));
                make = streq(t->target, "usr/bin/make") ? t : make;
                if (streq(t->target, "bin/bash"))
                        assert_string_equal(t->built, "bash");
                deb = streq(t->target, "usr/bin/dpkg-deb") ? t : deb;
                split = streq(t->target, "usr/bin/dpkg-split") ? t : split;
                objdump = streq(t->target, "usr/bin/aarch64-linux-gnu-objdump") ? t : objdump;
        }
        assert_true(make && deb && split && objdump);
        assert_string_equal(make->built, "make");
        assert_int_equal(make->role, ACCEL_ROLE_TOOL);
        assert_string_equal(deb->built, "");
        assert_string_equal(objdump->package, "binutils-aarch64-linux-gnu");
        assert_int_equal(objdump->role, ACCEL_ROLE_TOOL);
        assert_string_equal(accel_tool_library(deb, 0), "liblzma5");
        assert_non_null(accel_tool_library(deb, 3));
        assert_null(accel_tool_library(deb, 4));
        assert_null(accel_tool_library(split, 0));
        assert_null(accel_tool_library(make, 0));

        rules[0] = (AccelRule) { .tool = make, .build_id_size = 20 };
        rules[1] = (AccelRule) { .tool = deb, .build_id_size = 20 };
        assert_int_equal(accel_routes_format(p, rules, 2, &text), 0);
        assert_non_null(strstr(text, "# /usr/bin/make (make) -> its twin, built from the same source\n"));
        assert_non_null(strstr(text, "exec = /.archway/native/usr/bin/dpkg-deb\nkeep-argv0 = yes\n"
                                     "unless-arg = -W*\nunless-arg = --show*\nunless-env = LD_PRELOAD\n"));
        assert_int_equal(strstr(text, "unless-arg") - strstr(text, "# /usr/bin/dpkg-deb") > 0, 1); /* dpkg-deb's only */
        free(text);
}

/* bash's loadable builtins (enable -f: target code in-process): its root directory and its rule's
 * BASH_LOADABLES_PATH condition; no other tool has either. */
static void test_bash_loadables(void **state) {
        const AccelPlatform *p = accel_platform_lookup("arm64");
        static AccelTool tools[ACCEL_TOOLS_MAX];
        const AccelTool *bash = NULL;
        AccelRule rule = {};
        char *text = NULL;
        size_t k = accel_tools(p, tools, ACCEL_TOOLS_MAX);

        for (size_t i = 0; i < k; i++) {
                if (streq(tools[i].target, "bin/bash"))
                        bash = &tools[i];
                else
                        assert_null(accel_tool_loadables_dir(&tools[i]));
        }
        assert_non_null(bash);
        assert_string_equal(accel_tool_loadables_dir(bash), "usr/lib/bash");
        rule = (AccelRule) { .tool = bash, .build_id_size = 20 };
        assert_int_equal(accel_routes_format(p, &rule, 1, &text), 0);
        assert_non_null(strstr(text, "unless-env = LD_AUDIT\nunless-env = BASH_LOADABLES_PATH\n"));
        free(text);
        rule.tool = &tools[0];
        assert_int_equal(accel_routes_format(p, &rule, 1, &text), 0);
        assert_null(strstr(text, "BASH_LOADABLES_PATH"));
        free(text);
}

static void test_version_valid(void **state) {
        assert_true(accel_version_valid("12.2.0-14+deb12u1"));
        assert_true(accel_version_valid("1:2.40-2"));
        assert_true(accel_version_valid("4.9-1~bpo12+1"));
        assert_false(accel_version_valid("/../../../lib/archway/store/layers/x"));
        assert_false(accel_version_valid("12/../../x"));
        assert_false(accel_version_valid(".."));
        assert_false(accel_version_valid(""));
        assert_false(accel_version_valid("12 x"));
}

/* accel_remove() on a root whose /.archway, or what is below it, is a symlink out of the root:
 * nothing outside is touched (it followed them: rm -rf OUTSIDE/native). */
static void test_remove_stays_in_the_root(void **state) {
        char base[] = "/tmp/test-accel.XXXXXX", root[64];
        struct stat st;
        int fd;

        assert_non_null(mkdtemp(base));
        fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(mkdirat(fd, "outside", 0755), 0);
        assert_int_equal(mkdirat(fd, "outside/native", 0755), 0);
        assert_int_equal(write_file_atomic(fd, "outside/native/x", "x", 1, 0644, NULL), 0);
        assert_int_equal(write_file_atomic(fd, "outside/routes.conf", "x", 1, 0644, NULL), 0);
        /* /.archway itself a symlink out */
        assert_int_equal(mkdirat(fd, "r1", 0755), 0);
        assert_int_equal(symlinkat("../outside", fd, "r1/.archway"), 0);
        snprintf(root, sizeof(root), "%s/r1", base);
        assert_int_equal(accel_remove(root), 0);
        /* a real /.archway whose native/ and routes.conf are symlinks out: the links go, not their targets */
        assert_int_equal(mkdirat(fd, "r2", 0755), 0);
        assert_int_equal(mkdirat(fd, "r2/.archway", 0755), 0);
        assert_int_equal(symlinkat("../../outside/native", fd, "r2/.archway/native"), 0);
        assert_int_equal(symlinkat("../../outside/routes.conf", fd, "r2/.archway/routes.conf"), 0);
        snprintf(root, sizeof(root), "%s/r2", base);
        assert_int_equal(accel_remove(root), 0);
        assert_int_equal(fstatat(fd, "r2/.archway/native", &st, AT_SYMLINK_NOFOLLOW), -1);
        assert_int_equal(fstatat(fd, "outside/native/x", &st, 0), 0);
        assert_int_equal(fstatat(fd, "outside/routes.conf", &st, 0), 0);
        close(fd);
        assert_int_equal(rm_rf(base), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dpkg_version),
                cmocka_unit_test(test_version_check),
                cmocka_unit_test(test_specs_patch),
                cmocka_unit_test(test_cxx_include_env),
                cmocka_unit_test(test_tools_and_routes),
                cmocka_unit_test(test_build_tool_rows),
                cmocka_unit_test(test_bash_loadables),
                cmocka_unit_test(test_remove_stays_in_the_root),
                cmocka_unit_test(test_version_valid),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
