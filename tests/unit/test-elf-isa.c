/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/elf-isa and lib/isa-table, lib/isa-check: the tables row by row, the declared evidence (x86
 * property notes, ARM and RISC-V attributes) and the code scan, on ELF files built here in memory. */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "elf-fixture.h"
#include "elf-isa-internal.h"
#include "isa-check.h"
#include "macro.h"

/* ---- tables ---------------------------------------------------------------------------------------- */

static void test_tables(void **state) {
        for (unsigned i = 0; i < isa_cpu_table_size; i++) {
                const IsaCpu *c = &isa_cpu_table[i];
                if (!isa_level_by_name(c->arch, c->level))
                        fail_msg("cpu %s names level %s, which %s has not", c->name, c->level, isa_arch_to_string(c->arch));
                assert_non_null(c->note);
        }
        for (unsigned i = 0; i < isa_level_table_size; i++) {
                const IsaLevel *l = &isa_level_table[i];
                assert_ptr_equal(isa_level_from_variant(isa_arch_to_oci(l->arch), l->variant), l);
                for (unsigned k = 0; k < isa_level_table_size; k++)
                        if (k != i && isa_level_table[k].arch == l->arch)
                                assert_int_not_equal(isa_level_table[k].rank, l->rank);
        }
        for (unsigned i = 0; i < isa_feature_table_size; i++)
                for (unsigned k = i + 1; k < isa_feature_table_size; k++)
                        if (isa_feature_table[i].arch == isa_feature_table[k].arch)
                                assert_int_not_equal(isa_feature_table[i].bit, isa_feature_table[k].bit);
        /* each x86 level holds the one below */
        assert_true((isa_level_by_name(ISA_ARCH_X86_64, "x86-64-v2")->features &
                     ~isa_level_by_name(ISA_ARCH_X86_64, "x86-64-v3")->features) == 0);
        assert_ptr_equal(isa_level_lowest(ISA_ARCH_X86_64, ISA_BIT(ISA_X86_AVX2)), isa_level_by_name(ISA_ARCH_X86_64, "x86-64-v3"));
        assert_ptr_equal(isa_level_lowest(ISA_ARCH_AARCH64, ISA_BIT(ISA_A64_LSE)), isa_level_by_name(ISA_ARCH_AARCH64, "armv8.1-a"));
        assert_null(isa_level_lowest(ISA_ARCH_X86_64, ISA_BIT(ISA_X86_AES)));
}

static void check_cpu_platform(const char *model, const char *want) {
        char buf[PLATFORM_STRING_MAX];
        Platform p;

        assert_int_equal(isa_cpu_platform(model, &p), 0);
        if (!streq(platform_to_string(&p, buf), want))
                fail_msg("--cpu %s: platform %s, expected %s", model, buf, want);
}

static void test_cpu_models(void **state) {
        Platform amd64 = { "linux", "amd64", "" }, arm = { "linux", "arm", "v7" }, arm64 = { "linux", "arm64", "" };
        IsaTarget t;

        check_cpu_platform("cortex-a72", "linux/arm64");
        check_cpu_platform("Neoverse-N1", "linux/arm64/v8.2");
        check_cpu_platform("arm1176", "linux/arm/v6");
        check_cpu_platform("x86-64-v3", "linux/amd64/v3");
        check_cpu_platform("haswell", "linux/amd64/v3");
        check_cpu_platform("core2", "linux/amd64");
        check_cpu_platform("power9", "linux/ppc64le/power9");
        assert_int_equal(isa_cpu_platform("pentium9000", &amd64), -ENOENT);

        assert_int_equal(isa_target_from_cpu("cortex-a72", &amd64, &t), -EXDEV);
        assert_int_equal(isa_target_from_cpu("pentium9000", &amd64, &t), -ENOENT);
        /* cortex-a53 has a row for each of its two instruction sets */
        assert_int_equal(isa_target_from_cpu("cortex-a53", &arm, &t), 0);
        assert_int_equal(t.arch, ISA_ARCH_ARM);
        assert_true(t.have & ISA_BIT(ISA_ARM_NEON));
        assert_int_equal(isa_target_from_cpu("cortex-a53", &arm64, &t), 0);
        assert_int_equal(t.arch, ISA_ARCH_AARCH64);
        assert_false(t.have & ISA_BIT(ISA_A64_LSE));
        /* linux/amd64 has nothing to check; linux/amd64/v2 has */
        isa_target_from_platform(&amd64, &t);
        assert_false(t.active);
        isa_target_from_platform(&(Platform) { "linux", "amd64", "v2" }, &t);
        assert_true(t.active);
        assert_string_equal(t.name, "x86-64-v2");
}

