#include <stdlib.h>
#include <string.h>

#include "wordfreq.h"

static int by_count(const void *a, const void *b) {
        const Entry *x = a, *y = b;
        if (x->count != y->count)
                return x->count > y->count ? -1 : 1;
        return strcmp(x->word, y->word);
}

Entry *rank_top(const Table *t, size_t *n) {
        Entry *all = xmalloc(sizeof(Entry) * (t->used ? t->used : 1));
        size_t k = 0;

        for (size_t i = 0; i < t->size; i++)
                if (t->slots[i].word)
                        all[k++] = t->slots[i];
        qsort(all, k, sizeof(Entry), by_count);
        if (*n == 0 || *n > k)
                *n = k;
        return all;
}
