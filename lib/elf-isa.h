/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What an ELF file needs of its CPU beyond its architecture: the ISA level and features without which
 * it dies with SIGILL ("illegal instruction"). The evidence, in order (docs/check-arch.md):
 *
 *   declared   what the file says: GNU_PROPERTY_X86_ISA_1_NEEDED (and the upper bound
 *              GNU_PROPERTY_X86_ISA_1_USED) in its GNU property note, the build attributes
 *              .ARM.attributes (Tag_CPU_arch, Tag_FP_arch, Tag_Advanced_SIMD_arch, ...) and
 *              .riscv.attributes (Tag_RISCV_arch).
 *   code       where nothing declared answers: the executable segments disassembled with capstone,
 *              each instruction's feature taken from capstone's groups and ids (and, for the AArch64
 *              and POWER encodings capstone 4 predates, from the Arm ARM / Power ISA encoding groups).
 *
 * Code reached only after a run-time CPU check does not make the file require its features: it is
 * reported apart, as `dispatched`. Such code is (1) the targets an ifunc resolver chooses from
 * (STT_GNU_IFUNC symbols and IRELATIVE relocations; GCC function multiversioning and target_clones are
 * ifuncs), (2) code inside a branch on a CPU-capability value (a flag or word loaded from static
 * storage, HWCAP from getauxval(), cpuid/xgetbv, an ID register) - this covers libgcc's AArch64
 * outline-atomics helpers - and (3) functions reached only from (1) or (2). Everything reached some
 * other way, or whose callers cannot be seen, counts as required. elf-isa-scan.c has the details.
 *
 * Pure: takes the file's bytes (all of it, or its first bytes when it is larger than a cap), never
 * logs, never exits. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "elf-id.h"
#include "isa-table.h"

/* Bytes of a file kept for the analysis: a larger file is analysed from its first ELF_ISA_FILE_MAX
 * bytes (the code of a normal link lies near the start) and marked truncated. check-arch holds one
 * such buffer per layer worker. */
#define ELF_ISA_FILE_MAX (64u * 1024 * 1024)
/* A section header table past ELF_ISA_FILE_MAX is read apart when it is at most this large (16384
 * headers of 64 bytes; libLLVM's has 40). */
#define ELF_ISA_SHDRS_MAX (1024u * 1024)
/* Default bytes of code disassembled per file: past them the file is marked truncated. capstone 4
 * decodes x86-64 at about 10 MB/s per core, a sixth of gzip's speed: the bound keeps big programs
 * (compilers, node, Go programs: 10-30 MiB of code) from dominating an image (bench/check-arch), and
 * the first 2 MiB of a build's code show its level (a -march=x86-64-v3 build uses v3 instructions
 * throughout). check-arch --isa-code-max changes it. */
#define ELF_ISA_CODE_MAX (2u * 1024 * 1024)
/* Proof texts ("vpbroadcastd ymm0, xmm0", "GNU_PROPERTY_X86_ISA_1_NEEDED: x86-64-v3") are cut here. */
#define ELF_ISA_PROOF_MAX 80

typedef enum IsaEvidence {
        ISA_EVIDENCE_NONE,
        ISA_EVIDENCE_NOTE,      /* a GNU property note */
        ISA_EVIDENCE_ATTRIBUTE, /* .ARM.attributes / .riscv.attributes */
        ISA_EVIDENCE_CODE,      /* an instruction at address */
        _ISA_EVIDENCE_MAX,
        _ISA_EVIDENCE_INVALID = -22,
} IsaEvidence;

/* Why a feature is needed (or used behind a check): one note, attribute or instruction. */
typedef struct IsaProof {
        unsigned bit;
        bool dispatched;
        IsaEvidence evidence;
        uint64_t address;               /* ISA_EVIDENCE_CODE: the instruction's virtual address */
        char text[ELF_ISA_PROOF_MAX];   /* the instruction, or the note/attribute and its value */
} IsaProof;

typedef struct ElfIsa {
        IsaArch arch;
        IsaFeatures required;    /* needed on every path that can be seen */
        IsaFeatures dispatched;  /* used only behind a run-time check (never also in required) */
        IsaProof *proofs;        /* one per bit of required and of dispatched */
        size_t n_proofs;
        IsaEvidence source;      /* what answered: NOTE/ATTRIBUTE (no code read) or CODE */
        bool truncated;          /* the file was larger than what was given: code past it not read */
        uint64_t code_bytes;     /* bytes of code disassembled */
        unsigned n_ifuncs;       /* ifunc resolvers seen (x86-64: 0 when the code needs nothing, the
                                  * tables are then not read) */
        const char *dispatcher;  /* a library known to choose its code at run time (its SONAME
                                  * prefix, from the table in elf-isa-scan.c): all it uses counts as
                                  * dispatched; NULL otherwise */
} ElfIsa;

