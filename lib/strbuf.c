/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

int strbuf_putn(StrBuf *b, const char *s, size_t n) {
        if (b->error < 0)
                return b->error;
        if (n > SIZE_MAX / 2 - b->len - 1)
                return b->error = -ENOMEM;
        if (b->len + n + 1 > b->cap) {
                size_t cap = (b->len + n + 1) * 2;
                char *t = realloc(b->s, cap);

                if (!t)
                        return b->error = -ENOMEM;
                b->s = t;
                b->cap = cap;
        }
        memcpy(b->s + b->len, s, n);
        b->len += n;
        b->s[b->len] = 0;
        return 0;
}

int strbuf_putc(StrBuf *b, char c) {
        return strbuf_putn(b, &c, 1);
}

void strbuf_printf(StrBuf *b, const char *format, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;
        int k;

        va_start(ap, format);
        k = vasprintf(&s, format, ap);
        va_end(ap);
        if (k < 0)
                b->error = -ENOMEM;
        else
                (void) strbuf_putn(b, s, (size_t) k);
}

char *strbuf_steal(StrBuf *b) {
        char *s = b->s ? b->s : strdup("");

        *b = (StrBuf) {};
        return s;
}

void strbuf_done(StrBuf *b) {
        free(b->s);
        *b = (StrBuf) {};
}
