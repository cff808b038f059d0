/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "binfmt-dir.h"
#include "binfmt-probe.h"
#include "binfmt-table.h"
#include "emulation.h"
#include "libexec.h"
#include "log.h"
#include "macro.h"

void emulation_plan_done(EmulationPlan *plan) {
        for (size_t k = 0; k < plan->n; k++)
                free(plan->items[k].interpreter);
        *plan = (EmulationPlan) {};
}

/* "arm64", or the whole platform when it has a variant ("linux/arm/v7"): what binfmt --install takes. */
static const char *install_name(const Platform *p, char buf[static PLATFORM_STRING_MAX]) {
        if (!isempty(p->variant))
                return platform_to_string(p, buf);
        snprintf(buf, PLATFORM_STRING_MAX, "%s", p->arch);
        return buf;
}

/* One line: what is wrong for the platform, then the fix. */
_printf_(3, 4) static int fail(ErrorDetail *err, const Platform *p, const char *format, ...) {
        char plat[PLATFORM_STRING_MAX], name[PLATFORM_STRING_MAX], why[ERROR_DETAIL_MAX / 2];
        va_list ap;

        va_start(ap, format);
        vsnprintf(why, sizeof(why), format, ap);
        va_end(ap);
        return error_detail_set(err, -ENOEXEC, "%s: no emulation for foreign RUN steps: %s; run 'binfmt --install %s' "
                                "as root, or enable archway-binfmt.service with it in /etc/archway/binfmt.conf",
                                platform_to_string(p, plat), why, install_name(p, name));
}

static int resolve_private(const Platform *p, EmulatorMode mode, Emulation *ret, ErrorDetail *err) {
        char plat[PLATFORM_STRING_MAX];
        int r = emulator_find(p, mode, &ret->interpreter, &ret->flags);

        if (r == -EOPNOTSUPP)
                return error_detail_set(err, r, "%s has no QEMU linux-user target; it cannot be emulated",
                                        platform_to_string(p, plat));
        if (r < 0)
                return error_detail_set(err, r, "no emulator for %s is installed: install Debian's qemu-user-static, "
                                        "run 'make qemu', or build the archway shim", platform_to_string(p, plat));
        ret->kind = EMULATION_PRIVATE;
        return 0;
}

/* archway's own interpreters: anything under ARCHWAY_LIBEXECDIR (our QEMU in qemu/, the shims), any
 * copy of the linked shim, and $ARCHWAY_QEMU_DIR (a build tree). The same rule as binfmt's ownership
 * (binfmt/emulator.c) without its configuration. */
static bool interpreter_is_archway(const char *path) {
        const char *dir = getenv("ARCHWAY_QEMU_DIR");
        size_t n = strlen(ARCHWAY_LIBEXECDIR);

        if (strneq(path, ARCHWAY_LIBEXECDIR, n) && path[n] == '/')
                return true;
        if (fnmatch("*/qemu-*-archway", path, 0) == 0 || fnmatch("*/archshim", path, 0) == 0)
                return true;
        return !isempty(dir) && strneq(path, dir, strlen(dir)) && path[strlen(dir)] == '/';
}

/* Run the probe program at path through the host's registration; true when it exits as probes do. */
static bool run_host_probe(const char *path) {
        char *argv[] = { (char *) path, NULL }, *envp[] = { NULL };
        posix_spawn_file_actions_t fa;
        pid_t pid;
        int r;

        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
        r = posix_spawn(&pid, path, &fa, NULL, argv, envp);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0)
                return false;
        (void) binfmt_probe_set_limits(pid);
        return binfmt_probe_wait(pid, binfmt_probe_deadline(), NULL, NULL) == 0;
}

static int write_probe(const char *scratch, const BinfmtTarget *t, char *path, size_t size) {
        size_t n = 0;
        const unsigned char *elf = binfmt_probe_program(t->name, &n);
        _cleanup_close_ int fd = -EBADF;

        if (!elf)
                return -ENOENT;
        snprintf(path, size, "%s/probe-%s", scratch, t->name);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
        if (fd < 0)
                return negative_errno();
        return write(fd, elf, n) == (ssize_t) n ? 0 : -EIO;
}

