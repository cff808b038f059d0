/* Uses AVX2 only after asking the CPU: must pass a check against x86-64 (v1). Two forms: a branch on
 * __builtin_cpu_supports() around a call, and GCC function multiversioning (target_clones: an ifunc). */
#include <stdio.h>

__attribute__((target("avx2"), noinline)) static int sum_avx2(const int *a, int n) {
        int s = 0;
        for (int i = 0; i < n; i++)
                s += a[i] * 3;
        return s;
}

__attribute__((noinline)) static int sum_plain(const int *a, int n) {
        int s = 0;
        for (int i = 0; i < n; i++)
                s += a[i] * 3;
        return s;
}

__attribute__((target_clones("default", "avx2", "arch=x86-64-v4"), noinline)) int scale(int *a, int n) {
        for (int i = 0; i < n; i++)
                a[i] = a[i] * 7 + 1;
        return a[n - 1];
}

int main(int argc, char **argv) {
        int a[64];

        for (int i = 0; i < 64; i++)
                a[i] = i + argc;
        (void) argv;
        __builtin_cpu_init();
        printf("%d %d\n", __builtin_cpu_supports("avx2") ? sum_avx2(a, 64) : sum_plain(a, 64), scale(a, 64));
        return 0;
}
