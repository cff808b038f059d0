/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "qemu-version.h"

#define KERNEL_P_MAJOR 5
#define KERNEL_P_MINOR 12
#define QEMU_P_MAJOR 6
#define QEMU_P_MINOR 1

bool version_at_least(const char *v, unsigned major, unsigned minor) {
        char *end;
        unsigned long a, b = 0;

        if (!v || *v < '0' || *v > '9')
                return false;
        a = strtoul(v, &end, 10);
        if (*end == '.' && end[1] >= '0' && end[1] <= '9')
                b = strtoul(end + 1, NULL, 10);
        return a > major || (a == major && b >= minor);
}

bool qemu_preserve_argv0_ok(const char *kernel_release, const char *qemu_version) {
        return version_at_least(kernel_release, KERNEL_P_MAJOR, KERNEL_P_MINOR) &&
               version_at_least(qemu_version, QEMU_P_MAJOR, QEMU_P_MINOR);
}

static bool is_target_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* "qemu-TARGET version X.Y..." ending at hit (the " version " in it): the version's start, or NULL. */
static const char *version_after(const char *data, const char *hit, const char *end) {
        const char *p = hit, *v = hit + strlen(" version ");

        while (p > data && is_target_char(p[-1]))
                p--;
        if (p == hit || p - data < 5 || memcmp(p - 5, "qemu-", 5) != 0)
                return NULL;
        return v < end && *v >= '0' && *v <= '9' ? v : NULL;
}

static int find_version(const char *data, size_t n, char *buf, size_t size) {
        const char *end = data + n, *p = data, *hit, *v;
        static const char key[] = " version ";

        while ((hit = memmem(p, (size_t) (end - p), key, sizeof(key) - 1))) {
                if ((v = version_after(data, hit, end))) {
                        size_t k = 0;
                        while (v + k < end && ((v[k] >= '0' && v[k] <= '9') || v[k] == '.'))
                                k++;
                        if (k >= size)
                                return -ENAMETOOLONG;
                        memcpy(buf, v, k);
                        buf[k] = 0;
                        return 0;
                }
                p = hit + 1;
        }
        return -ENOENT;
}

int qemu_binary_version(const char *path, char *buf, size_t size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        void *map;
        int r;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || st.st_size == 0)
                return -ENOENT;
        if ((uint64_t) st.st_size > QEMU_BINARY_MAX)
                return -EFBIG;
        map = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED)
                return -errno;
        r = find_version(map, (size_t) st.st_size, buf, size);
        (void) munmap(map, (size_t) st.st_size);
        return r;
}
