/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* lib/elf-id.[ch] and lib/elf-sections.c. Every ELF image is built in memory by the fixture helpers
 * below, in either byte order, and most tests run twice: through elf_id_from_buffer() on an exact-size
 * heap copy (so ASan catches any read past the end) and through elf_id_from_fd() on a memfd. Real
 * files (/bin/true, the Debian busyboxes of scripts/fetch-fixtures) are checked when present. */

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

#include "elf-id.h"
#include "macro.h"

/* Room for a header, 512 program headers and payloads. */
#define FIXTURE_MAX (40 * 1024)
/* Program header slots reserved right after the ELF header by fixture_init(). */
#define PHDR_SLOTS 8
#define FIXTURE_ENTRY 0x401000

typedef enum Via {
        VIA_BUFFER,
        VIA_FD,
        _VIA_MAX,
} Via;

static const char *const via_names[_VIA_MAX] = { "buffer", "fd" };
static Via vias[_VIA_MAX] = { VIA_BUFFER, VIA_FD };

/* An ELF image under construction: integers are stored in the image's byte order. */
typedef struct Fixture {
        uint8_t elf_class, data;
        size_t size;
        unsigned phnum;
        uint8_t buf[FIXTURE_MAX];
} Fixture;

/* A byte string under construction (notes, dynamic arrays, attribute sections). */
typedef struct Bytes {
        size_t n;
        uint8_t b[2048];
} Bytes;

static size_t align_up(size_t v, size_t a) {
        return (v + a - 1) / a * a;
}

static void store_uint(uint8_t *p, uint64_t v, size_t n, uint8_t data) {
        for (size_t i = 0; i < n; i++)
                p[i] = (uint8_t) (v >> (8 * (data == ELFDATA2LSB ? i : n - 1 - i)));
}

/* ---- Bytes ---------------------------------------------------------------------------------- */

static void bytes_put(Bytes *b, const void *p, size_t n) {
        assert_true(n <= sizeof(b->b) - b->n);
        memcpy(b->b + b->n, p, n);
        b->n += n;
}

static void bytes_uint(Bytes *b, uint64_t v, size_t n, uint8_t data) {
        assert_true(n <= sizeof(b->b) - b->n);
        store_uint(b->b + b->n, v, n, data);
        b->n += n;
}

static void bytes_pad(Bytes *b, size_t align) {
        while (b->n % align)
                bytes_put(b, "", 1);
}

static void bytes_uleb(Bytes *b, uint64_t v) {
        do {
                uint8_t byte = v & 0x7f;
                v >>= 7;
                if (v)
                        byte |= 0x80;
                bytes_put(b, &byte, 1);
        } while (v);
}

static void bytes_str(Bytes *b, const char *s) {
        bytes_put(b, s, strlen(s) + 1);
}

/* Reserve a 4-byte length at the current end; bytes_len_end() fills in the bytes since start. */
static size_t bytes_len_begin(Bytes *b, uint8_t data) {
        size_t at = b->n;

        bytes_uint(b, 0, 4, data);
        return at;
}

static void bytes_len_end(Bytes *b, size_t at, size_t start, uint8_t data) {
        store_uint(b->b + at, b->n - start, 4, data);
}

/* One note: header, name, descriptor, each padded to align from the segment start. */
static void bytes_note(Bytes *b, uint8_t data, size_t align, uint32_t type, const void *name, uint32_t namesz,
                       const void *desc, uint32_t descsz) {
        bytes_uint(b, namesz, 4, data);
        bytes_uint(b, descsz, 4, data);
        bytes_uint(b, type, 4, data);
        bytes_put(b, name, namesz);
        bytes_pad(b, align);
        bytes_put(b, desc, descsz);
        bytes_pad(b, align);
}

static const uint8_t build_id_20[20] = {
        0xc8, 0x91, 0x56, 0xeb, 0xda, 0xbf, 0x85, 0x9f, 0x4e, 0xe7,
        0x0c, 0xb0, 0xc3, 0x03, 0x00, 0x4d, 0xcc, 0xf1, 0xae, 0x51,
};

static void bytes_note_build_id(Bytes *b, uint8_t data, size_t align, const void *id, uint32_t size) {
        bytes_note(b, data, align, NT_GNU_BUILD_ID, "GNU", 4, id, size);
}

/* ---- Fixture -------------------------------------------------------------------------------- */

static void put(Fixture *f, size_t off, uint64_t v, size_t n) {
        assert_true(off + n <= sizeof(f->buf));
        store_uint(f->buf + off, v, n, f->data);
        if (off + n > f->size)
                f->size = off + n;
}

/* Store a struct field at its <elf.h> offset and size for the fixture's class. */
#define STRUCT_PUT(f, base, T32, T64, field, v)                                                          \
        ((f)->elf_class == ELFCLASS64                                                                    \
                 ? put((f), (base) + offsetof(T64, field), (v), sizeof(((T64 *) 0)->field))              \
                 : put((f), (base) + offsetof(T32, field), (v), sizeof(((T32 *) 0)->field)))
#define EHDR_PUT(f, field, v) STRUCT_PUT(f, 0, Elf32_Ehdr, Elf64_Ehdr, field, v)
#define PHDR_PUT(f, base, field, v) STRUCT_PUT(f, base, Elf32_Phdr, Elf64_Phdr, field, v)
#define SHDR_PUT(f, base, field, v) STRUCT_PUT(f, base, Elf32_Shdr, Elf64_Shdr, field, v)
#define CLASS_SIZEOF(f, T) ((f)->elf_class == ELFCLASS64 ? sizeof(Elf64_##T) : sizeof(Elf32_##T))

