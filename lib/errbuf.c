/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "errbuf.h"

int errbuf_setv(char *buf, size_t size, int r, const char *format, va_list ap) {
        int saved = errno;

        errno = r < 0 ? -r : r;
        vsnprintf(buf, size, format, ap);
        errno = saved;
        return r < 0 ? r : -r;
}

int errbuf_set(char *buf, size_t size, int r, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        r = errbuf_setv(buf, size, r, format, ap);
        va_end(ap);
        return r;
}
