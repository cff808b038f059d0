/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The libelf half of elf-id.h: section data, which the kernel never reads and the shim never needs.
 * Today that is the ARM build attributes (.ARM.attributes), which say what e_flags cannot: the
 * architecture version (v5/v6/v7/v8) that OCI's arm variants are about. The attributes parser itself
 * is pure and takes a buffer; only elf_id_read_sections() touches libelf. */

#include <elf.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <pthread.h>
#include <string.h>

#include "elf-id.h"
#include "macro.h"

/* ARM IHI 0045 (Addenda to, and Errata in, the ABI for the Arm Architecture), "Build attributes". */
#define ARM_ATTR_FORMAT_VERSION 'A'
#define ARM_ATTR_VENDOR_AEABI "aeabi"

enum {
        ARM_TAG_FILE = 1,
        ARM_TAG_CPU_RAW_NAME = 4,
        ARM_TAG_CPU_NAME = 5,
        ARM_TAG_CPU_ARCH = 6,
        ARM_TAG_ABI_VFP_ARGS = 28,
        ARM_TAG_COMPATIBILITY = 32,
};

/* How an attribute's value is encoded. */
typedef enum ArmAttrForm {
        ARM_ATTR_ULEB128,      /* an unsigned LEB128 integer */
        ARM_ATTR_NTBS,         /* a NUL-terminated byte string */
        ARM_ATTR_ULEB128_NTBS, /* an integer, then a string */
} ArmAttrForm;

/* Tag_CPU_arch (IHI 0045) -> architecture version: 0 pre-v4, 1 v4, 2 v4T, 3 v5T, 4 v5TE, 5 v5TEJ,
 * 6 v6, 7 v6KZ, 8 v6T2, 9 v6K, 10 v7, 11 v6-M, 12 v6S-M, 13 v7E-M. 14 and later (v8-A, v8-R, v8-M,
 * v8.1-M, v9-A) are all 8 to 32-bit code: see arm_cpu_arch_version(). */
static const uint8_t arm_cpu_arch_versions[] = {
        0, 4, 4, 5, 5, 5, 6, 6, 6, 6, 7, 6, 6, 7,
};

static unsigned arm_cpu_arch_version(uint64_t tag_cpu_arch) {
        if (tag_cpu_arch < ELEMENTSOF(arm_cpu_arch_versions))
                return arm_cpu_arch_versions[tag_cpu_arch];
        return 8;
}

/* Tag_ABI_VFP_args: 0 base AAPCS (soft), 1 VFP registers (hard); 2 (toolchain-specific) and 3 (no
 * float arguments, compatible with both) name neither Debian port. */
static ElfFloatAbi arm_vfp_args_float_abi(uint64_t vfp_args) {
        switch (vfp_args) {
        case 0:
                return ELF_FLOAT_ABI_SOFT;
        case 1:
                return ELF_FLOAT_ABI_HARD;
        default:
                return ELF_FLOAT_ABI_UNKNOWN;
        }
}

/* The encoding of a tag's value, so that tags we do not know can still be skipped. ARM (IHI 0045)
 * fixes the two string tags below 32 and Tag_compatibility (an integer, then a string); from 32 up,
 * odd tags are strings (Tag_also_compatible_with 65, Tag_conformance 67) and even tags integers
 * (Tag_nodefaults 64). RISC-V (riscv-elf-psabi, "Attributes") makes every odd tag a string. */
static ArmAttrForm arm_attr_form(uint64_t tag, bool riscv) {
        if (riscv)
                return tag & 1 ? ARM_ATTR_NTBS : ARM_ATTR_ULEB128;
        if (tag == ARM_TAG_CPU_RAW_NAME || tag == ARM_TAG_CPU_NAME)
                return ARM_ATTR_NTBS;
        if (tag == ARM_TAG_COMPATIBILITY)
                return ARM_ATTR_ULEB128_NTBS;
        if (tag > ARM_TAG_COMPATIBILITY && (tag & 1))
                return ARM_ATTR_NTBS;
        return ARM_ATTR_ULEB128;
}

