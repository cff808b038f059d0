/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Identify an ELF file: what the kernel and a loader need to know to run it, and what a platform
 * check needs to compare. Two layers:
 *
 *   elf_id_from_buffer()  pure, <elf.h> only, no allocation: the header, the program headers and the
 *                         PT_INTERP/PT_NOTE contents that lie inside the buffer. The shim's hot path.
 *   elf_id_from_fd()      bounded preads of exactly the ranges the header names, then the same parse;
 *                         with ELF_ID_SECTIONS also reads sections through libelf (.ARM.attributes).
 *
 * Every offset read from the file is checked against the buffer or file size; the byte order of the
 * file, not of the host, decides. Malformed input yields an error, never an out-of-bounds read. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel refuses PT_INTERP longer than PATH_MAX (fs/binfmt_elf.c); so do we. */
#define ELF_INTERP_MAX 4096
/* GNU build-ids are 20 bytes (sha1) in practice; the note allows more, and a longer one is passed over
 * (build_id_size 0) rather than truncated. */
#define ELF_BUILD_ID_MAX 64
/* Bounds on what a sane file may claim, so "huge counts" cannot make us read megabytes. */
#define ELF_PHNUM_MAX 512

typedef enum ElfKind {
        ELF_KIND_EXEC,       /* ET_EXEC */
        ELF_KIND_PIE,        /* ET_DYN with PT_INTERP */
        ELF_KIND_STATIC_PIE, /* ET_DYN without PT_INTERP: DF_1_PIE, or no SONAME and an entry point */
        ELF_KIND_SHARED,     /* ET_DYN shared object (library) */
        ELF_KIND_RELOCATABLE,/* ET_REL (.o) */
        ELF_KIND_CORE,       /* ET_CORE */
        ELF_KIND_OTHER,
        _ELF_KIND_MAX,
        _ELF_KIND_INVALID = -EINVAL,
} ElfKind;

typedef enum ElfFloatAbi {
        ELF_FLOAT_ABI_UNKNOWN,
        ELF_FLOAT_ABI_SOFT, /* arm: EABI soft-float calling convention (Debian armel) */
        ELF_FLOAT_ABI_HARD, /* arm: VFP registers for arguments (Debian armhf) */
        _ELF_FLOAT_ABI_MAX,
        _ELF_FLOAT_ABI_INVALID = -EINVAL,
} ElfFloatAbi;

typedef enum ElfMipsAbi {
        ELF_MIPS_ABI_NONE, /* not MIPS */
        ELF_MIPS_ABI_O32,
        ELF_MIPS_ABI_N32,
        ELF_MIPS_ABI_N64,
        _ELF_MIPS_ABI_MAX,
        _ELF_MIPS_ABI_INVALID = -EINVAL,
} ElfMipsAbi;

typedef enum ElfIdFlags {
        ELF_ID_SECTIONS = 1 << 0, /* elf_id_from_fd(): also read section data (.ARM.attributes) */
} ElfIdFlags;

typedef struct ElfId {
        uint8_t elf_class; /* ELFCLASS32 or ELFCLASS64 */
        uint8_t data;      /* ELFDATA2LSB or ELFDATA2MSB */
        uint8_t osabi;     /* e_ident[EI_OSABI] */
        uint16_t type;     /* e_type */
        uint16_t machine;  /* e_machine */
        uint32_t flags;    /* e_flags */
        ElfKind kind;

        bool dynamic;               /* has PT_INTERP: needs an ELF loader */
        char interp[ELF_INTERP_MAX]; /* PT_INTERP path, NUL-terminated; "" when static */

        uint8_t build_id[ELF_BUILD_ID_MAX];
        size_t build_id_size; /* 0 when absent or not inside what was read */

        ElfFloatAbi float_abi; /* arm only: from e_flags, refined by .ARM.attributes */
        unsigned arm_arch;     /* arm only: architecture version 4..8 from Tag_CPU_arch; 0 unknown */
        ElfMipsAbi mips_abi;   /* mips only */
        bool x32;              /* x86-64 ILP32 (EM_X86_64 in ELFCLASS32) */
} ElfId;

