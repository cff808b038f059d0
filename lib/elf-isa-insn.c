/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One instruction at a time, for elf-isa-scan.c: the feature it needs (from capstone's groups and
 * instruction ids), where it leads (calls, jumps, address materialisation) and whether it is a branch
 * on a CPU-capability value. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "elf-isa-internal.h"


/* ---- registers --------------------------------------------------------------------------------- */

/* capstone numbers every width of a register apart (al, ax, eax, rax; w0, x0): one number each. */
static int8_t a64_canon[ARM64_REG_ENDING], ppc_canon[PPC_REG_ENDING];
static pthread_once_t canon_once = PTHREAD_ONCE_INIT;

static void canon_init(void) {
        csh h;

        memset(a64_canon, -1, sizeof(a64_canon));
        memset(ppc_canon, -1, sizeof(ppc_canon));
        if (cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &h) == CS_ERR_OK) {
                for (int r = 1; r < ARM64_REG_ENDING; r++) {
                        const char *n = cs_reg_name(h, (unsigned) r);
                        if (n && (n[0] == 'x' || n[0] == 'w') && isdigit((unsigned char) n[1]))
                                a64_canon[r] = (int8_t) (atoi(n + 1) & 31);
                }
                cs_close(&h);
        }
        if (cs_open(CS_ARCH_PPC, CS_MODE_64 | CS_MODE_LITTLE_ENDIAN, &h) == CS_ERR_OK) {
                for (int r = 1; r < PPC_REG_ENDING; r++) {
                        const char *n = cs_reg_name(h, (unsigned) r);
                        if (n && n[0] == 'r' && isdigit((unsigned char) n[1]))
                                ppc_canon[r] = (int8_t) (atoi(n + 1) & 31);
                }
                cs_close(&h);
        }
}

static int canon(const InsnContext *c, unsigned reg) {
        switch (c->arch) {
        case ISA_ARCH_AARCH64:
                return reg < ARM64_REG_ENDING ? a64_canon[reg] : -1;
        case ISA_ARCH_PPC64LE:
                return reg < PPC_REG_ENDING ? ppc_canon[reg] : -1;
        default:
                return -1;
        }
}

void insn_reg_set(InsnContext *c, int k, RegTag tag, uint64_t value) {
        if (k < 0)
                return;
        c->regs.tag[k] = tag;
        c->regs.value[k] = value;
        c->regs.when[k] = c->n;
        if (tag != REG_TAG_NONE && c->n + REG_AGE_MAX > c->tags_live_until)
                c->tags_live_until = c->n + REG_AGE_MAX;
}

static void reg_set(InsnContext *c, unsigned reg, RegTag tag, uint64_t value) {
        insn_reg_set(c, canon(c, reg), tag, value);
}

RegTag insn_reg_tag(const InsnContext *c, int k, uint64_t *ret_value) {
        if (k < 0 || c->regs.tag[k] == REG_TAG_NONE)
                return REG_TAG_NONE;
        if (!(c->arch == ISA_ARCH_PPC64LE && k == 2) && c->n - c->regs.when[k] > REG_AGE_MAX)
                return REG_TAG_NONE;
        if (ret_value)
                *ret_value = c->regs.value[k];
        return c->regs.tag[k];
}

static RegTag reg_tag(const InsnContext *c, unsigned reg, uint64_t *ret_value) {
        return insn_reg_tag(c, canon(c, reg), ret_value);
}

