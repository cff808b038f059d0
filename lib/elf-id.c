/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The pure half of elf-id.h: <elf.h> and libc only, no allocation, so the static shim can link this
 * file alone (built with -DELF_ID_NO_SECTIONS, see elf-id.h). No host struct is ever cast over file
 * bytes: each field is read at the offset the <elf.h> struct gives it, in the file's byte order, after
 * a bounds check, so neither alignment nor the host's endianness matters. */

#include <elf.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf-id.h"
#include "macro.h"

/* How much of one PT_NOTE or PT_DYNAMIC segment we look at, so that a file claiming a huge one costs
 * nothing. The build-id note comes within the first few notes, and a dynamic section rarely has more
 * than a hundred entries; past the cap a segment is treated like a buffer that ends there. Buffers and
 * fds use the same cap so both paths give the same answer for the same bytes. */
#define ELF_NOTE_READ_MAX 4096
#define ELF_DYNAMIC_READ_MAX 4096

/* Elf32_Nhdr and Elf64_Nhdr are both three 32-bit words (gABI, "Note Section"). */
#define ELF_NOTE_HEADER_SIZE 12

/* Where the fields we read sit in each class. The <elf.h> structs mirror the on-disk layout exactly
 * (gABI, "ELF Header", "Program Header", "Dynamic Section"), so offsetof() gives file offsets. Every
 * field read with word_size (addresses, offsets, sizes, d_tag/d_val) is 4 bytes in ELFCLASS32 and 8
 * in ELFCLASS64. */
typedef struct ElfLayout {
        size_t ehdr_size, phdr_size, dyn_size, word_size;
        size_t e_type, e_machine, e_entry, e_phoff, e_flags, e_phentsize, e_phnum;
        size_t p_type, p_offset, p_filesz, p_align;
        size_t d_tag, d_val;
} ElfLayout;

