/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "isa-table.h"
#include "macro.h"

#define B(n) ISA_BIT(n)

static const char * const arch_names[_ISA_ARCH_MAX] = {
        [ISA_ARCH_X86_64] = "x86-64",
        [ISA_ARCH_AARCH64] = "aarch64",
        [ISA_ARCH_ARM] = "arm",
        [ISA_ARCH_PPC64LE] = "ppc64le",
        [ISA_ARCH_RISCV64] = "riscv64",
};

static const char * const arch_oci[_ISA_ARCH_MAX] = {
        [ISA_ARCH_X86_64] = "amd64",
        [ISA_ARCH_AARCH64] = "arm64",
        [ISA_ARCH_ARM] = "arm",
        [ISA_ARCH_PPC64LE] = "ppc64le",
        [ISA_ARCH_RISCV64] = "riscv64",
};

/* Names as GCC spells its -march modifiers / target attributes and Linux's /proc/cpuinfo flags. */
const IsaFeatureInfo isa_feature_table[] = {
        { ISA_ARCH_X86_64, ISA_X86_CX16, "cx16" },         { ISA_ARCH_X86_64, ISA_X86_LAHF, "lahf_lm" },
        { ISA_ARCH_X86_64, ISA_X86_POPCNT, "popcnt" },     { ISA_ARCH_X86_64, ISA_X86_SSE3, "sse3" },
        { ISA_ARCH_X86_64, ISA_X86_SSSE3, "ssse3" },       { ISA_ARCH_X86_64, ISA_X86_SSE41, "sse4.1" },
        { ISA_ARCH_X86_64, ISA_X86_SSE42, "sse4.2" },      { ISA_ARCH_X86_64, ISA_X86_AVX, "avx" },
        { ISA_ARCH_X86_64, ISA_X86_AVX2, "avx2" },         { ISA_ARCH_X86_64, ISA_X86_BMI1, "bmi" },
        { ISA_ARCH_X86_64, ISA_X86_BMI2, "bmi2" },         { ISA_ARCH_X86_64, ISA_X86_F16C, "f16c" },
        { ISA_ARCH_X86_64, ISA_X86_FMA, "fma" },           { ISA_ARCH_X86_64, ISA_X86_LZCNT, "lzcnt" },
        { ISA_ARCH_X86_64, ISA_X86_MOVBE, "movbe" },       { ISA_ARCH_X86_64, ISA_X86_XSAVE, "xsave" },
        { ISA_ARCH_X86_64, ISA_X86_AVX512F, "avx512f" },   { ISA_ARCH_X86_64, ISA_X86_AVX512BW, "avx512bw" },
        { ISA_ARCH_X86_64, ISA_X86_AVX512CD, "avx512cd" }, { ISA_ARCH_X86_64, ISA_X86_AVX512DQ, "avx512dq" },
        { ISA_ARCH_X86_64, ISA_X86_AVX512VL, "avx512vl" }, { ISA_ARCH_X86_64, ISA_X86_AVX512ER, "avx512er" },
        { ISA_ARCH_X86_64, ISA_X86_AVX512PF, "avx512pf" }, { ISA_ARCH_X86_64, ISA_X86_AES, "aes" },
        { ISA_ARCH_X86_64, ISA_X86_PCLMUL, "pclmul" },     { ISA_ARCH_X86_64, ISA_X86_SHA, "sha" },
        { ISA_ARCH_X86_64, ISA_X86_ADX, "adx" },           { ISA_ARCH_X86_64, ISA_X86_RDRAND, "rdrnd" },
        { ISA_ARCH_X86_64, ISA_X86_RDSEED, "rdseed" },     { ISA_ARCH_X86_64, ISA_X86_FMA4, "fma4" },
        { ISA_ARCH_X86_64, ISA_X86_XOP, "xop" },           { ISA_ARCH_X86_64, ISA_X86_SSE4A, "sse4a" },
        { ISA_ARCH_X86_64, ISA_X86_TBM, "tbm" },           { ISA_ARCH_X86_64, ISA_X86_3DNOW, "3dnow" },
        { ISA_ARCH_X86_64, ISA_X86_RTM, "rtm" },           { ISA_ARCH_X86_64, ISA_X86_FSGSBASE, "fsgsbase" },

        { ISA_ARCH_AARCH64, ISA_A64_CRC, "crc" },          { ISA_ARCH_AARCH64, ISA_A64_AES, "aes" },
        { ISA_ARCH_AARCH64, ISA_A64_SHA2, "sha2" },        { ISA_ARCH_AARCH64, ISA_A64_LSE, "lse" },
        { ISA_ARCH_AARCH64, ISA_A64_RDM, "rdm" },          { ISA_ARCH_AARCH64, ISA_A64_FP16, "fp16" },
        { ISA_ARCH_AARCH64, ISA_A64_DOTPROD, "dotprod" },  { ISA_ARCH_AARCH64, ISA_A64_RCPC, "rcpc" },
        { ISA_ARCH_AARCH64, ISA_A64_PAUTH, "pauth" },      { ISA_ARCH_AARCH64, ISA_A64_JSCVT, "jscvt" },
        { ISA_ARCH_AARCH64, ISA_A64_FCMA, "fcma" },        { ISA_ARCH_AARCH64, ISA_A64_RCPC2, "rcpc2" },
        { ISA_ARCH_AARCH64, ISA_A64_FLAGM, "flagm" },      { ISA_ARCH_AARCH64, ISA_A64_FRINTTS, "frintts" },
        { ISA_ARCH_AARCH64, ISA_A64_SB, "sb" },            { ISA_ARCH_AARCH64, ISA_A64_RNG, "rng" },
        { ISA_ARCH_AARCH64, ISA_A64_BF16, "bf16" },        { ISA_ARCH_AARCH64, ISA_A64_I8MM, "i8mm" },
        { ISA_ARCH_AARCH64, ISA_A64_SVE, "sve" },          { ISA_ARCH_AARCH64, ISA_A64_SVE2, "sve2" },
        { ISA_ARCH_AARCH64, ISA_A64_SHA3, "sha3" },        { ISA_ARCH_AARCH64, ISA_A64_SHA512, "sha512" },
        { ISA_ARCH_AARCH64, ISA_A64_MTE, "memtag" },       { ISA_ARCH_AARCH64, ISA_A64_LSE2, "lse2" },
        { ISA_ARCH_AARCH64, ISA_A64_SME, "sme" },

        { ISA_ARCH_ARM, ISA_ARM_V6, "armv6" },             { ISA_ARCH_ARM, ISA_ARM_V6T2, "armv6t2" },
        { ISA_ARCH_ARM, ISA_ARM_V7, "armv7" },             { ISA_ARCH_ARM, ISA_ARM_V8, "armv8" },
        { ISA_ARCH_ARM, ISA_ARM_THUMB2, "thumb2" },        { ISA_ARCH_ARM, ISA_ARM_VFPV2, "vfpv2" },
        { ISA_ARCH_ARM, ISA_ARM_VFPV3, "vfpv3" },          { ISA_ARCH_ARM, ISA_ARM_VFP_D32, "vfpd32" },
        { ISA_ARCH_ARM, ISA_ARM_VFPV4, "vfpv4" },          { ISA_ARCH_ARM, ISA_ARM_FP_ARMV8, "fp-armv8" },
        { ISA_ARCH_ARM, ISA_ARM_NEON, "neon" },            { ISA_ARCH_ARM, ISA_ARM_IDIV, "idiv" },
        { ISA_ARCH_ARM, ISA_ARM_CRYPTO, "crypto" },        { ISA_ARCH_ARM, ISA_ARM_CRC, "crc" },
        { ISA_ARCH_ARM, ISA_ARM_FP16, "fp16" },            { ISA_ARCH_ARM, ISA_ARM_MPROFILE, "m-profile" },
        { ISA_ARCH_ARM, ISA_ARM_RPROFILE, "r-profile" },

        { ISA_ARCH_PPC64LE, ISA_PPC_ISA300, "isa3.0" },    { ISA_ARCH_PPC64LE, ISA_PPC_ISA310, "isa3.1" },
        { ISA_ARCH_PPC64LE, ISA_PPC_MMA, "mma" },

        { ISA_ARCH_RISCV64, ISA_RV_V, "v" },               { ISA_ARCH_RISCV64, ISA_RV_ZBA, "zba" },
        { ISA_ARCH_RISCV64, ISA_RV_ZBB, "zbb" },           { ISA_ARCH_RISCV64, ISA_RV_ZBC, "zbc" },
        { ISA_ARCH_RISCV64, ISA_RV_ZBS, "zbs" },           { ISA_ARCH_RISCV64, ISA_RV_ZICOND, "zicond" },
        { ISA_ARCH_RISCV64, ISA_RV_ZFH, "zfh" },           { ISA_ARCH_RISCV64, ISA_RV_ZFHMIN, "zfhmin" },
        { ISA_ARCH_RISCV64, ISA_RV_ZICBOM, "zicbom" },     { ISA_ARCH_RISCV64, ISA_RV_ZICBOZ, "zicboz" },
        { ISA_ARCH_RISCV64, ISA_RV_ZICBOP, "zicbop" },     { ISA_ARCH_RISCV64, ISA_RV_ZCB, "zcb" },
        { ISA_ARCH_RISCV64, ISA_RV_ZFA, "zfa" },           { ISA_ARCH_RISCV64, ISA_RV_ZVBB, "zvbb" },
        { ISA_ARCH_RISCV64, ISA_RV_ZVKT, "zvkt" },         { ISA_ARCH_RISCV64, ISA_RV_ZKT, "zkt" },
        { ISA_ARCH_RISCV64, ISA_RV_ZIHINTPAUSE, "zihintpause" }, { ISA_ARCH_RISCV64, ISA_RV_ZAWRS, "zawrs" },
        { ISA_ARCH_RISCV64, ISA_RV_ZVFHMIN, "zvfhmin" },   { ISA_ARCH_RISCV64, ISA_RV_ZIHINTNTL, "zihintntl" },
        { ISA_ARCH_RISCV64, ISA_RV_ZICNTR, "zicntr" },     { ISA_ARCH_RISCV64, ISA_RV_ZIHPM, "zihpm" },
        { ISA_ARCH_RISCV64, ISA_RV_ZA64RS, "za64rs" },     { ISA_ARCH_RISCV64, ISA_RV_ZIC64B, "zic64b" },
        { ISA_ARCH_RISCV64, ISA_RV_ZVE32X, "zve32x" },     { ISA_ARCH_RISCV64, ISA_RV_ZVE64X, "zve64x" },
        { ISA_ARCH_RISCV64, ISA_RV_ZVE64D, "zve64d" },     { ISA_ARCH_RISCV64, ISA_RV_OTHER, "other" },
};
const unsigned isa_feature_table_size = ELEMENTSOF(isa_feature_table);

