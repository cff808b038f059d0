/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "elf-fixture.h"
#include "macro.h"

const char *const via_names[_VIA_MAX] = { "buffer", "fd" };
Via vias[_VIA_MAX] = { VIA_BUFFER, VIA_FD };

size_t align_up(size_t v, size_t a) {
        return (v + a - 1) / a * a;
}

void store_uint(uint8_t *p, uint64_t v, size_t n, uint8_t data) {
        for (size_t i = 0; i < n; i++)
                p[i] = (uint8_t) (v >> (8 * (data == ELFDATA2LSB ? i : n - 1 - i)));
}

/* ---- Bytes ---------------------------------------------------------------------------------- */

void bytes_put(Bytes *b, const void *p, size_t n) {
        assert_true(n <= sizeof(b->b) - b->n);
        memcpy(b->b + b->n, p, n);
        b->n += n;
}

void bytes_uint(Bytes *b, uint64_t v, size_t n, uint8_t data) {
        assert_true(n <= sizeof(b->b) - b->n);
        store_uint(b->b + b->n, v, n, data);
        b->n += n;
}

void bytes_pad(Bytes *b, size_t align) {
        while (b->n % align)
                bytes_put(b, "", 1);
}

void bytes_uleb(Bytes *b, uint64_t v) {
        do {
                uint8_t byte = v & 0x7f;
                v >>= 7;
                if (v)
                        byte |= 0x80;
                bytes_put(b, &byte, 1);
        } while (v);
}

void bytes_str(Bytes *b, const char *s) {
        bytes_put(b, s, strlen(s) + 1);
}

/* Reserve a 4-byte length at the current end; bytes_len_end() fills in the bytes since start. */
size_t bytes_len_begin(Bytes *b, uint8_t data) {
        size_t at = b->n;

        bytes_uint(b, 0, 4, data);
        return at;
}

void bytes_len_end(Bytes *b, size_t at, size_t start, uint8_t data) {
        store_uint(b->b + at, b->n - start, 4, data);
}

/* One note: header, name, descriptor, each padded to align from the segment start. */
void bytes_note(Bytes *b, uint8_t data, size_t align, uint32_t type, const void *name, uint32_t namesz,
                       const void *desc, uint32_t descsz) {
        bytes_uint(b, namesz, 4, data);
        bytes_uint(b, descsz, 4, data);
        bytes_uint(b, type, 4, data);
        bytes_put(b, name, namesz);
        bytes_pad(b, align);
        bytes_put(b, desc, descsz);
        bytes_pad(b, align);
}

const uint8_t build_id_20[20] = {
        0xc8, 0x91, 0x56, 0xeb, 0xda, 0xbf, 0x85, 0x9f, 0x4e, 0xe7,
        0x0c, 0xb0, 0xc3, 0x03, 0x00, 0x4d, 0xcc, 0xf1, 0xae, 0x51,
};

void bytes_note_build_id(Bytes *b, uint8_t data, size_t align, const void *id, uint32_t size) {
        bytes_note(b, data, align, NT_GNU_BUILD_ID, "GNU", 4, id, size);
}

/* ---- Fixture -------------------------------------------------------------------------------- */

void put(Fixture *f, size_t off, uint64_t v, size_t n) {
        assert_true(off + n <= sizeof(f->buf));
        store_uint(f->buf + off, v, n, f->data);
        if (off + n > f->size)
                f->size = off + n;
}