/* The section's length fields are in the ELF file's byte order. */
static uint32_t u32_read(const uint8_t *p, uint8_t data) {
        uint32_t v = 0;

        for (size_t i = 0; i < 4; i++)
                v = v << 8 | p[data == ELFDATA2LSB ? 3 - i : i];
        return v;
}

/* Read an unsigned LEB128 at p[*off] within size, advancing *off only on success. More than 64 bits
 * is no value any tag has: refuse it rather than wrap. */
static int uleb128_read(const uint8_t *p, size_t size, size_t *off, uint64_t *ret) {
        uint64_t v = 0;
        size_t i = *off;

        for (unsigned shift = 0; i < size; shift += 7) {
                uint8_t b = p[i++];

                if (shift > 63 || (shift == 63 && (b & 0x7e)))
                        return -EBADMSG;
                v |= (uint64_t) (b & 0x7f) << shift;
                if (!(b & 0x80)) {
                        *off = i;
                        *ret = v;
                        return 0;
                }
        }
        return -EBADMSG; /* the last byte still said "more follows" */
}

static int ntbs_skip(const uint8_t *p, size_t size, size_t *off) {
        const uint8_t *nul = memchr(p + *off, 0, size - *off);

        if (!nul)
                return -EBADMSG;
        *off = (size_t) (nul - p) + 1;
        return 0;
}

typedef struct AttrWalk {
        uint8_t data;
        const char *vendor;
        bool riscv;
        ElfAttrCallback cb;
        void *userdata;
} AttrWalk;