static void fixture_init(Fixture *f, uint8_t elf_class, uint8_t data, uint16_t machine, uint16_t type,
                         uint32_t flags) {
        memset(f, 0, sizeof(*f));
        f->elf_class = elf_class;
        f->data = data;

        memcpy(f->buf, ELFMAG, SELFMAG);
        f->buf[EI_CLASS] = elf_class;
        f->buf[EI_DATA] = data;
        f->buf[EI_VERSION] = EV_CURRENT;
        EHDR_PUT(f, e_type, type);
        EHDR_PUT(f, e_machine, machine);
        EHDR_PUT(f, e_version, EV_CURRENT);
        EHDR_PUT(f, e_entry, FIXTURE_ENTRY);
        EHDR_PUT(f, e_phoff, CLASS_SIZEOF(f, Ehdr));
        EHDR_PUT(f, e_flags, flags);
        EHDR_PUT(f, e_ehsize, CLASS_SIZEOF(f, Ehdr));
        EHDR_PUT(f, e_phentsize, CLASS_SIZEOF(f, Phdr));
        EHDR_PUT(f, e_phnum, 0);
        f->size = CLASS_SIZEOF(f, Ehdr) + PHDR_SLOTS * CLASS_SIZEOF(f, Phdr);
}

static void fixture_add_phdr(Fixture *f, uint32_t type, uint64_t offset, uint64_t filesz, uint64_t align) {
        size_t base = CLASS_SIZEOF(f, Ehdr) + f->phnum * CLASS_SIZEOF(f, Phdr);

        assert_true(f->phnum < PHDR_SLOTS);
        PHDR_PUT(f, base, p_type, type);
        PHDR_PUT(f, base, p_flags, PF_R);
        PHDR_PUT(f, base, p_offset, offset);
        PHDR_PUT(f, base, p_vaddr, offset);
        PHDR_PUT(f, base, p_paddr, offset);
        PHDR_PUT(f, base, p_filesz, filesz);
        PHDR_PUT(f, base, p_memsz, filesz);
        PHDR_PUT(f, base, p_align, align);
        EHDR_PUT(f, e_phnum, ++f->phnum);
}

static size_t fixture_append(Fixture *f, const void *p, size_t n, size_t align) {
        size_t off = align_up(f->size, align);

        assert_true(off + n <= sizeof(f->buf));
        memcpy(f->buf + off, p, n);
        f->size = off + n;
        return off;
}

static size_t fixture_add_segment(Fixture *f, uint32_t type, const void *p, size_t n, size_t align) {
        size_t off = fixture_append(f, p, n, align);

        fixture_add_phdr(f, type, off, n, align);
        return off;
}

static void fixture_add_interp(Fixture *f, const char *path) {
        fixture_add_segment(f, PT_INTERP, path, strlen(path) + 1, 1);
}

/* A PT_DYNAMIC of the given (tag, value) pairs and a DT_NULL. */
static void fixture_add_dynamic(Fixture *f, const uint64_t (*entries)[2], size_t n) {
        size_t word = f->elf_class == ELFCLASS64 ? 8 : 4;
        Bytes b = {};

        for (size_t i = 0; i < n; i++) {
                bytes_uint(&b, entries[i][0], word, f->data);
                bytes_uint(&b, entries[i][1], word, f->data);
        }
        bytes_uint(&b, DT_NULL, word, f->data);
        bytes_uint(&b, 0, word, f->data);
        fixture_add_segment(f, PT_DYNAMIC, b.b, b.n, word);
}

/* A section header table: the null section and one section of the given type over the contents.
 * Returns the table's offset. */
static size_t fixture_add_section(Fixture *f, uint32_t type, const void *p, size_t n) {
        size_t off = fixture_append(f, p, n, 1);
        size_t shsize = CLASS_SIZEOF(f, Shdr);
        size_t shoff = align_up(f->size, 8);

        assert_true(shoff + 2 * shsize <= sizeof(f->buf));
        f->size = shoff + 2 * shsize;
        SHDR_PUT(f, shoff + shsize, sh_type, type);
        SHDR_PUT(f, shoff + shsize, sh_offset, off);
        SHDR_PUT(f, shoff + shsize, sh_size, n);
        SHDR_PUT(f, shoff + shsize, sh_addralign, 1);
        EHDR_PUT(f, e_shoff, shoff);
        EHDR_PUT(f, e_shentsize, shsize);
        EHDR_PUT(f, e_shnum, 2);
        return shoff;
}

/* ---- running the code under test ------------------------------------------------------------ */

static int tmpfd_with(const void *p, size_t n) {
        const uint8_t *q = p;
        int fd;

        fd = memfd_create("test-elf-id", MFD_CLOEXEC);
        if (fd < 0)
                fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        assert_true(fd >= 0);

        while (n > 0) {
                ssize_t k = write(fd, q, n);
                assert_true(k > 0);
                q += k;
                n -= (size_t) k;
        }
        return fd;
}

static int identify_bytes(const void *p, size_t n, Via via, ElfIdFlags flags, ElfId *ret) {
        if (via == VIA_BUFFER) {
                /* An exact-size heap copy: ASan turns any read past n into a failure. */
                _cleanup_free_ uint8_t *copy = n > 0 ? malloc(n) : NULL;

                assert_true(n == 0 || copy);
                if (n > 0)
                        memcpy(copy, p, n);
                return elf_id_from_buffer(copy, n, ret);
        }

        _cleanup_close_ int fd = tmpfd_with(p, n);
        return elf_id_from_fd(fd, flags, ret);
}

static int identify(const Fixture *f, Via via, ElfId *ret) {
        return identify_bytes(f->buf, f->size, via, 0, ret);
}

static void identify_ok(const Fixture *f, Via via, ElfId *ret) {
        assert_int_equal(identify(f, via, ret), 0);
}

static void poison(ElfId *id) {
        memset(id, 0xa5, sizeof(*id));
}

static void assert_untouched(const ElfId *id) {
        const uint8_t *p = (const uint8_t *) id;

        for (size_t i = 0; i < sizeof(*id); i++)
                assert_int_equal(p[i], 0xa5);
}

/* The error, and nothing written to the output. */
static void expect_bytes_error(const void *p, size_t n, Via via, int error) {
        ElfId id;

        poison(&id);
        assert_int_equal(identify_bytes(p, n, via, 0, &id), error);
        assert_untouched(&id);
}

static void expect_error(const Fixture *f, Via via, int error) {
        expect_bytes_error(f->buf, f->size, via, error);
}

static Via via_of(void **state) {
        return *(const Via *) *state;
}