/* x86-64 psABI (x86-64-psABI, "Micro-architecture levels"): each level adds to the one before;
 * the baseline (CMOV, CX8, FPU, FXSR, MMX, SSE, SSE2) is what every x86-64 CPU has. */
#define X86_V2 (B(ISA_X86_CX16) | B(ISA_X86_LAHF) | B(ISA_X86_POPCNT) | B(ISA_X86_SSE3) | B(ISA_X86_SSSE3) | \
                B(ISA_X86_SSE41) | B(ISA_X86_SSE42))
#define X86_V3 (X86_V2 | B(ISA_X86_AVX) | B(ISA_X86_AVX2) | B(ISA_X86_BMI1) | B(ISA_X86_BMI2) | B(ISA_X86_F16C) | \
                B(ISA_X86_FMA) | B(ISA_X86_LZCNT) | B(ISA_X86_MOVBE) | B(ISA_X86_XSAVE))
#define X86_V4 (X86_V3 | B(ISA_X86_AVX512F) | B(ISA_X86_AVX512BW) | B(ISA_X86_AVX512CD) | B(ISA_X86_AVX512DQ) | \
                B(ISA_X86_AVX512VL))

/* Arm ARM (DDI 0487), A2 "Armv8-A/Armv9-A architecture extensions": the features each version makes
 * mandatory that add user-mode instructions (Advanced SIMD and FP present, as on every Linux arm64). */