/* ---- declared evidence ------------------------------------------------------------------------------- */

static size_t prop_put(uint8_t *p, uint32_t type, uint32_t value) {
        memcpy(p, &type, 4);
        memcpy(p + 4, &(uint32_t) { 4 }, 4);
        memcpy(p + 8, &value, 4);
        memset(p + 12, 0, 4);
        return 16;
}

static void test_x86_property(void **state) {
        uint8_t d[48];
        size_t n = 0;
        IsaFeatures needed, used;
        bool hn, hu;

        n += prop_put(d + n, 0xc0008002, 1 | 4);  /* NEEDED baseline|v3 */
        n += prop_put(d + n, 0xc0010002, 1 | 2);  /* USED baseline|v2 */
        assert_int_equal(elf_isa_x86_property_parse(d, n, &needed, &hn, &used, &hu), 0);
        assert_true(hn && hu);
        assert_int_equal(needed, isa_level_by_name(ISA_ARCH_X86_64, "x86-64-v3")->features);
        assert_int_equal(used, isa_level_by_name(ISA_ARCH_X86_64, "x86-64-v2")->features);
        /* a property running past the descriptor */
        memcpy(d + 4, &(uint32_t) { 200 }, 4);
        assert_int_equal(elf_isa_x86_property_parse(d, n, &needed, &hn, &used, &hu), -EBADMSG);
}

static void test_arm_attributes(void **state) {
        /* 'A', subsection len, "aeabi", Tag_File, len, Tag_CPU_arch=10 (v7), Tag_FP_arch=4 (VFPv3-D16),
         * Tag_Advanced_SIMD_arch=1 (NEON), Tag_CPU_name "7-A" */
        static const uint8_t a[] = { 'A', 26, 0, 0, 0, 'a', 'e', 'a', 'b', 'i', 0, 1, 16, 0, 0, 0,
                                     6, 10, 10, 4, 12, 1, 5, '7', '-', 'A', 0 };
        char proof[80];
        IsaFeatures f;

        assert_int_equal(elf_isa_arm_attributes(a, sizeof(a), ELFDATA2LSB, &f, proof, sizeof(proof)), 0);
        assert_true(f & ISA_BIT(ISA_ARM_V7));
        assert_true(f & ISA_BIT(ISA_ARM_VFPV3));
        assert_false(f & ISA_BIT(ISA_ARM_VFPV4));
        assert_true(f & ISA_BIT(ISA_ARM_NEON));
        assert_false(f & ISA_BIT(ISA_ARM_V8));
        assert_int_equal(elf_isa_arm_attributes(a, sizeof(a) - 3, ELFDATA2LSB, &f, proof, sizeof(proof)), -EBADMSG);
}

static void test_riscv_arch(void **state) {
        IsaFeatures f;

        assert_int_equal(elf_isa_riscv_arch_parse("rv64i2p1_m2p0_a2p1_f2p2_d2p2_c2p0_zicsr2p0_zifencei2p0", &f), 0);
        assert_int_equal(f, 0);
        assert_int_equal(elf_isa_riscv_arch_parse("rv64imafdcv_zba1p0_zbb1p0_zicond1p0", &f), 0);
        assert_int_equal(f, ISA_BIT(ISA_RV_V) | ISA_BIT(ISA_RV_ZBA) | ISA_BIT(ISA_RV_ZBB) | ISA_BIT(ISA_RV_ZICOND));
        assert_int_equal(elf_isa_riscv_arch_parse("rv64gc_xtheadba1p0", &f), 0);
        assert_int_equal(f, ISA_BIT(ISA_RV_OTHER));
        assert_ptr_equal(isa_level_lowest(ISA_ARCH_RISCV64, ISA_BIT(ISA_RV_ZBA) | ISA_BIT(ISA_RV_ZBB)),
                         isa_level_by_name(ISA_ARCH_RISCV64, "rva22u64"));
        assert_int_equal(elf_isa_riscv_arch_parse("x86_64", &f), -EBADMSG);
}

