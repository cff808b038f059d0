/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* archshim's commands for people and tools: compiling routes, explaining and timing a decision. Not
 * the hot path: stdio and the heap are fine here, but nothing here runs for a binfmt_misc start.
 *
 * Telling the two apart: binfmt_misc puts the program's path in argv[1]. A command is argv[1]
 * starting with "--" when the kernel gave no sign of binfmt_misc (no AT_EXECFD, no
 * AT_FLAGS_PRESERVE_ARGV0) and argv[1] is not the file the kernel executed (AT_EXECFN is the
 * program's path under binfmt_misc, archshim's own when run by hand). Only a program literally
 * exec'd as "--something" through a registration without P or O could be mistaken, and it could
 * not be, because AT_EXECFN would then equal argv[1]. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "file-util.h"
#include "macro.h"
#include "qemu-locate.h"
#include "routes.h"
#include "shim.h"

#ifndef ARCHWAY_VERSION
#define ARCHWAY_VERSION "0.0-dev"
#endif

/* Exit codes of the commands (not of a binfmt_misc start, see shim.h). */
enum {
        MANAGE_OK = 0,
        MANAGE_FAILED = 1,
        MANAGE_USAGE = 2,
};

static bool invoked_as_command(int argc, char **argv) {
        const char *execfn;
        unsigned long fd;

        if (argc < 2)
                return true;
        if (!strneq(argv[1], "--", 2))
                return false;
        errno = 0;
        fd = getauxval(AT_EXECFD);
        if (fd != 0 || errno != ENOENT || (getauxval(AT_FLAGS) & 1))
                return false;
        execfn = (const char *) getauxval(AT_EXECFN);
        return !execfn || !streq(execfn, argv[1]);
}

static int help(void) {
        printf("archshim: the exec shim between binfmt_misc and QEMU (see archshim(8), docs/shim.md)\n\n"
               "  archshim --compile-routes CONF [--output IDX]  compile routes.conf into routes.idx\n"
               "  archshim --check-routes CONF                   parse routes.conf, report errors\n"
               "  archshim --explain PROGRAM [ARGS...]           print the decision for PROGRAM\n"
               "  archshim --bench-decision PROGRAM [N]          time the decision, N times\n"
               "  archshim --version | --help\n\n"
               "Started by binfmt_misc, it identifies the program and runs it natively (a route),\n"
               "under QEMU, or says in one line why it cannot (exit 126/127).\n");
        return MANAGE_OK;
}

/* Read a whole routes.conf (bounded). Returns a malloc'd buffer, or NULL with errno. */
static char *read_text(const char *path, size_t *ret_size, struct stat *ret_st) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *buf = NULL;
        size_t n = 0;
        ssize_t k;

        if (fd < 0 || fstat(fd, ret_st) < 0)
                return NULL;
        if ((uint64_t) ret_st->st_size > ROUTES_TEXT_MAX)
                return errno = E2BIG, NULL;
        buf = malloc(ROUTES_TEXT_MAX + 1);
        if (!buf)
                return NULL;
        while ((k = read(fd, buf + n, ROUTES_TEXT_MAX + 1 - n)) > 0)
                n += (size_t) k;
        if (k < 0)
                return NULL;
        if (n > ROUTES_TEXT_MAX)
                return errno = E2BIG, NULL;
        *ret_size = n;
        return TAKE_PTR(buf);
}

static int report_parse_error(const char *conf, int r, const RoutesError *e) {
        if (r == -EINVAL && e->line > 0)
                fprintf(stderr, "archshim: %s:%u: %s\n", conf, e->line, e->message);
        else if (r == -EINVAL)
                fprintf(stderr, "archshim: %s: %s\n", conf, e->message);
        else
                fprintf(stderr, "archshim: %s: %s\n", conf, strerror(-r));
        return MANAGE_FAILED;
}

static int count_rule(const RouteRuleSrc *rule, void *userdata) {
        (*(unsigned *) userdata)++;
        return 0;
}

static int check_routes(const char *conf) {
        _cleanup_free_ char *text = NULL;
        RoutesError e = {};
        struct stat st;
        unsigned n = 0;
        size_t len;
        int r;

        text = read_text(conf, &len, &st);
        if (!text)
                return fprintf(stderr, "archshim: cannot read %s: %m\n", conf), MANAGE_FAILED;
        r = routes_parse(text, len, count_rule, &n, &e);
        if (r < 0)
                return report_parse_error(conf, r, &e);
        printf("%s: %u route%s\n", conf, n, n == 1 ? "" : "s");
        return MANAGE_OK;
}

