/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "errbuf.h"

static void test_errbuf_m_is_the_given_error(void **state) {
        char buf[128];

        (void) state;
        errno = EINTR;
        assert_int_equal(errbuf_set(buf, sizeof(buf), -ENOENT, "Failed to open %s: %m", "/x"), -ENOENT);
        assert_string_equal(buf, "Failed to open /x: No such file or directory");
        assert_int_equal(errno, EINTR);
        /* A positive error number means the same and still returns it negative. */
        assert_int_equal(errbuf_set(buf, sizeof(buf), EACCES, "%m"), -EACCES);
        assert_string_equal(buf, "Permission denied");
}

static void test_errbuf_truncates_and_terminates(void **state) {
        char buf[8];

        (void) state;
        memset(buf, 'x', sizeof(buf));
        assert_int_equal(errbuf_set(buf, sizeof(buf), -EBADMSG, "%s", "a long message"), -EBADMSG);
        assert_string_equal(buf, "a long ");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_errbuf_m_is_the_given_error),
                cmocka_unit_test(test_errbuf_truncates_and_terminates),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