int insn_context_open(InsnContext *c, IsaArch arch) {
        static const struct {
                cs_arch arch;
                cs_mode mode;
        } modes[_ISA_ARCH_MAX] = {
                [ISA_ARCH_X86_64] = { CS_ARCH_X86, CS_MODE_64 },
                [ISA_ARCH_AARCH64] = { CS_ARCH_ARM64, CS_MODE_ARM },
                [ISA_ARCH_PPC64LE] = { CS_ARCH_PPC, CS_MODE_64 | CS_MODE_LITTLE_ENDIAN },
        };

        (void) pthread_once(&canon_once, canon_init);
        *c = (InsnContext) { .arch = arch };
        if (arch != ISA_ARCH_X86_64 && arch != ISA_ARCH_AARCH64 && arch != ISA_ARCH_PPC64LE)
                return -EOPNOTSUPP;
        if (cs_open(modes[arch].arch, modes[arch].mode, &c->cs) != CS_ERR_OK)
                return -EOPNOTSUPP;
        if (cs_option(c->cs, CS_OPT_DETAIL, CS_OPT_ON) != CS_ERR_OK) {
                cs_close(&c->cs);
                return -EOPNOTSUPP;
        }
        return 0;
}

void insn_context_close(InsnContext *c) {
        if (c->cs)
                cs_close(&c->cs);
}

/* ---- aarch64 ----------------------------------------------------------------------------------- */

static int a64_feature(const cs_insn *insn) {
        const cs_detail *d = insn->detail;

        for (uint8_t g = 0; g < d->groups_count; g++) {
                if (d->groups[g] == ARM64_GRP_CRC)
                        return ISA_A64_CRC;
                if (d->groups[g] == ARM64_GRP_CRYPTO)
                        return strneq(insn->mnemonic, "sha", 3) ? ISA_A64_SHA2 : ISA_A64_AES;
        }
        return -1;
}

static void a64_branch(InsnContext *c, const cs_insn *insn, InsnResult *ret) {
        const cs_arm64 *a = &insn->detail->arm64;
        const cs_arm64_op *op = a->operands;
        uint64_t next = insn->address + insn->size;
        RegTag t;

        switch (insn->id) {
        case ARM64_INS_BL:
        case ARM64_INS_B:
                if (a->op_count != 1 || op[0].type != ARM64_OP_IMM)
                        return;
                ret->flow = insn->id == ARM64_INS_BL ? SCAN_FLOW_CALL : SCAN_FLOW_JUMP;
                ret->target = (uint64_t) op[0].imm;
                ret->barrier = insn->id == ARM64_INS_B && a->cc == ARM64_CC_INVALID;
                ret->conditional = insn->id == ARM64_INS_B && a->cc != ARM64_CC_INVALID;
                if (insn->id == ARM64_INS_B && c->flags_valid && c->n - c->flags_cap <= FLAGS_AGE_MAX) {
                        ret->guard = a->cc == ARM64_CC_EQ && ret->target > next;
                        ret->guard_taken = a->cc == ARM64_CC_NE && ret->target > next;
                }
                if (insn->id == ARM64_INS_BL)
                        reg_set(c, ARM64_REG_X0, REG_TAG_CAP, 0);
                return;
        case ARM64_INS_CBZ:
        case ARM64_INS_CBNZ:
                if (a->op_count != 2 || op[1].type != ARM64_OP_IMM)
                        return;
                ret->flow = SCAN_FLOW_JUMP;
                ret->conditional = true;
                ret->target = (uint64_t) op[1].imm;
                t = reg_tag(c, op[0].reg, NULL);
                ret->guard = insn->id == ARM64_INS_CBZ && t == REG_TAG_VALUE && ret->target > next;
                ret->guard_taken = insn->id == ARM64_INS_CBNZ && t == REG_TAG_VALUE && ret->target > next;
                return;
        case ARM64_INS_TBZ:
        case ARM64_INS_TBNZ:
                if (a->op_count != 3 || op[2].type != ARM64_OP_IMM)
                        return;
                ret->flow = SCAN_FLOW_JUMP;
                ret->conditional = true;
                ret->target = (uint64_t) op[2].imm;
                t = reg_tag(c, op[0].reg, NULL);
                /* a single-bit test of a loaded word or a call's result: how HWCAP bits are tested */
                ret->guard = insn->id == ARM64_INS_TBZ && t != REG_TAG_NONE && t != REG_TAG_ADDR && ret->target > next;
                ret->guard_taken = insn->id == ARM64_INS_TBNZ && t != REG_TAG_NONE && t != REG_TAG_ADDR && ret->target > next;
                return;
        }
}

