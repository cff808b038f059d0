/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The instruction-set table: for each architecture whose binaries die with SIGILL on an older CPU of
 * the right architecture, its ISA features (one bit each), its ordered levels (the x86-64 psABI
 * levels, the Arm architecture versions, the POWER ISA versions, the RISC-V profiles), the OCI
 * variant that names each level, and the CPU models users name (GCC's -march/-mcpu, QEMU's -cpu).
 * Pure data and lookups; lib/elf-isa.c finds what a file needs, in the same terms. */

#include <stdbool.h>
#include <stdint.h>

typedef enum IsaArch {
        ISA_ARCH_X86_64,
        ISA_ARCH_AARCH64,
        ISA_ARCH_ARM,      /* 32-bit arm (AArch32) */
        ISA_ARCH_PPC64LE,
        ISA_ARCH_RISCV64,
        _ISA_ARCH_MAX,
        _ISA_ARCH_INVALID = -22,
} IsaArch;

/* A set of features of one architecture: bit n is the feature whose row has bit n. */
typedef uint64_t IsaFeatures;
#define ISA_BIT(n) (UINT64_C(1) << (n))

/* Feature bits, per architecture (the same bit means different things on different arches). */
enum {
        /* x86-64 */
        ISA_X86_CX16 = 0, ISA_X86_LAHF, ISA_X86_POPCNT, ISA_X86_SSE3, ISA_X86_SSSE3, ISA_X86_SSE41,
        ISA_X86_SSE42, ISA_X86_AVX, ISA_X86_AVX2, ISA_X86_BMI1, ISA_X86_BMI2, ISA_X86_F16C, ISA_X86_FMA,
        ISA_X86_LZCNT, ISA_X86_MOVBE, ISA_X86_XSAVE, ISA_X86_AVX512F, ISA_X86_AVX512BW, ISA_X86_AVX512CD,
        ISA_X86_AVX512DQ, ISA_X86_AVX512VL, ISA_X86_AVX512ER, ISA_X86_AVX512PF, ISA_X86_AES, ISA_X86_PCLMUL,
        ISA_X86_SHA, ISA_X86_ADX, ISA_X86_RDRAND, ISA_X86_RDSEED, ISA_X86_FMA4, ISA_X86_XOP, ISA_X86_SSE4A,
        ISA_X86_TBM, ISA_X86_3DNOW, ISA_X86_RTM, ISA_X86_FSGSBASE,
        /* aarch64 */
        ISA_A64_CRC = 0, ISA_A64_AES, ISA_A64_SHA2, ISA_A64_LSE, ISA_A64_RDM, ISA_A64_FP16, ISA_A64_DOTPROD,
        ISA_A64_RCPC, ISA_A64_PAUTH, ISA_A64_JSCVT, ISA_A64_FCMA, ISA_A64_RCPC2, ISA_A64_FLAGM,
        ISA_A64_FRINTTS, ISA_A64_SB, ISA_A64_RNG, ISA_A64_BF16, ISA_A64_I8MM, ISA_A64_SVE, ISA_A64_SVE2,
        ISA_A64_SHA3, ISA_A64_SHA512, ISA_A64_MTE, ISA_A64_LSE2, ISA_A64_SME,
        /* arm (32-bit): architecture versions are features too, so a level is a set */
        ISA_ARM_V6 = 0, ISA_ARM_V6T2, ISA_ARM_V7, ISA_ARM_V8, ISA_ARM_THUMB2, ISA_ARM_VFPV2, ISA_ARM_VFPV3,
        ISA_ARM_VFP_D32, ISA_ARM_VFPV4, ISA_ARM_FP_ARMV8, ISA_ARM_NEON, ISA_ARM_IDIV, ISA_ARM_CRYPTO,
        ISA_ARM_CRC, ISA_ARM_FP16, ISA_ARM_MPROFILE, ISA_ARM_RPROFILE,
        /* ppc64le */
        ISA_PPC_ISA300 = 0, ISA_PPC_ISA310, ISA_PPC_MMA,
        /* riscv64 (beyond rv64gc) */
        ISA_RV_V = 0, ISA_RV_ZBA, ISA_RV_ZBB, ISA_RV_ZBC, ISA_RV_ZBS, ISA_RV_ZICOND, ISA_RV_ZFH, ISA_RV_ZFHMIN,
        ISA_RV_ZICBOM, ISA_RV_ZICBOZ, ISA_RV_ZICBOP, ISA_RV_ZCB, ISA_RV_ZFA, ISA_RV_ZVBB, ISA_RV_ZVKT,
        ISA_RV_ZKT, ISA_RV_ZIHINTPAUSE, ISA_RV_ZAWRS, ISA_RV_ZVFHMIN, ISA_RV_ZIHINTNTL, ISA_RV_ZICNTR,
        ISA_RV_ZIHPM, ISA_RV_ZA64RS, ISA_RV_ZIC64B, ISA_RV_ZVE32X, ISA_RV_ZVE64X, ISA_RV_ZVE64D,
        ISA_RV_OTHER, /* an extension the table does not know: needs a CPU that says it has it */
};