static void assert_elf_id_equal(const ElfId *a, const ElfId *b) {
        assert_int_equal(a->elf_class, b->elf_class);
        assert_int_equal(a->data, b->data);
        assert_int_equal(a->osabi, b->osabi);
        assert_int_equal(a->type, b->type);
        assert_int_equal(a->machine, b->machine);
        assert_int_equal(a->flags, b->flags);
        assert_int_equal(a->kind, b->kind);
        assert_int_equal(a->dynamic, b->dynamic);
        assert_string_equal(a->interp, b->interp);
        assert_int_equal(a->build_id_size, b->build_id_size);
        assert_memory_equal(a->build_id, b->build_id, a->build_id_size);
        assert_int_equal(a->float_abi, b->float_abi);
        assert_int_equal(a->arm_arch, b->arm_arch);
        assert_int_equal(a->mips_abi, b->mips_abi);
        assert_int_equal(a->x32, b->x32);
}

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

#define C32 ELFCLASS32
#define C64 ELFCLASS64
#define LSB ELFDATA2LSB
#define MSB ELFDATA2MSB
#define FA_UNKNOWN ELF_FLOAT_ABI_UNKNOWN
#define FA_SOFT ELF_FLOAT_ABI_SOFT
#define FA_HARD ELF_FLOAT_ABI_HARD
#define MIPS_NONE ELF_MIPS_ABI_NONE

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

/* ---- build-id ------------------------------------------------------------------------------- */

/* After an NT_GNU_ABI_TAG note, as toolchains lay them out; every class and byte order. */
static void test_build_id(void **state) {
        static const uint32_t abi_tag[] = { 0, 3, 2, 0 };
        static const uint8_t shapes[][2] = { { C32, LSB }, { C32, MSB }, { C64, LSB }, { C64, MSB } };

        for (size_t i = 0; i < ELEMENTSOF(shapes); i++) {
                Bytes notes = {};
                Fixture f;
                ElfId id;

                fixture_init(&f, shapes[i][0], shapes[i][1], EM_MIPS, ET_EXEC, 0x70001007);
                bytes_note(&notes, f.data, 4, NT_GNU_ABI_TAG, "GNU", 4, abi_tag, sizeof(abi_tag));
                bytes_note_build_id(&notes, f.data, 4, build_id_20, sizeof(build_id_20));
                fixture_add_segment(&f, PT_NOTE, notes.b, notes.n, 4);
                identify_ok(&f, via_of(state), &id);
                assert_int_equal(id.build_id_size, sizeof(build_id_20));
                assert_memory_equal(id.build_id, build_id_20, sizeof(build_id_20));
        }
}

/* In an 8-aligned segment the padding counts from the segment start: a 6-byte name is padded to
 * offset 24, not 20, so a 4-byte-only walker would land in the middle of the next note. */
