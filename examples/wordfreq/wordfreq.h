/* wordfreq: count the words of text files and print the most frequent ones. */
#pragma once
#include <stddef.h>
#include <stdio.h>

typedef struct Entry {
        char *word;
        size_t count;
} Entry;

typedef struct Table {
        Entry *slots;
        size_t size, used;
} Table;

/* xalloc.c: allocation that ends the program on failure (a command-line tool, not a library) */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
char *xstrndup(const char *s, size_t n);

/* words.c: call f for each word of f (letters and digits, lower-cased ASCII, apostrophes inside) */
typedef void (*WordFunc)(const char *word, size_t len, void *userdata);
size_t words_read(FILE *in, WordFunc f, void *userdata);

/* table.c: an open-addressing hash table of words and their counts */
void table_init(Table *t);
void table_add(Table *t, const char *word, size_t len);
void table_free(Table *t);

/* rank.c: the entries sorted by count (descending), then by word; n of them or all */
Entry *rank_top(const Table *t, size_t *n);
