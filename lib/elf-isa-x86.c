/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The x86-64 sweep of elf-isa-scan.c, through Zydis (libzydis): it decodes x86-64 several times
 * faster than capstone 4 and names each instruction's ISA set (Intel XED's classification).
 *
 * Two passes over each executable range, both the same linear sweep (same instruction boundaries):
 *   1. features: length, mnemonic and ISA set of every instruction, no operands. A file whose code
 *      needs nothing past the baseline (most of a distribution) is done here.
 *   2. flow, only when pass 1 found a hit: calls, jumps, address materialisations and the branches on
 *      a CPU-capability value (the same rules as elf-isa-insn.c has for the other architectures). The
 *      operands are decoded only where they can change what is recorded: Zydis's raw fields (ModRM,
 *      immediate, displacement) tell when an instruction cannot matter.
 * Before both, elf-isa-x86-skim.c tells, decoding a few percent of the code, whether pass 1 would find
 * a hit at all: most files end there.
 * capstone still prints the proof instructions (elf-isa-classify.c), so proof texts do not change. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "elf-isa-scan.h"
#include "elf-isa-x86.h"

/* ---- features ---------------------------------------------------------------------------------- */

/* Mnemonics whose feature is not their ISA set's. TZCNT is REP BSF, which every x86-64 runs, and GCC
 * emits it for baseline code; FISTTP (SSE3, x87 form) and XTEST (RTM) are left out as capstone 4 left
 * them out, so the verdicts stay what they were (docs/check-arch.md, "Limits"). */
static int x86_feature_by_mnemonic(ZydisMnemonic m) {
        switch (m) {
        case ZYDIS_MNEMONIC_TZCNT: case ZYDIS_MNEMONIC_FISTTP: case ZYDIS_MNEMONIC_XTEST: return -2;
        case ZYDIS_MNEMONIC_POPCNT: return ISA_X86_POPCNT;
        case ZYDIS_MNEMONIC_LZCNT: return ISA_X86_LZCNT;
        case ZYDIS_MNEMONIC_MOVBE: return ISA_X86_MOVBE;
        case ZYDIS_MNEMONIC_CMPXCHG16B: return ISA_X86_CX16;
        case ZYDIS_MNEMONIC_LAHF: case ZYDIS_MNEMONIC_SAHF: return ISA_X86_LAHF;
        case ZYDIS_MNEMONIC_RDRAND: return ISA_X86_RDRAND;
        case ZYDIS_MNEMONIC_RDSEED: return ISA_X86_RDSEED;
        /* VEX forms (ISA set AVX): the crypto feature is the one that tells */
        case ZYDIS_MNEMONIC_VPCLMULQDQ: return ISA_X86_PCLMUL;
        default: return -1;
        }
}

/* ISA set -> feature. AVX-512: the 128/256-bit forms need AVX512VL (the "128N" ones, scalar moves,
 * do not); the extensions without a bit of their own (VNNI, VBMI, IFMA, ...) count as AVX512F. */