static void test_build_id_align8(void **state) {
        static const uint8_t desc[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
        Bytes notes = {};
        Fixture f;
        ElfId id;

        fixture_init(&f, C64, LSB, EM_X86_64, ET_DYN, 0);
        bytes_note(&notes, f.data, 8, 1, "Linux", 6, desc, 4);
        bytes_note_build_id(&notes, f.data, 8, build_id_20, sizeof(build_id_20));
        fixture_add_segment(&f, PT_NOTE, notes.b, notes.n, 8);
        identify_ok(&f, via_of(state), &id);
        assert_int_equal(id.build_id_size, sizeof(build_id_20));
        assert_memory_equal(id.build_id, build_id_20, sizeof(build_id_20));
}

static void test_build_id_max(void **state) {
        uint8_t big[ELF_BUILD_ID_MAX + 1];
        Bytes notes = {};
        Fixture f;
        ElfId id;

        for (size_t i = 0; i < sizeof(big); i++)
                big[i] = (uint8_t) (i * 7 + 1);

        fixture_init(&f, C64, MSB, EM_S390, ET_EXEC, 0);
        bytes_note_build_id(&notes, f.data, 4, big, ELF_BUILD_ID_MAX);
        fixture_add_segment(&f, PT_NOTE, notes.b, notes.n, 4);
        identify_ok(&f, via_of(state), &id);
        assert_int_equal(id.build_id_size, ELF_BUILD_ID_MAX);
        assert_memory_equal(id.build_id, big, ELF_BUILD_ID_MAX);

        /* One byte more is passed over, not truncated. */
        fixture_init(&f, C64, MSB, EM_S390, ET_EXEC, 0);
        notes.n = 0;
        bytes_note_build_id(&notes, f.data, 4, big, ELF_BUILD_ID_MAX + 1);
        fixture_add_segment(&f, PT_NOTE, notes.b, notes.n, 4);
        identify_ok(&f, via_of(state), &id);
        assert_int_equal(id.build_id_size, 0);
}

/* Notes that are not a GNU build-id: alone they give none, and the walk goes on past them. */
static void test_build_id_lookalikes(void **state) {
        static const struct {
                uint32_t type;
                const char *name;
                uint32_t namesz, descsz;
        } rows[] = {
                { NT_GNU_BUILD_ID, "GNX", 4, 20 },  /* other owner */
                { NT_GNU_BUILD_ID, "GNU", 3, 20 },  /* name without its NUL */
                { NT_GNU_ABI_TAG, "GNU", 4, 20 },   /* other type */
                { NT_GNU_BUILD_ID, "GNU", 4, 0 },   /* empty */
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                Bytes notes = {};
                Fixture f;
                ElfId id;

                fixture_init(&f, C64, LSB, EM_X86_64, ET_EXEC, 0);
                bytes_note(&notes, f.data, 4, rows[i].type, rows[i].name, rows[i].namesz, build_id_20, rows[i].descsz);
                fixture_add_segment(&f, PT_NOTE, notes.b, notes.n, 4);
                identify_ok(&f, via_of(state), &id);
                assert_int_equal(id.build_id_size, 0);

                fixture_init(&f, C64, LSB, EM_X86_64, ET_EXEC, 0);
                bytes_note_build_id(&notes, f.data, 4, build_id_20 + 1, sizeof(build_id_20) - 1);
                fixture_add_segment(&f, PT_NOTE, notes.b, notes.n, 4);
                identify_ok(&f, via_of(state), &id);
                assert_int_equal(id.build_id_size, sizeof(build_id_20) - 1);
                assert_memory_equal(id.build_id, build_id_20 + 1, sizeof(build_id_20) - 1);
        }
}

/* A note claiming more than its segment (sizes near 2^32, so 32-bit sums would wrap) ends that
 * segment's walk without an error, since the kernel runs such a file; a later PT_NOTE still counts. */
static void test_build_id_bogus_note(void **state) {
        static const uint32_t bogus[][2] = {
                { UINT32_MAX, 20 },
                { 4, UINT32_MAX - 3 },
                { UINT32_MAX - 2, UINT32_MAX - 2 },
                { 4, 21 }, /* one byte past the segment */
        };

        for (size_t i = 0; i < ELEMENTSOF(bogus); i++) {
                Bytes bad = {}, good = {};
                Fixture f;
                ElfId id;

                fixture_init(&f, C32, LSB, EM_ARM, ET_EXEC, 0x05000400);
                bytes_uint(&bad, bogus[i][0], 4, f.data);
                bytes_uint(&bad, bogus[i][1], 4, f.data);
                bytes_uint(&bad, NT_GNU_BUILD_ID, 4, f.data);
                bytes_put(&bad, "GNU", 4);
                bytes_put(&bad, build_id_20, sizeof(build_id_20));
                fixture_add_segment(&f, PT_NOTE, bad.b, bad.n, 4);
                identify_ok(&f, via_of(state), &id);
                assert_int_equal(id.build_id_size, 0);

                bytes_note_build_id(&good, f.data, 4, build_id_20, sizeof(build_id_20));
                fixture_add_segment(&f, PT_NOTE, good.b, good.n, 4);
                identify_ok(&f, via_of(state), &id);
                assert_int_equal(id.build_id_size, sizeof(build_id_20));
                assert_memory_equal(id.build_id, build_id_20, sizeof(build_id_20));
        }
}

static void test_build_id_out_of_bounds(void **state) {
        Fixture f;
        ElfId id;

        fixture_init(&f, C64, LSB, EM_X86_64, ET_EXEC, 0);
        fixture_add_phdr(&f, PT_NOTE, 0x100000, 36, 4);
        fixture_add_phdr(&f, PT_NOTE, UINT64_MAX - 16, 36, 4);
        identify_ok(&f, via_of(state), &id);
        assert_int_equal(id.build_id_size, 0);
}

/* ---- malformed headers ---------------------------------------------------------------------- */

static void test_short_input(void **state) {
        for (size_t n = 0; n < SELFMAG; n++)
                expect_bytes_error(ELFMAG, n, via_of(state), -ENOEXEC);
}

static void test_bad_magic(void **state) {
        static const char *const inputs[] = { "\177ELG", "#!/bin/sh\n", "\177elf\2\1\1", "MZ\x90\0" };
        Fixture f;

        for (size_t i = 0; i < ELEMENTSOF(inputs); i++)
                expect_bytes_error(inputs[i], strlen(inputs[i]), via_of(state), -ENOEXEC);

        /* A whole, otherwise valid header with one magic byte off. */
        fixture_init(&f, C64, LSB, EM_X86_64, ET_EXEC, 0);
        f.buf[EI_MAG3] = 'G';
        expect_error(&f, via_of(state), -ENOEXEC);
}

/* Every prefix of a valid header from the magic on, every class and byte order. */
static void test_truncated_header(void **state) {
        static const uint8_t shapes[][2] = { { C32, LSB }, { C32, MSB }, { C64, LSB }, { C64, MSB } };

        for (size_t i = 0; i < ELEMENTSOF(shapes); i++) {
                Fixture f;

                fixture_init(&f, shapes[i][0], shapes[i][1], EM_X86_64, ET_EXEC, 0);
                for (size_t n = SELFMAG; n < CLASS_SIZEOF(&f, Ehdr); n++)
                        expect_bytes_error(f.buf, n, via_of(state), -EBADMSG);
        }
}

static void test_bad_class_data(void **state) {
        static const uint8_t bad[] = { 0, 3, 0xff };
        Fixture f;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                fixture_init(&f, C64, LSB, EM_X86_64, ET_EXEC, 0);
                f.buf[EI_CLASS] = bad[i];
                expect_error(&f, via_of(state), -EBADMSG);

                fixture_init(&f, C64, LSB, EM_X86_64, ET_EXEC, 0);
                f.buf[EI_DATA] = bad[i];
                expect_error(&f, via_of(state), -EBADMSG);
        }
}

static void test_phoff_past_eof(void **state) {
        Fixture f;

        fixture_init(&f, C64, LSB, EM_X86_64, ET_EXEC, 0);
        fixture_add_phdr(&f, PT_LOAD, 0, 0, 0x1000);
        EHDR_PUT(&f, e_phoff, f.size + 1);
        expect_error(&f, via_of(state), -EBADMSG);

        /* e_phoff + the table size wraps around. */
        EHDR_PUT(&f, e_phoff, UINT64_MAX - 8);
        expect_error(&f, via_of(state), -EBADMSG);

        fixture_init(&f, C32, MSB, EM_MIPS, ET_EXEC, 0);
        fixture_add_phdr(&f, PT_LOAD, 0, 0, 0x1000);
        EHDR_PUT(&f, e_phoff, UINT32_MAX);
        expect_error(&f, via_of(state), -EBADMSG);
}

static void test_phdrs_straddle_eof(void **state) {
        static const uint8_t shapes[][2] = { { C32, MSB }, { C64, LSB } };

        for (size_t i = 0; i < ELEMENTSOF(shapes); i++) {
                Fixture f;
                ElfId id;

                fixture_init(&f, shapes[i][0], shapes[i][1], EM_MIPS, ET_EXEC, 0);
                fixture_add_phdr(&f, PT_LOAD, 0, 0, 0x1000);
                fixture_add_phdr(&f, PT_LOAD, 0, 0, 0x1000);
                f.size = CLASS_SIZEOF(&f, Ehdr) + 2 * CLASS_SIZEOF(&f, Phdr);
                identify_ok(&f, via_of(state), &id);

                f.size--;
                expect_error(&f, via_of(state), -EBADMSG);
        }
}

/* 512 entries are read; one more, or PN_XNUM (whose real count would be >= 0xffff), are refused even
 * though the table is inside the file. */
