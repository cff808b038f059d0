/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The declared half of elf-isa.h: GNU property notes, ARM and RISC-V build attributes, and the
 * results; elf-isa-scan.c reads the code where nothing declared answers. */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "elf-isa-internal.h"

#ifndef NT_GNU_PROPERTY_TYPE_0
#define NT_GNU_PROPERTY_TYPE_0 5
#endif
#ifndef PT_GNU_PROPERTY
#define PT_GNU_PROPERTY 0x6474e553
#endif
/* x86-64 psABI, "Program Property": the ISA level properties and their bits. */
#ifndef GNU_PROPERTY_X86_ISA_1_NEEDED
#define GNU_PROPERTY_X86_ISA_1_USED 0xc0010002u
#define GNU_PROPERTY_X86_ISA_1_NEEDED 0xc0008002u
#define GNU_PROPERTY_X86_ISA_1_V2 (1u << 1)
#define GNU_PROPERTY_X86_ISA_1_V3 (1u << 2)
#define GNU_PROPERTY_X86_ISA_1_V4 (1u << 3)
#endif
/* riscv-elf-psabi: the attributes section and its program header share the number. */
#ifndef SHT_RISCV_ATTRIBUTES
#define SHT_RISCV_ATTRIBUTES 0x70000003
#endif
#ifndef PT_RISCV_ATTRIBUTES
#define PT_RISCV_ATTRIBUTES 0x70000003
#endif
#define RISCV_TAG_ARCH 5

/* ---- the view -------------------------------------------------------------------------------- */

static uint64_t uint_at(const uint8_t *p, bool msb, unsigned n) {
        uint64_t x = 0;

        for (unsigned i = 0; i < n; i++)
                x |= (uint64_t) p[i] << (8 * (msb ? n - 1 - i : i));
        return x;
}

uint64_t elf_view_uint(const ElfView *v, uint64_t off, unsigned n) {
        return uint_at(v->buf + off, v->msb, n);
}

int elf_view_init(const uint8_t *buf, size_t size, ElfView *ret) {
        ElfView v = { .buf = buf, .size = size };

        if (size < 52 || memcmp(buf, ELFMAG, SELFMAG) != 0)
                return -EBADMSG;
        v.is64 = buf[EI_CLASS] == ELFCLASS64;
        v.msb = buf[EI_DATA] == ELFDATA2MSB;
        if (v.is64 && size < 64)
                return -EBADMSG;
        v.entry = elf_view_uint(&v, 24, v.is64 ? 8 : 4);
        v.phoff = elf_view_uint(&v, v.is64 ? 32 : 28, v.is64 ? 8 : 4);
        v.shoff = elf_view_uint(&v, v.is64 ? 40 : 32, v.is64 ? 8 : 4);
        v.phentsize = (unsigned) elf_view_uint(&v, v.is64 ? 54 : 42, 2);
        v.phnum = (unsigned) elf_view_uint(&v, v.is64 ? 56 : 44, 2);
        v.shentsize = (unsigned) elf_view_uint(&v, v.is64 ? 58 : 46, 2);
        v.shnum = (unsigned) elf_view_uint(&v, v.is64 ? 60 : 48, 2);
        if (v.phnum > ELF_PHNUM_MAX || (v.phnum && v.phentsize != (v.is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr))))
                return -EBADMSG;
        *ret = v;
        return 0;
}

int elf_view_phdr(const ElfView *v, unsigned i, ElfPhdrInfo *ret) {
        uint64_t o = v->phoff + (uint64_t) i * v->phentsize;

        if (i >= v->phnum || !elf_view_has(v, o, v->phentsize))
                return -EBADMSG;
        if (v->is64)
                *ret = (ElfPhdrInfo) { (uint32_t) elf_view_uint(v, o, 4), (uint32_t) elf_view_uint(v, o + 4, 4),
                                       elf_view_uint(v, o + 8, 8), elf_view_uint(v, o + 16, 8),
                                       elf_view_uint(v, o + 32, 8), elf_view_uint(v, o + 40, 8),
                                       elf_view_uint(v, o + 48, 8) };
        else
                *ret = (ElfPhdrInfo) { (uint32_t) elf_view_uint(v, o, 4), (uint32_t) elf_view_uint(v, o + 24, 4),
                                       elf_view_uint(v, o + 4, 4), elf_view_uint(v, o + 8, 4),
                                       elf_view_uint(v, o + 16, 4), elf_view_uint(v, o + 20, 4),
                                       elf_view_uint(v, o + 28, 4) };
        return 0;
}

