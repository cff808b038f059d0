/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "qemu-version.h"

static void test_version_at_least(void **state) {
        static const struct {
                const char *v;
                unsigned major, minor;
                bool at_least;
        } rows[] = {
                { "5.12.0-1-amd64", 5, 12, true }, { "5.11.22", 5, 12, false }, { "6.1", 5, 12, true },
                { "4.19.0", 5, 12, false }, { "6.0.0", 6, 1, false }, { "6.1.0", 6, 1, true },
                { "7.2.22", 6, 1, true }, { "10.0.13", 6, 1, true }, { "6", 6, 1, false }, { "6.", 6, 0, true },
                { "", 1, 0, false }, { "v6.1", 6, 1, false }, { NULL, 0, 0, false },
        };

        (void) state;
        for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++)
                assert_int_equal(version_at_least(rows[k].v, rows[k].major, rows[k].minor), rows[k].at_least);
}

static void test_preserve_argv0(void **state) {
        (void) state;
        assert_true(qemu_preserve_argv0_ok("6.1.0-18-amd64", "7.2.22"));
        assert_true(qemu_preserve_argv0_ok("5.12.0", "6.1.0"));
        /* the kernel does not say that it inserted argv[0]: P would shift the arguments */
        assert_false(qemu_preserve_argv0_ok("5.10.0-28-amd64", "10.0.13"));
        /* the QEMU does not read AT_FLAGS */
        assert_false(qemu_preserve_argv0_ok("6.18.0", "5.2.0"));
        assert_false(qemu_preserve_argv0_ok("6.18.0", ""));
}

/* A file of filler around text, as a linker leaves a literal among other data. */
static char *write_file(const char *text) {
        char *path = strdup("/tmp/test-qemu-version.XXXXXX"), filler[4096];
        int fd = mkstemp(path);

        assert_true(fd >= 0);
        memset(filler, 0x90, sizeof(filler));
        assert_int_equal(write(fd, filler, sizeof(filler)), (ssize_t) sizeof(filler));
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        assert_int_equal(write(fd, filler, 100), 100);
        close(fd);
        return path;
}

static void check_file(const char *text, int want_r, const char *want) {
        char *path = write_file(text), buf[16] = "";

        assert_int_equal(qemu_binary_version(path, buf, sizeof(buf)), want_r);
        if (want)
                assert_string_equal(buf, want);
        unlink(path);
        free(path);
}

static void test_binary_version(void **state) {
        char small[3];
        char *path;

        (void) state;
        check_file("qemu-aarch64 version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright", 0, "7.2.22");
        check_file("qemu-aarch64 version 10.0.13", 0, "10.0.13");
        check_file("qemu-mips64el version 9.1.0\n", 0, "9.1.0");
        /* " version " of something else first: skipped */
        check_file("API version (CS_ERR_VERSION)\nqemu-arm version 8.0.0\n", 0, "8.0.0");
        check_file("different API version between core", -ENOENT, NULL);
        check_file("qemu- version 1.0", -ENOENT, NULL);
        check_file("qemu-arm version x", -ENOENT, NULL);
        path = write_file("qemu-arm version 10.0.13");
        assert_int_equal(qemu_binary_version(path, small, sizeof(small)), -ENAMETOOLONG);
        unlink(path);
        free(path);
        assert_int_equal(qemu_binary_version("/nonexistent/qemu-arm", small, sizeof(small)), -ENOENT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_version_at_least),
                cmocka_unit_test(test_preserve_argv0),
                cmocka_unit_test(test_binary_version),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
