/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by elf-isa.c (declared evidence, results) and elf-isa-scan.c (the code scan). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "elf-isa.h"
#include "macro.h"

/* A bounds-checked view of an ELF file's first bytes, and of its section header table when that lies
 * past them and the caller read it apart (ElfIsaOptions.shdrs). */
typedef struct ElfView {
        const uint8_t *buf;
        size_t size;
        const uint8_t *shdrs;    /* NULL: the table is read from buf at shoff */
        size_t shdrs_size;
        bool is64, msb;
        uint64_t entry;
        uint64_t phoff, shoff;
        unsigned phnum, shnum, phentsize, shentsize;
} ElfView;

typedef struct ElfPhdrInfo {
        uint32_t type, flags;
        uint64_t offset, vaddr, filesz, memsz, align;
} ElfPhdrInfo;

typedef struct ElfShdrInfo {
        uint32_t name, type;
        uint64_t flags, addr, offset, size, link, entsize;
} ElfShdrInfo;

uint64_t elf_view_uint(const ElfView *v, uint64_t off, unsigned n);
int elf_view_init(const uint8_t *buf, size_t size, ElfView *ret);
/* Program header i; -EBADMSG when outside the buffer. */
int elf_view_phdr(const ElfView *v, unsigned i, ElfPhdrInfo *ret);
/* Section header i (from v->shdrs when set); -ENOENT when the table is not inside the buffer,
 * -EBADMSG when malformed. */
int elf_view_shdr(const ElfView *v, unsigned i, ElfShdrInfo *ret);
/* Whether [off, off+size) lies in the buffer. */
static inline bool elf_view_has(const ElfView *v, uint64_t off, uint64_t size) {
        return off <= v->size && size <= v->size - off;
}

/* Record (once per bit and kind) why a feature is needed. The text is printf-formatted. */
_printf_(6, 7) int elf_isa_add_proof(ElfIsa *isa, unsigned bit, bool dispatched, IsaEvidence ev, uint64_t address,
                                     const char *fmt, ...);

/* Disassemble the executable segments of the 64-bit little-endian file in v (x86-64, aarch64,
 * ppc64le), adding what the code needs to isa->required and isa->dispatched with proofs. Returns 0,
 * -ENOMEM, or -EOPNOTSUPP when capstone cannot be opened for the architecture. quick: return 1
 * instead where the code must be disassembled whole (aarch64, ppc64le; x86-64 code with an
 * instruction that has a feature), with isa partly filled. */
int elf_isa_scan_code(const ElfView *v, uint64_t code_max, bool quick, ElfIsa *isa);

/* ---- the code scan (elf-isa-scan.c drives, elf-isa-insn.c knows the instructions) ------------- */

#include <capstone/capstone.h>

/* What one instruction told the scan. */
typedef enum ScanFlow {
        SCAN_FLOW_NONE,
        SCAN_FLOW_CALL,   /* direct call to target */
        SCAN_FLOW_JUMP,   /* direct jump or conditional branch to target */
        SCAN_FLOW_REF,    /* materialises the address target (lea, adrp+add, addis+addi) */
} ScanFlow;

/* How many instructions a tag or a flags result stays meaningful: the compilers put the load, the test
 * and the branch next to each other. */
#define REG_AGE_MAX 12
#define FLAGS_AGE_MAX 2

/* A few registers' recent meaning, for recognising a branch on a CPU-capability value. Registers are
 * canonical numbers (0..31); ages count instructions. */
typedef enum RegTag {
        REG_TAG_NONE,
        REG_TAG_ADDR,     /* holds a static address (x86 lea rip-relative, adrp page, adrp+add) */
        REG_TAG_VALUE,    /* holds a value loaded from static storage */
        REG_TAG_CAP,      /* holds cpuid/xgetbv output or a call's result (getauxval) */
        REG_TAG_LOADED,   /* aarch64: loaded from memory (a struct field: glibc's GLRO(dl_hwcap)) */
} RegTag;

typedef struct RegState {
        RegTag tag[32];
        uint64_t value[32];  /* REG_TAG_ADDR: the address (or page) */
        uint64_t when[32];   /* instruction number of the last write */
} RegState;

typedef struct InsnResult {
        int feature;          /* a feature bit, or -1 */
        ScanFlow flow;
        uint64_t target;
        bool guard;           /* a forward branch on a capability value, skipping the guarded code:
                               * [next, target) is guarded */
        bool guard_taken;     /* a branch on a capability value taken when the feature is there: the
                               * code from target to the next barrier is guarded */
        bool barrier;         /* control never falls through (ret, unconditional jump) */
        bool probe;           /* asks the CPU what it has (cpuid, xgetbv) */
        bool conditional;     /* SCAN_FLOW_JUMP that may fall through */
} InsnResult;

typedef struct InsnContext {
        IsaArch arch;
        csh cs;
        RegState regs;
        uint64_t n;           /* instructions so far */
        uint64_t flags_cap;   /* x86: instruction number at which flags came from a capability test */
        bool flags_valid;
        bool flags_eq_set;    /* x86: "equal" means the feature is there (cmp with a non-zero value) */
        uint64_t tags_live_until; /* no register holds a young tag once n is past this */
} InsnContext;

int insn_context_open(InsnContext *c, IsaArch arch);
void insn_context_close(InsnContext *c);
/* A register's tag by canonical number (0..31; -1: none): its meaning if written recently (ppc's r2,
 * the TOC pointer, does not age). */
void insn_reg_set(InsnContext *c, int k, RegTag tag, uint64_t value);
RegTag insn_reg_tag(const InsnContext *c, int k, uint64_t *ret_value);
/* Classify a decoded instruction (aarch64, ppc64le: x86-64 is elf-isa-x86.c's). */
void insn_classify(InsnContext *c, const cs_insn *insn, InsnResult *ret);
/* A word capstone could not decode (fixed-width architectures): the feature its encoding group
 * belongs to (-1: none known, e.g. data), with a short description for proofs, and its width. */
int insn_undecodable(IsaArch arch, const uint8_t *p, size_t n, const char **ret_what, unsigned *ret_width);
/* A word that proves no requirement on its own (see elf-isa-insn.c): its feature counts as used. */
bool insn_soft(IsaArch arch, const uint8_t *p, size_t n);