static int compile_routes(const char *conf, const char *out) {
        _cleanup_free_ char *text = NULL, *defout = NULL;
        _cleanup_free_ void *idx = NULL;
        RoutesError e = {};
        struct stat st;
        size_t len, size = 0;
        int r;

        text = read_text(conf, &len, &st);
        if (!text)
                return fprintf(stderr, "archshim: cannot read %s: %m\n", conf), MANAGE_FAILED;
        if (!out) {
                size_t n = strlen(conf);
                if (n > 5 && streq(conf + n - 5, ".conf"))
                        n -= 5;
                if (asprintf(&defout, "%.*s.idx", (int) n, conf) < 0)
                        return fprintf(stderr, "archshim: out of memory\n"), MANAGE_FAILED;
                out = defout;
        }
        r = routes_compile(text, len, (uint64_t) st.st_size,
                           (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec, NULL, 0, &size, &e);
        if (r == -ENOBUFS) {
                /* 8-byte alignment for the index's u64 fields: malloc gives at least that. */
                idx = malloc(size);
                if (!idx)
                        return fprintf(stderr, "archshim: out of memory\n"), MANAGE_FAILED;
                r = routes_compile(text, len, (uint64_t) st.st_size,
                                   (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec, idx, size, &size, &e);
        }
        if (r < 0)
                return report_parse_error(conf, r, &e);
        r = write_file_atomic(AT_FDCWD, out, idx, size, 0644, NULL);
        if (r < 0)
                return fprintf(stderr, "archshim: cannot write %s: %s\n", out, strerror(-r)), MANAGE_FAILED;
        printf("%s: %u route%s -> %s (%zu bytes)\n", conf, routes_index_count(idx),
               routes_index_count(idx) == 1 ? "" : "s", out, size);
        return MANAGE_OK;
}

/* The argv binfmt_misc with flag P would give us for "PROGRAM ARGS...". */
static char **binfmt_argv(int argc, char **argv, int first, int *ret_argc) {
        int n = argc - first;
        char **v = calloc((size_t) n + 3, sizeof(char *));

        if (!v)
                return NULL;
        v[0] = argv[0];
        v[1] = argv[first];
        for (int i = 0; i < n; i++)
                v[2 + i] = argv[first + i];
        *ret_argc = n + 2;
        return v;
}

static int explain(int argc, char **argv, char **envp, const ShimEngine *base) {
        ShimEngine e = *base;
        ShimAux aux = { .at_flags = 1 /* P */ };
        _cleanup_free_ char **v = NULL;
        int n;

        if (argc < 3)
                return fprintf(stderr, "archshim: --explain needs a PROGRAM\n"), MANAGE_USAGE;
        v = binfmt_argv(argc, argv, 2, &n);
        if (!v)
                return MANAGE_FAILED;
        e.dry_run = 1;
        return archshim_run_aux(n, v, envp, &e, &aux);
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

static double now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

/* Time the decision (open, read, identify, route lookup, loader check, argv) without exec. */
static int bench_decision(int argc, char **argv, char **envp, const ShimEngine *base) {
        ShimEngine e = *base;
        ShimAux aux = { .at_flags = 1 };
        _cleanup_free_ char **v = NULL;
        _cleanup_free_ double *t = NULL;
        unsigned long iterations = 10000;
        char *end;
        int n, r = 0;

        if (argc < 3)
                return fprintf(stderr, "archshim: --bench-decision needs a PROGRAM\n"), MANAGE_USAGE;
        if (argc > 3) {
                errno = 0;
                iterations = strtoul(argv[3], &end, 10);
                if (errno || *end || iterations == 0 || iterations > 10000000)
                        return fprintf(stderr, "archshim: bad iteration count '%s'\n", argv[3]), MANAGE_USAGE;
        }
        v = binfmt_argv(3, argv, 2, &n);
        t = calloc(iterations, sizeof(double));
        if (!v || !t)
                return MANAGE_FAILED;
        e.dry_run = 2;
        for (unsigned long i = 0; i < iterations && r == 0; i++) {
                double t0 = now_us();
                r = archshim_run_aux(n, v, envp, &e, &aux);
                t[i] = now_us() - t0;
        }
        if (r != 0)
                return fprintf(stderr, "archshim: the decision for %s fails (exit %d); see --explain\n", argv[2], r),
                       MANAGE_FAILED;
        qsort(t, iterations, sizeof(double), cmp_double);
        printf("decision: %s: median %.2f us, p90 %.2f us, min %.2f us over %lu runs\n", argv[2],
               t[iterations / 2], t[iterations * 9 / 10], t[0], iterations);
        return MANAGE_OK;
}

static int version(const ShimEngine *engine) {
        char text[2048];

        printf("archshim (archway) %s engine=%s\n", ARCHWAY_VERSION, engine->name);
        if (qemu_version_text(QEMU_ARCHWAY_DIR, true, text, sizeof(text)) >= 0)
                fputs(text, stdout);
        return MANAGE_OK;
}

int archshim_manage(int argc, char **argv, char **envp, const ShimEngine *engine) {
        const char *cmd;

        if (!invoked_as_command(argc, argv))
                return -1;
        cmd = argc >= 2 ? argv[1] : "--help";
        if (streq(cmd, "--help") || streq(cmd, "-h"))
                return help();
        if (streq(cmd, "--version"))
                return version(engine);
        if (streq(cmd, "--check-routes") && argc == 3)
                return check_routes(argv[2]);
        if (streq(cmd, "--compile-routes") && argc == 3)
                return compile_routes(argv[2], NULL);
        if (streq(cmd, "--compile-routes") && argc == 5 && streq(argv[3], "--output"))
                return compile_routes(argv[2], argv[4]);
        if (streq(cmd, "--explain"))
                return explain(argc, argv, envp, engine);
        if (streq(cmd, "--bench-decision"))
                return bench_decision(argc, argv, envp, engine);
        fprintf(stderr, "archshim: unknown command or arguments: %s (see --help)\n", cmd);
        return MANAGE_USAGE;
}
