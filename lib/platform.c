/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <elf.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "isa-table.h"
#include "macro.h"
#include "platform.h"

/* Older <elf.h> (glibc < 2.36) lacks it; the value is the kernel's include/uapi/linux/elf-em.h. */
#ifndef EM_LOONGARCH
#define EM_LOONGARCH 258
#endif

/* Sources, one per column:
 *   oci_arch/oci_variant  OCI image-spec config.md: "architecture" and "variant" take Go's GOARCH values
 *                         and containerd's variants (platforms/database.go normalizeArch). Where Go has no
 *                         port, a name Go reserves in go/build/syslist.go (ppc, sparc64), else QEMU's
 *                         target name (riscv32, m68k, alpha, sh4, hppa, mipsn32, mipsn32el): Go reserves
 *                         "riscv" and "mips64p32" without saying which ABI they mean.
 *   qemu_target           QEMU configs/targets/<target>-linux-user.mak, i.e. qemu-<target>.
 *   gnu_triple            Debian's DEB_HOST_GNU_TYPE (dpkg tupletable/cputable): the toolchain prefix.
 *                         Only i386 differs from the multiarch path (i686- vs /usr/lib/i386-linux-gnu).
 *   debian_arch           dpkg cputable/tupletable names with an official or debian-ports archive; NULL
 *                         where no archive exists (arm/v6, arm/v8, mips64 big-endian, riscv32, n32).
 *   elf_*                 the psABI of each target (e_machine from <elf.h>); MIPS ABI from e_flags/class.
 *   arm_arch              the lowest Tag_CPU_arch version the variant requires.
 * Rows of one arch (arm) are in ascending arm_arch. An arch's default variant (arm: v7) comes from
 * variant_aliases below, not from row order; QEMU's "arm", shared by four rows, means that default. */
