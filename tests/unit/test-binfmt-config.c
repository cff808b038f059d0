/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* binfmt/config.c: the configuration language and architecture names as users write them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "../../binfmt/binfmt.h"
#include "macro.h"

static int parse(const char *text, Settings *s, unsigned *line) {
        settings_init(s);
        return config_parse(text, strlen(text), s, line);
}

static void test_config_full(void **state) {
        static const char text[] =
                "# archway binfmt\n"
                "binfmt-dir = /run/binfmt   # a private instance\n"
                "emulator = debian\n"
                "qemu-dir = /opt/qemu/bin\n"
                "flags = F\n"
                "arch = arm64 riscv64\n"
                "arch = linux/386 flags=FC\n"
                "\n";
        Settings s;
        unsigned line = 0;

        assert_int_equal(parse(text, &s, &line), 0);
        assert_string_equal(s.binfmt_dir, "/run/binfmt");
        assert_int_equal(s.emulator, EMULATOR_DEBIAN);
        assert_string_equal(s.qemu_dir, "/opt/qemu/bin");
        assert_true(s.flags_set);
        assert_int_equal(s.flags, BINFMT_FIX_BINARY);
        assert_true(s.have_arches);
        assert_int_equal(s.n_arches, 4); /* aarch64, riscv64, i386, i486 */
        assert_string_equal(s.arches[0].target->name, "aarch64");
        assert_false(s.arches[0].flags_set);
        assert_string_equal(s.arches[2].target->name, "i386");
        assert_true(s.arches[2].flags_set);
        assert_int_equal(s.arches[2].flags, BINFMT_FIX_BINARY | BINFMT_CREDENTIALS | BINFMT_OPEN_BINARY);
}

static void test_config_errors_name_the_line(void **state) {
        static const struct {
                const char *text;
                unsigned line;
        } bad[] = {
                { "emulator = qemu-user\n", 1 },
                { "# ok\nflags = FX\n", 2 },
                { "\n\narch = vax\n", 3 },
                { "arch =\n", 1 },
                { "binfmt-dir = relative/path\n", 1 },
                { "no equals sign\n", 1 },
                { "colour = blue\n", 1 },
                { "arch = all\n", 1 },
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                Settings s;
                unsigned line = 0;

                assert_int_equal(parse(bad[i].text, &s, &line), -EINVAL);
                assert_int_equal(line, bad[i].line);
        }
}

static void test_arch_names(void **state) {
        static const struct {
                const char *name;
                const char *first;
                int n;
        } names[] = {
                { "arm64", "aarch64", 1 },           { "linux/arm64", "aarch64", 1 },
                { "aarch64", "aarch64", 1 },         { "qemu-aarch64", "aarch64", 1 },
                { "linux/arm/v7", "arm", 1 },        { "armhf", "arm", 1 },
                { "linux/386", "i386", 2 },          { "amd64", "x86_64", 1 },
                { "ppc64el", "ppc64le", 1 },         { "mips64le", "mips64el", 1 },
                { "loong64", "loongarch64", 1 },     { "riscv64", "riscv64", 1 },
                { "hexagon", "hexagon", 1 },         { "s390x", "s390x", 1 },
        };

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                const BinfmtTarget *t[8];
                int n = arch_resolve(names[i].name, t, ELEMENTSOF(t));

                if (n != names[i].n || !streq(t[0]->name, names[i].first))
                        fail_msg("%s -> %d %s", names[i].name, n, n > 0 ? t[0]->name : "");
        }
        {
                const BinfmtTarget *t[8];

                assert_int_equal(arch_resolve("vax", t, ELEMENTSOF(t)), -EINVAL);
                assert_int_equal(arch_resolve("linux/arm64/v99", t, ELEMENTSOF(t)), -EINVAL);
        }
}

static void test_enum_strings(void **state) {
        /* emulator = qemu is auto's synonym for binfmt (the modes are archbuild's too). */
        for (int k = 0; k < _EMULATOR_MODE_MAX; k++)
                assert_int_equal(emulator_mode_from_string(emulator_mode_to_string((EmulatorMode) k)), k);
        assert_int_equal(emulator_mode_from_string("qemu-user"), _EMULATOR_MODE_INVALID);
        assert_string_equal(emulator_source_to_string(SOURCE_FOREIGN), "foreign");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_config_full),
                cmocka_unit_test(test_config_errors_name_the_line),
                cmocka_unit_test(test_arch_names),
                cmocka_unit_test(test_enum_strings),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
