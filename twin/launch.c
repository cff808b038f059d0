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
 * Hot path, like the shim: no heap, no stdio, one execve. Exit 127 with one line when the tree is
 * incomplete. */

#include <errno.h>
#include <limits.h>
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
        execve(loader, nargv, envp);
        return fail("cannot run the twin's loader ", loader);
}