static int x86_feature_by_set(ZydisISASet set) {
        switch (set) {
        case ZYDIS_ISA_SET_AVX512ER_512: case ZYDIS_ISA_SET_AVX512ER_SCALAR: return ISA_X86_AVX512ER;
        case ZYDIS_ISA_SET_AVX512PF_512: return ISA_X86_AVX512PF;
        case ZYDIS_ISA_SET_AVX512BW_128: case ZYDIS_ISA_SET_AVX512BW_128N: case ZYDIS_ISA_SET_AVX512BW_256:
        case ZYDIS_ISA_SET_AVX512BW_512: case ZYDIS_ISA_SET_AVX512BW_KOP: return ISA_X86_AVX512BW;
        case ZYDIS_ISA_SET_AVX512DQ_128: case ZYDIS_ISA_SET_AVX512DQ_128N: case ZYDIS_ISA_SET_AVX512DQ_256:
        case ZYDIS_ISA_SET_AVX512DQ_512: case ZYDIS_ISA_SET_AVX512DQ_KOP: case ZYDIS_ISA_SET_AVX512DQ_SCALAR:
                return ISA_X86_AVX512DQ;
        case ZYDIS_ISA_SET_AVX512CD_128: case ZYDIS_ISA_SET_AVX512CD_256: case ZYDIS_ISA_SET_AVX512CD_512:
                return ISA_X86_AVX512CD;
        case ZYDIS_ISA_SET_AVX512F_128: case ZYDIS_ISA_SET_AVX512F_256: return ISA_X86_AVX512VL;
        case ZYDIS_ISA_SET_AVX2: case ZYDIS_ISA_SET_AVX2GATHER: return ISA_X86_AVX2;
        case ZYDIS_ISA_SET_FMA: return ISA_X86_FMA;
        case ZYDIS_ISA_SET_F16C: return ISA_X86_F16C;
        case ZYDIS_ISA_SET_BMI2: return ISA_X86_BMI2;
        case ZYDIS_ISA_SET_BMI1: return ISA_X86_BMI1;
        case ZYDIS_ISA_SET_FMA4: return ISA_X86_FMA4;
        case ZYDIS_ISA_SET_XOP: return ISA_X86_XOP;
        case ZYDIS_ISA_SET_TBM: return ISA_X86_TBM;
        case ZYDIS_ISA_SET_SHA: return ISA_X86_SHA;
        case ZYDIS_ISA_SET_AES: case ZYDIS_ISA_SET_AVXAES: case ZYDIS_ISA_SET_VAES: return ISA_X86_AES;
        case ZYDIS_ISA_SET_PCLMULQDQ: case ZYDIS_ISA_SET_VPCLMULQDQ: return ISA_X86_PCLMUL;
        case ZYDIS_ISA_SET_AVX: return ISA_X86_AVX;
        case ZYDIS_ISA_SET_SSE42: return ISA_X86_SSE42;
        case ZYDIS_ISA_SET_SSE4: return ISA_X86_SSE41;
        case ZYDIS_ISA_SET_SSSE3: case ZYDIS_ISA_SET_SSSE3MMX: return ISA_X86_SSSE3;
        case ZYDIS_ISA_SET_SSE3: case ZYDIS_ISA_SET_SSE3X87: return ISA_X86_SSE3;
        case ZYDIS_ISA_SET_SSE4A: return ISA_X86_SSE4A;
        case ZYDIS_ISA_SET_ADOX_ADCX: return ISA_X86_ADX;
        case ZYDIS_ISA_SET_AMD3DNOW: return ISA_X86_3DNOW;
        case ZYDIS_ISA_SET_RTM: return ISA_X86_RTM;
        case ZYDIS_ISA_SET_RDWRFSGS: return ISA_X86_FSGSBASE;
        default: return -1;
        }
}

int x86_feature(const ZydisDecodedInstruction *z) {
        int f = x86_feature_by_mnemonic(z->mnemonic);

        if (f != -1)
                return f < 0 ? -1 : f;
        f = x86_feature_by_set(z->meta.isa_set);
        if (f >= 0)
                return f;
        if (z->meta.isa_ext == ZYDIS_ISA_EXT_AVX512EVEX || z->meta.isa_ext == ZYDIS_ISA_EXT_AVX512VEX)
                return ISA_X86_AVX512F;
        return -1;
}

/* ---- flow -------------------------------------------------------------------------------------- */

/* What pass 1 keeps of an instruction pass 2 must look at (the others change nothing pass 2 records):
 * enough to classify it without decoding it again, unless its operands are needed. */
enum {
        REC_REL = 1 << 0,        /* rel: a relative branch's displacement */
        REC_LEA_RIP = 1 << 1,    /* a 64-bit rip-relative lea; rel: its displacement */
        REC_BIG_IMM = 1 << 2,    /* an immediate that may be an address (raw value >= 0x10000) */
        REC_MAY_STATIC = 1 << 3, /* a memory operand that may be static storage (x86_may_static()) */
};

