/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>

#include "error-detail.h"

static int negative(int r) {
        return r < 0 ? r : r > 0 ? -r : -EIO;
}

int error_detail_setv(ErrorDetail *e, int r, const char *format, va_list ap) {
        int saved = errno;

        if (e) {
                errno = r < 0 ? -r : r;
                vsnprintf(e->message, sizeof(e->message), format, ap);
                errno = saved;
        }
        return negative(r);
}

int error_detail_set(ErrorDetail *e, int r, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        r = error_detail_setv(e, r, format, ap);
        va_end(ap);
        return r;
}

int error_detail_set_line(ErrorDetail *e, unsigned line, int r, const char *format, ...) {
        va_list ap;

        if (e)
                e->line = line;
        va_start(ap, format);
        r = error_detail_setv(e, r, format, ap);
        va_end(ap);
        return r;
}

const char *error_detail_or(const ErrorDetail *e, const char *fallback) {
        return e && e->message[0] ? e->message : fallback;
}