#define A64_81 (B(ISA_A64_CRC) | B(ISA_A64_LSE) | B(ISA_A64_RDM))
#define A64_83 (A64_81 | B(ISA_A64_RCPC) | B(ISA_A64_PAUTH) | B(ISA_A64_JSCVT) | B(ISA_A64_FCMA))
#define A64_84 (A64_83 | B(ISA_A64_DOTPROD) | B(ISA_A64_RCPC2) | B(ISA_A64_FLAGM) | B(ISA_A64_LSE2))
#define A64_85 (A64_84 | B(ISA_A64_FRINTTS) | B(ISA_A64_SB))
#define A64_86 (A64_85 | B(ISA_A64_BF16) | B(ISA_A64_I8MM))
#define A64_SVE2 (B(ISA_A64_SVE) | B(ISA_A64_SVE2))

/* AArch32: the OCI arm variants as containerd and Debian use them: v5 is armel (ARMv5TE, soft-float),
 * v6 is Raspbian's armhf (ARMv6 + VFPv2), v7 is Debian's armhf (ARMv7-A, Thumb-2, VFPv3-D16, no NEON:
 * Debian's armhf baseline), v8 is AArch32 of ARMv8-A (which makes FP and Advanced SIMD mandatory). */
#define ARM_V6 (B(ISA_ARM_V6) | B(ISA_ARM_VFPV2))
#define ARM_V7 (ARM_V6 | B(ISA_ARM_V6T2) | B(ISA_ARM_V7) | B(ISA_ARM_THUMB2) | B(ISA_ARM_VFPV3))
#define ARM_V8 (ARM_V7 | B(ISA_ARM_V8) | B(ISA_ARM_VFP_D32) | B(ISA_ARM_VFPV4) | B(ISA_ARM_FP_ARMV8) | \
                B(ISA_ARM_NEON) | B(ISA_ARM_IDIV) | B(ISA_ARM_FP16))

