/* wordfreq [-n N] [FILE...]: the N (default 10) most frequent words of the files (or stdin), one
 * "COUNT WORD" per line, most frequent first; ties in byte order of the word. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "wordfreq.h"

static void add(const char *word, size_t len, void *userdata) { table_add(userdata, word, len); }

static int count_file(Table *t, const char *path) {
        FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
        if (!f) {
                fprintf(stderr, "wordfreq: %s: %s\n", path, strerror(errno));
                return -1;
        }
        words_read(f, add, t);
        if (f != stdin)
                fclose(f);
        return 0;
}

int main(int argc, char **argv) {
        size_t n = 10;
        int c, failed = 0;
        Table t;
        Entry *top;

        while ((c = getopt(argc, argv, "n:m")) != -1)
                switch (c) {
                case 'n': n = strtoul(optarg, NULL, 10); break;
                case 'm': {
                        struct utsname u;
                        uname(&u);
                        printf("wordfreq running on %s\n", u.machine);
                        return 0;
                }
                default:
                        fputs("usage: wordfreq [-m] [-n N] [FILE...]\n", stderr);
                        return 2;
                }
        table_init(&t);
        if (optind == argc)
                failed |= count_file(&t, "-");
        for (int i = optind; i < argc; i++)
                failed |= count_file(&t, argv[i]);
        top = rank_top(&t, &n);
        for (size_t i = 0; i < n; i++)
                printf("%zu %s\n", top[i].count, top[i].word);
        free(top);
        table_free(&t);
        return failed ? 1 : 0;
}
