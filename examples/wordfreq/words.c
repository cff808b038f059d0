#include <ctype.h>

#include "wordfreq.h"

#define WORD_MAX 256

static int is_word_char(int c) { return isalnum(c) || c >= 0x80; }

/* A word: letters, digits and bytes of multi-byte characters; an apostrophe only between two of
 * them ("don't"). Longer words are cut at WORD_MAX bytes. */
size_t words_read(FILE *in, WordFunc f, void *userdata) {
        char word[WORD_MAX];
        size_t len = 0, n = 0;
        int c, pending_quote = 0;

        while ((c = getc(in)) != EOF) {
                if (is_word_char(c)) {
                        if (pending_quote && len < WORD_MAX)
                                word[len++] = '\'';
                        pending_quote = 0;
                        if (len < WORD_MAX)
                                word[len++] = (char) (c < 0x80 ? tolower(c) : c);
                        continue;
                }
                if (c == '\'' && len > 0 && !pending_quote) {
                        pending_quote = 1;
                        continue;
                }
                pending_quote = 0;
                if (len > 0) {
                        f(word, len, userdata);
                        n++;
                        len = 0;
                }
        }
        if (len > 0) {
                f(word, len, userdata);
                n++;
        }
        return n;
}
