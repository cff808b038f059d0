/* Built with -march=armv8.1-a (or -mcpu=neoverse-n1): LSE atomics inline, no run-time check. */
#include <stdio.h>

long counter;

int main(int argc, char **argv) {
        (void) argv;
        printf("%ld\n", __atomic_fetch_add(&counter, argc, __ATOMIC_SEQ_CST) + __atomic_fetch_add(&counter, 1, __ATOMIC_SEQ_CST));
        return 0;
}
