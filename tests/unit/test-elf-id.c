/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* lib/elf-id.[ch]: machines row by row, kinds, PT_INTERP, strings, and real files (/bin/true, the
 * Debian busyboxes of scripts/fetch-fixtures) when present. Every other ELF image is built in memory
 * (tests/unit/elf-fixture.c), in either byte order, and most tests run twice: through
 * elf_id_from_buffer() and through elf_id_from_fd(). Build-id notes and malformed headers are in
 * test-elf-id-headers.c, ARM attributes and ELF_ID_SECTIONS in test-elf-sections.c. */

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "elf-fixture.h"
#include "elf-id.h"
#include "macro.h"

/* ---- machines, row by row ------------------------------------------------------------------- */

typedef struct MachineRow {
        const char *name;
        uint8_t elf_class, data;
        uint16_t machine;
        uint32_t flags;
        ElfFloatAbi float_abi;
        ElfMipsAbi mips_abi;
        bool x32;
} MachineRow;


/* Flags are what the toolchains write: arm EABI5 + float bits, mips arch level + ABI bits +
 * noreorder/pic/cpic, ppc64 ELFv1/v2, riscv RVC + double float, loongarch base ABI lp64d. */
static const MachineRow machine_rows[] = {
        { "x86_64", C64, LSB, EM_X86_64, 0, FA_UNKNOWN, MIPS_NONE, false },
        { "x32", C32, LSB, EM_X86_64, 0, FA_UNKNOWN, MIPS_NONE, true },
        { "i386", C32, LSB, EM_386, 0, FA_UNKNOWN, MIPS_NONE, false },
        { "aarch64", C64, LSB, EM_AARCH64, 0, FA_UNKNOWN, MIPS_NONE, false },
        { "aarch64_be", C64, MSB, EM_AARCH64, 0, FA_UNKNOWN, MIPS_NONE, false },
        { "armhf", C32, LSB, EM_ARM, 0x05000400, FA_HARD, MIPS_NONE, false },
        { "armel", C32, LSB, EM_ARM, 0x05000200, FA_SOFT, MIPS_NONE, false },
        { "armeb-hard", C32, MSB, EM_ARM, 0x05000400, FA_HARD, MIPS_NONE, false },
        { "arm-eabi5-no-float-flag", C32, LSB, EM_ARM, 0x05000000, FA_UNKNOWN, MIPS_NONE, false },
        { "arm-eabi5-both-float-flags", C32, LSB, EM_ARM, 0x05000600, FA_UNKNOWN, MIPS_NONE, false },
        { "arm-eabi4-old-bits", C32, LSB, EM_ARM, 0x04000200, FA_UNKNOWN, MIPS_NONE, false },
        { "ppc64le", C64, LSB, EM_PPC64, 2, FA_UNKNOWN, MIPS_NONE, false },
        { "ppc64", C64, MSB, EM_PPC64, 1, FA_UNKNOWN, MIPS_NONE, false },
        { "s390x", C64, MSB, EM_S390, 0, FA_UNKNOWN, MIPS_NONE, false },
        { "mips-o32", C32, MSB, EM_MIPS, 0x70001007, FA_UNKNOWN, ELF_MIPS_ABI_O32, false },
        { "mipsel-o32", C32, LSB, EM_MIPS, 0x70001007, FA_UNKNOWN, ELF_MIPS_ABI_O32, false },
        { "mips-n32", C32, MSB, EM_MIPS, 0x80000027, FA_UNKNOWN, ELF_MIPS_ABI_N32, false },
        { "mipsel-n32", C32, LSB, EM_MIPS, 0x80000027, FA_UNKNOWN, ELF_MIPS_ABI_N32, false },
        { "mips64-n64", C64, MSB, EM_MIPS, 0x80000007, FA_UNKNOWN, ELF_MIPS_ABI_N64, false },
        { "mips64el-n64", C64, LSB, EM_MIPS, 0x80000007, FA_UNKNOWN, ELF_MIPS_ABI_N64, false },
        { "mips64el-abi2-bit", C64, LSB, EM_MIPS, 0x80000027, FA_UNKNOWN, ELF_MIPS_ABI_N64, false },
        { "riscv64", C64, LSB, EM_RISCV, 0x5, FA_UNKNOWN, MIPS_NONE, false },
        { "loongarch64", C64, LSB, EM_LOONGARCH, 0x43, FA_UNKNOWN, MIPS_NONE, false },
};

