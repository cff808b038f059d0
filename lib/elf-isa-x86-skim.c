/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The prefilter of the x86-64 sweep: most of a distribution's code needs nothing past the baseline, and
 * proving that took one Zydis decode per instruction. An instruction with a feature (elf-isa-x86.c's
 * x86_feature()) has recognisable bytes right after its legacy and REX prefixes, its "key": 0F and an
 * opcode of the few that have such forms (0F 38 and 0F 3A: the maps), a VEX (C4, C5), EVEX (62) or XOP
 * (8F) prefix with a payload byte naming a map, lahf/sahf (9E, 9F), xbegin/xabort (C7 F8, C6 F8). The
 * table is checked against Zydis in tests/unit/test-elf-isa-skim.c. Code without a key needs no
 * decoding; around a key, the question is whether the sweep's instruction there has a feature:
 *   1. Decode from the key and from each prefix byte right before it: when none of these starts an
 *      instruction with a feature that reaches the key, no instruction of any sweep has it there (most
 *      keys: C5 as the ModRM of `mov rbp, rax`, 0F BD as bsr).
 *   2. Otherwise find the sweep's own instruction boundaries there, exactly: the sweep is at a known
 *      boundary after the last place it was followed; close to it (WALK_MAX bytes), follow it from there.
 *      Further, start BACK bytes before the key at each of 15 consecutive offsets: the sweep has a
 *      boundary among them (no instruction is longer than 15 bytes) and its step only depends on the
 *      position, so these walks merge (x86 re-synchronises within a few instructions) into the
 *      sweep's own; once merged before the key, follow it through the key. When they only merge past
 *      the key, with a feature on one of them, start 4 times further back, up to the known boundary.
 * So the answer is the full sweep's, not an approximation: a file is skipped only when the sweep would
 * have found no instruction with a feature in it, and then the sweep was done after its first pass
 * anyway (elf-isa-x86.c). A file where one is found is swept whole, as before. The walks take at most
 * as many decodes as the whole sweep would: past that the sweep answers (code made to defeat them). */
#include <pthread.h>
#include <string.h>

#include "elf-isa-x86.h"
#include "macro.h"

/* ---- keys -------------------------------------------------------------------------------------- */

/* The second bytes after 0F of the opcodes that have a form with a feature (any mandatory prefix):
 * 01 (monitor, xend), 0E 0F (3DNow!), 12 16 (SSE3 movsldup ...), 2B 78 79 (SSE4a), 38 3A (the maps),
 * 7C 7D D0 F0 (SSE3), AE (fsgsbase), B8 BD (popcnt, lzcnt), C7 (cmpxchg16b, rdrand, rdseed). */
static const uint8_t key_0f[] = { 0x01, 0x0e, 0x0f, 0x12, 0x16, 0x2b, 0x38, 0x3a, 0x78, 0x79,
                                  0x7c, 0x7d, 0xae, 0xb8, 0xbd, 0xc7, 0xd0, 0xf0 };

bool x86_skim_key(uint8_t a, uint8_t b) {
        switch (a) {
        case 0x0f:
                return memchr(key_0f, b, sizeof(key_0f)) != NULL;
        case 0xc4:         /* VEX3: mmmmm = 1..3 */
                return (b & 0x1f) >= 1 && (b & 0x1f) <= 3;
        case 0xc5:         /* VEX2: any payload */
        case 0x9e: case 0x9f:
                return true;
        case 0x62:         /* EVEX: P0 bit 3 clear, mmm = 1, 2, 3, 5 (FP16), 6 (FP16) */
                return !(b & 0x08) && (b & 0x07) != 0 && (b & 0x07) != 4 && (b & 0x07) != 7;
        case 0x8f:         /* XOP: mmmmm = 8..10 (POP r/m has reg 0 there) */
                return (b & 0x1f) >= 8 && (b & 0x1f) <= 10;
        case 0xc6: case 0xc7:
                return b == 0xf8;
        default:
                return false;
        }
}

/* x86_skim_key() as a bit per pair of bytes (index: first byte | second byte << 8), and the legacy
 * and REX prefixes */
static uint64_t key_bits[65536 / 64];
static bool prefix[256];
static pthread_once_t skim_once = PTHREAD_ONCE_INIT;

static void skim_init(void) {
        static const uint8_t legacy[] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3 };

        for (unsigned i = 0; i < 65536; i++)
                if (x86_skim_key((uint8_t) i, (uint8_t) (i >> 8)))
                        key_bits[i / 64] |= UINT64_C(1) << (i % 64);
        for (size_t i = 0; i < ELEMENTSOF(legacy); i++)
                prefix[legacy[i]] = true;
        for (unsigned r = 0x40; r <= 0x4f; r++)
                prefix[r] = true;
}

