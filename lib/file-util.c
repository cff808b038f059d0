/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
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
        char buf[4096];
        size_t n = 0, k;

        while ((k = fread(buf, 1, sizeof(buf), f)) > 0) {
                char *t = realloc(out, n + k + 1);
                if (!t)
                        return -ENOMEM;
                out = t;
                memcpy(out + n, buf, k);
                n += k;
        }
        if (ferror(f))
                return -EIO;
        if (!out && !(out = malloc(1)))
                return -ENOMEM;
        out[n] = 0;
        *ret = TAKE_PTR(out);
        if (ret_size)
                *ret_size = n;
        return 0;
}
