/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The one architecture table: ELF identity <-> OCI platform (os/architecture/variant) <-> QEMU
 * linux-user target <-> GNU triple <-> Debian architecture, plus alias parsing the way
 * containerd/platforms normalises names. Adding an architecture is one row. */

#include <stdbool.h>
#include <stdint.h>

#include "elf-id.h"

/* "linux/arm64/v8" and friends fit easily; parse refuses longer input. */
#define PLATFORM_STRING_MAX 64

/* An OCI platform as a value. variant is "" when the platform has none. Besides the variants with
 * table rows (arm v5..v8), a variant may name an ISA level of lib/isa-table.h: amd64 v2..v4, arm64
 * v8.1..v9.5, ppc64le power9/power10, riscv64 rva22u64/rva23u64 ("ISA variants"). */
typedef struct Platform {
        char os[16];
        char arch[16];
        char variant[12];
} Platform;

typedef struct PlatformInfo {
        const char *oci_arch;    /* OCI/Go GOARCH name: "arm64", "amd64", "arm", "mips64le" */
        const char *oci_variant; /* "v7", "v8" (arm64's normal variant), or NULL */
        const char *qemu_target; /* linux-user target: "aarch64", "arm", "x86_64"; NULL if none */
        const char *gnu_triple;  /* "aarch64-linux-gnu" */
        const char *debian_arch; /* "arm64", "armhf"; NULL where Debian has no port */
        /* What an ELF for this platform looks like. */
        uint16_t elf_machine;
        uint8_t elf_class;
        uint8_t elf_data;
        ElfMipsAbi mips_abi;     /* ELF_MIPS_ABI_NONE unless mips */
        unsigned arm_arch;       /* arm: lowest Tag_CPU_arch version of this variant (5, 6, 7, 8) */
} PlatformInfo;

/* The table, for iteration (tests, "install all"). */
extern const PlatformInfo platform_table[];
extern const unsigned platform_table_size;

/* Parse a platform as users and tools write it: "linux/arm64", "arm64", "linux/arm64/v8",
 * "linux/arm/v7", "arm/v7", and aliases: aarch64, x86_64/x86-64, amd64, i386/i486/i586/i686/x86 -> 386,
 * armhf -> arm/v7, armel -> arm/v5, armv6l -> arm/v6, armv7l -> arm/v7, ppc64el -> ppc64le,
 * mips64el -> mips64le, loongarch64 -> loong64, and QEMU target names. The os defaults to "linux".
 * The result is normalised: "arm64" gets no variant ("arm64/v8" == "arm64"), "arm" without a variant
 * gets "v7", as containerd does. Names are case-insensitive (containerd lowercases too); the result is
 * lowercase. Two components are "os/arch" when the first is an OS name, else "arch/variant". An alias
 * that implies a variant (armhf) refuses a different one ("armhf/v6"). OS names other than "linux"
 * (windows, darwin, freebsd, ...) parse, so that OCI indexes listing them can be read, but the arch and
 * variant must still be ones the table knows, and platform_info_lookup() finds no row for them.
 * Returns 0, or -EINVAL for an unknown, empty or overlong name; ret is written only on success. */
int platform_parse(const char *s, Platform *ret);

/* Parse a comma-separated list ("linux/amd64,linux/arm64"). Returns the count (>= 1) written to ret
 * (at most max), -EINVAL on a bad or empty element (",,", a trailing comma, blanks), -E2BIG when there
 * are more than max. Nothing is written to ret unless the whole list parses. */
int platform_parse_list(const char *s, Platform *ret, unsigned max);

/* Format as "os/arch[/variant]" into buf (PLATFORM_STRING_MAX bytes); returns buf. */
const char *platform_to_string(const Platform *p, char buf[static PLATFORM_STRING_MAX]);

/* Equality after normalising the variant, so a Platform filled from JSON ("arm64" + "v8", "arm" + "")
 * equals the parsed one. */
bool platform_equal(const Platform *a, const Platform *b);

/* The table row for a platform (variant normalised as in platform_equal()), or NULL: also for any os
 * but "linux". */
const PlatformInfo *platform_info_lookup(const Platform *p);

/* The table row that describes an identified ELF (machine, class, byte order, MIPS ABI, arm
 * version/float ABI), or NULL when none does (e.g. x32, an unknown machine, MIPS of unknown ABI).
 * For arm, a known arm_arch picks the newest variant not above it (8 -> arm/v8, ARMv4 -> the oldest,
 * arm/v5); without attributes the float ABI decides: hard -> v7, soft -> v5, unknown -> v7. */
const PlatformInfo *platform_info_from_elf(const ElfId *id);

/* Fill a Platform from a table row (os "linux"). */
void platform_from_info(const PlatformInfo *info, Platform *ret);

/* The platform the ELF is built for; -ENOENT when no row matches. */
int platform_from_elf(const ElfId *id, Platform *ret);

/* The platform of a machine whose uname(2) "machine" is `machine`, for a process of byte order
 * elf_data (ELFDATA2LSB/MSB): uname names the arm level (the kernel builds "armv7l" from the CPU's
 * architecture) but not the mips byte order ("mips64" on both). Returns 0, or -EOPNOTSUPP when no
 * table row describes that machine (armv4l, armv7b, aarch64_be). Pure: the testable half of
 * platform_host(). */
int platform_from_uname(const char *machine, uint8_t elf_data, Platform *ret);

/* The platform this process runs on natively: platform_from_uname() of uname(2) with this process's
 * byte order. Returns as platform_from_uname(), or -errno from uname(2). */
int platform_host(Platform *ret);

/* Whether a program built for `have` runs on a machine of platform `target`: same os and arch, and
 * for arm an older-or-equal variant (a v5 binary runs on v7; a v7 binary does not run on v6); for ISA
 * variants, have's level has no feature target's lacks (linux/amd64 runs on linux/amd64/v2, v3 does
 * not run on v2). */
bool platform_runs_on(const Platform *have, const Platform *target);

/* p without an ISA variant (linux/amd64/v3 -> linux/amd64): the platform whose ELF files, QEMU target,
 * base images and host match p's. Arm's variants, which have table rows, stay. */
void platform_base(const Platform *p, Platform *ret);
