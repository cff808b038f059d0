/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which interpreter a rule gets, whether an interpreter is ours, and what it supports.
 *
 * Resolution order for QEMU target T (emulator = auto):
 *   1. the QEMU directory given by --qemu-dir, else qemu-dir= in the configuration, else
 *      $ARCHWAY_QEMU_DIR: DIR/qemu-T
 *   2. our installed build: ARCHWAY_LIBEXECDIR/qemu/qemu-T
 *   3. Debian's qemu-user-static: /usr/bin/qemu-T-static
 * emulator = archway stops after 2, emulator = debian uses only 3, emulator = shim registers the shim:
 * the QEMU+shim build qemu-T-archway beside archshim when it exists (scripts/link-shim-qemu; it is the
 * one that works inside containers, since flag F pins a single file), else the standalone archshim.
 *
 * An entry is ours when its interpreter is one of those: under ARCHWAY_LIBEXECDIR, in the QEMU
 * directory, or a Debian /usr/bin/qemu-*-static binary unless emulator = archway (which is how an admin
 * tells us that Debian-path entries on this host belong to someone else). */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "binfmt-probe.h"
#include "binfmt.h"
#include "elf-id.h"
#include "file-util.h"
#include "macro.h"
#include "qemu-version.h"

/* linux-user honours AT_FLAGS_PRESERVE_ARGV0 since QEMU 6.1 (linux-user/main.c); the kernel passes
 * that flag since Linux 5.12. Earlier, P would shift the program's arguments. */
#define QEMU_P_MAJOR 6
#define QEMU_P_MINOR 1
#define KERNEL_P_MAJOR 5
#define KERNEL_P_MINOR 12

static const char *qemu_dir_of(const Settings *s) {
        const char *env;

        if (!isempty(s->qemu_dir))
                return s->qemu_dir;
        env = getenv("ARCHWAY_QEMU_DIR");
        return isempty(env) ? NULL : env;
}

static int set_path(Emulator *ret, EmulatorSource source, const char *path) {
        if (strlen(path) >= sizeof(ret->path))
                return -ENOENT;
        strcpy(ret->path, path);
        ret->source = source;
        return 0;
}

static int try_path(Emulator *ret, EmulatorSource source, const char *path) {
        return is_executable_file(path) ? set_path(ret, source, path) : -ENOENT;
}

/* binfmt's auto is plain QEMU: a registration is what tonistiigi/binfmt makes unless the shim is asked for. */
static EmulatorMode mode_of(const Settings *s) {
        return s->emulator == EMULATOR_AUTO ? EMULATOR_QEMU : s->emulator;
}

/* The linked QEMU+shim lives in the directory of the standalone shim: SHIM_DIR/qemu-T-archway. */
static const char *shim_dir_of(const Settings *s, char buf[static sizeof(s->shim_path)]) {
        const char *slash = strrchr(s->shim_path, '/');

        snprintf(buf, sizeof(s->shim_path), "%.*s", slash ? (int) (slash - s->shim_path) : 0, s->shim_path);
        return buf;
}

int emulator_resolve(const Settings *s, const BinfmtTarget *t, Emulator *ret) {
        static const EmulatorSource sources[_EMULATOR_ORIGIN_MAX] = {
                [EMULATOR_FROM_DIR] = SOURCE_QEMU_DIR, [EMULATOR_FROM_ARCHWAY] = SOURCE_ARCHWAY,
                [EMULATOR_FROM_DEBIAN] = SOURCE_DEBIAN, [EMULATOR_FROM_DEBIAN_DYNAMIC] = SOURCE_DEBIAN,
                [EMULATOR_FROM_SHIM] = SOURCE_SHIM,
        };
        _cleanup_free_ char *path = NULL;
        char dir[sizeof(s->shim_path)];
        const char *shim_dirs[] = { shim_dir_of(s, dir), NULL };
        EmulatorOrigin origin;
        int r;

        r = emulator_locate(t->emulator, emulator_search_order(mode_of(s)), qemu_dir_of(s), shim_dirs, &path, &origin);
        /* Without the linked shim, the standalone archshim (which finds QEMU itself). */
        if (r == -ENOENT && mode_of(s) == EMULATOR_SHIM)
                return try_path(ret, SOURCE_SHIM, s->shim_path);
        if (r < 0)
                return -ENOENT;
        return set_path(ret, sources[origin], path);
}

