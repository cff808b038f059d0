/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "isa-cache.h"
#include "isa-read.h"
#include "macro.h"

void isa_want_init(IsaWant *w, const IsaTarget *targets, size_t n, bool all) {
        *w = (IsaWant) { .all = all, .any = all };
        for (int a = 0; a < _ISA_ARCH_MAX; a++)
                w->have[a] = ~(IsaFeatures) 0;
        for (size_t i = 0; i < n; i++) {
                if (!targets[i].active || targets[i].arch < 0)
                        continue;
                w->arch[targets[i].arch] = true;
                w->have[targets[i].arch] &= targets[i].have;
                w->any = true;
        }
}

bool isa_want_file(const IsaWant *w, const ElfId *id) {
        IsaArch a;

        if (!w->any || id->kind == ELF_KIND_RELOCATABLE || id->kind == ELF_KIND_CORE)
                return false;
        a = elf_isa_arch(id);
        return a >= 0 && (w->all || w->arch[a]);
}

/* One cache for the run: the same bytes in another layer or image are not analysed again. */
static IsaCache *cache;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void cache_init(void) {
        cache = isa_cache_new();   /* NULL: no cache */
}

/* elf_isa_analyze() through the cache, keyed by the bytes, the file size and the options; only what
 * disassembles the code whole is worth the hashing (most files are answered without) */
static int analyze_cached(const void *buf, size_t size, uint64_t file_size, const ElfId *id, const ElfIsaOptions *o,
                          ElfIsa *ret) {
        IsaCacheKey key;
        int r;

        r = elf_isa_analyze_quick(buf, size, file_size, id, o, ret);
        if (r != 0)
                return r < 0 ? r : 0;
        (void) pthread_once(&cache_once, cache_init);
        if (!cache || isa_cache_key(buf, size, file_size, o, &key) < 0)
                return elf_isa_analyze(buf, size, file_size, id, o, ret);
        r = isa_cache_get(cache, &key, ret);
        if (r != -ENOENT)
                return r;
        r = elf_isa_analyze(buf, size, file_size, id, o, ret);
        if (r >= 0 && isa_cache_put(cache, &key, ret) < 0) {
                elf_isa_done(ret);
                return -ENOMEM;
        }
        return r;
}

/* cached: the id comes from buf alone (a layer entry), so the bytes are the whole key */
static int analyze(const IsaWant *w, const void *buf, size_t size, uint64_t file_size, const ElfId *id,
                   const void *shdrs, size_t shdrs_size, bool cached, ElfIsa **ret) {
        IsaArch a = elf_isa_arch(id);
        ElfIsaOptions o = { .have_targets = !w->all && a >= 0 && w->arch[a], .targets_have = a >= 0 ? w->have[a] : 0,
                            .code_max = w->code_max, .shdrs = shdrs, .shdrs_size = shdrs_size };
        ElfIsa *isa = malloc(sizeof(ElfIsa));
        int r;

        if (!isa)
                return -ENOMEM;
        r = cached ? analyze_cached(buf, size, file_size, id, &o, isa) : elf_isa_analyze(buf, size, file_size, id, &o, isa);
        if (r < 0) {
                free(isa);
                return r;
        }
        *ret = isa;
        return 0;
}

static size_t file_max(const IsaWant *w, uint64_t size) {
        uint64_t max = w->file_max ?: ELF_ISA_FILE_MAX;

        return size > max ? (size_t) max : (size_t) size;
}

/* The section header table of a file larger than buf[0..n), when it lies past n: by pread. NULL
 * when there is none to read (or it cannot be read: the analysis then does without). */
static uint8_t *shdrs_pread(int fd, const void *buf, size_t n, uint64_t file_size, size_t *ret_size) {
        uint8_t *t;
        uint64_t off;
        size_t len;

        if (!elf_isa_shdrs_wanted(buf, n, file_size, &off, &len) || !(t = malloc(len)))
                return NULL;
        if (pread(fd, t, len, (off_t) off) != (ssize_t) len) {
                free(t);
                return NULL;
        }
        *ret_size = len;
        return t;
}

int isa_read_fd(const IsaWant *w, int fd, const ElfId *id, ElfIsa **ret) {
        _cleanup_free_ uint8_t *shdrs = NULL;
        size_t n, shdrs_size = 0;
        struct stat st;
        void *p;
        int r;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_size <= 0)
                return -EBADMSG;
        n = file_max(w, (uint64_t) st.st_size);
        p = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED)
                return -errno;
        shdrs = shdrs_pread(fd, p, n, (uint64_t) st.st_size, &shdrs_size);
        r = analyze(w, p, n, (uint64_t) st.st_size, id, shdrs, shdrs_size, false, ret);
        (void) munmap(p, n);
        return r;
}

/* ARM's .ARM.attributes through libelf, as fs-model.c does for files it holds whole. */
static void arm_refine(const uint8_t *buf, size_t n, ElfId *id) {
        _cleanup_close_ int fd = -EBADF;
        ElfId full;

        if (id->machine != EM_ARM)
                return;
        fd = memfd_create("check-arch-isa", MFD_CLOEXEC);
        if (fd < 0 || write(fd, buf, n) != (ssize_t) n)
                return;
        if (elf_id_from_fd(fd, ELF_ID_SECTIONS, &full) >= 0) {
                id->arm_arch = full.arm_arch;
                id->float_abi = full.float_abi;
        }
}

int isa_identify_layer(const IsaWant *w, const LayerEntry *e, ElfId *id, ElfIsa **ret) {
        _cleanup_free_ uint8_t *buf = NULL, *shdrs = NULL;
        size_t n, have, shdrs_size = 0;
        const uint8_t *head;
        uint64_t shoff;
        int r;

        if (!w || !w->any || e->size <= 0 || elf_id_from_buffer(e->head, e->head_size, id) < 0 || !isa_want_file(w, id))
                return 0;
        n = file_max(w, (uint64_t) e->size);
        buf = malloc(n);
        if (!buf)
                return -ENOMEM;
        /* what the reader holds (the head), then the rest, forward only */
        r = layer_reader_head_extend(e->reader, 0, &head, &have);
        if (r < 0)
                return r;
        have = have < n ? have : n;
        memcpy(buf, head, have);
        if (have < n) {
                r = layer_reader_read_at(e->reader, have, buf + have, n - have);
                if (r < 0)
                        return r;
        }
        r = elf_id_from_buffer(buf, n, id);
        if (r < 0)
                return r;
        if (id->dynamic && !id->interp[0])
                return -EBADMSG;   /* PT_INTERP past the scan limit: not a file a loader takes */
        arm_refine(buf, n, id);
        /* the section header table past the buffer (ld writes it at the end): read forward, the
         * bytes before it are decompressed and dropped as skipping the entry would */
        if (elf_isa_shdrs_wanted(buf, n, (uint64_t) e->size, &shoff, &shdrs_size)) {
                shdrs = malloc(shdrs_size);
                if (!shdrs)
                        return -ENOMEM;
                r = layer_reader_read_at(e->reader, shoff, shdrs, shdrs_size);
                if (r < 0)
                        return r;
        }
        /* the file is identified: an analysis that fails (malformed notes) leaves *ret NULL */
        *ret = NULL;
        r = analyze(w, buf, n, (uint64_t) e->size, id, shdrs, shdrs ? shdrs_size : 0, true, ret);
        return r == -ENOMEM ? r : 1;
}

void isa_free(ElfIsa *isa) {
        if (!isa)
                return;
        elf_isa_done(isa);
        free(isa);
}
