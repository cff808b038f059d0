/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The classic overlayfs option string (builder/sandbox-kernel.c), used on kernels without
 * "lowerdir+": the escapes fs/overlayfs undoes (ovl_next_opt() splits at unescaped ',',
 * ovl_split_lowerdirs() at unescaped ':'), lowers newest first, and the page bound. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../builder/sandbox-internal.h"

/* sandbox-kernel.c forks through sandbox.c, which this test does not link. */
pid_t sandbox_fork_userns(void) {
        return -ENOSYS;
}

static void test_plain(void **state) {
        char *lowers[] = { "/s/layers/b", "/s/layers/a" };
        char *names[] = { "/s/layers/b", "/s/layers/a", "/s/tmp/u", "/s/tmp/w" };
        SandboxRootfs root = { .lowers = lowers, .n_lowers = 2, .upper = "/s/tmp/u", .work = "/s/tmp/w" };
        char buf[4096];

        assert_true(sandbox_overlay_options(&root, names, buf, sizeof(buf)));
        assert_string_equal(buf, "lowerdir=/s/layers/b:/s/layers/a,upperdir=/s/tmp/u,workdir=/s/tmp/w,userxattr");
        root.upper = NULL;
        assert_true(sandbox_overlay_options(&root, names, buf, sizeof(buf)));
        assert_string_equal(buf, "lowerdir=/s/layers/b:/s/layers/a,userxattr");
}

static void test_escapes(void **state) {
        char *lowers[] = { "/a:b", "/c,d" };
        char *names[] = { "/a:b", "/c,d", "/e\\f", "/w" };
        SandboxRootfs root = { .lowers = lowers, .n_lowers = 2, .upper = "/e\\f", .work = "/w" };
        char buf[4096];

        assert_true(sandbox_overlay_options(&root, names, buf, sizeof(buf)));
        assert_string_equal(buf, "lowerdir=/a\\:b:/c\\,d,upperdir=/e\\\\f,workdir=/w,userxattr");
}

static void test_bound(void **state) {
        char *lowers[] = { "/0123456789", "/abcdefghij" };
        char *names[] = { "/0123456789", "/abcdefghij" };
        SandboxRootfs root = { .lowers = lowers, .n_lowers = 2 };
        const char *want = "lowerdir=/0123456789:/abcdefghij,userxattr";
        char buf[64];

        /* exactly fits (with its NUL), one byte less does not */
        assert_true(sandbox_overlay_options(&root, names, buf, strlen(want) + 1));
        assert_string_equal(buf, want);
        assert_false(sandbox_overlay_options(&root, names, buf, strlen(want)));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plain),
                cmocka_unit_test(test_escapes),
                cmocka_unit_test(test_bound),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