int elf_view_shdr(const ElfView *v, unsigned i, ElfShdrInfo *ret) {
        unsigned want = v->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
        uint64_t o = (uint64_t) i * v->shentsize;
        unsigned w = v->is64 ? 8 : 4;
        const uint8_t *p;

        if (v->shoff == 0 || v->shnum == 0 || i >= v->shnum)
                return -ENOENT;
        if (v->shentsize != want)
                return -EBADMSG;
        if (v->shdrs) {
                if (o > v->shdrs_size || want > v->shdrs_size - o)
                        return -ENOENT;
                p = v->shdrs + o;
        } else {
                if (!elf_view_has(v, v->shoff + o, want))
                        return -ENOENT;
                p = v->buf + v->shoff + o;
        }
        *ret = (ElfShdrInfo) {
                .name = (uint32_t) uint_at(p, v->msb, 4),
                .type = (uint32_t) uint_at(p + 4, v->msb, 4),
                .flags = uint_at(p + 8, v->msb, w),
                .addr = uint_at(p + 8 + w, v->msb, w),
                .offset = uint_at(p + 8 + 2 * w, v->msb, w),
                .size = uint_at(p + 8 + 3 * w, v->msb, w),
                .link = uint_at(p + 8 + 4 * w, v->msb, 4),
                .entsize = uint_at(p + 16 + 5 * w, v->msb, w),
        };
        return 0;
}

/* The data of the first section of type, or of the first program header of ptype (0: none), when it
 * lies in the buffer. Returns 1 with it, 0 when absent or outside, -EBADMSG. */
static int elf_view_find(const ElfView *v, uint32_t type, uint32_t ptype, const uint8_t **ret, size_t *ret_size) {
        ElfShdrInfo s;
        ElfPhdrInfo p;
        int r;

        for (unsigned i = 0; ptype && i < v->phnum; i++) {
                r = elf_view_phdr(v, i, &p);
                if (r < 0)
                        return r;
                if (p.type == ptype && elf_view_has(v, p.offset, p.filesz)) {
                        *ret = v->buf + p.offset;
                        *ret_size = (size_t) p.filesz;
                        return 1;
                }
        }
        for (unsigned i = 0;; i++) {
                r = elf_view_shdr(v, i, &s);
                if (r == -ENOENT)
                        return 0;
                if (r < 0)
                        return r;
                if (s.type == type && elf_view_has(v, s.offset, s.size)) {
                        *ret = v->buf + s.offset;
                        *ret_size = (size_t) s.size;
                        return 1;
                }
        }
}

/* ---- results --------------------------------------------------------------------------------- */

int elf_isa_add_proof(ElfIsa *isa, unsigned bit, bool dispatched, IsaEvidence ev, uint64_t address,
                      const char *fmt, ...) {
        IsaProof *n;
        va_list ap;

        if (elf_isa_proof(isa, bit, dispatched))
                return 0;
        n = realloc(isa->proofs, (isa->n_proofs + 1) * sizeof(IsaProof));
        if (!n)
                return -ENOMEM;
        isa->proofs = n;
        n = &n[isa->n_proofs++];
        *n = (IsaProof) { .bit = bit, .dispatched = dispatched, .evidence = ev, .address = address };
        va_start(ap, fmt);
        (void) vsnprintf(n->text, sizeof(n->text), fmt, ap);
        va_end(ap);
        return 0;
}

const IsaProof *elf_isa_proof(const ElfIsa *isa, unsigned bit, bool dispatched) {
        for (size_t i = 0; i < isa->n_proofs; i++)
                if (isa->proofs[i].bit == bit && isa->proofs[i].dispatched == dispatched)
                        return &isa->proofs[i];
        return NULL;
}

void elf_isa_done(ElfIsa *isa) {
        free(isa->proofs);
        *isa = (ElfIsa) {};
}

