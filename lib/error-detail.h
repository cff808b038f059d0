/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Error detail travels one way: from the function that failed to the caller that logs it, in a buffer
 * the caller owns, passed as the last argument (NULL when the caller wants only the -errno). lib/
 * never logs; it says what failed here, naming the object ("the token realm http://... of
 * registry.example: plain HTTP is allowed only ..."), and the program logs that once. The functions
 * return -|r| so that `return error_detail_set(err, r, "...: %m", ...);` is one line. */

#include <stdarg.h>
#include <stddef.h>

#include "macro.h"

#define ERROR_DETAIL_MAX 1024

typedef struct ErrorDetail {
        unsigned line;                   /* 1-based line of the input it is about, 0 when none */
        char message[ERROR_DETAIL_MAX];  /* one line, "" when nothing was said */
} ErrorDetail;

/* Format the message (%m is the error r, of either sign, not errno; errno is left as it was). e may be
 * NULL. Returns -|r| (-EIO for 0). */
_printf_(3, 4) int error_detail_set(ErrorDetail *e, int r, const char *format, ...);
_printf_(3, 0) int error_detail_setv(ErrorDetail *e, int r, const char *format, va_list ap);
/* The same with the line of the input. */
_printf_(4, 5) int error_detail_set_line(ErrorDetail *e, unsigned line, int r, const char *format, ...);

/* The message, or fallback when nothing was said (e may be NULL). */
const char *error_detail_or(const ErrorDetail *e, const char *fallback);