typedef struct ElfIsaOptions {
        /* What every target CPU of this architecture has: when the declared upper bound (x86's
         * ISA_1_USED) fits inside, no code is read. 0: always read the code where nothing declares. */
        IsaFeatures targets_have;
        bool have_targets;
        uint64_t code_max;       /* bytes of code disassembled at most; 0: ELF_ISA_CODE_MAX */
        /* The section header table (e_shnum * e_shentsize bytes at e_shoff), read apart by a caller
         * that holds only the file's first bytes while the table lies past them (ld writes it at the
         * end): the executable sections are then known, and the sweep skips the headers and .rodata
         * an executable segment also holds. NULL: none (or it lies in the buffer). Not a setting:
         * isa-cache hashes these bytes with the buffer's. */
        const void *shdrs;
        size_t shdrs_size;
} ElfIsaOptions;

/* The architecture of id whose ISA this module knows, or _ISA_ARCH_INVALID (i386, s390x, mips, ...,
 * and big-endian ppc64 are not analysed). */
IsaArch elf_isa_arch(const ElfId *id);

/* Analyse the ELF file whose first size bytes are buf; file_size is the whole file's size (larger
 * when the caller kept only a prefix). id is elf_id_from_buffer()'s answer for the same bytes.
 * Returns 0 with *ret filled (free with elf_isa_done()), -EOPNOTSUPP for an architecture
 * elf_isa_arch() does not know, -ENOMEM, or -EBADMSG when what the analysis needs (program headers,
 * a note, an attributes section) is malformed. */
int elf_isa_analyze(const void *buf, size_t size, uint64_t file_size, const ElfId *id, const ElfIsaOptions *o,
                    ElfIsa *ret);
/* elf_isa_analyze() where it costs little: returns 1 with *ret filled when a note or an attribute
 * answers, or when the x86-64 code has no instruction with a feature (elf-isa-x86-skim.c tells
 * without disassembling it whole); 0, with nothing in *ret, when the code must be disassembled whole
 * (then call elf_isa_analyze()); or elf_isa_analyze()'s errors. For a cache of analyses: what this
 * answers costs less to redo than to hash the file for a key. */
int elf_isa_analyze_quick(const void *buf, size_t size, uint64_t file_size, const ElfId *id, const ElfIsaOptions *o,
                          ElfIsa *ret);
void elf_isa_done(ElfIsa *isa);
/* Whether the caller, holding the first size bytes of a file of file_size bytes, should read the
 * section header table apart for ElfIsaOptions.shdrs: when it lies past them, inside the file, and
 * is at most ELF_ISA_SHDRS_MAX bytes. Then *ret_offset and *ret_size say where. */
bool elf_isa_shdrs_wanted(const void *buf, size_t size, uint64_t file_size, uint64_t *ret_offset, size_t *ret_size);
/* A copy of src (proofs included). Returns 0 or -ENOMEM. */
int elf_isa_copy(const ElfIsa *src, ElfIsa *ret);

/* The proof for bit (dispatched or not), or NULL. */
const IsaProof *elf_isa_proof(const ElfIsa *isa, unsigned bit, bool dispatched);

/* The lowest level that has all of isa->required, or NULL when an optional feature (AES, an
 * unknown RISC-V extension) puts it outside every level. */
const IsaLevel *elf_isa_required_level(const ElfIsa *isa);

/* Parse a GNU property note's descriptor (NT_GNU_PROPERTY_TYPE_0, 8-byte aligned pr_type/pr_datasz
 * pairs) for x86-64: GNU_PROPERTY_X86_ISA_1_NEEDED and _USED as feature sets (levels v2..v4; the
 * baseline bit is no feature). *ret_has_needed/_used say whether each property is present. Returns 0
 * or -EBADMSG when a property runs past the descriptor. */
int elf_isa_x86_property_parse(const void *desc, size_t size, IsaFeatures *ret_needed, bool *ret_has_needed,
                               IsaFeatures *ret_used, bool *ret_has_used);

/* The feature set .ARM.attributes declares (ARM IHI 0045: Tag_CPU_arch, Tag_CPU_arch_profile,
 * Tag_THUMB_ISA_use, Tag_FP_arch, Tag_Advanced_SIMD_arch, Tag_DIV_use, Tag_FP_HP_extension), with a
 * proof text naming the attribute behind the highest one. Returns 0 or -EBADMSG. */
int elf_isa_arm_attributes(const void *buf, size_t size, uint8_t data, IsaFeatures *ret, char *proof, size_t proof_size);

/* The feature set a RISC-V arch string declares ("rv64i2p1_m2p0_a2p1_f2p2_d2p2_c2p0_zba1p0_..."):
 * the extensions beyond rv64gc (and Zicsr/Zifencei) that the table knows, and ISA_RV_OTHER for any
 * other. Returns 0 or -EBADMSG when it is not an rv32/rv64 string. */
int elf_isa_riscv_arch_parse(const char *arch, IsaFeatures *ret);
/* Tag_RISCV_arch from a .riscv.attributes section ('A', "riscv" vendor, Tag_File), copied to buf.
 * Returns 0, -ENOENT when absent, -EBADMSG when malformed. */
int elf_isa_riscv_attributes(const void *buf, size_t size, char *arch, size_t arch_size);
