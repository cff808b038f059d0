/* stale-code: guest code that changes under a direct jump from another page. Built for arm64
 * by tests/cli/qemu.bats and run under our qemu-aarch64, whose patch 0001 chains translation
 * blocks across guest pages (docs/qemu.md, "Our patches"). Each step calls page A, which
 * branches straight (`b`, chained after the first runs) into page B, after B has been
 * rewritten, remapped, or made non-executable; a stale chained jump would return the old value
 * or run code it may not. Prints "1 2 3 4 segv". */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MOV_W0(n) (0x52800000u | ((uint32_t)(n) << 5))  /* movz w0, #n */
#define RET 0xd65f03c0u
#define B(from, to) (0x14000000u | ((uint32_t)(((to) - (from)) / 4) & 0x3ffffffu))

static sigjmp_buf segv_jmp;

static void on_segv(int sig) { (void)sig; siglongjmp(segv_jmp, 1); }

static void put_code(uint32_t *at, const uint32_t *code, size_t n)
{
        memcpy(at, code, n * sizeof(*code));
        __builtin___clear_cache((char *)at, (char *)(at + n));
}

/* Call page A many times (the first runs link the jump), return the last result. */
static int call_a(char *a)
{
        int (*fn)(void) = (int (*)(void))(void *)a;
        int r = 0;

        for (int i = 0; i < 1000; i++)
                r = fn();
        return r;
}

static void set_b(char *b, long page, int prot, int value)
{
        uint32_t code[] = { MOV_W0(value), RET };

        mprotect(b, page, PROT_READ | PROT_WRITE);
        put_code((uint32_t *)b, code, 2);
        mprotect(b, page, prot);
}

int main(void)
{
        long page = sysconf(_SC_PAGESIZE);
        char *a = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        char *b = a + page;
        uint32_t jump;

        if (a == MAP_FAILED)
                return 2;
        jump = B((intptr_t)a, (intptr_t)b);
        put_code((uint32_t *)a, &jump, 1);
        mprotect(a, page, PROT_READ | PROT_EXEC);

        set_b(b, page, PROT_READ | PROT_EXEC, 1);
        printf("%d", call_a(a));
        set_b(b, page, PROT_READ | PROT_EXEC, 2);       /* rewritten through mprotect */
        printf(" %d", call_a(a));

        munmap(b, page);                                /* unmapped, mapped again */
        if (mmap(b, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != b)
                return 2;
        set_b(b, page, PROT_READ | PROT_EXEC, 3);
        printf(" %d", call_a(a));

        set_b(b, page, PROT_READ | PROT_WRITE | PROT_EXEC, 3);  /* written while executable */
        {
                uint32_t four = MOV_W0(4);
                put_code((uint32_t *)b, &four, 1);
        }
        printf(" %d", call_a(a));

        mprotect(b, page, PROT_READ);                   /* no longer executable */
        signal(SIGSEGV, on_segv);
        fflush(stdout);
        if (sigsetjmp(segv_jmp, 1) == 0)
                printf(" ran %d\n", call_a(a));
        else
                printf(" segv\n");
        return 0;
}
