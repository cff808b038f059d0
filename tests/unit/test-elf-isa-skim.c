/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/elf-isa-x86-skim.c: the keys cover every instruction with a feature that Zydis decodes (checked
 * over the encodings that can have one), and the prefilter answers exactly what the whole sweep
 * answers, on code made here with features, keys inside immediates and data between instructions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "elf-isa-x86.h"
#include "macro.h"

static bool is_prefix(uint8_t b) {
        return b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65 || b == 0x66 ||
               b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3 || (b >= 0x40 && b <= 0x4f);
}

static unsigned n_features;

/* When Zydis decodes buf as an instruction with a feature, its key (the bytes after its prefixes) must
 * be one x86_skim_key() names. */
static void key_covers(const ZydisDecoder *d, const uint8_t *buf, size_t n) {
        ZydisDecodedInstruction z;
        ZydisDecoderContext ctx;
        size_t k = 0;

        if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(d, &ctx, buf, n, &z)) || x86_feature(&z) < 0)
                return;
        n_features++;
        while (k < z.length && is_prefix(buf[k]))
                k++;
        assert_true(k < z.length);
        if (!x86_skim_key(buf[k], k + 1 < z.length ? buf[k + 1] : 0x00)) {
                print_error("no key for %02x %02x %02x %02x %02x %02x (length %u)\n", buf[0], buf[1], buf[2], buf[3],
                            buf[4], buf[5], z.length);
                fail();
        }
}

static void test_keys_legacy(void **state) {
        /* mandatory prefixes (and lock), REX.W or none, the maps, every opcode and ModRM */
        static const uint8_t pfx[] = { 0x00, 0x66, 0xf2, 0xf3, 0xf0 }, rex[] = { 0x00, 0x48 };
        static const uint8_t esc[][2] = { { 0 }, { 0x0f }, { 0x0f, 0x38 }, { 0x0f, 0x3a } };
        static const size_t esc_n[] = { 0, 1, 2, 2 };
        ZydisDecoder d;

        x86_decoder_init(&d, true);
        n_features = 0;
        for (size_t p = 0; p < ELEMENTSOF(pfx); p++)
                for (size_t r = 0; r < ELEMENTSOF(rex); r++)
                        for (size_t e = 0; e < ELEMENTSOF(esc); e++)
                                for (unsigned op = 0; op < 256; op++)
                                        for (unsigned m = 0; m < 256; m++) {
                                                uint8_t buf[ZYDIS_MAX_INSTRUCTION_LENGTH] = {};
                                                size_t n = 0;

                                                if (pfx[p])
                                                        buf[n++] = pfx[p];
                                                if (rex[r])
                                                        buf[n++] = rex[r];
                                                memcpy(buf + n, esc[e], esc_n[e]);
                                                n += esc_n[e];
                                                buf[n++] = (uint8_t) op;
                                                buf[n] = (uint8_t) m;
                                                key_covers(&d, buf, sizeof(buf));
                                        }
        /* 3DNow!: 0F 0F ModRM, the opcode last */
        for (unsigned s = 0; s < 256; s++)
                key_covers(&d, (const uint8_t[ZYDIS_MAX_INSTRUCTION_LENGTH]) { 0x0f, 0x0f, 0xc1, (uint8_t) s }, 15);
        assert_true(n_features > 10000);
}

static void test_keys_vex(void **state) {
        /* VEX3, EVEX, XOP: every first payload byte and opcode, a few second and third payload bytes
         * (W, vvvv, L, pp; EVEX's z, L'L, b, aaa) and ModRM (register and memory forms) */
        static const uint8_t esc[] = { 0xc4, 0x62, 0x8f }, p1[] = { 0x78, 0x7d, 0xf9, 0x05 }, p2[] = { 0x08, 0x48, 0x28 };
        static const uint8_t modrm[] = { 0xc1, 0x07 };
        ZydisDecoder d;

        x86_decoder_init(&d, true);
        n_features = 0;
        for (size_t e = 0; e < ELEMENTSOF(esc); e++)
                for (unsigned a = 0; a < 256; a++)
                        for (size_t b = 0; b < ELEMENTSOF(p1); b++)
                                for (size_t c = 0; c < (esc[e] == 0x62 ? ELEMENTSOF(p2) : 1); c++)
                                        for (unsigned op = 0; op < 256; op++)
                                                for (size_t m = 0; m < ELEMENTSOF(modrm); m++) {
                                                        uint8_t buf[ZYDIS_MAX_INSTRUCTION_LENGTH] = {};
                                                        size_t n = 0;

                                                        buf[n++] = esc[e];
                                                        buf[n++] = (uint8_t) a;
                                                        buf[n++] = p1[b];
                                                        if (esc[e] == 0x62)
                                                                buf[n++] = p2[c];
                                                        buf[n++] = (uint8_t) op;
                                                        buf[n] = modrm[m];
                                                        key_covers(&d, buf, sizeof(buf));
                                                }
        assert_true(n_features > 10000);
        /* what the table says of a few: add rsp, 8 (48 83 C4 08) holds no VEX key; C5 always is one */
        assert_false(x86_skim_key(0xc4, 0x08));
        assert_true(x86_skim_key(0xc5, 0x08));
        assert_false(x86_skim_key(0x0f, 0x1f));   /* nopl */
        assert_true(x86_skim_key(0x0f, 0x38));
        assert_true(x86_skim_key(0x9f, 0x00));
}

