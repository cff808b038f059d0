/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fnmatch.h>
#include <string.h>

#include "binfmt-table.h"
#include "macro.h"

/* Source: QEMU 10.0.13, scripts/qemu-binfmt-conf.sh (the *_magic, *_mask and *_family variables, in
 * the order of its qemu_target_list). Rows marked with a deviation differ on purpose; docs/binfmt.md
 * explains each, and tests/unit/test-binfmt-table.c checks every row against ELF headers built for
 * its architecture, ET_EXEC and ET_DYN. */
#define ELF32LE "\\x7fELF\\x01\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
#define ELF32BE "\\x7fELF\\x01\\x02\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
#define ELF64LE "\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
#define ELF64BE "\\x7fELF\\x02\\x02\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
/* Mask of e_ident: class, data, version and zero padding exact; OS ABI free. */
#define ID_MASK  "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff"
/* i386/x86_64/alpha in QEMU also ignore the low bit of EI_DATA and EI_VERSION. */
#define ID_MASK_X86 "\\xff\\xff\\xff\\xff\\xff\\xfe\\xfe\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff"
/* e_type ET_EXEC (2) or ET_DYN (3), then e_machine exact. */
#define TM_MASK_LE "\\xfe\\xff\\xff\\xff"
#define TM_MASK_BE "\\xff\\xfe\\xff\\xff"

