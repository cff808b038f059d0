/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file-util.h"
#include "macro.h"
#include "time-util.h"

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

int write_file_atomic(int dirfd, const char *name, const void *buf, size_t size, mode_t mode, struct stat *ret_st) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *slash = strrchr(name, '/');
        int r;

        if (asprintf(&tmp, "%.*s.%s.tmp-%d", slash ? (int) (slash - name + 1) : 0, name, slash ? slash + 1 : name,
                     (int) getpid()) < 0)
                return -ENOMEM;
        /* Made new, never opened through what is there (a fifo would block, a file keep its owner). */
        if (unlinkat(dirfd, tmp, 0) < 0 && errno != ENOENT)
                return negative_errno();
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return negative_errno();
        r = loop_write(fd, buf, size);
        /* the mode asked for, not what the umask left of it */
        if (r >= 0 && fchmod(fd, mode) < 0)
                r = negative_errno();
        if (r >= 0 && fsync(fd) < 0)
                r = negative_errno();
        if (r >= 0 && ret_st && fstat(fd, ret_st) < 0)
                r = negative_errno();
        if (r >= 0 && renameat(dirfd, tmp, dirfd, name) < 0)
                r = negative_errno();
        if (r < 0)
                (void) unlinkat(dirfd, tmp, 0);
        return r;
}

int mkdir_parents(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; (s = strchr(s, '/')); s++) {
                *s = 0;
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return negative_errno();
                *s = '/';
        }
        return 0;
}

int mkdir_p(const char *path, mode_t mode) {
        int r = mkdir_parents(path, mode);

        if (r < 0)
                return r;
        return mkdir(path, mode) < 0 && errno != EEXIST ? negative_errno() : 0;
}

int read_fd(int fd, size_t max, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        struct stat st;
        size_t n = 0;

        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADF;
        /* Refuse early when the size says so; the loop still bounds a file that grows. */
        if ((uint64_t) st.st_size > max)
                return -EFBIG;
        buf = malloc(max + 1);
        if (!buf)
                return -ENOMEM;
        while (n <= max) {
                ssize_t k = read(fd, buf + n, max + 1 - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return negative_errno();
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        if (n > max)
                return -EFBIG;
        buf[n] = 0;
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = n;
        return 0;
}

ssize_t read_pipe_until(int fd, char *buf, size_t size, uint64_t deadline) {
        size_t n = 0;

        while (n < size - 1) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                uint64_t t = now_usec();
                ssize_t k;
                int r;

                if (t >= deadline) {
                        buf[n] = 0;
                        return -ETIME;
                }
                r = poll(&pfd, 1, (int) ((deadline - t + 999) / 1000));
                if (r < 0 && errno != EINTR)
                        return negative_errno();
                if (r <= 0)
                        continue;
                k = read(fd, buf + n, size - 1 - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                n += (size_t) k;
        }
        buf[n] = 0;
        return (ssize_t) n;
}

int read_file(const char *path, size_t max, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

        if (fd < 0)
                return negative_errno();
        return read_fd(fd, max, ret, ret_size);
}

int rm_rf_at(int dfd, const char *name) {
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat top, st;
        struct dirent *de;
        DIR *d;
        int r = 0;

        if (fd < 0)
                return unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? negative_errno() : 0;
        if (fstat(fd, &top) < 0)
                return negative_errno();
        d = fdopendir(fd);
        if (!d)
                return negative_errno();
        TAKE_FD(fd);
        while (r >= 0 && (de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                /* a mount point below is another file system: its files are not ours to delete */
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) >= 0 && S_ISDIR(st.st_mode) &&
                    st.st_dev != top.st_dev)
                        r = -EBUSY;
                else
                        r = rm_rf_at(dirfd(d), de->d_name);
        }
        closedir(d);
        if (r >= 0 && unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                r = negative_errno();
        return r;
}

int rm_rf(const char *path) {
        return rm_rf_at(AT_FDCWD, path);
}

int path_clean(const char *path, char **ret) {
        bool rooted = path[0] == '/';
        size_t n = 0, floor = rooted ? 1 : 0; /* floor: where ".." can no longer remove anything */
        char *out = malloc(strlen(path) + 2);

        if (!out)
                return -ENOMEM;
        if (rooted)
                out[n++] = '/';
        for (const char *p = path; *p;) {
                size_t len = strcspn(p, "/");

                if (len == 0 || (len == 1 && p[0] == '.')) {
                        /* nothing */
                } else if (len == 2 && p[0] == '.' && p[1] == '.') {
                        if (n > floor) {
                                while (n > floor && out[n - 1] != '/')
                                        n--;
                                if (n > floor)
                                        n--;
                        } else if (!rooted) {
                                if (n > 0)
                                        out[n++] = '/';
                                out[n++] = '.', out[n++] = '.';
                                floor = n;
                        }
                } else {
                        if (n > (rooted ? 1 : 0))
                                out[n++] = '/';
                        memcpy(out + n, p, len);
                        n += len;
                }
                p += len;
                p += strspn(p, "/");
        }
        if (n == 0)
                out[n++] = '.';
        out[n] = 0;
        *ret = out;
        return 0;
}