/* Words the GNU assembler (aarch64-linux-gnu-as -march=armv9.2-a+sve2+i8mm+bf16+sha3+...) wrote for
 * instructions capstone 4 cannot decode, and the feature each proves. */
static void test_a64_encodings(void **state) {
        static const struct {
                uint32_t word;
                int bit;
        } rows[] = {
                { 0xc8e0fc41, ISA_A64_LSE },     /* casal x0, x1, [x2] */
                { 0x48207c82, ISA_A64_LSE },     /* casp x0, x1, x2, x3, [x4] */
                { 0xf8e00020, ISA_A64_LSE },     /* ldaddal x0, x0, [x1] */
                { 0xb8e08041, ISA_A64_LSE },     /* swpal w0, w1, [x2] */
                { 0xf8bfc020, ISA_A64_RCPC },    /* ldapr x0, [x1] */
                { 0xd9408020, ISA_A64_RCPC2 },   /* ldapur x0, [x1, #8] */
                { 0x991fc020, ISA_A64_RCPC2 },   /* stlur w0, [x1, #-4] */
                { 0x4e829420, ISA_A64_DOTPROD }, /* sdot v0.4s, v1.16b, v2.16b */
                { 0x2fa2e020, ISA_A64_DOTPROD }, /* udot v0.2s, v1.8b, v2.4b[1] */
                { 0x6e828420, ISA_A64_RDM },     /* sqrdmlah v0.4s, v1.4s, v2.4s */
                { 0x4e829c20, ISA_A64_I8MM },    /* usdot */
                { 0x4e82a420, ISA_A64_I8MM },    /* smmla */
                { 0x6e82cc20, ISA_A64_FCMA },    /* fcmla */
                { 0x6e82e420, ISA_A64_FCMA },    /* fcadd */
                { 0x6e42fc20, ISA_A64_BF16 },    /* bfdot */
                { 0x1ee22820, ISA_A64_FP16 },    /* fadd h0, h1, h2 */
                { 0x2598e3e0, ISA_A64_SVE },     /* ptrue p0.s */
                { 0xa540a000, ISA_A64_SVE },     /* ld1w {z0.s}, p0/z, [x0] */
                { 0xf8200420, ISA_A64_PAUTH },   /* ldraa x0, [x1] */
                { 0xd65f0bff, ISA_A64_PAUTH },   /* retaa */
                { 0xd71f0801, ISA_A64_PAUTH },   /* braa x0, x1 */
                { 0xdac10020, ISA_A64_PAUTH },   /* pacia x0, x1 */
                { 0x9ac23020, ISA_A64_PAUTH },   /* pacga x0, x1, x2 */
                { 0x1e7e0020, ISA_A64_JSCVT },   /* fjcvtzs w0, d1 */
                { 0xd500401f, ISA_A64_FLAGM },   /* cfinv */
                { 0xba008402, ISA_A64_FLAGM },   /* rmif x0, #1, #2 */
                { 0x3a00080d, ISA_A64_FLAGM },   /* setf8 w0 */
                { 0x1e284020, ISA_A64_FRINTTS }, /* frint32z s0, s1 */
                { 0x1e634020, ISA_A64_BF16 },    /* bfcvt h0, s1 */
                { 0xce020c20, ISA_A64_SHA3 },    /* eor3 */
                { 0xce628020, ISA_A64_SHA512 },  /* sha512h */
                { 0xce820420, ISA_A64_SHA3 },    /* xar */
                { 0x00000000, -1 },              /* udf / padding: nothing */
        };
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                uint8_t b[4] = { rows[i].word, rows[i].word >> 8, rows[i].word >> 16, rows[i].word >> 24 };
                const char *what;
                unsigned width;
                int f = insn_undecodable(ISA_ARCH_AARCH64, b, 4, &what, &width);

                if (f != rows[i].bit)
                        fail_msg("0x%08x: feature %d, expected %d", rows[i].word, f, rows[i].bit);
                assert_int_equal(width, 4);
        }
        /* cntd only reads the vector length (libgcc's unwinder): used, never required */
        assert_true(insn_soft(ISA_ARCH_AARCH64, (const uint8_t[]) { 0xe0, 0xe3, 0xe0, 0x04 }, 4));
        assert_false(insn_soft(ISA_ARCH_AARCH64, (const uint8_t[]) { 0xe0, 0xe3, 0x98, 0x25 }, 4));
}