typedef struct FlowRec {
        uint64_t addr;
        uint32_t n;              /* instruction number in the sweep (InsnContext.n when classified) */
        uint16_t mnemonic;
        uint8_t length, flags;
        int32_t rel;
        uint8_t seg;
} FlowRec;

/* Past this many records (a file of a hundred MiB of code: --isa-code-max), pass 2 decodes the whole
 * sweep again instead. */
#define RECS_MAX (4u * 1024 * 1024)

static bool flow_mnemonic(const ZydisDecodedInstruction *z) {
        switch (z->mnemonic) {
        case ZYDIS_MNEMONIC_CALL: case ZYDIS_MNEMONIC_JMP: case ZYDIS_MNEMONIC_RET:
        case ZYDIS_MNEMONIC_MOV: case ZYDIS_MNEMONIC_MOVZX: case ZYDIS_MNEMONIC_MOVSX: case ZYDIS_MNEMONIC_MOVSXD:
        case ZYDIS_MNEMONIC_CPUID: case ZYDIS_MNEMONIC_XGETBV:
        case ZYDIS_MNEMONIC_TEST: case ZYDIS_MNEMONIC_BT: case ZYDIS_MNEMONIC_CMP: case ZYDIS_MNEMONIC_AND:
                return true;
        case ZYDIS_MNEMONIC_LEA:
                return z->raw.modrm.mod == 0 && z->raw.modrm.rm == 5 && z->address_width == 64;
        case ZYDIS_MNEMONIC_LOOP: case ZYDIS_MNEMONIC_LOOPE: case ZYDIS_MNEMONIC_LOOPNE:
                return false;  /* no jumps to capstone either */
        default:
                return z->meta.category == ZYDIS_CATEGORY_COND_BR;
        }
}

/* Whether the instruction may address static storage without a register (rip-relative, an absolute
 * address through SIB or a moffs form): only then can an operand be static with no live tags. */
static bool x86_may_static(const ZydisDecodedInstruction *z) {
        if (z->raw.modrm.offset)
                return z->raw.modrm.mod == 0 && (z->raw.modrm.rm == 5 || z->raw.modrm.rm == 4);
        return z->raw.disp.size > 0;
}

static FlowRec flow_rec(const ZydisDecodedInstruction *z, uint64_t addr, uint32_t n, unsigned seg) {
        FlowRec r = { .addr = addr, .n = n, .mnemonic = (uint16_t) z->mnemonic, .length = z->length, .seg = (uint8_t) seg };

        if ((z->attributes & ZYDIS_ATTRIB_IS_RELATIVE) && z->raw.imm[0].size > 0 && z->raw.imm[0].is_relative)
                r.flags |= REC_REL, r.rel = (int32_t) z->raw.imm[0].value.s;
        if (z->mnemonic == ZYDIS_MNEMONIC_LEA)
                r.flags |= REC_LEA_RIP, r.rel = (int32_t) z->raw.disp.value;
        if (z->raw.imm[0].size > 0 && z->raw.imm[0].value.u >= 0x10000)
                r.flags |= REC_BIG_IMM;
        if (x86_may_static(z))
                r.flags |= REC_MAY_STATIC;
        return r;
}

/* One recorded instruction being classified; its operands are decoded on demand. */
typedef struct X86Insn {
        const Scan *s;
        const Segment *seg;
        const ZydisDecoder *decoder;  /* full mode */
        const FlowRec *rec;
        uint64_t next;
        ZydisDecoderContext ctx;
        ZydisDecodedInstruction z;
        ZydisDecodedOperand op[ZYDIS_MAX_OPERAND_COUNT_VISIBLE];
        bool have_ops;
} X86Insn;

static bool x86_operands(X86Insn *x) {
        const uint8_t *code = x->s->v->buf + x->seg->offset;
        uint64_t off = x->rec->addr - x->seg->vaddr;

        if (!x->have_ops)
                x->have_ops = ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(x->decoder, &x->ctx, code + off,
                                                                         x->seg->size - off, &x->z)) &&
                              ZYAN_SUCCESS(ZydisDecoderDecodeOperands(x->decoder, &x->ctx, &x->z, x->op,
                                                                      x->z.operand_count_visible));
        return x->have_ops;
}

