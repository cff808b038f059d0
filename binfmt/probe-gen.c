/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* probe-gen: writes, as a C header on stdout, one tiny static ELF program per QEMU linux-user target:
 * an ELF header, one PT_LOAD program header covering the file, and three or four instructions that
 * call exit(42). binfmt runs them to prove that a registered rule really runs code (the way BuildKit's
 * util/archutil does with its per-architecture test binaries), and the unit tests check that each one
 * is matched by its own table row and no other.
 *
 * Built and run at build time (Makefile: $(O)/gen/binfmt-probes.h), so no binary blob is committed.
 * The instruction encodings are from each architecture's manual; every program is checked under QEMU
 * by tests/cli/binfmt.bats ("every probe runs under its emulator"). */
#include <elf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define PROBE_EXIT_STATUS 42
/* <elf.h> lacks the value QEMU's i486 rule matches (qemu-binfmt-conf.sh: \x06\x00). */
#define EM_486 6
#define LOAD_ADDRESS 0x400000u
#define CODE_OFFSET 0x80u /* after the ELF header and one program header, for both classes */
#define LOAD_ALIGN 0x10000u

#define LE16(x) ((x) & 0xff), (((x) >> 8) & 0xff)
#define BE16(x) (((x) >> 8) & 0xff), ((x) & 0xff)
#define LE32(x) ((x) & 0xff), (((x) >> 8) & 0xff), (((x) >> 16) & 0xff), (((x) >> 24) & 0xff)
#define BE32(x) (((x) >> 24) & 0xff), (((x) >> 16) & 0xff), (((x) >> 8) & 0xff), ((x) & 0xff)
#define CODE(...) .code = (const uint8_t[]) { __VA_ARGS__ }, .code_size = sizeof((const uint8_t[]) { __VA_ARGS__ })

/* Each: exit(42) with the target's Linux syscall convention. */
#define AARCH64_CODE(W) CODE(W(0xd2800540u) /* mov x0, #42 */, W(0xd2800ba8u) /* mov x8, #93 */, \
                             W(0xd4000001u) /* svc #0 */)
#define ARM_CODE(W) CODE(W(0xe3a0002au) /* mov r0, #42 */, W(0xe3a07001u) /* mov r7, #1 */, \
                         W(0xef000000u) /* svc #0 */)
#define I386_CODE CODE(0xb8, 1, 0, 0, 0 /* mov $1, %eax */, 0xbb, 42, 0, 0, 0 /* mov $42, %ebx */, \
                       0xcd, 0x80 /* int $0x80 */)
#define MICROBLAZE_CODE(W) CODE(W(0x30a0002au) /* addik r5, r0, 42 */, W(0x31800001u) /* addik r12, r0, 1 */, \
                                W(0xb9cc0008u) /* brki r14, 8 */)
#define MIPS_CODE(W, NR) CODE(W(0x2404002au) /* li a0, 42 */, W(0x24020000u | (NR)) /* li v0, NR */, \
                              W(0x0000000cu) /* syscall */)
#define PPC_CODE(W) CODE(W(0x38000001u) /* li r0, 1 */, W(0x3860002au) /* li r3, 42 */, W(0x44000002u) /* sc */)
#define RISCV_CODE CODE(LE32(0x02a00513u) /* li a0, 42 */, LE32(0x05d00893u) /* li a7, 93 */, \
                        LE32(0x00000073u) /* ecall */)
#define SH_CODE(W) CODE(W(0xe42au) /* mov #42, r4 */, W(0xe301u) /* mov #1, r3 */, W(0xc311u) /* trapa #0x11 */)
#define SPARC_CODE(TRAP) CODE(BE32(0x9010202au) /* mov 42, %o0 */, BE32(0x82102001u) /* mov 1, %g1 */, \
                              BE32(0x91d02000u | (TRAP)) /* ta TRAP */)

