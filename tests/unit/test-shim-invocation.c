/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* shim/invocation.c: the binfmt_misc calling conventions (plain, P, O/C), the variables the shim
 * reads and ignores under AT_SECURE, dropping QEMU_*, and the argv handed to QEMU and native tools. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "../../shim/shim.h"

#define S(x) ((char *) (x))

static void check_argv(char **got, int n, const char *const *want) {
        int i;
        for (i = 0; want[i]; i++) {
                assert_true(i < n);
                assert_string_equal(got[i], want[i]);
        }
        assert_int_equal(n, i);
        assert_null(got[n]);
}

static void test_plain(void **state) {
        /* Without P the kernel dropped the program's argv[0]: [interp, path, args...]. */
        char *argv[] = { S("/shim"), S("/bin/prog"), S("-x"), S("y"), NULL };
        ShimInvocation inv;

        assert_int_equal(shim_invocation_parse(4, argv, 0, false, 0, false, &inv), 0);
        assert_string_equal(inv.interp, "/shim");
        assert_string_equal(inv.path, "/bin/prog");
        assert_string_equal(inv.argv0, "/bin/prog");
        assert_int_equal(inv.n_args, 2);
        assert_string_equal(inv.args[0], "-x");
        assert_int_equal(inv.execfd, -1);
        assert_false(inv.preserve_argv0);
}

static void test_preserve_argv0(void **state) {
        /* P: [interp, path, argv0, args...], told by AT_FLAGS bit 0. */
        char *argv[] = { S("/shim"), S("/bin/busybox"), S("uname"), S("-m"), NULL };
        ShimInvocation inv;

        assert_int_equal(shim_invocation_parse(4, argv, 1, false, 0, false, &inv), 0);
        assert_true(inv.preserve_argv0);
        assert_string_equal(inv.argv0, "uname");
        assert_int_equal(inv.n_args, 1);
        assert_string_equal(inv.args[0], "-m");

        /* P with nothing after the path (a kernel before 5.18 and an empty argv). */
        assert_int_equal(shim_invocation_parse(2, argv, 1, false, 0, false, &inv), 0);
        assert_string_equal(inv.argv0, "/bin/busybox");
        assert_int_equal(inv.n_args, 0);
}

static void test_execfd(void **state) {
        char *argv[] = { S("/shim"), S("/bin/prog"), NULL };
        ShimInvocation inv;

        /* fd 0 is a valid AT_EXECFD when stdin was closed: have_execfd decides, not the value. */
        assert_int_equal(shim_invocation_parse(2, argv, 0, true, 0, true, &inv), 0);
        assert_int_equal(inv.execfd, 0);
        assert_true(inv.secure);
        assert_int_equal(shim_invocation_parse(2, argv, 0, true, 5, false, &inv), 0);
        assert_int_equal(inv.execfd, 5);
        assert_int_equal(shim_invocation_parse(1, argv, 0, false, 0, false, &inv), -EINVAL);
}

static void test_env(void **state) {
        char *envp[] = {
                S("PATH=/bin"), S("ARCHWAY_SHIM=qemu"), S("ARCHWAY_SHIM_DEBUG=1"), S("ARCHWAY_QEMU_DIR=/q"),
                S("ARCHWAY_ROUTES=/r.idx"), S("QEMU_CPU=max"), S("QEMU_LD_PREFIX=/root"), S("QEMU_STRACE=1"),
                S("ARCHWAY_SHIMX=1"), NULL,
        };
        ShimEnv env;

        shim_env_parse(envp, false, &env);
        assert_string_equal(env.mode, "qemu");
        assert_true(env.debug);
        assert_string_equal(env.qemu_dir, "/q");
        assert_string_equal(env.routes, "/r.idx");
        assert_string_equal(env.qemu_cpu, "max");
        assert_string_equal(env.ld_prefix, "/root");

        /* AT_SECURE: nothing from the environment counts. */
        shim_env_parse(envp, true, &env);
        assert_null(env.mode);
        assert_false(env.debug);
        assert_null(env.qemu_dir);
        assert_null(env.routes);
        assert_null(env.qemu_cpu);
        assert_null(env.ld_prefix);
}

static void test_env_debug_values(void **state) {
        char *envp[] = { S("ARCHWAY_SHIM_DEBUG=0"), S("QEMU_CPU="), NULL };
        ShimEnv env;

        shim_env_parse(envp, false, &env);
        assert_false(env.debug);
        assert_null(env.qemu_cpu); /* empty: as if unset, QEMU ignores it too */
}

static void test_drop_qemu(void **state) {
        char *envp[] = { S("QEMU_LD_PREFIX=/evil"), S("PATH=/bin"), S("QEMU_SET_ENV=LD_PRELOAD=x"), S("HOME=/"),
                         S("QEMU_STRACE=1"), S("XQEMU_=1"), NULL };
        const char *const want[] = { "PATH=/bin", "HOME=/", "XQEMU_=1", NULL };

        assert_int_equal(shim_env_drop_qemu(envp), 3);
        check_argv(envp, 3, want);
}

static void test_qemu_argv_exec(void **state) {
        char *argv[] = { S("/shim"), S("/bin/busybox"), S("uname"), S("-m"), NULL };
        ShimInvocation inv;
        char *out[16];
        const char *const want[] = { "/q/qemu-aarch64", "-0", "uname", "-cpu", "max", "--", "/proc/self/fd/3", "-m", NULL };
        const char *const want_nocpu[] = { "/q", "-0", "uname", "--", "/bin/busybox", "-m", NULL };

        assert_int_equal(shim_invocation_parse(4, argv, 1, false, 0, false, &inv), 0);
        check_argv(out, shim_qemu_argv_exec(&inv, "/q/qemu-aarch64", "max", "/proc/self/fd/3", out, 16), want);
        check_argv(out, shim_qemu_argv_exec(&inv, "/q", NULL, "/bin/busybox", out, 16), want_nocpu);
        assert_int_equal(shim_qemu_argv_exec(&inv, "/q", "max", "/b", out, 8), -E2BIG);
}

static void test_qemu_argv_linked(void **state) {
        /* QEMU in-process reads AT_FLAGS/AT_EXECFD itself: the kernel's layout stays. */
        char *argv[] = { S("/qemu-aarch64-archway"), S("/bin/busybox"), S("uname"), S("-m"), NULL };
        const char *const want[] = { "/qemu-aarch64-archway", "-cpu", "max", "--", "/bin/busybox", "uname", "-m", NULL };
        char *out[16];

        check_argv(out, shim_qemu_argv_linked(4, argv, "max", out, 16), want);
        assert_int_equal(shim_qemu_argv_linked(4, argv, "max", out, 7), -E2BIG);
}

static void test_native_argv(void **state) {
        char *args[] = { S("-c"), S("x.c") };
        const char *pre[] = { "--sysroot=/" }, *post[] = { "-v" };
        const char *const want[] = { "gcc", "--sysroot=/", "-c", "x.c", "-v", NULL };
        char *out[8];

        check_argv(out, shim_native_argv("gcc", pre, 1, args, 2, post, 1, out, 8), want);
        assert_int_equal(shim_native_argv("gcc", pre, 1, args, 2, post, 1, out, 5), -E2BIG);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plain),
                cmocka_unit_test(test_preserve_argv0),
                cmocka_unit_test(test_execfd),
                cmocka_unit_test(test_env),
                cmocka_unit_test(test_env_debug_values),
                cmocka_unit_test(test_drop_qemu),
                cmocka_unit_test(test_qemu_argv_exec),
                cmocka_unit_test(test_qemu_argv_linked),
                cmocka_unit_test(test_native_argv),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