/* RISC-V profiles (riscv-profiles, RVA20U64/RVA22U64/RVA23U64 mandatory extensions beyond rv64gc),
 * which Go's GORISCV64 names as well. */
#define RV_22 (B(ISA_RV_ZBA) | B(ISA_RV_ZBB) | B(ISA_RV_ZBS) | B(ISA_RV_ZICBOM) | B(ISA_RV_ZICBOZ) | \
               B(ISA_RV_ZICBOP) | B(ISA_RV_ZFHMIN) | B(ISA_RV_ZKT) | B(ISA_RV_ZIHINTPAUSE) | B(ISA_RV_ZICNTR) | \
               B(ISA_RV_ZIHPM) | B(ISA_RV_ZA64RS) | B(ISA_RV_ZIC64B))
#define RV_23 (RV_22 | B(ISA_RV_V) | B(ISA_RV_ZVE32X) | B(ISA_RV_ZVE64X) | B(ISA_RV_ZVE64D) | B(ISA_RV_ZICOND) | \
               B(ISA_RV_ZCB) | B(ISA_RV_ZFA) | B(ISA_RV_ZVBB) | B(ISA_RV_ZVKT) | B(ISA_RV_ZAWRS) | \
               B(ISA_RV_ZVFHMIN) | B(ISA_RV_ZIHINTNTL))

/* Variants: x86-64 v1..v4 and arm64 v8.x/v9.x as the OCI image-spec and containerd name them (from
 * GOAMD64 and the Arm versions); ppc64le and riscv64 use Go's GOPPC64 and GORISCV64 values. */
const IsaLevel isa_level_table[] = {
        { ISA_ARCH_X86_64,  0, "x86-64",     "",        0 },
        { ISA_ARCH_X86_64,  1, "x86-64-v2",  "v2",      X86_V2 },
        { ISA_ARCH_X86_64,  2, "x86-64-v3",  "v3",      X86_V3 },
        { ISA_ARCH_X86_64,  3, "x86-64-v4",  "v4",      X86_V4 },
        { ISA_ARCH_AARCH64, 0, "armv8-a",    "",        0 },
        { ISA_ARCH_AARCH64, 1, "armv8.1-a",  "v8.1",    A64_81 },
        { ISA_ARCH_AARCH64, 2, "armv8.2-a",  "v8.2",    A64_81 },
        { ISA_ARCH_AARCH64, 3, "armv8.3-a",  "v8.3",    A64_83 },
        { ISA_ARCH_AARCH64, 4, "armv8.4-a",  "v8.4",    A64_84 },
        { ISA_ARCH_AARCH64, 5, "armv8.5-a",  "v8.5",    A64_85 },
        { ISA_ARCH_AARCH64, 6, "armv8.6-a",  "v8.6",    A64_86 },
        { ISA_ARCH_AARCH64, 7, "armv8.7-a",  "v8.7",    A64_86 },
        { ISA_ARCH_AARCH64, 8, "armv8.8-a",  "v8.8",    A64_86 },
        { ISA_ARCH_AARCH64, 9, "armv8.9-a",  "v8.9",    A64_86 },
        { ISA_ARCH_AARCH64, 10, "armv9-a",   "v9",      A64_85 | A64_SVE2 },
        { ISA_ARCH_AARCH64, 11, "armv9.1-a", "v9.1",    A64_86 | A64_SVE2 },
        { ISA_ARCH_AARCH64, 12, "armv9.2-a", "v9.2",    A64_86 | A64_SVE2 },
        { ISA_ARCH_AARCH64, 13, "armv9.3-a", "v9.3",    A64_86 | A64_SVE2 },
        { ISA_ARCH_AARCH64, 14, "armv9.4-a", "v9.4",    A64_86 | A64_SVE2 },
        { ISA_ARCH_AARCH64, 15, "armv9.5-a", "v9.5",    A64_86 | A64_SVE2 },
        { ISA_ARCH_ARM,     0, "armv5te",    "v5",      0 },
        { ISA_ARCH_ARM,     1, "armv6+fp",   "v6",      ARM_V6 },
        { ISA_ARCH_ARM,     2, "armv7-a+fp", "v7",      ARM_V7 },
        { ISA_ARCH_ARM,     3, "armv8-a",    "v8",      ARM_V8 },
        { ISA_ARCH_PPC64LE, 0, "power8",     "",        0 },
        { ISA_ARCH_PPC64LE, 1, "power9",     "power9",  B(ISA_PPC_ISA300) },
        { ISA_ARCH_PPC64LE, 2, "power10",    "power10", B(ISA_PPC_ISA300) | B(ISA_PPC_ISA310) | B(ISA_PPC_MMA) },
        { ISA_ARCH_RISCV64, 0, "rva20u64",   "",        0 },
        { ISA_ARCH_RISCV64, 1, "rva22u64",   "rva22u64", RV_22 },
        { ISA_ARCH_RISCV64, 2, "rva23u64",   "rva23u64", RV_23 },
};
const unsigned isa_level_table_size = ELEMENTSOF(isa_level_table);

