/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "strv.h"

static void test_split(void **state) {
        _cleanup_strv_free_ char **l = NULL, **none = NULL;

        (void) state;
        assert_int_equal(strv_split("  img \t AS\tname ", " \t", &l), 0);
        assert_int_equal(strv_length(l), 3);
        assert_string_equal(l[0], "img");
        assert_string_equal(l[1], "AS");
        assert_string_equal(l[2], "name");
        assert_null(l[3]);
        /* No fields: an empty vector, not NULL. */
        assert_int_equal(strv_split(" \t ", " \t", &none), 0);
        assert_non_null(none);
        assert_int_equal(strv_length(none), 0);
}

static void test_env(void **state) {
        _cleanup_strv_free_ char **l = NULL;
        bool bare;

        (void) state;
        assert_int_equal(strv_env_set(&l, "A", "1"), 0);
        assert_int_equal(strv_env_set(&l, "AB", "2"), 0);
        assert_int_equal(strv_env_set(&l, "C", NULL), 0);
        assert_string_equal(strv_env_get(l, "A", &bare), "1");
        assert_false(bare);
        assert_string_equal(strv_env_get(l, "AB", NULL), "2");
        /* Declared without a value: no value, but it is there. */
        assert_null(strv_env_get(l, "C", &bare));
        assert_true(bare);
        assert_null(strv_env_get(l, "D", &bare));
        assert_false(bare);
        /* A prefix of a name is not the name. */
        assert_null(strv_env_get(l, "", NULL));
        /* Set replaces in place, keeping the order. */
        assert_int_equal(strv_env_set(&l, "A", "one"), 0);
        assert_int_equal(strv_env_set(&l, "C", "three"), 0);
        assert_int_equal(strv_length(l), 3);
        assert_string_equal(l[0], "A=one");
        assert_string_equal(l[2], "C=three");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_split),
                cmocka_unit_test(test_env),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
