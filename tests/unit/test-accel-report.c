/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "accel-report.h"

static void test_is_driver(void **state) {
        const char *yes[] = { "gcc", "cc", "g++", "c++", "cpp", "gcc-12", "aarch64-linux-gnu-gcc-12",
                              "aarch64-linux-gnu-g++-12", "c99", "aarch64-linux-gnu-gcc",
                              "aarch64-linux-gnu-cpp", "x86_64-linux-gnu-c++" };
        const char *no[] = { "as", "ld.bfd", "gcc-ar-12", "aarch64-linux-gnu-as", "make", "sed", "g", "cc1",
                             "aarch64-linux-gnu-gcc-ar" };

        for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
                if (!accel_report_is_driver(yes[i]))
                        fail_msg("%s is a driver", yes[i]);
        for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
                if (accel_report_is_driver(no[i]))
                        fail_msg("%s is not a driver", no[i]);
}

static void test_parse(void **state) {
        static const char log[] =
                "twinned\t/usr/bin/gcc\t/.archway/native/usr/bin/aarch64-linux-gnu-gcc-12\n"
                "twinned\t/usr/bin/aarch64-linux-gnu-as\t/.archway/native/usr/bin/aarch64-linux-gnu-as\n"
                "emulated\t/usr/bin/gcc\tunless-arg -march=native\n"
                "emulated\t/usr/bin/cc\tunless-env-dir LIBRARY_PATH\n"
                "emulated\t/usr/bin/gcc\tunless-arg -march=native\n"
                "emulated\t/usr/bin/make\tno-rule\n"
                "emulated\t/bin/uname\tno-rule\n"
                "emulated\t/usr/bin/make\tno-rule\n"
                "\n"
                "garbage without tabs\n"
                "skipped\t/usr/bin/gcc\tx\n"
                "twinned\t/usr/bin/gcc\t/x"; /* no final newline */
        AccelReport r = {};

        accel_report_parse(&r, log, strlen(log));
        assert_int_equal(r.twinned, 3);
        assert_int_equal(r.emulated, 3);
        assert_int_equal(r.drivers, 5);
        assert_int_equal(r.drivers_twinned, 2);
        assert_int_equal(r.malformed, 2);
        assert_int_equal(r.n_tools, 3);
        assert_string_equal(r.tools[0].key, "gcc");
        assert_int_equal(r.tools[0].n, 4);
        assert_int_equal(r.n_reasons, 2);
        assert_string_equal(r.reasons[0].key, "unless-arg -march=native");
        assert_int_equal(r.reasons[0].n, 2);
        assert_string_equal(r.reasons[1].key, "unless-env-dir LIBRARY_PATH");
        /* programs without a rule: apart, neither emulated-by-condition nor a tool of the table */
        assert_int_equal(r.n_unrouted_runs, 3);
        assert_int_equal(r.n_unrouted, 2);
        assert_string_equal(r.unrouted[0].key, "make");
        assert_int_equal(r.unrouted[0].n, 2);
        assert_string_equal(r.unrouted[1].key, "uname");
}

static void test_many_keys(void **state) {
        AccelReport r = {};
        char line[64];

        for (int i = 0; i < ACCEL_REPORT_KEYS_MAX + 10; i++) {
                int n = snprintf(line, sizeof(line), "emulated\t/bin/t%d\twhy %d\n", i, i);
                accel_report_parse(&r, line, (size_t) n);
        }
        assert_int_equal(r.n_tools, ACCEL_REPORT_KEYS_MAX);
        assert_int_equal(r.tools[ACCEL_REPORT_KEYS_MAX - 1].n, 11); /* the last slot takes the rest */
        assert_int_equal(r.emulated, ACCEL_REPORT_KEYS_MAX + 10);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_is_driver),
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_many_keys),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
