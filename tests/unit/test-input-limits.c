/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The --limit table: every row has a name, a unit and a default within its maximum; values in each
 * unit; assignments and their errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "input-limits.h"
#include "macro.h"

static void test_table(void **state) {
        Limits l;

        limits_init(&l);
        for (LimitId id = 0; id < _LIMIT_MAX; id++) {
                const char *name = limit_to_string(id);
                assert_non_null(name);
                assert_non_null(limit_description(id));
                assert_int_equal(limit_from_string(name, strlen(name)), id);
                assert_true(limit_default(id) > 0 && limit_default(id) <= limit_max(id));
                assert_int_equal(l.value[id], limit_default(id));
                assert_non_null(strstr(limits_names(), name));
        }
        assert_int_equal(limit_from_string("layer-bytesX", 12), _LIMIT_INVALID);
        assert_null(limit_to_string(_LIMIT_MAX));
}

static void test_values(void **state) {
        static const struct {
                LimitUnit unit;
                const char *s;
                int r;
                uint64_t want;
        } rows[] = {
                { LIMIT_UNIT_BYTES, "512", 0, 512 },            { LIMIT_UNIT_BYTES, "4K", 0, 4096 },
                { LIMIT_UNIT_BYTES, "2MiB", 0, 2 << 20 },        { LIMIT_UNIT_BYTES, "8G", 0, 8ULL << 30 },
                { LIMIT_UNIT_BYTES, "1T", 0, 1ULL << 40 },       { LIMIT_UNIT_BYTES, "1k", -EINVAL, 0 },
                { LIMIT_UNIT_BYTES, "0", -ERANGE, 0 },           { LIMIT_UNIT_BYTES, "-1", -EINVAL, 0 },
                { LIMIT_UNIT_BYTES, "", -EINVAL, 0 },            { LIMIT_UNIT_BYTES, "99999999999999999999", -ERANGE, 0 },
                { LIMIT_UNIT_BYTES, "17000000T", -ERANGE, 0 },   { LIMIT_UNIT_BYTES, " 5", -EINVAL, 0 },
                { LIMIT_UNIT_COUNT, "1M", 0, 1000000 },          { LIMIT_UNIT_COUNT, "5k", 0, 5000 },
                { LIMIT_UNIT_COUNT, "5G", -EINVAL, 0 },          { LIMIT_UNIT_SECONDS, "90", 0, 90 },
                { LIMIT_UNIT_SECONDS, "10m", 0, 600 },           { LIMIT_UNIT_SECONDS, "2h", 0, 7200 },
                { LIMIT_UNIT_SECONDS, "1d", -EINVAL, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                uint64_t v = 0;
                int r = limit_parse_value(rows[i].unit, rows[i].s, UINT64_MAX, &v);
                if (r != rows[i].r || (r == 0 && v != rows[i].want))
                        fail_msg("row %zu '%s': %d %llu", i, rows[i].s, r, (unsigned long long) v);
        }
}

static void test_set(void **state) {
        char buf[32];
        Limits l;

        limits_init(&l);
        assert_int_equal(limits_set(&l, "layer-bytes=2G"), 0);
        assert_int_equal(l.value[LIMIT_LAYER_BYTES], 2ULL << 30);
        assert_int_equal(limits_set(&l, "request-seconds=5m"), 0);
        assert_int_equal(l.value[LIMIT_REQUEST_SECONDS], 300);
        assert_int_equal(limits_set(&l, "no-such=1"), -ENOENT);
        assert_string_equal(limits_set_error(-ENOENT, "no-such=1"), "unknown limit");
        assert_int_equal(limits_set(&l, "layer-bytes"), -EINVAL);
        assert_string_equal(limits_set_error(-EINVAL, "layer-bytes"), "expected NAME=VALUE");
        assert_int_equal(limits_set(&l, "path-bytes=8K"), -ERANGE); /* above PATH_MAX */
        assert_int_equal(l.value[LIMIT_PATH_BYTES], 4096);
        assert_int_equal(limits_set(&l, "layer-entries=lots"), -EINVAL);
        assert_non_null(strstr(limits_set_error(-EINVAL, "layer-entries=lots"), "count"));
        assert_string_equal(limit_format(LIMIT_UNIT_BYTES, 8ULL << 30, buf, sizeof(buf)), "8G");
        assert_string_equal(limit_format(LIMIT_UNIT_BYTES, 1000, buf, sizeof(buf)), "1000");
        assert_string_equal(limit_format(LIMIT_UNIT_SECONDS, 900, buf, sizeof(buf)), "900s");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table),
                cmocka_unit_test(test_values),
                cmocka_unit_test(test_set),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
