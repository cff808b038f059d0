/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "file-util.h"
#include "macro.h"
#include "time-util.h"

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


static int count_entries(const char *dir, const char *sub) {
        _cleanup_free_ char *p = NULL;
        struct dirent *de;
        int n = 0;
        DIR *d;

        assert_true(asprintf(&p, "%s/%s", dir, sub) > 0);
        d = opendir(p);
        assert_non_null(d);
        while ((de = readdir(d)))
                n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
        closedir(d);
        return n;
}

/* A fresh directory under /tmp for one test. */
static char *scratch(void) {
        char *d = strdup("/tmp/archway-file-util-XXXXXX");

        assert_non_null(d);
        assert_non_null(mkdtemp(d));
        return d;
}

static void test_write_file_atomic(void **state) {
        _cleanup_free_ char *d = scratch(), *p = NULL, *back = NULL;
        struct stat st;
        size_t n;
        int dfd;

        assert_true(asprintf(&p, "%s/sub/f", d) > 0);
        assert_int_equal(mkdir_parents(p, 0755), 0);
        assert_int_equal(write_file_atomic(AT_FDCWD, p, "one", 3, 0600, &st), 0);
        assert_int_equal(st.st_size, 3);
        assert_int_equal(st.st_mode & 07777, 0600);
        /* replaced whole, through a directory fd too; no temporary left behind */
        dfd = open(d, O_RDONLY | O_DIRECTORY);
        assert_int_equal(write_file_atomic(dfd, "sub/f", "second", 6, 0644, NULL), 0);
        close(dfd);
        assert_int_equal(read_file(p, 100, &back, &n), 0);
        assert_string_equal(back, "second");
        assert_int_equal(n, 6);
        assert_int_equal(count_entries(d, "sub"), 1);
        /* a fifo where the temporary goes (someone else's tree): not opened (it blocked), replaced */
        free(back);
        back = NULL;
        assert_true(asprintf(&back, "%s/sub/.f.tmp-%d", d, (int) getpid()) > 0);
        assert_int_equal(mkfifo(back, 0644), 0);
        assert_int_equal(write_file_atomic(AT_FDCWD, p, "third", 5, 0644, NULL), 0);
        assert_int_equal(count_entries(d, "sub"), 1);
        free(back);
        back = NULL;
        /* a missing directory: an error, nothing made */
        assert_int_equal(write_file_atomic(AT_FDCWD, "/nonexistent-dir/f", "x", 1, 0644, NULL), -ENOENT);
        assert_int_equal(rm_rf(d), 0);
}

static void test_read_file_bounds(void **state) {
        _cleanup_free_ char *d = scratch(), *p = NULL, *buf = NULL;

        assert_true(asprintf(&p, "%s/f", d) > 0);
        assert_int_equal(write_file_atomic(AT_FDCWD, p, "0123456789", 10, 0644, NULL), 0);
        assert_int_equal(read_file(p, 10, &buf, NULL), 0);
        free(buf);
        buf = NULL;
        assert_int_equal(read_file(p, 9, &buf, NULL), -EFBIG);
        assert_int_equal(read_file(d, 100, &buf, NULL), -EBADF);     /* a directory */
        assert_int_equal(read_file("/dev/zero", 100, &buf, NULL), -EBADF); /* would never end */
        assert_null(buf);
        assert_int_equal(rm_rf(d), 0);
}

static void test_read_pipe_until(void **state) {
        char buf[8];
        int p[2];

        /* EOF: all of it; a writer that never closes: -ETIME at the deadline, with what came */
        assert_int_equal(pipe(p), 0);
        assert_int_equal(loop_write(p[1], "abc", 3), 0);
        close(p[1]);
        assert_int_equal(read_pipe_until(p[0], buf, sizeof(buf), now_usec() + 1000000), 3);
        assert_string_equal(buf, "abc");
        close(p[0]);
        assert_int_equal(pipe(p), 0);
        assert_int_equal(loop_write(p[1], "xy", 2), 0);
        assert_int_equal(read_pipe_until(p[0], buf, sizeof(buf), now_usec() + 50000), -ETIME);
        assert_string_equal(buf, "xy");
        /* full: stops at size - 1 without waiting for EOF */
        assert_int_equal(loop_write(p[1], "0123456789", 10), 0);
        assert_int_equal(read_pipe_until(p[0], buf, sizeof(buf), now_usec() + 1000000), 7);
        assert_string_equal(buf, "0123456");
        close(p[0]);
        close(p[1]);
}

static void test_mkdir_p_and_rm_rf(void **state) {
        _cleanup_free_ char *d = scratch(), *deep = NULL, *link = NULL, *outside = scratch(), *kept = NULL;
        struct stat st;

        assert_true(asprintf(&deep, "%s/a/b/c", d) > 0);
        assert_int_equal(mkdir_p(deep, 0755), 0);
        assert_int_equal(mkdir_p(deep, 0755), 0); /* again: fine */
        assert_int_equal(stat(deep, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        /* rm -rf never follows a symlink out of the tree */
        assert_true(asprintf(&kept, "%s/keep", outside) > 0);
        assert_int_equal(write_file_atomic(AT_FDCWD, kept, "x", 1, 0644, NULL), 0);
        assert_true(asprintf(&link, "%s/a/out", d) > 0);
        assert_int_equal(symlink(outside, link), 0);
        assert_int_equal(rm_rf(d), 0);
        assert_int_equal(stat(d, &st), -1);
        assert_int_equal(stat(kept, &st), 0);
        assert_int_equal(rm_rf(d), 0); /* missing: not an error */
        assert_int_equal(rm_rf(outside), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_read_full_stream_reads_past_one_buffer),
                cmocka_unit_test(test_read_full_stream_empty_is_empty_string),
                cmocka_unit_test(test_loop_write_then_read_back),
                cmocka_unit_test(test_is_executable_file),
                cmocka_unit_test(test_write_file_atomic),
                cmocka_unit_test(test_read_file_bounds),
                cmocka_unit_test(test_read_pipe_until),
                cmocka_unit_test(test_mkdir_p_and_rm_rf),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