static const struct {
        const char *name; /* lib/binfmt-table.c row */
        uint8_t elf_class, data;
        uint16_t machine;
        uint32_t flags;
        const uint8_t *code;
        size_t code_size;
} probes[] = {
        { "i386", ELFCLASS32, ELFDATA2LSB, EM_386, 0, I386_CODE },
        { "i486", ELFCLASS32, ELFDATA2LSB, EM_486, 0, I386_CODE },
        { "alpha", ELFCLASS64, ELFDATA2LSB, EM_ALPHA, 0,
          CODE(LE32(0x221f002au) /* lda a0, 42(zero) */, LE32(0x201f0001u) /* lda v0, 1(zero) */,
               LE32(0x00000083u) /* callsys */) },
        { "arm", ELFCLASS32, ELFDATA2LSB, EM_ARM, EF_ARM_EABI_VER5, ARM_CODE(LE32) },
        /* Without EF_ARM_BE8 this is BE32: instructions are big-endian words too. */
        { "armeb", ELFCLASS32, ELFDATA2MSB, EM_ARM, EF_ARM_EABI_VER5, ARM_CODE(BE32) },
        { "sparc", ELFCLASS32, ELFDATA2MSB, EM_SPARC, 0, SPARC_CODE(0x10) },
        { "sparc32plus", ELFCLASS32, ELFDATA2MSB, EM_SPARC32PLUS, EF_SPARC_32PLUS, SPARC_CODE(0x10) },
        { "sparc64", ELFCLASS64, ELFDATA2MSB, EM_SPARCV9, 0, SPARC_CODE(0x6d) },
        { "ppc", ELFCLASS32, ELFDATA2MSB, EM_PPC, 0, PPC_CODE(BE32) },
        /* ELFv2 (e_flags 2): the entry point is code, not an ELFv1 function descriptor. */
        { "ppc64", ELFCLASS64, ELFDATA2MSB, EM_PPC64, 2, PPC_CODE(BE32) },
        { "ppc64le", ELFCLASS64, ELFDATA2LSB, EM_PPC64, 2, PPC_CODE(LE32) },
        { "m68k", ELFCLASS32, ELFDATA2MSB, EM_68K, 0,
          CODE(BE16(0x722au) /* moveq #42, %d1 */, BE16(0x7001u) /* moveq #1, %d0 */, BE16(0x4e40u) /* trap #0 */) },
        { "mips", ELFCLASS32, ELFDATA2MSB, EM_MIPS, EF_MIPS_ARCH_32R2 | 0x1000 /* o32 */, MIPS_CODE(BE32, 4001) },
        { "mipsel", ELFCLASS32, ELFDATA2LSB, EM_MIPS, EF_MIPS_ARCH_32R2 | 0x1000, MIPS_CODE(LE32, 4001) },
        { "mipsn32", ELFCLASS32, ELFDATA2MSB, EM_MIPS, EF_MIPS_ARCH_64R2 | EF_MIPS_ABI2, MIPS_CODE(BE32, 6058) },
        { "mipsn32el", ELFCLASS32, ELFDATA2LSB, EM_MIPS, EF_MIPS_ARCH_64R2 | EF_MIPS_ABI2, MIPS_CODE(LE32, 6058) },
        { "mips64", ELFCLASS64, ELFDATA2MSB, EM_MIPS, EF_MIPS_ARCH_64R2, MIPS_CODE(BE32, 5058) },
        { "mips64el", ELFCLASS64, ELFDATA2LSB, EM_MIPS, EF_MIPS_ARCH_64R2, MIPS_CODE(LE32, 5058) },
        { "sh4", ELFCLASS32, ELFDATA2LSB, EM_SH, 0, SH_CODE(LE16) },
        { "sh4eb", ELFCLASS32, ELFDATA2MSB, EM_SH, 0, SH_CODE(BE16) },
        { "s390x", ELFCLASS64, ELFDATA2MSB, EM_S390, 0,
          CODE(0xa7, 0x29, 0x00, 0x2a /* lghi %r2, 42 */, 0x0a, 0x01 /* svc 1 */) },
        { "aarch64", ELFCLASS64, ELFDATA2LSB, EM_AARCH64, 0, AARCH64_CODE(LE32) },
        /* A64 instructions are little-endian even in a big-endian program. */
        { "aarch64_be", ELFCLASS64, ELFDATA2MSB, EM_AARCH64, 0, AARCH64_CODE(LE32) },
        { "hppa", ELFCLASS32, ELFDATA2MSB, EM_PARISC, 0,
          CODE(BE32(0x341a0054u) /* ldi 42, %r26 */, BE32(0xe4008200u) /* ble 0x100(%sr2, %r0) */,
               BE32(0x34140002u) /* ldi 1, %r20 (delay slot) */) },
        { "riscv32", ELFCLASS32, ELFDATA2LSB, EM_RISCV, 0, RISCV_CODE },
        { "riscv64", ELFCLASS64, ELFDATA2LSB, EM_RISCV, 0, RISCV_CODE },
        { "xtensa", ELFCLASS32, ELFDATA2LSB, EM_XTENSA, 0,
          CODE(0x62, 0xa0, 0x2a /* movi a6, 42 */, 0x22, 0xa0, 0x76 /* movi a2, 118 (exit) */,
               0x00, 0x50, 0x00 /* syscall */) },
        { "xtensaeb", ELFCLASS32, ELFDATA2MSB, EM_XTENSA, 0,
          CODE(0x26, 0x0a, 0x2a /* movi a6, 42 */, 0x22, 0x0a, 0x76 /* movi a2, 118 */,
               0x00, 0x05, 0x00 /* syscall */) },
        { "microblaze", ELFCLASS32, ELFDATA2MSB, EM_MICROBLAZE, 0, MICROBLAZE_CODE(BE32) },
        { "microblazeel", ELFCLASS32, ELFDATA2LSB, EM_MICROBLAZE, 0, MICROBLAZE_CODE(LE32) },
        { "or1k", ELFCLASS32, ELFDATA2MSB, EM_OPENRISC, 0,
          CODE(BE32(0x9c60002au) /* l.addi r3, r0, 42 */, BE32(0x9d60005du) /* l.addi r11, r0, 93 */,
               BE32(0x20000001u) /* l.sys 1 */) },
        { "x86_64", ELFCLASS64, ELFDATA2LSB, EM_X86_64, 0,
          CODE(0xb8, 60, 0, 0, 0 /* mov $60, %eax */, 0xbf, 42, 0, 0, 0 /* mov $42, %edi */, 0x0f, 0x05 /* syscall */) },
        { "hexagon", ELFCLASS32, ELFDATA2LSB, EM_QDSP6, 0x67 /* EF_HEXAGON_MACH_V67: QEMU picks its CPU by it */,
          CODE(LE32(0x7800c540u) /* { r0 = #42 } */, LE32(0x7800cba6u) /* { r6 = #93 } */,
               LE32(0x5400c004u) /* { trap0(#1) } */) },
        { "loongarch64", ELFCLASS64, ELFDATA2LSB, EM_LOONGARCH, 0x43 /* LP64D, object ABI v1 */,
          CODE(LE32(0x0280a804u) /* addi.w $a0, $zero, 42 */, LE32(0x0281740bu) /* addi.w $a7, $zero, 93 */,
               LE32(0x002b0000u) /* syscall 0 */) },
};

