/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The second half of the code scan (elf-isa-scan.c has the method): from what the sweep recorded,
 * the functions, the guarded ranges and forks, the plain functions, and each hit's verdict. */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "elf-isa-scan.h"
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

        scan_u64_unique(&s->barriers);
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
                if (scan_vec_push(&s->guards, &g, sizeof(g)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int arm_cmp(const void *a, const void *b) {
        return scan_u64_cmp(&((const Arm *) a)->branch, &((const Arm *) b)->branch);
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
                        r = scan_vec_push(&s->guards, &(Range) { a[i].site, a[i].site + 1 }, sizeof(Range));
                if (r >= 0 && (feat[y] & ~feat[x]))
                        r = scan_vec_push(&s->guards, &(Range) { a[i + 1].site, a[i + 1].site + 1 }, sizeof(Range));
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
        qsort(a, g->n, sizeof(Range), scan_range_cmp);
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
        return v->n > 0 && bsearch(&x, v->items, v->n, sizeof(uint64_t), scan_u64_cmp);
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
        int64_t off = scan_vaddr_to_offset(s->v, h->addr, 1);
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
        else if (s->isa->arch == ISA_ARCH_X86_64)
                scan_x86_text(code, n, addr, buf, size);
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

int scan_classify(Scan *s) {
        uint8_t *plain;
        int r;

        scan_u64_unique(&s->starts);
        scan_u64_unique(&s->roots);
        scan_u64_unique(&s->resolvers);
        scan_u64_unique(&s->inventories);
        scan_u64_unique(&s->probes);
        if (guards_taken(s) < 0 || forks_resolve(s) < 0)
                return -ENOMEM;
        guards_merge(&s->guards, &s->starts);
        if (s->edges.n > 0)
                scan_sort(s->edges.items, s->edges.n, sizeof(Edge), scan_edge_cmp);
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
