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

#include "file-util.h"

static void test_read_full_stream_reads_past_one_buffer(void **state) {
        size_t size = 10000, n = 0;
        char *in = malloc(size), *out = NULL;
        FILE *f;

        (void) state;
        assert_non_null(in);
        for (size_t i = 0; i < size; i++)
                in[i] = (char) ('a' + i % 26);
        f = fmemopen(in, size, "r");
        assert_non_null(f);
        assert_int_equal(read_full_stream(f, &out, &n), 0);
        assert_int_equal(n, size);
        assert_memory_equal(out, in, size);
        assert_int_equal(out[size], 0);
        fclose(f);
        free(out);
        free(in);
}

static void test_read_full_stream_empty_is_empty_string(void **state) {
        char *out = NULL;
        size_t n = 1;
        FILE *f = fopen("/dev/null", "re");

        (void) state;
        assert_non_null(f);
        assert_int_equal(read_full_stream(f, &out, &n), 0);
        assert_string_equal(out, "");
        assert_int_equal(n, 0);
        fclose(f);
        free(out);
}

static void test_loop_write_then_read_back(void **state) {
        int fds[2];
        char buf[16] = { 0 };

        (void) state;
        assert_int_equal(pipe(fds), 0);
        assert_int_equal(loop_write(fds[1], "archway", 7), 0);
        assert_int_equal(read(fds[0], buf, sizeof(buf)), 7);
        assert_string_equal(buf, "archway");
        close(fds[0]);
        close(fds[1]);
        assert_int_equal(loop_write(fds[1], "x", 1), -EBADF);
}

static void test_is_executable_file(void **state) {
        char plain[] = "/tmp/test-file-util-XXXXXX";
        int fd = mkstemp(plain);        /* mode 0600: no x bit, even for root */

        (void) state;
        assert_true(fd >= 0);
        close(fd);
        assert_true(is_executable_file("/bin/sh"));
        assert_false(is_executable_file(plain));
        unlink(plain);
        assert_false(is_executable_file("/"));
        assert_false(is_executable_file("/nonexistent/archway"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_read_full_stream_reads_past_one_buffer),
                cmocka_unit_test(test_read_full_stream_empty_is_empty_string),
                cmocka_unit_test(test_loop_write_then_read_back),
                cmocka_unit_test(test_is_executable_file),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