const PlatformInfo platform_table[] = {
        /* oci          var.  qemu           gnu_triple                  debian      machine       class       data         mips_abi           arm */
        { "amd64",     NULL, "x86_64",      "x86_64-linux-gnu",         "amd64",    EM_X86_64,    ELFCLASS64, ELFDATA2LSB, ELF_MIPS_ABI_NONE, 0 },
        { "386",       NULL, "i386",        "i686-linux-gnu",           "i386",     EM_386,       ELFCLASS32, ELFDATA2LSB, ELF_MIPS_ABI_NONE, 0 },
        { "arm64",     "v8", "aarch64",     "aarch64-linux-gnu",        "arm64",    EM_AARCH64,   ELFCLASS64, ELFDATA2LSB, ELF_MIPS_ABI_NONE, 0 },
        /* containerd calls "armel" arm/v6; Debian's armel is ARMv5TE soft-float, so armel is v5 here. */
        { "arm",       "v5", "arm",         "arm-linux-gnueabi",        "armel",    EM_ARM,       ELFCLASS32, ELFDATA2LSB, ELF_MIPS_ABI_NONE, 5 },
        /* Raspbian/Alpine armhf: ARMv6 hard-float, no Debian archive. */
        { "arm",       "v6", "arm",         "arm-linux-gnueabihf",      NULL,       EM_ARM,       ELFCLASS32, ELFDATA2LSB, ELF_MIPS_ABI_NONE, 6 },
        { "arm",       "v7", "arm",         "arm-linux-gnueabihf",      "armhf",    EM_ARM,       ELFCLASS32, ELFDATA2LSB, ELF_MIPS_ABI_NONE, 7 },
        /* AArch32 built for ARMv8: OCI arm/v8, uname "armv8l"; Debian's armhf stays v7. */
        { "arm",       "v8", "arm",         "arm-linux-gnueabihf",      NULL,       EM_ARM,       ELFCLASS32, ELFDATA2LSB, ELF_MIPS_ABI_NONE, 8 },
        { "ppc64le",   NULL, "ppc64le",     "powerpc64le-linux-gnu",    "ppc64el",  EM_PPC64,     ELFCLASS64, ELFDATA2LSB, ELF_MIPS_ABI_NONE, 0 },
        { "ppc64",     NULL, "ppc64",       "powerpc64-linux-gnu",      "ppc64",    EM_PPC64,     ELFCLASS64, ELFDATA2MSB, ELF_MIPS_ABI_NONE, 0 },
        { "s390x",     NULL, "s390x",       "s390x-linux-gnu",          "s390x",    EM_S390,      ELFCLASS64, ELFDATA2MSB, ELF_MIPS_ABI_NONE, 0 },
        { "riscv64",   NULL, "riscv64",     "riscv64-linux-gnu",        "riscv64",  EM_RISCV,     ELFCLASS64, ELFDATA2LSB, ELF_MIPS_ABI_NONE, 0 },
        { "loong64",   NULL, "loongarch64", "loongarch64-linux-gnu",    "loong64",  EM_LOONGARCH, ELFCLASS64, ELFDATA2LSB, ELF_MIPS_ABI_NONE, 0 },
        { "mips64le",  NULL, "mips64el",    "mips64el-linux-gnuabi64",  "mips64el", EM_MIPS,      ELFCLASS64, ELFDATA2LSB, ELF_MIPS_ABI_N64,  0 },
        { "mips64",    NULL, "mips64",      "mips64-linux-gnuabi64",    NULL,       EM_MIPS,      ELFCLASS64, ELFDATA2MSB, ELF_MIPS_ABI_N64,  0 },
        { "mipsle",    NULL, "mipsel",      "mipsel-linux-gnu",         "mipsel",   EM_MIPS,      ELFCLASS32, ELFDATA2LSB, ELF_MIPS_ABI_O32,  0 },
        { "mips",      NULL, "mips",        "mips-linux-gnu",           "mips",     EM_MIPS,      ELFCLASS32, ELFDATA2MSB, ELF_MIPS_ABI_O32,  0 },
        { "ppc",       NULL, "ppc",         "powerpc-linux-gnu",        "powerpc",  EM_PPC,       ELFCLASS32, ELFDATA2MSB, ELF_MIPS_ABI_NONE, 0 },
        /* QEMU-only targets: no Go port, so the arch is QEMU's target name (see above). */
        { "mipsn32el", NULL, "mipsn32el",   "mips64el-linux-gnuabin32", NULL,       EM_MIPS,      ELFCLASS32, ELFDATA2LSB, ELF_MIPS_ABI_N32,  0 },
        { "mipsn32",   NULL, "mipsn32",     "mips64-linux-gnuabin32",   NULL,       EM_MIPS,      ELFCLASS32, ELFDATA2MSB, ELF_MIPS_ABI_N32,  0 },
        { "riscv32",   NULL, "riscv32",     "riscv32-linux-gnu",        NULL,       EM_RISCV,     ELFCLASS32, ELFDATA2LSB, ELF_MIPS_ABI_NONE, 0 },
        { "sparc64",   NULL, "sparc64",     "sparc64-linux-gnu",        "sparc64",  EM_SPARCV9,   ELFCLASS64, ELFDATA2MSB, ELF_MIPS_ABI_NONE, 0 },
        { "m68k",      NULL, "m68k",        "m68k-linux-gnu",           "m68k",     EM_68K,       ELFCLASS32, ELFDATA2MSB, ELF_MIPS_ABI_NONE, 0 },
        { "alpha",     NULL, "alpha",       "alpha-linux-gnu",          "alpha",    EM_ALPHA,     ELFCLASS64, ELFDATA2LSB, ELF_MIPS_ABI_NONE, 0 },
        { "sh4",       NULL, "sh4",         "sh4-linux-gnu",            "sh4",      EM_SH,        ELFCLASS32, ELFDATA2LSB, ELF_MIPS_ABI_NONE, 0 },
        { "hppa",      NULL, "hppa",        "hppa-linux-gnu",           "hppa",     EM_PARISC,    ELFCLASS32, ELFDATA2MSB, ELF_MIPS_ABI_NONE, 0 },
};
const unsigned platform_table_size = ELEMENTSOF(platform_table);

/* Spellings of an arch that no column of the table holds. variant NULL: the user's variant applies;
 * otherwise the name implies that (normalised) variant. */