static void a64_classify(InsnContext *c, const cs_insn *insn, InsnResult *ret) {
        const cs_arm64 *a = &insn->detail->arm64;
        const cs_arm64_op *op = a->operands;
        uint64_t v;
        RegTag t;

        ret->feature = a64_feature(insn);
        ret->barrier = insn->id == ARM64_INS_RET || insn->id == ARM64_INS_BR;
        switch (insn->id) {
        case ARM64_INS_ADRP:
                if (a->op_count == 2 && op[1].type == ARM64_OP_IMM)
                        reg_set(c, op[0].reg, REG_TAG_ADDR, (uint64_t) op[1].imm);
                return;
        case ARM64_INS_ADD:
                if (a->op_count == 3 && op[1].type == ARM64_OP_REG && op[2].type == ARM64_OP_IMM && op[2].shift.value == 0 &&
                    reg_tag(c, op[1].reg, &v) == REG_TAG_ADDR) {
                        ret->flow = SCAN_FLOW_REF;
                        ret->target = v + (uint64_t) op[2].imm;
                        reg_set(c, op[0].reg, REG_TAG_ADDR, ret->target);
                } else if (a->op_count >= 1 && op[0].type == ARM64_OP_REG)
                        reg_set(c, op[0].reg, REG_TAG_NONE, 0);
                return;
        case ARM64_INS_LDR: case ARM64_INS_LDRB: case ARM64_INS_LDRH: case ARM64_INS_LDRSW:
        case ARM64_INS_LDUR: case ARM64_INS_LDURB: case ARM64_INS_LDURH:
                if (a->op_count == 2 && op[0].type == ARM64_OP_REG && op[1].type == ARM64_OP_MEM) {
                        t = reg_tag(c, op[1].mem.base, NULL);
                        reg_set(c, op[0].reg, t == REG_TAG_ADDR ? REG_TAG_VALUE : REG_TAG_LOADED, 0);
                }
                return;
        case ARM64_INS_CMP: case ARM64_INS_TST:
                t = a->op_count >= 1 && op[0].type == ARM64_OP_REG ? reg_tag(c, op[0].reg, NULL) : REG_TAG_NONE;
                c->flags_valid = t == REG_TAG_VALUE || t == REG_TAG_CAP;
                c->flags_cap = c->n;
                return;
        }
        a64_branch(c, insn, ret);
}

/* Encoding groups of instructions capstone 4 (its AArch64 tables are ARMv8.0 plus CRC and crypto)
 * cannot decode, from the Arm ARM (DDI 0487) "A64 Instruction Set Encoding" index, each checked in
 * tests/unit/test-elf-isa.c against words the GNU assembler produced. The first match wins. */
