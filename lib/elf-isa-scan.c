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

#include "elf-isa-internal.h"

/* More hits than this (a file full of AVX-512) are not all needed to decide: stop recording. */
#define HITS_MAX (4u * 1024 * 1024)
#define EDGES_MAX (16u * 1024 * 1024)
#define SEGMENTS_MAX 16

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

typedef struct Hit {
        uint64_t addr;
        uint32_t bit;
        uint32_t undecodable; /* 1: a word capstone could not decode (proof text from the group); 2: one
                               * that proves no requirement (insn_soft()) */
} Hit;

typedef struct Edge {
        uint64_t site, target;
        bool ref;             /* the address is taken, not branched to */
} Edge;

typedef struct Range {
        uint64_t start, end;
} Range;

typedef struct Segment {
        uint64_t vaddr, offset, size;
} Segment;

/* Two-way dispatch ("fork"): a conditional branch whose two sides each call or jump straight to a
 * different function (zstd's `if (bmi2) return f_bmi2(...); return f_default(...);`, libgcrypt's
 * `if (ctx->use_avx2) ...`, any __builtin_cpu_supports() pair). When one side's function needs a
 * feature the other's does not, that side is taken to be the dispatched variant. */
#define FORK_WINDOW 8        /* instructions after the branch or its target */
#define FORK_PENDING 8

typedef struct Arm {
        uint64_t branch;      /* the conditional branch */
        uint64_t site;        /* the call or jump */
        uint64_t target;
} Arm;

typedef struct ForkState {
        uint64_t last_branch, last_n, n;
        bool last_valid;
        struct {
                uint64_t branch, target;
        } pending[FORK_PENDING];
        unsigned next;
} ForkState;

typedef struct Vec {
        void *items;
        size_t n, alloc;
} Vec;

typedef struct Scan {
        const ElfView *v;
        ElfIsa *isa;
        InsnContext ctx;
        Segment seg[SEGMENTS_MAX];
        unsigned n_seg;
        Vec hits, edges, guards, starts, roots, resolvers, inventories;
        Vec taken, barriers;    /* guarded branch targets (taken side), and ret/jump addresses */
        Vec probes;             /* cpuid/xgetbv sites: their functions choose like resolvers */
        Vec arms;               /* Arm: a call or jump right after a conditional branch, on either side */
        ForkState fork;
        bool hits_full;
} Scan;

static int vec_push(Vec *v, const void *item, size_t size) {
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

static int u64_push(Vec *v, uint64_t x) {
        return vec_push(v, &x, sizeof(x));
}

static int u64_cmp(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

static int range_cmp(const void *a, const void *b) {
        return u64_cmp(&((const Range *) a)->start, &((const Range *) b)->start);
}

static int edge_cmp(const void *a, const void *b) {
        return u64_cmp(&((const Edge *) a)->site, &((const Edge *) b)->site);
}

/* Sort and drop duplicates. */
static void u64_unique(Vec *v) {
        uint64_t *a = v->items;
        size_t k = 0;

        if (v->n == 0)
                return;
        qsort(a, v->n, sizeof(uint64_t), u64_cmp);
        for (size_t i = 1; i < v->n; i++)
                if (a[i] != a[k])
                        a[++k] = a[i];
        v->n = k + 1;
}

static bool in_code(const Scan *s, uint64_t addr) {
        for (unsigned i = 0; i < s->n_seg; i++)
                if (addr >= s->seg[i].vaddr && addr - s->seg[i].vaddr < s->seg[i].size)
                        return true;
        return false;
}

/* The file offset of vaddr inside any PT_LOAD that lies in the buffer, or -1. */
static int64_t vaddr_to_offset(const ElfView *v, uint64_t vaddr, uint64_t size) {
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

/* The executable sections, when the section headers are in the buffer: an executable PT_LOAD may also
 * hold .rodata (links without -z separate-code), whose bytes would decode as nonsense. */
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
                        s->isa->truncated = true;
                        continue;
                }
                s->seg[s->n_seg++] = (Segment) { sh.addr, sh.offset, sh.size };
        }
        return 1;
}

