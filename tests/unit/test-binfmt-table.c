/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/binfmt-table: every row against ELF headers built for its architecture (ET_EXEC and ET_DYN, OS
 * ABI SYSV and GNU/Linux), no row matching another architecture's header, the generated probe
 * programs matched by their own row only, and no registrable row matching the host's own programs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "binfmt-probes.h"
#include "binfmt-table.h"
#include "macro.h"

#define EM_486 6
#define EM_ALPHA_LINUX 0x9026 /* what Linux/alpha binaries carry */

/* What a real program of each row's architecture looks like: independent of the table's bytes (from
 * the ELF psABI documents and binutils' defaults). */
static const struct {
        const char *row;
        uint8_t elf_class, data;
        uint16_t machine;
        uint32_t flags;
} arches[] = {
        { "i386", ELFCLASS32, ELFDATA2LSB, EM_386, 0 },
        { "i486", ELFCLASS32, ELFDATA2LSB, EM_486, 0 },
        { "alpha", ELFCLASS64, ELFDATA2LSB, EM_ALPHA_LINUX, 0 },
        { "arm", ELFCLASS32, ELFDATA2LSB, EM_ARM, 0x05000400 /* EABI5, hard float */ },
        { "armeb", ELFCLASS32, ELFDATA2MSB, EM_ARM, 0x05800000 /* EABI5, BE8 */ },
        { "sparc", ELFCLASS32, ELFDATA2MSB, EM_SPARC, 0 },
        { "sparc32plus", ELFCLASS32, ELFDATA2MSB, EM_SPARC32PLUS, 0x100 },
        { "sparc64", ELFCLASS64, ELFDATA2MSB, EM_SPARCV9, 0 },
        { "ppc", ELFCLASS32, ELFDATA2MSB, EM_PPC, 0 },
        { "ppc64", ELFCLASS64, ELFDATA2MSB, EM_PPC64, 1 },
        { "ppc64le", ELFCLASS64, ELFDATA2LSB, EM_PPC64, 2 },
        { "m68k", ELFCLASS32, ELFDATA2MSB, EM_68K, 0 },
        { "mips", ELFCLASS32, ELFDATA2MSB, EM_MIPS, 0x70001007 /* 32r2, o32, pic, cpic, noreorder */ },
        { "mipsel", ELFCLASS32, ELFDATA2LSB, EM_MIPS, 0x70001007 },
        { "mipsn32", ELFCLASS32, ELFDATA2MSB, EM_MIPS, 0x80000027 /* 64r2, ABI2 */ },
        { "mipsn32el", ELFCLASS32, ELFDATA2LSB, EM_MIPS, 0x80000027 },
        { "mips64", ELFCLASS64, ELFDATA2MSB, EM_MIPS, 0x80000007 },
        { "mips64el", ELFCLASS64, ELFDATA2LSB, EM_MIPS, 0x80000007 },
        { "sh4", ELFCLASS32, ELFDATA2LSB, EM_SH, 0x9 },
        { "sh4eb", ELFCLASS32, ELFDATA2MSB, EM_SH, 0x9 },
        { "s390x", ELFCLASS64, ELFDATA2MSB, EM_S390, 0 },
        { "aarch64", ELFCLASS64, ELFDATA2LSB, EM_AARCH64, 0 },
        { "aarch64_be", ELFCLASS64, ELFDATA2MSB, EM_AARCH64, 0 },
        { "hppa", ELFCLASS32, ELFDATA2MSB, EM_PARISC, 0x210 },
        { "riscv32", ELFCLASS32, ELFDATA2LSB, EM_RISCV, 0x5 },
        { "riscv64", ELFCLASS64, ELFDATA2LSB, EM_RISCV, 0x5 },
        { "xtensa", ELFCLASS32, ELFDATA2LSB, EM_XTENSA, 0x300 },
        { "xtensaeb", ELFCLASS32, ELFDATA2MSB, EM_XTENSA, 0x300 },
        { "microblaze", ELFCLASS32, ELFDATA2MSB, EM_MICROBLAZE, 0 },
        { "microblazeel", ELFCLASS32, ELFDATA2LSB, EM_MICROBLAZE, 0 },
        { "or1k", ELFCLASS32, ELFDATA2MSB, EM_OPENRISC, 0 },
        { "x86_64", ELFCLASS64, ELFDATA2LSB, EM_X86_64, 0 },
        { "hexagon", ELFCLASS32, ELFDATA2LSB, EM_QDSP6, 0x67 },
        { "loongarch64", ELFCLASS64, ELFDATA2LSB, EM_LOONGARCH, 0x43 },
};