/* ---- the code scan on an ELF built in memory ---------------------------------------------------------- */

#define BASE 0x400000
#define CODE 0x100

/* An x86-64 ET_EXEC with one R+X PT_LOAD over the whole buffer and the entry at CODE. */
static size_t elf_x86(uint8_t *buf, size_t size, const uint8_t *code, size_t n) {
        Elf64_Ehdr *e = (Elf64_Ehdr *) buf;
        Elf64_Phdr *p = (Elf64_Phdr *) (buf + sizeof(Elf64_Ehdr));

        memset(buf, 0, size);
        memcpy(e->e_ident, ELFMAG, SELFMAG);
        e->e_ident[EI_CLASS] = ELFCLASS64;
        e->e_ident[EI_DATA] = ELFDATA2LSB;
        e->e_ident[EI_VERSION] = EV_CURRENT;
        e->e_type = ET_EXEC;
        e->e_machine = EM_X86_64;
        e->e_version = EV_CURRENT;
        e->e_entry = BASE + CODE;
        e->e_phoff = sizeof(Elf64_Ehdr);
        e->e_ehsize = sizeof(Elf64_Ehdr);
        e->e_phentsize = sizeof(Elf64_Phdr);
        e->e_phnum = 1;
        *p = (Elf64_Phdr) { .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = CODE, .p_vaddr = BASE + CODE,
                            .p_filesz = n, .p_memsz = n, .p_align = 0x1000 };
        memcpy(buf + CODE, code, n);
        return CODE + n;
}

static void analyze(const uint8_t *buf, size_t n, ElfIsa *isa) {
        ElfId id;

        assert_int_equal(elf_id_from_buffer(buf, n, &id), 0);
        assert_int_equal(elf_isa_analyze(buf, n, n, &id, NULL, isa), 0);
}

static void test_scan_required(void **state) {
        /* popcnt eax, edi; vpbroadcastd ymm0, xmm0; ret */
        static const uint8_t code[] = { 0xf3, 0x0f, 0xb8, 0xc7, 0xc4, 0xe2, 0x7d, 0x58, 0xc0, 0xc3 };
        uint8_t buf[1024];
        const IsaProof *p;
        ElfIsa isa;

        analyze(buf, elf_x86(buf, sizeof(buf), code, sizeof(code)), &isa);
        assert_int_equal(isa.source, ISA_EVIDENCE_CODE);
        assert_true(isa.required & ISA_BIT(ISA_X86_POPCNT));
        assert_true(isa.required & ISA_BIT(ISA_X86_AVX2));
        assert_ptr_equal(elf_isa_required_level(&isa), isa_level_by_name(ISA_ARCH_X86_64, "x86-64-v3"));
        p = elf_isa_proof(&isa, ISA_X86_POPCNT, false);
        assert_non_null(p);
        assert_string_equal(p->text, "popcnt eax, edi");
        assert_int_equal(p->address, BASE + CODE);
        elf_isa_done(&isa);
}

static void test_scan_guarded(void **state) {
        /* a flag in static storage tested before AVX2 code, as __builtin_cpu_supports() compiles:
         *   lea rax, [rip+0x100]; test byte [rax+0xd], 4; je +5; vpbroadcastd ymm0, xmm0; ret
         * then TZCNT (REP BSF: every x86-64 runs it) in plain code */
        static const uint8_t code[] = { 0x48, 0x8d, 0x05, 0x00, 0x01, 0x00, 0x00, 0xf6, 0x40, 0x0d, 0x04, 0x74, 0x05,
                                        0xc4, 0xe2, 0x7d, 0x58, 0xc0, 0xf3, 0x0f, 0xbc, 0xc7, 0xc3 };
        uint8_t buf[1024];
        ElfIsa isa;

        analyze(buf, elf_x86(buf, sizeof(buf), code, sizeof(code)), &isa);
        assert_int_equal(isa.required, 0);
        assert_true(isa.dispatched & ISA_BIT(ISA_X86_AVX2));
        assert_true(elf_isa_proof(&isa, ISA_X86_AVX2, true) != NULL);
        elf_isa_done(&isa);
}

