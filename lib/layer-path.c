/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "layer-path.h"
#include "macro.h"

/* Append component c (length n) to out (length *len) with a separating '/'. out has room for
 * LAYER_PATH_MAX + 1 bytes. */
static int path_push(char *out, size_t *len, const char *c, size_t n) {
        size_t need = *len + (*len > 0) + n;

        if (need > LAYER_PATH_MAX)
                return -ENAMETOOLONG;
        if (*len > 0)
                out[(*len)++] = '/';
        memcpy(out + *len, c, n);
        *len += n;
        out[*len] = 0;
        return 0;
}

static void path_pop(char *out, size_t *len) {
        char *slash;

        if (*len == 0)
                return;
        slash = memrchr(out, '/', *len);
        *len = slash ? (size_t) (slash - out) : 0;
        out[*len] = 0;
}

/* Walk the components of s onto out. With clamp, ".." pops (stopping at the root); without, ".." is
 * refused. */
static int path_walk(char *out, size_t *len, const char *s, bool clamp) {
        while (*s) {
                size_t n = strcspn(s, "/");

                if (n == 0 || (n == 1 && s[0] == '.'))
                        ;
                else if (n == 2 && s[0] == '.' && s[1] == '.') {
                        if (!clamp)
                                return -EINVAL;
                        path_pop(out, len);
                } else {
                        int r = path_push(out, len, s, n);
                        if (r < 0)
                                return r;
                }
                s += n;
                while (*s == '/')
                        s++;
        }
        return 0;
}

int layer_path_normalize(const char *name, char **ret) {
        char out[LAYER_PATH_MAX + 1] = "";
        size_t len = 0;
        int r;

        if (isempty(name) || name[0] == '/')
                return -EINVAL;
        if (strnlen(name, LAYER_PATH_MAX + 1) > LAYER_PATH_MAX)
                return -ENAMETOOLONG;
        r = path_walk(out, &len, name, false);
        if (r < 0)
                return r;
        *ret = strdup(out);
        return *ret ? 0 : -ENOMEM;
}

int layer_whiteout_classify(const char *path, char **ret_target) {
        const char *base = strrchr(path, '/');
        size_t dir_len;
        char *t;

        base = base ? base + 1 : path;
        dir_len = base > path ? (size_t) (base - path - 1) : 0;
        if (!strneq(base, LAYER_WHITEOUT_PREFIX, strlen(LAYER_WHITEOUT_PREFIX))) {
                if (ret_target)
                        *ret_target = NULL;
                return LAYER_WHITEOUT_NONE;
        }
        if (streq(base, LAYER_WHITEOUT_OPAQUE)) {
                if (ret_target) {
                        t = strndup(path, dir_len);
                        if (!t)
                                return -ENOMEM;
                        *ret_target = t;
                }
                return LAYER_WHITEOUT_OPAQUE_DIR;
        }
        base += strlen(LAYER_WHITEOUT_PREFIX);
        if (isempty(base) || streq(base, ".") || streq(base, ".."))
                return -EINVAL;
        if (ret_target) {
                if (asprintf(&t, "%.*s%s%s", (int) dir_len, path, dir_len > 0 ? "/" : "", base) < 0)
                        return -ENOMEM;
                *ret_target = t;
        }
        return LAYER_WHITEOUT_FILE;
}

int layer_path_resolve_link(const char *link_path, const char *target, char **ret) {
        char out[LAYER_PATH_MAX + 1] = "";
        size_t len = 0;
        const char *slash;
        int r;

        if (target[0] != '/' && (slash = strrchr(link_path, '/'))) {
                r = path_push(out, &len, link_path, (size_t) (slash - link_path));
                if (r < 0)
                        return r;
        }
        r = path_walk(out, &len, target, true);
        if (r < 0)
                return r;
        *ret = strdup(out);
        return *ret ? 0 : -ENOMEM;
}
