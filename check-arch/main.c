/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* check-arch: prove that files run on the target platforms, by reading the ELF files themselves. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "log.h"
#include "platform.h"
#include "report.h"
#include "scan-tree.h"

typedef struct Args {
        const char *platforms; /* NULL: the host's */
        bool json;
        bool quiet;
        char **paths;
        int n_paths;
} Args;

static void help(void) {
        printf("Usage: check-arch [OPTIONS] PATH...\n\n"
               "Identify every ELF file in PATH (directories recursively) and check that it runs on\n"
               "each requested platform.\n\n"
               "  -p, --platform P[,P...]  platforms to check against (default: this host's)\n"
               "      --json               print a JSON document instead of lines\n"
               "  -q, --quiet              print only mismatches, errors and the summary\n"
               "  -h, --help               show this help\n\n"
               "Exit status: 0 all ELF files match, 1 a file does not match, 2 a path could not be read.\n");
}

/* Returns 1 to run, 0 to exit successfully (--help), -EINVAL on a usage error (already logged). */
static int parse_argv(int argc, char **argv, Args *args) {
        static const struct option options[] = {
                { "platform", required_argument, NULL, 'p' },
                { "json", no_argument, NULL, 'j' },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "p:qh", options, NULL)) >= 0)
                switch (c) {
                case 'p':
                        args->platforms = optarg;
                        break;
                case 'j':
                        args->json = true;
                        break;
                case 'q':
                        args->quiet = true;
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        return -EINVAL;
                }
        if (optind >= argc)
                return log_error_errno(EINVAL, "No PATH given; see --help.");
        args->paths = argv + optind;
        args->n_paths = argc - optind;
        return 1;
}

static int parse_targets(const Args *args, Report *r) {
        int n;

        if (!args->platforms) {
                n = platform_host(&r->targets[0]);
                if (n < 0)
                        return log_error_errno(n, "Cannot tell this host's platform: %m");
                r->n_targets = 1;
                return 0;
        }
        n = platform_parse_list(args->platforms, r->targets, CHECK_ARCH_TARGETS_MAX);
        if (n == -E2BIG)
                return log_error_errno(n, "--platform: more than %d platforms", CHECK_ARCH_TARGETS_MAX);
        if (n < 0)
                return log_error_errno(n, "--platform: unknown platform in '%s'", args->platforms);
        r->n_targets = (unsigned) n;
        return 0;
}

static int run(const Args *args) {
        Report r = { .json = args->json, .quiet = args->quiet };
        int k;

        k = parse_targets(args, &r);
        if (k < 0)
                return CHECK_ARCH_EXIT_ERROR;
        if (report_init(&r) < 0)
                return log_oom(), CHECK_ARCH_EXIT_ERROR;
        for (int i = 0; i < args->n_paths; i++) {
                k = scan_tree(&r, args->paths[i]);
                if (k < 0) {
                        log_error_errno(k, "Failed to scan '%s': %m", args->paths[i]);
                        report_done(&r);
                        return CHECK_ARCH_EXIT_ERROR;
                }
        }
        k = report_finish(&r);
        report_done(&r);
        return k;
}

int main(int argc, char **argv) {
        Args args = {};
        int r;

        log_set_program(argv[0]);
        r = parse_argv(argc, argv, &args);
        if (r <= 0)
                return r < 0 ? CHECK_ARCH_EXIT_ERROR : 0;
        return run(&args);
}
