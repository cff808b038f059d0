/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include "macro.h"

/* Format a one-line error into BUF (SIZE bytes, always terminated), with %m meaning the error R
 * (either sign) rather than whatever errno holds. errno is left as it was. Returns -|R|, so that
 * callers can write `return errbuf_set(buf, size, r, "Failed to open %s: %m", path);`. */
_printf_(4, 5) int errbuf_set(char *buf, size_t size, int r, const char *format, ...);

/* The same with a va_list, for callers that are printf-like themselves. */
_printf_(4, 0) int errbuf_setv(char *buf, size_t size, int r, const char *format, va_list ap);
