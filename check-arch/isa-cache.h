/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The analyses of one run by content: an ELF file met again (another layer, another image of the
 * run, a copy under another name) is not disassembled again. Keyed by the SHA-256 of the bytes the
 * analysis read, the file's size and the options; shared by the layer workers (a mutex). */

#include <stdint.h>

#include "elf-isa.h"

/* Bytes of entries kept at most (each an ElfIsa and its proofs): past it, nothing is added. */
#define ISA_CACHE_BYTES (32u * 1024 * 1024)

typedef struct IsaCache IsaCache;

typedef struct IsaCacheKey {
        uint8_t digest[32];
        uint64_t size, file_size;
        ElfIsaOptions options;
} IsaCacheKey;

IsaCache *isa_cache_new(void);
void isa_cache_free(IsaCache *c);
/* The key of the analysis of buf[0..size) with o. Returns 0 or -ENOMEM. */
int isa_cache_key(const void *buf, size_t size, uint64_t file_size, const ElfIsaOptions *o, IsaCacheKey *ret);
/* A copy of the analysis stored under k: 0, -ENOENT when there is none, or -ENOMEM. */
int isa_cache_get(IsaCache *c, const IsaCacheKey *k, ElfIsa *ret);
/* Store a copy of isa under k (nothing when the cache is full). Returns 0 or -ENOMEM. */
int isa_cache_put(IsaCache *c, const IsaCacheKey *k, const ElfIsa *isa);