static void test_scan_x86_features(void **state) {
        /* What Zydis's ISA sets become, with the exceptions kept from the capstone days:
         *   tzcnt eax, edi (none) ; fisttp [rax] (none) ; vmovq xmm16, rax (EVEX 128N: avx512f)
         *   vpclmulqdq xmm0, xmm1, xmm2, 0 (VEX: pclmul) ; vpaddd ymm16, ymm17, ymm18 (avx512vl) ; lahf
         *   push rbp; pop rbp; nop; int3 (stepped over undecoded) ; movbe eax, [rdi] ; ret */
        static const uint8_t code[] = { 0xf3, 0x0f, 0xbc, 0xc7, 0xdb, 0x08, 0x62, 0xe1, 0xfd, 0x08, 0x6e, 0xc0,
                                        0xc4, 0xe3, 0x71, 0x44, 0xc2, 0x00, 0x62, 0xa1, 0x75, 0x20, 0xfe, 0xc2,
                                        0x9f, 0x55, 0x5d, 0x90, 0xcc, 0x0f, 0x38, 0xf0, 0x07, 0xc3 };
        IsaFeatures want = ISA_BIT(ISA_X86_AVX512F) | ISA_BIT(ISA_X86_PCLMUL) | ISA_BIT(ISA_X86_AVX512VL) |
                           ISA_BIT(ISA_X86_LAHF) | ISA_BIT(ISA_X86_MOVBE);
        uint8_t buf[1024];
        const IsaProof *p;
        ElfIsa isa;

        analyze(buf, elf_x86(buf, sizeof(buf), code, sizeof(code)), &isa);
        assert_int_equal(isa.dispatched, 0);
        assert_int_equal(isa.required, want);
        p = elf_isa_proof(&isa, ISA_X86_MOVBE, false);
        assert_non_null(p);
        assert_int_equal(p->address, BASE + CODE + 29);
        assert_string_equal(p->text, "movbe eax, dword ptr [rdi]");
        p = elf_isa_proof(&isa, ISA_X86_AVX512VL, false);
        assert_non_null(p);
        assert_int_equal(p->address, BASE + CODE + 18);
        elf_isa_done(&isa);
}

/* The prefilter (elf-isa-x86-skim.c) on a function: 210 bytes of mov rdi, rax, then what is tested,
 * far enough from the start that it finds the sweep's boundaries by its 15 walks. */
static size_t long_function(uint8_t *code, const uint8_t *tail, size_t n) {
        for (size_t i = 0; i < 210; i += 3)
                memcpy(code + i, (const uint8_t[]) { 0x48, 0x89, 0xc7 }, 3);
        memcpy(code + 210, tail, n);
        return 210 + n;
}

static void test_skim_immediates(void **state) {
        /* mov rax, imm64 whose bytes are vpbroadcastd ymm0, xmm0 (c4 e2 7d 58 c0), sahf, 0f 38;
         * mov eax, 0x9f (lahf); mov rbp, rax (c5 as ModRM); ret: no instruction has a feature */
        static const uint8_t tail[] = { 0x48, 0xb8, 0xc4, 0xe2, 0x7d, 0x58, 0xc0, 0x9e, 0x0f, 0x38,
                                        0xb8, 0x9f, 0x00, 0x00, 0x00, 0x48, 0x89, 0xc5, 0xc3 };
        uint8_t code[256], buf[1024];
        size_t n = elf_x86(buf, sizeof(buf), code, long_function(code, tail, sizeof(tail)));
        ElfIsa isa;
        ElfId id;

        analyze(buf, n, &isa);
        assert_int_equal(isa.source, ISA_EVIDENCE_CODE);
        assert_int_equal(isa.required, 0);
        assert_int_equal(isa.dispatched, 0);
        assert_int_equal(isa.code_bytes, 210 + sizeof(tail));
        elf_isa_done(&isa);
        /* answered without the whole sweep */
        assert_int_equal(elf_id_from_buffer(buf, n, &id), 0);
        assert_int_equal(elf_isa_analyze_quick(buf, n, n, &id, NULL, &isa), 1);
        assert_int_equal(isa.required | isa.dispatched, 0);
        elf_isa_done(&isa);
}