static bool key_at(const uint8_t *p) {
        unsigned i = p[0] | (unsigned) p[1] << 8;

        return key_bits[i / 64] >> (i % 64) & 1;
}

/* ---- the sweep's boundaries around a key --------------------------------------------------------- */

#define WALK_MAX 128   /* follow the sweep from its known boundary when the key is this close */
#define BACK 32        /* else start the 15 walks this far before the key (then 4x, 16x ...) */
#define STARTS 15      /* ZYDIS_MAX_INSTRUCTION_LENGTH */

typedef struct Skim {
        const uint8_t *code;
        uint64_t size;
        ZydisDecoder d;
        /* a boundary of the sweep, before which every instruction of it that covers a key has been
         * looked at and has no feature */
        uint64_t at;
        /* decodes left: about what the whole sweep takes (one per 4 bytes). Code made to defeat the
         * walks (keys everywhere, walks that never merge) then gets the whole sweep, not more. */
        uint64_t steps_left;
} Skim;

/* The sweep's step at i; past the budget, a feature everywhere: the answer is then "sweep it". */
static unsigned step(Skim *k, uint64_t i, int *ret_feature) {
        if (k->steps_left == 0) {
                *ret_feature = 0;
                return 1;
        }
        k->steps_left--;
        return x86_step(&k->d, k->code + i, k->size - i, ret_feature);
}

/* Step 1: whether an instruction with a feature may have its key at c, on any sweep. */
static bool key_may_open(Skim *k, uint64_t c) {
        uint64_t s = c;

        while (s > 0 && c - s < STARTS - 1 && prefix[k->code[s - 1]])
                s--;
        for (; s <= c; s++) {
                int f;
                unsigned n = step(k, s, &f);

                if (f >= 0 && s + n > c)
                        return true;
        }
        return false;
}

/* Follow the sweep from k->at through the instruction that covers c. Returns 1 when an instruction
 * on the way has a feature, 0 when none has. */
static int walk(Skim *k, uint64_t c) {
        while (k->at <= c) {
                int f;

                k->at += step(k, k->at, &f);
                if (f >= 0)
                        return 1;
        }
        return 0;
}

/* The STARTS walks from a = c - back (> k->at), as a sorted set of where each stands: walks that
 * meet are one from there on. Returns 1 or 0 as walk() does, once they merged before c, or once they
 * merged after it with no feature from c on, on any of them; -1 when unsure. */
static int walks(Skim *k, uint64_t c, uint64_t back) {
        uint64_t pos[STARTS], a = c - back;
        unsigned n = 0;
        bool feature = false;

        for (unsigned j = 0; j < STARTS && a + j < k->size; j++)
                pos[n++] = a + j;
        while (n > 1 && pos[0] <= c) {
                uint64_t lo = pos[0], next;
                unsigned len, j;
                int f;

                if (k->steps_left == 0)
                        return 1;

                len = step(k, lo, &f);
                feature = feature || (f >= 0 && lo + len > c);
                next = lo + len;
                /* take lo out, put next in its place in the order unless a walk stands there */
                for (j = 1; j < n && pos[j] < next; j++)
                        pos[j - 1] = pos[j];
                if (j < n && pos[j] == next) {
                        memmove(pos + j - 1, pos + j, (n - j) * sizeof(pos[0]));
                        n--;
                } else
                        pos[j - 1] = next;
        }
        if (n == 1 && pos[0] < k->size && (pos[0] <= c || !feature)) {
                /* merged: the sweep's own from here */
                k->at = pos[0];
                return pos[0] <= c ? walk(k, c) : 0;
        }
        return feature ? -1 : 0;   /* every walk went past c */
}

/* Whether the sweep's instruction covering c (or one on the way to it) has a feature: 1 or 0. */
static int resolve(Skim *k, uint64_t c) {
        if (c - k->at <= WALK_MAX)
                return walk(k, c);
        for (uint64_t back = BACK;; back *= 4) {
                int r;

                if (c - k->at <= back)
                        return walk(k, c);
                r = walks(k, c, back);
                if (r >= 0)
                        return r;
        }
}

int x86_skim(const uint8_t *code, uint64_t size) {
        Skim k = { .code = code, .size = size, .steps_left = size / 4 + 1024 };

        (void) pthread_once(&skim_once, skim_init);
        x86_tables_init();
        x86_decoder_init(&k.d, true);
        for (uint64_t c = 0; c + 1 < size; c++)
                if (key_at(code + c) && c >= k.at && key_may_open(&k, c) && resolve(&k, c) > 0)
                        return 1;
        /* the last byte: a pair cut by the end is no key, but lahf and sahf are one byte */
        if (size > 0 && x86_skim_key(code[size - 1], 0x00) && size - 1 >= k.at && key_may_open(&k, size - 1) &&
            resolve(&k, size - 1) > 0)
                return 1;
        return 0;
}