static const struct {
        const char *name, *arch, *variant;
} arch_aliases[] = {
        { "x86-64",      "amd64",   NULL }, /* containerd normalizeArch */
        { "i486",        "386",     ""   }, /* uname(2) on 32-bit x86 kernels, GNU cpu names */
        { "i586",        "386",     ""   },
        { "i686",        "386",     ""   },
        { "x86",         "386",     ""   },
        /* uname(2) on arm: the kernel's cpu_arch_name (arch/arm/mm/proc-*.S) plus 'l' for little-endian. */
        { "armv5l",      "arm",     "v5" },
        { "armv5tl",     "arm",     "v5" },
        { "armv5tel",    "arm",     "v5" },
        { "armv5tejl",   "arm",     "v5" },
        { "armv6l",      "arm",     "v6" },
        { "armv7l",      "arm",     "v7" },
        /* arm64 kernels report COMPAT_UTS_MACHINE "armv8l" under the linux32 personality. */
        { "armv8l",      "arm",     "v8" },
        { "powerpc64le", "ppc64le", ""   }, /* GNU cpu names (config.sub) */
        { "powerpc64",   "ppc64",   ""   },
        { "parisc",      "hppa",    ""   }, /* uname(2) on PA-RISC; a 64-bit kernel runs hppa userland */
        { "parisc64",    "hppa",    ""   },
};

/* Variant spellings containerd's normalizeArch() rewrites; "" in `from` is "no variant given". */
static const struct {
        const char *arch, *from, *to;
} variant_aliases[] = {
        { "amd64", "v1",   ""   },
        { "arm64", "8",    ""   },
        { "arm64", "v8",   ""   },
        { "arm64", "v8.0", ""   },
        { "arm",   "",     "v7" },
        { "arm",   "5",    "v5" },
        { "arm",   "6",    "v6" },
        { "arm",   "7",    "v7" },
        { "arm",   "8",    "v8" },
};

/* Operating systems Go ports to (go/build/syslist.go knownOS, the OCI "os" values), plus containerd's
 * normalizeOS() alias macos -> darwin. Only linux has table rows. */
static const struct {
        const char *name, *os;
} os_names[] = {
        { "linux",    "linux" },    { "windows",  "windows" },  { "darwin",   "darwin" },   { "macos",    "darwin" },
        { "freebsd",  "freebsd" },  { "netbsd",   "netbsd" },   { "openbsd",  "openbsd" },  { "dragonfly", "dragonfly" },
        { "solaris",  "solaris" },  { "illumos",  "illumos" },  { "aix",      "aix" },      { "android",  "android" },
        { "ios",      "ios" },      { "plan9",    "plan9" },
};

static const char *os_resolve(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(os_names); i++)
                if (streq(os_names[i].name, name))
                        return os_names[i].os;
        return NULL;
}

static const char *variant_normalise(const char *arch, const char *variant) {
        if (!variant)
                variant = "";
        for (size_t i = 0; i < ELEMENTSOF(variant_aliases); i++)
                if (streq(variant_aliases[i].arch, arch) && streq(variant_aliases[i].from, variant))
                        return variant_aliases[i].to;
        return variant;
}

static const char *row_variant(const PlatformInfo *row) {
        return variant_normalise(row->oci_arch, row->oci_variant);
}

/* The row of arch/variant whatever the os: runs_on() compares arm levels of any os. */
static const PlatformInfo *row_find(const char *arch, const char *variant) {
        const char *v = variant_normalise(arch, variant);

        for (unsigned i = 0; i < platform_table_size; i++)
                if (streq(platform_table[i].oci_arch, arch) && streq(row_variant(&platform_table[i]), v))
                        return &platform_table[i];
        return NULL;
}

/* The first row whose string column at `offset` (oci_arch, debian_arch, ...) is name. */
static const PlatformInfo *row_by_column(size_t offset, const char *name) {
        for (unsigned i = 0; i < platform_table_size; i++) {
                const char *v = *(const char *const *) ((const char *) &platform_table[i] + offset);

                if (v && streq(v, name))
                        return &platform_table[i];
        }
        return NULL;
}

