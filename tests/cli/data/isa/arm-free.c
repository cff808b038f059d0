/* A freestanding AArch32 program (Debian's armhf glibc is ARMv7 code, which an ARMv6 CPU cannot run):
 * it reads AT_HWCAP from its auxiliary vector and runs a NEON instruction only when the CPU has NEON.
 * The instruction is written as a word, as hand-written dispatch code often is, so nothing declares
 * it. Prints "neon" or "plain". Built in ARM mode (the word is an A32 encoding) for ARMv6 and ARMv7 by
 * tests/cli/check-arch-isa.bats; the ARMv7 build also runs DMB, which ARMv6 does not have. */
#define AT_HWCAP 16
#define HWCAP_NEON (1 << 12)

static long sys3(long n, long a, long b, long c) {
        register long r7 __asm__("r7") = n;
        register long r0 __asm__("r0") = a;
        register long r1 __asm__("r1") = b;
        register long r2 __asm__("r2") = c;

        __asm__ volatile("svc 0" : "+r"(r0) : "r"(r7), "r"(r1), "r"(r2) : "memory");
        return r0;
}

__attribute__((noinline)) static void neon_work(void) {
        __asm__ volatile(".inst 0xf2200840" ::: "memory"); /* vadd.i32 q0, q0, q0 */
}

void start_c(long *sp);
void start_c(long *sp) {
        long argc = sp[0], *p = sp + 1 + argc + 1, hwcap = 0;

#if __ARM_ARCH >= 7
        __asm__ volatile("dmb ish" ::: "memory");
#endif
        while (*p)
                p++;
        for (p++; p[0]; p += 2)
                if (p[0] == AT_HWCAP)
                        hwcap = p[1];
        if (hwcap & HWCAP_NEON) {
                neon_work();
                sys3(4, 1, (long) "neon\n", 5);
        } else
                sys3(4, 1, (long) "plain\n", 6);
        sys3(1, 0, 0, 0);
}

__asm__(".global _start\n_start:\n\tmov r0, sp\n\tbl start_c\n");