static void test_phnum_limits(void **state) {
        Fixture f;
        ElfId id;
        size_t table, shoff;

        fixture_init(&f, C64, LSB, EM_X86_64, ET_EXEC, 0);
        table = f.size;
        f.size += (ELF_PHNUM_MAX + 1) * sizeof(Elf64_Phdr);
        EHDR_PUT(&f, e_phoff, table);

        EHDR_PUT(&f, e_phnum, ELF_PHNUM_MAX);
        identify_ok(&f, via_of(state), &id);
        assert_int_equal(id.kind, ELF_KIND_EXEC);

        EHDR_PUT(&f, e_phnum, ELF_PHNUM_MAX + 1);
        expect_error(&f, via_of(state), -EBADMSG);

        /* Section 0 says sh_info 1: we do not go looking. */
        shoff = fixture_add_section(&f, SHT_NULL, "", 0);
        SHDR_PUT(&f, shoff, sh_info, 1);
        EHDR_PUT(&f, e_phnum, PN_XNUM);
        expect_error(&f, via_of(state), -EBADMSG);
}

static void test_phentsize(void **state) {
        static const struct {
                uint8_t elf_class;
                uint16_t phentsize;
        } rows[] = {
                { C64, sizeof(Elf32_Phdr) },
                { C32, sizeof(Elf64_Phdr) },
                { C64, 0 },
                { C64, sizeof(Elf64_Phdr) + 1 },
                { C32, sizeof(Elf32_Phdr) - 1 },
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                Fixture f;

                fixture_init(&f, rows[i].elf_class, LSB, EM_X86_64, ET_EXEC, 0);
                fixture_add_phdr(&f, PT_LOAD, 0, 0, 0x1000);
                EHDR_PUT(&f, e_phentsize, rows[i].phentsize);
                expect_error(&f, via_of(state), -EBADMSG);
        }
}

/* ---- elf_id_from_fd() only ------------------------------------------------------------------ */

static void test_fd_offset_untouched(void **state) {
        _cleanup_close_ int fd = -EBADF;
        Fixture f;
        ElfId id;

        fixture_init(&f, C64, LSB, EM_X86_64, ET_DYN, 0);
        fixture_add_interp(&f, "/lib64/ld-linux-x86-64.so.2");
        fd = tmpfd_with(f.buf, f.size);
        assert_int_equal(lseek(fd, 7, SEEK_SET), 7);

        assert_int_equal(elf_id_from_fd(fd, 0, &id), 0);
        assert_string_equal(id.interp, "/lib64/ld-linux-x86-64.so.2");
        assert_int_equal(lseek(fd, 0, SEEK_CUR), 7);
}

static void test_fd_not_regular(void **state) {
        int pipefd[2];
        ElfId id;

        assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
        assert_int_equal(write(pipefd[1], ELFMAG, SELFMAG), SELFMAG);
        poison(&id);
        assert_int_equal(elf_id_from_fd(pipefd[0], 0, &id), -EBADFD);
        assert_untouched(&id);
        closep(&pipefd[0]);
        closep(&pipefd[1]);

        assert_int_equal(elf_id_from_fd(-1, 0, &id), -EBADF);
}

static void test_fd_bad_flags(void **state) {
        _cleanup_close_ int fd = -EBADF;
        Fixture f;
        ElfId id;

        fixture_init(&f, C64, LSB, EM_X86_64, ET_EXEC, 0);
        fd = tmpfd_with(f.buf, f.size);
        poison(&id);
        assert_int_equal(elf_id_from_fd(fd, 1 << 7, &id), -EINVAL);
        assert_untouched(&id);
}

/* ---- ARM build attributes ------------------------------------------------------------------- */

/* 'A' <len> "aeabi" <Tag_File> <size> body, lengths right for the body given. */
static void attrs_aeabi_file(Bytes *out, uint8_t data, const void *body, size_t n) {
        size_t sub, subsub;

        out->n = 0;
        bytes_put(out, "A", 1);
        sub = bytes_len_begin(out, data);
        bytes_str(out, "aeabi");
        subsub = out->n;
        bytes_uleb(out, 1);
        bytes_len_begin(out, data);
        bytes_put(out, body, n);
        bytes_len_end(out, subsub + 1, subsub, data);
        bytes_len_end(out, sub, sub, data);
}

static void attr_uleb(Bytes *b, uint64_t tag, uint64_t value) {
        bytes_uleb(b, tag);
        bytes_uleb(b, value);
}

static void attr_ntbs(Bytes *b, uint64_t tag, const char *s) {
        bytes_uleb(b, tag);
        bytes_str(b, s);
}

/* Misreading a string tag as an integer would take the bytes after its first one as "Tag_CPU_arch 1". */
#define TRAP "Z\x06\x01"

/* The file attributes of an armhf binary plus every kind of value to skip. Tag_CPU_arch comes first
 * and Tag_ABI_VFP_args directly after an unknown integer tag, so any misread skip shows in the result.
 * boundaries[] receives the offset after each attribute. */
static size_t attrs_body_armhf(Bytes *b, size_t boundaries[static 32]) {
        size_t k = 0;

        b->n = 0;
        boundaries[k++] = 0;
        attr_uleb(b, 6, 10); /* Tag_CPU_arch: v7 */
        boundaries[k++] = b->n;
        attr_ntbs(b, 5, TRAP); /* Tag_CPU_name */
        boundaries[k++] = b->n;
        attr_ntbs(b, 4, TRAP); /* Tag_CPU_raw_name */
        boundaries[k++] = b->n;
        attr_uleb(b, 7, 'A'); /* Tag_CPU_arch_profile */
        boundaries[k++] = b->n;
        bytes_uleb(b, 32); /* Tag_compatibility: flag, then vendor */
        bytes_uleb(b, 1);
        bytes_str(b, TRAP);
        boundaries[k++] = b->n;
        attr_ntbs(b, 65, TRAP); /* Tag_also_compatible_with */
        boundaries[k++] = b->n;
        attr_ntbs(b, 67, TRAP); /* Tag_conformance */
        boundaries[k++] = b->n;
        attr_uleb(b, 64, 0); /* Tag_nodefaults */
        boundaries[k++] = b->n;
        attr_ntbs(b, 69, TRAP); /* unknown odd tag: a string */
        boundaries[k++] = b->n;
        attr_uleb(b, 70, 300); /* unknown even tag: an integer, two bytes */
        boundaries[k++] = b->n;
        attr_uleb(b, 28, 1); /* Tag_ABI_VFP_args: VFP registers */
        boundaries[k++] = b->n;
        attr_uleb(b, 1000, 5); /* unknown even tag with a multi-byte tag number */
        boundaries[k++] = b->n;
        return k;
}

