/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A growable NUL-terminated string. Appends return 0 or -ENOMEM; the first failure also sticks in
 * error, so a run of appends can be checked once at the end (strbuf_printf returns void for that). */

#include <stddef.h>

#include "macro.h"

typedef struct StrBuf {
        char *s;          /* NULL until something was appended */
        size_t len, cap;
        int error;        /* the first failure, or 0 */
} StrBuf;

int strbuf_putn(StrBuf *b, const char *s, size_t n);
int strbuf_putc(StrBuf *b, char c);
_printf_(2, 3) void strbuf_printf(StrBuf *b, const char *format, ...);
/* Hand the string on (an empty buffer gives ""), leaving b empty. NULL when out of memory. */
char *strbuf_steal(StrBuf *b);
void strbuf_done(StrBuf *b);
