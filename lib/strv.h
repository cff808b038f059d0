/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* NULL-terminated string vectors (argv-shaped), as image configs carry them (Env, Entrypoint, Cmd). */

#include <stddef.h>

#include "macro.h"

/* Frees every string and the vector; NULL is fine. Returns NULL. */
char **strv_free(char **l);
static inline void strv_freep(char ***l) {
        strv_free(*l);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)

/* Number of strings before the NULL; 0 for NULL. */
size_t strv_length(char * const *l);

/* Deep copy; NULL copies to a NULL vector (returns 0 and *ret = NULL). Returns 0 or -ENOMEM. */
int strv_copy(char * const *l, char ***ret);

/* Append a copy of s, growing *l. Returns 0 or -ENOMEM (*l unchanged then). */
int strv_extend(char ***l, const char *s);
/* Append s itself (taken over: freed on failure; NULL is -ENOMEM, so a failed strdup() can be passed
 * straight in). */
int strv_consume(char ***l, char *s);
