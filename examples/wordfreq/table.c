#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wordfreq.h"

/* FNV-1a: words are short, any decent spread will do. */
static uint64_t hash(const char *s, size_t n) {
        uint64_t h = 14695981039346656037ull;
        for (size_t i = 0; i < n; i++)
                h = (h ^ (unsigned char) s[i]) * 1099511628211ull;
        return h;
}

void table_init(Table *t) {
        t->size = 64;
        t->used = 0;
        t->slots = xcalloc(t->size, sizeof(Entry));
}

static Entry *probe(Entry *slots, size_t size, const char *word, size_t len) {
        size_t i = (size_t) hash(word, len) & (size - 1);
        while (slots[i].word && (strlen(slots[i].word) != len || memcmp(slots[i].word, word, len) != 0))
                i = (i + 1) & (size - 1);
        return &slots[i];
}

static void grow(Table *t) {
        Entry *old = t->slots;
        size_t old_size = t->size;

        t->size *= 2;
        t->slots = xcalloc(t->size, sizeof(Entry));
        for (size_t i = 0; i < old_size; i++)
                if (old[i].word)
                        *probe(t->slots, t->size, old[i].word, strlen(old[i].word)) = old[i];
        free(old);
}

void table_add(Table *t, const char *word, size_t len) {
        Entry *e;

        if (2 * (t->used + 1) > t->size)
                grow(t);
        e = probe(t->slots, t->size, word, len);
        if (!e->word) {
                e->word = xstrndup(word, len);
                t->used++;
        }
        e->count++;
}

void table_free(Table *t) {
        for (size_t i = 0; i < t->size; i++)
                free(t->slots[i].word);
        free(t->slots);
        *t = (Table) {};
}
