/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The state of one code scan, shared by elf-isa-scan.c (tables, the linear sweep) and
 * elf-isa-classify.c (functions, guards, forks: what is required and what is dispatched). */

#include "elf-isa-internal.h"

/* More hits than this (a file full of AVX-512) are not all needed to decide: stop recording. */
#define HITS_MAX (4u * 1024 * 1024)
#define EDGES_MAX (16u * 1024 * 1024)
#define SEGMENTS_MAX 16

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
        uint64_t code_max;
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
        bool quick;             /* stop (1) where the code must be disassembled whole */
} Scan;

int scan_vec_push(Vec *v, const void *item, size_t size);
int scan_u64_push(Vec *v, uint64_t x);
int scan_u64_cmp(const void *a, const void *b);
int scan_range_cmp(const void *a, const void *b);
int scan_edge_cmp(const void *a, const void *b);
/* qsort(), after a look whether the items are in order already (the sweep's edges are, by address). */
void scan_sort(void *items, size_t n, size_t size, int (*cmp)(const void *, const void *));
/* Sort and drop duplicates. */
void scan_u64_unique(Vec *v);
bool scan_in_code(const Scan *s, uint64_t addr);
/* The file offset of vaddr inside any PT_LOAD that lies in the buffer, or -1. */
int64_t scan_vaddr_to_offset(const ElfView *v, uint64_t vaddr, uint64_t size);

/* Record a feature used at addr (undecodable: as in Hit). */
int scan_hit_add(Scan *s, uint64_t addr, int bit, unsigned undecodable);
/* Record what the instruction at [addr, addr+size) told the sweep. */
int scan_insn_record(Scan *s, uint64_t addr, uint64_t size, const InsnResult *res);
/* Read the symbol and relocation tables: function starts, exported functions, ifunc resolvers. */
int scan_tables(Scan *s);
/* elf-isa-x86.c: the sweep of seg[0..n) for x86-64, through Zydis: the hits, then, when there are
 * any, the tables (scan_tables()) and the flow (calls, jumps, guards, probes). Returns 0, -ENOMEM, or
 * 1 (s->quick) when there are hits, before the sweep. */
int scan_x86_sweep(Scan *s, const Segment *seg, unsigned n);
/* The instruction at code as text (Intel syntax), for a proof capstone 4 cannot decode (newer
 * AVX-512 forms); buf is left alone when Zydis cannot either. */
void scan_x86_text(const uint8_t *code, size_t n, uint64_t addr, char *buf, size_t size);

/* After the sweep: sort the tables, resolve guards and forks, find the plain functions and sort every
 * hit into required or dispatched with its proof. Returns 0 or -ENOMEM. */
int scan_classify(Scan *s);
