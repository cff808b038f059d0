/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* archway: the umbrella command. Today one verb group, `archway accel` (docs/accel.md):
 *
 *   archway accel install --platform linux/arm64 --root DIR [--verify]
 *   archway accel remove --root DIR
 *   archway accel report LOG
 *
 * report: what ran native in a build, from the ARCHWAY_ACCEL_LOG file archshim appended to.
 * install: native twins of the root's toolchain plus the shim's routing rules (lib/accel.c does the
 * work; archbuild calls the same function). The one thing done here rather than in lib/ is running
 * the host's cross driver for its built-in specs (lib/ does not spawn).
 * Then scripts' accel-perl adds the perl twin when the root has a perl (or says why not).
 * --verify (or ARCHWAY_ACCEL_VERIFY=1): afterwards run scripts' accel-verify on the root, which
 * compiles a sample both emulated and routed in a private binfmt_misc instance and compares.
 *
 * Exit codes: 0 done, 1 failed, 2 usage, 3 nothing to twin (versions differ or tools missing),
 * 4 verification found a difference. */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accel.h"
#include "file-util.h"
#include "libexec.h"
#include "log.h"
#include "macro.h"
#include "qemu-locate.h"
#include "platform.h"
#include "report.h"

enum {
        EXIT_OK = 0,
        EXIT_FAILED = 1,
        EXIT_USAGE = 2,
        EXIT_NOTHING = 3,
        EXIT_DIFFERS = 4,
};

typedef struct Args {
        const char *verb;
        const char *platform;
        const char *root;
        const char *host_root;
        const char *launcher;
        bool verify;
} Args;

#ifndef ARCHWAY_VERSION
#define ARCHWAY_VERSION "0.0-dev"
#endif

static int help(void) {
        printf("archway accel install --platform linux/arm64 --root DIR [--verify] [--launcher PATH]\n"
               "archway accel remove --root DIR\n"
               "archway accel report LOG         (LOG: what ARCHWAY_ACCEL_LOG named during a build)\n"
               "archway --version\n\n"
               "Native cross-tool twins inside a foreign root, routed by archshim (docs/accel.md).\n");
        return EXIT_OK;
}

static int parse_argv(int argc, char **argv, Args *a) {
        static const struct option options[] = {
                { "help",      no_argument,       NULL, 'h' },
                { "platform",  required_argument, NULL, 'p' },
                { "root",      required_argument, NULL, 'r' },
                { "host-root", required_argument, NULL, 'H' },
                { "launcher",  required_argument, NULL, 'l' },
                { "verify",    no_argument,       NULL, 'V' },
                {}
        };
        int c;

        *a = (Args) { .platform = "linux/arm64", .host_root = "/" };
        if (argc == 2 && streq(argv[1], "--version")) {
                a->verb = "--version";
                return 0;
        }
        if (argc < 3 || !streq(argv[1], "accel"))
                return argc >= 2 && (streq(argv[1], "--help") || streq(argv[1], "-h")) ? 0 : -EINVAL;
        a->verb = argv[2];
        if (streq(a->verb, "report")) {
                a->root = argc == 4 ? argv[3] : NULL; /* the log */
                return a->root ? 0 : -EINVAL;
        }
        optind = 3;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h': a->verb = NULL; return 0;
                case 'p': a->platform = optarg; break;
                case 'r': a->root = optarg; break;
                case 'H': a->host_root = optarg; break;
                case 'l': a->launcher = optarg; break;
                case 'V': a->verify = true; break;
                default: return -EINVAL;
                }
        if (optind < argc || !a->root || (!streq(a->verb, "install") && !streq(a->verb, "remove")))
                return -EINVAL;
        if (getenv("ARCHWAY_ACCEL_VERIFY") && streq(getenv("ARCHWAY_ACCEL_VERIFY"), "1"))
                a->verify = true;
        return 0;
}

/* The host cross driver's built-in specs. */
static int host_specs(const char *host_root, const AccelPlatform *p, char **ret) {
        _cleanup_free_ char *out = NULL;
        char cmd[PATH_MAX + 64];
        FILE *f;
        int r;

        snprintf(cmd, sizeof(cmd), "'%s/usr/bin/%s-gcc-%s' -dumpspecs", streq(host_root, "/") ? "" : host_root,
                 p->triple, p->gcc_major);
        f = popen(cmd, "re");
        if (!f)
                return -errno;
        r = read_full_stream(f, &out, NULL);
        if (pclose(f) != 0 || r < 0 || !*out)
                return r < 0 ? r : -ENOENT;
        *ret = TAKE_PTR(out);
        return 0;
}

/* Runs scripts' NAME (installed in libexec, else the source tree's scripts/) with the arguments that
 * follow, up to NULL. Returns its exit status, or -1 when it could not be run (logged). */
static int run_script(const char *name, ...) {
        _cleanup_free_ char *found = NULL, *local = NULL;
        const char *argv[8];
        size_t n = 1;
        va_list ap;
        pid_t pid;
        int status;

        if (libexec_find(name, NULL, &found) < 0) {
                if (asprintf(&local, "scripts/%s", name) < 0)
                        return log_oom(), -1;
                if (access(local, X_OK) < 0)
                        return log_error_errno(ENOENT, "Failed to find %s (libexec or scripts/): %m", name), -1;
        }
        argv[0] = found ?: local;
        va_start(ap, name);
        while (n < ELEMENTSOF(argv) - 1 && (argv[n] = va_arg(ap, const char *)))
                n++;
        va_end(ap);
        argv[n] = NULL;
        fflush(stdout);
        pid = fork();
        if (pid < 0)
                return log_error_errno(errno, "Failed to fork: %m"), -1;
        if (pid == 0) {
                execv(argv[0], (char **) argv);
                _exit(127);
        }
        if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
                return -1;
        return WEXITSTATUS(status);
}