/* Parse an ELF image held (wholly or as a prefix) in buf. The header and the program header table must
 * lie inside buf; PT_INTERP and the build-id note are filled in when they lie inside too (a prefix
 * that cuts them off leaves interp "" with dynamic still true, and build_id_size 0).
 * PT_INTERP is checked as the kernel checks it (fs/binfmt_elf.c): the first one counts, its size is
 * 2..ELF_INTERP_MAX and its last byte is NUL. PT_NOTE and PT_DYNAMIC are informational (the kernel
 * never reads them): a malformed or cut-off one leaves build_id_size 0 or the kind to the heuristic
 * below, and is not an error.
 * kind for ET_DYN without PT_INTERP: DF_1_PIE in DT_FLAGS_1 -> static-pie; else DT_SONAME -> shared;
 * else (no PT_DYNAMIC, or one without either entry, as older linkers and musl's loader write them)
 * e_entry != 0 -> static-pie, e_entry == 0 -> shared.
 * Returns 0, -ENOEXEC when buf is not ELF (bad magic, or fewer than 4 bytes), -EBADMSG when it is ELF
 * but malformed or truncated (header cut short, table out of bounds, absurd counts, bad class/data,
 * e_phentsize not the class's Phdr size, e_phnum == PN_XNUM, a bad PT_INTERP). ret is written only on
 * success. */
int elf_id_from_buffer(const void *buf, size_t size, ElfId *ret);

/* Identify the ELF file open at fd (offset untouched: pread only). Reads the header, the program
 * header table and the interp/note/dynamic segments they point at, each bounded by the file size and
 * by the limits above; unlike a buffer, the file is whole, so a PT_INTERP past its end is -EBADMSG.
 * With ELF_ID_SECTIONS, also calls elf_id_read_sections().
 * Returns as elf_id_from_buffer(), -EBADFD when fd is not a regular file, -EINVAL for unknown flags,
 * -EOPNOTSUPP for ELF_ID_SECTIONS in a build without libelf (see elf_id_read_sections()), or -errno
 * from I/O. ret is written only on success. */
int elf_id_from_fd(int fd, ElfIdFlags flags, ElfId *ret);

/* Refine an id already filled from fd with section data, through libelf (lib/elf-sections.c): for
 * EM_ARM, .ARM.attributes sets arm_arch and, where e_flags left it unknown, float_abi (e_flags wins
 * because it is what the loader checks). Other machines are left as they are. Returns 0 (also when the
 * file has no such section), -EBADMSG when the section is malformed or libelf cannot read the file;
 * id is changed only on success.
 * A program that must link lib/elf-id.c alone (the static shim, no libelf) compiles it with
 * -DELF_ID_NO_SECTIONS: elf_id_from_fd() then answers -EOPNOTSUPP to ELF_ID_SECTIONS instead of
 * referencing this function. */
int elf_id_read_sections(int fd, ElfId *id);

/* Parse the contents of an ARM build attributes section (ARM IHI 0045, "Build attributes": format
 * 'A', vendor subsections, sub-subsections). Only the "aeabi" vendor's file-scope (Tag_File)
 * attributes are used: Tag_CPU_arch gives the architecture version (4..8, 0 when absent or pre-v4),
 * Tag_ABI_VFP_args gives the float ABI (0 soft, 1 hard, anything else or absent: unknown). data is
 * the file's ELFDATA2LSB/ELFDATA2MSB: the section's length fields are in the file's byte order.
 * Returns 0, -EBADMSG when anything runs past its enclosing length (subsection, sub-subsection, ULEB128,
 * string) or the format is not 'A', -EINVAL for a bad data argument. Outputs only on success. */
int elf_arm_attributes_parse(const void *buf, size_t size, uint8_t data, unsigned *ret_arch, ElfFloatAbi *ret_abi);

/* Called for each file-scope attribute: value for integer tags, str (NUL-terminated, inside the
 * buffer) for string tags, both for ARM's Tag_compatibility. A negative return stops the walk. */
typedef int (*ElfAttrCallback)(uint64_t tag, uint64_t value, const char *str, void *userdata);

/* Walk a build attributes section in the common format ('A', length-prefixed vendor subsections,
 * Tag_File sub-subsections) of ARM (IHI 0045, vendor "aeabi") and RISC-V (riscv-elf-psabi, vendor
 * "riscv"; riscv selects its rule that odd tags are strings). Other vendors' data and section/symbol
 * scopes are skipped. Returns 0, a callback's negative value, -EBADMSG when anything runs past its
 * enclosing length, -EINVAL for a bad data argument. */
int elf_build_attributes_foreach(const void *buf, size_t size, uint8_t data, const char *vendor, bool riscv,
                                 ElfAttrCallback cb, void *userdata);

/* "exec", "pie", "static-pie", "shared", "relocatable", "core", "other"; "none", "o32", "n32", "n64";
 * "unknown", "soft", "hard". NULL for a value outside the enum. */
const char *elf_kind_to_string(ElfKind k);
const char *elf_mips_abi_to_string(ElfMipsAbi a);
const char *elf_float_abi_to_string(ElfFloatAbi a);
