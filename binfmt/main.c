/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* binfmt: register user-mode emulators with binfmt_misc, keep them registered, and say what runs.
 * Command-line compatible with tonistiigi/binfmt (no arguments: JSON; --install; --uninstall), plus
 * the verbs status, reconcile, export and doctor. See binfmt(1); exit codes are in binfmt.h. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "binfmt-dir.h"
#include "binfmt.h"
#include "log.h"
#include "macro.h"

#ifndef ARCHWAY_VERSION
#define ARCHWAY_VERSION "0.0-dev"
#endif

typedef enum Verb {
        VERB_DEFAULT,   /* --install/--uninstall if given, then the JSON summary */
        VERB_STATUS,
        VERB_RECONCILE,
        VERB_EXPORT,
        VERB_DOCTOR,
        _VERB_MAX,
        _VERB_INVALID = -EINVAL,
} Verb;

static const char *const verbs[_VERB_MAX] = {
        [VERB_STATUS] = "status",
        [VERB_RECONCILE] = "reconcile",
        [VERB_EXPORT] = "export",
        [VERB_DOCTOR] = "doctor",
};

typedef struct Args {
        Verb verb;
        const char *config, *install, *uninstall, *binfmt_dir, *qemu_dir, *emulator, *flags;
        const char *root, *binfmt_d;
        bool force, no_probe, shim, version;
        char **rest;   /* operands after the verb */
        int n_rest;
} Args;

static void help(void) {
        printf("Usage: binfmt [OPTIONS]                      print {\"supported\": [...], \"emulators\": [...]}\n"
               "       binfmt [OPTIONS] --install ARCH[,ARCH...]|all [--uninstall PATTERN[,...]]\n"
               "       binfmt [OPTIONS] status | reconcile\n"
               "       binfmt [OPTIONS] export --binfmt-d DIR [ARCH...]\n"
               "       binfmt [OPTIONS] doctor [--root DIR] FILE\n\n"
               "ARCH: arm64, linux/arm/v7, riscv64, aarch64 (QEMU name), ...  PATTERN: qemu-aarch64, 'qemu-*', arm64\n\n"
               "  --binfmt-dir DIR, --mount DIR  binfmt_misc instance (default /proc/sys/fs/binfmt_misc)\n"
               "  --config PATH                  configuration file or directory (default %s)\n"
               "  --qemu-dir DIR                 directory with qemu-<target> binaries\n"
               "  --emulator auto|archway|debian|shim, --shim\n"
               "  --flags LETTERS                binfmt flags (default F, plus P when supported)\n"
               "  --force                        also touch entries of others; allow the host's family\n"
               "  --no-probe                     do not run probe programs\n"
               "  -q, --quiet / -v, --verbose    less / more on stderr\n"
               "  --version, -h, --help\n", CONFIG_FILE_DEFAULT);
}

static Verb verb_from_string(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (verbs[i] && streq(verbs[i], s))
                        return (Verb) i;
        return _VERB_INVALID;
}

enum { ARG_INSTALL = 0x100, ARG_UNINSTALL, ARG_BINFMT_DIR, ARG_CONFIG, ARG_QEMU_DIR, ARG_EMULATOR, ARG_SHIM,
       ARG_FLAGS, ARG_FORCE, ARG_NO_PROBE, ARG_ROOT, ARG_BINFMT_D, ARG_VERSION };

