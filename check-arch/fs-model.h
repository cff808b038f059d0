/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The final filesystem of an image without unpacking it: each layer is scanned (in any order, in
 * parallel) into a LayerScan, a flat list of its entries with the ELF identity of regular files taken
 * from their first bytes; fs_model_build() then applies the layers in manifest order (whiteouts, opaque
 * directories, directories replaced by files) and answers lookups with symlinks resolved inside the
 * image, as the kernel would after a chroot into the unpacked root. */

#include <stdbool.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "elf-id.h"
#include "isa-read.h"
#include "layer-reader.h"
#include "platform.h"

/* What the checks need of an ELF: ElfId without its 4 KiB interp buffer. */
typedef struct ElfInfo {
        ElfId id_small;   /* id with interp[] unused ("" ): see interp */
        char *interp;     /* PT_INTERP, or NULL when static */
        bool has_platform;
        Platform platform;
        ElfIsa *isa;      /* what it needs of the CPU, when a target asked (isa-read.h), or NULL */
        int isa_error;    /* why isa is NULL although asked: -errno */
} ElfInfo;

typedef struct FsEntry {
        char *path;           /* normalised; for whiteouts the deleted path / the opaque dir */
        char *link;           /* symlink target as written, hardlink target normalised, or NULL */
        char *shebang;        /* "#!" line of a script (without "#!" and blanks), or NULL */
        ElfInfo *elf;         /* NULL when not ELF */
        int elf_error;        /* -EBADMSG: starts like ELF but is malformed */
        LayerEntryType type;
        LayerWhiteout whiteout;
        unsigned layer;
        const struct FsEntry *hardlink_to; /* a hardlink: the regular file it named in its own layer (set by
                                     * fs_model_build()), or NULL when that file was not there */
} FsEntry;

typedef struct LayerScan {
        FsEntry *entries;
        size_t n_entries, n_alloc;
        unsigned layer;
        LayerReadResult result;
        const IsaWant *isa_want;  /* or NULL: no ISA analysis */
        /* The memory budget of the whole image's model, shared by the scans of its layers (they run in
         * parallel): every entry adds what it and its share of the model cost. NULL: no bound. */
        _Atomic uint64_t *model_bytes;
        uint64_t model_max;
} LayerScan;

void layer_scan_done(LayerScan *s);
/* The LayerEntryCallback that fills a LayerScan (userdata). Returns 0, -ENOMEM, or -ENOBUFS when the
 * model would pass its budget (model_max). */
int layer_scan_entry(const LayerEntry *e, void *userdata);

typedef struct FsModel FsModel;

/* Apply scans[0..n) in order (scans[i].layer == i). The model keeps pointers into the scans, which
 * must outlive it. Returns 0 or -ENOMEM. */
int fs_model_build(LayerScan *scans, size_t n, FsModel **ret);
FsModel *fs_model_free(FsModel *m);

/* Call cb for every visible regular ELF file, in path order. */
int fs_model_foreach_elf(FsModel *m, int (*cb)(const FsEntry *e, void *userdata), void *userdata);

/* Resolve path (absolute or relative to the root) following symlinks (at most 40, as the kernel's
 * MAXSYMLINKS) in every component, and hardlinks to their target. Returns 0 with the entry and the
 * resolved path (ret_path may be NULL; a new string), -ENOENT, -ELOOP, -ENOTDIR. */
int fs_model_resolve(FsModel *m, const char *path, const FsEntry **ret, char **ret_path);

/* The first visible regular file whose name starts with prefix in directory dir (for "which loader
 * does this root have": "lib", "ld-musl-"). Returns 0 with its path (new string) or -ENOENT. */
int fs_model_find_prefix(FsModel *m, const char *dir, const char *prefix, char **ret_path);

/* Counts, for the summary. */
size_t fs_model_n_visible(const FsModel *m);