static int segments_collect(Scan *s) {
        int r = sections_collect(s);

        if (r != 0)
                return r < 0 ? r : 0;
        for (unsigned i = 0; i < s->v->phnum && s->n_seg < SEGMENTS_MAX; i++) {
                ElfPhdrInfo p;

                r = elf_view_phdr(s->v, i, &p);
                if (r < 0)
                        return r;
                if (p.type != PT_LOAD || !(p.flags & PF_X) || p.offset >= s->v->size)
                        continue;
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

        if ((type != STT_FUNC && type != STT_GNU_IFUNC) || shndx == SHN_UNDEF || !in_code(s, value))
                return 0;
        r = u64_push(&s->starts, value);
        if (r >= 0 && type == STT_GNU_IFUNC)
                r = u64_push(&s->resolvers, value);
        if (r >= 0 && dynamic && (bind == STB_GLOBAL || bind == STB_WEAK))
                r = u64_push(&s->roots, value);
        if (r >= 0 && symbol_is_inventory(v, strtab, strsz, (uint32_t) elf_view_uint(v, off, 4)))
                r = u64_push(&s->inventories, value);
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

                if (irelative(s->isa->arch, type) && in_code(s, addend)) {
                        int r = u64_push(&s->resolvers, addend);
                        if (r >= 0)
                                r = u64_push(&s->starts, addend);
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
        so = strtab ? vaddr_to_offset(s->v, strtab, strsz) : -1;
        if (symtab && strtab > symtab && (o = vaddr_to_offset(s->v, symtab, strtab - symtab)) >= 0 &&
            symbols_table(s, (uint64_t) o, strtab - symtab, true, so >= 0 ? (uint64_t) so : 0, so >= 0 ? strsz : 0) < 0)
                return -ENOMEM;
        if (rela && (o = vaddr_to_offset(s->v, rela, relasz)) >= 0 && relocs_table(s, (uint64_t) o, relasz) < 0)
                return -ENOMEM;
        if (jmprel && (o = vaddr_to_offset(s->v, jmprel, pltrelsz)) >= 0 && relocs_table(s, (uint64_t) o, pltrelsz) < 0)
                return -ENOMEM;
        return 0;
}

/* ---- the linear sweep ---------------------------------------------------------------------------- */

/* undecodable: 0 decoded, 1 a word capstone could not decode, 2 such a word that only counts as used */
static int hit_add(Scan *s, uint64_t addr, int bit, unsigned undecodable) {
        Hit h = { addr, (uint32_t) bit, undecodable };

        if (s->hits.n >= HITS_MAX) {
                s->hits_full = true;
                return 0;
        }
        return vec_push(&s->hits, &h, sizeof(h));
}

static int insn_record(Scan *s, const cs_insn *insn, const InsnResult *res) {
        uint64_t next = insn->address + insn->size;
        int r = 0;

        if (res->feature >= 0)
                r = hit_add(s, insn->address, res->feature, 0);
        if (r >= 0 && res->probe)
                r = u64_push(&s->probes, insn->address);
        if (r >= 0 && res->barrier)
                r = u64_push(&s->barriers, insn->address);
        if (r >= 0 && res->guard_taken && in_code(s, res->target))
                r = u64_push(&s->taken, res->target);
        if (r < 0 || res->flow == SCAN_FLOW_NONE || !in_code(s, res->target))
                return r;
        if (s->edges.n < EDGES_MAX) {
                Edge e = { insn->address, res->target, res->flow == SCAN_FLOW_REF };
                r = vec_push(&s->edges, &e, sizeof(e));
        }
        if (r >= 0 && res->flow != SCAN_FLOW_JUMP)
                r = u64_push(&s->starts, res->target);
        if (r >= 0 && res->guard) {
                Range g = { next, res->target };
                r = vec_push(&s->guards, &g, sizeof(g));
        }
        return r;
}

static int fork_track(Scan *s, const cs_insn *insn, const InsnResult *res) {
        ForkState *f = &s->fork;
        Arm a = { .site = insn->address, .target = res->target };
        int r = 0;

        f->n++;
        if (res->flow == SCAN_FLOW_JUMP && res->conditional) {
                f->last_branch = insn->address, f->last_n = f->n, f->last_valid = true;
                f->pending[f->next].branch = insn->address;
                f->pending[f->next].target = res->target;
                f->next = (f->next + 1) % FORK_PENDING;
                return 0;
        }
        if ((res->flow != SCAN_FLOW_CALL && res->flow != SCAN_FLOW_JUMP) || !in_code(s, res->target))
                return 0;
        if (f->last_valid && f->n - f->last_n <= FORK_WINDOW) {
                a.branch = f->last_branch;
                r = vec_push(&s->arms, &a, sizeof(a));
        }
        for (unsigned i = 0; r >= 0 && i < FORK_PENDING; i++)
                if (f->pending[i].target && insn->address >= f->pending[i].target &&
                    insn->address - f->pending[i].target < 4 * FORK_WINDOW) {
                        a.branch = f->pending[i].branch;
                        r = vec_push(&s->arms, &a, sizeof(a));
                }
        return r;
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
                        r = insn_record(s, insn, &res);
                        if (r >= 0)
                                r = fork_track(s, insn, &res);
                        if (r < 0)
                                return r;
                        continue;
                }
                f = insn_undecodable(s->isa->arch, code, size, &what, &width);
                if (f >= 0 && hit_add(s, addr, f, insn_soft(s->isa->arch, code, size) ? 2 : 1) < 0)
                        return -ENOMEM;
                width = width < size ? width : (unsigned) size;
                code += width, size -= width, addr += width;
        }
        return 0;
}