int elf_isa_copy(const ElfIsa *src, ElfIsa *ret) {
        ElfIsa c = *src;

        c.proofs = NULL;
        if (src->n_proofs > 0) {
                c.proofs = malloc(src->n_proofs * sizeof(IsaProof));
                if (!c.proofs)
                        return -ENOMEM;
                memcpy(c.proofs, src->proofs, src->n_proofs * sizeof(IsaProof));
        }
        *ret = c;
        return 0;
}

const IsaLevel *elf_isa_required_level(const ElfIsa *isa) {
        return isa_level_lowest(isa->arch, isa->required);
}

IsaArch elf_isa_arch(const ElfId *id) {
        switch (id->machine) {
        case EM_X86_64:
                return id->elf_class == ELFCLASS64 && !id->x32 ? ISA_ARCH_X86_64 : _ISA_ARCH_INVALID;
        case EM_AARCH64:
                return id->data == ELFDATA2LSB ? ISA_ARCH_AARCH64 : _ISA_ARCH_INVALID;
        case EM_ARM:
                return ISA_ARCH_ARM;
        case EM_PPC64:
                return id->data == ELFDATA2LSB ? ISA_ARCH_PPC64LE : _ISA_ARCH_INVALID;
        case EM_RISCV:
                return id->elf_class == ELFCLASS64 ? ISA_ARCH_RISCV64 : _ISA_ARCH_INVALID;
        default:
                return _ISA_ARCH_INVALID;
        }
}

/* ---- x86-64: the GNU property note ------------------------------------------------------------ */

static IsaFeatures x86_isa_bits(uint32_t bits) {
        const IsaLevel *v2 = isa_level_by_name(ISA_ARCH_X86_64, "x86-64-v2"),
                       *v3 = isa_level_by_name(ISA_ARCH_X86_64, "x86-64-v3"),
                       *v4 = isa_level_by_name(ISA_ARCH_X86_64, "x86-64-v4");

        return (bits & GNU_PROPERTY_X86_ISA_1_V4 ? v4->features : 0) |
               (bits & GNU_PROPERTY_X86_ISA_1_V3 ? v3->features : 0) |
               (bits & GNU_PROPERTY_X86_ISA_1_V2 ? v2->features : 0);
}

int elf_isa_x86_property_parse(const void *desc, size_t size, IsaFeatures *ret_needed, bool *ret_has_needed,
                               IsaFeatures *ret_used, bool *ret_has_used) {
        const uint8_t *p = desc;
        IsaFeatures needed = 0, used = 0;
        bool has_needed = false, has_used = false;

        for (size_t off = 0; off + 8 <= size;) {
                uint32_t type, datasz, value = 0;

                memcpy(&type, p + off, 4);
                memcpy(&datasz, p + off + 4, 4);
                off += 8;
                if (datasz > size - off)
                        return -EBADMSG;
                if (datasz >= 4)
                        memcpy(&value, p + off, 4);
                if (type == GNU_PROPERTY_X86_ISA_1_NEEDED && datasz == 4) {
                        needed |= x86_isa_bits(value);
                        has_needed = true;
                } else if (type == GNU_PROPERTY_X86_ISA_1_USED && datasz == 4) {
                        used |= x86_isa_bits(value);
                        has_used = true;
                }
                off += (datasz + 7) & ~(size_t) 7; /* ELFCLASS64: 8-byte aligned */
        }
        *ret_needed = needed;
        *ret_has_needed = has_needed;
        *ret_used = used;
        *ret_has_used = has_used;
        return 0;
}

