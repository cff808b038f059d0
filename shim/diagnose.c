/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The one-line explanations the shim prints before exiting 126/127. Only reached on failure paths,
 * but still allocation-free: lines are built in the caller's buffer. */

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "platform.h"
#include "shim.h"

#ifndef EM_LOONGARCH
#define EM_LOONGARCH 258
#endif

#define L64 ELFCLASS64, ELFDATA2LSB
#define L32 ELFCLASS32, ELFDATA2LSB
#define B64 ELFCLASS64, ELFDATA2MSB
#define B32 ELFCLASS32, ELFDATA2MSB

/* ELF loader paths (PT_INTERP) per machine and libc.
 * glibc: sysdeps/unix/sysv/linux/<arch>/ldconfig.h and shlib-versions ("ld=" lines), as installed by
 *        Debian (multiarch symlinks at these exact paths).
 * musl:  Makefile/ldso: /lib/ld-musl-$(ARCH)$(SUBARCH).so.1, with the arch names of arch/<arch> and
 *        the float-ABI suffix "hf" for hard-float arm. */
static const ShimLoader loaders[] = {
        { EM_AARCH64,   L64, "glibc", NULL,                 "/lib/ld-linux-aarch64.so.1" },
        { EM_AARCH64,   L64, "musl",  NULL,                 "/lib/ld-musl-aarch64.so.1" },
        { EM_ARM,       L32, "glibc", "hard-float (armhf)", "/lib/ld-linux-armhf.so.3" },
        { EM_ARM,       L32, "glibc", "soft-float (armel)", "/lib/ld-linux.so.3" },
        { EM_ARM,       L32, "musl",  "hard-float (armhf)", "/lib/ld-musl-armhf.so.1" },
        { EM_ARM,       L32, "musl",  "soft-float (armel)", "/lib/ld-musl-arm.so.1" },
        { EM_X86_64,    L64, "glibc", NULL,                 "/lib64/ld-linux-x86-64.so.2" },
        { EM_X86_64,    L64, "musl",  NULL,                 "/lib/ld-musl-x86_64.so.1" },
        { EM_386,       L32, "glibc", NULL,                 "/lib/ld-linux.so.2" },
        { EM_386,       L32, "musl",  NULL,                 "/lib/ld-musl-i386.so.1" },
        { EM_RISCV,     L64, "glibc", NULL,                 "/lib/ld-linux-riscv64-lp64d.so.1" },
        { EM_RISCV,     L64, "musl",  NULL,                 "/lib/ld-musl-riscv64.so.1" },
        { EM_PPC64,     L64, "glibc", NULL,                 "/lib64/ld64.so.2" },
        { EM_PPC64,     L64, "musl",  NULL,                 "/lib/ld-musl-powerpc64le.so.1" },
        { EM_PPC64,     B64, "glibc", NULL,                 "/lib64/ld64.so.1" },
        { EM_S390,      B64, "glibc", NULL,                 "/lib/ld64.so.1" },
        { EM_S390,      B64, "musl",  NULL,                 "/lib/ld-musl-s390x.so.1" },
        { EM_MIPS,      L64, "glibc", "n64",                "/lib64/ld.so.1" },
        { EM_MIPS,      L64, "musl",  "n64",                "/lib/ld-musl-mips64el.so.1" },
        { EM_MIPS,      L32, "glibc", "n32",                "/lib32/ld.so.1" },
        { EM_MIPS,      L32, "glibc", "o32",                "/lib/ld.so.1" },
        { EM_MIPS,      L32, "musl",  "o32",                "/lib/ld-musl-mipsel.so.1" },
        { EM_LOONGARCH, L64, "glibc", NULL,                 "/lib64/ld-linux-loongarch-lp64d.so.1" },
        { EM_LOONGARCH, L64, "musl",  NULL,                 "/lib/ld-musl-loongarch64.so.1" },
};

const ShimLoader *shim_loader_lookup(const char *interp) {
        for (size_t i = 0; i < ELEMENTSOF(loaders); i++)
                if (streq(loaders[i].path, interp))
                        return &loaders[i];
        return NULL;
}

static bool same_machine(const ShimLoader *l, const ElfId *id) {
        return l->machine == id->machine && l->elf_class == id->elf_class && l->elf_data == id->data;
}

/* A loader of the same machine that does exist in this root, preferring another libc over another ABI
 * (the likelier mistake: an Alpine binary in a Debian image). */
static const ShimLoader *loader_present(const ElfId *id, const ShimLoader *want, bool (*exists)(const char *)) {
        const ShimLoader *found = NULL;

        for (size_t i = 0; i < ELEMENTSOF(loaders); i++) {
                const ShimLoader *l = &loaders[i];
                if (l == want || !same_machine(l, id) || !exists(l->path))
                        continue;
                if (!found || (want && !streq(l->libc, want->libc) && streq(found->libc, want->libc)))
                        found = l;
        }
        return found;
}

