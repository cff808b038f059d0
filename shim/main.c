/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The standalone archshim: the "exec" engine, which starts QEMU with execve() from a path.
 *
 * Where it looks for qemu-<target>, in order (the places are lib/emulator-paths.h's, shared with binfmt
 * and archbuild; the order is a table, so packagers add rows, not code):
 *   ARCHWAY_QEMU_DIR/qemu-<target>            when set (and not AT_SECURE): the only place looked at
 *   ARCHWAY_LIBEXECDIR/qemu/qemu-<target>     our own static build (make qemu; docs/qemu.md)
 *   /usr/bin/qemu-<target>-static             Debian's qemu-user-static
 *   /usr/bin/qemu-<target>                    Debian's qemu-user (dynamic: not inside foreign roots)
 * Inside a chroot or container these paths are the root's, not the host's, which is why the linked
 * build (shim/qemu-main.c) exists. docs/shim.md explains the choice. */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "emulator-paths.h"
#include "macro.h"
#include "shim.h"

static const EmulatorOrigin search_order[] = {
        EMULATOR_FROM_ARCHWAY, EMULATOR_FROM_DEBIAN, EMULATOR_FROM_DEBIAN_DYNAMIC,
};

/* The file QEMU opens for the program. With AT_EXECFD that is the fd: under AT_SECURE the path could
 * have been swapped since the kernel checked it, so only the fd is safe (through /proc). */
static int binary_for_qemu(const ShimInvocation *inv, char *buf, size_t size, const char **ret) {
        if (inv->execfd >= 0) {
                snprintf(buf, size, "/proc/self/fd/%d", inv->execfd);
                if (access(buf, F_OK) == 0)
                        return *ret = buf, 0;
                if (inv->secure)
                        return -EPERM;
        }
        *ret = inv->path;
        return 0;
}

/* A dry run prints what would be exec'd: the argv, space-separated. */
static int dry_exec(const ShimEngine *e, const char *qemu, char **argv) {
        char line[4096];
        size_t n = 0;

        if (access(qemu, X_OK) < 0)
                return -errno;
        if (e->dry_run != 1)
                return 0;
        for (char **a = argv; *a && n < sizeof(line) - 2; a++) {
                int k = snprintf(line + n, sizeof(line) - n, "%s%s", a == argv ? "" : " ", *a);
                if (k < 0)
                        break;
                n += (size_t) k;
        }
        shim_print("qemu: %s", line);
        return 0;
}

static void warn_fallback(const ShimEngine *e, const ShimPlan *plan, const char *qemu) {
        char ours[PATH_MAX];

        if (emulator_path(search_order[0], plan->target, NULL, ours, sizeof(ours)) < 0)
                return;
        if (e->dry_run == 1)
                shim_print("fallback: %s (configured: %s, absent)", qemu, ours);
        shim_warn("our QEMU %s is not installed; running %s with %s instead", ours, plan->inv->path, qemu);
}

static int try_exec(const ShimEngine *e, const ShimPlan *plan, const char *qemu, const char *binary,
                    char **argv_buf, size_t max, char **envp) {
        int n = shim_qemu_argv_exec(plan->inv, qemu, plan->cpu, binary, argv_buf, max);
        if (n < 0)
                return n;
        if (e->dry_run)
                return dry_exec(e, qemu, argv_buf);
        execve(qemu, argv_buf, envp);
        return -errno;
}

static int exec_run_qemu(const ShimEngine *e, const ShimPlan *plan, char **argv_buf, size_t max, char **envp) {
        char qemu[PATH_MAX], fdpath[64];
        const char *binary;
        int r = binary_for_qemu(plan->inv, fdpath, sizeof(fdpath), &binary);

        if (r < 0)
                return r;
        if (plan->env->qemu_dir) {
                r = emulator_path(EMULATOR_FROM_DIR, plan->target, plan->env->qemu_dir, qemu, sizeof(qemu));
                if (r < 0)
                        return r;
                shim_debug(plan->env, "trying %s %s (ARCHWAY_QEMU_DIR)", qemu, binary);
                r = try_exec(e, plan, qemu, binary, argv_buf, max, envp);
                return r == -ENOTDIR ? -ENOENT : r;
        }
        for (size_t i = 0; i < ELEMENTSOF(search_order); i++) {
                if (emulator_path(search_order[i], plan->target, NULL, qemu, sizeof(qemu)) < 0)
                        continue;
                shim_debug(plan->env, "trying %s %s", qemu, binary);
                /* Anything but the first row is a fallback: say so every time, not only when debugging
                 * (a build that silently runs on another QEMU is the surprise this prevents). Not for a
                 * setuid program (AT_SECURE): its interpreter adds nothing to what it prints. */
                if (i > 0 && (!plan->inv->secure || e->dry_run) && access(qemu, X_OK) == 0)
                        warn_fallback(e, plan, qemu);
                r = try_exec(e, plan, qemu, binary, argv_buf, max, envp);
                /* ENOENT: not there, or a dynamic QEMU whose loader is not in this root. */
                if (r != -ENOENT && r != -ENOTDIR)
                        return r;
        }
        return -ENOENT;
}

static const ShimEngine exec_engine = {
        .name = "exec",
        .in_process = false,
        .run_qemu = exec_run_qemu,
        .search_description = ARCHWAY_LIBEXECDIR "/qemu, /usr/bin",
};

int main(int argc, char **argv, char **envp) {
        int r = archshim_manage(argc, argv, envp, &exec_engine);
        if (r >= 0)
                return r;
        return archshim_run(argc, argv, envp, &exec_engine);
}
