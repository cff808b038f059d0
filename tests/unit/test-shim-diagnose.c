/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* shim/diagnose.c: the loader table, the glibc-vs-musl and soft-vs-hard-float lines, the lines for
 * ELFs no platform describes, and the file extent used to call a file truncated. */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "../../shim/shim.h"

static const char *const *present;

static bool fake_exists(const char *path) {
        for (const char *const *p = present; p && *p; p++)
                if (streq(*p, path))
                        return true;
        return false;
}

static ElfId elf(uint16_t machine, uint8_t cls, uint8_t data, const char *interp) {
        ElfId id = { .machine = machine, .elf_class = cls, .data = data, .dynamic = interp != NULL };
        if (interp)
                snprintf(id.interp, sizeof(id.interp), "%s", interp);
        return id;
}

static void expect(const char *line, const char *substring) {
        if (!strstr(line, substring))
                fail_msg("'%s' does not contain '%s'", line, substring);
}

static void test_loader_table(void **state) {
        const ShimLoader *l = shim_loader_lookup("/lib/ld-musl-aarch64.so.1");
        assert_non_null(l);
        assert_string_equal(l->libc, "musl");
        assert_int_equal(l->machine, EM_AARCH64);
        l = shim_loader_lookup("/lib/ld-linux-armhf.so.3");
        assert_non_null(l);
        assert_string_equal(l->libc, "glibc");
        expect(l->abi, "hard-float");
        assert_null(shim_loader_lookup("/system/bin/linker64"));
}

static void test_musl_in_glibc_root(void **state) {
        static const char *const root[] = { "/lib/ld-linux-aarch64.so.1", NULL };
        ElfId id = elf(EM_AARCH64, ELFCLASS64, ELFDATA2LSB, "/lib/ld-musl-aarch64.so.1");
        char line[1024];

        present = root;
        shim_loader_explain("/app", &id, "linux/arm64", fake_exists, line, sizeof(line));
        expect(line, "/app is a musl binary for linux/arm64");
        expect(line, "this root has glibc (/lib/ld-linux-aarch64.so.1), not musl");
}

static void test_glibc_in_musl_root(void **state) {
        static const char *const root[] = { "/lib/ld-musl-aarch64.so.1", NULL };
        ElfId id = elf(EM_AARCH64, ELFCLASS64, ELFDATA2LSB, "/lib/ld-linux-aarch64.so.1");
        char line[1024];

        present = root;
        shim_loader_explain("/app", &id, "linux/arm64", fake_exists, line, sizeof(line));
        expect(line, "is a glibc binary");
        expect(line, "this root has musl (/lib/ld-musl-aarch64.so.1), not glibc");
}

static void test_armel_in_armhf_root(void **state) {
        static const char *const root[] = { "/lib/ld-linux-armhf.so.3", NULL };
        ElfId id = elf(EM_ARM, ELFCLASS32, ELFDATA2LSB, "/lib/ld-linux.so.3");
        char line[1024];

        present = root;
        shim_loader_explain("/app", &id, "linux/arm/v5", fake_exists, line, sizeof(line));
        expect(line, "glibc soft-float (armel) binary");
        expect(line, "this root is hard-float (armhf) (/lib/ld-linux-armhf.so.3)");
}

static void test_no_libc(void **state) {
        static const char *const root[] = { NULL };
        ElfId id = elf(EM_RISCV, ELFCLASS64, ELFDATA2LSB, "/lib/ld-linux-riscv64-lp64d.so.1");
        char line[1024];

        present = root;
        shim_loader_explain("/app", &id, "linux/riscv64", fake_exists, line, sizeof(line));
        expect(line, "no linux/riscv64 libc here at all");
}

static void test_unknown(void **state) {
        ElfId id = elf(EM_AARCH64, ELFCLASS64, ELFDATA2MSB, NULL);
        char line[512];

        shim_unknown_explain("/app", &id, line, sizeof(line));
        expect(line, "64-bit big-endian aarch64 binary: wrong byte order");
        id = elf(EM_X86_64, ELFCLASS32, ELFDATA2LSB, NULL);
        id.x32 = true;
        shim_unknown_explain("/app", &id, line, sizeof(line));
        expect(line, "x32");
        id = elf(EM_MIPS, ELFCLASS64, ELFDATA2LSB, NULL);
        id.mips_abi = ELF_MIPS_ABI_N32;
        shim_unknown_explain("/app", &id, line, sizeof(line));
        expect(line, "ABI n32");
        id = elf(0x1234, ELFCLASS32, ELFDATA2LSB, NULL);
        shim_unknown_explain("/app", &id, line, sizeof(line));
        expect(line, "machine 4660");
}

static void test_extent(void **state) {
        uint8_t buf[512] = {};
        Elf64_Ehdr *eh = (Elf64_Ehdr *) buf;
        Elf64_Phdr *ph = (Elf64_Phdr *) (buf + sizeof(*eh));

        memcpy(eh->e_ident, ELFMAG, SELFMAG);
        eh->e_ident[EI_CLASS] = ELFCLASS64;
        eh->e_ident[EI_DATA] = ELFDATA2LSB;
        eh->e_phoff = sizeof(*eh);
        eh->e_phentsize = sizeof(*ph);
        eh->e_phnum = 2;
        ph[0] = (Elf64_Phdr) { .p_type = PT_LOAD, .p_offset = 0, .p_filesz = 5000 };
        ph[1] = (Elf64_Phdr) { .p_type = PT_LOAD, .p_offset = 8192, .p_filesz = 100 };
        assert_int_equal(shim_elf_file_extent(buf, sizeof(buf)), 8292);
        ph[1].p_type = PT_NOTE; /* not loaded: does not count */
        assert_int_equal(shim_elf_file_extent(buf, sizeof(buf)), 5000);
        /* A table that runs past the buffer is not followed. */
        eh->e_phnum = 100;
        assert_true(shim_elf_file_extent(buf, sizeof(buf)) >= 5000);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_loader_table),
                cmocka_unit_test(test_musl_in_glibc_root),
                cmocka_unit_test(test_glibc_in_musl_root),
                cmocka_unit_test(test_armel_in_armhf_root),
                cmocka_unit_test(test_no_libc),
                cmocka_unit_test(test_unknown),
                cmocka_unit_test(test_extent),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
