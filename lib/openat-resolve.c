/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Apart from file-util.c because the static shim links that file with musl, which has no kernel
 * headers. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"
#include "openat-resolve.h"

int openat_resolve(int dirfd, const char *path, int flags, mode_t mode, unsigned long long resolve) {
        struct open_how how = {
                .flags = (unsigned long long) (flags | O_CLOEXEC),
                .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
                .resolve = resolve,
        };
        long fd;

        /* EAGAIN: a rename raced with the lookup (RESOLVE_BENEATH/IN_ROOT); a few tries, not forever. */
        for (unsigned tries = 0;; tries++) {
                fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
                if (fd >= 0 || errno != EAGAIN || tries == 8)
                        break;
        }
        return fd < 0 ? negative_errno() : (int) fd;
}

int open_parent_beneath(int dirfd, const char *path, char name[static NAME_MAX + 1]) {
        char parent[PATH_MAX];
        size_t n = strlen(path);
        const char *slash;

        while (n > 0 && path[n - 1] == '/')
                n--;
        while (n > 0 && *path == '/')
                path++, n--;
        if (n == 0 || n >= sizeof(parent))
                return n == 0 ? -EINVAL : -ENAMETOOLONG;
        memcpy(parent, path, n);
        parent[n] = 0;
        slash = strrchr(parent, '/');
        if (strlen(slash ? slash + 1 : parent) > NAME_MAX)
                return -ENAMETOOLONG;
        strcpy(name, slash ? slash + 1 : parent);
        if (streq(name, ".") || streq(name, ".."))
                return -EINVAL;
        if (slash)
                parent[slash - parent] = 0;
        else
                strcpy(parent, ".");
        return openat_resolve(dirfd, parent, O_PATH | O_DIRECTORY, 0,
                              RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
}

int remove_empty_beneath(int dirfd, const char *path) {
        _cleanup_close_ int fd = -EBADF;
        char name[NAME_MAX + 1];
        struct stat st;

        fd = open_parent_beneath(dirfd, path, name);
        if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP || fd == -EXDEV)
                return 0;
        if (fd < 0)
                return fd;
        if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : negative_errno();
        if (S_ISDIR(st.st_mode)) {
                if (unlinkat(fd, name, AT_REMOVEDIR) < 0)
                        return errno == ENOTEMPTY || errno == EEXIST ? 0 : negative_errno();
                return 1;
        }
        if (!S_ISREG(st.st_mode) || st.st_size != 0)
                return 0;
        return unlinkat(fd, name, 0) < 0 ? negative_errno() : 1;
}
