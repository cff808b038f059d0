/* Uses LSE atomics only where the CPU has them: GCC's outline atomics (the default on Debian: libgcc
 * helpers test a flag set from AT_HWCAP) and a function built for armv8.1-a called after a HWCAP
 * check. Must pass a check against armv8-a (cortex-a72). */
#include <stdio.h>
#include <sys/auxv.h>

#ifndef HWCAP_ATOMICS
#define HWCAP_ATOMICS (1 << 8)
#endif

static long counter;

__attribute__((target("arch=armv8.1-a"), noinline)) static long add_lse(long *p, long v) {
        return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}

__attribute__((noinline)) static long add_outline(long *p, long v) {
        return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}

int main(int argc, char **argv) {
        long a = (getauxval(AT_HWCAP) & HWCAP_ATOMICS) ? add_lse(&counter, argc) : add_outline(&counter, argc);

        (void) argv;
        printf("%ld %ld\n", a, add_outline(&counter, 2));
        return 0;
}
