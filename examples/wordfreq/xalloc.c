#include <stdlib.h>
#include <string.h>

#include "wordfreq.h"

static void *check(void *p) {
        if (!p) {
                fputs("wordfreq: out of memory\n", stderr);
                exit(2);
        }
        return p;
}

void *xmalloc(size_t n) { return check(malloc(n ? n : 1)); }
void *xcalloc(size_t n, size_t size) { return check(calloc(n ? n : 1, size ? size : 1)); }

char *xstrndup(const char *s, size_t n) {
        char *p = xmalloc(n + 1);
        memcpy(p, s, n);
        p[n] = 0;
        return p;
}
