/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The routes.idx layout, shared by the compiler (routes-compile.c) and the lookup (routes.c); not for
 * users of routes.h. */

#include <stddef.h>
#include <stdint.h>

#include "routes.h"

/* 3: unless-env-dir lists (issue 20), and the source's SHA-256 joined to its size and mtime (an
 * image layer keeps whole seconds). An index of another version is refused as foreign: the shim
 * emulates. */
#define ROUTES_MAGIC "ARWRTE3\n"

typedef struct IndexHeader {
        char magic[8];
        uint32_t header_size, rule_size, total_size;
        uint32_t n_rules, n_buckets, n_globs, n_items, str_size;
        uint32_t rules_off, buckets_off, globs_off, items_off, str_off;
        uint32_t reserved;
        uint64_t source_size;
        int64_t source_mtime_ns;
        uint8_t source_sha256[SHA256_DIGEST_SIZE];
} IndexHeader;

/* One rule. Strings are offsets into the string table, whose byte 0 is NUL ("none"); lists are
 * (first, count) ranges of the items table, whose entries are string offsets. */
typedef struct IndexRule {
        uint32_t line;
        uint32_t key_hash;
        uint32_t next;          /* rule number + 1 of the next one in the same bucket; 0 ends */
        uint16_t machine;
        uint8_t elf_class, elf_data, mips_abi;
        uint8_t key;            /* RouteKey */
        uint8_t build_id_size;
        uint8_t has_sha256;
        uint8_t keep_argv0;
        uint8_t build_id[ELF_BUILD_ID_MAX];
        uint8_t sha256[SHA256_DIGEST_SIZE];
        uint32_t path, exec, argv0;
        uint32_t args, n_args, post_args, n_post_args;
        uint32_t unless_args, n_unless_args, unless_envs, n_unless_envs;
        uint32_t unless_env_dirs, n_unless_env_dirs;
} IndexRule;

/* FNV-1a, 32 bits: keys are short (a path, 20 bytes of build-id); any decent spread will do. The key
 * kind is mixed in so a path can never collide with a build-id on purpose. */
static inline uint32_t routes_key_hash(uint8_t kind, const void *p, size_t n) {
        const uint8_t *b = p;
        uint32_t h = 2166136261u ^ kind;

        for (size_t i = 0; i < n; i++)
                h = (h ^ b[i]) * 16777619u;
        return h;
}