typedef struct MachineCase {
        const MachineRow *row;
        Via via;
} MachineCase;

static void test_machine_row(void **state) {
        const MachineCase *c = *state;
        const MachineRow *row = c->row;
        Fixture f;
        ElfId id;

        fixture_init(&f, row->elf_class, row->data, row->machine, ET_EXEC, row->flags);
        identify_ok(&f, c->via, &id);

        assert_int_equal(id.elf_class, row->elf_class);
        assert_int_equal(id.data, row->data);
        assert_int_equal(id.machine, row->machine);
        assert_int_equal(id.flags, row->flags);
        assert_int_equal(id.type, ET_EXEC);
        assert_int_equal(id.kind, ELF_KIND_EXEC);
        assert_int_equal(id.float_abi, row->float_abi);
        assert_int_equal(id.mips_abi, row->mips_abi);
        assert_int_equal(id.x32, row->x32);
        assert_int_equal(id.arm_arch, 0);
        assert_false(id.dynamic);
        assert_string_equal(id.interp, "");
        assert_int_equal(id.build_id_size, 0);
}

static void test_osabi(void **state) {
        Fixture f;
        ElfId id;

        fixture_init(&f, C64, LSB, EM_X86_64, ET_EXEC, 0);
        f.buf[EI_OSABI] = ELFOSABI_FREEBSD;
        identify_ok(&f, via_of(state), &id);
        assert_int_equal(id.osabi, ELFOSABI_FREEBSD);
}

/* ---- kinds ---------------------------------------------------------------------------------- */

static void test_kind_exec_static(void **state) {
        Fixture f;
        ElfId id;

        fixture_init(&f, C64, LSB, EM_AARCH64, ET_EXEC, 0);
        fixture_add_phdr(&f, PT_LOAD, 0, f.size, 0x10000);
        identify_ok(&f, via_of(state), &id);
        assert_int_equal(id.kind, ELF_KIND_EXEC);
        assert_false(id.dynamic);
        assert_string_equal(id.interp, "");
}

static void test_kind_exec_dynamic(void **state) {
        Fixture f;
        ElfId id;

        fixture_init(&f, C32, LSB, EM_386, ET_EXEC, 0);
        fixture_add_interp(&f, "/lib/ld-linux.so.2");
        identify_ok(&f, via_of(state), &id);
        assert_int_equal(id.kind, ELF_KIND_EXEC);
        assert_true(id.dynamic);
        assert_string_equal(id.interp, "/lib/ld-linux.so.2");
}

static void test_kind_pie(void **state) {
        Fixture f;
        ElfId id;

        fixture_init(&f, C64, MSB, EM_S390, ET_DYN, 0);
        fixture_add_interp(&f, "/lib/ld64.so.1");
        identify_ok(&f, via_of(state), &id);
        assert_int_equal(id.kind, ELF_KIND_PIE);
        assert_true(id.dynamic);
        assert_string_equal(id.interp, "/lib/ld64.so.1");
}

/* DF_1_PIE marks a static-pie even with no entry point to go by, in both classes and byte orders. */
static void test_kind_static_pie_flag(void **state) {
        static const uint64_t dyn[][2] = {
                { DT_FLAGS, DF_BIND_NOW },
                { DT_FLAGS_1, DF_1_NOW | DF_1_PIE },
        };
        static const struct {
                uint8_t elf_class, data;
                uint16_t machine;
        } shapes[] = {
                { C64, LSB, EM_X86_64 },
                { C32, MSB, EM_MIPS },
        };

        for (size_t i = 0; i < ELEMENTSOF(shapes); i++) {
                Fixture f;
                ElfId id;

                fixture_init(&f, shapes[i].elf_class, shapes[i].data, shapes[i].machine, ET_DYN, 0);
                EHDR_PUT(&f, e_entry, 0);
                fixture_add_dynamic(&f, dyn, ELEMENTSOF(dyn));
                identify_ok(&f, via_of(state), &id);
                assert_int_equal(id.kind, ELF_KIND_STATIC_PIE);
                assert_false(id.dynamic);
        }
}