int emulator_preferred(const Settings *s, const BinfmtTarget *t, char *buf, size_t size) {
        char dir[sizeof(s->shim_path)];

        for (const EmulatorOrigin *o = emulator_search_order(mode_of(s)); *o != _EMULATOR_ORIGIN_MAX; o++) {
                int r = emulator_path(*o, t->emulator, *o == EMULATOR_FROM_SHIM ? shim_dir_of(s, dir) : qemu_dir_of(s),
                                      buf, size);
                if (r != -ENOENT)
                        return r;
        }
        return -ENOENT;
}

bool emulator_is_fallback(const Settings *s, const BinfmtTarget *t, const char *interpreter) {
        char want[sizeof(((Emulator *) NULL)->path) + 64];

        return emulator_preferred(s, t, want, sizeof(want)) == 0 && !streq(want, interpreter);
}

static bool path_in_dir(const char *path, const char *dir) {
        size_t n = strlen(dir);

        while (n > 1 && dir[n - 1] == '/')
                n--;
        return strneq(path, dir, n) && path[n] == '/' && !strchr(path + n + 1, '/');
}

EmulatorSource emulator_classify(const Settings *s, const char *interpreter) {
        const char *dir = qemu_dir_of(s);

        if (streq(interpreter, s->shim_path) || streq(interpreter, SHIM_PATH_DEFAULT) ||
            fnmatch("*/qemu-*-archway", interpreter, 0) == 0) /* any copy of the linked shim */
                return SOURCE_SHIM;
        if (dir && path_in_dir(interpreter, dir))
                return SOURCE_QEMU_DIR;
        if (path_in_dir(interpreter, QEMU_ARCHWAY_DIR))
                return SOURCE_ARCHWAY;
        if (s->emulator != EMULATOR_ARCHWAY && fnmatch("/usr/bin/qemu-*-static", interpreter, FNM_PATHNAME) == 0)
                return SOURCE_DEBIAN;
        return SOURCE_FOREIGN;
}

/* Run "path --version" and look for "version X.Y". The emulator may be anyone's file: it is bounded
 * as a probe program is (lib/binfmt-probe.h), and killed when it outlives that. */
static bool qemu_version_at_least(const char *path, unsigned major, unsigned minor) {
        char *argv[] = { (char *) path, (char *) "--version", NULL }, *envp[] = { NULL };
        posix_spawn_file_actions_t fa;
        char out[512] = {};
        const char *v;
        int pipefd[2];
        pid_t pid;
        bool ok;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return false;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
        posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
        ok = posix_spawn(&pid, path, &fa, NULL, argv, envp) == 0;
        posix_spawn_file_actions_destroy(&fa);
        close(pipefd[1]);
        if (ok) {
                uint64_t deadline = binfmt_probe_deadline();

                (void) binfmt_probe_set_limits(pid);
                (void) read_pipe_until(pipefd[0], out, sizeof(out), deadline);
                (void) binfmt_probe_wait(pid, deadline, NULL, NULL);
        }
        close(pipefd[0]);
        v = ok ? strstr(out, "version ") : NULL;
        return v && version_at_least(v + strlen("version "), major, minor);
}

static bool kernel_passes_argv0_flag(void) {
        struct utsname u;

        return uname(&u) == 0 && version_at_least(u.release, KERNEL_P_MAJOR, KERNEL_P_MINOR);
}

bool emulator_supports_preserve_argv0(const Emulator *e, VersionCache *cache) {
        char dir[sizeof(e->path)], *slash;
        bool supports;

        if (e->source == SOURCE_SHIM)
                return true;
        if (!kernel_passes_argv0_flag())
                return false;

        /* One QEMU build per directory: ask one of its binaries. */
        strcpy(dir, e->path);
        slash = strrchr(dir, '/');
        if (slash)
                *slash = '\0';
        for (size_t i = 0; i < cache->n; i++)
                if (streq(cache->dir[i], dir))
                        return cache->supports[i];
        supports = qemu_version_at_least(e->path, QEMU_P_MAJOR, QEMU_P_MINOR);
        if (cache->n < ELEMENTSOF(cache->dir)) {
                strcpy(cache->dir[cache->n], dir);
                cache->supports[cache->n++] = supports;
        }
        return supports;
}

int emulator_check(const char *path, BinfmtFlags flags) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        ElfId id;
        int r;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0)
                return -EACCES;
        if (!(flags & BINFMT_FIX_BINARY))
                return 0;

        /* F pins this file for use inside any root: it must not need a loader or libraries there. */
        r = elf_id_from_fd(fd, 0, &id);
        if (r < 0)
                return r == -ENOEXEC || r == -EBADMSG ? -ENOEXEC : r;
        return id.dynamic ? -ENOEXEC : 0;
}
