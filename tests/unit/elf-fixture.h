/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* ELF images built in memory for the unit tests of lib/elf-id and lib/elf-sections, in either byte
 * order, and the ways the tests run the code under test on them: through elf_id_from_buffer() on an
 * exact-size heap copy (so ASan catches any read past the end) and through elf_id_from_fd() on a
 * memfd. */

#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "elf-id.h"

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

extern const char *const via_names[_VIA_MAX];
extern Via vias[_VIA_MAX];

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

/* A build-id of the usual size. */
extern const uint8_t build_id_20[20];

/* Store a struct field at its <elf.h> offset and size for the fixture's class. */
#define STRUCT_PUT(f, base, T32, T64, field, v)                                                          \
        ((f)->elf_class == ELFCLASS64                                                                    \
                 ? put((f), (base) + offsetof(T64, field), (v), sizeof(((T64 *) 0)->field))              \
                 : put((f), (base) + offsetof(T32, field), (v), sizeof(((T32 *) 0)->field)))
#define EHDR_PUT(f, field, v) STRUCT_PUT(f, 0, Elf32_Ehdr, Elf64_Ehdr, field, v)
#define PHDR_PUT(f, base, field, v) STRUCT_PUT(f, base, Elf32_Phdr, Elf64_Phdr, field, v)
#define SHDR_PUT(f, base, field, v) STRUCT_PUT(f, base, Elf32_Shdr, Elf64_Shdr, field, v)
#define CLASS_SIZEOF(f, T) ((f)->elf_class == ELFCLASS64 ? sizeof(Elf64_##T) : sizeof(Elf32_##T))

/* Short names for the rows of the tables. */
#define C32 ELFCLASS32
#define C64 ELFCLASS64
#define LSB ELFDATA2LSB
#define MSB ELFDATA2MSB
#define FA_UNKNOWN ELF_FLOAT_ABI_UNKNOWN
#define FA_SOFT ELF_FLOAT_ABI_SOFT
#define FA_HARD ELF_FLOAT_ABI_HARD
#define MIPS_NONE ELF_MIPS_ABI_NONE

/* Run a test through both ways, as two cmocka tests. */
#define TEST_BOTH(f)                                                                   \
        { .name = #f "/buffer", .test_func = f, .initial_state = &vias[VIA_BUFFER] }, \
        { .name = #f "/fd", .test_func = f, .initial_state = &vias[VIA_FD] }

size_t align_up(size_t v, size_t a);
void store_uint(uint8_t *p, uint64_t v, size_t n, uint8_t data);
void bytes_put(Bytes *b, const void *p, size_t n);
void bytes_uint(Bytes *b, uint64_t v, size_t n, uint8_t data);
void bytes_pad(Bytes *b, size_t align);
void bytes_uleb(Bytes *b, uint64_t v);
void bytes_str(Bytes *b, const char *s);
size_t bytes_len_begin(Bytes *b, uint8_t data);
void bytes_len_end(Bytes *b, size_t at, size_t start, uint8_t data);
void bytes_note(Bytes *b, uint8_t data, size_t align, uint32_t type, const void *name, uint32_t namesz,
                       const void *desc, uint32_t descsz);
void bytes_note_build_id(Bytes *b, uint8_t data, size_t align, const void *id, uint32_t size);
void put(Fixture *f, size_t off, uint64_t v, size_t n);
void fixture_init(Fixture *f, uint8_t elf_class, uint8_t data, uint16_t machine, uint16_t type,
                         uint32_t flags);
void fixture_add_phdr(Fixture *f, uint32_t type, uint64_t offset, uint64_t filesz, uint64_t align);
size_t fixture_append(Fixture *f, const void *p, size_t n, size_t align);
size_t fixture_add_segment(Fixture *f, uint32_t type, const void *p, size_t n, size_t align);
void fixture_add_interp(Fixture *f, const char *path);
void fixture_add_dynamic(Fixture *f, const uint64_t (*entries)[2], size_t n);
size_t fixture_add_section(Fixture *f, uint32_t type, const void *p, size_t n);
int tmpfd_with(const void *p, size_t n);
int identify_bytes(const void *p, size_t n, Via via, ElfIdFlags flags, ElfId *ret);
int identify(const Fixture *f, Via via, ElfId *ret);
void identify_ok(const Fixture *f, Via via, ElfId *ret);
void poison(ElfId *id);
void assert_untouched(const ElfId *id);
void expect_bytes_error(const void *p, size_t n, Via via, int error);
void expect_error(const Fixture *f, Via via, int error);
Via via_of(void **state);
void assert_elf_id_equal(const ElfId *a, const ElfId *b);

/* fixture_big_x86()'s layout: a file larger than a test's BIG_LIMIT-byte buffer. */
#define BIG_LIMIT 0x2000
#define BIG_FILE 0x3000
#define BIG_DATA 0x100
#define BIG_DYNAMIC 0x200
#define BIG_INIT 0x1000
#define BIG_TEXT 0x1010
#define BIG_SHOFF 0x2800
#define BIG_SHDRS (3 * sizeof(Elf64_Shdr))
size_t fixture_big_x86(uint8_t *buf, bool with_init);