#define ELF_LAYOUT(bits)                                                \
        {                                                               \
                .ehdr_size = sizeof(Elf##bits##_Ehdr),                  \
                .phdr_size = sizeof(Elf##bits##_Phdr),                  \
                .dyn_size = sizeof(Elf##bits##_Dyn),                    \
                .word_size = sizeof(Elf##bits##_Addr),                  \
                .e_type = offsetof(Elf##bits##_Ehdr, e_type),           \
                .e_machine = offsetof(Elf##bits##_Ehdr, e_machine),     \
                .e_entry = offsetof(Elf##bits##_Ehdr, e_entry),         \
                .e_phoff = offsetof(Elf##bits##_Ehdr, e_phoff),         \
                .e_flags = offsetof(Elf##bits##_Ehdr, e_flags),         \
                .e_phentsize = offsetof(Elf##bits##_Ehdr, e_phentsize), \
                .e_phnum = offsetof(Elf##bits##_Ehdr, e_phnum),         \
                .p_type = offsetof(Elf##bits##_Phdr, p_type),           \
                .p_offset = offsetof(Elf##bits##_Phdr, p_offset),       \
                .p_filesz = offsetof(Elf##bits##_Phdr, p_filesz),       \
                .p_align = offsetof(Elf##bits##_Phdr, p_align),         \
                .d_tag = offsetof(Elf##bits##_Dyn, d_tag),              \
                .d_val = offsetof(Elf##bits##_Dyn, d_un.d_val),         \
        }

static const ElfLayout elf_layouts[] = {
        [ELFCLASS32] = ELF_LAYOUT(32),
        [ELFCLASS64] = ELF_LAYOUT(64),
};

/* The header fields we use, in host order. */
typedef struct ElfHeader {
        const ElfLayout *layout;
        uint8_t elf_class, data, osabi;
        uint16_t type, machine, phentsize, phnum;
        uint32_t flags;
        uint64_t entry, phoff;
} ElfHeader;

typedef struct ElfPhdr {
        uint32_t type;
        uint64_t offset, filesz, align;
} ElfPhdr;

/* What PT_DYNAMIC tells the kind heuristic. */
typedef struct ElfDynamic {
        bool pie;    /* DF_1_PIE in DT_FLAGS_1 */
        bool soname; /* DT_SONAME present */
} ElfDynamic;

/* Where segment contents come from: a caller's buffer, which may be a prefix of the file, or an fd,
 * which is the whole file. */
typedef struct ElfSource {
        const uint8_t *buf; /* NULL: pread from fd */
        int fd;
        uint64_t size; /* bytes in buf, or the file size */
} ElfSource;

static uint64_t min_u64(uint64_t a, uint64_t b) {
        return a < b ? a : b;
}

static uint64_t align_up(uint64_t v, uint64_t a) {
        return (v + a - 1) & ~(a - 1);
}

/* An n-byte unsigned integer in the file's byte order, most significant byte first into v. */
static uint64_t elf_read_uint(const uint8_t *p, size_t n, uint8_t data) {
        uint64_t v = 0;

        for (size_t i = 0; i < n; i++)
                v = v << 8 | p[data == ELFDATA2LSB ? n - 1 - i : i];
        return v;
}

static uint16_t elf_u16(const uint8_t *p, uint8_t data) {
        return (uint16_t) elf_read_uint(p, 2, data);
}

static uint32_t elf_u32(const uint8_t *p, uint8_t data) {
        return (uint32_t) elf_read_uint(p, 4, data);
}

static uint64_t elf_word(const uint8_t *p, const ElfHeader *h) {
        return elf_read_uint(p, h->layout->word_size, h->data);
}

/* e_ident: the magic, then the class and byte order that every later read depends on. */
static int elf_ident_parse(const uint8_t *buf, size_t size, ElfHeader *h) {
        if (size < SELFMAG || memcmp(buf, ELFMAG, SELFMAG) != 0)
                return -ENOEXEC;
        if (size < EI_NIDENT)
                return -EBADMSG;
        if (buf[EI_CLASS] != ELFCLASS32 && buf[EI_CLASS] != ELFCLASS64)
                return -EBADMSG;
        if (buf[EI_DATA] != ELFDATA2LSB && buf[EI_DATA] != ELFDATA2MSB)
                return -EBADMSG;

        h->elf_class = buf[EI_CLASS];
        h->data = buf[EI_DATA];
        h->osabi = buf[EI_OSABI];
        h->layout = &elf_layouts[h->elf_class];
        return 0;
}

/* The program header table as the kernel's elf_read_phdrs() accepts it: entries of exactly the
 * class's Phdr size, a sane count, all of it inside the file. PN_XNUM would move the real count to
 * section 0's sh_info, but it is only used for counts >= 0xffff, far past ELF_PHNUM_MAX, so reading
 * section 0 could only end in the same refusal. No table (ET_REL) needs no checks. */
static int elf_phdr_table_check(const ElfHeader *h, uint64_t file_size) {
        uint64_t table_size;

        if (h->phnum == 0)
                return 0;
        if (h->phnum == PN_XNUM || h->phnum > ELF_PHNUM_MAX)
                return -EBADMSG;
        if (h->phentsize != h->layout->phdr_size)
                return -EBADMSG;

        table_size = (uint64_t) h->phnum * h->phentsize;
        if (h->phoff > file_size || table_size > file_size - h->phoff)
                return -EBADMSG;
        return 0;
}

/* Parse the header in buf[0..size); file_size bounds the program header table, which for an fd lies
 * outside the bytes read so far. */
static int elf_header_parse(const uint8_t *buf, size_t size, uint64_t file_size, ElfHeader *ret) {
        ElfHeader h = {};
        const ElfLayout *l;
        int r;

        r = elf_ident_parse(buf, size, &h);
        if (r < 0)
                return r;
        l = h.layout;
        if (size < l->ehdr_size)
                return -EBADMSG;

        h.type = elf_u16(buf + l->e_type, h.data);
        h.machine = elf_u16(buf + l->e_machine, h.data);
        h.flags = elf_u32(buf + l->e_flags, h.data);
        h.entry = elf_word(buf + l->e_entry, &h);
        h.phoff = elf_word(buf + l->e_phoff, &h);
        h.phentsize = elf_u16(buf + l->e_phentsize, h.data);
        h.phnum = elf_u16(buf + l->e_phnum, h.data);

        r = elf_phdr_table_check(&h, file_size);
        if (r < 0)
                return r;
        *ret = h;
        return 0;
}

/* Entry i of a table that elf_phdr_table_check() accepted. */
static ElfPhdr elf_phdr_read(const uint8_t *table, size_t i, const ElfHeader *h) {
        const ElfLayout *l = h->layout;
        const uint8_t *p = table + i * l->phdr_size;

        return (ElfPhdr) {
                .type = elf_u32(p + l->p_type, h->data),
                .offset = elf_word(p + l->p_offset, h),
                .filesz = elf_word(p + l->p_filesz, h),
                .align = elf_word(p + l->p_align, h),
        };
}

/* pread exactly size bytes. The caller bounded the range by the fstat size, so running out means the
 * file shrank under us: the bytes we were promised are not there. */
static int pread_full(int fd, void *buf, size_t size, uint64_t offset) {
        uint8_t *p = buf;

        while (size > 0) {
                ssize_t n = pread(fd, p, size, (off_t) offset);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (n == 0)
                        return -EBADMSG;
                p += n;
                size -= (size_t) n;
                offset += (uint64_t) n;
        }
        return 0;
}

/* Make the start of [offset, offset + size) available, at most max bytes of it: a pointer into the
 * buffer, or a pread into scratch (max bytes). *ret_size < size says the segment runs past the end of
 * the source or past max; the caller decides whether that is an error. */
static int elf_source_view(const ElfSource *s, uint64_t offset, uint64_t size, uint8_t *scratch, size_t max,
                           const uint8_t **ret, size_t *ret_size) {
        size_t n;
        int r;

        if (offset >= s->size) {
                *ret = NULL;
                *ret_size = 0;
                return 0;
        }

        n = (size_t) min_u64(min_u64(size, s->size - offset), max);
        if (s->buf)
                *ret = s->buf + offset;
        else {
                r = pread_full(s->fd, scratch, n, offset);
                if (r < 0)
                        return r;
                *ret = scratch;
        }
        *ret_size = n;
        return 0;
}

/* PT_INTERP as the kernel's load_elf_binary() takes it: 2..PATH_MAX bytes, the last one NUL; the path
 * is what precedes the first NUL. A buffer may be a prefix that cuts it off (interp stays ""); a file
 * may not: the kernel's read would fail too. */
static int elf_interp_read(const ElfSource *s, const ElfPhdr *ph, char interp[static ELF_INTERP_MAX]) {
        const uint8_t *p;
        size_t n;
        int r;

        if (ph->filesz < 2 || ph->filesz > ELF_INTERP_MAX)
                return -EBADMSG;
        if (ph->offset > UINT64_MAX - ph->filesz)
                return -EBADMSG;

        r = elf_source_view(s, ph->offset, ph->filesz, (uint8_t *) interp, ELF_INTERP_MAX, &p, &n);
        if (r < 0)
                return r;
        if (n < ph->filesz)
                return s->buf ? 0 : -EBADMSG;
        if (p[n - 1] != '\0')
                return -EBADMSG;

        if (p != (const uint8_t *) interp)
                memcpy(interp, p, n);
        return 0;
}

/* Walk the notes in p[0..size) for the first NT_GNU_BUILD_ID owned by "GNU". Name and descriptor are
 * padded to align, counted from the segment start as elfutils' gelf_getnote() does. A note that does
 * not fit ends the walk: cut off (prefix, read cap) or malformed, neither is worth refusing a file the
 * kernel, which never reads notes, would run. Returns the build-id size, 0 when none was found. A
 * build-id longer than ELF_BUILD_ID_MAX is passed over rather than truncated. */
static size_t elf_notes_find_build_id(const uint8_t *p, size_t size, uint8_t data, uint64_t align,
                                      uint8_t ret[static ELF_BUILD_ID_MAX]) {
        for (uint64_t off = 0; off + ELF_NOTE_HEADER_SIZE <= size;) {
                uint32_t namesz = elf_u32(p + off, data);
                uint32_t descsz = elf_u32(p + off + 4, data);
                uint32_t type = elf_u32(p + off + 8, data);
                uint64_t name = off + ELF_NOTE_HEADER_SIZE;
                uint64_t desc = align_up(name + namesz, align);

                if (desc > size || descsz > size - desc)
                        break;

                if (type == NT_GNU_BUILD_ID && namesz == sizeof(ELF_NOTE_GNU) &&
                    memcmp(p + name, ELF_NOTE_GNU, sizeof(ELF_NOTE_GNU)) == 0 &&
                    descsz > 0 && descsz <= ELF_BUILD_ID_MAX) {
                        memcpy(ret, p + desc, descsz);
                        return descsz;
                }
                off = align_up(desc + descsz, align);
        }
        return 0;
}

static int elf_build_id_read(const ElfSource *s, const ElfPhdr *ph, const ElfHeader *h, ElfId *id) {
        uint8_t scratch[ELF_NOTE_READ_MAX];
        /* 8-byte aligned notes exist (.note.gnu.property in 64-bit files); everything else is 4. */
        uint64_t align = ph->align == 8 ? 8 : 4;
        const uint8_t *p;
        size_t n;
        int r;

        r = elf_source_view(s, ph->offset, ph->filesz, scratch, sizeof(scratch), &p, &n);
        if (r < 0)
                return r;
        id->build_id_size = elf_notes_find_build_id(p, n, h->data, align, id->build_id);
        return 0;
}

/* Scan the dynamic entries in p[0..size) up to DT_NULL. */
static void elf_dynamic_scan(const uint8_t *p, size_t size, const ElfHeader *h, ElfDynamic *dyn) {
        const ElfLayout *l = h->layout;

        for (size_t off = 0; off + l->dyn_size <= size; off += l->dyn_size) {
                uint64_t tag = elf_word(p + off + l->d_tag, h);
                uint64_t val = elf_word(p + off + l->d_val, h);

                if (tag == DT_NULL)
                        break;
                if (tag == DT_SONAME)
                        dyn->soname = true;
                if (tag == DT_FLAGS_1 && (val & DF_1_PIE))
                        dyn->pie = true;
        }
}

/* Like notes, PT_DYNAMIC only informs a heuristic: what is missing or cut off is simply not seen. */
static int elf_dynamic_read(const ElfSource *s, const ElfPhdr *ph, const ElfHeader *h, ElfDynamic *dyn) {
        uint8_t scratch[ELF_DYNAMIC_READ_MAX];
        const uint8_t *p;
        size_t n;
        int r;

        r = elf_source_view(s, ph->offset, ph->filesz, scratch, sizeof(scratch), &p, &n);
        if (r < 0)
                return r;
        elf_dynamic_scan(p, n, h, dyn);
        return 0;
}

static int elf_segment_read(const ElfSource *s, const ElfHeader *h, const ElfPhdr *ph, ElfId *id,
                            ElfDynamic *dyn) {
        switch (ph->type) {
        case PT_INTERP:
                /* The kernel uses the first PT_INTERP and ignores the rest. */
                if (id->dynamic)
                        return 0;
                id->dynamic = true;
                return elf_interp_read(s, ph, id->interp);
        case PT_NOTE:
                if (id->build_id_size > 0)
                        return 0;
                return elf_build_id_read(s, ph, h, id);
        case PT_DYNAMIC:
                return elf_dynamic_read(s, ph, h, dyn);
        default:
                return 0;
        }
}

/* ET_DYN without PT_INTERP is either a static-pie or a library. DF_1_PIE says so outright (binutils
 * >= 2.33, lld); older linkers and some libcs write neither it nor a SONAME, and then the entry point
 * decides: ld leaves e_entry 0 for -shared unless told otherwise, a program must have one. musl's
 * loader (executable, no SONAME) thus counts as static-pie, which is how the kernel runs it. */
static ElfKind elf_kind_classify(const ElfHeader *h, bool interp, const ElfDynamic *dyn) {
        switch (h->type) {
        case ET_EXEC:
                return ELF_KIND_EXEC;
        case ET_REL:
                return ELF_KIND_RELOCATABLE;
        case ET_CORE:
                return ELF_KIND_CORE;
        case ET_DYN:
                break;
        default:
                return ELF_KIND_OTHER;
        }

        if (interp)
                return ELF_KIND_PIE;
        if (dyn->pie)
                return ELF_KIND_STATIC_PIE;
        if (dyn->soname)
                return ELF_KIND_SHARED;
        return h->entry != 0 ? ELF_KIND_STATIC_PIE : ELF_KIND_SHARED;
}

/* The float ABI bits of e_flags are defined by EABI version 5 only (ARM IHI 0044, AAELF, "e_flags");
 * before it the same bits meant other things (EF_ARM_SOFT_FLOAT, EF_ARM_VFP_FLOAT). Both bits at once
 * is a contradiction, not a choice. */
static ElfFloatAbi elf_arm_float_abi(uint32_t flags) {
        if (EF_ARM_EABI_VERSION(flags) != EF_ARM_EABI_VER5)
                return ELF_FLOAT_ABI_UNKNOWN;

        switch (flags & (EF_ARM_ABI_FLOAT_HARD | EF_ARM_ABI_FLOAT_SOFT)) {
        case EF_ARM_ABI_FLOAT_HARD:
                return ELF_FLOAT_ABI_HARD;
        case EF_ARM_ABI_FLOAT_SOFT:
                return ELF_FLOAT_ABI_SOFT;
        default:
                return ELF_FLOAT_ABI_UNKNOWN;
        }
}

/* n64 is the only 64-bit MIPS ABI Linux runs; in ELFCLASS32, EF_MIPS_ABI2 marks n32 (64-bit registers,
 * 32-bit pointers) and its absence o32. */
static ElfMipsAbi elf_mips_abi(uint8_t elf_class, uint32_t flags) {
        if (elf_class == ELFCLASS64)
                return ELF_MIPS_ABI_N64;
        return flags & EF_MIPS_ABI2 ? ELF_MIPS_ABI_N32 : ELF_MIPS_ABI_O32;
}

static void elf_id_set_abi(ElfId *id) {
        switch (id->machine) {
        case EM_ARM:
                id->float_abi = elf_arm_float_abi(id->flags);
                break;
        case EM_MIPS:
                id->mips_abi = elf_mips_abi(id->elf_class, id->flags);
                break;
        case EM_X86_64:
                id->x32 = id->elf_class == ELFCLASS32;
                break;
        }
}

/* Fill id from a parsed header and its program header table; segment contents come from s. */
static int elf_id_build(const ElfSource *s, const ElfHeader *h, const uint8_t *phdrs, ElfId *id) {
        ElfDynamic dyn = {};
        int r;

        *id = (ElfId) {
                .elf_class = h->elf_class,
                .data = h->data,
                .osabi = h->osabi,
                .type = h->type,
                .machine = h->machine,
                .flags = h->flags,
        };

        for (size_t i = 0; i < h->phnum; i++) {
                ElfPhdr ph = elf_phdr_read(phdrs, i, h);

                r = elf_segment_read(s, h, &ph, id, &dyn);
                if (r < 0)
                        return r;
        }

        id->kind = elf_kind_classify(h, id->dynamic, &dyn);
        elf_id_set_abi(id);
        return 0;
}

#ifdef ELF_ID_NO_SECTIONS
/* Built without libelf: say so rather than pretend there were no sections. */
static int elf_id_sections(_unused_ int fd, _unused_ ElfId *id) {
        return -EOPNOTSUPP;
}
#else
static int elf_id_sections(int fd, ElfId *id) {
        return elf_id_read_sections(fd, id);
}
#endif

int elf_id_from_buffer(const void *buf, size_t size, ElfId *ret) {
        const ElfSource s = { .buf = buf, .fd = -EBADF, .size = size };
        ElfHeader h;
        ElfId id;
        int r;

        r = elf_header_parse(buf, size, size, &h);
        if (r < 0)
                return r;

        /* Without a table phoff may point anywhere; do not even form that pointer. */
        r = elf_id_build(&s, &h, h.phnum > 0 ? s.buf + h.phoff : NULL, &id);
        if (r < 0)
                return r;

        *ret = id;
        return 0;
}

int elf_id_from_fd(int fd, ElfIdFlags flags, ElfId *ret) {
        uint8_t ehdr[sizeof(Elf64_Ehdr)], phdrs[ELF_PHNUM_MAX * sizeof(Elf64_Phdr)];
        ElfSource s = { .fd = fd };
        struct stat st;
        ElfHeader h;
        ElfId id;
        size_t n;
        int r;

        if (flags & ~ELF_ID_SECTIONS)
                return -EINVAL;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        s.size = (uint64_t) st.st_size;

        n = (size_t) min_u64(s.size, sizeof(ehdr));
        r = pread_full(fd, ehdr, n, 0);
        if (r < 0)
                return r;
        r = elf_header_parse(ehdr, n, s.size, &h);
        if (r < 0)
                return r;

        /* elf_phdr_table_check() bounded this by ELF_PHNUM_MAX entries of the class's size. */
        r = pread_full(fd, phdrs, (size_t) h.phnum * h.phentsize, h.phoff);
        if (r < 0)
                return r;
        r = elf_id_build(&s, &h, phdrs, &id);
        if (r < 0)
                return r;

        if (flags & ELF_ID_SECTIONS) {
                r = elf_id_sections(fd, &id);
                if (r < 0)
                        return r;
        }

        *ret = id;
        return 0;
}

static const char *const elf_kind_table[_ELF_KIND_MAX] = {
        [ELF_KIND_EXEC] = "exec",
        [ELF_KIND_PIE] = "pie",
        [ELF_KIND_STATIC_PIE] = "static-pie",
        [ELF_KIND_SHARED] = "shared",
        [ELF_KIND_RELOCATABLE] = "relocatable",
        [ELF_KIND_CORE] = "core",
        [ELF_KIND_OTHER] = "other",
};

static const char *const elf_mips_abi_table[_ELF_MIPS_ABI_MAX] = {
        [ELF_MIPS_ABI_NONE] = "none",
        [ELF_MIPS_ABI_O32] = "o32",
        [ELF_MIPS_ABI_N32] = "n32",
        [ELF_MIPS_ABI_N64] = "n64",
};

static const char *const elf_float_abi_table[_ELF_FLOAT_ABI_MAX] = {
        [ELF_FLOAT_ABI_UNKNOWN] = "unknown",
        [ELF_FLOAT_ABI_SOFT] = "soft",
        [ELF_FLOAT_ABI_HARD] = "hard",
};

const char *elf_kind_to_string(ElfKind k) {
        if (k < 0 || k >= _ELF_KIND_MAX)
                return NULL;
        return elf_kind_table[k];
}

const char *elf_mips_abi_to_string(ElfMipsAbi a) {
        if (a < 0 || a >= _ELF_MIPS_ABI_MAX)
                return NULL;
        return elf_mips_abi_table[a];
}

const char *elf_float_abi_to_string(ElfFloatAbi a) {
        if (a < 0 || a >= _ELF_FLOAT_ABI_MAX)
                return NULL;
        return elf_float_abi_table[a];
}