/* A SONAME makes a library even with an entry point (glibc's ld.so has both). */
static void test_kind_shared_soname(void **state) {
        static const uint64_t dyn[][2] = {
                { DT_SONAME, 1 },
                { DT_FLAGS_1, DF_1_NOW },
        };
        Fixture f;
        ElfId id;

        fixture_init(&f, C64, LSB, EM_X86_64, ET_DYN, 0);
        fixture_add_dynamic(&f, dyn, ELEMENTSOF(dyn));
        identify_ok(&f, via_of(state), &id);
        assert_int_equal(id.kind, ELF_KIND_SHARED);
}

/* Neither DF_1_PIE nor DT_SONAME: the entry point decides. */
static void test_kind_entry_heuristic(void **state) {
        static const uint64_t musl_loader[][2] = {
                { DT_FLAGS, DF_BIND_NOW },
                { DT_FLAGS_1, DF_1_NOW },
        };
        Fixture f;
        ElfId id;

        fixture_init(&f, C64, LSB, EM_AARCH64, ET_DYN, 0);
        identify_ok(&f, via_of(state), &id);
        assert_int_equal(id.kind, ELF_KIND_STATIC_PIE);

        EHDR_PUT(&f, e_entry, 0);
        identify_ok(&f, via_of(state), &id);
        assert_int_equal(id.kind, ELF_KIND_SHARED);

        fixture_init(&f, C64, LSB, EM_AARCH64, ET_DYN, 0);
        fixture_add_dynamic(&f, musl_loader, ELEMENTSOF(musl_loader));
        identify_ok(&f, via_of(state), &id);
        assert_int_equal(id.kind, ELF_KIND_STATIC_PIE);
}

/* Entries after DT_NULL are not part of the array. */
static void test_kind_dynamic_ends_at_null(void **state) {
        static const uint64_t dyn[][2] = {
                { DT_FLAGS, DF_BIND_NOW },
                { DT_NULL, 0 },
                { DT_SONAME, 1 },
        };
        Fixture f;
        ElfId id;

        fixture_init(&f, C32, LSB, EM_ARM, ET_DYN, 0x05000400);
        fixture_add_dynamic(&f, dyn, ELEMENTSOF(dyn));
        identify_ok(&f, via_of(state), &id);
        assert_int_equal(id.kind, ELF_KIND_STATIC_PIE);
}

/* PT_DYNAMIC out of the file only informs a heuristic: no error, the entry point decides. */
static void test_kind_dynamic_out_of_bounds(void **state) {
        Fixture f;
        ElfId id;

        fixture_init(&f, C64, LSB, EM_X86_64, ET_DYN, 0);
        EHDR_PUT(&f, e_entry, 0);
        fixture_add_phdr(&f, PT_DYNAMIC, 0x100000, 0x200, 8);
        fixture_add_phdr(&f, PT_DYNAMIC, UINT64_MAX - 8, 0x200, 8);
        identify_ok(&f, via_of(state), &id);
        assert_int_equal(id.kind, ELF_KIND_SHARED);
}

static void test_kind_other_types(void **state) {
        static const struct {
                uint16_t type;
                ElfKind kind;
        } rows[] = {
                { ET_REL, ELF_KIND_RELOCATABLE },
                { ET_CORE, ELF_KIND_CORE },
                { ET_NONE, ELF_KIND_OTHER },
                { ET_LOOS, ELF_KIND_OTHER },
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                Fixture f;
                ElfId id;

                /* As a .o has it: no program headers, e_phentsize and e_phoff 0. */
                fixture_init(&f, C64, MSB, EM_PPC64, rows[i].type, 1);
                EHDR_PUT(&f, e_phentsize, 0);
                EHDR_PUT(&f, e_phoff, 0);
                identify_ok(&f, via_of(state), &id);
                assert_int_equal(id.type, rows[i].type);
                assert_int_equal(id.kind, rows[i].kind);
        }
}