/* The NT_GNU_PROPERTY_TYPE_0 note of the file (PT_GNU_PROPERTY, else any PT_NOTE), or 0. */
static int x86_property_find(const ElfView *v, const uint8_t **ret, size_t *ret_size) {
        for (unsigned i = 0; i < v->phnum; i++) {
                ElfPhdrInfo p;
                int r = elf_view_phdr(v, i, &p);

                if (r < 0)
                        return r;
                if ((p.type != PT_GNU_PROPERTY && p.type != PT_NOTE) || !elf_view_has(v, p.offset, p.filesz))
                        continue;
                /* gABI notes: name and descriptor padded to the segment's alignment (4, or 8 for the
                 * GNU property notes of ELFCLASS64) */
                uint64_t al = p.align == 8 ? 8 : 4;
                for (uint64_t o = p.offset; o + 12 <= p.offset + p.filesz;) {
                        uint32_t namesz = (uint32_t) elf_view_uint(v, o, 4), descsz = (uint32_t) elf_view_uint(v, o + 4, 4);
                        uint32_t type = (uint32_t) elf_view_uint(v, o + 8, 4);
                        uint64_t name = o + 12, desc = o + ((12 + (uint64_t) namesz + al - 1) & ~(al - 1)),
                                 next = desc + (((uint64_t) descsz + al - 1) & ~(al - 1));

                        if (next > p.offset + p.filesz)
                                break; /* informational: a cut note answers nothing */
                        if (type == NT_GNU_PROPERTY_TYPE_0 && namesz == 4 && memcmp(v->buf + name, "GNU", 4) == 0) {
                                *ret = v->buf + desc;
                                *ret_size = descsz;
                                return 1;
                        }
                        o = next;
                }
        }
        return 0;
}

/* Returns 1 when the note answers (no code scan needed), 0 when the code must be read. */
static int x86_declared(const ElfView *v, const ElfIsaOptions *o, ElfIsa *isa) {
        IsaFeatures needed, used;
        bool has_needed, has_used;
        const uint8_t *desc;
        const IsaLevel *l;
        size_t n;
        int r;

        r = x86_property_find(v, &desc, &n);
        if (r <= 0)
                return r;
        r = elf_isa_x86_property_parse(desc, n, &needed, &has_needed, &used, &has_used);
        if (r < 0)
                return r;
        isa->required |= needed;
        l = isa_level_lowest(ISA_ARCH_X86_64, needed);
        for (unsigned bit = 0; needed && bit < 64; bit++)
                if ((needed & ISA_BIT(bit)) &&
                    elf_isa_add_proof(isa, bit, false, ISA_EVIDENCE_NOTE, 0, "GNU_PROPERTY_X86_ISA_1_NEEDED: %s",
                                      l ? l->name : "?") < 0)
                        return -ENOMEM;
        /* The loader refuses the file on a CPU below NEEDED (glibc >= 2.33): that answers a failing
         * check. USED is an upper bound of everything the objects used: inside what the targets have,
         * nothing can fail. */
        if (o->have_targets && (needed & ~o->targets_have))
                return 1;
        if (has_used && ((used & ~needed) == 0 || (o->have_targets && (used & ~o->targets_have) == 0)))
                return 1;
        return 0;
}

/* ---- 32-bit arm: .ARM.attributes ------------------------------------------------------------- */

enum {
        ARM_TAG_CPU_ARCH = 6,
        ARM_TAG_CPU_ARCH_PROFILE = 7,
        ARM_TAG_THUMB_ISA_USE = 9,
        ARM_TAG_FP_ARCH = 10,
        ARM_TAG_ADVANCED_SIMD_ARCH = 12,
        ARM_TAG_FP_HP_EXTENSION = 36,
        ARM_TAG_DIV_USE = 44,
};

#define AB(n) ISA_BIT(ISA_ARM_##n)
#define ARM_SOFT (AB(NEON) | AB(VFP_D32))

/* Tag_CPU_arch (IHI 0045): the architecture features each value implies for A/R-profile code. */
static IsaFeatures arm_cpu_arch_features(uint64_t v) {
        if (v >= 14 && v != 16 && v != 17 && v != 20)
                return AB(V6) | AB(V6T2) | AB(V7) | AB(V8);           /* v8-A, v8-R, v9-A */
        switch (v) {
        case 6: case 7: case 9:
                return AB(V6);                                       /* v6, v6KZ, v6K */
        case 8:
                return AB(V6) | AB(V6T2);
        case 10:
                return AB(V6) | AB(V6T2) | AB(V7);
        case 11: case 12: case 13: case 16: case 17: case 20:
                return AB(MPROFILE);                                 /* v6-M .. v8.1-M */
        default:
                return 0;                                            /* pre-v4 .. v5TEJ */
        }
}

