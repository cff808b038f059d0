/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "isa-cache.h"
#include "macro.h"

#define BUCKETS 1024

typedef struct CacheEntry {
        struct CacheEntry *next;
        IsaCacheKey key;
        ElfIsa isa;
} CacheEntry;

struct IsaCache {
        pthread_mutex_t lock;
        CacheEntry *bucket[BUCKETS];
        size_t bytes;
};

IsaCache *isa_cache_new(void) {
        IsaCache *c = calloc(1, sizeof(IsaCache));

        if (c)
                pthread_mutex_init(&c->lock, NULL);
        return c;
}

void isa_cache_free(IsaCache *c) {
        if (!c)
                return;
        for (size_t b = 0; b < BUCKETS; b++)
                for (CacheEntry *e = c->bucket[b], *next; e; e = next) {
                        next = e->next;
                        elf_isa_done(&e->isa);
                        free(e);
                }
        pthread_mutex_destroy(&c->lock);
        free(c);
}

int isa_cache_key(const void *buf, size_t size, uint64_t file_size, const ElfIsaOptions *o, IsaCacheKey *ret) {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        unsigned len = 0;
        bool ok;

        if (!md)
                return -ENOMEM;
        *ret = (IsaCacheKey) { .size = size, .file_size = file_size, .options = *o };
        /* the section header table read apart is part of the bytes, not of the options */
        ret->options.shdrs = NULL;
        ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) && EVP_DigestUpdate(md, buf, size) &&
             (!o->shdrs || EVP_DigestUpdate(md, o->shdrs, o->shdrs_size)) &&
             EVP_DigestFinal_ex(md, ret->digest, &len) && len == sizeof(ret->digest);
        EVP_MD_CTX_free(md);
        return ok ? 0 : -ENOMEM;
}

static bool key_eq(const IsaCacheKey *a, const IsaCacheKey *b) {
        return memcmp(a->digest, b->digest, sizeof(a->digest)) == 0 && a->size == b->size &&
               a->file_size == b->file_size && a->options.targets_have == b->options.targets_have &&
               a->options.have_targets == b->options.have_targets && a->options.code_max == b->options.code_max &&
               a->options.shdrs_size == b->options.shdrs_size;
}

static size_t bucket_of(const IsaCacheKey *k) {
        size_t h;

        memcpy(&h, k->digest, sizeof(h));
        return h % BUCKETS;
}

int isa_cache_get(IsaCache *c, const IsaCacheKey *k, ElfIsa *ret) {
        int r = -ENOENT;

        pthread_mutex_lock(&c->lock);
        for (CacheEntry *e = c->bucket[bucket_of(k)]; e; e = e->next)
                if (key_eq(&e->key, k)) {
                        r = elf_isa_copy(&e->isa, ret);
                        break;
                }
        pthread_mutex_unlock(&c->lock);
        return r;
}

int isa_cache_put(IsaCache *c, const IsaCacheKey *k, const ElfIsa *isa) {
        size_t b = bucket_of(k), bytes = sizeof(CacheEntry) + isa->n_proofs * sizeof(IsaProof);
        CacheEntry *e;
        int r;

        e = calloc(1, sizeof(CacheEntry));
        if (!e)
                return -ENOMEM;
        e->key = *k;
        r = elf_isa_copy(isa, &e->isa);
        if (r < 0) {
                free(e);
                return r;
        }
        pthread_mutex_lock(&c->lock);
        if (c->bytes + bytes <= ISA_CACHE_BYTES) {
                e->next = c->bucket[b];
                c->bucket[b] = e;
                c->bytes += bytes;
                e = NULL;
        }
        pthread_mutex_unlock(&c->lock);
        if (e) {
                elf_isa_done(&e->isa);
                free(e);
        }
        return 0;
}