/* ---- classification ------------------------------------------------------------------------------- */

static size_t region_of(const Vec *starts, uint64_t addr) {
        const uint64_t *a = starts->items;
        size_t lo = 0, hi = starts->n;

        while (lo < hi) {               /* the last start <= addr */
                size_t mid = lo + (hi - lo) / 2;
                if (a[mid] <= addr)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo == 0 ? 0 : lo - 1;
}

/* A taken-side guard covers its target up to the next ret or unconditional jump (inclusive). */
static int guards_taken(Scan *s) {
        const uint64_t *b = s->barriers.items, *t = s->taken.items;

        u64_unique(&s->barriers);
        for (size_t i = 0; i < s->taken.n; i++) {
                size_t lo = 0, hi = s->barriers.n;
                Range g;

                while (lo < hi) {
                        size_t mid = lo + (hi - lo) / 2;
                        if (b[mid] < t[i])
                                lo = mid + 1;
                        else
                                hi = mid;
                }
                g = (Range) { t[i], lo < s->barriers.n ? b[lo] + 1 : t[i] + 1 };
                if (vec_push(&s->guards, &g, sizeof(g)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int arm_cmp(const void *a, const void *b) {
        return u64_cmp(&((const Arm *) a)->branch, &((const Arm *) b)->branch);
}

/* Pair the arms of each branch; the side whose function needs what the other's does not becomes a
 * guarded call (a one-byte guarded range at the call). */
static int forks_resolve(Scan *s) {
        const Hit *h = s->hits.items;
        Arm *a = s->arms.items;
        IsaFeatures *feat;
        int r = 0;

        if (s->arms.n < 2)
                return 0;
        feat = calloc(s->starts.n, sizeof(IsaFeatures));
        if (!feat)
                return -ENOMEM;
        for (size_t i = 0; i < s->hits.n; i++)
                if (h[i].bit < 64)
                        feat[region_of(&s->starts, h[i].addr)] |= ISA_BIT(h[i].bit);
        qsort(a, s->arms.n, sizeof(Arm), arm_cmp);
        for (size_t i = 0; r >= 0 && i + 1 < s->arms.n; i++) {
                size_t x, y;

                if (a[i].branch != a[i + 1].branch || a[i].target == a[i + 1].target)
                        continue;
                x = region_of(&s->starts, a[i].target), y = region_of(&s->starts, a[i + 1].target);
                if (x == y)
                        continue;
                if (feat[x] & ~feat[y])
                        r = vec_push(&s->guards, &(Range) { a[i].site, a[i].site + 1 }, sizeof(Range));
                if (r >= 0 && (feat[y] & ~feat[x]))
                        r = vec_push(&s->guards, &(Range) { a[i + 1].site, a[i + 1].site + 1 }, sizeof(Range));
        }
        free(feat);
        return r;
}

/* Merge the guarded ranges into disjoint ones, sorted. A range never runs past the function it starts
 * in: a branch to a far label (or one data decoded as a branch) guards nothing of the next function. */
static void guards_merge(Vec *g, const Vec *starts) {
        const uint64_t *st = starts->items;
        Range *a = g->items;
        size_t k = 0;

        if (g->n == 0)
                return;
        for (size_t i = 0; i < g->n; i++) {
                size_t r = region_of(starts, a[i].start);
                if (r + 1 < starts->n && st[r] <= a[i].start && a[i].end > st[r + 1])
                        a[i].end = st[r + 1];
        }
        qsort(a, g->n, sizeof(Range), range_cmp);
        for (size_t i = 1; i < g->n; i++) {
                if (a[i].start <= a[k].end) {
                        if (a[i].end > a[k].end)
                                a[k].end = a[i].end;
                } else
                        a[++k] = a[i];
        }
        g->n = k + 1;
}

static bool guarded(const Vec *g, uint64_t addr) {
        const Range *a = g->items;
        size_t lo = 0, hi = g->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (a[mid].end <= addr)
                        lo = mid + 1;
                else if (a[mid].start > addr)
                        hi = mid;
                else
                        return true;
        }
        return false;
}

static bool sorted_has(const Vec *v, uint64_t x) {
        return v->n > 0 && bsearch(&x, v->items, v->n, sizeof(uint64_t), u64_cmp);
}

/* Whether the region [start, end) chooses code for the CPU: an ifunc resolver, glibc's list of
 * implementations, or a function that runs cpuid/xgetbv (libstdc++'s random_device picks rdrand so). */
static bool chooser(const Scan *s, uint64_t start, uint64_t end) {
        const uint64_t *p = s->probes.items;
        size_t lo = 0, hi = s->probes.n;

        if (sorted_has(&s->resolvers, start) || sorted_has(&s->inventories, start))
                return true;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (p[mid] < start)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo < s->probes.n && p[lo] < end;
}

/* The first edge whose site is >= addr (edges sorted by site). */
static size_t edges_from(const Vec *edges, uint64_t addr) {
        const Edge *e = edges->items;
        size_t lo = 0, hi = edges->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (e[mid].site < addr)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

/* Mark plain regions: seeds, then whatever their unguarded edges reach (edges sorted by site). */
static int regions_plain(Scan *s, uint8_t *plain) {
        const uint64_t *st = s->starts.items;
        const Edge *e = s->edges.items;
        size_t n = s->starts.n, *stack, top = 0;
        uint8_t *incoming = calloc(n, 1);

        stack = malloc(n * sizeof(size_t));
        if (!incoming || !stack) {
                free(incoming), free(stack);
                return -ENOMEM;
        }
        /* incoming: bit 0 any edge, bit 1 a reference made by a choice (a resolver's, a CPU-probing
         * function's, or one inside a guarded range): then the function is reached through a pointer
         * a CPU check chose, and other places that only take its address do not make it plain. */
        for (size_t i = 0; i < s->edges.n; i++) {
                size_t from = region_of(&s->starts, e[i].site), t = region_of(&s->starts, e[i].target);
                if (t == from)
                        continue;   /* a loop or a branch inside the function */
                incoming[t] |= 1;
                if (e[i].ref && (chooser(s, st[from], from + 1 < n ? st[from + 1] : UINT64_MAX) ||
                                              guarded(&s->guards, e[i].site)))
                        incoming[t] |= 2;
        }
        for (size_t r = 0; r < n; r++)
                if (!incoming[r] || sorted_has(&s->roots, st[r]) || sorted_has(&s->resolvers, st[r]) || st[r] == s->v->entry) {
                        plain[r] = 1;
                        stack[top++] = r;
                }
        while (top > 0) {
                size_t r = stack[--top], i;
                uint64_t end = r + 1 < n ? st[r + 1] : UINT64_MAX;
                bool resolver = chooser(s, st[r], end);

                for (i = edges_from(&s->edges, st[r]); i < s->edges.n && e[i].site < end; i++) {
                        size_t t = region_of(&s->starts, e[i].target);
                        if (plain[t] || guarded(&s->guards, e[i].site) || (resolver && t != r) ||
                            (e[i].ref && (incoming[t] & 2)))
                                continue;
                        plain[t] = 1;
                        stack[top++] = t;
                }
        }
        free(incoming), free(stack);
        return 0;
}

/* The instruction at addr as text, for a proof. */
static void proof_text(Scan *s, const Hit *h, char *buf, size_t size) {
        int64_t off = vaddr_to_offset(s->v, h->addr, 1);
        const uint8_t *code;
        size_t n;
        uint64_t addr = h->addr;
        cs_insn *insn;

        buf[0] = 0;
        if (off < 0)
                return;
        code = s->v->buf + off;
        n = s->v->size - (size_t) off;
        if (h->undecodable) {
                const char *what;
                unsigned width;

                (void) insn_undecodable(s->isa->arch, code, n, &what, &width);
                if (n >= 4)
                        snprintf(buf, size, ".inst 0x%08x: %s", (unsigned) (code[0] | code[1] << 8 | code[2] << 16 | (uint32_t) code[3] << 24),
                                 what ?: "?");
                return;
        }
        insn = cs_malloc(s->ctx.cs);
        if (!insn)
                return;
        if (cs_disasm_iter(s->ctx.cs, &code, &n, &addr, insn))
                snprintf(buf, size, "%.31s%s%.47s", insn->mnemonic, insn->op_str[0] ? " " : "", insn->op_str);
        cs_free(insn, 1);
}

/* TSX (RTM) is off on most x86 CPUs since 2019 (microcode), and software reaches it only once a lock
 * was taken with XBEGIN after a check: glibc's elision unlocks with XEND without testing the CPU
 * again. It is reported as used, never as required. */
static bool never_required(IsaArch a, unsigned bit) {
        return a == ISA_ARCH_X86_64 && bit == ISA_X86_RTM;
}

static int hits_classify(Scan *s, const uint8_t *plain) {
        const Hit *h = s->hits.items;
        const Hit *first[2][64] = {};
        char text[ELF_ISA_PROOF_MAX];

        for (size_t i = 0; i < s->hits.n; i++) {
                bool d = !plain[region_of(&s->starts, h[i].addr)] || guarded(&s->guards, h[i].addr) ||
                         never_required(s->isa->arch, h[i].bit) || h[i].undecodable == 2;

                if (h[i].bit >= 64)
                        continue;
                if (!first[d][h[i].bit])
                        first[d][h[i].bit] = &h[i];
                if (d)
                        s->isa->dispatched |= ISA_BIT(h[i].bit);
                else
                        s->isa->required |= ISA_BIT(h[i].bit);
        }
        for (unsigned d = 0; d < 2; d++)
                for (unsigned bit = 0; bit < 64; bit++) {
                        if (!first[d][bit] || (d && (s->isa->required & ISA_BIT(bit))))
                                continue;
                        proof_text(s, first[d][bit], text, sizeof(text));
                        if (elf_isa_add_proof(s->isa, bit, d, ISA_EVIDENCE_CODE, first[d][bit]->addr, "%s", text) < 0)
                                return -ENOMEM;
                }
        return 0;
}

static int scan_run(Scan *s) {
        cs_insn *insn;
        uint8_t *plain;
        int r;

        r = segments_collect(s);
        if (r < 0)
                return r;
        r = tables_from_sections(s);
        if (r == 0)
                r = tables_from_dynamic(s);
        for (unsigned i = 0; r >= 0 && i < s->n_seg; i++)
                r = u64_push(&s->starts, s->seg[i].vaddr);
        if (r >= 0 && in_code(s, s->v->entry))
                r = u64_push(&s->starts, s->v->entry);
        if (r < 0)
                return r;
        insn = cs_malloc(s->ctx.cs);
        if (!insn)
                return -ENOMEM;
        for (unsigned i = 0; r >= 0 && i < s->n_seg; i++) {
                Segment seg = s->seg[i];

                if (s->isa->code_bytes >= ELF_ISA_CODE_MAX) {
                        s->isa->truncated = true;
                        break;
                }
                if (seg.size > ELF_ISA_CODE_MAX - s->isa->code_bytes) {
                        seg.size = ELF_ISA_CODE_MAX - s->isa->code_bytes;
                        s->isa->truncated = true;
                }
                r = sweep_segment(s, &seg, insn);
                s->isa->code_bytes += seg.size;
        }
        cs_free(insn, 1);
        if (r < 0)
                return r;
        u64_unique(&s->starts);
        u64_unique(&s->roots);
        u64_unique(&s->resolvers);
        u64_unique(&s->inventories);
        u64_unique(&s->probes);
        if (guards_taken(s) < 0 || forks_resolve(s) < 0)
                return -ENOMEM;
        guards_merge(&s->guards, &s->starts);
        if (s->edges.n > 0)
                qsort(s->edges.items, s->edges.n, sizeof(Edge), edge_cmp);
        s->isa->n_ifuncs = (unsigned) s->resolvers.n;
        if (s->starts.n == 0)
                return 0;
        plain = calloc(s->starts.n, 1);
        if (!plain)
                return -ENOMEM;
        r = regions_plain(s, plain);
        if (r >= 0)
                r = hits_classify(s, plain);
        free(plain);
        return r;
}

int elf_isa_scan_code(const ElfView *v, ElfIsa *isa) {
        Scan s = { .v = v, .isa = isa };
        int r;

        r = insn_context_open(&s.ctx, isa->arch);
        if (r < 0)
                return r;
        r = scan_run(&s);
        if (s.hits_full)
                isa->truncated = true;
        insn_context_close(&s.ctx);
        free(s.hits.items), free(s.edges.items), free(s.guards.items);
        free(s.starts.items), free(s.roots.items), free(s.resolvers.items);
        free(s.inventories.items), free(s.taken.items), free(s.barriers.items);
        free(s.probes.items), free(s.arms.items);
        return r;
}
