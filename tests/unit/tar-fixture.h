/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Layer tarballs built in memory (libarchive, pax), plain, gzip or zstd, for the unit tests of the
 * layer reader and extractor. */

#include <archive.h>
#include <archive_entry.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci.h"

typedef struct Buf {
        uint8_t *data;
        size_t size;
} Buf;

/* One tar entry. type is AE_IFREG, AE_IFDIR or AE_IFLNK; a hardlink is AE_IFREG with link set. data
 * is size bytes, or a string when size is 0. Every entry gets TAR_OWNER and TAR_MTIME. */
typedef struct Ent {
        const char *name;
        int type;
        mode_t mode;
        const char *data;
        const char *link;      /* symlink target (AE_IFLNK) or hardlink target (AE_IFREG) */
        size_t size;
} Ent;

#define FILE_(n, m, d) { .name = (n), .type = AE_IFREG, .mode = (m), .data = (d) }
#define DIR_(n, m)     { .name = (n), .type = AE_IFDIR, .mode = (m) }
#define LINK_(n, t)    { .name = (n), .type = AE_IFLNK, .mode = 0777, .link = (t) }
#define HARD_(n, t)    { .name = (n), .type = AE_IFREG, .mode = 0644, .link = (t) }

#define TAR_MTIME 1234567890
#define TAR_OWNER 4321

/* A writer filling b (zeroed) until tar_close(), compressed as c. */
struct archive *tar_open(Buf *b, OciCompression c);
void tar_add(struct archive *a, const Ent *x);
/* The finished layer (b, or its zstd form: b's memory is taken over). */
Buf tar_close(struct archive *a, Buf *b, OciCompression c);

/* A layer of the n entries. */
Buf tar_make(const Ent *ents, size_t n, OciCompression c);
#define LAYER(ents, c) tar_make((ents), ELEMENTSOF(ents), (c))

/* A layer holding one sparse file of size bytes whose only data is the last 4 KiB of 'S'. */
Buf tar_make_sparse(const char *name, int64_t size);