/* One row per model. Sources: GCC 12 manual, "x86 Options" (-march=CPU: the ISA extensions each CPU
 * enables), gcc/config/aarch64/aarch64-cores.def and gcc/config/arm/arm-cpus.in (architecture and
 * default extensions per -mcpu), "RS/6000 and PowerPC Options" and "RISC-V Options"; QEMU's -cpu
 * models (target/i386/cpu.c builtin_x86_defs, target/arm/cpu64.c and cpu32.c, target/ppc, target/riscv)
 * where the name is QEMU's. Optional crypto is left out where GCC's default leaves it out (the
 * Raspberry Pi 4's Cortex-A72 has none). */
const IsaCpu isa_cpu_table[] = {
        { "core2",           ISA_ARCH_X86_64, "x86-64",    B(ISA_X86_SSE3) | B(ISA_X86_SSSE3) | B(ISA_X86_CX16) | B(ISA_X86_LAHF), "GCC -march" },
        { "qemu64",          ISA_ARCH_X86_64, "x86-64",    B(ISA_X86_SSE3) | B(ISA_X86_CX16) | B(ISA_X86_LAHF), "QEMU -cpu" },
        { "nehalem",         ISA_ARCH_X86_64, "x86-64-v2", 0, "GCC -march, QEMU -cpu Nehalem" },
        { "westmere",        ISA_ARCH_X86_64, "x86-64-v2", B(ISA_X86_AES) | B(ISA_X86_PCLMUL), "GCC -march, QEMU -cpu Westmere" },
        { "silvermont",      ISA_ARCH_X86_64, "x86-64-v2", B(ISA_X86_AES) | B(ISA_X86_PCLMUL) | B(ISA_X86_RDRAND) | B(ISA_X86_MOVBE), "GCC -march" },
        { "goldmont",        ISA_ARCH_X86_64, "x86-64-v2", B(ISA_X86_AES) | B(ISA_X86_PCLMUL) | B(ISA_X86_RDRAND) | B(ISA_X86_MOVBE) | B(ISA_X86_SHA) | B(ISA_X86_RDSEED), "GCC -march" },
        { "sandybridge",     ISA_ARCH_X86_64, "x86-64-v2", B(ISA_X86_AVX) | B(ISA_X86_XSAVE) | B(ISA_X86_AES) | B(ISA_X86_PCLMUL), "GCC -march, QEMU -cpu SandyBridge" },
        { "ivybridge",       ISA_ARCH_X86_64, "x86-64-v2", B(ISA_X86_AVX) | B(ISA_X86_XSAVE) | B(ISA_X86_AES) | B(ISA_X86_PCLMUL) | B(ISA_X86_F16C) | B(ISA_X86_RDRAND) | B(ISA_X86_FSGSBASE), "GCC -march, QEMU -cpu IvyBridge" },
        { "haswell",         ISA_ARCH_X86_64, "x86-64-v3", B(ISA_X86_AES) | B(ISA_X86_PCLMUL) | B(ISA_X86_RDRAND) | B(ISA_X86_FSGSBASE), "GCC -march, QEMU -cpu Haswell" },
        { "broadwell",       ISA_ARCH_X86_64, "x86-64-v3", B(ISA_X86_AES) | B(ISA_X86_PCLMUL) | B(ISA_X86_RDRAND) | B(ISA_X86_FSGSBASE) | B(ISA_X86_ADX) | B(ISA_X86_RDSEED), "GCC -march, QEMU -cpu Broadwell" },
        { "skylake",         ISA_ARCH_X86_64, "x86-64-v3", B(ISA_X86_AES) | B(ISA_X86_PCLMUL) | B(ISA_X86_RDRAND) | B(ISA_X86_FSGSBASE) | B(ISA_X86_ADX) | B(ISA_X86_RDSEED), "GCC -march, QEMU -cpu Skylake-Client" },
        { "skylake-client",  ISA_ARCH_X86_64, "x86-64-v3", B(ISA_X86_AES) | B(ISA_X86_PCLMUL) | B(ISA_X86_RDRAND) | B(ISA_X86_FSGSBASE) | B(ISA_X86_ADX) | B(ISA_X86_RDSEED), "QEMU -cpu" },
        { "skylake-avx512",  ISA_ARCH_X86_64, "x86-64-v4", B(ISA_X86_AES) | B(ISA_X86_PCLMUL) | B(ISA_X86_RDRAND) | B(ISA_X86_FSGSBASE) | B(ISA_X86_ADX) | B(ISA_X86_RDSEED), "GCC -march" },
        { "skylake-server",  ISA_ARCH_X86_64, "x86-64-v4", B(ISA_X86_AES) | B(ISA_X86_PCLMUL) | B(ISA_X86_RDRAND) | B(ISA_X86_FSGSBASE) | B(ISA_X86_ADX) | B(ISA_X86_RDSEED), "QEMU -cpu" },
        { "icelake-server",  ISA_ARCH_X86_64, "x86-64-v4", B(ISA_X86_AES) | B(ISA_X86_PCLMUL) | B(ISA_X86_RDRAND) | B(ISA_X86_FSGSBASE) | B(ISA_X86_ADX) | B(ISA_X86_RDSEED) | B(ISA_X86_SHA), "GCC -march, QEMU -cpu" },
        { "znver1",          ISA_ARCH_X86_64, "x86-64-v3", B(ISA_X86_AES) | B(ISA_X86_PCLMUL) | B(ISA_X86_RDRAND) | B(ISA_X86_FSGSBASE) | B(ISA_X86_ADX) | B(ISA_X86_RDSEED) | B(ISA_X86_SHA) | B(ISA_X86_SSE4A), "GCC -march" },
        { "znver2",          ISA_ARCH_X86_64, "x86-64-v3", B(ISA_X86_AES) | B(ISA_X86_PCLMUL) | B(ISA_X86_RDRAND) | B(ISA_X86_FSGSBASE) | B(ISA_X86_ADX) | B(ISA_X86_RDSEED) | B(ISA_X86_SHA) | B(ISA_X86_SSE4A), "GCC -march" },
        { "znver3",          ISA_ARCH_X86_64, "x86-64-v3", B(ISA_X86_AES) | B(ISA_X86_PCLMUL) | B(ISA_X86_RDRAND) | B(ISA_X86_FSGSBASE) | B(ISA_X86_ADX) | B(ISA_X86_RDSEED) | B(ISA_X86_SHA) | B(ISA_X86_SSE4A), "GCC -march" },
        { "znver4",          ISA_ARCH_X86_64, "x86-64-v4", B(ISA_X86_AES) | B(ISA_X86_PCLMUL) | B(ISA_X86_RDRAND) | B(ISA_X86_FSGSBASE) | B(ISA_X86_ADX) | B(ISA_X86_RDSEED) | B(ISA_X86_SHA) | B(ISA_X86_SSE4A), "GCC 13 -march" },
        { "epyc",            ISA_ARCH_X86_64, "x86-64-v3", B(ISA_X86_AES) | B(ISA_X86_PCLMUL) | B(ISA_X86_RDRAND) | B(ISA_X86_FSGSBASE) | B(ISA_X86_ADX) | B(ISA_X86_RDSEED) | B(ISA_X86_SHA) | B(ISA_X86_SSE4A), "QEMU -cpu EPYC" },

        { "cortex-a35",      ISA_ARCH_AARCH64, "armv8-a",   B(ISA_A64_CRC), "GCC aarch64-cores.def" },
        { "cortex-a53",      ISA_ARCH_AARCH64, "armv8-a",   B(ISA_A64_CRC), "GCC aarch64-cores.def, QEMU -cpu (QEMU adds crypto)" },
        { "cortex-a57",      ISA_ARCH_AARCH64, "armv8-a",   B(ISA_A64_CRC), "GCC aarch64-cores.def, QEMU -cpu (QEMU adds crypto)" },
        { "cortex-a72",      ISA_ARCH_AARCH64, "armv8-a",   B(ISA_A64_CRC), "GCC aarch64-cores.def, QEMU -cpu; the Raspberry Pi 4's core" },
        { "cortex-a73",      ISA_ARCH_AARCH64, "armv8-a",   B(ISA_A64_CRC), "GCC aarch64-cores.def" },
        { "cortex-a55",      ISA_ARCH_AARCH64, "armv8.2-a", B(ISA_A64_FP16) | B(ISA_A64_RCPC) | B(ISA_A64_DOTPROD), "GCC aarch64-cores.def, QEMU -cpu" },
        { "cortex-a75",      ISA_ARCH_AARCH64, "armv8.2-a", B(ISA_A64_FP16) | B(ISA_A64_RCPC) | B(ISA_A64_DOTPROD), "GCC aarch64-cores.def" },
        { "cortex-a76",      ISA_ARCH_AARCH64, "armv8.2-a", B(ISA_A64_FP16) | B(ISA_A64_RCPC) | B(ISA_A64_DOTPROD), "GCC aarch64-cores.def, QEMU -cpu; the Raspberry Pi 5's core" },
        { "neoverse-n1",     ISA_ARCH_AARCH64, "armv8.2-a", B(ISA_A64_FP16) | B(ISA_A64_RCPC) | B(ISA_A64_DOTPROD), "GCC aarch64-cores.def, QEMU -cpu; AWS Graviton2" },
        { "a64fx",           ISA_ARCH_AARCH64, "armv8.2-a", B(ISA_A64_FP16) | B(ISA_A64_SVE), "GCC aarch64-cores.def, QEMU -cpu" },
        { "neoverse-v1",     ISA_ARCH_AARCH64, "armv8.4-a", B(ISA_A64_FP16) | B(ISA_A64_SVE) | B(ISA_A64_BF16) | B(ISA_A64_I8MM) | B(ISA_A64_RNG), "GCC aarch64-cores.def, QEMU -cpu; AWS Graviton3" },
        { "neoverse-n2",     ISA_ARCH_AARCH64, "armv9-a",   B(ISA_A64_FP16) | B(ISA_A64_BF16) | B(ISA_A64_I8MM) | B(ISA_A64_MTE), "GCC aarch64-cores.def, QEMU -cpu" },
        { "ampere1",         ISA_ARCH_AARCH64, "armv8.6-a", B(ISA_A64_FP16) | B(ISA_A64_RNG) | B(ISA_A64_AES) | B(ISA_A64_SHA2) | B(ISA_A64_SHA3), "GCC aarch64-cores.def" },

        { "arm1176jzf-s",    ISA_ARCH_ARM, "armv6+fp",   0, "GCC arm-cpus.in; the Raspberry Pi Zero/1's core" },
        { "arm1176",         ISA_ARCH_ARM, "armv6+fp",   0, "QEMU -cpu arm1176" },
        { "cortex-a7",       ISA_ARCH_ARM, "armv7-a+fp", B(ISA_ARM_VFP_D32) | B(ISA_ARM_VFPV4) | B(ISA_ARM_NEON) | B(ISA_ARM_IDIV) | B(ISA_ARM_FP16), "GCC arm-cpus.in, QEMU -cpu; the Raspberry Pi 2's core" },
        { "cortex-a8",       ISA_ARCH_ARM, "armv7-a+fp", B(ISA_ARM_VFP_D32) | B(ISA_ARM_NEON), "GCC arm-cpus.in, QEMU -cpu" },
        { "cortex-a9",       ISA_ARCH_ARM, "armv7-a+fp", B(ISA_ARM_VFP_D32) | B(ISA_ARM_NEON) | B(ISA_ARM_FP16), "GCC arm-cpus.in, QEMU -cpu" },
        { "cortex-a15",      ISA_ARCH_ARM, "armv7-a+fp", B(ISA_ARM_VFP_D32) | B(ISA_ARM_VFPV4) | B(ISA_ARM_NEON) | B(ISA_ARM_IDIV) | B(ISA_ARM_FP16), "GCC arm-cpus.in, QEMU -cpu" },
        /* AArch64 cores run AArch32 code as ARMv8-A with CRC (GCC arm-cpus.in lists them too). */
        { "cortex-a53",      ISA_ARCH_ARM, "armv8-a",    B(ISA_ARM_CRC), "GCC arm-cpus.in" },
        { "cortex-a72",      ISA_ARCH_ARM, "armv8-a",    B(ISA_ARM_CRC), "GCC arm-cpus.in" },

        { "power8",          ISA_ARCH_PPC64LE, "power8",  0, "GCC -mcpu, QEMU -cpu" },
        { "power9",          ISA_ARCH_PPC64LE, "power9",  0, "GCC -mcpu, QEMU -cpu" },
        { "power10",         ISA_ARCH_PPC64LE, "power10", 0, "GCC -mcpu, QEMU -cpu" },

        { "sifive-u74",      ISA_ARCH_RISCV64, "rva20u64", 0, "GCC -mcpu; VisionFive 2, HiFive Unmatched" },
        { "thead-c906",      ISA_ARCH_RISCV64, "rva20u64", 0, "GCC 13 -mcpu, QEMU -cpu" },
        { "spacemit-x60",    ISA_ARCH_RISCV64, "rva22u64", B(ISA_RV_V) | B(ISA_RV_ZVE32X) | B(ISA_RV_ZVE64X) | B(ISA_RV_ZVE64D) | B(ISA_RV_ZICOND) | B(ISA_RV_ZBC) | B(ISA_RV_ZVFHMIN) | B(ISA_RV_ZFH), "GCC 15 -mcpu; Banana Pi F3" },
};
const unsigned isa_cpu_table_size = ELEMENTSOF(isa_cpu_table);