/* Tag_FP_arch: 1 VFPv1, 2 VFPv2, 3 VFPv3, 4 VFPv3-D16, 5 VFPv4, 6 VFPv4-D16, 7 FP-ARMv8, 8 FP-ARMv8-D16. */
static IsaFeatures arm_fp_features(uint64_t v) {
        static const IsaFeatures fp[] = {
                0, AB(VFPV2), AB(VFPV2), AB(VFPV2) | AB(VFPV3) | AB(VFP_D32), AB(VFPV2) | AB(VFPV3),
                AB(VFPV2) | AB(VFPV3) | AB(VFPV4) | AB(VFP_D32), AB(VFPV2) | AB(VFPV3) | AB(VFPV4),
                AB(VFPV2) | AB(VFPV3) | AB(VFPV4) | AB(FP_ARMV8) | AB(VFP_D32),
                AB(VFPV2) | AB(VFPV3) | AB(VFPV4) | AB(FP_ARMV8),
        };
        return v < ELEMENTSOF(fp) ? fp[v] : fp[ELEMENTSOF(fp) - 1];
}

typedef struct ArmAttrs {
        IsaFeatures f;
        const char *tag[64];  /* per feature bit: the attribute that declared it, and its value */
        uint64_t value[64];
} ArmAttrs;

static int arm_attr_cb(uint64_t tag, uint64_t value, const char *str, void *userdata) {
        ArmAttrs *a = userdata;
        IsaFeatures add = 0;
        const char *name = NULL;

        switch (tag) {
        case ARM_TAG_CPU_ARCH:
                add = arm_cpu_arch_features(value), name = "Tag_CPU_arch";
                break;
        case ARM_TAG_CPU_ARCH_PROFILE:
                add = value == 'M' ? AB(MPROFILE) : value == 'R' ? AB(RPROFILE) : 0, name = "Tag_CPU_arch_profile";
                break;
        case ARM_TAG_THUMB_ISA_USE:
                add = value >= 2 ? AB(THUMB2) | AB(V6T2) : 0, name = "Tag_THUMB_ISA_use";
                break;
        case ARM_TAG_FP_ARCH:
                add = arm_fp_features(value), name = "Tag_FP_arch";
                break;
        case ARM_TAG_ADVANCED_SIMD_ARCH:
                add = value >= 1 ? AB(NEON) | AB(VFP_D32) : 0, name = "Tag_Advanced_SIMD_arch";
                break;
        case ARM_TAG_FP_HP_EXTENSION:
                add = value >= 1 ? AB(FP16) : 0, name = "Tag_FP_HP_extension";
                break;
        case ARM_TAG_DIV_USE:
                add = value == 2 ? AB(IDIV) : 0, name = "Tag_DIV_use";
                break;
        }
        for (unsigned bit = 0; bit < 64; bit++)
                if ((add & ISA_BIT(bit)) && !a->tag[bit]) {
                        a->tag[bit] = name;
                        a->value[bit] = value;
                }
        a->f |= add;
        return 0;
}

static int arm_attributes(const void *buf, size_t size, uint8_t data, ArmAttrs *ret) {
        *ret = (ArmAttrs) {};
        return elf_build_attributes_foreach(buf, size, data, "aeabi", false, arm_attr_cb, ret);
}

int elf_isa_arm_attributes(const void *buf, size_t size, uint8_t data, IsaFeatures *ret, char *proof, size_t proof_size) {
        ArmAttrs a;
        int r;

        r = arm_attributes(buf, size, data, &a);
        if (r < 0)
                return r;
        if (proof_size > 0)
                proof[0] = 0;
        for (int bit = 63; bit >= 0 && proof_size > 0 && !proof[0]; bit--)
                if (a.tag[bit])
                        snprintf(proof, proof_size, "%s: %" PRIu64, a.tag[bit], a.value[bit]);
        *ret = a.f;
        return 0;
}