/* rax..r15 (and every narrower name of them) -> 0..15, anything else -> -1 */
static int x86_canon(ZydisRegister r) {
        ZydisRegister big = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, r);

        return big >= ZYDIS_REGISTER_RAX && big <= ZYDIS_REGISTER_R15 ? (int) (big - ZYDIS_REGISTER_RAX) : -1;
}

static void reg_set(InsnContext *c, ZydisRegister reg, RegTag tag, uint64_t value) {
        insn_reg_set(c, x86_canon(reg), tag, value);
}

static RegTag reg_tag(const InsnContext *c, ZydisRegister reg) {
        return insn_reg_tag(c, x86_canon(reg), NULL);
}

/* Whether a register may hold a tag that is still young: otherwise writing "no tag" changes nothing. */
static bool tags_live(const InsnContext *c) {
        return c->n <= c->tags_live_until;
}

/* A memory operand that reads static storage: rip-relative, or through a register holding a static
 * address or a value loaded from one (a GOT entry). */
static bool x86_static_mem(const InsnContext *c, const ZydisDecodedOperand *op) {
        RegTag t;

        if (op->type != ZYDIS_OPERAND_TYPE_MEMORY || op->mem.type != ZYDIS_MEMOP_TYPE_MEM ||
            op->mem.index != ZYDIS_REGISTER_NONE)
                return false;
        if (op->mem.base == ZYDIS_REGISTER_RIP || (op->mem.base == ZYDIS_REGISTER_NONE && op->mem.segment == ZYDIS_REGISTER_DS))
                return true;  /* rip-relative, or an absolute address (non-PIE code, Go) */
        t = op->mem.base != ZYDIS_REGISTER_NONE ? reg_tag(c, op->mem.base) : REG_TAG_NONE;
        return t == REG_TAG_ADDR || t == REG_TAG_VALUE;
}

static int64_t x86_imm(const ZydisDecodedOperand *op) {
        return op->imm.is_signed ? op->imm.value.s : (int64_t) op->imm.value.u;
}