static const struct option options[] = {
        { "install", required_argument, NULL, ARG_INSTALL },
        { "uninstall", required_argument, NULL, ARG_UNINSTALL },
        { "binfmt-dir", required_argument, NULL, ARG_BINFMT_DIR },
        { "mount", required_argument, NULL, ARG_BINFMT_DIR }, /* tonistiigi/binfmt's name */
        { "config", required_argument, NULL, ARG_CONFIG },
        { "qemu-dir", required_argument, NULL, ARG_QEMU_DIR },
        { "emulator", required_argument, NULL, ARG_EMULATOR },
        { "shim", no_argument, NULL, ARG_SHIM },
        { "flags", required_argument, NULL, ARG_FLAGS },
        { "force", no_argument, NULL, ARG_FORCE },
        { "no-probe", no_argument, NULL, ARG_NO_PROBE },
        { "root", required_argument, NULL, ARG_ROOT },
        { "binfmt-d", required_argument, NULL, ARG_BINFMT_D },
        { "version", no_argument, NULL, ARG_VERSION },
        { "quiet", no_argument, NULL, 'q' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        {}
};

static const char **option_slot(Args *a, int c) {
        switch (c) {
        case ARG_INSTALL: return &a->install;
        case ARG_UNINSTALL: return &a->uninstall;
        case ARG_BINFMT_DIR: return &a->binfmt_dir;
        case ARG_CONFIG: return &a->config;
        case ARG_QEMU_DIR: return &a->qemu_dir;
        case ARG_EMULATOR: return &a->emulator;
        case ARG_FLAGS: return &a->flags;
        case ARG_ROOT: return &a->root;
        case ARG_BINFMT_D: return &a->binfmt_d;
        default: return NULL;
        }
}

/* Returns 1 to go on, 0 to exit successfully (--help, --version), -EINVAL on a usage error. */
static int parse_argv(int argc, char *argv[], Args *a) {
        int c;

        /* getopt_long_only: "-install arm64" works too, as with Go's flag package. */
        while ((c = getopt_long_only(argc, argv, "qvh", options, NULL)) >= 0) {
                const char **slot = option_slot(a, c);

                if (slot)
                        *slot = optarg;
                else if (c == ARG_SHIM)
                        a->shim = true;
                else if (c == ARG_FORCE)
                        a->force = true;
                else if (c == ARG_NO_PROBE)
                        a->no_probe = true;
                else if (c == 'q')
                        log_set_max_level(LOG_LEVEL_WARNING);
                else if (c == 'v')
                        log_set_max_level(LOG_LEVEL_DEBUG);
                else if (c == 'h') {
                        help();
                        return 0;
                } else if (c == ARG_VERSION)
                        a->version = true; /* printed once the configuration says which QEMU is used */
                else
                        return -EINVAL;
        }
        if (optind < argc) {
                a->verb = verb_from_string(argv[optind]);
                if (a->verb < 0)
                        return log_error_errno(EINVAL, "Unknown command '%s' (see --help).", argv[optind]);
                a->rest = argv + optind + 1;
                a->n_rest = argc - optind - 1;
        }
        if (a->verb != VERB_DEFAULT && (a->install || a->uninstall))
                return log_error_errno(EINVAL, "--install/--uninstall go without a command.");
        if ((a->verb == VERB_DOCTOR && a->n_rest != 1) || (a->verb == VERB_EXPORT && !a->binfmt_d) ||
            ((a->verb == VERB_STATUS || a->verb == VERB_RECONCILE) && a->n_rest > 0))
                return log_error_errno(EINVAL, "Wrong arguments for '%s' (see --help).", verbs[a->verb]);
        return 1;
}

static int apply_args(const Args *a, Context *c) {
        Settings *s = &c->settings;

        if (a->binfmt_dir)
                snprintf(s->binfmt_dir, sizeof(s->binfmt_dir), "%s", a->binfmt_dir);
        if (a->qemu_dir)
                snprintf(s->qemu_dir, sizeof(s->qemu_dir), "%s", a->qemu_dir);
        if (a->emulator && (s->emulator = emulator_mode_from_string(a->emulator)) < 0)
                return log_error_errno(EINVAL, "Unknown emulator '%s': auto, qemu, archway, debian or shim.", a->emulator);
        if (a->shim)
                s->emulator = EMULATOR_SHIM;
        if (a->flags) {
                if (binfmt_flags_from_string(a->flags, &s->flags) < 0)
                        return log_error_errno(EINVAL, "Invalid flags '%s': letters of P, O, C, F.", a->flags);
                s->flags_set = true;
        }
        c->force = a->force;
        c->probe = !a->no_probe;
        return 0;
}

static int open_instance(Context *c, bool for_writing) {
        bool mounted = false;
        int r;

        r = binfmt_dir_open_or_mount(c->settings.binfmt_dir, &c->dirfd, &mounted);
        if (r < 0)
                return log_error_errno(r, "Failed to open binfmt_misc at '%s' (and to mount it there): %m",
                                       c->settings.binfmt_dir);
        if (mounted)
                log_info("mounted binfmt_misc on %s", c->settings.binfmt_dir);
        return for_writing ? privilege_check(c->dirfd, c->settings.binfmt_dir) : 0;
}

/* "all": every row this host can use, with the default flags; failures are skipped quietly. */
static size_t all_arches(ArchSetting *ret, size_t max) {
        size_t n = 0;

        for (size_t i = 0; i < binfmt_target_table_size && n < max; i++)
                ret[n++] = (ArchSetting) { .target = &binfmt_target_table[i] };
        return n;
}

/* Add a comma-separated list of architectures to ret. */
static int parse_arch_list(Context *c, const char *list, Settings *ret) {
        char buf[4096], *save = NULL;

        snprintf(buf, sizeof(buf), "%s", list);
        for (char *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save))
                if (settings_add_arch(ret, p, c->settings.flags, c->settings.flags_set) < 0)
                        return log_error_errno(EINVAL, "Unknown architecture '%s'.", p);
        return 0;
}

