/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "error-detail.h"

static void test_m_is_the_given_error(void **state) {
        ErrorDetail e = {};

        (void) state;
        errno = EINTR;
        assert_int_equal(error_detail_set(&e, -ENOENT, "Failed to open %s: %m", "/x"), -ENOENT);
        assert_string_equal(e.message, "Failed to open /x: No such file or directory");
        assert_int_equal(errno, EINTR);
        /* A positive error number means the same and still comes back negative; 0 is -EIO. */
        assert_int_equal(error_detail_set(&e, EACCES, "%m"), -EACCES);
        assert_string_equal(e.message, "Permission denied");
        assert_int_equal(error_detail_set(&e, 0, "x"), -EIO);
}

static void test_line_and_fallback(void **state) {
        ErrorDetail e = {};

        (void) state;
        assert_string_equal(error_detail_or(&e, "nothing said"), "nothing said");
        assert_string_equal(error_detail_or(NULL, "nothing said"), "nothing said");
        assert_int_equal(error_detail_set_line(&e, 7, -EINVAL, "bad %s", "word"), -EINVAL);
        assert_int_equal(e.line, 7);
        assert_string_equal(error_detail_or(&e, "nothing said"), "bad word");
        /* Callers that want only the -errno pass NULL. */
        assert_int_equal(error_detail_set(NULL, -EPERM, "ignored"), -EPERM);
}

static void test_truncates_and_terminates(void **state) {
        char long_word[2 * ERROR_DETAIL_MAX];
        ErrorDetail e;

        (void) state;
        memset(long_word, 'x', sizeof(long_word) - 1);
        long_word[sizeof(long_word) - 1] = 0;
        assert_int_equal(error_detail_set(&e, -EBADMSG, "%s", long_word), -EBADMSG);
        assert_int_equal(strlen(e.message), ERROR_DETAIL_MAX - 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_m_is_the_given_error),
                cmocka_unit_test(test_line_and_fallback),
                cmocka_unit_test(test_truncates_and_terminates),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