typedef struct IsaFeatureInfo {
        IsaArch arch;
        unsigned bit;
        const char *name;   /* as GCC's -march/-mcpu modifiers and /proc/cpuinfo spell it */
} IsaFeatureInfo;

typedef struct IsaLevel {
        IsaArch arch;
        unsigned rank;        /* order within the arch, 0 = the baseline every binary may assume */
        const char *name;     /* "x86-64-v3", "armv8.2-a", "power9", "rva22u64" */
        const char *variant;  /* the OCI platform variant: "v3", "v8.2", "power9"; "" for the baseline */
        IsaFeatures features; /* everything a CPU of this level has */
} IsaLevel;

typedef struct IsaCpu {
        const char *name;     /* "cortex-a72", "x86-64-v2", "Haswell" (matched case-insensitively) */
        IsaArch arch;
        const char *level;    /* the IsaLevel it implements */
        IsaFeatures extra;    /* optional features it has beyond its level */
        const char *note;     /* where the row comes from */
} IsaCpu;

extern const IsaFeatureInfo isa_feature_table[];
extern const unsigned isa_feature_table_size;
extern const IsaLevel isa_level_table[];
extern const unsigned isa_level_table_size;
extern const IsaCpu isa_cpu_table[];
extern const unsigned isa_cpu_table_size;

/* "x86-64", "aarch64", "arm", "ppc64le", "riscv64"; NULL outside the enum. */
const char *isa_arch_to_string(IsaArch a);
/* The arch whose binaries an OCI architecture name ("amd64", "arm64", "arm", "ppc64le", "riscv64")
 * runs, or _ISA_ARCH_INVALID. */
IsaArch isa_arch_from_oci(const char *oci_arch);
/* The OCI architecture of a, or NULL. */
const char *isa_arch_to_oci(IsaArch a);

/* The feature's name, or NULL. */
const char *isa_feature_name(IsaArch a, unsigned bit);

/* The level of an OCI variant of oci_arch ("" or NULL: the baseline; "v8" for arm64 too), or NULL.
 * 32-bit arm's variants are v5..v8 (its level ranks 0..3). */
const IsaLevel *isa_level_from_variant(const char *oci_arch, const char *variant);
/* The lowest level of arch a whose features include all of f, or NULL when none does (an optional
 * feature such as AES or an unknown RISC-V extension). */
const IsaLevel *isa_level_lowest(IsaArch a, IsaFeatures f);
/* The level of arch a named name ("x86-64-v2", "armv8.2-a", "power9"), or NULL. */
const IsaLevel *isa_level_by_name(IsaArch a, const char *name);

/* A CPU model by name, case-insensitive; NULL when unknown. */
const IsaCpu *isa_cpu_lookup(const char *name);
/* Everything model c has. */
IsaFeatures isa_cpu_features(const IsaCpu *c);

/* Format the names of the bits of f as "avx2,bmi2" into buf (size bytes, truncated with "..."). */
const char *isa_features_to_string(IsaArch a, IsaFeatures f, char *buf, unsigned size);