/* ---- PT_INTERP ------------------------------------------------------------------------------ */

static void test_interp_first_wins(void **state) {
        Fixture f;
        ElfId id;

        fixture_init(&f, C64, LSB, EM_RISCV, ET_DYN, 5);
        fixture_add_interp(&f, "/lib/ld-linux-riscv64-lp64d.so.1");
        fixture_add_interp(&f, "/lib/other.so");
        identify_ok(&f, via_of(state), &id);
        assert_string_equal(id.interp, "/lib/ld-linux-riscv64-lp64d.so.1");
}

/* The kernel only requires the last byte to be NUL; the path ends at the first. */
static void test_interp_embedded_nul(void **state) {
        static const char interp[] = "/lib/ld.so\0junk";
        Fixture f;
        ElfId id;

        fixture_init(&f, C32, MSB, EM_MIPS, ET_DYN, 0x70001007);
        fixture_add_segment(&f, PT_INTERP, interp, sizeof(interp), 1);
        identify_ok(&f, via_of(state), &id);
        assert_string_equal(id.interp, "/lib/ld.so");
}

static void test_interp_sizes(void **state) {
        char path[ELF_INTERP_MAX + 1];
        Fixture f;
        ElfId id;

        /* 2..ELF_INTERP_MAX bytes, NUL included, as the kernel takes it. */
        memset(path, 'a', sizeof(path));
        path[0] = '/';
        path[ELF_INTERP_MAX - 1] = '\0';
        fixture_init(&f, C64, LSB, EM_X86_64, ET_DYN, 0);
        fixture_add_segment(&f, PT_INTERP, path, ELF_INTERP_MAX, 1);
        identify_ok(&f, via_of(state), &id);
        assert_int_equal(strlen(id.interp), ELF_INTERP_MAX - 1);
        assert_memory_equal(id.interp, path, ELF_INTERP_MAX);

        path[ELF_INTERP_MAX] = '\0';
        fixture_init(&f, C64, LSB, EM_X86_64, ET_DYN, 0);
        fixture_add_segment(&f, PT_INTERP, path, ELF_INTERP_MAX + 1, 1);
        expect_error(&f, via_of(state), -EBADMSG);

        fixture_init(&f, C64, LSB, EM_X86_64, ET_DYN, 0);
        fixture_add_segment(&f, PT_INTERP, "/", 2, 1);
        identify_ok(&f, via_of(state), &id);
        assert_string_equal(id.interp, "/");

        fixture_init(&f, C64, LSB, EM_X86_64, ET_DYN, 0);
        fixture_add_segment(&f, PT_INTERP, "", 1, 1);
        expect_error(&f, via_of(state), -EBADMSG);

        fixture_init(&f, C64, LSB, EM_X86_64, ET_DYN, 0);
        fixture_add_segment(&f, PT_INTERP, "", 0, 1);
        expect_error(&f, via_of(state), -EBADMSG);
}

static void test_interp_not_nul_terminated(void **state) {
        Fixture f;

        fixture_init(&f, C64, LSB, EM_X86_64, ET_DYN, 0);
        fixture_add_segment(&f, PT_INTERP, "/lib64/ld-linux-x86-64.so.2", strlen("/lib64/ld-linux-x86-64.so.2"), 1);
        expect_error(&f, via_of(state), -EBADMSG);
}

/* Past the end: a buffer may be a prefix of the file, so the interp is just not known; a file is
 * whole, and the kernel could not read it either. */
