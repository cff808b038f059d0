/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "strv.h"

char **strv_free(char **l) {
        if (!l)
                return NULL;
        for (char **s = l; *s; s++)
                free(*s);
        free(l);
        return NULL;
}

size_t strv_length(char * const *l) {
        size_t n = 0;

        if (l)
                while (l[n])
                        n++;
        return n;
}

int strv_copy(char * const *l, char ***ret) {
        size_t n = strv_length(l);
        char **c;

        if (!l) {
                *ret = NULL;
                return 0;
        }
        c = calloc(n + 1, sizeof(char *));
        if (!c)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                c[i] = strdup(l[i]);
                if (!c[i]) {
                        strv_free(c);
                        return -ENOMEM;
                }
        }
        *ret = c;
        return 0;
}

int strv_consume(char ***l, char *s) {
        size_t n = strv_length(*l);
        char **c;

        if (!s)
                return -ENOMEM;
        c = realloc(*l, (n + 2) * sizeof(char *));
        if (!c) {
                free(s);
                return -ENOMEM;
        }
        c[n] = s;
        c[n + 1] = NULL;
        *l = c;
        return 0;
}

int strv_extend(char ***l, const char *s) {
        return strv_consume(l, strdup(s));
}

int strv_split(const char *s, const char *separators, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        int r;

        if (!l)
                return -ENOMEM;
        for (s += strspn(s, separators); *s; s += strspn(s, separators)) {
                size_t n = strcspn(s, separators);
                if ((r = strv_consume(&l, strndup(s, n))) < 0)
                        return r;
                s += n;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* The entry of l that is name, as "name=..." or a bare "name"; NULL when there is none. */
static char * const *env_find(char * const *l, const char *name) {
        size_t n = strlen(name);

        for (char * const *p = l; p && *p; p++)
                if (strneq(*p, name, n) && ((*p)[n] == '=' || (*p)[n] == 0))
                        return p;
        return NULL;
}

const char *strv_env_get(char * const *l, const char *name, bool *ret_bare) {
        char * const *p = env_find(l, name);
        const char *eq = p ? strchr(*p, '=') : NULL;

        if (ret_bare)
                *ret_bare = p && !eq;
        return eq ? eq + 1 : NULL;
}

int strv_env_set(char ***l, const char *name, const char *value) {
        char *pair = NULL;
        char **p;

        if (value ? asprintf(&pair, "%s=%s", name, value) < 0 : !(pair = strdup(name)))
                return -ENOMEM;
        p = (char **) env_find(*l, name);
        if (!p)
                return strv_consume(l, pair);
        free(*p);
        *p = pair;
        return 0;
}
