/* threads: eight guest threads call through a table of function pointers (every call and return
 * an indirect branch, so every one goes through the per-thread jump cache that our QEMU's patch
 * 0002 changes) while the main thread maps and unmaps memory. Prints the checksum, which the
 * test computes on the host too. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#define THREADS 8
#define ROUNDS 200000

static uint64_t f0(uint64_t x) { return x * 3 + 1; }
static uint64_t f1(uint64_t x) { return x ^ (x >> 7); }
static uint64_t f2(uint64_t x) { return x + 0x9e3779b97f4a7c15ull; }
static uint64_t f3(uint64_t x) { return (x << 13) | (x >> 51); }
static uint64_t (*const volatile table[4])(uint64_t) = { f0, f1, f2, f3 };

static void *work(void *arg)
{
        uint64_t x = (uintptr_t)arg;

        for (int i = 0; i < ROUNDS; i++)
                x = table[(x >> 3) & 3](x);
        return (void *)(uintptr_t)x;
}

int main(void)
{
        pthread_t t[THREADS];
        uint64_t sum = 0;

        for (uintptr_t i = 0; i < THREADS; i++)
                pthread_create(&t[i], NULL, work, (void *)(i + 1));
        for (int i = 0; i < 200; i++) {
                void *p = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (p != MAP_FAILED)
                        munmap(p, 1 << 16);
        }
        for (int i = 0; i < THREADS; i++) {
                void *r;
                pthread_join(t[i], &r);
                sum += (uintptr_t)r;
        }
        printf("%016llx\n", (unsigned long long)sum);
        return 0;
}