static int arm_declared(const ElfView *v, ElfIsa *isa) {
        const uint8_t *p;
        ArmAttrs a;
        size_t n;
        int r;

        r = elf_view_find(v, SHT_ARM_ATTRIBUTES, 0, &p, &n);
        if (r <= 0)
                return r;
        r = arm_attributes(p, n, v->msb ? ELFDATA2MSB : ELFDATA2LSB, &a);
        if (r < 0)
                return r;
        /* The linker merges every object's attributes to the highest: glibc's NEON memcpy (ifunc) makes
         * Debian's armhf programs declare NEON and 32 D registers although they run without. Those two
         * count as used, not required; the architecture, profile and FP version are the build's. */
        isa->required |= a.f & ~ARM_SOFT;
        isa->dispatched |= a.f & ARM_SOFT;
        for (unsigned bit = 0; bit < 64; bit++)
                if ((a.f & ISA_BIT(bit)) &&
                    elf_isa_add_proof(isa, bit, (ARM_SOFT & ISA_BIT(bit)) != 0, ISA_EVIDENCE_ATTRIBUTE, 0,
                                      ".ARM.attributes %s: %" PRIu64, a.tag[bit] ?: "?", a.value[bit]) < 0)
                        return -ENOMEM;
        return 1;
}

/* ---- riscv64: .riscv.attributes -------------------------------------------------------------- */

/* The single-letter extensions of rv64gc and what Linux requires anyway. */
static bool riscv_base_extension(const char *name, size_t n) {
        static const char * const base[] = { "i", "m", "a", "f", "d", "c", "g", "e", "zicsr", "zifencei", "zmmul", "zaamo", "zalrsc", "zca", "zcd" };

        for (size_t i = 0; i < ELEMENTSOF(base); i++)
                if (strlen(base[i]) == n && strneq(base[i], name, n))
                        return true;
        return false;
}

static IsaFeatures riscv_extension(const char *name, size_t n) {
        if (riscv_base_extension(name, n))
                return 0;
        for (unsigned i = 0; i < isa_feature_table_size; i++) {
                const IsaFeatureInfo *f = &isa_feature_table[i];

                if (f->arch == ISA_ARCH_RISCV64 && f->bit != ISA_RV_OTHER && strlen(f->name) == n && strneq(f->name, name, n))
                        return ISA_BIT(f->bit);
        }
        return ISA_BIT(ISA_RV_OTHER);
}

/* Extension name length: letters, then an optional version "2p1" (digits, 'p', digits). */
static size_t riscv_name_len(const char *s, size_t n) {
        size_t k = n;

        while (k > 0 && (s[k - 1] >= '0' && s[k - 1] <= '9'))
                k--;
        if (k < n && k > 0 && s[k - 1] == 'p') {
                size_t j = k - 1;
                while (j > 0 && s[j - 1] >= '0' && s[j - 1] <= '9')
                        j--;
                if (j < k - 1)
                        k = j;
        }
        return k == 0 ? n : k;
}

int elf_isa_riscv_arch_parse(const char *arch, IsaFeatures *ret) {
        IsaFeatures f = 0;
        const char *p;

        if (!arch || (!strneq(arch, "rv64", 4) && !strneq(arch, "rv32", 4)))
                return -EBADMSG;
        for (p = arch + 4; *p;) {
                size_t n = strcspn(p, "_"), len = riscv_name_len(p, n);

                /* The first component holds the base and single-letter extensions run together
                 * ("i2p1" or, in short form, "imafdc"): letters before any version each count. */
                if (p == arch + 4 && len > 1 && p[0] != 'z' && p[0] != 's' && p[0] != 'x') {
                        for (size_t i = 0; i < len; i++)
                                f |= riscv_extension(p + i, 1);
                } else if (len > 0)
                        f |= riscv_extension(p, len);
                p += n;
                if (*p == '_')
                        p++;
        }
        *ret = f;
        return 0;
}

typedef struct RiscvArch {
        char *buf;
        size_t size;
        bool found;
} RiscvArch;

static int riscv_attr_cb(uint64_t tag, uint64_t value, const char *str, void *userdata) {
        RiscvArch *a = userdata;

        if (tag == RISCV_TAG_ARCH && str) {
                snprintf(a->buf, a->size, "%s", str);
                a->found = true;
        }
        return 0;
}

int elf_isa_riscv_attributes(const void *buf, size_t size, char *arch, size_t arch_size) {
        RiscvArch a = { .buf = arch, .size = arch_size };
        int r;

        r = elf_build_attributes_foreach(buf, size, ELFDATA2LSB, "riscv", true, riscv_attr_cb, &a);
        if (r < 0)
                return r;
        return a.found ? 0 : -ENOENT;
}

