/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Reading an ELF file's bytes for lib/elf-isa, from a tree (mmap) or a layer stream (a buffer of at
 * most ELF_ISA_FILE_MAX bytes, read forward with layer_reader_read_at(), freed before the next
 * entry), and only for the files a target asks about. */

#include <stdbool.h>

#include "elf-id.h"
#include "elf-isa.h"
#include "isa-check.h"
#include "layer-reader.h"

typedef struct IsaWant {
        bool any;                          /* some file may need reading */
        bool all;                          /* --isa: every file of a known arch, for the report */
        bool arch[_ISA_ARCH_MAX];          /* an active target of this arch */
        IsaFeatures have[_ISA_ARCH_MAX];   /* what every active target of the arch has */
        uint64_t code_max;                 /* --isa-code-max, 0: the default */
        uint64_t file_max;                 /* bytes of a file read, 0: ELF_ISA_FILE_MAX (tests use less) */
} IsaWant;

void isa_want_init(IsaWant *w, const IsaTarget *targets, size_t n, bool all);
/* Whether id is a file to analyse. */
bool isa_want_file(const IsaWant *w, const ElfId *id);

/* Analyse the file open at fd (mapped, at most ELF_ISA_FILE_MAX bytes, and its section header table
 * by pread when it lies past them). Returns 0 with a new ElfIsa (free with isa_free()), or -errno /
 * -EBADMSG. */
int isa_read_fd(const IsaWant *w, int fd, const ElfId *id, ElfIsa **ret);
/* For the regular ELF file of a layer entry, inside the entry callback: when w wants it, read it whole
 * (up to ELF_ISA_FILE_MAX, and the section header table when it lies past that, reading forward),
 * identify it into *id from those bytes and analyse it. Returns 1 with both (*ret NULL when the
 * analysis failed although the file was identified),
 * 0 when w does not want the file (nothing read, *ret untouched), or -errno / -EBADMSG. */
int isa_identify_layer(const IsaWant *w, const LayerEntry *e, ElfId *id, ElfIsa **ret);
void isa_free(ElfIsa *isa);
