/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The linked engine: not part of the standalone archshim (the Makefile filters this file out).
 * scripts/link-shim-qemu links it, with the other shim objects, into our static QEMU using
 * -Wl,--wrap=main: crt1's call to main() reaches __wrap_main() here, which decides, then calls QEMU's
 * real main() in the same process with the rewritten argv. No second exec and no path to find, so
 * the one file binfmt_misc pinned with flag F (qemu-<target>-archway) works inside any chroot or
 * container. QEMU reads AT_EXECFD and AT_FLAGS from the auxiliary vector itself (linux-user/main.c),
 * which is still ours, so the kernel's argv layout is handed on as it came, with options in front. */

#include <errno.h>
#include <sys/auxv.h>

#include "shim.h"

#ifndef ARCHWAY_QEMU_TARGET
#error "build with -DARCHWAY_QEMU_TARGET='\"aarch64\"'"
#endif

int __real_main(int argc, char **argv, char **envp);
int __wrap_main(int argc, char **argv, char **envp);

static int linked_run_qemu(const ShimEngine *e, const ShimPlan *plan, char **argv_buf, size_t max, char **envp) {
        int n = shim_qemu_argv_linked(plan->argc, plan->argv, plan->cpu, argv_buf, max);
        if (n < 0)
                return n;
        return __real_main(n, argv_buf, envp);
}

static const ShimEngine linked_engine = {
        .name = "linked",
        .target = ARCHWAY_QEMU_TARGET,
        .in_process = true,
        .run_qemu = linked_run_qemu,
        .search_description = "this binary",
};

/* Started by hand ("qemu-aarch64-archway -cpu help", "... -L /root ./prog") rather than by
 * binfmt_misc: then it is plain QEMU. binfmt_misc always puts a path in argv[1]; an option there, or
 * nothing, means a person typed it. */
static bool invoked_by_hand(int argc, char **argv) {
        unsigned long flags = getauxval(AT_FLAGS);

        errno = 0;
        if (getauxval(AT_EXECFD) != 0 || errno != ENOENT || (flags & 1))
                return false;
        return argc < 2 || argv[1][0] == '-';
}

int __wrap_main(int argc, char **argv, char **envp) {
        if (invoked_by_hand(argc, argv))
                return __real_main(argc, argv, envp);
        return archshim_run(argc, argv, envp, &linked_engine);
}