/* A full section: a "gnu" subsection first (whose content would say v4 if read as aeabi's), then
 * aeabi with Tag_File, then a Tag_Section sub-subsection (which would also say v4). *ret_gnu_end is
 * where the gnu subsection ends. */
static void attrs_section_armhf(Bytes *out, uint8_t data, size_t *ret_gnu_end) {
        size_t boundaries[32], sub, subsub;
        Bytes body;

        attrs_body_armhf(&body, boundaries);
        out->n = 0;
        bytes_put(out, "A", 1);

        sub = bytes_len_begin(out, data);
        bytes_str(out, "gnu");
        bytes_put(out, "\x01\x07\x00\x00\x00\x06\x01", 7);
        bytes_len_end(out, sub, sub, data);
        *ret_gnu_end = out->n;

        sub = bytes_len_begin(out, data);
        bytes_str(out, "aeabi");
        subsub = out->n;
        bytes_uleb(out, 1);
        bytes_len_begin(out, data);
        bytes_put(out, body.b, body.n);
        bytes_len_end(out, subsub + 1, subsub, data);
        subsub = out->n;
        bytes_uleb(out, 2); /* Tag_Section: section 1, end of list, Tag_CPU_arch 1 */
        bytes_len_begin(out, data);
        bytes_put(out, "\x01\x00\x06\x01", 4);
        bytes_len_end(out, subsub + 1, subsub, data);
        bytes_len_end(out, sub, sub, data);
}

static int attrs_parse(const Bytes *b, size_t n, uint8_t data, unsigned *ret_arch, ElfFloatAbi *ret_abi) {
        _cleanup_free_ uint8_t *copy = n > 0 ? malloc(n) : NULL;

        assert_true(n == 0 || copy);
        if (n > 0)
                memcpy(copy, b->b, n);
        return elf_arm_attributes_parse(copy, n, data, ret_arch, ret_abi);
}

static void test_arm_attributes_armhf(void **state) {
        static const uint8_t orders[] = { LSB, MSB };

        for (size_t i = 0; i < ELEMENTSOF(orders); i++) {
                ElfFloatAbi abi;
                unsigned arch;
                size_t gnu_end;
                Bytes b;

                attrs_section_armhf(&b, orders[i], &gnu_end);
                assert_int_equal(attrs_parse(&b, b.n, orders[i], &arch, &abi), 0);
                assert_int_equal(arch, 7);
                assert_int_equal(abi, ELF_FLOAT_ABI_HARD);

                /* Read in the other byte order, the lengths are nonsense. */
                arch = 99;
                assert_int_equal(attrs_parse(&b, b.n, orders[i] == LSB ? MSB : LSB, &arch, &abi), -EBADMSG);
                assert_int_equal(arch, 99);
        }
}

static void test_arm_attributes_cpu_arch(void **state) {
        /* Tag_CPU_arch -> version, per the mapping in elf-sections.c (ARM IHI 0045). */
        static const struct {
                uint64_t tag_value;
                unsigned version;
        } rows[] = {
                { 0, 0 }, { 1, 4 }, { 2, 4 }, { 3, 5 }, { 4, 5 }, { 5, 5 }, { 6, 6 }, { 7, 6 },
                { 8, 6 }, { 9, 6 }, { 10, 7 }, { 11, 6 }, { 12, 6 }, { 13, 7 }, { 14, 8 }, { 15, 8 },
                { 16, 8 }, { 17, 8 }, { 18, 8 }, { 19, 8 }, { 20, 8 }, { 1000, 8 }, { UINT64_MAX, 8 },
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                Bytes body = {}, b;
                ElfFloatAbi abi;
                unsigned arch;

                attr_uleb(&body, 6, rows[i].tag_value);
                attrs_aeabi_file(&b, LSB, body.b, body.n);
                assert_int_equal(attrs_parse(&b, b.n, LSB, &arch, &abi), 0);
                if (arch != rows[i].version)
                        fail_msg("Tag_CPU_arch %ju: version %u, expected %u", (uintmax_t) rows[i].tag_value, arch,
                                 rows[i].version);
                assert_int_equal(abi, ELF_FLOAT_ABI_UNKNOWN);
        }
}

static void test_arm_attributes_vfp_args(void **state) {
        static const struct {
                int64_t value; /* -1: tag absent */
                ElfFloatAbi abi;
        } rows[] = {
                { 0, ELF_FLOAT_ABI_SOFT },
                { 1, ELF_FLOAT_ABI_HARD },
                { 2, ELF_FLOAT_ABI_UNKNOWN },
                { 3, ELF_FLOAT_ABI_UNKNOWN },
                { -1, ELF_FLOAT_ABI_UNKNOWN },
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                Bytes body = {}, b;
                ElfFloatAbi abi;
                unsigned arch;

                attr_uleb(&body, 6, 4);
                if (rows[i].value >= 0)
                        attr_uleb(&body, 28, (uint64_t) rows[i].value);
                attrs_aeabi_file(&b, MSB, body.b, body.n);
                assert_int_equal(attrs_parse(&b, b.n, MSB, &arch, &abi), 0);
                assert_int_equal(abi, rows[i].abi);
                assert_int_equal(arch, 5);
        }
}