static void test_skim_vex(void **state) {
        /* vpbroadcastd ymm0, xmm0 after the movs; ret */
        static const uint8_t tail[] = { 0xc4, 0xe2, 0x7d, 0x58, 0xc0, 0xc3 };
        uint8_t code[256], buf[1024];
        size_t n = elf_x86(buf, sizeof(buf), code, long_function(code, tail, sizeof(tail)));
        const IsaProof *p;
        ElfIsa isa;
        ElfId id;

        analyze(buf, n, &isa);
        assert_int_equal(isa.required, ISA_BIT(ISA_X86_AVX2));
        p = elf_isa_proof(&isa, ISA_X86_AVX2, false);
        assert_non_null(p);
        assert_int_equal(p->address, BASE + CODE + 210);
        assert_string_equal(p->text, "vpbroadcastd ymm0, xmm0");
        elf_isa_done(&isa);
        /* the whole sweep is needed */
        assert_int_equal(elf_id_from_buffer(buf, n, &id), 0);
        assert_int_equal(elf_isa_analyze_quick(buf, n, n, &id, NULL, &isa), 0);
}

static void test_scan_note_answers(void **state) {
        /* a PT_NOTE with NEEDED v2 and USED v2: the note answers, the AVX2 code is not read */
        static const uint8_t code[] = { 0xc4, 0xe2, 0x7d, 0x58, 0xc0, 0xc3 };
        uint8_t buf[1024], *note = buf + 0xc0;
        Elf64_Phdr *p = (Elf64_Phdr *) (buf + sizeof(Elf64_Ehdr)) + 1;
        size_t n = elf_x86(buf, sizeof(buf), code, sizeof(code));
        ElfIsa isa;
        ElfId id;

        ((Elf64_Ehdr *) buf)->e_phnum = 2;
        memcpy(note, &(uint32_t[]) { 4, 32, NT_GNU_PROPERTY_TYPE_0 }, 12);
        memcpy(note + 12, "GNU", 4);
        prop_put(note + 16, 0xc0008002, 1 | 2);
        prop_put(note + 32, 0xc0010002, 1 | 2);
        *p = (Elf64_Phdr) { .p_type = PT_NOTE, .p_flags = PF_R, .p_offset = 0xc0, .p_filesz = 48, .p_align = 8 };
        analyze(buf, n, &isa);
        assert_int_equal(isa.source, ISA_EVIDENCE_NOTE);
        assert_int_equal(isa.required, isa_level_by_name(ISA_ARCH_X86_64, "x86-64-v2")->features);
        assert_int_equal(elf_isa_proof(&isa, ISA_X86_POPCNT, false)->evidence, ISA_EVIDENCE_NOTE);
        elf_isa_done(&isa);
        /* the quick analysis gives the same answer */
        assert_int_equal(elf_id_from_buffer(buf, n, &id), 0);
        assert_int_equal(elf_isa_analyze_quick(buf, n, n, &id, NULL, &isa), 1);
        assert_int_equal(isa.source, ISA_EVIDENCE_NOTE);
        assert_int_equal(isa.required, isa_level_by_name(ISA_ARCH_X86_64, "x86-64-v2")->features);
        elf_isa_done(&isa);
}

/* A file larger than the buffer whose section header table lies past it (ld writes it at the end):
 * the start of its R+X segment holds the ELF header and data that decode as AVX-512, 3DNow! and lahf.
 * They never count: with the table read apart the sections say where the code is; without it the
 * sweep starts at DT_INIT, or does not run. */
static void big_analyze(const uint8_t *buf, const ElfIsaOptions *o, ElfIsa *isa) {
        ElfId id;

        assert_int_equal(elf_id_from_buffer(buf, BIG_LIMIT, &id), 0);
        assert_int_equal(elf_isa_analyze(buf, BIG_LIMIT, BIG_FILE, &id, o, isa), 0);
        assert_int_equal(isa->source, ISA_EVIDENCE_CODE);
        assert_int_equal(isa->required, 0);
        assert_int_equal(isa->dispatched, 0);
        assert_true(isa->truncated);
}