static int run_default(const Args *a, Context *c, Outcome *o) {
        _cleanup_free_ Settings *list = NULL;
        int r;

        r = open_instance(c, a->install || a->uninstall);
        if (r < 0)
                return r;
        if (a->uninstall)
                apply_uninstall(c, a->uninstall, o);
        if (a->install && streq(a->install, "all")) {
                ArchSetting all[ARCHES_MAX];

                apply_install(c, all, all_arches(all, ELEMENTSOF(all)), false, o);
        } else if (a->install) {
                list = malloc(sizeof(Settings));
                if (!list)
                        return log_oom();
                settings_init(list);
                r = parse_arch_list(c, a->install, list);
                if (r < 0)
                        return r;
                apply_install(c, list->arches, list->n_arches, true, o);
        }
        return report_json(c);
}

static int run_export(const Args *a, Context *c, Outcome *o) {
        _cleanup_free_ Settings *list = malloc(sizeof(Settings));

        if (!list)
                return log_oom();
        settings_init(list);
        for (int i = 0; i < a->n_rest; i++)
                if (parse_arch_list(c, a->rest[i], list) < 0)
                        return -EINVAL;
        if (a->n_rest == 0)
                *list = c->settings;
        if (list->n_arches == 0)
                return log_error_errno(EINVAL, "Nothing to export: name architectures or configure 'arch ='.");
        return export_binfmt_d(c, a->binfmt_d, list->arches, list->n_arches, o);
}

static int run_reconcile(Context *c, Outcome *o) {
        char status[256];
        int r;

        r = open_instance(c, true);
        if (r < 0)
                return r;
        apply_reconcile(c, o);
        snprintf(status, sizeof(status), "%zu architectures configured, %u changed, %u failed, %u not working",
                 c->settings.n_arches, o->changed, o->failed, o->not_working);
        notify_ready(status);
        log_info("reconcile: %s", status);
        return 0;
}

static int run(const Args *a, Context *c, Outcome *o) {
        int r;

        switch (a->verb) {
        case VERB_STATUS:
                r = open_instance(c, false);
                return r < 0 ? r : report_status(c);
        case VERB_RECONCILE:
                return run_reconcile(c, o);
        case VERB_EXPORT:
                return run_export(a, c, o);
        case VERB_DOCTOR:
                r = open_instance(c, false);
                return r < 0 ? r : doctor(c, a->rest[0], a->root, o);
        default:
                return run_default(a, c, o);
        }
}

/* The QEMU directory the configuration uses: qemu-dir (or $ARCHWAY_QEMU_DIR), else our installed one. */
static const char *qemu_dir(const Settings *s) {
        const char *env = getenv("ARCHWAY_QEMU_DIR");

        return !isempty(s->qemu_dir) ? s->qemu_dir : !isempty(env) ? env : QEMU_ARCHWAY_DIR;
}

static int print_version(const Settings *s) {
        char text[2048];

        printf("binfmt (archway) %s\n", ARCHWAY_VERSION);
        if (qemu_version_text(qemu_dir(s), s->emulator != EMULATOR_ARCHWAY, text, sizeof(text)) >= 0)
                fputs(text, stdout);
        printf("emulator: %s (configuration %s)\n", emulator_mode_to_string(s->emulator), CONFIG_FILE_DEFAULT);
        return EXIT_OK;
}

static int exit_status(int r, const Outcome *o) {
        if (r == -EPERM)
                return EXIT_PRIVILEGE;
        if (r == -EINVAL)
                return EXIT_USAGE;
        if (r < 0 || o->failed > 0)
                return EXIT_FAILED;
        return o->not_working > 0 ? EXIT_NOT_WORKING : EXIT_OK;
}

int main(int argc, char *argv[]) {
        _cleanup_free_ Context *c = calloc(1, sizeof(Context));
        Args a = {};
        Outcome o = {};
        struct utsname u;
        int r;

        log_set_program(argv[0]);
        if (!c)
                return log_oom(), EXIT_FAILED;
        r = parse_argv(argc, argv, &a);
        if (r <= 0)
                return r == 0 ? EXIT_OK : EXIT_USAGE;

        settings_init(&c->settings);
        c->dirfd = -EBADF;
        if (uname(&u) == 0)
                snprintf(c->host_machine, sizeof(c->host_machine), "%s", u.machine);
        if (config_load(a.config, &c->settings) < 0 || apply_args(&a, c) < 0)
                return EXIT_USAGE;
        if (a.version)
                return print_version(&c->settings);
        /* Only reconcile and export act on the configured architectures. */
        if ((a.verb == VERB_RECONCILE || (a.verb == VERB_EXPORT && a.n_rest == 0)) &&
            settings_expand_installed(&c->settings, qemu_dir(&c->settings)) < 0)
                return EXIT_FAILED;

        r = run(&a, c, &o);
        if (c->dirfd >= 0)
                close(c->dirfd);
        return exit_status(r, &o);
}