static void test_interp_out_of_bounds(void **state) {
        Via via = via_of(state);
        Fixture f;
        ElfId id;

        fixture_init(&f, C64, LSB, EM_X86_64, ET_DYN, 0);
        fixture_add_phdr(&f, PT_INTERP, f.size + 0x1000, 28, 1);
        if (via == VIA_BUFFER) {
                identify_ok(&f, via, &id);
                assert_true(id.dynamic);
                assert_string_equal(id.interp, "");
                assert_int_equal(id.kind, ELF_KIND_PIE);
        } else
                expect_error(&f, via, -EBADMSG);

        /* Straddling the end by one byte. */
        fixture_init(&f, C32, MSB, EM_PPC, ET_EXEC, 0);
        fixture_add_interp(&f, "/lib/ld.so.1");
        f.size--;
        if (via == VIA_BUFFER) {
                identify_ok(&f, via, &id);
                assert_true(id.dynamic);
                assert_string_equal(id.interp, "");
        } else
                expect_error(&f, via, -EBADMSG);
}

/* An offset + size that wraps around cannot be in any file or buffer. */
static void test_interp_offset_overflow(void **state) {
        Fixture f;

        fixture_init(&f, C64, LSB, EM_X86_64, ET_DYN, 0);
        fixture_add_phdr(&f, PT_INTERP, UINT64_MAX - 8, 28, 1);
        expect_error(&f, via_of(state), -EBADMSG);
}

/* A buffer holding the headers only: what the shim may have read. */
static void test_buffer_prefix(void **state) {
        Bytes notes = {};
        Fixture f;
        ElfId id;
        size_t headers;

        fixture_init(&f, C64, LSB, EM_AARCH64, ET_DYN, 0);
        headers = f.size;
        fixture_add_interp(&f, "/lib/ld-linux-aarch64.so.1");
        bytes_note_build_id(&notes, f.data, 4, build_id_20, sizeof(build_id_20));
        fixture_add_segment(&f, PT_NOTE, notes.b, notes.n, 4);

        assert_int_equal(identify_bytes(f.buf, headers, VIA_BUFFER, 0, &id), 0);
        assert_int_equal(id.kind, ELF_KIND_PIE);
        assert_true(id.dynamic);
        assert_string_equal(id.interp, "");
        assert_int_equal(id.build_id_size, 0);

        /* And the same file whole. */
        identify_ok(&f, VIA_BUFFER, &id);
        assert_string_equal(id.interp, "/lib/ld-linux-aarch64.so.1");
        assert_int_equal(id.build_id_size, sizeof(build_id_20));
}

/* ---- strings -------------------------------------------------------------------------------- */

static void test_to_string(void **state) {
        static const char *const kinds[] = { "exec", "pie", "static-pie", "shared", "relocatable", "core", "other" };
        static const char *const mips[] = { "none", "o32", "n32", "n64" };
        static const char *const floats[] = { "unknown", "soft", "hard" };

        assert_int_equal(ELEMENTSOF(kinds), _ELF_KIND_MAX);
        for (int i = 0; i < _ELF_KIND_MAX; i++)
                assert_string_equal(elf_kind_to_string(i), kinds[i]);
        assert_int_equal(ELEMENTSOF(mips), _ELF_MIPS_ABI_MAX);
        for (int i = 0; i < _ELF_MIPS_ABI_MAX; i++)
                assert_string_equal(elf_mips_abi_to_string(i), mips[i]);
        assert_int_equal(ELEMENTSOF(floats), _ELF_FLOAT_ABI_MAX);
        for (int i = 0; i < _ELF_FLOAT_ABI_MAX; i++)
                assert_string_equal(elf_float_abi_to_string(i), floats[i]);

        assert_null(elf_kind_to_string(_ELF_KIND_MAX));
        assert_null(elf_kind_to_string(_ELF_KIND_INVALID));
        assert_null(elf_mips_abi_to_string(_ELF_MIPS_ABI_MAX));
        assert_null(elf_mips_abi_to_string(-1));
        assert_null(elf_float_abi_to_string(_ELF_FLOAT_ABI_MAX));
        assert_null(elf_float_abi_to_string(-1));
}

/* ---- real files ----------------------------------------------------------------------------- */

