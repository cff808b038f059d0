/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* lib/elf-sections.c: ARM build attributes (.ARM.attributes) and ELF_ID_SECTIONS, on ELF images built in
 * memory (tests/unit/elf-fixture.c). */

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

int main(void) {
        const struct CMUnitTest tests[] = {
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
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