/* Map any spelling of an arch to its OCI name and the variant the spelling implies (NULL: none).
 * OCI names come first, so "arm" is OCI's arm (default v7), not a row with QEMU's "arm"; Debian's
 * next, since "armel"/"armhf" single out a row and QEMU's names are only the fallback. */
static int arch_resolve(const char *name, const char **ret_arch, const char **ret_variant) {
        const PlatformInfo *row;

        row = row_by_column(offsetof(PlatformInfo, oci_arch), name);
        if (row) {
                *ret_arch = row->oci_arch;
                *ret_variant = NULL;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(arch_aliases); i++)
                if (streq(arch_aliases[i].name, name)) {
                        *ret_arch = arch_aliases[i].arch;
                        *ret_variant = arch_aliases[i].variant;
                        return 0;
                }
        row = row_by_column(offsetof(PlatformInfo, debian_arch), name);
        if (!row)
                row = row_by_column(offsetof(PlatformInfo, qemu_target), name);
        if (!row)
                return -EINVAL;
        *ret_arch = row->oci_arch;
        *ret_variant = row_variant(row);
        return 0;
}

/* Every name written here comes from the tables, which the unit test checks fit the fields; the
 * bound is kept anyway so a too-long row truncates instead of overflowing. */
static void field_set(char *field, size_t size, const char *value) {
        size_t n = strnlen(value, size - 1);

        memcpy(field, value, n);
        field[n] = 0;
}

static void platform_set(Platform *ret, const char *os, const char *arch, const char *variant) {
        field_set(ret->os, sizeof(ret->os), os);
        field_set(ret->arch, sizeof(ret->arch), arch);
        field_set(ret->variant, sizeof(ret->variant), variant);
}

