/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Layer blobs as check-arch streams them: gzip, zstd or plain (lib/layer-stream), then tar through
 * libarchive (lib/layer-reader), heads of files, reads ahead, and the ELF identification of heads. Small
 * bounds, so that a bomb is cut short rather than slowing the fuzzer down. */
#include "elf-id.h"
#include "fuzz.h"
#include "layer-reader.h"

typedef struct Cursor {
        const uint8_t *p;
        size_t left;
} Cursor;

static ssize_t source(void *buf, size_t size, void *userdata) {
        Cursor *c = userdata;
        size_t n = size < c->left ? size : c->left;

        /* short reads, as a registry stream gives them */
        if (n > 4096)
                n = 4096;
        memcpy(buf, c->p, n);
        c->p += n;
        c->left -= n;
        return (ssize_t) n;
}

static int entry(const LayerEntry *e, void *userdata) {
        const uint8_t *head;
        uint8_t far[16];
        size_t n;
        ElfId id;

        if (e->head_size > 0) {
                (void) elf_id_from_buffer(e->head, e->head_size, &id);
                if (layer_reader_head_extend(e->reader, 65536, &head, &n) >= 0)
                        (void) elf_id_from_buffer(head, n, &id);
                if (e->size > 100000)
                        (void) layer_reader_read_at(e->reader, 100000, far, sizeof(far));
        }
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Cursor c = { data, size };
        LayerReadOptions o = { .stream.max_bytes = 8 * 1024 * 1024, .stream.want_diff_id = true,
                               .max_entries = 10000 };
        LayerReadResult res;
        ErrorDetail err = {};

        (void) layer_read_source(source, &c, &o, entry, NULL, &res, &err);
        return 0;
}