static int verify(const char *root) {
        int r = run_script("accel-verify", root, NULL);

        return r == 0 ? EXIT_OK : r == 1 ? EXIT_DIFFERS : EXIT_FAILED;
}

/* The perl twin (scripts/accel-perl, docs/accel.md "perl"), when the root has a perl: it declines
 * with its reasons on stderr (exit 3) unless every piece has a same-version host counterpart.
 * Returns EXIT_OK installed or declined, else EXIT_FAILED. */
static int perl_twin(const char *root, const char *platform) {
        _cleanup_free_ char *perl = NULL;
        int r;

        if (asprintf(&perl, "%s/usr/bin/perl", root) < 0)
                return log_oom(), EXIT_FAILED;
        if (access(perl, F_OK) < 0)
                return EXIT_OK;
        r = run_script("accel-perl", "--root", root, "--platform", platform, NULL);
        return r == 0 || r == 3 ? EXIT_OK : EXIT_FAILED;
}

static int run_install(const Args *a) {
        _cleanup_free_ char *specs = NULL, *found = NULL, *compiler_cache = NULL, *tool_cache = NULL;
        const char *launcher = a->launcher;
        const AccelPlatform *p;
        Platform pl;
        AccelResult res;
        int r;

        r = platform_parse(a->platform, &pl);
        if (r < 0 || !(p = accel_platform_lookup(pl.arch)))
                return log_error_errno(r < 0 ? r : EOPNOTSUPP, "No twins for platform '%s'", a->platform), EXIT_USAGE;
        if (!launcher) {
                if (libexec_find("archway-twin-launch", NULL, &found) < 0)
                        return log_error_errno(ENOENT, "Failed to find archway-twin-launch: %m"), EXIT_FAILED;
                launcher = found;
        }
        /* scripts/build-cross-gcc's cache: version-exact compilers (docs/accel.md, "Hardened compiles"). */
        if (asprintf(&compiler_cache, "%s/cross-gcc", getenv("ARCHWAY_CACHE_DIR") ?: "/var/cache/archway") < 0 ||
            asprintf(&tool_cache, "%s/twin-tools", getenv("ARCHWAY_CACHE_DIR") ?: "/var/cache/archway") < 0)
                return log_oom(), EXIT_FAILED;
        r = host_specs(a->host_root, p, &specs);
        if (r < 0)
                return log_error_errno(r, "Failed to read the specs of %s-gcc-%s on the host (install "
                                       "gcc-%s-%s): %m", p->triple, p->gcc_major, p->gcc_major, p->triple), EXIT_FAILED;
        r = accel_install(&(AccelInstall) { .root = a->root, .host_root = a->host_root, .launcher = launcher,
                                            .specs = specs, .platform = p, .compiler_cache = compiler_cache,
                                            .tool_cache = tool_cache },
                          &res);
        if (r == -ESRCH)
                return log_error_errno(r, "Nothing to twin in '%s': versions differ or tools are missing", a->root),
                       EXIT_NOTHING;
        if (r < 0)
                return log_error_errno(r, "Failed to install twins into '%s': %m", a->root), EXIT_FAILED;
        printf("%s: %zu rules, %zu programs, %zu host libraries in " ACCEL_NATIVE_DIR "\n", a->root, res.n_rules,
               res.n_programs, res.n_libraries);
        if (res.skipped_why[0])
                printf("skipped: %s\n", res.skipped_why);
        if (res.version_notes[0])
                printf("version: %s\n", res.version_notes);
        if (res.built[0])
                printf("built: %s\n", res.built);
        if (res.compiler_proper[0])
                printf("compiler: cc1, cc1plus, lto1 from %s\n", res.compiler_proper);
        r = perl_twin(a->root, a->platform);
        if (r != EXIT_OK)
                return r;
        return a->verify ? verify(a->root) : EXIT_OK;
}

/* The version, and the QEMU an emulated root's foreign programs get (through archshim). */
static int version(void) {
        char text[2048];

        printf("archway (archway) %s\n", ARCHWAY_VERSION);
        if (qemu_version_text(QEMU_ARCHWAY_DIR, true, text, sizeof(text)) >= 0)
                fputs(text, stdout);
        return EXIT_OK;
}

static int run(const Args *a) {
        int r;

        if (!a->verb)
                return help();
        if (streq(a->verb, "--version"))
                return version();
        if (streq(a->verb, "install"))
                return run_install(a);
        if (streq(a->verb, "report")) {
                r = accel_report(a->root, stdout);
                if (r < 0)
                        return log_error_errno(r, "Failed to read '%s': %m", a->root), EXIT_FAILED;
                return EXIT_OK;
        }
        r = accel_remove(a->root);
        if (r < 0)
                return log_error_errno(r, "Failed to remove twins from '%s': %m", a->root), EXIT_FAILED;
        return EXIT_OK;
}

int main(int argc, char **argv) {
        Args a;

        log_set_program("archway");
        if (parse_argv(argc, argv, &a) < 0) {
                fprintf(stderr, "Usage: archway accel install --platform PLATFORM --root DIR [--verify]\n"
                                "       archway accel remove --root DIR\n"
                                "       archway accel report LOG\n");
                return EXIT_USAGE;
        }
        return run(&a);
}