const char *isa_arch_to_string(IsaArch a) {
        return a >= 0 && a < _ISA_ARCH_MAX ? arch_names[a] : NULL;
}

IsaArch isa_arch_from_oci(const char *oci_arch) {
        for (int a = 0; a < _ISA_ARCH_MAX; a++)
                if (oci_arch && streq(arch_oci[a], oci_arch))
                        return (IsaArch) a;
        return _ISA_ARCH_INVALID;
}

const char *isa_arch_to_oci(IsaArch a) {
        return a >= 0 && a < _ISA_ARCH_MAX ? arch_oci[a] : NULL;
}

const char *isa_feature_name(IsaArch a, unsigned bit) {
        for (unsigned i = 0; i < isa_feature_table_size; i++)
                if (isa_feature_table[i].arch == a && isa_feature_table[i].bit == bit)
                        return isa_feature_table[i].name;
        return NULL;
}

const IsaLevel *isa_level_from_variant(const char *oci_arch, const char *variant) {
        IsaArch a = isa_arch_from_oci(oci_arch);

        if (a < 0)
                return NULL;
        if (!variant || (a == ISA_ARCH_AARCH64 && (streq(variant, "v8") || streq(variant, "v8.0"))) ||
            (a == ISA_ARCH_X86_64 && streq(variant, "v1")))
                variant = "";
        /* arm without a variant is v7, as containerd and platform.c say */
        if (a == ISA_ARCH_ARM && isempty(variant))
                variant = "v7";
        for (unsigned i = 0; i < isa_level_table_size; i++)
                if (isa_level_table[i].arch == a && streq(isa_level_table[i].variant, variant))
                        return &isa_level_table[i];
        return NULL;
}

