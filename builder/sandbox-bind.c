/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* RUN --mount=type=bind,from=...: read-only bind mounts of paths of another root into the step's root.
 * Part of the sandbox (the privilege model at the top of sandbox.c): it runs in the step's mount
 * namespace, as root of the step's user namespace, before pivot_root. Each source root is a read-only
 * overlay of its stored layers; the source path is resolved inside it (RESOLVE_IN_ROOT: a symlink
 * cannot lead out), the target inside the step's root likewise. A target that does not exist is
 * created (an empty directory or file) and reported as a stub, which the builder removes from the
 * layer afterwards, so nothing of the mount is left in the image (as BuildKit does). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "openat-resolve.h"
#include "sandbox-internal.h"

/* Open (creating when missing, with the source's type) target in the root at root_fd. The parent
 * directory must exist. Returns an O_PATH fd, with *ret_created set. */
static int target_open(int root_fd, const char *target, bool dir, bool *ret_created) {
        _cleanup_free_ char *parent = strdup(target);
        _cleanup_close_ int pfd = -EBADF;
        char *slash, *leaf;
        int fd;

        *ret_created = false;
        fd = openat_resolve(root_fd, target, O_PATH, 0, RESOLVE_IN_ROOT);
        if (fd != -ENOENT)
                return fd;
        if (!parent)
                return -ENOMEM;
        slash = strrchr(parent, '/');
        leaf = slash + 1;
        if (!*leaf)
                return -EINVAL;
        *slash = 0;
        pfd = openat_resolve(root_fd, *parent ? parent : "/", O_PATH | O_DIRECTORY, 0, RESOLVE_IN_ROOT);
        if (pfd < 0)
                return pfd;
        if (dir ? mkdirat(pfd, leaf, 0755) < 0 : mknodat(pfd, leaf, S_IFREG | 0644, 0) < 0)
                return negative_errno();
        *ret_created = true;
        return openat_resolve(pfd, leaf, O_PATH | O_NOFOLLOW, 0, RESOLVE_BENEATH);
}

static int bind_one(const SandboxBind *b, int root_fd, unsigned k, unsigned *stubs, ErrorDetail *err) {
        _cleanup_close_ int from_fd = -EBADF, src = -EBADF, dst = -EBADF;
        char sp[64], dp[64];
        struct stat st;
        bool created;
        int r;

        r = sandbox_mount_overlay(&b->from);
        if (r < 0)
                return error_detail_set(err, r, "Failed to mount the root of --mount from= at %s: %m", b->from.merged);
        from_fd = open(b->from.merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (from_fd < 0)
                return error_detail_set(err, negative_errno(), "Failed to open %s: %m", b->from.merged);
        src = openat_resolve(from_fd, b->source, O_PATH, 0, RESOLVE_IN_ROOT);
        if (src < 0 || fstat(src, &st) < 0)
                return error_detail_set(err, src < 0 ? src : negative_errno(),
                                        "RUN --mount: source %s not found in the from= root: %m", b->source);
        dst = target_open(root_fd, b->target, S_ISDIR(st.st_mode), &created);
        if (dst < 0)
                return error_detail_set(err, dst, "RUN --mount: cannot create target %s (does its parent exist?): %m",
                                        b->target);
        if (created)
                *stubs |= SANDBOX_STUB_BIND(k);
        snprintf(sp, sizeof(sp), "/proc/self/fd/%d", src);
        snprintf(dp, sizeof(dp), "/proc/self/fd/%d", dst);
        if (mount(sp, dp, NULL, MS_BIND | MS_REC, NULL) < 0)
                return error_detail_set(err, negative_errno(), "RUN --mount: Failed to bind %s over %s: %m", b->source,
                                        b->target);
        /* The fd names the directory under the new mount: reopen the path to reach the mount itself. */
        closep(&dst);
        dst = openat_resolve(root_fd, b->target, O_PATH, 0, RESOLVE_IN_ROOT);
        snprintf(dp, sizeof(dp), "/proc/self/fd/%d", dst);
        if (dst < 0 || mount(NULL, dp, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
                return error_detail_set(err, negative_errno(), "RUN --mount: Failed to make %s read-only: %m", b->target);
        return 0;
}

int sandbox_mount_binds(const SandboxRun *run, unsigned *stubs, ErrorDetail *err) {
        _cleanup_close_ int root_fd = -EBADF;
        int r;

        if (run->n_binds == 0)
                return 0;
        if (run->n_binds > SANDBOX_BINDS_MAX)
                return error_detail_set(err, -E2BIG, "RUN --mount: more than %d bind mounts", SANDBOX_BINDS_MAX);
        root_fd = open(run->root.merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return error_detail_set(err, negative_errno(), "Failed to open %s: %m", run->root.merged);
        for (size_t k = 0; k < run->n_binds; k++)
                if ((r = bind_one(&run->binds[k], root_fd, (unsigned) k, stubs, err)) < 0)
                        return r;
        return 0;
}