/* Locale-independent: "I" must fold to "i" even under a Turkish locale. */
static char ascii_tolower(char c) {
        return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Lowercase s into buf and split it at '/' into one to three non-empty components. */
static int components_split(const char *s, char buf[static PLATFORM_STRING_MAX], char *parts[static 3]) {
        size_t len = strnlen(s, PLATFORM_STRING_MAX);
        char *p = buf, *c;
        int n = 0;

        if (len == 0 || len >= PLATFORM_STRING_MAX)
                return -EINVAL;
        for (size_t i = 0; i <= len; i++)
                buf[i] = ascii_tolower(s[i]);
        while ((c = strsep(&p, "/"))) {
                if (isempty(c) || n == 3)
                        return -EINVAL;
                parts[n++] = c;
        }
        return n;
}

/* The variant a parsed platform gets: the user's, normalised, which must agree with what the arch's
 * spelling implies (armhf is v7); else the implied one; else the arch's default (arm: v7). */
static int variant_resolve(const char *arch, const char *given, const char *implied, const char **ret) {
        const char *v;

        if (!given) {
                *ret = implied ?: variant_normalise(arch, NULL);
                return 0;
        }
        v = variant_normalise(arch, given);
        if (implied && !streq(v, implied))
                return -EINVAL;
        *ret = v;
        return 0;
}

int platform_parse(const char *s, Platform *ret) {
        char buf[PLATFORM_STRING_MAX], *parts[3];
        const char *os = "linux", *arch, *implied, *variant = NULL;
        const PlatformInfo *row;
        int n, r;

        if (!s)
                return -EINVAL;
        n = components_split(s, buf, parts);
        if (n < 0)
                return n;
        /* "x/y" is os/arch when x names an OS (no OS is named like an arch), else arch/variant. */
        if (n == 3 || (n == 2 && os_resolve(parts[0]))) {
                os = os_resolve(parts[0]);
                if (!os)
                        return -EINVAL;
                parts[0] = parts[1];
                parts[1] = n == 3 ? parts[2] : NULL;
        } else if (n == 1)
                parts[1] = NULL;

        r = arch_resolve(parts[0], &arch, &implied);
        if (r < 0)
                return r;
        r = variant_resolve(arch, parts[1], implied, &variant);
        if (r < 0)
                return r;
        /* Only what the table has a row for: a variant no row describes (arm64/v9, amd64/v3) would
         * leave callers without a QEMU target or a runs_on() order for it. */
        row = row_find(arch, variant);
        if (!row) {
                /* an ISA variant: amd64/v3, arm64/v8.2, ppc64le/power9, riscv64/rva22u64 */
                const IsaLevel *l = isa_level_from_variant(arch, variant);

                if (!l || l->arch == ISA_ARCH_ARM || !row_find(arch, NULL))
                        return -EINVAL;
                platform_set(ret, os, arch, l->variant);
                return 0;
        }
        platform_set(ret, os, row->oci_arch, row_variant(row));
        return 0;
}

/* Parse the comma-separated list s, storing into ret when it is not NULL. Returns the count. */
static int list_walk(const char *s, Platform *ret, unsigned max) {
        char buf[PLATFORM_STRING_MAX];
        unsigned n = 0;

        for (const char *p = s;;) {
                const char *comma = strchrnul(p, ',');
                size_t len = comma - p;
                Platform pl;
                int r;

                if (len == 0 || len >= sizeof(buf))
                        return -EINVAL;
                memcpy(buf, p, len);
                buf[len] = 0;
                r = platform_parse(buf, &pl);
                if (r < 0)
                        return r;
                if (n >= max)
                        return -E2BIG;
                if (ret)
                        ret[n] = pl;
                n++;
                if (!*comma)
                        return (int) n;
                p = comma + 1;
        }
}

int platform_parse_list(const char *s, Platform *ret, unsigned max) {
        int r;

        if (!s)
                return -EINVAL;
        /* A dry run first, so that ret is written only when the whole list parses. */
        r = list_walk(s, NULL, max);
        if (r < 0)
                return r;
        return list_walk(s, ret, max);
}

_Static_assert(sizeof(((Platform *) NULL)->os) + sizeof(((Platform *) NULL)->arch) +
               sizeof(((Platform *) NULL)->variant) <= PLATFORM_STRING_MAX,
               "os/arch/variant with two slashes and a NUL must fit PLATFORM_STRING_MAX");

const char *platform_to_string(const Platform *p, char buf[static PLATFORM_STRING_MAX]) {
        (void) snprintf(buf, PLATFORM_STRING_MAX, "%s/%s%s%s",
                        p->os, p->arch, isempty(p->variant) ? "" : "/", p->variant);
        return buf;
}

bool platform_equal(const Platform *a, const Platform *b) {
        return streq(a->os, b->os) && streq(a->arch, b->arch) &&
               streq(variant_normalise(a->arch, a->variant), variant_normalise(b->arch, b->variant));
}

/* An ISA variant of p's arch (not one with its own row), or NULL. */
static const IsaLevel *isa_variant(const Platform *p) {
        const IsaLevel *l;

        if (row_find(p->arch, p->variant))
                return NULL;
        l = isa_level_from_variant(p->arch, p->variant);
        return l && l->arch != ISA_ARCH_ARM ? l : NULL;
}

const PlatformInfo *platform_info_lookup(const Platform *p) {
        if (!streq(p->os, "linux"))
                return NULL;
        if (isa_variant(p))
                return row_find(p->arch, NULL);
        return row_find(p->arch, p->variant);
}

void platform_base(const Platform *p, Platform *ret) {
        Platform b = *p;

        if (isa_variant(p))
                b.variant[0] = 0;
        *ret = b;
}

/* The arm level an ELF asks for, 0 for other machines. Without .ARM.attributes the float ABI is all
 * there is: hard-float is what Debian armhf and OCI's default arm pair with ARMv7, soft-float is
 * Debian armel (ARMv5TE). Unknown says v7 too: the claim that is never too old, so a check never
 * promises a binary runs on older hardware than it may need, and containerd's default for "arm". */
static unsigned elf_arm_level(const ElfId *id) {
        if (id->machine != EM_ARM)
                return 0;
        if (id->arm_arch > 0)
                return id->arm_arch;
        return id->float_abi == ELF_FLOAT_ABI_SOFT ? 5 : 7;
}

static bool row_matches_elf(const PlatformInfo *row, const ElfId *id) {
        return row->elf_machine == id->machine && row->elf_class == id->elf_class &&
               row->elf_data == id->data && (id->machine != EM_MIPS || row->mips_abi == id->mips_abi);
}

/* Whether row suits an arm level `want` better than best: the newest variant not above want wins;
 * failing any, the oldest (an ARMv4 binary runs on arm/v5, the oldest variant OCI names). Other
 * machines have one matching row, with level 0. */
static bool arm_fits_better(const PlatformInfo *row, const PlatformInfo *best, unsigned want) {
        bool row_ok, best_ok;

        if (!best)
                return true;
        row_ok = row->arm_arch <= want;
        best_ok = best->arm_arch <= want;
        if (row_ok != best_ok)
                return row_ok;
        return row_ok ? row->arm_arch > best->arm_arch : row->arm_arch < best->arm_arch;
}

const PlatformInfo *platform_info_from_elf(const ElfId *id) {
        const PlatformInfo *best = NULL;
        unsigned want;

        /* x32 is EM_X86_64 in ELFCLASS32, which no row has; said explicitly so a flag alone suffices. */
        if (!id || id->x32)
                return NULL;
        want = elf_arm_level(id);
        for (unsigned i = 0; i < platform_table_size; i++)
                if (row_matches_elf(&platform_table[i], id) && arm_fits_better(&platform_table[i], best, want))
                        best = &platform_table[i];
        return best;
}

void platform_from_info(const PlatformInfo *info, Platform *ret) {
        platform_set(ret, "linux", info->oci_arch, row_variant(info));
}

int platform_from_elf(const ElfId *id, Platform *ret) {
        const PlatformInfo *row = platform_info_from_elf(id);

        if (!row)
                return -ENOENT;
        platform_from_info(row, ret);
        return 0;
}

/* The row like `row` but of byte order `data`, or NULL. */
static const PlatformInfo *row_with_byte_order(const PlatformInfo *row, uint8_t data) {
        if (row->elf_data == data)
                return row;
        for (unsigned i = 0; i < platform_table_size; i++) {
                const PlatformInfo *t = &platform_table[i];

                if (t->elf_machine == row->elf_machine && t->elf_class == row->elf_class &&
                    t->elf_data == data && t->mips_abi == row->mips_abi && t->arm_arch == row->arm_arch)
                        return t;
        }
        return NULL;
}

int platform_from_uname(const char *machine, uint8_t elf_data, Platform *ret) {
        const PlatformInfo *row;
        Platform p;

        /* A machine is one name; "linux/arm64" is not one. */
        if (!machine || strchr(machine, '/') || platform_parse(machine, &p) < 0)
                return -EOPNOTSUPP;
        row = platform_info_lookup(&p);
        if (row)
                row = row_with_byte_order(row, elf_data);
        if (!row)
                return -EOPNOTSUPP;
        platform_from_info(row, ret);
        return 0;
}

int platform_host(Platform *ret) {
        struct utsname u;

        if (uname(&u) < 0)
                return negative_errno();
        /* This process's byte order is the machine's: a foreign-endian process runs under QEMU, whose
         * uname(2) reports the emulated machine anyway. */
        return platform_from_uname(u.machine,
                                   __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB,
                                   ret);
}

/* Variants are ordered only where rows carry an arm level; elsewhere they must be equal. */
bool platform_runs_on(const Platform *have, const Platform *target) {
        const PlatformInfo *h, *t;

        if (!streq(have->os, target->os) || !streq(have->arch, target->arch))
                return false;
        h = row_find(have->arch, have->variant);
        t = row_find(target->arch, target->variant);
        if (h && t && h->arm_arch > 0 && t->arm_arch > 0)
                return h->arm_arch <= t->arm_arch;
        if (isa_variant(have) || isa_variant(target)) {
                const IsaLevel *lh = isa_level_from_variant(have->arch, have->variant),
                               *lt = isa_level_from_variant(target->arch, target->variant);
                return lh && lt && (lh->features & ~lt->features) == 0;
        }
        return streq(variant_normalise(have->arch, have->variant),
                     variant_normalise(target->arch, target->variant));
}