static int riscv_declared(const ElfView *v, ElfIsa *isa) {
        char arch[256];
        const uint8_t *p;
        IsaFeatures f;
        size_t n;
        int r;

        r = elf_view_find(v, SHT_RISCV_ATTRIBUTES, PT_RISCV_ATTRIBUTES, &p, &n);
        if (r <= 0)
                return r;
        r = elf_isa_riscv_attributes(p, n, arch, sizeof(arch));
        if (r == -ENOENT)
                return 0;
        if (r >= 0)
                r = elf_isa_riscv_arch_parse(arch, &f);
        if (r < 0)
                return r;
        isa->required |= f;
        for (unsigned bit = 0; bit < 64; bit++)
                if ((f & ISA_BIT(bit)) &&
                    elf_isa_add_proof(isa, bit, false, ISA_EVIDENCE_ATTRIBUTE, 0, "Tag_RISCV_arch: %s", arch) < 0)
                        return -ENOMEM;
        return 1;
}

/* ---- the analysis ---------------------------------------------------------------------------- */

bool elf_isa_shdrs_wanted(const void *buf, size_t size, uint64_t file_size, uint64_t *ret_offset, size_t *ret_size) {
        uint64_t n;
        ElfView v;

        if (size >= file_size || elf_view_init(buf, size, &v) < 0 || v.shoff == 0 || v.shnum == 0 ||
            v.shentsize != (v.is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr)) || elf_view_has(&v, v.shoff, 1))
                return false;
        n = (uint64_t) v.shnum * v.shentsize;
        if (n > ELF_ISA_SHDRS_MAX || v.shoff > file_size || n > file_size - v.shoff)
                return false;
        *ret_offset = v.shoff;
        *ret_size = (size_t) n;
        return true;
}

/* quick: stop with 0 where the code needs disassembling whole (elf_isa_analyze_quick()); 1 otherwise */
static int analyze(const void *buf, size_t size, uint64_t file_size, const ElfId *id, const ElfIsaOptions *o,
                   bool quick, ElfIsa *ret) {
        static const ElfIsaOptions defaults = {};
        ElfIsa isa = { .arch = elf_isa_arch(id), .truncated = size < file_size };
        ElfView v;
        int r;

        if (isa.arch < 0)
                return -EOPNOTSUPP;
        if (!o)
                o = &defaults;
        r = elf_view_init(buf, size, &v);
        if (r < 0)
                return r;
        if (o->shdrs && !elf_view_has(&v, v.shoff, 1)) {
                /* the table past the buffer, read apart by the caller */
                v.shdrs = o->shdrs;
                v.shdrs_size = o->shdrs_size;
        }
        switch (isa.arch) {
        case ISA_ARCH_X86_64:
                r = x86_declared(&v, o, &isa);
                break;
        case ISA_ARCH_ARM:
                r = arm_declared(&v, &isa);
                break;
        case ISA_ARCH_RISCV64:
                r = riscv_declared(&v, &isa);
                break;
        default:
                r = 0;
        }
        if (r > 0) {
                isa.source = isa.arch == ISA_ARCH_X86_64 ? ISA_EVIDENCE_NOTE : ISA_EVIDENCE_ATTRIBUTE;
                r = 0;
        } else if (r == 0 && v.is64 && !v.msb && isa.arch != ISA_ARCH_RISCV64) {
                isa.source = ISA_EVIDENCE_CODE;
                r = elf_isa_scan_code(&v, o->code_max ?: ELF_ISA_CODE_MAX, quick, &isa);
        }
        if (r != 0) {   /* an error, or (quick) the code needs the whole sweep */
                elf_isa_done(&isa);
                return r < 0 ? r : 0;
        }
        isa.dispatched &= ~isa.required;
        *ret = isa;
        return 1;
}

int elf_isa_analyze(const void *buf, size_t size, uint64_t file_size, const ElfId *id, const ElfIsaOptions *o,
                    ElfIsa *ret) {
        int r = analyze(buf, size, file_size, id, o, false, ret);

        return r < 0 ? r : 0;
}

int elf_isa_analyze_quick(const void *buf, size_t size, uint64_t file_size, const ElfId *id, const ElfIsaOptions *o,
                          ElfIsa *ret) {
        return analyze(buf, size, file_size, id, o, true, ret);
}