/* Attribute bodies that run out mid-value, inside correct lengths. */
static void test_arm_attributes_bad_bodies(void **state) {
        static const struct {
                const char *bytes;
                size_t n;
        } rows[] = {
                { "\x86", 1 },                                             /* tag: ULEB128 cut */
                { "\x06\x8a", 2 },                                         /* value: ULEB128 cut */
                { "\x06", 1 },                                             /* value missing */
                { "\x05" "abc", 4 },                                       /* Tag_CPU_name unterminated */
                { "\x43" "2.09", 5 },                                      /* Tag_conformance unterminated */
                { "\x20\x01" "gnu", 5 },                                   /* Tag_compatibility string cut */
                { "\x20\x81", 2 },                                         /* Tag_compatibility flag cut */
                { "\x06\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 11 },     /* 65 bits */
                { "\x06\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 12 }, /* 11 bytes of 0 */
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                ElfFloatAbi abi = ELF_FLOAT_ABI_HARD;
                unsigned arch = 99;
                Bytes b;

                attrs_aeabi_file(&b, LSB, rows[i].bytes, rows[i].n);
                if (attrs_parse(&b, b.n, LSB, &arch, &abi) != -EBADMSG)
                        fail_msg("body %zu parsed", i);
                assert_int_equal(arch, 99);
                assert_int_equal(abi, ELF_FLOAT_ABI_HARD);
        }

        /* The largest value that fits 64 bits is still one. */
        {
                ElfFloatAbi abi;
                unsigned arch;
                Bytes b;

                attrs_aeabi_file(&b, LSB, "\x06\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11);
                assert_int_equal(attrs_parse(&b, b.n, LSB, &arch, &abi), 0);
                assert_int_equal(arch, 8);
        }
}

/* Subsection and sub-subsection framing that lies. */
static void test_arm_attributes_bad_framing(void **state) {
        static const struct {
                const char *bytes;
                size_t n;
        } rows[] = {
                { "", 0 },                                          /* no format byte */
                { "B\x0a\0\0\0aeabi\0", 11 },                       /* format not 'A' */
                { "A\x0b\0", 3 },                                   /* length cut */
                { "A\x03\0\0\0", 5 },                               /* length shorter than itself */
                { "A\x0c\0\0\0aeabi\0", 11 },                       /* length past the end */
                { "A\x09\0\0\0aeabi", 10 },                         /* vendor name unterminated */
                { "A\x0c\0\0\0aeabi\0\x01\x05", 13 },               /* sub-subsection size cut */
                { "A\x0f\0\0\0aeabi\0\x01\x06\0\0\0", 16 },         /* sub-subsection past the subsection */
                { "A\x0f\0\0\0aeabi\0\x01\x04\0\0\0", 16 },         /* sub-subsection shorter than its header */
                { "A\x0b\0\0\0aeabi\0\x81", 12 },                   /* sub-subsection tag cut */
                { "A\x0f\0\0\0aeabi\0\x01\x05\0\0\0" "A\x02", 18 }, /* trailing garbage as a subsection */
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                Bytes b = {};
                ElfFloatAbi abi;
                unsigned arch;

                bytes_put(&b, rows[i].bytes, rows[i].n);
                if (attrs_parse(&b, b.n, LSB, &arch, &abi) != -EBADMSG)
                        fail_msg("section %zu parsed", i);
        }
}

/* Every prefix of a valid section: only those ending at a subsection boundary are sections. */
static void test_arm_attributes_prefixes(void **state) {
        ElfFloatAbi abi;
        unsigned arch;
        size_t gnu_end;
        Bytes b;

        attrs_section_armhf(&b, LSB, &gnu_end);
        for (size_t n = 0; n < b.n; n++) {
                int r = attrs_parse(&b, n, LSB, &arch, &abi);
                int expected = n == 1 || n == gnu_end ? 0 : -EBADMSG;

                if (r != expected)
                        fail_msg("prefix %zu: %d, expected %d", n, r, expected);
        }
}

/* Correct framing around a body cut at every byte: only cuts between attributes parse. */
static void test_arm_attributes_body_cuts(void **state) {
        size_t boundaries[32], nb;
        Bytes body, b;

        nb = attrs_body_armhf(&body, boundaries);
        for (size_t cut = 0, k = 0; cut <= body.n; cut++) {
                ElfFloatAbi abi;
                unsigned arch;
                bool boundary = k < nb && boundaries[k] == cut;
                int r;

                attrs_aeabi_file(&b, MSB, body.b, cut);
                r = attrs_parse(&b, b.n, MSB, &arch, &abi);
                if (r != (boundary ? 0 : -EBADMSG))
                        fail_msg("cut %zu: %d", cut, r);
                if (boundary)
                        k++;
        }
}

static void test_arm_attributes_other_vendor(void **state) {
        ElfFloatAbi abi;
        unsigned arch;
        Bytes b = {};

        bytes_put(&b, "A\x12\0\0\0gnu\0\x01\x0a\0\0\0\x06\x0a\x1c\x01\x00", 19);
        assert_int_equal(attrs_parse(&b, b.n, LSB, &arch, &abi), 0);
        assert_int_equal(arch, 0);
        assert_int_equal(abi, ELF_FLOAT_ABI_UNKNOWN);

        assert_int_equal(attrs_parse(&b, b.n, 0, &arch, &abi), -EINVAL);
        assert_int_equal(attrs_parse(&b, b.n, 3, &arch, &abi), -EINVAL);
}

/* ---- ELF_ID_SECTIONS ------------------------------------------------------------------------ */

static void fixture_arm_with_attributes(Fixture *f, uint8_t data, uint32_t flags) {
        size_t gnu_end;
        Bytes attrs;

        fixture_init(f, C32, data, EM_ARM, ET_EXEC, flags);
        fixture_add_phdr(f, PT_LOAD, 0, 0, 0x10000);
        attrs_section_armhf(&attrs, data, &gnu_end);
        fixture_add_section(f, SHT_ARM_ATTRIBUTES, attrs.b, attrs.n);
}

static int identify_fd(const Fixture *f, ElfIdFlags flags, ElfId *ret) {
        return identify_bytes(f->buf, f->size, VIA_FD, flags, ret);
}

static void test_sections_arm_attributes(void **state) {
        static const uint8_t orders[] = { LSB, MSB };

        for (size_t i = 0; i < ELEMENTSOF(orders); i++) {
                Fixture f;
                ElfId id;

                fixture_arm_with_attributes(&f, orders[i], EF_ARM_EABI_VER5);
                assert_int_equal(identify_fd(&f, 0, &id), 0);
                assert_int_equal(id.float_abi, ELF_FLOAT_ABI_UNKNOWN);
                assert_int_equal(id.arm_arch, 0);

                assert_int_equal(identify_fd(&f, ELF_ID_SECTIONS, &id), 0);
                assert_int_equal(id.float_abi, ELF_FLOAT_ABI_HARD);
                assert_int_equal(id.arm_arch, 7);
                assert_int_equal(id.machine, EM_ARM);
        }
}

/* e_flags is what the loader checks, so it wins over Tag_ABI_VFP_args; the version still comes. */
static void test_sections_eflags_win(void **state) {
        Fixture f;
        ElfId id;

        fixture_arm_with_attributes(&f, LSB, EF_ARM_EABI_VER5 | EF_ARM_ABI_FLOAT_SOFT);
        assert_int_equal(identify_fd(&f, ELF_ID_SECTIONS, &id), 0);
        assert_int_equal(id.float_abi, ELF_FLOAT_ABI_SOFT);
        assert_int_equal(id.arm_arch, 7);
}

static void test_sections_malformed(void **state) {
        Fixture f;
        ElfId id;
        size_t shoff;

        /* An attributes section whose subsection claims one byte more than there is. */
        fixture_init(&f, C32, LSB, EM_ARM, ET_EXEC, EF_ARM_EABI_VER5);
        fixture_add_section(&f, SHT_ARM_ATTRIBUTES, "A\x0d\0\0\0aeabi\0\x01\x05\0\0", 13);
        poison(&id);
        assert_int_equal(identify_fd(&f, ELF_ID_SECTIONS, &id), -EBADMSG);
        assert_untouched(&id);
        assert_int_equal(identify_fd(&f, 0, &id), 0);

        /* A section header pointing past the end of the file: libelf refuses the data. */
        fixture_init(&f, C32, MSB, EM_ARM, ET_EXEC, EF_ARM_EABI_VER5);
        shoff = fixture_add_section(&f, SHT_ARM_ATTRIBUTES, "A", 1);
        SHDR_PUT(&f, shoff + sizeof(Elf32_Shdr), sh_offset, 0x100000);
        poison(&id);
        assert_int_equal(identify_fd(&f, ELF_ID_SECTIONS, &id), -EBADMSG);
        assert_untouched(&id);
}

/* Files without attributes, and machines that have none, come out as without ELF_ID_SECTIONS. */
static void test_sections_absent(void **state) {
        static const uint64_t musl_loader[][2] = { { DT_FLAGS_1, DF_1_NOW } };
        static const struct {
                uint16_t machine;
                uint32_t flags;
        } rows[] = {
                { EM_ARM, EF_ARM_EABI_VER5 | EF_ARM_ABI_FLOAT_HARD },
                { EM_X86_64, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                ElfId plain, sections;
                Fixture f;

                fixture_init(&f, C32, LSB, rows[i].machine, ET_DYN, rows[i].flags);
                fixture_add_interp(&f, "/lib/ld-linux-armhf.so.3");
                fixture_add_dynamic(&f, musl_loader, ELEMENTSOF(musl_loader));
                assert_int_equal(identify_fd(&f, 0, &plain), 0);
                assert_int_equal(identify_fd(&f, ELF_ID_SECTIONS, &sections), 0);
                assert_elf_id_equal(&plain, &sections);
                assert_int_equal(sections.arm_arch, 0);
        }
}

/* SHT_LOPROC + 3 is the ARM attributes type on ARM only; on MIPS it is SHT_MIPS_GPTAB. */
static void test_sections_other_machine(void **state) {
        ElfId plain, sections;
        size_t gnu_end;
        Bytes attrs;
        Fixture f;

        fixture_init(&f, C32, MSB, EM_MIPS, ET_EXEC, 0x70001007);
        attrs_section_armhf(&attrs, f.data, &gnu_end);
        fixture_add_section(&f, SHT_MIPS_GPTAB, attrs.b, attrs.n);
        assert_int_equal(identify_fd(&f, 0, &plain), 0);
        assert_int_equal(identify_fd(&f, ELF_ID_SECTIONS, &sections), 0);
        assert_elf_id_equal(&plain, &sections);
        assert_int_equal(sections.arm_arch, 0);
        assert_int_equal(sections.float_abi, ELF_FLOAT_ABI_UNKNOWN);
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

#define TEST_BOTH(f)                                                                   \
        { .name = #f "/buffer", .test_func = f, .initial_state = &vias[VIA_BUFFER] }, \
        { .name = #f "/fd", .test_func = f, .initial_state = &vias[VIA_FD] }

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
        TEST_BOTH(test_build_id),
        TEST_BOTH(test_build_id_align8),
        TEST_BOTH(test_build_id_max),
        TEST_BOTH(test_build_id_lookalikes),
        TEST_BOTH(test_build_id_bogus_note),
        TEST_BOTH(test_build_id_out_of_bounds),
        TEST_BOTH(test_short_input),
        TEST_BOTH(test_bad_magic),
        TEST_BOTH(test_truncated_header),
        TEST_BOTH(test_bad_class_data),
        TEST_BOTH(test_phoff_past_eof),
        TEST_BOTH(test_phdrs_straddle_eof),
        TEST_BOTH(test_phnum_limits),
        TEST_BOTH(test_phentsize),
        cmocka_unit_test(test_fd_offset_untouched),
        cmocka_unit_test(test_fd_not_regular),
        cmocka_unit_test(test_fd_bad_flags),
        cmocka_unit_test(test_arm_attributes_armhf),
        cmocka_unit_test(test_arm_attributes_cpu_arch),
        cmocka_unit_test(test_arm_attributes_vfp_args),
        cmocka_unit_test(test_arm_attributes_bad_bodies),
        cmocka_unit_test(test_arm_attributes_bad_framing),
        cmocka_unit_test(test_arm_attributes_prefixes),
        cmocka_unit_test(test_arm_attributes_body_cuts),
        cmocka_unit_test(test_arm_attributes_other_vendor),
        cmocka_unit_test(test_sections_arm_attributes),
        cmocka_unit_test(test_sections_eflags_win),
        cmocka_unit_test(test_sections_malformed),
        cmocka_unit_test(test_sections_absent),
        cmocka_unit_test(test_sections_other_machine),
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
