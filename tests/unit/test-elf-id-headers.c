/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* lib/elf-id: build-id notes, malformed headers, and what only elf_id_from_fd() does, on ELF images
 * built in memory (tests/unit/elf-fixture.c). */

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
#include "elf-id.h"
#include "macro.h"

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

int main(void) {
        const struct CMUnitTest tests[] = {
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
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
