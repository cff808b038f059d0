/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "sha256.h"

/* FIPS 180-4 section 4.2.2: the first 32 bits of the fractional parts of the cube roots of the first
 * 64 primes. */
static const uint32_t K[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, unsigned n) {
        return (x >> n) | (x << (32 - n));
}

static void compress(uint32_t h[static 8], const uint8_t block[static 64]) {
        uint32_t w[64], v[8];

        for (unsigned i = 0; i < 16; i++)
                w[i] = (uint32_t) block[4 * i] << 24 | (uint32_t) block[4 * i + 1] << 16 |
                       (uint32_t) block[4 * i + 2] << 8 | block[4 * i + 3];
        for (unsigned i = 16; i < 64; i++) {
                uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
                uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
                w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        memcpy(v, h, sizeof(v));
        for (unsigned i = 0; i < 64; i++) {
                uint32_t S1 = ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25);
                uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
                uint32_t t1 = v[7] + S1 + ch + K[i] + w[i];
                uint32_t S0 = ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22);
                uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
                memmove(v + 1, v, 7 * sizeof(v[0]));
                v[4] += t1;
                v[0] = t1 + S0 + maj;
        }
        for (unsigned i = 0; i < 8; i++)
                h[i] += v[i];
}

void sha256_init(Sha256 *s) {
        /* Section 5.3.3: the fractional parts of the square roots of the first 8 primes. */
        static const uint32_t h0[8] = {
                0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
        };
        memcpy(s->h, h0, sizeof(h0));
        s->length = 0;
        s->fill = 0;
}

void sha256_update(Sha256 *s, const void *data, size_t size) {
        const uint8_t *p = data;

        s->length += size;
        while (size > 0) {
                size_t n = sizeof(s->block) - s->fill;
                if (n > size)
                        n = size;
                memcpy(s->block + s->fill, p, n);
                s->fill += n;
                p += n;
                size -= n;
                if (s->fill == sizeof(s->block)) {
                        compress(s->h, s->block);
                        s->fill = 0;
                }
        }
}

void sha256_final(Sha256 *s, uint8_t ret[static SHA256_DIGEST_SIZE]) {
        uint64_t bits = s->length * 8;
        uint8_t pad = 0x80;

        /* Section 5.1.1: a 1 bit, zeros up to 56 mod 64, then the length in bits, big-endian. */
        sha256_update(s, &pad, 1);
        pad = 0;
        while (s->fill != 56)
                sha256_update(s, &pad, 1);
        for (int i = 7; i >= 0; i--) {
                uint8_t b = (uint8_t) (bits >> (8 * i));
                sha256_update(s, &b, 1);
        }
        for (unsigned i = 0; i < 8; i++) {
                ret[4 * i] = (uint8_t) (s->h[i] >> 24);
                ret[4 * i + 1] = (uint8_t) (s->h[i] >> 16);
                ret[4 * i + 2] = (uint8_t) (s->h[i] >> 8);
                ret[4 * i + 3] = (uint8_t) s->h[i];
        }
}

int sha256_fd(int fd, uint8_t ret[static SHA256_DIGEST_SIZE]) {
        uint8_t buf[64 * 1024];
        Sha256 s;
        off_t off = 0;

        sha256_init(&s);
        for (;;) {
                ssize_t n = pread(fd, buf, sizeof(buf), off);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                sha256_update(&s, buf, (size_t) n);
                off += n;
        }
        sha256_final(&s, ret);
        return 0;
}
