/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json-util.h"
#include "strv.h"

int json_parse_buffer(const void *buf, size_t size, size_t max, json_object **ret) {
        json_tokener *tok;
        json_object *o;
        size_t end;

        if (size > max)
                return -E2BIG;
        if (size > INT32_MAX)
                return -E2BIG;
        tok = json_tokener_new();
        if (!tok)
                return -ENOMEM;
        o = json_tokener_parse_ex(tok, buf, (int) size);
        if (!o || json_tokener_get_error(tok) != json_tokener_success) {
                json_object_put(o);
                json_tokener_free(tok);
                return -EBADMSG;
        }
        end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        for (; end < size; end++)
                if (!strchr(" \t\r\n", ((const char *) buf)[end])) {
                        json_object_put(o);
                        return -EBADMSG;
                }
        *ret = o;
        return 0;
}


/* A string member: -EBADMSG when present but not a string, or absent and required; *ret NULL when
 * absent and optional. */
int json_get_string(json_object *o, const char *key, bool required, char **ret) {
        json_object *v;
        char *s;

        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) {
                if (required)
                        return -EBADMSG;
                *ret = NULL;
                return 0;
        }
        if (!json_object_is_type(v, json_type_string))
                return -EBADMSG;
        s = strdup(json_object_get_string(v));
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* An array of strings member, as a strv; NULL when absent or null. */
int json_get_strv(json_object *o, const char *key, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        json_object *v;
        size_t n;

        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) {
                *ret = NULL;
                return 0;
        }
        if (!json_object_is_type(v, json_type_array))
                return -EBADMSG;
        n = json_object_array_length(v);
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(v, i);

                if (!json_object_is_type(e, json_type_string))
                        return -EBADMSG;
                l[i] = strdup(json_object_get_string(e));
                if (!l[i])
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* The keys of an object member (ExposedPorts, Volumes), as a strv; NULL when absent. */
int json_get_keys(json_object *o, const char *key, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        json_object *v;
        int r;

        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) {
                *ret = NULL;
                return 0;
        }
        if (!json_object_is_type(v, json_type_object))
                return -EBADMSG;
        json_object_object_foreach(v, k, _val) {
                (void) _val;
                r = strv_extend(&l, k);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* An object member kept as a new reference (annotations, labels); values must be strings. */
int json_get_string_map(json_object *o, const char *key, json_object **ret) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) {
                *ret = NULL;
                return 0;
        }
        if (!json_object_is_type(v, json_type_object))
                return -EBADMSG;
        json_object_object_foreach(v, _k, val) {
                (void) _k;
                if (!json_object_is_type(val, json_type_string))
                        return -EBADMSG;
        }
        *ret = json_object_get(v);
        return 0;
}

int json_add_string(json_object *o, const char *key, const char *value) {
        json_object *v;

        if (!value)
                return 0;
        v = json_object_new_string(value);
        if (!v || json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

int json_add_strv(json_object *o, const char *key, char * const *l) {
        json_object *a;

        if (!l)
                return 0;
        a = json_object_new_array();
        if (!a)
                return -ENOMEM;
        for (char * const *s = l; *s; s++) {
                json_object *v = json_object_new_string(*s);
                if (!v || json_object_array_add(a, v) < 0) {
                        json_object_put(v);
                        json_object_put(a);
                        return -ENOMEM;
                }
        }
        if (json_object_object_add(o, key, a) < 0) {
                json_object_put(a);
                return -ENOMEM;
        }
        return 0;
}

/* {"key": {}} per string, as ExposedPorts and Volumes are written. */
int json_add_keys(json_object *o, const char *key, char * const *l) {
        json_object *m;

        if (!l)
                return 0;
        m = json_object_new_object();
        if (!m)
                return -ENOMEM;
        for (char * const *s = l; *s; s++) {
                json_object *e = json_object_new_object();
                if (!e || json_object_object_add(m, *s, e) < 0) {
                        json_object_put(e);
                        json_object_put(m);
                        return -ENOMEM;
                }
        }
        if (json_object_object_add(o, key, m) < 0) {
                json_object_put(m);
                return -ENOMEM;
        }
        return 0;
}

int json_add_ref(json_object *o, const char *key, json_object *value) {
        if (!value)
                return 0;
        if (json_object_object_add(o, key, json_object_get(value)) < 0) {
                json_object_put(value);
                return -ENOMEM;
        }
        return 0;
}

int json_add_take(json_object *o, const char *key, json_object *value) {
        if (!value)
                return -ENOMEM;
        if (json_object_object_add(o, key, value) < 0) {
                json_object_put(value);
                return -ENOMEM;
        }
        return 0;
}

/* Serialise compactly, without json-c's default escaping of '/' (media types are full of them). */
int json_to_buffer(json_object *o, char **ret, size_t *ret_size) {
        const char *s;
        size_t n;
        char *copy;

        s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
        if (!s)
                return -ENOMEM;
        copy = strndup(s, n);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        if (ret_size)
                *ret_size = n;
        return 0;
}

