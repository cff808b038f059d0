/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Apart from file-util.c because the static shim links that file with musl, which has no kernel
 * headers. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
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