void fixture_init(Fixture *f, uint8_t elf_class, uint8_t data, uint16_t machine, uint16_t type,
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

void fixture_add_phdr(Fixture *f, uint32_t type, uint64_t offset, uint64_t filesz, uint64_t align) {
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

size_t fixture_append(Fixture *f, const void *p, size_t n, size_t align) {
        size_t off = align_up(f->size, align);

        assert_true(off + n <= sizeof(f->buf));
        memcpy(f->buf + off, p, n);
        f->size = off + n;
        return off;
}

size_t fixture_add_segment(Fixture *f, uint32_t type, const void *p, size_t n, size_t align) {
        size_t off = fixture_append(f, p, n, align);

        fixture_add_phdr(f, type, off, n, align);
        return off;
}

void fixture_add_interp(Fixture *f, const char *path) {
        fixture_add_segment(f, PT_INTERP, path, strlen(path) + 1, 1);
}

/* A PT_DYNAMIC of the given (tag, value) pairs and a DT_NULL. */
void fixture_add_dynamic(Fixture *f, const uint64_t (*entries)[2], size_t n) {
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
size_t fixture_add_section(Fixture *f, uint32_t type, const void *p, size_t n) {
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

int tmpfd_with(const void *p, size_t n) {
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

int identify_bytes(const void *p, size_t n, Via via, ElfIdFlags flags, ElfId *ret) {
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

int identify(const Fixture *f, Via via, ElfId *ret) {
        return identify_bytes(f->buf, f->size, via, 0, ret);
}

void identify_ok(const Fixture *f, Via via, ElfId *ret) {
        assert_int_equal(identify(f, via, ret), 0);
}

void poison(ElfId *id) {
        memset(id, 0xa5, sizeof(*id));
}

void assert_untouched(const ElfId *id) {
        const uint8_t *p = (const uint8_t *) id;

        for (size_t i = 0; i < sizeof(*id); i++)
                assert_int_equal(p[i], 0xa5);
}

/* The error, and nothing written to the output. */
void expect_bytes_error(const void *p, size_t n, Via via, int error) {
        ElfId id;

        poison(&id);
        assert_int_equal(identify_bytes(p, n, via, 0, &id), error);
        assert_untouched(&id);
}

void expect_error(const Fixture *f, Via via, int error) {
        expect_bytes_error(f->buf, f->size, via, error);
}

Via via_of(void **state) {
        return *(const Via *) *state;
}

void assert_elf_id_equal(const ElfId *a, const ElfId *b) {
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

/* An x86-64 shared object of BIG_FILE bytes laid out as ld does without -z separate-code: one R+X
 * PT_LOAD from offset 0 holding the headers, then at BIG_DATA bytes that decode as AVX-512 and
 * 3DNow! (the nonsense .dynsym and .rodata make), .init at BIG_INIT and .text at BIG_TEXT running past
 * BIG_LIMIT; the section header table at BIG_SHOFF, past BIG_LIMIT. e_entry is 0 (a library);
 * with_init adds a PT_DYNAMIC whose DT_INIT names .init. */
size_t fixture_big_x86(uint8_t *buf, bool with_init) {
        static const uint8_t data[] = { 0x62, 0xf1, 0x75, 0x48, 0xfe, 0xc2,   /* vpaddd zmm0, zmm1, zmm2 */
                                        0x0f, 0x0e,                           /* femms */
                                        0x9f };                               /* lahf */
        Elf64_Ehdr *e = (Elf64_Ehdr *) buf;
        Elf64_Phdr *p = (Elf64_Phdr *) (buf + sizeof(Elf64_Ehdr));
        Elf64_Shdr *s = (Elf64_Shdr *) (buf + BIG_SHOFF);
        uint64_t *dyn = (uint64_t *) (buf + BIG_DYNAMIC);

        memset(buf, 0, BIG_FILE);
        memcpy(e->e_ident, ELFMAG, SELFMAG);
        e->e_ident[EI_CLASS] = ELFCLASS64;
        e->e_ident[EI_DATA] = ELFDATA2LSB;
        e->e_ident[EI_VERSION] = EV_CURRENT;
        e->e_type = ET_DYN;
        e->e_machine = EM_X86_64;
        e->e_version = EV_CURRENT;
        e->e_phoff = sizeof(Elf64_Ehdr);
        e->e_shoff = BIG_SHOFF;
        e->e_ehsize = sizeof(Elf64_Ehdr);
        e->e_phentsize = sizeof(Elf64_Phdr);
        e->e_phnum = with_init ? 2 : 1;
        e->e_shentsize = sizeof(Elf64_Shdr);
        e->e_shnum = 3;
        p[0] = (Elf64_Phdr) { .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_filesz = BIG_SHOFF, .p_memsz = BIG_SHOFF,
                              .p_align = 0x1000 };
        p[1] = (Elf64_Phdr) { .p_type = PT_DYNAMIC, .p_flags = PF_R, .p_offset = BIG_DYNAMIC, .p_vaddr = BIG_DYNAMIC,
                              .p_filesz = 32, .p_memsz = 32, .p_align = 8 };
        dyn[0] = DT_INIT, dyn[1] = BIG_INIT;   /* then DT_NULL */
        memcpy(buf + BIG_DATA, data, sizeof(data));
        memset(buf + BIG_INIT, 0x90, BIG_SHOFF - BIG_INIT);   /* nop ... */
        buf[BIG_TEXT - 1] = 0xc3;                             /* .init: ret */
        s[1] = (Elf64_Shdr) { .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC | SHF_EXECINSTR, .sh_addr = BIG_INIT,
                              .sh_offset = BIG_INIT, .sh_size = BIG_TEXT - BIG_INIT, .sh_addralign = 4 };
        s[2] = (Elf64_Shdr) { .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC | SHF_EXECINSTR, .sh_addr = BIG_TEXT,
                              .sh_offset = BIG_TEXT, .sh_size = BIG_SHOFF - BIG_TEXT, .sh_addralign = 16 };
        return BIG_FILE;
}
