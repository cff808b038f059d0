/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* SHA-256 (FIPS 180-4) without allocation or dependencies, for the static shim: a routing rule may
 * name its program by content hash. Written from the standard; tested against its example vectors. */

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32

typedef struct Sha256 {
        uint32_t h[8];
        uint64_t length;   /* bytes hashed so far */
        uint8_t block[64];
        size_t fill;       /* bytes in block */
} Sha256;

void sha256_init(Sha256 *s);
void sha256_update(Sha256 *s, const void *data, size_t size);
/* Finish and write the digest; s must be initialised again before reuse. */
void sha256_final(Sha256 *s, uint8_t ret[static SHA256_DIGEST_SIZE]);

/* Hash the whole file open at fd with pread (offset untouched), in chunks through a stack buffer.
 * Returns 0, or -errno from pread. ret is written only on success. */
int sha256_fd(int fd, uint8_t ret[static SHA256_DIGEST_SIZE]);
