/* Built with -march=x86-64, x86-64-v2 and x86-64-v3 by tests/cli/check-arch-isa.bats: popcount and a
 * vectorised loop, so each level's build uses that level's instructions (POPCNT and SSE4.1 at v2,
 * AVX2 at v3). */
#include <stdio.h>

int main(int argc, char **argv) {
        unsigned x = (unsigned) argc * 0x01010101u;
        int a[256];

        (void) argv;
        for (int i = 0; i < 256; i++)
                a[i] = (i * argc) * (i + argc);
        long s = 0;
        for (int i = 0; i < 256; i++)
                s += a[i];
        printf("%d %ld\n", __builtin_popcount(x), s);
        return 0;
}