static void put(uint8_t *p, uint64_t v, unsigned n, uint8_t data) {
        for (unsigned i = 0; i < n; i++)
                p[data == ELFDATA2LSB ? i : n - 1 - i] = (uint8_t) (v >> (8 * i));
}

/* The first bytes of an ELF file as the kernel's bprm->buf holds them. */
static void build_header(size_t a, uint16_t type, uint8_t osabi, uint8_t out[static 64]) {
        uint8_t d = arches[a].data;
        size_t flags_at = arches[a].elf_class == ELFCLASS64 ? 48 : 36;

        memset(out, 0, 64);
        memcpy(out, ELFMAG, SELFMAG);
        out[EI_CLASS] = arches[a].elf_class;
        out[EI_DATA] = d;
        out[EI_VERSION] = EV_CURRENT;
        out[EI_OSABI] = osabi;
        put(out + 16, type, 2, d);
        put(out + 18, arches[a].machine, 2, d);
        put(out + 20, EV_CURRENT, 4, d);
        put(out + 24, 0x10000, arches[a].elf_class == ELFCLASS64 ? 8 : 4, d);
        put(out + flags_at, arches[a].flags, 4, d);
}

static BinfmtEntry entry_of(const BinfmtTarget *t) {
        BinfmtEntry e;

        assert_int_equal(binfmt_target_to_entry(t, "/usr/bin/qemu-test", BINFMT_FIX_BINARY, &e), 0);
        return e;
}

static void test_table_has_every_qemu_target(void **state) {
        assert_int_equal(binfmt_target_table_size, 34);
        assert_int_equal(ELEMENTSOF(arches), binfmt_target_table_size);
        for (size_t i = 0; i < binfmt_target_table_size; i++) {
                BinfmtEntry e = entry_of(&binfmt_target_table[i]);

                assert_non_null(binfmt_target_lookup(binfmt_target_table[i].name));
                assert_true(e.size >= 20 && e.size <= 40);
                assert_true(e.has_mask);
        }
        assert_ptr_equal(binfmt_target_lookup("qemu-aarch64"), binfmt_target_lookup("aarch64"));
        assert_null(binfmt_target_lookup("arm64"));
}

/* Each architecture's header, EXEC and DYN (PIE), SYSV and GNU OS ABI, is matched by its row only. */
static void test_each_row_matches_its_arch_only(void **state) {
        static const uint16_t types[] = { ET_EXEC, ET_DYN };
        static const uint8_t osabis[] = { ELFOSABI_SYSV, ELFOSABI_GNU };

        for (size_t a = 0; a < ELEMENTSOF(arches); a++)
                for (size_t ti = 0; ti < ELEMENTSOF(types); ti++)
                        for (size_t oi = 0; oi < ELEMENTSOF(osabis); oi++) {
                                uint8_t h[64];

                                build_header(a, types[ti], osabis[oi], h);
                                for (size_t r = 0; r < binfmt_target_table_size; r++) {
                                        BinfmtEntry e = entry_of(&binfmt_target_table[r]);
                                        bool want = streq(binfmt_target_table[r].name, arches[a].row);

                                        if (binfmt_entry_matches(&e, h, sizeof(h), NULL) != want)
                                                fail_msg("row %s %s header of %s (type %u, osabi %u)",
                                                         binfmt_target_table[r].name, want ? "misses" : "matches",
                                                         arches[a].row, types[ti], osabis[oi]);
                                }
                        }
}