static void test_scan_shdrs_past_buffer(void **state) {
        static uint8_t buf[BIG_FILE];
        uint64_t off;
        size_t n;
        ElfIsa isa;

        /* the whole file: the table is in the buffer, .text is read whole */
        fixture_big_x86(buf, false);
        analyze(buf, BIG_FILE, &isa);
        assert_int_equal(isa.required, 0);
        assert_false(isa.truncated);
        assert_int_equal(isa.code_bytes, BIG_SHOFF - BIG_INIT);
        elf_isa_done(&isa);
        assert_false(elf_isa_shdrs_wanted(buf, BIG_FILE, BIG_FILE, &off, &n));

        /* the first BIG_LIMIT bytes and the table read apart: .init and the part of .text inside */
        assert_true(elf_isa_shdrs_wanted(buf, BIG_LIMIT, BIG_FILE, &off, &n));
        assert_int_equal(off, BIG_SHOFF);
        assert_int_equal(n, BIG_SHDRS);
        big_analyze(buf, &(ElfIsaOptions) { .shdrs = buf + off, .shdrs_size = n }, &isa);
        assert_int_equal(isa.code_bytes, BIG_LIMIT - BIG_INIT);
        elf_isa_done(&isa);
        /* a table cut short answers nothing: as without one */
        big_analyze(buf, &(ElfIsaOptions) { .shdrs = buf + off, .shdrs_size = 10 }, &isa);
        assert_int_equal(isa.code_bytes, 0);
        elf_isa_done(&isa);

        /* without the table: from DT_INIT */
        fixture_big_x86(buf, true);
        big_analyze(buf, NULL, &isa);
        assert_int_equal(isa.code_bytes, BIG_LIMIT - BIG_INIT);
        elf_isa_done(&isa);
        /* neither DT_INIT nor an entry point: the segment is not swept */
        fixture_big_x86(buf, false);
        big_analyze(buf, NULL, &isa);
        assert_int_equal(isa.code_bytes, 0);
        elf_isa_done(&isa);
        /* a table larger than ELF_ISA_SHDRS_MAX is not asked for */
        ((Elf64_Ehdr *) buf)->e_shnum = ELF_ISA_SHDRS_MAX / sizeof(Elf64_Shdr) + 1;
        assert_false(elf_isa_shdrs_wanted(buf, BIG_LIMIT, 64u << 20, &off, &n));
}

static void test_explain(void **state) {
        static const uint8_t code[] = { 0xf3, 0x0f, 0xb8, 0xc7, 0xc3 };
        uint8_t buf[1024];
        IsaTarget t;
        char *s;
        ElfIsa isa;

        analyze(buf, elf_x86(buf, sizeof(buf), code, sizeof(code)), &isa);
        assert_int_equal(isa_target_from_cpu("core2", &(Platform) { "linux", "amd64", "" }, &t), 0);
        assert_int_equal(isa_target_missing(&t, &isa), ISA_BIT(ISA_X86_POPCNT));
        assert_int_equal(isa_target_explain(&t, &isa, &s), 0);
        assert_string_equal(s, "needs x86-64-v2 (popcnt); core2 lacks popcnt: popcnt eax, edi at 0x400100");
        free(s);
        assert_int_equal(isa_target_from_cpu("nehalem", &(Platform) { "linux", "amd64", "" }, &t), 0);
        assert_int_equal(isa_target_missing(&t, &isa), 0);
        elf_isa_done(&isa);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_tables),
                cmocka_unit_test(test_cpu_models),
                cmocka_unit_test(test_x86_property),
                cmocka_unit_test(test_arm_attributes),
                cmocka_unit_test(test_riscv_arch),
                cmocka_unit_test(test_a64_encodings),
                cmocka_unit_test(test_scan_required),
                cmocka_unit_test(test_scan_guarded),
                cmocka_unit_test(test_scan_x86_features),
                cmocka_unit_test(test_skim_immediates),
                cmocka_unit_test(test_skim_vex),
                cmocka_unit_test(test_scan_note_answers),
                cmocka_unit_test(test_scan_shdrs_past_buffer),
                cmocka_unit_test(test_explain),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
