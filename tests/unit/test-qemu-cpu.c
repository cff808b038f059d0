/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The per-target CPU defaults row by row, the QEMU_CPU override and unknown targets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "platform.h"
#include "qemu-cpu.h"

/* The targets scripts/build-qemu builds by default: each must have a row. */
static const char *const default_targets[] = {
        "aarch64", "arm", "riscv64", "ppc64le", "s390x", "i386", "x86_64", "mips64el", "loongarch64",
};

static void test_table_shape(void **state) {
        assert_int_equal(qemu_cpu_table_size, ELEMENTSOF(default_targets));
        for (unsigned i = 0; i < qemu_cpu_table_size; i++) {
                const QemuCpuDefault *row = &qemu_cpu_table[i];

                assert_non_null(row->qemu_target);
                assert_non_null(row->why);
                assert_true(strlen(row->why) > 0);
                if (row->cpu) {
                        /* A -cpu value is one argv word: no blanks, fits the documented bound. */
                        assert_true(strlen(row->cpu) > 0);
                        assert_true(strlen(row->cpu) < QEMU_CPU_STRING_MAX);
                        assert_null(strpbrk(row->cpu, " \t\n"));
                }
                for (unsigned j = 0; j < i; j++)
                        if (streq(qemu_cpu_table[j].qemu_target, row->qemu_target))
                                fail_msg("target %s appears twice", row->qemu_target);
        }
}

static void test_lookup_every_row(void **state) {
        for (unsigned i = 0; i < qemu_cpu_table_size; i++)
                assert_ptr_equal(qemu_cpu_lookup(qemu_cpu_table[i].qemu_target), &qemu_cpu_table[i]);
        for (size_t i = 0; i < ELEMENTSOF(default_targets); i++)
                if (!qemu_cpu_lookup(default_targets[i]))
                        fail_msg("default target %s has no row", default_targets[i]);
}

/* Every row names a linux-user target the platform table knows, so the shim can get from an ELF to a
 * row: platform table -> qemu_target -> this table. */
static void test_rows_match_platform_table(void **state) {
        for (unsigned i = 0; i < qemu_cpu_table_size; i++) {
                bool found = false;

                for (unsigned j = 0; j < platform_table_size; j++)
                        if (platform_table[j].qemu_target &&
                            streq(platform_table[j].qemu_target, qemu_cpu_table[i].qemu_target))
                                found = true;
                if (!found)
                        fail_msg("%s is not a qemu_target of the platform table", qemu_cpu_table[i].qemu_target);
        }
}

/* The measured choices (docs/qemu.md): aarch64 gets an explicit model, the others keep QEMU's. */
static void test_chosen_values(void **state) {
        assert_string_equal(qemu_cpu_arg("aarch64", NULL), qemu_cpu_lookup("aarch64")->cpu);
        assert_non_null(qemu_cpu_arg("aarch64", NULL));
        assert_null(qemu_cpu_arg("arm", NULL));
        assert_null(qemu_cpu_arg("mips64el", NULL));
        assert_null(qemu_cpu_arg("loongarch64", NULL));
}

static void test_env_overrides(void **state) {
        /* Set and non-empty: no -cpu at all, QEMU reads QEMU_CPU itself. */
        assert_null(qemu_cpu_arg("aarch64", "cortex-a53"));
        assert_null(qemu_cpu_arg("aarch64", "max"));
        /* Empty counts as unset: we pass our default, and QEMU applies -cpu after the environment,
         * so the empty value (which QEMU would reject as a model name) never reaches it. */
        assert_non_null(qemu_cpu_arg("aarch64", ""));
        assert_string_equal(qemu_cpu_arg("aarch64", ""), qemu_cpu_lookup("aarch64")->cpu);
}

static void test_unknown(void **state) {
        assert_null(qemu_cpu_lookup(NULL));
        assert_null(qemu_cpu_lookup(""));
        assert_null(qemu_cpu_lookup("arm64"));     /* a Debian name, not a QEMU target */
        assert_null(qemu_cpu_lookup("AARCH64"));   /* names are exact */
        assert_null(qemu_cpu_lookup("aarch64 "));
        assert_null(qemu_cpu_arg("sparc64", NULL));
        assert_null(qemu_cpu_arg(NULL, NULL));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table_shape),
                cmocka_unit_test(test_lookup_every_row),
                cmocka_unit_test(test_rows_match_platform_table),
                cmocka_unit_test(test_chosen_values),
                cmocka_unit_test(test_env_overrides),
                cmocka_unit_test(test_unknown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