const BinfmtTarget binfmt_target_table[] = {
        { "i386", "i386", "i386", ELF32LE "\\x02\\x00\\x03\\x00", ID_MASK_X86 TM_MASK_LE, NULL },
        { "i486", "i386", "i386", ELF32LE "\\x02\\x00\\x06\\x00", ID_MASK_X86 TM_MASK_LE, NULL },
        { "alpha", "alpha", "alpha", ELF64LE "\\x02\\x00\\x26\\x90", ID_MASK_X86 TM_MASK_LE, NULL },
        { "arm", "arm", "arm", ELF32LE "\\x02\\x00\\x28\\x00", ID_MASK TM_MASK_LE, NULL },
        { "armeb", "armeb", "armeb", ELF32BE "\\x00\\x02\\x00\\x28", ID_MASK TM_MASK_BE, NULL },
        { "sparc", "sparc", "sparc", ELF32BE "\\x00\\x02\\x00\\x02", ID_MASK TM_MASK_BE, NULL },
        { "sparc32plus", "sparc32plus", "sparc", ELF32BE "\\x00\\x02\\x00\\x12", ID_MASK TM_MASK_BE, NULL },
        { "sparc64", "sparc64", "sparc", ELF64BE "\\x00\\x02\\x00\\x2b", ID_MASK TM_MASK_BE, NULL },
        { "ppc", "ppc", "ppc", ELF32BE "\\x00\\x02\\x00\\x14", ID_MASK TM_MASK_BE, NULL },
        { "ppc64", "ppc64", "ppc", ELF64BE "\\x00\\x02\\x00\\x15", ID_MASK TM_MASK_BE, NULL },
        { "ppc64le", "ppc64le", "ppcle", ELF64LE "\\x02\\x00\\x15\\x00", ID_MASK TM_MASK_LE,
          "QEMU's mask ends in \\x00, ignoring the high byte of e_machine: any 64-bit LE machine "
          "0xNN15 matched. We compare e_machine exactly (EM_PPC64 = 21)." },
        /* m68k: QEMU also frees the low bit of EI_VERSION. */
        { "m68k", "m68k", "m68k", ELF32BE "\\x00\\x02\\x00\\x04",
          "\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff" TM_MASK_BE, NULL },
        /* mips o32 and n32 are both ELFCLASS32: e_flags (offset 36) EF_MIPS_ABI2 (0x20) tells them
         * apart, and e_version (offset 20) must be 1. EI_ABIVERSION is free (glibc sets it). */
        { "mips", "mips", "mips",
          ELF32BE "\\x00\\x02\\x00\\x08\\x00\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
                  "\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00",
          "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff" TM_MASK_BE
          "\\xff\\xff\\xff\\xff\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x20",
          NULL },
        { "mipsel", "mipsel", "mips",
          ELF32LE "\\x02\\x00\\x08\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
                  "\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00",
          "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff" TM_MASK_LE
          "\\xff\\xff\\xff\\xff\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x20\\x00\\x00\\x00",
          NULL },
        { "mipsn32", "mipsn32", "mips",
          ELF32BE "\\x00\\x02\\x00\\x08\\x00\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
                  "\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x20",
          "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff" TM_MASK_BE
          "\\xff\\xff\\xff\\xff\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x20",
          NULL },
        { "mipsn32el", "mipsn32el", "mips",
          ELF32LE "\\x02\\x00\\x08\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
                  "\\x00\\x00\\x00\\x00\\x20\\x00\\x00\\x00",
          "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff" TM_MASK_LE
          "\\xff\\xff\\xff\\xff\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x20\\x00\\x00\\x00",
          NULL },
        { "mips64", "mips64", "mips", ELF64BE "\\x00\\x02\\x00\\x08",
          "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff" TM_MASK_BE, NULL },
        { "mips64el", "mips64el", "mips", ELF64LE "\\x02\\x00\\x08\\x00",
          "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff" TM_MASK_LE, NULL },
        { "sh4", "sh4", "sh4", ELF32LE "\\x02\\x00\\x2a\\x00", ID_MASK TM_MASK_LE, NULL },
        { "sh4eb", "sh4eb", "sh4", ELF32BE "\\x00\\x02\\x00\\x2a", ID_MASK TM_MASK_BE, NULL },
        { "s390x", "s390x", "s390x", ELF64BE "\\x00\\x02\\x00\\x16", ID_MASK TM_MASK_BE, NULL },
        { "aarch64", "aarch64", "arm", ELF64LE "\\x02\\x00\\xb7\\x00", ID_MASK TM_MASK_LE, NULL },
        { "aarch64_be", "aarch64_be", "armeb", ELF64BE "\\x00\\x02\\x00\\xb7", ID_MASK TM_MASK_BE, NULL },
        { "hppa", "hppa", "hppa", ELF32BE "\\x00\\x02\\x00\\x0f", ID_MASK TM_MASK_BE, NULL },
        { "riscv32", "riscv32", "riscv", ELF32LE "\\x02\\x00\\xf3\\x00", ID_MASK TM_MASK_LE, NULL },
        { "riscv64", "riscv64", "riscv", ELF64LE "\\x02\\x00\\xf3\\x00", ID_MASK TM_MASK_LE, NULL },
        { "xtensa", "xtensa", "xtensa", ELF32LE "\\x02\\x00\\x5e\\x00", ID_MASK TM_MASK_LE, NULL },
        { "xtensaeb", "xtensaeb", "xtensaeb", ELF32BE "\\x00\\x02\\x00\\x5e", ID_MASK TM_MASK_BE, NULL },
        { "microblaze", "microblaze", "microblaze", ELF32BE "\\x00\\x02\\x00\\xbd", ID_MASK TM_MASK_BE,
          "QEMU writes e_type of this big-endian row in little-endian order (\\x02\\x00, mask \\xfe\\xff), "
          "so it never matches a real ET_EXEC or ET_DYN file; and it expects EM_MICROBLAZE_OLD (0xbaab) "
          "while binutils writes EM_MICROBLAZE (189). We use big-endian e_type and e_machine 189." },
        { "microblazeel", "microblazeel", "microblazeel", ELF32LE "\\x02\\x00\\xbd\\x00", ID_MASK TM_MASK_LE,
          "QEMU expects EM_MICROBLAZE_OLD (0xbaab); binutils writes EM_MICROBLAZE (189), which we use "
          "(qemu-microblazeel accepts both)." },
        { "or1k", "or1k", "or1k", ELF32BE "\\x00\\x02\\x00\\x5c", ID_MASK TM_MASK_BE, NULL },
        { "x86_64", "x86_64", "i386", ELF64LE "\\x02\\x00\\x3e\\x00", ID_MASK_X86 TM_MASK_LE, NULL },
        { "hexagon", "hexagon", "hexagon", ELF32LE "\\x02\\x00\\xa4\\x00", ID_MASK TM_MASK_LE, NULL },
        /* loongarch64: EI_OSABI 0..3, EI_ABIVERSION free. */
        { "loongarch64", "loongarch64", "loongarch", ELF64LE "\\x02\\x00\\x02\\x01",
          "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfc\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff" TM_MASK_LE, NULL },
};
const size_t binfmt_target_table_size = ELEMENTSOF(binfmt_target_table);