static const struct {
        uint32_t mask, value;
        int8_t bit;
        const char *what;
} a64_groups[] = {
        { 0x3F20FC00, 0x3820C000, ISA_A64_RCPC,    "LDAPR (RCPC)" },                 /* atomic group, o3=1 opc=100 */
        { 0x3F200C00, 0x38200000, ISA_A64_LSE,     "an LSE atomic (LDADD/SWP/...)" }, /* atomic memory operations */
        { 0x3F200000, 0x08200000, ISA_A64_LSE,     "an LSE CAS/CASP" },              /* compare and swap */
        { 0x3F200C00, 0x19000000, ISA_A64_RCPC2,   "LDAPUR/STLUR (RCPC2)" },         /* LRCPC2 unscaled */
        { 0x9FC0F400, 0x0F80E000, ISA_A64_DOTPROD, "SDOT/UDOT (by element)" },
        { 0x1E000000, 0x04000000, ISA_A64_SVE,     "an SVE instruction" },           /* op0 = x010 (masked below) */
        { 0xFFE00000, 0x1EE00000, ISA_A64_FP16,    "a half-precision FP instruction" },
        { 0xFF200400, 0xF8200400, ISA_A64_PAUTH,   "LDRAA/LDRAB" },
        { 0xFE1FF800, 0xD61F0800, ISA_A64_PAUTH,   "BRAA/RETAA (pointer authentication)" },
        { 0xFFFFC000, 0xDAC10000, ISA_A64_PAUTH,   "PACIA/AUTIA (pointer authentication)" },
        { 0xFFE0FC00, 0x9AC03000, ISA_A64_PAUTH,   "PACGA" },
        { 0xFFFFFC00, 0x1E7E0000, ISA_A64_JSCVT,   "FJCVTZS" },
        { 0xFFFFFFFF, 0xD500401F, ISA_A64_FLAGM,   "CFINV" },
        { 0xFFE07C10, 0xBA000400, ISA_A64_FLAGM,   "RMIF" },
        { 0xFFFFBC1F, 0x3A00080D, ISA_A64_FLAGM,   "SETF8/SETF16" },
        { 0xFFBE7C00, 0x1E284000, ISA_A64_FRINTTS, "FRINT32/64" },
        { 0xFFFFFC00, 0x1E634000, ISA_A64_BF16,    "BFCVT" },
        { 0xFF808000, 0xCE000000, ISA_A64_SHA3,    "EOR3/BCAX (SHA3)" },
        { 0xFFE00000, 0xCE800000, ISA_A64_SHA3,    "XAR (SHA3)" },
        { 0xFFE0B000, 0xCE608000, ISA_A64_SHA512,  "SHA512" },
};

/* Advanced SIMD three-same-extra (0 Q U 01110 size 0 Rm 1 opcode 1 Rn Rd): one group, five features. */
static int a64_three_same_extra(uint32_t w, const char **ret_what) {
        unsigned opcode = (w >> 11) & 0xF, u = (w >> 29) & 1;

        if ((w & 0x9F208400) != 0x0E008400)
                return -1;
        if (opcode <= 1 && u)
                return *ret_what = "SQRDMLAH/SQRDMLSH (RDM)", ISA_A64_RDM;
        if (opcode == 2)
                return *ret_what = "SDOT/UDOT (dot product)", ISA_A64_DOTPROD;
        if ((opcode == 3 && !u) || opcode == 4 || opcode == 5)
                return *ret_what = "USDOT/SMMLA (I8MM)", ISA_A64_I8MM;
        if ((opcode & 0xC) == 0x8 || opcode == 0xC || opcode == 0xE)
                return *ret_what = "FCMLA/FCADD (complex numbers)", ISA_A64_FCMA;
        if (opcode == 0xD || opcode == 0xF)
                return *ret_what = "BFDOT/BFMMLA (BF16)", ISA_A64_BF16;
        return -1;
}

/* SVE instructions that only read the vector length (CNTB/CNTH/CNTW/CNTD, RDVL): libgcc's unwinder
 * runs them for the DWARF register VG, which only SVE frames mention. Counted as used, not required
 * (insn_soft()). */
static bool a64_vector_length(uint32_t w) {
        return (w & 0xFF30FC00) == 0x0420E000 || (w & 0xFFFFF800) == 0x04BF5000;
}

