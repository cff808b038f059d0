/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* NULL-terminated string vectors (argv-shaped), as image configs carry them (Env, Entrypoint, Cmd). */

#include <stdbool.h>
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

/* The non-empty fields of s between any of the separator characters ("a  b" is two words), as a new
 * strv (empty, not NULL, when s has none). Returns 0 or -ENOMEM. */
int strv_split(const char *s, const char *separators, char ***ret);

/* Environment-shaped vectors ("K=V", or a bare "K" for a name declared without a value).
 * strv_env_get: the value of name, or NULL when absent or bare (*ret_bare, when given, says which).
 * strv_env_set: set name to value (a bare "K" when value is NULL), replacing an earlier entry of the
 * same name in place, else appending. Returns 0 or -ENOMEM. */
const char *strv_env_get(char * const *l, const char *name, bool *ret_bare);
int strv_env_set(char ***l, const char *name, const char *value);