void shim_loader_explain(const char *name, const ElfId *id, const char *platform, bool (*exists)(const char *),
                         char *buf, size_t size) {
        const ShimLoader *want = shim_loader_lookup(id->interp), *have = loader_present(id, want, exists);
        const char *libc = want ? want->libc : "dynamically linked";

        if (want && have && !streq(want->libc, have->libc))
                snprintf(buf, size, "%s is a %s binary for %s and needs %s, but this root has %s (%s), not %s",
                         name, want->libc, platform, id->interp, have->libc, have->path, want->libc);
        else if (want && have && want->abi && have->abi)
                snprintf(buf, size, "%s is a %s %s binary for %s and needs %s, but this root is %s (%s)",
                         name, libc, want->abi, platform, id->interp, have->abi, have->path);
        else if (have)
                snprintf(buf, size, "%s is a %s binary for %s and needs %s, which this root lacks (it has %s)",
                         name, libc, platform, id->interp, have->path);
        else
                snprintf(buf, size, "%s is a %s binary for %s and needs %s, which this root lacks "
                         "(no %s libc here at all: wrong image, or a missing libc package?)",
                         name, libc, platform, id->interp, platform);
}

static const char *machine_name(uint16_t machine) {
        for (unsigned i = 0; i < platform_table_size; i++)
                if (platform_table[i].elf_machine == machine)
                        return platform_table[i].qemu_target;
        return NULL;
}

void shim_unknown_explain(const char *name, const ElfId *id, char *buf, size_t size) {
        const char *m = machine_name(id->machine);
        const char *order = id->data == ELFDATA2MSB ? "big-endian" : "little-endian";
        int bits = id->elf_class == ELFCLASS64 ? 64 : 32;

        if (id->x32)
                snprintf(buf, size, "%s is an x32 (ILP32 x86-64) binary; QEMU has no x32 target", name);
        else if (!m)
                snprintf(buf, size, "%s is a %d-bit %s ELF for machine %u, which no emulator here runs",
                         name, bits, order, id->machine);
        else if (id->machine == EM_MIPS)
                snprintf(buf, size, "%s is a %d-bit %s MIPS binary of ABI %s, which no emulator here runs "
                         "(o32 is 32-bit, n32 32-bit with MIPS64 code, n64 64-bit)",
                         name, bits, order, elf_mips_abi_to_string(id->mips_abi) ?: "unknown");
        else
                snprintf(buf, size, "%s is a %d-bit %s %s binary: wrong byte order or class for any "
                         "emulator here (%s is %s)", name, bits, order, m, m,
                         id->data == ELFDATA2MSB ? "little-endian" : "big-endian");
}

static uint64_t rd(const uint8_t *p, size_t n, bool msb) {
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++)
                v |= (uint64_t) p[msb ? n - 1 - i : i] << (8 * i);
        return v;
}

uint64_t shim_elf_file_extent(const void *buf, size_t size) {
        const uint8_t *b = buf;
        bool is64, msb;
        uint64_t phoff, end;
        size_t phent, phnum;

        if (size < EI_NIDENT)
                return 0;
        is64 = b[EI_CLASS] == ELFCLASS64;
        msb = b[EI_DATA] == ELFDATA2MSB;
        if (size < (is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
                return 0;
        phoff = is64 ? rd(b + offsetof(Elf64_Ehdr, e_phoff), 8, msb) : rd(b + offsetof(Elf32_Ehdr, e_phoff), 4, msb);
        phent = rd(b + (is64 ? offsetof(Elf64_Ehdr, e_phentsize) : offsetof(Elf32_Ehdr, e_phentsize)), 2, msb);
        phnum = rd(b + (is64 ? offsetof(Elf64_Ehdr, e_phnum) : offsetof(Elf32_Ehdr, e_phnum)), 2, msb);
        end = phoff + (uint64_t) phent * phnum;
        for (size_t i = 0; i < phnum; i++) {
                const uint8_t *ph = b + phoff + i * phent;
                uint64_t off, filesz;
                if (phoff + (i + 1) * (uint64_t) phent > size)
                        break; /* elf_id_from_buffer() checked the table; be safe anyway */
                if (rd(ph, 4, msb) != PT_LOAD && rd(ph, 4, msb) != PT_INTERP)
                        continue;
                if (is64) {
                        off = rd(ph + offsetof(Elf64_Phdr, p_offset), 8, msb);
                        filesz = rd(ph + offsetof(Elf64_Phdr, p_filesz), 8, msb);
                } else {
                        off = rd(ph + offsetof(Elf32_Phdr, p_offset), 4, msb);
                        filesz = rd(ph + offsetof(Elf32_Phdr, p_filesz), 4, msb);
                }
                if (off + filesz > end && off + filesz >= off)
                        end = off + filesz;
        }
        return end;
}