/* The attributes of a Tag_File sub-subsection: <tag uleb128> <value>, to its end. */
static int attrs_parse_file(const AttrWalk *w, const uint8_t *p, size_t size) {
        size_t off = 0;
        int r;

        while (off < size) {
                ArmAttrForm form;
                const char *str = NULL;
                uint64_t tag, value = 0;

                r = uleb128_read(p, size, &off, &tag);
                if (r < 0)
                        return r;
                form = arm_attr_form(tag, w->riscv);
                if (form != ARM_ATTR_NTBS) {
                        r = uleb128_read(p, size, &off, &value);
                        if (r < 0)
                                return r;
                }
                if (form != ARM_ATTR_ULEB128) {
                        str = (const char *) p + off;
                        r = ntbs_skip(p, size, &off);
                        if (r < 0)
                                return r;
                }
                r = w->cb(tag, value, str, w->userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The vendor data: sub-subsections <tag uleb128> <size uint32, counted from the tag> <content>.
 * Only Tag_File speaks for the whole file; Tag_Section and Tag_Symbol ones are skipped whole. */
static int attrs_parse_vendor(const AttrWalk *w, const uint8_t *p, size_t size) {
        size_t off = 0;
        int r;

        while (off < size) {
                size_t start = off;
                uint64_t tag;
                uint32_t len;

                r = uleb128_read(p, size, &off, &tag);
                if (r < 0)
                        return r;
                if (size - off < 4)
                        return -EBADMSG;
                len = u32_read(p + off, w->data);
                off += 4;
                if (len < off - start || len > size - start)
                        return -EBADMSG;

                if (tag == ARM_TAG_FILE) {
                        r = attrs_parse_file(w, p + off, start + len - off);
                        if (r < 0)
                                return r;
                }
                off = start + len;
        }
        return 0;
}

/* A vendor subsection's body: <vendor name NTBS> <vendor data>. Only the wanted vendor's data is
 * parsed; other vendors' ("gnu") is skipped whole. */
static int attrs_parse_subsection(const AttrWalk *w, const uint8_t *p, size_t size) {
        const uint8_t *nul = memchr(p, 0, size);
        size_t name_size;

        if (!nul)
                return -EBADMSG;
        if (strcmp((const char *) p, w->vendor) != 0)
                return 0;

        name_size = (size_t) (nul - p) + 1;
        return attrs_parse_vendor(w, p + name_size, size - name_size);
}

int elf_build_attributes_foreach(const void *buf, size_t size, uint8_t data, const char *vendor, bool riscv,
                                 ElfAttrCallback cb, void *userdata) {
        const AttrWalk w = { .data = data, .vendor = vendor, .riscv = riscv, .cb = cb, .userdata = userdata };
        const uint8_t *p = buf;
        int r;

        if (data != ELFDATA2LSB && data != ELFDATA2MSB)
                return -EINVAL;
        if (size < 1 || p[0] != ARM_ATTR_FORMAT_VERSION)
                return -EBADMSG;

        /* Subsections: <length uint32, counting itself> <body>. */
        for (size_t off = 1; off < size;) {
                uint32_t len;

                if (size - off < 4)
                        return -EBADMSG;
                len = u32_read(p + off, data);
                if (len < 4 || len > size - off)
                        return -EBADMSG;

                r = attrs_parse_subsection(&w, p + off + 4, len - 4);
                if (r < 0)
                        return r;
                off += len;
        }
        return 0;
}

typedef struct ArmArchAbi {
        unsigned arch;
        ElfFloatAbi abi;
} ArmArchAbi;

/* A later value of the same tag replaces an earlier one. */
static int arm_arch_abi_cb(uint64_t tag, uint64_t value, const char *str, void *userdata) {
        ArmArchAbi *a = userdata;

        if (tag == ARM_TAG_CPU_ARCH)
                a->arch = arm_cpu_arch_version(value);
        else if (tag == ARM_TAG_ABI_VFP_ARGS)
                a->abi = arm_vfp_args_float_abi(value);
        return 0;
}

int elf_arm_attributes_parse(const void *buf, size_t size, uint8_t data, unsigned *ret_arch, ElfFloatAbi *ret_abi) {
        ArmArchAbi a = { .arch = 0, .abi = ELF_FLOAT_ABI_UNKNOWN };
        int r;

        r = elf_build_attributes_foreach(buf, size, data, ARM_ATTR_VENDOR_AEABI, false, arm_arch_abi_cb, &a);
        if (r < 0)
                return r;
        *ret_arch = a.arch;
        *ret_abi = a.abi;
        return 0;
}

/* libelf wants its version set before any other call; once per process is enough. */
static pthread_once_t elf_version_once = PTHREAD_ONCE_INIT;

static void elf_version_init(void) {
        (void) elf_version(EV_CURRENT);
}

static void elf_endp(Elf **e) {
        if (*e)
                (void) elf_end(*e);
}

/* The first SHT_ARM_ATTRIBUTES section, untranslated (libelf has no type for it: bytes as stored).
 * Returns 1 and the data, 0 when there is none, -EBADMSG when libelf cannot read the section table or
 * the section lies outside the file. */
static int elf_arm_attributes_find(Elf *e, Elf_Data **ret) {
        for (Elf_Scn *scn = elf_nextscn(e, NULL); scn; scn = elf_nextscn(e, scn)) {
                GElf_Shdr shdr;
                Elf_Data *d;

                if (!gelf_getshdr(scn, &shdr))
                        return -EBADMSG;
                if (shdr.sh_type != SHT_ARM_ATTRIBUTES)
                        continue;

                d = elf_rawdata(scn, NULL);
                if (!d)
                        return -EBADMSG;
                *ret = d;
                return 1;
        }
        return 0;
}

int elf_id_read_sections(int fd, ElfId *id) {
        _cleanup_(elf_endp) Elf *e = NULL;
        ElfFloatAbi abi;
        Elf_Data *d;
        unsigned arch;
        int r;

        if (id->machine != EM_ARM)
                return 0;

        (void) pthread_once(&elf_version_once, elf_version_init);
        e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
        if (!e || elf_kind(e) != ELF_K_ELF)
                return -EBADMSG;

        r = elf_arm_attributes_find(e, &d);
        if (r <= 0)
                return r;
        r = elf_arm_attributes_parse(d->d_buf, d->d_size, id->data, &arch, &abi);
        if (r < 0)
                return r;

        /* e_flags is what the loader checks (glibc's arm VALID_FLOAT_ABI), so it wins when it speaks;
         * the attributes fill in what it left open. */
        id->arm_arch = arch;
        if (id->float_abi == ELF_FLOAT_ABI_UNKNOWN)
                id->float_abi = abi;
        return 0;
}
