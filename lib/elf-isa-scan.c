/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The code half of elf-isa.h: disassemble the executable segments and tell what is required from
 * what runs only behind a run-time CPU check.
 *
 * How dispatched code is told apart (docs/check-arch.md, "Run-time dispatch"):
 *   1. One linear pass over each executable PT_LOAD records, per instruction, the feature it needs
 *      ("hits"), its direct calls/jumps and address materialisations ("edges"), and guarded ranges:
 *      the code between a forward conditional branch on a CPU-capability value and its target
 *      (elf-isa-insn.c: a test of a static flag or word, cpuid/xgetbv output, getauxval()'s result).
 *   2. Regions: the code is cut at every known function start (symbols of .symtab/.dynsym, call and
 *      address targets, ifunc resolvers, the entry point); a region runs to the next start.
 *   3. Plain regions are the entry point, exported functions, ifunc resolvers (they run at load), and
 *      regions nothing visibly calls (their callers cannot be seen: data tables, PLT, ...); and,
 *      repeatedly, every region an unguarded edge of a plain region reaches. An address materialised
 *      inside an ifunc resolver is the resolver's choice: that edge is guarded.
 *   4. A hit in a region that never became plain, or inside a guarded range, is dispatched; every
 *      other hit is required, and the first one of each feature is kept as the proof.
 * This is a linear sweep, not a control-flow recovery: data inside code can decode as anything (on
 * x86 it is rare with GCC and clang, which keep jump tables in .rodata), and a dispatch through a
 * function pointer chosen outside any recognised check counts as required. Both err towards
 * "requires", which a user can see and question, never towards a silent SIGILL. */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "elf-isa-scan.h"


#ifndef R_X86_64_IRELATIVE
#define R_X86_64_IRELATIVE 37
#endif
#ifndef R_AARCH64_IRELATIVE
#define R_AARCH64_IRELATIVE 1032
#endif
#ifndef R_PPC64_IRELATIVE
#define R_PPC64_IRELATIVE 248
#endif
#ifndef STT_GNU_IFUNC
#define STT_GNU_IFUNC 10
#endif

int scan_vec_push(Vec *v, const void *item, size_t size) {
        if (v->n == v->alloc) {
                size_t n = v->alloc ? v->alloc * 2 : 64;
                void *p = realloc(v->items, n * size);
                if (!p)
                        return -ENOMEM;
                v->items = p;
                v->alloc = n;
        }
        memcpy((uint8_t *) v->items + v->n * size, item, size);
        v->n++;
        return 0;
}

int scan_u64_push(Vec *v, uint64_t x) {
        return scan_vec_push(v, &x, sizeof(x));
}

int scan_u64_cmp(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

int scan_range_cmp(const void *a, const void *b) {
        return scan_u64_cmp(&((const Range *) a)->start, &((const Range *) b)->start);
}

int scan_edge_cmp(const void *a, const void *b) {
        return scan_u64_cmp(&((const Edge *) a)->site, &((const Edge *) b)->site);
}

void scan_sort(void *items, size_t n, size_t size, int (*cmp)(const void *, const void *)) {
        const uint8_t *p = items;
        size_t i = 1;

        while (i < n && cmp(p + (i - 1) * size, p + i * size) <= 0)
                i++;
        if (i < n)
                qsort(items, n, size, cmp);
}

/* Sort and drop duplicates. */
void scan_u64_unique(Vec *v) {
        uint64_t *a = v->items;
        size_t k = 0;

        if (v->n == 0)
                return;
        scan_sort(a, v->n, sizeof(uint64_t), scan_u64_cmp);
        for (size_t i = 1; i < v->n; i++)
                if (a[i] != a[k])
                        a[++k] = a[i];
        v->n = k + 1;
}

bool scan_in_code(const Scan *s, uint64_t addr) {
        for (unsigned i = 0; i < s->n_seg; i++)
                if (addr >= s->seg[i].vaddr && addr - s->seg[i].vaddr < s->seg[i].size)
                        return true;
        return false;
}

/* The file offset of vaddr inside any PT_LOAD that lies in the buffer, or -1. */
int64_t scan_vaddr_to_offset(const ElfView *v, uint64_t vaddr, uint64_t size) {
        for (unsigned i = 0; i < v->phnum; i++) {
                ElfPhdrInfo p;

                if (elf_view_phdr(v, i, &p) < 0 || p.type != PT_LOAD)
                        continue;
                if (vaddr >= p.vaddr && vaddr - p.vaddr < p.filesz && size <= p.filesz - (vaddr - p.vaddr) &&
                    elf_view_has(v, p.offset + (vaddr - p.vaddr), size))
                        return (int64_t) (p.offset + (vaddr - p.vaddr));
        }
        return -1;
}

/* ---- what the file says about its functions ----------------------------------------------------- */

/* The executable sections, when the section headers are in the buffer (or were read apart): an
 * executable PT_LOAD may also hold the ELF header, .dynsym and .rodata (links without -z
 * separate-code), whose bytes would decode as nonsense. */
static int sections_collect(Scan *s) {
        for (unsigned i = 0; s->n_seg < SEGMENTS_MAX; i++) {
                ElfShdrInfo sh;
                int r = elf_view_shdr(s->v, i, &sh);

                if (r == -ENOENT)
                        return s->n_seg > 0;
                if (r < 0)
                        return r;
                if (sh.type == SHT_NOBITS || !(sh.flags & SHF_EXECINSTR) || !(sh.flags & SHF_ALLOC) || sh.size == 0)
                        continue;
                if (!elf_view_has(s->v, sh.offset, sh.size)) {
                        /* past the buffer (a file larger than ELF_ISA_FILE_MAX): its part inside */
                        s->isa->truncated = true;
                        if (sh.offset >= s->v->size)
                                continue;
                        sh.size = s->v->size - sh.offset;
                }
                s->seg[s->n_seg++] = (Segment) { sh.addr, sh.offset, sh.size };
        }
        return 1;
}

/* The value of the first dynamic entry tag, when PT_DYNAMIC lies in the buffer; 0 otherwise. */
static uint64_t dynamic_value(const ElfView *v, uint64_t tag) {
        ElfPhdrInfo p = {};

        for (unsigned i = 0; i < v->phnum; i++)
                if (elf_view_phdr(v, i, &p) >= 0 && p.type == PT_DYNAMIC)
                        break;
        if (p.type != PT_DYNAMIC || !elf_view_has(v, p.offset, p.filesz))
                return 0;
        for (uint64_t d = p.offset; d + 16 <= p.offset + p.filesz; d += 16) {
                uint64_t t = elf_view_uint(v, d, 8);
                if (t == DT_NULL)
                        break;
                if (t == tag)
                        return elf_view_uint(v, d + 8, 8);
        }
        return 0;
}

/* Without section headers, an executable PT_LOAD that starts at file offset 0 begins with the ELF
 * header, .dynsym, .dynstr, relocations (links without -z separate-code), which decode as nonsense:
 * its code starts at the lowest of the entry point and DT_INIT (.init precedes .plt and .text in ld's
 * layout) that lie inside it past offset 0. Returns the bytes to skip, or -1 when neither is known: the
 * segment is then not swept. */
static int64_t segment_code_start(const ElfView *v, const ElfPhdrInfo *p) {
        uint64_t cand[2] = { v->entry, dynamic_value(v, DT_INIT) }, best = UINT64_MAX;

        for (unsigned i = 0; i < ELEMENTSOF(cand); i++)
                if (cand[i] > p->vaddr && cand[i] - p->vaddr < p->filesz && cand[i] - p->vaddr < best)
                        best = cand[i] - p->vaddr;
        return best == UINT64_MAX ? -1 : (int64_t) best;
}

static int segments_collect(Scan *s) {
        int r = sections_collect(s);

        if (r != 0)
                return r < 0 ? r : 0;
        for (unsigned i = 0; i < s->v->phnum && s->n_seg < SEGMENTS_MAX; i++) {
                ElfPhdrInfo p;
                int64_t skip = 0;

                r = elf_view_phdr(s->v, i, &p);
                if (r < 0)
                        return r;
                if (p.type != PT_LOAD || !(p.flags & PF_X) || p.offset >= s->v->size)
                        continue;
                if (p.offset == 0 && (skip = segment_code_start(s->v, &p)) < 0) {
                        s->isa->truncated = true;
                        continue;
                }
                p.offset += (uint64_t) skip, p.vaddr += (uint64_t) skip, p.filesz -= (uint64_t) skip;
                if (p.offset >= s->v->size) {
                        s->isa->truncated = true;
                        continue;
                }
                if (p.filesz > s->v->size - p.offset) {
                        p.filesz = s->v->size - p.offset;
                        s->isa->truncated = true;
                }
                s->seg[s->n_seg++] = (Segment) { p.vaddr, p.offset, p.filesz };
        }
        return 0;
}

/* Functions that take the address of every ifunc implementation without calling any: glibc's list of
 * them for its own tests (sysdeps/x86_64/multiarch/ifunc-impl-list.c and its siblings). */
static const char * const inventories[] = { "__libc_ifunc_impl_list" };

static bool symbol_is_inventory(const ElfView *v, uint64_t strtab, uint64_t strsz, uint32_t name) {
        for (size_t i = 0; strtab && i < ELEMENTSOF(inventories); i++) {
                size_t n = strlen(inventories[i]) + 1;
                if (name < strsz && n <= strsz - name && elf_view_has(v, strtab + name, n) &&
                    memcmp(v->buf + strtab + name, inventories[i], n) == 0)
                        return true;
        }
        return false;
}

/* One Elf64_Sym at off: function starts, exported functions (roots), ifunc resolvers. strtab/strsz:
 * the file range of its string table (0: unknown). */
static int symbol_add(Scan *s, uint64_t off, bool dynamic, uint64_t strtab, uint64_t strsz) {
        const ElfView *v = s->v;
        uint8_t info = v->buf[off + 4], type = info & 0xf, bind = info >> 4;
        uint16_t shndx = (uint16_t) elf_view_uint(v, off + 6, 2);
        uint64_t value = elf_view_uint(v, off + 8, 8);
        int r = 0;

        if ((type != STT_FUNC && type != STT_GNU_IFUNC) || shndx == SHN_UNDEF || !scan_in_code(s, value))
                return 0;
        r = scan_u64_push(&s->starts, value);
        if (r >= 0 && type == STT_GNU_IFUNC)
                r = scan_u64_push(&s->resolvers, value);
        if (r >= 0 && dynamic && (bind == STB_GLOBAL || bind == STB_WEAK))
                r = scan_u64_push(&s->roots, value);
        if (r >= 0 && symbol_is_inventory(v, strtab, strsz, (uint32_t) elf_view_uint(v, off, 4)))
                r = scan_u64_push(&s->inventories, value);
        return r;
}

static int symbols_table(Scan *s, uint64_t off, uint64_t size, bool dynamic, uint64_t strtab, uint64_t strsz) {
        for (uint64_t o = off; o + sizeof(Elf64_Sym) <= off + size; o += sizeof(Elf64_Sym)) {
                int r = symbol_add(s, o, dynamic, strtab, strsz);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool irelative(IsaArch a, uint32_t type) {
        return (a == ISA_ARCH_X86_64 && type == R_X86_64_IRELATIVE) ||
               (a == ISA_ARCH_AARCH64 && type == R_AARCH64_IRELATIVE) ||
               (a == ISA_ARCH_PPC64LE && type == R_PPC64_IRELATIVE);
}

/* Elf64_Rela entries: an IRELATIVE one's addend is an ifunc resolver. */
static int relocs_table(Scan *s, uint64_t off, uint64_t size) {
        for (uint64_t o = off; o + sizeof(Elf64_Rela) <= off + size; o += sizeof(Elf64_Rela)) {
                uint32_t type = (uint32_t) elf_view_uint(s->v, o + 8, 4);
                uint64_t addend = elf_view_uint(s->v, o + 16, 8);

                if (irelative(s->isa->arch, type) && scan_in_code(s, addend)) {
                        int r = scan_u64_push(&s->resolvers, addend);
                        if (r >= 0)
                                r = scan_u64_push(&s->starts, addend);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* From the section headers when they are in the buffer (unstripped, or a small file). Returns 1 when
 * a table was found, 0 when there are none to read. */
static int tables_from_sections(Scan *s) {
        bool any = false;

        for (unsigned i = 0;; i++) {
                ElfShdrInfo sh;
                int r = elf_view_shdr(s->v, i, &sh);

                if (r == -ENOENT)
                        return any;
                if (r < 0)
                        return r;
                if (!elf_view_has(s->v, sh.offset, sh.size) || sh.type == SHT_NOBITS)
                        continue;
                if (sh.type == SHT_SYMTAB || sh.type == SHT_DYNSYM) {
                        ElfShdrInfo str = {};
                        if (elf_view_shdr(s->v, (unsigned) sh.link, &str) < 0 || !elf_view_has(s->v, str.offset, str.size))
                                str = (ElfShdrInfo) {};
                        r = symbols_table(s, sh.offset, sh.size, sh.type == SHT_DYNSYM, str.offset, str.size);
                } else if (sh.type == SHT_RELA)
                        r = relocs_table(s, sh.offset, sh.size);
                if (r < 0)
                        return r;
                any = true;
        }
}

/* Without section headers: .dynsym and the relocations through PT_DYNAMIC. The symbol count is not
 * in the dynamic section; .dynstr follows .dynsym in every layout ld and lld write. */
static int tables_from_dynamic(Scan *s) {
        uint64_t symtab = 0, strtab = 0, strsz = 0, rela = 0, relasz = 0, jmprel = 0, pltrelsz = 0;
        ElfPhdrInfo p = {};
        int64_t o, so;

        for (unsigned i = 0; i < s->v->phnum; i++)
                if (elf_view_phdr(s->v, i, &p) >= 0 && p.type == PT_DYNAMIC)
                        break;
        if (p.type != PT_DYNAMIC || !elf_view_has(s->v, p.offset, p.filesz))
                return 0;
        for (uint64_t d = p.offset; d + 16 <= p.offset + p.filesz; d += 16) {
                uint64_t tag = elf_view_uint(s->v, d, 8), val = elf_view_uint(s->v, d + 8, 8);

                if (tag == DT_NULL)
                        break;
                symtab = tag == DT_SYMTAB ? val : symtab;
                strtab = tag == DT_STRTAB ? val : strtab;
                strsz = tag == DT_STRSZ ? val : strsz;
                rela = tag == DT_RELA ? val : rela;
                relasz = tag == DT_RELASZ ? val : relasz;
                jmprel = tag == DT_JMPREL ? val : jmprel;
                pltrelsz = tag == DT_PLTRELSZ ? val : pltrelsz;
        }
        so = strtab ? scan_vaddr_to_offset(s->v, strtab, strsz) : -1;
        if (symtab && strtab > symtab && (o = scan_vaddr_to_offset(s->v, symtab, strtab - symtab)) >= 0 &&
            symbols_table(s, (uint64_t) o, strtab - symtab, true, so >= 0 ? (uint64_t) so : 0, so >= 0 ? strsz : 0) < 0)
                return -ENOMEM;
        if (rela && (o = scan_vaddr_to_offset(s->v, rela, relasz)) >= 0 && relocs_table(s, (uint64_t) o, relasz) < 0)
                return -ENOMEM;
        if (jmprel && (o = scan_vaddr_to_offset(s->v, jmprel, pltrelsz)) >= 0 && relocs_table(s, (uint64_t) o, pltrelsz) < 0)
                return -ENOMEM;
        return 0;
}

/* ---- the linear sweep ---------------------------------------------------------------------------- */

/* undecodable: 0 decoded, 1 a word capstone could not decode, 2 such a word that only counts as used */
int scan_hit_add(Scan *s, uint64_t addr, int bit, unsigned undecodable) {
        Hit h = { addr, (uint32_t) bit, undecodable };

        if (s->hits.n >= HITS_MAX) {
                s->hits_full = true;
                return 0;
        }
        return scan_vec_push(&s->hits, &h, sizeof(h));
}

static int insn_record(Scan *s, uint64_t addr, uint64_t next, const InsnResult *res) {
        int r = 0;

        if (res->feature >= 0)
                r = scan_hit_add(s, addr, res->feature, 0);
        if (r >= 0 && res->probe)
                r = scan_u64_push(&s->probes, addr);
        if (r >= 0 && res->barrier)
                r = scan_u64_push(&s->barriers, addr);
        if (r >= 0 && res->guard_taken && scan_in_code(s, res->target))
                r = scan_u64_push(&s->taken, res->target);
        if (r < 0 || res->flow == SCAN_FLOW_NONE || !scan_in_code(s, res->target))
                return r;
        if (s->edges.n < EDGES_MAX) {
                Edge e = { addr, res->target, res->flow == SCAN_FLOW_REF };
                r = scan_vec_push(&s->edges, &e, sizeof(e));
        }
        if (r >= 0 && res->flow != SCAN_FLOW_JUMP)
                r = scan_u64_push(&s->starts, res->target);
        if (r >= 0 && res->guard) {
                Range g = { next, res->target };
                r = scan_vec_push(&s->guards, &g, sizeof(g));
        }
        return r;
}

static int fork_track(Scan *s, uint64_t addr, const InsnResult *res) {
        ForkState *f = &s->fork;
        Arm a = { .site = addr, .target = res->target };
        int r = 0;

        f->n++;
        if (res->flow == SCAN_FLOW_JUMP && res->conditional) {
                f->last_branch = addr, f->last_n = f->n, f->last_valid = true;
                f->pending[f->next].branch = addr;
                f->pending[f->next].target = res->target;
                f->next = (f->next + 1) % FORK_PENDING;
                return 0;
        }
        if ((res->flow != SCAN_FLOW_CALL && res->flow != SCAN_FLOW_JUMP) || !scan_in_code(s, res->target))
                return 0;
        if (f->last_valid && f->n - f->last_n <= FORK_WINDOW) {
                a.branch = f->last_branch;
                r = scan_vec_push(&s->arms, &a, sizeof(a));
        }
        for (unsigned i = 0; r >= 0 && i < FORK_PENDING; i++)
                if (f->pending[i].target && addr >= f->pending[i].target &&
                    addr - f->pending[i].target < 4 * FORK_WINDOW) {
                        a.branch = f->pending[i].branch;
                        r = scan_vec_push(&s->arms, &a, sizeof(a));
                }
        return r;
}

int scan_insn_record(Scan *s, uint64_t addr, uint64_t size, const InsnResult *res) {
        int r = insn_record(s, addr, addr + size, res);

        return r < 0 ? r : fork_track(s, addr, res);
}

static int sweep_segment(Scan *s, const Segment *seg, cs_insn *insn) {
        const uint8_t *code = s->v->buf + seg->offset;
        size_t size = (size_t) seg->size;
        uint64_t addr = seg->vaddr;
        int r;

        while (size > 0) {
                InsnResult res;
                const char *what;
                unsigned width;
                int f;

                if (cs_disasm_iter(s->ctx.cs, &code, &size, &addr, insn)) {
                        insn_classify(&s->ctx, insn, &res);
                        r = scan_insn_record(s, insn->address, insn->size, &res);
                        if (r < 0)
                                return r;
                        continue;
                }
                f = insn_undecodable(s->isa->arch, code, size, &what, &width);
                if (f >= 0 && scan_hit_add(s, addr, f, insn_soft(s->isa->arch, code, size) ? 2 : 1) < 0)
                        return -ENOMEM;
                width = width < size ? width : (unsigned) size;
                code += width, size -= width, addr += width;
        }
        return 0;
}

/* The executable ranges cut to code_max bytes in all, into ret; returns how many. */
static unsigned segments_clip(Scan *s, Segment *ret) {
        unsigned n = 0;

        for (unsigned i = 0; i < s->n_seg; i++) {
                Segment seg = s->seg[i];

                if (s->isa->code_bytes >= s->code_max) {
                        s->isa->truncated = true;
                        break;
                }
                if (seg.size > s->code_max - s->isa->code_bytes) {
                        seg.size = s->code_max - s->isa->code_bytes;
                        s->isa->truncated = true;
                }
                s->isa->code_bytes += seg.size;
                ret[n++] = seg;
        }
        return n;
}

static int sweep_capstone(Scan *s, const Segment *seg, unsigned n) {
        cs_insn *insn = cs_malloc(s->ctx.cs);
        int r = 0;

        if (!insn)
                return -ENOMEM;
        for (unsigned i = 0; r >= 0 && i < n; i++)
                r = sweep_segment(s, &seg[i], insn);
        cs_free(insn, 1);
        return r;
}

/* What the file says about its functions: symbols, ifunc resolvers, the entry point. */
int scan_tables(Scan *s) {
        int r = tables_from_sections(s);

        if (r == 0)
                r = tables_from_dynamic(s);
        for (unsigned i = 0; r >= 0 && i < s->n_seg; i++)
                r = scan_u64_push(&s->starts, s->seg[i].vaddr);
        if (r >= 0 && scan_in_code(s, s->v->entry))
                r = scan_u64_push(&s->starts, s->v->entry);
        return r < 0 ? r : 0;
}

static int scan_run(Scan *s) {
        Segment seg[SEGMENTS_MAX];
        unsigned n;
        int r;

        r = segments_collect(s);
        if (r < 0)
                return r;
        n = segments_clip(s, seg);
        if (s->isa->arch == ISA_ARCH_X86_64) {
                /* the tables only when the code needs something (scan_x86_sweep() reads them) */
                r = scan_x86_sweep(s, seg, n);
                if (r != 0 || s->hits.n == 0)
                        return r;
        } else if (s->quick)
                return 1;
        else {
                r = scan_tables(s);
                if (r >= 0)
                        r = sweep_capstone(s, seg, n);
                if (r < 0)
                        return r;
        }
        return scan_classify(s);
}

/* Libraries that choose their implementations at run time in ways a linear sweep does not see
 * (docs/check-arch.md, "Limits"), by DT_SONAME prefix, each with where it checks the CPU. */
static const struct {
        const char *soname;
        const char *how;
} dispatchers[] = {
        { "libzstd.so.",    "zstd: lib/common/cpu.h ZSTD_cpuid(), the *_bmi2 variants (DYNAMIC_BMI2)" },
        { "libgcrypt.so.",  "libgcrypt: src/hwfeatures.c, per-cipher implementation choice" },
        { "libcrypto.so.",  "OpenSSL: crypto/cpuid.c OPENSSL_ia32cap_P, OPENSSL_armcap_P" },
        { "libnettle.so.",  "nettle: fat-x86_64.c / fat-arm64.c (--enable-fat)" },
        { "libgnutls.so.",  "GnuTLS: lib/accelerated/x86/x86-common.c" },
        { "libxxhash.so.",  "xxHash: xxh_x86dispatch.c" },
        { "libsodium.so.",  "libsodium: runtime.c sodium_runtime_has_*()" },
        { "libdav1d.so.",   "dav1d: src/cpu.c dav1d_get_cpu_flags()" },
};

/* The DT_SONAME of the file, when PT_DYNAMIC and the string lie in the buffer. */
static const char *soname(const ElfView *v) {
        uint64_t strtab = 0, name = UINT64_MAX;
        ElfPhdrInfo p = {};
        int64_t o;

        for (unsigned i = 0; i < v->phnum; i++)
                if (elf_view_phdr(v, i, &p) >= 0 && p.type == PT_DYNAMIC)
                        break;
        if (p.type != PT_DYNAMIC || !elf_view_has(v, p.offset, p.filesz))
                return NULL;
        for (uint64_t d = p.offset; d + 16 <= p.offset + p.filesz; d += 16) {
                uint64_t tag = elf_view_uint(v, d, 8), val = elf_view_uint(v, d + 8, 8);
                if (tag == DT_NULL)
                        break;
                strtab = tag == DT_STRTAB ? val : strtab;
                name = tag == DT_SONAME ? val : name;
        }
        if (!strtab || name == UINT64_MAX || (o = scan_vaddr_to_offset(v, strtab + name, 1)) < 0 ||
            !memchr(v->buf + o, 0, v->size - (size_t) o))
                return NULL;
        return (const char *) v->buf + o;
}

static void known_dispatcher(const ElfView *v, ElfIsa *isa) {
        const char *so = soname(v);

        for (size_t i = 0; so && i < ELEMENTSOF(dispatchers); i++)
                if (strneq(so, dispatchers[i].soname, strlen(dispatchers[i].soname))) {
                        isa->dispatched |= isa->required;
                        isa->required = 0;
                        for (size_t k = 0; k < isa->n_proofs; k++)
                                isa->proofs[k].dispatched = true;
                        isa->dispatcher = dispatchers[i].soname;
                        return;
                }
}

int elf_isa_scan_code(const ElfView *v, uint64_t code_max, bool quick, ElfIsa *isa) {
        Scan s = { .v = v, .isa = isa, .code_max = code_max, .quick = quick };
        int r;

        r = insn_context_open(&s.ctx, isa->arch);
        if (r < 0)
                return r;
        r = scan_run(&s);
        if (r == 0)
                known_dispatcher(v, isa);
        if (s.hits_full)
                isa->truncated = true;
        insn_context_close(&s.ctx);
        free(s.hits.items), free(s.edges.items), free(s.guards.items);
        free(s.starts.items), free(s.roots.items), free(s.resolvers.items);
        free(s.inventories.items), free(s.taken.items), free(s.barriers.items);
        free(s.probes.items), free(s.arms.items);
        return r;
}