/* Store v in n bytes of the program's byte order. */
static void put(uint8_t *p, uint64_t v, unsigned n, uint8_t data) {
        for (unsigned i = 0; i < n; i++)
                p[data == ELFDATA2LSB ? i : n - 1 - i] = (uint8_t) (v >> (8 * i));
}

static size_t build(size_t i, uint8_t *out) {
        uint8_t c = probes[i].elf_class, d = probes[i].data;
        bool is64 = c == ELFCLASS64;
        size_t size = CODE_OFFSET + probes[i].code_size;
        unsigned w = is64 ? 8 : 4; /* address size */
        size_t ph = is64 ? 64 : 52, o;

        memset(out, 0, size);
        memcpy(out, ELFMAG, SELFMAG);
        out[EI_CLASS] = c;
        out[EI_DATA] = d;
        out[EI_VERSION] = EV_CURRENT;
        put(out + 16, ET_EXEC, 2, d);
        put(out + 18, probes[i].machine, 2, d);
        put(out + 20, EV_CURRENT, 4, d);
        put(out + 24, LOAD_ADDRESS + CODE_OFFSET, w, d);          /* e_entry */
        put(out + 24 + w, ph, w, d);                              /* e_phoff */
        o = 24 + 3 * w;                                           /* past e_shoff */
        put(out + o, probes[i].flags, 4, d);                      /* e_flags */
        put(out + o + 4, ph, 2, d);                               /* e_ehsize */
        put(out + o + 6, is64 ? 56 : 32, 2, d);                   /* e_phentsize */
        put(out + o + 8, 1, 2, d);                                /* e_phnum */

        put(out + ph, PT_LOAD, 4, d);
        if (is64) {
                put(out + ph + 4, PF_R | PF_X, 4, d);
                put(out + ph + 16, LOAD_ADDRESS, 8, d);           /* p_vaddr */
                put(out + ph + 24, LOAD_ADDRESS, 8, d);           /* p_paddr */
                put(out + ph + 32, size, 8, d);                   /* p_filesz */
                put(out + ph + 40, size, 8, d);                   /* p_memsz */
                put(out + ph + 48, LOAD_ALIGN, 8, d);
        } else {
                put(out + ph + 8, LOAD_ADDRESS, 4, d);
                put(out + ph + 12, LOAD_ADDRESS, 4, d);
                put(out + ph + 16, size, 4, d);
                put(out + ph + 20, size, 4, d);
                put(out + ph + 24, PF_R | PF_X, 4, d);
                put(out + ph + 28, LOAD_ALIGN, 4, d);
        }
        memcpy(out + CODE_OFFSET, probes[i].code, probes[i].code_size);
        return size;
}

int main(void) {
        uint8_t buf[CODE_OFFSET + 64];

        printf("/* Generated by binfmt/probe-gen.c: do not edit. */\n#pragma once\n\n#include <stddef.h>\n\n");
        printf("#define BINFMT_PROBE_EXIT_STATUS %d\n\n", PROBE_EXIT_STATUS);
        for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
                size_t n = build(i, buf);

                printf("static const unsigned char binfmt_probe_%s[%zu] = {", probes[i].name, n);
                for (size_t j = 0; j < n; j++)
                        printf("%s0x%02x,", j % 16 ? " " : "\n        ", buf[j]);
                printf("\n};\n\n");
        }
        printf("static const struct {\n        const char *name;\n        const unsigned char *elf;\n"
               "        size_t size;\n} binfmt_probes[] = {\n");
        for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
                printf("        { \"%s\", binfmt_probe_%s, sizeof(binfmt_probe_%s) },\n",
                       probes[i].name, probes[i].name, probes[i].name);
        printf("};\n");
        return 0;
}