bool insn_soft(IsaArch arch, const uint8_t *p, size_t n) {
        uint32_t w;

        if (arch != ISA_ARCH_AARCH64 || n < 4)
                return false;
        w = (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
        return a64_vector_length(w);
}

static int a64_undecodable(uint32_t w, const char **ret_what) {
        int f = a64_three_same_extra(w, ret_what);

        if (f >= 0)
                return f;
        for (size_t i = 0; i < ELEMENTSOF(a64_groups); i++) {
                /* SVE: op0 (bits 28:25) = 0010 */
                bool m = a64_groups[i].bit == ISA_A64_SVE ? ((w >> 25) & 0xF) == 0x2 :
                                                            (w & a64_groups[i].mask) == a64_groups[i].value;
                if (m) {
                        *ret_what = a64_groups[i].what;
                        return a64_groups[i].bit;
                }
        }
        return -1;
}

/* ---- ppc64le ----------------------------------------------------------------------------------- */

static void ppc_classify(InsnContext *c, const cs_insn *insn, InsnResult *ret) {
        const cs_ppc *p = &insn->detail->ppc;
        const cs_ppc_op *op = p->operands;
        uint64_t v;

        ret->feature = -1;  /* capstone 4 decodes up to POWER8 (ISA 2.07): all baseline for ppc64le */
        ret->barrier = insn->id == PPC_INS_BLR || insn->id == PPC_INS_BCTR || insn->id == PPC_INS_B;
        if (insn->id == PPC_INS_ADDIS && p->op_count == 3 && op[2].type == PPC_OP_IMM) {
                /* ELFv2 global entry: addis r2,r12,hi with r12 = the entry address */
                if (canon(c, op[1].reg) == 12 && canon(c, op[0].reg) == 2)
                        reg_set(c, op[0].reg, REG_TAG_ADDR, insn->address + (uint64_t) (op[2].imm * 65536));
                else if (reg_tag(c, op[1].reg, &v) == REG_TAG_ADDR)
                        reg_set(c, op[0].reg, REG_TAG_ADDR, v + (uint64_t) (op[2].imm * 65536));
                return;
        }
        if (insn->id == PPC_INS_ADDI && p->op_count == 3 && op[2].type == PPC_OP_IMM) {
                if (reg_tag(c, op[1].reg, &v) == REG_TAG_ADDR) {
                        ret->flow = SCAN_FLOW_REF;
                        ret->target = v + (uint64_t) op[2].imm;
                        reg_set(c, op[0].reg, REG_TAG_ADDR, ret->target);
                }
                return;
        }
        for (uint8_t g = 0; g < insn->detail->groups_count; g++)
                if (insn->detail->groups[g] == PPC_GRP_JUMP)
                        for (uint8_t i = 0; i < p->op_count; i++)
                                if (op[i].type == PPC_OP_IMM) {
                                        ret->flow = insn->id == PPC_INS_BL ? SCAN_FLOW_CALL : SCAN_FLOW_JUMP;
                                        ret->conditional = insn->id != PPC_INS_BL && insn->id != PPC_INS_B;
                                        ret->target = (uint64_t) op[i].imm;
                                }
}

/* Power ISA 3.1 prefixed instructions (primary opcode 1, 8 bytes) are POWER10.
 * Other words capstone 4 cannot decode prove nothing: its tables miss some POWER8 forms too (lwarx
 * with the EH hint), so POWER9 (ISA 3.0) instructions are not told (docs/check-arch.md, "Limits"). */
static int ppc_undecodable(uint32_t w, const char **ret_what, unsigned *ret_width) {
        unsigned po = w >> 26;

        if (po == 1) {
                *ret_width = 8;
                return *ret_what = "a prefixed instruction (Power ISA 3.1)", ISA_PPC_ISA310;
        }
        return -1;
}

/* ---- entry points ------------------------------------------------------------------------------ */

void insn_classify(InsnContext *c, const cs_insn *insn, InsnResult *ret) {
        *ret = (InsnResult) { .feature = -1 };
        c->n++;
        switch (c->arch) {
        case ISA_ARCH_AARCH64:
                a64_classify(c, insn, ret);
                break;
        case ISA_ARCH_PPC64LE:
                ppc_classify(c, insn, ret);
                break;
        default:
                break;
        }
}

int insn_undecodable(IsaArch arch, const uint8_t *p, size_t n, const char **ret_what, unsigned *ret_width) {
        uint32_t w;

        *ret_what = NULL;
        *ret_width = arch == ISA_ARCH_X86_64 ? 1 : 4;
        if (arch == ISA_ARCH_X86_64 || n < 4)
                return -1;
        w = (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
        if (arch == ISA_ARCH_AARCH64)
                return a64_undecodable(w, ret_what);
        if (arch == ISA_ARCH_PPC64LE) {
                int f = ppc_undecodable(w, ret_what, ret_width);
                if (*ret_width > n)
                        *ret_width = 4;
                return f;
        }
        return -1;
}