typedef struct RealRow {
        const char *path; /* absolute, or relative to $ARCHWAY_FIXTURES */
        uint16_t machine;
        uint8_t elf_class, data;
        ElfKind kind;
        const char *interp;
        ElfFloatAbi float_abi;
        unsigned arm_arch;
        ElfMipsAbi mips_abi;
} RealRow;

/* What scripts/fetch-fixtures brings from Debian. Properties of the architecture, not the version. */
static const RealRow real_rows[] = {
        { "busybox-armel", EM_ARM, C32, LSB, ELF_KIND_EXEC, "", FA_SOFT, 5, MIPS_NONE },
        { "busybox-armhf", EM_ARM, C32, LSB, ELF_KIND_EXEC, "", FA_HARD, 7, MIPS_NONE },
        { "busybox-arm64", EM_AARCH64, C64, LSB, ELF_KIND_EXEC, "", FA_UNKNOWN, 0, MIPS_NONE },
        { "busybox-i386", EM_386, C32, LSB, ELF_KIND_EXEC, "", FA_UNKNOWN, 0, MIPS_NONE },
        { "busybox-mips64el", EM_MIPS, C64, LSB, ELF_KIND_EXEC, "", FA_UNKNOWN, 0, ELF_MIPS_ABI_N64 },
        { "busybox-ppc64el", EM_PPC64, C64, LSB, ELF_KIND_EXEC, "", FA_UNKNOWN, 0, MIPS_NONE },
        { "busybox-s390x", EM_S390, C64, MSB, ELF_KIND_EXEC, "", FA_UNKNOWN, 0, MIPS_NONE },
        { "arm64-dyn/usr/bin/hello", EM_AARCH64, C64, LSB, ELF_KIND_PIE, "/lib/ld-linux-aarch64.so.1", FA_UNKNOWN, 0,
          MIPS_NONE },
        { "arm64-dyn/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1", EM_AARCH64, C64, LSB, ELF_KIND_SHARED, "",
          FA_UNKNOWN, 0, MIPS_NONE },
};

static const RealRow bin_true_row = {
        "/bin/true", EM_X86_64, C64, LSB, ELF_KIND_PIE, "/lib64/ld-linux-x86-64.so.2", FA_UNKNOWN, 0, MIPS_NONE,
};

static void read_all(int fd, uint8_t **ret, size_t *ret_size) {
        struct stat st;
        uint8_t *buf;
        size_t n = 0;

        assert_int_equal(fstat(fd, &st), 0);
        buf = malloc((size_t) st.st_size);
        assert_non_null(buf);
        while (n < (size_t) st.st_size) {
                ssize_t k = pread(fd, buf + n, (size_t) st.st_size - n, (off_t) n);
                assert_true(k > 0);
                n += (size_t) k;
        }
        *ret = buf;
        *ret_size = n;
}

/* Open a real file, or return -ENOENT having said why it will be skipped. Separate from the checks so
 * that nothing allocated is left behind when skip() jumps out of the test. */
static int real_file_open(const RealRow *row) {
        _cleanup_free_ char *path = NULL;
        const char *dir = getenv("ARCHWAY_FIXTURES") ?: "/var/cache/archway/fixtures";
        int fd;

        if (row->path[0] == '/')
                path = strdup(row->path);
        else if (asprintf(&path, "%s/%s", dir, row->path) < 0)
                path = NULL;
        assert_non_null(path);

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT) {
                print_message("%s missing (run scripts/fetch-fixtures), skipping\n", path);
                return -ENOENT;
        }
        assert_true(fd >= 0);
        return fd;
}