const IsaLevel *isa_level_lowest(IsaArch a, IsaFeatures f) {
        const IsaLevel *best = NULL;

        for (unsigned i = 0; i < isa_level_table_size; i++) {
                const IsaLevel *l = &isa_level_table[i];

                if (l->arch == a && (f & ~l->features) == 0 && (!best || l->rank < best->rank))
                        best = l;
        }
        return best;
}

const IsaLevel *isa_level_by_name(IsaArch a, const char *name) {
        for (unsigned i = 0; i < isa_level_table_size; i++)
                if (isa_level_table[i].arch == a && strcasecmp(isa_level_table[i].name, name) == 0)
                        return &isa_level_table[i];
        return NULL;
}

const IsaCpu *isa_cpu_lookup(const char *name) {
        if (!name)
                return NULL;
        for (unsigned i = 0; i < isa_cpu_table_size; i++)
                if (strcasecmp(isa_cpu_table[i].name, name) == 0)
                        return &isa_cpu_table[i];
        return NULL;
}

IsaFeatures isa_cpu_features(const IsaCpu *c) {
        const IsaLevel *l = isa_level_by_name(c->arch, c->level);

        return (l ? l->features : 0) | c->extra;
}

const char *isa_features_to_string(IsaArch a, IsaFeatures f, char *buf, unsigned size) {
        size_t n = 0;

        if (size == 0)
                return buf;
        buf[0] = 0;
        for (unsigned bit = 0; bit < 64; bit++) {
                const char *name;
                int k;

                if (!(f & ISA_BIT(bit)) || !(name = isa_feature_name(a, bit)))
                        continue;
                k = snprintf(buf + n, size - n, "%s%s", n ? "," : "", name);
                if (k < 0 || (size_t) k >= size - n) {
                        if (size >= 4)
                                memcpy(buf + size - 4, "...", 4);
                        return buf;
                }
                n += (size_t) k;
        }
        return buf;
}