/* qemu-binfmt-conf.sh's qemu_normalize(): uname -m and distribution names to a QEMU target. */
static const struct {
        const char *pattern, *target;
} machine_aliases[] = {
        { "i[3-6]86",    "i386" },
        { "amd64",       "x86_64" },
        { "powerpc",     "ppc" },
        { "ppc64el",     "ppc64le" },
        { "armel",       "arm" },
        { "armhf",       "arm" },
        { "armv[4-9]*l", "arm" },
        { "armv[4-9]*b", "armeb" },
        { "arm64",       "aarch64" },
};

static const char *normalize_machine(const char *machine) {
        for (size_t i = 0; i < ELEMENTSOF(machine_aliases); i++)
                if (fnmatch(machine_aliases[i].pattern, machine, 0) == 0)
                        return machine_aliases[i].target;
        return machine;
}

const BinfmtTarget *binfmt_target_lookup(const char *name) {
        if (strneq(name, "qemu-", 5))
                name += 5;
        for (size_t i = 0; i < binfmt_target_table_size; i++)
                if (streq(binfmt_target_table[i].name, name))
                        return &binfmt_target_table[i];
        return NULL;
}

int binfmt_target_to_entry(const BinfmtTarget *t, const char *interpreter, BinfmtFlags flags,
                           BinfmtEntry *ret) {
        BinfmtEntry e = { .type = BINFMT_TYPE_MAGIC, .enabled = true, .has_mask = true, .flags = flags };
        int n, m;

        if (snprintf(e.name, sizeof(e.name), "qemu-%s", t->name) >= (int) sizeof(e.name) ||
            strlen(interpreter) >= sizeof(e.interpreter))
                return -EINVAL;
        strcpy(e.interpreter, interpreter);

        n = binfmt_unescape(t->magic, strlen(t->magic), e.magic, sizeof(e.magic));
        m = binfmt_unescape(t->mask, strlen(t->mask), e.mask, sizeof(e.mask));
        if (n <= 0 || m != n)
                return -EINVAL;
        e.size = (size_t) n;
        if (binfmt_entry_validate(&e) < 0)
                return -EINVAL;

        *ret = e;
        return 0;
}

size_t binfmt_targets_for_platform(const Platform *p, const BinfmtTarget **ret, size_t max) {
        const PlatformInfo *info = platform_info_lookup(p);
        size_t n = 0;

        if (!info || !info->qemu_target)
                return 0;
        for (size_t i = 0; i < binfmt_target_table_size && n < max; i++)
                if (streq(binfmt_target_table[i].emulator, info->qemu_target))
                        ret[n++] = &binfmt_target_table[i];
        return n;
}

const char *binfmt_family_of(const char *machine) {
        const BinfmtTarget *t = binfmt_target_lookup(normalize_machine(machine));

        return t ? t->family : NULL;
}

bool binfmt_target_is_native(const BinfmtTarget *t, const char *host_machine, bool allow_family) {
        const char *host = normalize_machine(host_machine), *family = binfmt_family_of(host_machine);

        if (streq(t->name, host) || streq(t->emulator, host))
                return true;
        return !allow_family && family && streq(family, t->family);
}