/* fd with sections as the row says; the buffer path agrees with the fd path on the whole file. */
static void check_real_file(const RealRow *row) {
        _cleanup_free_ uint8_t *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        ElfId id, plain, from_buffer;
        size_t size;

        fd = real_file_open(row);
        if (fd == -ENOENT)
                skip();

        assert_int_equal(elf_id_from_fd(fd, ELF_ID_SECTIONS, &id), 0);
        assert_int_equal(id.machine, row->machine);
        assert_int_equal(id.elf_class, row->elf_class);
        assert_int_equal(id.data, row->data);
        assert_int_equal(id.kind, row->kind);
        assert_int_equal(id.dynamic, row->interp[0] != '\0');
        assert_string_equal(id.interp, row->interp);
        assert_int_equal(id.float_abi, row->float_abi);
        assert_int_equal(id.arm_arch, row->arm_arch);
        assert_int_equal(id.mips_abi, row->mips_abi);
        assert_false(id.x32);
        assert_int_equal(id.build_id_size, 20); /* Debian links everything with a sha1 build-id */

        assert_int_equal(elf_id_from_fd(fd, 0, &plain), 0);
        read_all(fd, &buf, &size);
        assert_int_equal(elf_id_from_buffer(buf, size, &from_buffer), 0);
        assert_elf_id_equal(&from_buffer, &plain);
        assert_memory_equal(plain.build_id, id.build_id, 20);
}

static void test_real_row(void **state) {
        check_real_file(*state);
}

static void test_bin_true(void **state) {
#if defined(__x86_64__)
        check_real_file(&bin_true_row);
#else
        print_message("/bin/true is checked on x86_64 hosts only, skipping\n");
        skip();
#endif
}

/* ---- main ----------------------------------------------------------------------------------- */

#define MACHINE_TESTS (_VIA_MAX * ELEMENTSOF(machine_rows))

static const struct CMUnitTest fixed_tests[] = {
        TEST_BOTH(test_osabi),
        TEST_BOTH(test_kind_exec_static),
        TEST_BOTH(test_kind_exec_dynamic),
        TEST_BOTH(test_kind_pie),
        TEST_BOTH(test_kind_static_pie_flag),
        TEST_BOTH(test_kind_shared_soname),
        TEST_BOTH(test_kind_entry_heuristic),
        TEST_BOTH(test_kind_dynamic_ends_at_null),
        TEST_BOTH(test_kind_dynamic_out_of_bounds),
        TEST_BOTH(test_kind_other_types),
        TEST_BOTH(test_interp_first_wins),
        TEST_BOTH(test_interp_embedded_nul),
        TEST_BOTH(test_interp_sizes),
        TEST_BOTH(test_interp_not_nul_terminated),
        TEST_BOTH(test_interp_out_of_bounds),
        TEST_BOTH(test_interp_offset_overflow),
        cmocka_unit_test(test_buffer_prefix),
        cmocka_unit_test(test_to_string),
        cmocka_unit_test(test_bin_true),
};

int main(void) {
        /* One test per table row, named after it, so a failure says which row. */
        struct CMUnitTest tests[ELEMENTSOF(fixed_tests) + MACHINE_TESTS + ELEMENTSOF(real_rows)];
        MachineCase cases[MACHINE_TESTS];
        char names[MACHINE_TESTS + ELEMENTSOF(real_rows)][96];
        size_t n = 0, k = 0;

        for (size_t i = 0; i < ELEMENTSOF(fixed_tests); i++)
                tests[n++] = fixed_tests[i];
        for (size_t i = 0; i < ELEMENTSOF(machine_rows); i++)
                for (Via v = 0; v < _VIA_MAX; v++, k++) {
                        cases[k] = (MachineCase) { &machine_rows[i], v };
                        snprintf(names[k], sizeof(names[k]), "machine/%s/%s", machine_rows[i].name, via_names[v]);
                        tests[n++] = (struct CMUnitTest) { .name = names[k], .test_func = test_machine_row,
                                                           .initial_state = &cases[k] };
                }
        for (size_t i = 0; i < ELEMENTSOF(real_rows); i++, k++) {
                snprintf(names[k], sizeof(names[k]), "fixture/%s", real_rows[i].path);
                tests[n++] = (struct CMUnitTest) { .name = names[k], .test_func = test_real_row,
                                                   .initial_state = (void *) &real_rows[i] };
        }

        return cmocka_run_group_tests(tests, NULL, NULL);
}