/* Relocatable objects and core files are not programs: no row takes them. */
static void test_rows_ignore_rel_and_core(void **state) {
        for (size_t a = 0; a < ELEMENTSOF(arches); a++) {
                uint8_t rel[64], core[64];
                BinfmtEntry e = entry_of(binfmt_target_lookup(arches[a].row));

                build_header(a, ET_REL, 0, rel);
                build_header(a, ET_CORE, 0, core);
                assert_false(binfmt_entry_matches(&e, rel, sizeof(rel), NULL));
                assert_false(binfmt_entry_matches(&e, core, sizeof(core), NULL));
        }
}

static void test_probes_match_their_row_only(void **state) {
        assert_int_equal(ELEMENTSOF(binfmt_probes), binfmt_target_table_size);
        for (size_t p = 0; p < ELEMENTSOF(binfmt_probes); p++)
                for (size_t r = 0; r < binfmt_target_table_size; r++) {
                        BinfmtEntry e = entry_of(&binfmt_target_table[r]);
                        bool want = streq(binfmt_target_table[r].name, binfmt_probes[p].name);

                        if (binfmt_entry_matches(&e, binfmt_probes[p].elf, binfmt_probes[p].size, NULL) != want)
                                fail_msg("row %s vs probe %s", binfmt_target_table[r].name, binfmt_probes[p].name);
                }
}

/* No row this host would register matches a program of the host: this test binary itself. */
static void test_no_registrable_row_matches_host(void **state) {
        uint8_t head[BINFMT_BUF_SIZE] = {};
        struct utsname u;
        ssize_t n;
        int fd;

        assert_int_equal(uname(&u), 0);
        fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        n = read(fd, head, sizeof(head));
        close(fd);
        assert_true(n >= 64);
        for (size_t r = 0; r < binfmt_target_table_size; r++) {
                const BinfmtTarget *t = &binfmt_target_table[r];
                BinfmtEntry e = entry_of(t);

                if (!binfmt_target_is_native(t, u.machine, false))
                        assert_false(binfmt_entry_matches(&e, head, (size_t) n, NULL));
        }
}

static void test_native_rules(void **state) {
        const BinfmtTarget *i386 = binfmt_target_lookup("i386"), *x86_64 = binfmt_target_lookup("x86_64"),
                           *arm = binfmt_target_lookup("arm"), *aarch64 = binfmt_target_lookup("aarch64");

        assert_true(binfmt_target_is_native(x86_64, "x86_64", false));
        assert_true(binfmt_target_is_native(x86_64, "x86_64", true)); /* never, even forced */
        assert_true(binfmt_target_is_native(i386, "x86_64", false));
        assert_false(binfmt_target_is_native(i386, "x86_64", true));  /* --force: i386 on purpose */
        assert_true(binfmt_target_is_native(binfmt_target_lookup("i486"), "i686", false));
        assert_false(binfmt_target_is_native(aarch64, "x86_64", false));
        assert_true(binfmt_target_is_native(arm, "aarch64", false));
        assert_true(binfmt_target_is_native(arm, "armv7l", true));
        assert_false(binfmt_target_is_native(binfmt_target_lookup("armeb"), "aarch64", false));
        assert_string_equal(binfmt_family_of("ppc64le"), "ppcle");
        assert_string_equal(binfmt_family_of("armv7l"), "arm");
        assert_null(binfmt_family_of("vax"));
}

static void test_deviations_documented(void **state) {
        size_t n = 0;

        for (size_t r = 0; r < binfmt_target_table_size; r++)
                n += binfmt_target_table[r].deviation != NULL;
        assert_int_equal(n, 3); /* ppc64le, microblaze, microblazeel: see docs/binfmt.md */
        assert_non_null(binfmt_target_lookup("ppc64le")->deviation);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table_has_every_qemu_target),
                cmocka_unit_test(test_each_row_matches_its_arch_only),
                cmocka_unit_test(test_rows_ignore_rel_and_core),
                cmocka_unit_test(test_probes_match_their_row_only),
                cmocka_unit_test(test_no_registrable_row_matches_host),
                cmocka_unit_test(test_native_rules),
                cmocka_unit_test(test_deviations_documented),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