/* ---- the prefilter against the whole sweep ------------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15;

static uint32_t rnd(void) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return (uint32_t) (rng >> 16);
}

/* A byte, often one that opens a key or follows one */
static uint8_t rnd_byte(void) {
        static const uint8_t keyish[] = { 0x0f, 0x38, 0x3a, 0x62, 0x8f, 0x9e, 0x9f, 0xc4, 0xc5, 0xc6, 0xc7, 0xf8,
                                          0xe2, 0x7d, 0xf3, 0x66, 0xb8, 0xbd, 0x00, 0xff };

        return rnd() % 3 ? keyish[rnd() % ELEMENTSOF(keyish)] : (uint8_t) rnd();
}

typedef struct Enc {
        uint8_t len, imm;   /* imm: the last imm bytes are random */
        uint8_t b[11];
} Enc;

/* Code as compilers write it, with keys in immediates and displacements */
static const Enc plain_insns[] = {
        { 3, 0, { 0x48, 0x89, 0xc5 } },             /* mov rbp, rax */
        { 4, 1, { 0x48, 0x83, 0xc4, 0x08 } },       /* add rsp, imm8 */
        { 1, 0, { 0x55 } }, { 1, 0, { 0x5d } }, { 1, 0, { 0xc3 } },
        { 5, 4, { 0xe8 } },                         /* call rel32 */
        { 5, 0, { 0x0f, 0x1f, 0x44, 0x00, 0x00 } }, /* nopl */
        { 3, 0, { 0x0f, 0xb6, 0xc0 } },             /* movzx eax, al */
        { 4, 1, { 0x48, 0x8b, 0x45, 0xf8 } },       /* mov rax, [rbp+disp8] */
        { 2, 1, { 0x74 } },                         /* je rel8 */
        { 6, 4, { 0x0f, 0x84 } },                   /* je rel32 */
        { 3, 0, { 0x0f, 0xbd, 0xc7 } },             /* bsr eax, edi */
        { 5, 4, { 0xb8 } },                         /* mov eax, imm32 */
        { 10, 8, { 0x48, 0xb8 } },                  /* mov rax, imm64 */
        { 7, 4, { 0x48, 0x8d, 0x05 } },             /* lea rax, [rip+disp32] */
        { 7, 4, { 0xc7, 0x45, 0xf8 } },             /* mov dword [rbp-8], imm32 */
        { 9, 4, { 0x66, 0x0f, 0x1f, 0x84, 0x00 } }, /* nopw with a random displacement */
};

static const Enc feature_insns[] = {
        { 5, 0, { 0xc4, 0xe2, 0x7d, 0x58, 0xc0 } },       /* vpbroadcastd ymm0, xmm0 */
        { 4, 0, { 0xf3, 0x0f, 0xb8, 0xc7 } },             /* popcnt eax, edi */
        { 1, 0, { 0x9e } },                               /* sahf */
        { 5, 0, { 0x66, 0x0f, 0x38, 0x00, 0xc1 } },       /* pshufb xmm0, xmm1 */
        { 6, 0, { 0x62, 0xf1, 0x7d, 0x48, 0xfe, 0xc2 } }, /* vpaddd zmm0, zmm0, zmm2 */
        { 5, 0, { 0xf3, 0x48, 0x0f, 0xbd, 0xc7 } },       /* lzcnt rax, rdi */
};

static size_t put_insn(uint8_t *p, const Enc *e) {
        memcpy(p, e->b, e->len - e->imm);
        for (unsigned i = e->len - e->imm; i < e->len; i++)
                p[i] = rnd_byte();
        return e->len;
}

/* The whole sweep's answer */
static int sweep_finds(const ZydisDecoder *d, const uint8_t *code, size_t n) {
        for (size_t i = 0; i < n;) {
                int f;

                i += x86_step(d, code + i, n - i, &f);
                if (f >= 0)
                        return 1;
        }
        return 0;
}

static void test_skim_is_the_sweep(void **state) {
        unsigned found = 0, runs = 3000;
        ZydisDecoder d;

        x86_decoder_init(&d, true);
        x86_tables_init();
        for (unsigned r = 0; r < runs; r++) {
                uint8_t code[4096];
                size_t n = 0, want = 64 + rnd() % (sizeof(code) - 128);
                bool feature = rnd() % 2;

                while (n + 16 < want) {
                        unsigned what = rnd() % 1000;

                        if (what < 3) {                  /* data: a run of bytes */
                                for (unsigned i = rnd() % 12; i > 0; i--)
                                        code[n++] = (uint8_t) rnd();
                        } else if (feature && what < 10)
                                n += put_insn(code + n, &feature_insns[rnd() % ELEMENTSOF(feature_insns)]);
                        else
                                n += put_insn(code + n, &plain_insns[rnd() % ELEMENTSOF(plain_insns)]);
                }
                found += sweep_finds(&d, code, n);
                if (x86_skim(code, n) != sweep_finds(&d, code, n)) {
                        print_error("run %u: skim %d, sweep %d over %zu bytes\n", r, x86_skim(code, n), sweep_finds(&d, code, n), n);
                        fail();
                }
        }
        print_message("%u of %u found\n", found, runs);
        /* both answers were tested many times */
        assert_true(found > runs / 5 && found < runs - runs / 5);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_keys_legacy),
                cmocka_unit_test(test_keys_vex),
                cmocka_unit_test(test_skim_is_the_sweep),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
