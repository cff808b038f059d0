/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "elf-id.h"
#include "macro.h"
#include "scan-tree.h"

/* Each level holds one directory fd; this bounds fds and stack against pathological trees. */
#define SCAN_DEPTH_MAX 128

static void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}

static int scan_fd(Report *r, const char *path, int dirfd, const char *name, int depth);

static int scan_file(Report *r, const char *path, int fd) {
        ElfIsa *isa = NULL;
        ElfId id;
        int k;

        k = elf_id_from_fd(fd, ELF_ID_SECTIONS, &id);
        if (k == -ENOEXEC) {
                report_non_elf(r);
                return 0;
        }
        if (k < 0)
                return report_error(r, path, k);
        if (isa_want_file(&r->isa_want, &id)) {
                k = isa_read_fd(&r->isa_want, fd, &id, &isa);
                if (k < 0)
                        return report_error(r, path, k);
        }
        k = report_elf(r, path, &id, isa);
        isa_free(isa);
        return k;
}

static int scan_dir(Report *r, const char *path, int fd, int depth) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        int k;

        if (depth >= SCAN_DEPTH_MAX)
                return report_error(r, path, -ELOOP);
        d = fdopendir(fd);
        if (!d) {
                k = -errno;
                close(fd);
                return report_error(r, path, k);
        }
        for (errno = 0; (de = readdir(d)); errno = 0) {
                _cleanup_free_ char *child = NULL;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (asprintf(&child, "%s/%s", streq(path, "/") ? "" : path, de->d_name) < 0)
                        return -ENOMEM;
                k = scan_fd(r, child, dirfd(d), de->d_name, depth + 1);
                if (k < 0)
                        return k;
        }
        return errno > 0 ? report_error(r, path, -errno) : 0;
}

/* Open name below dirfd without following a final symlink (inside a tree) and dispatch on type. */
static int scan_fd(Report *r, const char *path, int dirfd, const char *name, int depth) {
        int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | (depth > 0 ? O_NOFOLLOW : 0);
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        if (depth > 0 && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) >= 0 && !S_ISREG(st.st_mode) &&
            !S_ISDIR(st.st_mode))
                return 0; /* symlinks, devices, fifos, sockets: nothing to run */
        fd = openat(dirfd, name, flags);
        if (fd < 0)
                return report_error(r, path, -errno);
        if (fstat(fd, &st) < 0)
                return report_error(r, path, -errno);
        if (S_ISDIR(st.st_mode))
                return scan_dir(r, path, TAKE_FD(fd), depth);
        if (!S_ISREG(st.st_mode))
                return depth > 0 ? 0 : report_error(r, path, -EINVAL);
        return scan_file(r, path, fd);
}

int scan_tree(Report *r, const char *path) {
        return scan_fd(r, path, AT_FDCWD, path, 0);
}
