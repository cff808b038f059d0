/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Part of the sandbox (see the privilege model at the top of sandbox.c): what this kernel offers a
 * user namespace, found by trying it, and the overlay root mounted in the form the kernel takes.
 *
 * Kernel features are decided by probing, never by the version string (distribution kernels carry
 * backports, and the features below came in different releases):
 *   overlay          overlayfs mounted by the root of a user namespace, with "userxattr" (5.11);
 *   lowerdir+        fsconfig(FSCONFIG_SET_STRING, "lowerdir+"), one lower per call (6.8);
 *   binfmt_misc-ns   a private binfmt_misc instance per user namespace (6.7).
 * The probe is one forked child in a user and mount namespace that tries each on empty directories
 * of the store's filesystem. Its result is kept for the process (and the forked workers and
 * sandboxes inherit it). $ARCHBUILD_DISABLE ("lowerdir+,binfmt_misc-ns") makes a newer kernel behave
 * like an older one, so that the fallbacks are tested on the machines that have the features.
 *
 * The overlay root, best form first:
 *   1. lowerdir+ through the new mount API: no limit but overlayfs' own stack depth (500);
 *   2. the classic option string "lowerdir=L1:L2,upperdir=U,workdir=W,userxattr" through mount(2),
 *      with '\' before every '\', ':' and ',' in a path (fs/overlayfs: ovl_next_opt() splits options
 *      at unescaped ',', ovl_split_lowerdirs() the lowers at unescaped ':', and the backslashes go);
 *      mount(2) copies at most one page of options;
 *   3. when that page is too small: a tmpfs on the mount point holding one short symlink per layer
 *      ("0", "1", ..., "u", "w"), entered with chdir, and the same string with those relative names
 *      (what Docker's overlay2 driver does with its "l/" directory). The overlay is then mounted over
 *      the tmpfs; overlayfs resolved the links at mount time, so nothing refers to the tmpfs after.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "file-util.h"
#include "macro.h"
#include "sandbox-internal.h"

/* fs/overlayfs/params.h: OVL_MAX_STACK */
#define OVERLAY_STACK_MAX 500

static SandboxKernel kernel_cache;

/* ---- the overlay root ------------------------------------------------------------------------- */

static int mount_overlay_lowerdir_plus(const SandboxRootfs *root) {
        _cleanup_close_ int fs = -EBADF, mnt = -EBADF;

        fs = fsopen("overlay", FSOPEN_CLOEXEC);
        if (fs < 0)
                return negative_errno();
        for (size_t k = 0; k < root->n_lowers; k++)
                if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", root->lowers[k], 0) < 0)
                        return negative_errno();
        if (root->upper) {
                if (fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", root->upper, 0) < 0 ||
                    fsconfig(fs, FSCONFIG_SET_STRING, "workdir", root->work, 0) < 0)
                        return negative_errno();
        }
        if (fsconfig(fs, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0 ||
            fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return negative_errno();
        mnt = fsmount(fs, FSMOUNT_CLOEXEC, root->upper ? 0 : MOUNT_ATTR_RDONLY);
        if (mnt < 0)
                return negative_errno();
        if (move_mount(mnt, "", AT_FDCWD, root->merged, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return negative_errno();
        return 0;
}

/* Append s to buf (size bytes, *n used) with overlayfs' escapes. Returns false when it does not fit. */
static bool append_escaped(char *buf, size_t size, size_t *n, const char *s, bool escape) {
        for (; *s; s++) {
                if (escape && strchr("\\:,", *s)) {
                        if (*n + 1 >= size)
                                return false;
                        buf[(*n)++] = '\\';
                }
                if (*n + 1 >= size)
                        return false;
                buf[(*n)++] = *s;
        }
        buf[*n] = 0;
        return true;
}

/* The classic option string. names: the lowers, then upper and work when there is an upper. Returns
 * false when it does not fit in size bytes. */
bool sandbox_overlay_options(const SandboxRootfs *root, char *const *names, char *buf, size_t size) {
        size_t n = 0;
        bool ok = append_escaped(buf, size, &n, "lowerdir=", false);

        for (size_t k = 0; ok && k < root->n_lowers; k++)
                ok = (k == 0 || append_escaped(buf, size, &n, ":", false)) && append_escaped(buf, size, &n, names[k], true);
        if (ok && root->upper)
                ok = append_escaped(buf, size, &n, ",upperdir=", false) &&
                     append_escaped(buf, size, &n, names[root->n_lowers], true) &&
                     append_escaped(buf, size, &n, ",workdir=", false) &&
                     append_escaped(buf, size, &n, names[root->n_lowers + 1], true);
        return ok && append_escaped(buf, size, &n, ",userxattr", false);
}

static char **rootfs_paths(const SandboxRootfs *root) {
        char **l = calloc(root->n_lowers + 3, sizeof(char *));

        if (!l)
                return NULL;
        for (size_t k = 0; k < root->n_lowers; k++)
                l[k] = root->lowers[k];
        if (root->upper) {
                l[root->n_lowers] = (char *) root->upper;
                l[root->n_lowers + 1] = (char *) root->work;
        }
        return l;
}

/* Form 3: short symlinks on a tmpfs at the mount point, and relative names from there. */
static int mount_overlay_links(const SandboxRootfs *root, char *opts, size_t size) {
        _cleanup_close_ int cwd = -EBADF;
        char names[OVERLAY_STACK_MAX + 2][8], *ptrs[OVERLAY_STACK_MAX + 2];
        size_t n = root->n_lowers + (root->upper ? 2 : 0);
        char **paths = NULL;
        int r = 0;

        if (root->n_lowers > OVERLAY_STACK_MAX)
                return -E2BIG;
        if (mount("tmpfs", root->merged, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700,size=8m") < 0)
                return negative_errno();
        paths = rootfs_paths(root);
        if (!paths)
                return -ENOMEM;
        cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cwd < 0 || chdir(root->merged) < 0) {
                r = negative_errno();
                free(paths);
                return r;
        }
        for (size_t k = 0; k < n && r >= 0; k++) {
                if (k < root->n_lowers)
                        snprintf(names[k], sizeof(names[k]), "%zu", k);
                else
                        snprintf(names[k], sizeof(names[k]), "%s", k == root->n_lowers ? "u" : "w");
                ptrs[k] = names[k];
                if (symlink(paths[k], names[k]) < 0)
                        r = negative_errno();
        }
        free(paths);
        if (r >= 0 && !sandbox_overlay_options(root, ptrs, opts, size))
                r = -E2BIG;
        if (r >= 0 && mount("overlay", ".", "overlay", root->upper ? 0 : MS_RDONLY, opts) < 0)
                r = negative_errno();
        if (fchdir(cwd) < 0 && r >= 0)
                r = negative_errno();
        return r;
}

/* Forms 2 and 3. */
static int mount_overlay_classic(const SandboxRootfs *root) {
        long page = sysconf(_SC_PAGESIZE);
        size_t size = page > 0 ? (size_t) page : 4096;
        _cleanup_free_ char *opts = malloc(size);
        _cleanup_free_ char **paths = rootfs_paths(root);

        if (!opts || !paths)
                return -ENOMEM;
        if (!sandbox_overlay_options(root, paths, opts, size))
                return mount_overlay_links(root, opts, size);
        if (mount("overlay", root->merged, "overlay", root->upper ? 0 : MS_RDONLY, opts) < 0)
                return negative_errno();
        return 0;
}

int sandbox_mount_overlay(const SandboxRootfs *root) {
        int r;

        /* A read-only view of a single layer: a bind mount (overlayfs wants two lowers then). */
        if (!root->upper && root->n_lowers == 1) {
                if (mount(root->lowers[0], root->merged, NULL, MS_BIND | MS_REC, NULL) < 0)
                        return negative_errno();
                (void) mount(NULL, root->merged, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL);
                return 0;
        }
        if (kernel_cache.probed && !kernel_cache.overlay_lowerdir_plus)
                return mount_overlay_classic(root);
        r = mount_overlay_lowerdir_plus(root);
        /* Not probed (a caller that skipped sandbox_kernel_probe()): an older kernel says EINVAL, at
         * the fsconfig() of "lowerdir+" (6.5-6.7) or at the create (legacy overlayfs before 6.5). */
        if (r == -EINVAL && !kernel_cache.probed)
                return mount_overlay_classic(root);
        return r;
}

/* ---- probing the kernel ----------------------------------------------------------------------- */

enum {
        PROBE_LOWERDIR_PLUS = 1 << 0,
        PROBE_OVERLAY       = 1 << 1,
        PROBE_BINFMT_NS     = 1 << 2,
};

typedef struct ProbeReport {
        unsigned bits;
        int overlay_error;
} ProbeReport;

/* In the user namespace child: try each feature on the directories below dir. */
_noreturn_ static void probe_child(const char *dir, int report_fd) {
        char l1[4096], l2[4096], m[4096], b[4096];
        ProbeReport rep = {};
        char *lowers[] = { l1, l2 };
        SandboxRootfs root = { .lowers = lowers, .n_lowers = 2, .merged = m };

        snprintf(l1, sizeof(l1), "%s/l1", dir);
        snprintf(l2, sizeof(l2), "%s/l2", dir);
        snprintf(m, sizeof(m), "%s/m", dir);
        snprintf(b, sizeof(b), "%s/b", dir);
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                _exit(125);
        if (mount_overlay_lowerdir_plus(&root) >= 0) {
                rep.bits |= PROBE_LOWERDIR_PLUS | PROBE_OVERLAY;
                (void) umount2(m, MNT_DETACH);
        } else {
                int r = mount_overlay_classic(&root);
                if (r >= 0)
                        rep.bits |= PROBE_OVERLAY;
                rep.overlay_error = -r;
        }
        /* Before 6.7 binfmt_misc cannot be mounted outside the initial user namespace at all. */
        if (mount("binfmt_misc", b, "binfmt_misc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) >= 0)
                rep.bits |= PROBE_BINFMT_NS;
        (void) !write(report_fd, &rep, sizeof(rep));
        _exit(0);
}

static int probe_dirs(const char *dir) {
        static const char *const sub[] = { "l1", "l2", "m", "b" };
        char p[4096];

        for (size_t k = 0; k < ELEMENTSOF(sub); k++) {
                snprintf(p, sizeof(p), "%s/%s", dir, sub[k]);
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return negative_errno();
        }
        return 0;
}

static bool feature_disabled(const char *name) {
        const char *list = getenv("ARCHBUILD_DISABLE");
        size_t n = strlen(name);

        for (const char *p = list; p && *p; p += strcspn(p, ", ")) {
                p += strspn(p, ", ");
                if (strneq(p, name, n) && (p[n] == 0 || p[n] == ',' || p[n] == ' '))
                        return true;
        }
        return false;
}

int sandbox_kernel_probe(const char *scratch, const SandboxKernel **ret) {
        ProbeReport rep = {};
        int report[2], wstatus, r;
        pid_t pid;

        if (kernel_cache.probed) {
                *ret = &kernel_cache;
                return 0;
        }
        if ((r = probe_dirs(scratch)) < 0)
                return r;
        if (pipe2(report, O_CLOEXEC) < 0)
                return negative_errno();
        pid = sandbox_fork_userns();
        if (pid < 0) {
                close(report[0]), close(report[1]);
                return pid;
        }
        if (pid == 0) {
                close(report[0]);
                probe_child(scratch, report[1]);
        }
        close(report[1]);
        if (read(report[0], &rep, sizeof(rep)) != (ssize_t) sizeof(rep))
                rep = (ProbeReport) { .overlay_error = EIO };
        close(report[0]);
        while (waitpid(pid, &wstatus, 0) < 0)
                if (errno != EINTR)
                        return negative_errno();
        kernel_cache = (SandboxKernel) {
                .probed = true,
                .overlay = rep.bits & PROBE_OVERLAY,
                .overlay_lowerdir_plus = (rep.bits & PROBE_LOWERDIR_PLUS) && !feature_disabled("lowerdir+"),
                .binfmt_ns = (rep.bits & PROBE_BINFMT_NS) && !feature_disabled("binfmt_misc-ns"),
                .overlay_error = rep.overlay_error,
        };
        *ret = &kernel_cache;
        return 0;
}
