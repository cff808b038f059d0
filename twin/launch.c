/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* archway-twin-launch: starts one native (host) tool of a twin tree inside a foreign root.
 *
 * `archway accel install` copies the host's cross tools into ROOT/.archway/native/real/<path> and
 * puts a hard link of this static program at ROOT/.archway/native/<path>, for every tool a driver
 * spawns (gcc -> cc1, as, collect2 -> ld, lto-wrapper). The copied tools are dynamic x86_64 programs
 * whose PT_INTERP (/lib64/ld-linux-x86-64.so.2) and libraries do not exist in the foreign root, and we
 * do not touch the root's /lib. So this launcher runs the copied loader explicitly:
 *
 *     BASE/host-lib/ld-linux-x86-64.so.2 --inhibit-cache --library-path BASE/host-lib --argv0 ARGV0 BASE/real/<path> ARGS...
 *
 * BASE is taken from the path we were started as (AT_EXECFN: the name given to execve(), which gcc and
 * collect2 always give as an absolute path), cut after "/.archway/native"; so the same tree works inside
 * the root (BASE = /.archway/native) and from the host (BASE = /srv/root/.archway/native). argv[0] is
 * handed on unchanged: gcc computes its own install prefix from it (make_relative_prefix), which is
 * why the links are hard links, not symlinks (those would resolve to one shared file).
 *
 * Standard include directories (C++): a compiler proper may have a file REAL.include-env beside it,
 * one line NAME=DIR:DIR... (install writes CPLUS_INCLUDE_PATH=/usr/include/c++/12:... for cc1plus).
 * Unless an argument is -nostdinc or -nostdinc++, NAME is set to the caller's value (when not empty),
 * ':', and those directories. cc1plus searches CPLUS_INCLUDE_PATH after -isystem and before its
 * built-in chain, as a C++-aware system directory, exactly like the native g++'s built-in C++
 * directories; -isystem from specs would mark them "not C++-aware" (flag 4 in -E line markers).
 *
 * Hot path, like the shim: no heap, no stdio, one execve. Exit 127 with one line when the tree is
 * incomplete. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#define TWIN_MARK "/.archway/native"
#define TWIN_LOADER "/host-lib/ld-linux-x86-64.so.2"
#define TWIN_EXTRA_ARGS 7

static int fail(const char *what, const char *path) {
        const char *err = strerror(errno);
        char line[2 * PATH_MAX];
        size_t n = 0;

        for (const char *parts[] = { "archway-twin-launch: ", what, path ?: "", path ? ": " : "", err, "\n" },
             **p = parts; p < parts + 6; p++) {
                size_t k = strnlen(*p, sizeof(line) - n);
                memcpy(line + n, *p, k);
                n += k;
        }
        (void) !write(STDERR_FILENO, line, n);
        return 127;
}

/* "A" "B" into buf (size bytes). Returns 0 or -ENAMETOOLONG. */
static int join(char *buf, size_t size, const char *a, size_t an, const char *b) {
        size_t bn = strlen(b);

        if (an + bn + 1 > size)
                return -ENAMETOOLONG;
        memmove(buf, a, an); /* a may be buf itself */
        memcpy(buf + an, b, bn + 1);
        return 0;
}

/* REAL.include-env into buf: "NAME=DIRS" (no newline). Returns its length, 0 when there is none (or
 * it is empty, unreadable or too long: then nothing changes). */
static size_t include_env_read(const char *real, char *buf, size_t size) {
        char path[PATH_MAX];
        ssize_t k;
        int fd;

        if (join(path, sizeof(path), real, strlen(real), ".include-env") < 0)
                return 0;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        k = read(fd, buf, size);
        (void) close(fd);
        if (k <= 0 || (size_t) k >= size)
                return 0;
        while (k > 0 && buf[k - 1] == '\n')
                k--;
        buf[k] = 0;
        return strchr(buf, '=') && buf[0] != '=' ? (size_t) k : 0;
}

static bool has_arg(int argc, char **argv, const char *a, const char *b) {
        for (int i = 1; i < argc; i++)
                if (strcmp(argv[i], a) == 0 || strcmp(argv[i], b) == 0)
                        return true;
        return false;
}

/* Run the loader with envp, or with NAME=<caller's value>:DIRS from REAL.include-env in place of the
 * caller's NAME (docs above). */
static int exec_loader(const char *loader, char **nargv, int argc, char **argv, char **envp, const char *real) {
        char spec[PATH_MAX];
        size_t n_env = 0, len = include_env_read(real, spec, sizeof(spec));

        if (len == 0 || has_arg(argc, argv, "-nostdinc", "-nostdinc++"))
                return execve(loader, nargv, envp);
        for (char **e = envp; e && *e; e++)
                n_env++;
        size_t name_len = (size_t) (strchr(spec, '=') - spec) + 1; /* with '=' */
        const char *user = NULL;
        char *nenv[n_env + 2];
        size_t k = 0;
        for (char **e = envp; e && *e; e++) {
                if (strncmp(*e, spec, name_len) == 0)
                        user = user ?: *e + name_len; /* the first, as cc1plus's getenv() would take */
                else
                        nenv[k++] = *e;
        }
        size_t user_len = user ? strlen(user) : 0;
        char var[len + user_len + 2];
        memcpy(var, spec, name_len);
        memcpy(var + name_len, user ?: "", user_len);
        if (user_len)
                var[name_len + user_len++] = ':';
        memcpy(var + name_len + user_len, spec + name_len, len - name_len + 1);
        nenv[k++] = var;
        nenv[k] = NULL;
        return execve(loader, nargv, nenv);
}

int main(int argc, char **argv, char **envp) {
        const char *self = (const char *) getauxval(AT_EXECFN), *mark;
        char loader[PATH_MAX], libdir[PATH_MAX], real[PATH_MAX], base[PATH_MAX];
        size_t base_len;
        char *nargv[argc + TWIN_EXTRA_ARGS + 1];
        int n = 0;

        if (!self || self[0] != '/' || !(mark = strstr(self, TWIN_MARK "/"))) {
                errno = EINVAL;
                return fail("not started from an absolute path inside " TWIN_MARK ": ", self ?: "?");
        }
        base_len = (size_t) (mark - self) + strlen(TWIN_MARK);
        if (base_len >= sizeof(base))
                return errno = ENAMETOOLONG, fail("path too long: ", self);
        memcpy(base, self, base_len);
        base[base_len] = 0;
        if (join(loader, sizeof(loader), base, base_len, TWIN_LOADER) < 0 ||
            join(libdir, sizeof(libdir), base, base_len, "/host-lib") < 0 ||
            join(real, sizeof(real), base, base_len, "/real") < 0 ||
            join(real, sizeof(real), real, strlen(real), self + base_len) < 0)
                return errno = ENAMETOOLONG, fail("path too long: ", self);

        nargv[n++] = loader;
        nargv[n++] = (char *) "--inhibit-cache";
        nargv[n++] = (char *) "--library-path";
        nargv[n++] = libdir;
        nargv[n++] = (char *) "--argv0";
        nargv[n++] = argc > 0 ? argv[0] : (char *) self;
        nargv[n++] = real;
        for (int i = 1; i < argc; i++)
                nargv[n++] = argv[i];
        nargv[n] = NULL;
        exec_loader(loader, nargv, argc, argv, envp, real);
        return fail("cannot run the twin's loader ", loader);
}
