/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file-util.h"
#include "macro.h"

int loop_write(int fd, const void *buf, size_t size) {
        const uint8_t *p = buf;

        while (size > 0) {
                ssize_t k = write(fd, p, size);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return negative_errno();
                p += k;
                size -= (size_t) k;
        }
        return 0;
}

bool is_executable_file(const char *path) {
        struct stat st;

        return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int read_full_stream(FILE *f, char **ret, size_t *ret_size) {
        _cleanup_free_ char *out = NULL;
        size_t n = 0, cap = 0, k;

        /* Grow geometrically: callers read compiler binaries of tens of MB as well as short text. */
        do {
                if (cap - n < 4096) {
                        char *t = realloc(out, cap = 2 * cap + 65536);
                        if (!t)
                                return -ENOMEM;
                        out = t;
                }
                k = fread(out + n, 1, cap - n - 1, f);
                n += k;
        } while (k > 0);
        if (ferror(f))
                return -EIO;
        out[n] = 0;
        *ret = TAKE_PTR(out);
        if (ret_size)
                *ret_size = n;
        return 0;
}


int path_absolute_lexical(const char *path, char **ret) {
        _cleanup_free_ char *cwd = NULL, *joined = NULL, *out = NULL;
        size_t n = 0;

        if (path[0] != '/') {
                cwd = getcwd(NULL, 0);
                if (!cwd)
                        return negative_errno();
                if (asprintf(&joined, "%s/%s", cwd, path) < 0)
                        return -ENOMEM;
                path = joined;
        }
        out = malloc(strlen(path) + 2);
        if (!out)
                return -ENOMEM;
        for (const char *p = path; *p;) {
                size_t len;

                p += strspn(p, "/");
                len = strcspn(p, "/");
                if (len == 0 || (len == 1 && p[0] == '.')) {
                        p += len;
                        continue;
                }
                if (len == 2 && p[0] == '.' && p[1] == '.') {
                        while (n > 0 && out[n - 1] != '/')
                                n--;
                        if (n > 0)
                                n--; /* the '/' before it */
                } else {
                        out[n++] = '/';
                        memcpy(out + n, p, len);
                        n += len;
                }
                p += len;
        }
        if (n == 0)
                out[n++] = '/';
        out[n] = 0;
        *ret = TAKE_PTR(out);
        return 0;
}

bool path_is_below(const char *path, const char *dir, const char **ret_rel) {
        size_t n = strlen(dir);

        while (n > 1 && dir[n - 1] == '/')
                n--;
        if (n == 1 && dir[0] == '/')
                n = 0;
        if (strncmp(path, dir, n) != 0 || (path[n] != '/' && path[n] != 0))
                return false;
        if (ret_rel)
                *ret_rel = path + n + (path[n] == '/');
        return true;
}