/* The host's entry for p: found, flag F, probe. */
static int resolve_host(const Platform *p, const char *scratch, Emulation *ret, ErrorDetail *err) {
        const BinfmtTarget *rows[8];
        _cleanup_close_ int dirfd = -EBADF;
        char probe[4096];
        const unsigned char *elf;
        BinfmtEntry e;
        size_t size = 0;
        int r;

        if (binfmt_targets_for_platform(p, rows, ELEMENTSOF(rows)) == 0 || !(elf = binfmt_probe_program(rows[0]->name, &size)))
                return fail(err, p, "it has no binfmt_misc rule");
        r = binfmt_dir_open(BINFMT_DIR_DEFAULT, &dirfd);
        if (r < 0)
                return fail(err, p, "this kernel has no private binfmt_misc instances (Linux < 6.7) and the host's "
                            "binfmt_misc is not mounted at %s", BINFMT_DIR_DEFAULT);
        if (binfmt_dir_is_enabled(dirfd) == 0)
                return fail(err, p, "this kernel has no private binfmt_misc instances (Linux < 6.7) and the host's "
                            "binfmt_misc is disabled (%s/status)", BINFMT_DIR_DEFAULT);
        r = binfmt_dir_find_handler(dirfd, elf, size, NULL, &e, NULL);
        if (r < 0)
                return fail(err, p, "this kernel has no private binfmt_misc instances (Linux < 6.7) and no entry in "
                            "the host's binfmt_misc handles it");
        ret->archway = interpreter_is_archway(e.interpreter);
        if (!(e.flags & BINFMT_FIX_BINARY))
                return fail(err, p, "the host's binfmt_misc entry %s (%s, %s) has no flag F, so it cannot run "
                            "programs inside a build's root", e.name, ret->archway ? "archway's" : "another registrar's",
                            e.interpreter);
        r = write_probe(scratch, rows[0], probe, sizeof(probe));
        if (r < 0 || !run_host_probe(probe))
                return fail(err, p, "the host's binfmt_misc entry %s (%s) did not run the probe program", e.name,
                            e.interpreter);
        ret->interpreter = strdup(e.interpreter);
        if (!ret->interpreter)
                return -ENOMEM;
        snprintf(ret->entry, sizeof(ret->entry), "%s", e.name);
        ret->flags = e.flags;
        ret->kind = EMULATION_HOST;
        return 0;
}

int emulation_resolve(const SandboxKernel *kernel, const Platform *p, EmulatorMode mode, const char *scratch,
                      Emulation *ret, ErrorDetail *err) {
        Emulation e = { .platform = *p };
        int r;

        r = kernel->binfmt_ns ? resolve_private(p, mode, &e, err) : resolve_host(p, scratch, &e, err);
        if (r < 0) {
                free(e.interpreter);
                return r;
        }
        *ret = e;
        return 0;
}

int emulation_plan(const SandboxKernel *kernel, const Platform *platforms, size_t n, EmulatorMode mode,
                   const char *scratch, EmulationPlan *ret, ErrorDetail *err) {
        EmulationPlan plan = {};
        int r;

        for (size_t k = 0; k < n && plan.n < ELEMENTSOF(plan.items); k++) {
                if (!emulator_needed(&platforms[k]) || emulation_plan_find(&plan, &platforms[k]))
                        continue;
                r = emulation_resolve(kernel, &platforms[k], mode, scratch, &plan.items[plan.n], err);
                if (r < 0) {
                        emulation_plan_done(&plan);
                        return r;
                }
                plan.n++;
        }
        *ret = plan;
        return 0;
}

const Emulation *emulation_plan_find(const EmulationPlan *plan, const Platform *p) {
        for (size_t k = 0; plan && k < plan->n; k++)
                if (platform_equal(&plan->items[k].platform, p))
                        return &plan->items[k];
        return NULL;
}

const char *emulation_plan_describe(const EmulationPlan *plan, char *buf, size_t size) {
        size_t n = 0;

        buf[0] = 0;
        for (size_t k = 0; k < plan->n && n < size; k++) {
                const Emulation *e = &plan->items[k];
                char plat[PLATFORM_STRING_MAX], flags[5];
                int w;

                if (e->kind == EMULATION_PRIVATE)
                        w = snprintf(buf + n, size - n, "%s%s: private binfmt_misc instance per step (%s)", k ? "; " : "",
                                     platform_to_string(&e->platform, plat), e->interpreter);
                else
                        w = snprintf(buf + n, size - n, "%s%s: the host's binfmt_misc entry %s (%s, %s, flags %s)",
                                     k ? "; " : "", platform_to_string(&e->platform, plat), e->entry,
                                     e->archway ? "archway's" : "another registrar's", e->interpreter,
                                     binfmt_flags_to_string(e->flags, flags));
                if (w < 0)
                        break;
                n += (size_t) w;
        }
        return buf;
}
