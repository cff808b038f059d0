/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "binfmt-dir.h"
#include "macro.h"

/* An entry's status file is one page at most (entry_status() writes into a page). */
#define STATUS_MAX 4096

static int write_file_at(int dirfd, const char *name, const char *data, size_t len) {
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;

        fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        /* One write: the kernel parses each write(2) as one complete command. */
        n = write(fd, data, len);
        if (n < 0)
                return -errno;
        if ((size_t) n != len)
                return -EIO;
        return 0;
}

static int read_file_at(int dirfd, const char *name, char *buf, size_t size, size_t *ret_len) {
        _cleanup_close_ int fd = -EBADF;
        size_t len = 0;

        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        while (len < size) {
                ssize_t n = read(fd, buf + len, size - len);

                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        if (len == size)
                return -EFBIG;
        *ret_len = len;
        return 0;
}

int binfmt_dir_open(const char *path, int *ret_fd) {
        _cleanup_close_ int fd = -EBADF;
        struct statfs sfs;

        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstatfs(fd, &sfs) < 0)
                return -errno;
        if (sfs.f_type != BINFMTFS_MAGIC)
                return -EMEDIUMTYPE;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int binfmt_dir_open_or_mount(const char *path, int *ret_fd, bool *ret_mounted) {
        struct stat st;
        int r;

        /* stat() walks onto the path and so fires an automount point sitting there. */
        (void) stat(path, &st);
        r = binfmt_dir_open(path, ret_fd);
        if (r != -EMEDIUMTYPE) {
                if (r >= 0)
                        *ret_mounted = false;
                return r;
        }

        if (mount("binfmt_misc", path, "binfmt_misc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                return -errno;
        r = binfmt_dir_open(path, ret_fd);
        if (r < 0)
                return r;
        *ret_mounted = true;
        return 0;
}

void binfmt_names_free(char **names) {
        if (!names)
                return;
        for (char **n = names; *n; n++)
                free(*n);
        free(names);
}

int binfmt_dir_list(int dirfd, char ***ret) {
        _cleanup_(binfmt_names_freep) char **names = NULL;
        DIR *d;
        size_t n = 0, allocated = 0;
        int fd, r = 0;

        fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }

        for (struct dirent *de; (errno = 0, de = readdir(d));) {
                if (de->d_name[0] == '.' || streq(de->d_name, "register") || streq(de->d_name, "status"))
                        continue;
                if (n + 2 > allocated) {
                        size_t a = allocated ? allocated * 2 : 16;
                        char **p = realloc(names, a * sizeof(char *));

                        if (!p) {
                                r = -ENOMEM;
                                break;
                        }
                        names = p;
                        allocated = a;
                }
                names[n] = strdup(de->d_name);
                if (!names[n]) {
                        r = -ENOMEM;
                        break;
                }
                names[++n] = NULL;
        }
        if (r == 0 && errno != 0)
                r = -errno;
        closedir(d);
        if (r < 0)
                return r;

        if (!names) {
                names = calloc(1, sizeof(char *));
                if (!names)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(names);
        return (int) n;
}

int binfmt_dir_read_entry(int dirfd, const char *name, BinfmtEntry *ret) {
        char buf[STATUS_MAX + 1];
        size_t len;
        int r;

        if (!binfmt_name_is_valid(name) || streq(name, "register") || streq(name, "status"))
                return -EINVAL;
        r = read_file_at(dirfd, name, buf, sizeof(buf), &len);
        if (r < 0)
                return r;
        return binfmt_entry_parse_status(name, buf, len, ret);
}

int binfmt_dir_register(int dirfd, const BinfmtEntry *e) {
        char buf[BINFMT_REGISTER_MAX + 1];
        int n;

        n = binfmt_entry_format(e, buf, sizeof(buf));
        if (n < 0)
                return n;
        return write_file_at(dirfd, "register", buf, (size_t) n);
}

int binfmt_dir_remove(int dirfd, const char *name) {
        if (!binfmt_name_is_valid(name) || streq(name, "register") || streq(name, "status"))
                return -EINVAL;
        return write_file_at(dirfd, name, "-1", 2);
}

int binfmt_dir_set_entry_enabled(int dirfd, const char *name, bool enabled) {
        if (!binfmt_name_is_valid(name) || streq(name, "register") || streq(name, "status"))
                return -EINVAL;
        return write_file_at(dirfd, name, enabled ? "1" : "0", 1);
}

int binfmt_dir_is_enabled(int dirfd) {
        char buf[32];
        size_t len;
        int r;

        r = read_file_at(dirfd, "status", buf, sizeof(buf), &len);
        if (r < 0)
                return r;
        if (len >= 7 && strneq(buf, "enabled", 7))
                return 1;
        if (len >= 8 && strneq(buf, "disabled", 8))
                return 0;
        return -EBADMSG;
}

int binfmt_dir_flag_supported(int dirfd, BinfmtFlags flag) {
        BinfmtEntry e = { .type = BINFMT_TYPE_EXTENSION, .flags = flag };
        char letter = binfmt_flag_letter(flag);
        int r;

        if (!letter)
                return -EINVAL;
        snprintf(e.name, sizeof(e.name), "archway-flag-probe-%c", letter);
        snprintf(e.extension, sizeof(e.extension), "archway-flag-probe-%c", letter);
        strcpy(e.interpreter, "/bin/sh");

        r = binfmt_dir_register(dirfd, &e);
        if (r == -EINVAL)
                return 0;
        if (r < 0)
                return r;
        (void) binfmt_dir_remove(dirfd, e.name);
        return 1;
}

int binfmt_dir_owner(int dirfd, unsigned *ret_uid) {
        struct stat st;

        if (fstatat(dirfd, "register", &st, 0) < 0)
                return -errno;
        *ret_uid = st.st_uid;
        return 0;
}

int binfmt_dir_find_handler(int dirfd, const void *head, size_t size, const char *path, BinfmtEntry *ret,
                            unsigned *ret_shadowed) {
        _cleanup_(binfmt_names_freep) char **names = NULL;
        unsigned shadowed = 0;
        bool found = false;
        int r;

        r = binfmt_dir_list(dirfd, &names);
        if (r < 0)
                return r;
        for (char **p = names; *p; p++) {
                BinfmtEntry e;

                /* An entry removed between the listing and the read is simply not there. */
                if (binfmt_dir_read_entry(dirfd, *p, &e) < 0 || !binfmt_entry_matches(&e, head, size, path))
                        continue;
                if (found) {
                        shadowed++;
                        continue;
                }
                *ret = e;
                found = true;
        }
        if (ret_shadowed)
                *ret_shadowed = shadowed;
        return found ? 0 : -ENOENT;
}