static void x86_mov(InsnContext *c, X86Insn *x) {
        if (!tags_live(c) && !(x->rec->flags & (REC_BIG_IMM | REC_MAY_STATIC)))
                return;  /* at most "no tag" on a register that has none */
        if (!x86_operands(x) || x->z.operand_count_visible != 2 || x->op[0].type != ZYDIS_OPERAND_TYPE_REGISTER)
                return;
        if (x->op[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
                /* non-PIE code loads static addresses as immediates (mov rax, 0x4a9300) */
                reg_set(c, x->op[0].reg.value, x86_imm(&x->op[1]) >= 0x10000 ? REG_TAG_ADDR : REG_TAG_NONE,
                        (uint64_t) x86_imm(&x->op[1]));
        else
                reg_set(c, x->op[0].reg.value, x86_static_mem(c, &x->op[1]) ? REG_TAG_VALUE : REG_TAG_NONE, 0);
}

static void x86_test(InsnContext *c, X86Insn *x) {
        c->flags_valid = false;
        if ((!tags_live(c) && !(x->rec->flags & REC_MAY_STATIC)) || !x86_operands(x))
                return;
        for (uint8_t i = 0; i < x->z.operand_count_visible; i++) {
                RegTag t = x->op[i].type == ZYDIS_OPERAND_TYPE_REGISTER ? reg_tag(c, x->op[i].reg.value) : REG_TAG_NONE;

                if (x86_static_mem(c, &x->op[i]) || t == REG_TAG_VALUE || t == REG_TAG_CAP) {
                        c->flags_cap = c->n;
                        c->flags_valid = true;
                        /* cmp flag, 1; je avx2 (Go's internal/cpu checks): equal means present */
                        c->flags_eq_set = x->z.mnemonic == ZYDIS_MNEMONIC_CMP && x->z.operand_count_visible == 2 &&
                                          x->op[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE && x86_imm(&x->op[1]) != 0;
                        return;
                }
        }
}

static void x86_cond_branch(InsnContext *c, const X86Insn *x, InsnResult *ret) {
        ZydisMnemonic m = x->rec->mnemonic;
        bool cap = c->flags_valid && c->n - c->flags_cap <= FLAGS_AGE_MAX, skip, go;

        ret->flow = SCAN_FLOW_JUMP;
        ret->target = x->next + (uint64_t) (int64_t) x->rec->rel;
        /* je/jae skip the code when the bit is clear; jne/ja/jg/jb go to it when set; after a cmp with
         * the value that means "present", je and jne swap */
        skip = m == ZYDIS_MNEMONIC_JNB || m == (c->flags_eq_set ? ZYDIS_MNEMONIC_JNZ : ZYDIS_MNEMONIC_JZ);
        go = m == ZYDIS_MNEMONIC_JNBE || m == ZYDIS_MNEMONIC_JNLE || m == ZYDIS_MNEMONIC_JB ||
             m == (c->flags_eq_set ? ZYDIS_MNEMONIC_JZ : ZYDIS_MNEMONIC_JNZ);
        ret->guard = cap && skip && ret->target > x->next;
        ret->guard_taken = cap && go && ret->target > x->next;  /* a loop back-edge dispatches nothing */
}

static void x86_classify(InsnContext *c, X86Insn *x, InsnResult *ret) {
        const FlowRec *r = x->rec;

        *ret = (InsnResult) { .feature = -1 };
        c->n = r->n;
        switch (r->mnemonic) {
        case ZYDIS_MNEMONIC_CALL:
        case ZYDIS_MNEMONIC_JMP:
                ret->barrier = r->mnemonic == ZYDIS_MNEMONIC_JMP;
                if (r->flags & REC_REL)
                        ret->flow = r->mnemonic == ZYDIS_MNEMONIC_CALL ? SCAN_FLOW_CALL : SCAN_FLOW_JUMP,
                        ret->target = x->next + (uint64_t) (int64_t) r->rel;
                return;
        case ZYDIS_MNEMONIC_LEA:
                if (x86_operands(x) && x->op[0].type == ZYDIS_OPERAND_TYPE_REGISTER) {
                        ret->flow = SCAN_FLOW_REF;
                        ret->target = x->next + (uint64_t) (int64_t) r->rel;
                        reg_set(c, x->op[0].reg.value, REG_TAG_ADDR, ret->target);
                }
                return;
        case ZYDIS_MNEMONIC_MOV: case ZYDIS_MNEMONIC_MOVZX: case ZYDIS_MNEMONIC_MOVSX: case ZYDIS_MNEMONIC_MOVSXD:
                x86_mov(c, x);
                return;
        case ZYDIS_MNEMONIC_CPUID:
                ret->probe = true;
                reg_set(c, ZYDIS_REGISTER_EAX, REG_TAG_CAP, 0), reg_set(c, ZYDIS_REGISTER_EBX, REG_TAG_CAP, 0);
                reg_set(c, ZYDIS_REGISTER_ECX, REG_TAG_CAP, 0), reg_set(c, ZYDIS_REGISTER_EDX, REG_TAG_CAP, 0);
                return;
        case ZYDIS_MNEMONIC_XGETBV:
                ret->probe = true;
                reg_set(c, ZYDIS_REGISTER_EAX, REG_TAG_CAP, 0), reg_set(c, ZYDIS_REGISTER_EDX, REG_TAG_CAP, 0);
                return;
        case ZYDIS_MNEMONIC_TEST: case ZYDIS_MNEMONIC_BT: case ZYDIS_MNEMONIC_CMP: case ZYDIS_MNEMONIC_AND:
                x86_test(c, x);
                return;
        case ZYDIS_MNEMONIC_RET:   /* near and far */
                ret->barrier = true;
                return;
        default:                   /* jcc, jrcxz */
                if (r->flags & REC_REL)
                        x86_cond_branch(c, x, ret);
                return;
        }
}

static int flow_one(Scan *s, const ZydisDecoder *full, const FlowRec *rec, const Segment *seg) {
        X86Insn x;   /* not zeroed: the decoded instruction and operands are large and mostly unused */
        InsnResult res;

        x.s = s, x.seg = seg, x.decoder = full, x.rec = rec, x.next = rec->addr + rec->length;
        x.have_ops = false;

        x86_classify(&s->ctx, &x, &res);
        s->fork.n = rec->n - 1;   /* fork_track() counts every instruction */
        return scan_insn_record(s, rec->addr, rec->length, &res);
}

/* ---- the two passes ---------------------------------------------------------------------------- */

void x86_decoder_init(ZydisDecoder *d, bool minimal) {
        (void) ZydisDecoderInit(d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
        /* Zydis's fast path: no operand sizes, flags or AVX details, but length, mnemonic, ISA set and
         * the raw fields (ModRM, SIB, displacement, immediates) */
        if (minimal)
                (void) ZydisDecoderEnableMode(d, ZYDIS_DECODER_MODE_MINIMAL, ZYAN_TRUE);
}

/* First bytes that are a whole instruction by themselves, whatever follows, with no feature and nothing
 * for pass 2 (push, pop, nop, int3, leave, cdq, ...): the sweep steps over them without decoding. The
 * table comes from Zydis itself, at first use: each byte followed by different bytes must decode to
 * one byte every time. */
static bool plain_byte[256];
static pthread_once_t plain_once = PTHREAD_ONCE_INIT;

static void plain_init(void) {
        static const uint8_t next[] = { 0x00, 0x0f, 0x40, 0x48, 0x66, 0x90, 0xc3, 0xc4, 0xf3, 0xff };
        ZydisDecoder d;

        x86_decoder_init(&d, true);
        for (unsigned b = 0; b < 256; b++) {
                bool plain = true;

                for (size_t k = 0; plain && k <= ELEMENTSOF(next); k++) {
                        uint8_t buf[ZYDIS_MAX_INSTRUCTION_LENGTH];
                        ZydisDecodedInstruction z;
                        ZydisDecoderContext ctx;

                        memset(buf, k < ELEMENTSOF(next) ? next[k] : 0, sizeof(buf));
                        buf[0] = (uint8_t) b;
                        plain = ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&d, &ctx, buf, k < ELEMENTSOF(next) ? sizeof(buf) : 1, &z)) &&
                                z.length == 1 && x86_feature(&z) < 0 && !flow_mnemonic(&z);
                }
                plain_byte[b] = plain;
        }
}

/* What the sweep does at code[0..n): step over a plain byte, decode an instruction into z, or step one
 * byte over what Zydis cannot decode. The sweep below and x86_step() (the prefilter's) both take it. */
typedef enum Step {
        STEP_PLAIN,
        STEP_DECODED,
        STEP_UNDECODABLE,
} Step;

static inline Step sweep_step(const ZydisDecoder *d, ZydisDecoderContext *ctx, const uint8_t *code, uint64_t n,
                              ZydisDecodedInstruction *z) {
        if (plain_byte[code[0]])
                return STEP_PLAIN;
        return ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(d, ctx, code, n, z)) ? STEP_DECODED : STEP_UNDECODABLE;
}

void x86_tables_init(void) {
        (void) pthread_once(&plain_once, plain_init);
}

unsigned x86_step(const ZydisDecoder *d, const uint8_t *code, uint64_t n, int *ret_feature) {
        ZydisDecodedInstruction z;
        ZydisDecoderContext ctx;

        if (sweep_step(d, &ctx, code, n, &z) != STEP_DECODED) {
                *ret_feature = -1;
                return 1;
        }
        *ret_feature = x86_feature(&z);
        return z.length;
}

/* Calls fn(s, full, &rec, &seg[i], userdata) for every flow instruction of seg[0..n) in sweep order,
 * recording the hits on the way when hits is set. */
typedef int (*FlowFn)(Scan *s, const ZydisDecoder *full, const FlowRec *rec, const Segment *seg, void *userdata);

static int sweep(Scan *s, const Segment *seg, unsigned n_seg, bool hits, FlowFn fn, void *userdata) {
        ZydisDecodedInstruction z;
        ZydisDecoderContext ctx;
        ZydisDecoder d, full;
        uint32_t n = 0;

        x86_tables_init();
        x86_decoder_init(&d, true);
        x86_decoder_init(&full, false);
        for (unsigned k = 0; k < n_seg; k++) {
                const uint8_t *code = s->v->buf + seg[k].offset;

                for (uint64_t i = 0; i < seg[k].size;) {
                        Step st = sweep_step(&d, &ctx, code + i, seg[k].size - i, &z);
                        FlowRec rec;
                        int f, r;

                        if (st != STEP_DECODED) {
                                n += st == STEP_PLAIN, i++;
                                continue;
                        }
                        n++;
                        f = hits ? x86_feature(&z) : -1;
                        if (f >= 0 && scan_hit_add(s, seg[k].vaddr + i, f, 0) < 0)
                                return -ENOMEM;
                        if (flow_mnemonic(&z)) {
                                rec = flow_rec(&z, seg[k].vaddr + i, n, k);
                                r = fn(s, &full, &rec, &seg[k], userdata);
                                if (r < 0)
                                        return r;
                        }
                        i += z.length;
                }
        }
        return 0;
}

static int rec_keep(Scan *s, const ZydisDecoder *full, const FlowRec *rec, const Segment *seg, void *userdata) {
        Vec *recs = userdata;

        if (recs->n >= RECS_MAX)
                return 0;
        return scan_vec_push(recs, rec, sizeof(*rec));
}

static int rec_classify(Scan *s, const ZydisDecoder *full, const FlowRec *rec, const Segment *seg, void *userdata) {
        return flow_one(s, full, rec, seg);
}

/* Whether the sweep of seg[0..n) finds an instruction with a feature (elf-isa-x86-skim.c). */
static bool skim(const Scan *s, const Segment *seg, unsigned n_seg) {
        for (unsigned k = 0; k < n_seg; k++)
                if (x86_skim(s->v->buf + seg[k].offset, seg[k].size) > 0)
                        return true;
        return false;
}

int scan_x86_sweep(Scan *s, const Segment *seg, unsigned n_seg) {
        Vec recs = {};
        ZydisDecoder full;
        int r;

        /* most files need nothing past the baseline: the prefilter tells without decoding them whole */
        if (!skim(s, seg, n_seg))
                return 0;
        if (s->quick)
                return 1;
        /* pass 1: the hits, and the instructions pass 2 looks at */
        r = sweep(s, seg, n_seg, true, rec_keep, &recs);
        if (r < 0 || s->hits.n == 0)
                goto out;
        r = scan_tables(s);
        if (r < 0)
                goto out;
        /* pass 2: calls, jumps, guards */
        x86_decoder_init(&full, false);
        if (recs.n < RECS_MAX)
                for (size_t i = 0; r >= 0 && i < recs.n; i++) {
                        const FlowRec *rec = (const FlowRec *) recs.items + i;
                        r = flow_one(s, &full, rec, &seg[rec->seg]);
                }
        else
                r = sweep(s, seg, n_seg, false, rec_classify, NULL);
out:
        free(recs.items);
        return r;
}

void scan_x86_text(const uint8_t *code, size_t n, uint64_t addr, char *buf, size_t size) {
        ZydisDisassembledInstruction d;

        if (ZYAN_SUCCESS(ZydisDisassembleIntel(ZYDIS_MACHINE_MODE_LONG_64, addr, code, n, &d)))
                snprintf(buf, size, "%s", d.text);
}
