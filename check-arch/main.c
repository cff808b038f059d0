/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* check-arch: prove that files run on the target platforms, by reading the ELF files themselves. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "platform.h"
#include "qemu-locate.h"
#include "report.h"
#include "scan-image.h"
#include "scan-tree.h"

typedef struct Args {
        const char *platforms; /* NULL: the host's */
        const char *cpu;       /* --cpu MODEL, or NULL */
        bool isa_all;          /* --isa */
        uint64_t isa_code_max; /* --isa-code-max, bytes; 0: the default */
        bool json;
        bool quiet;
        const char *manifest;   /* --manifest FILE|- */
        ScanImageOptions image;
        char **paths;
        int n_paths;
} Args;

static void help(void) {
        printf("Usage: check-arch [OPTIONS] PATH|IMAGE...\n"
               "       check-arch [OPTIONS] --manifest FILE|-\n\n"
               "Identify every ELF file in PATH (directories recursively), or in an IMAGE's final filesystem,\n"
               "and check that it runs on each requested platform. IMAGE is oci:DIR[:TAG],\n"
               "docker-archive:FILE[:TAG] or docker://HOST[:PORT]/REPO[:TAG|@sha256:HEX].\n\n"
               "  -p, --platform P[,P...]  platforms to check against (default: this host's); a variant\n"
               "                           such as amd64/v2 or arm64/v8.2 also checks the CPU level\n"
               "      --cpu MODEL          also check against a CPU model (x86-64-v2, cortex-a72, arm1176,\n"
               "                           neoverse-n1, power9, ...); alone, it picks its platform\n"
               "      --isa                show what each ELF file needs of its CPU, even with no level to\n"
               "                           check\n"
               "      --isa-code-max MIB   code disassembled per file at most (default 2, 1..1024)\n"
               "      --json               print a JSON document instead of lines\n"
               "  -q, --quiet              print only mismatches, errors and the summary\n"
               "      --quick              images: check index and config only, no deep scan\n"
               "      --manifest FILE|-    check the labels of a manifest list or index document\n"
               "  -j, --jobs N             layers scanned at once (default: the number of CPUs)\n"
               "      --insecure           plain HTTP to a loopback registry\n"
               "      --ca-file FILE       CA certificates for the registry's TLS\n"
               "      --authfile FILE      docker-style config.json with registry credentials\n"
               "      --binfmt-dir DIR     binfmt_misc instance for the host check\n"
               "      --limit NAME=VALUE   change a bound on what an image may cost to read, e.g.\n"
               "                           layer-bytes=2G (see check-arch(1), LIMITS)\n"
               "      --version            the version and the QEMU it counts on\n"
               "  -h, --help               show this help\n\n"
               "Exit status: 0 all checks pass, 1 a file or a platform fails a check, 2 an input could not\n"
               "be read.\n");
}

enum {
        ARG_JSON = 0x100,
        ARG_CPU,
        ARG_ISA,
        ARG_ISA_CODE_MAX,
        ARG_LIMIT,
        ARG_VERSION,
};

#ifndef ARCHWAY_VERSION
#define ARCHWAY_VERSION "0.0-dev"
#endif

/* The version, and our installed QEMU (what `binfmt --install` registers, so what the host check
 * finds running a platform). */
static void version(void) {
        char text[2048];

        printf("check-arch (archway) %s\n", ARCHWAY_VERSION);
        if (qemu_version_text(QEMU_ARCHWAY_DIR, true, text, sizeof(text)) >= 0)
                fputs(text, stdout);
}

/* Returns 1 to run, 0 to exit successfully (--help), -EINVAL on a usage error (already logged). */
static int parse_argv(int argc, char **argv, Args *args) {
        static const struct option options[] = {
                { "platform", required_argument, NULL, 'p' },
                { "json", no_argument, NULL, ARG_JSON },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "quick", no_argument, NULL, 'Q' },
                { "manifest", required_argument, NULL, 'm' },
                { "jobs", required_argument, NULL, 'j' },
                { "insecure", no_argument, NULL, 'I' },
                { "ca-file", required_argument, NULL, 'C' },
                { "authfile", required_argument, NULL, 'A' },
                { "binfmt-dir", required_argument, NULL, 'B' },
                { "cpu", required_argument, NULL, ARG_CPU },
                { "isa", no_argument, NULL, ARG_ISA },
                { "isa-code-max", required_argument, NULL, ARG_ISA_CODE_MAX },
                { "limit", required_argument, NULL, ARG_LIMIT },
                {}
        };
        char *end;
        int c, r;

        while ((c = getopt_long(argc, argv, "p:qj:h", options, NULL)) >= 0)
                switch (c) {
                case 'p':
                        args->platforms = optarg;
                        break;
                case ARG_JSON:
                        args->json = true;
                        break;
                case ARG_CPU:
                        args->cpu = optarg;
                        break;
                case ARG_ISA:
                        args->isa_all = true;
                        break;
                case ARG_ISA_CODE_MAX: {
                        unsigned long mib;

                        errno = 0;
                        mib = strtoul(optarg, &end, 10);
                        if (errno != 0 || end == optarg || *end || mib == 0 || mib > 1024)
                                return log_error_errno(EINVAL, "--isa-code-max: expected 1..1024 (MiB), got '%s'", optarg);
                        args->isa_code_max = (uint64_t) mib << 20;
                        break;
                }
                case 'q':
                        args->quiet = true;
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        version();
                        return 0;
                case 'Q':
                        args->image.quick = true;
                        break;
                case 'm':
                        args->manifest = optarg;
                        break;
                case 'j':
                        errno = 0;
                        args->image.jobs = (unsigned) strtoul(optarg, &end, 10);
                        if (errno != 0 || end == optarg || *end || args->image.jobs == 0 || args->image.jobs > 64)
                                return log_error_errno(EINVAL, "--jobs: expected 1..64, got '%s'", optarg);
                        break;
                case 'I':
                        args->image.source.insecure = true;
                        break;
                case 'C':
                        args->image.source.ca_file = optarg;
                        break;
                case 'A':
                        args->image.source.auth_file = optarg;
                        break;
                case 'B':
                        args->image.binfmt_dir = optarg;
                        break;
                case ARG_LIMIT:
                        r = limits_set(&args->image.limits, optarg);
                        if (r < 0)
                                return log_error_errno(r, "--limit '%s': %s (limits: %s)", optarg,
                                                       limits_set_error(r, optarg), limits_names());
                        break;
                default:
                        return -EINVAL;
                }
        if (optind >= argc && !args->manifest)
                return log_error_errno(EINVAL, "No PATH given; see --help.");
        args->paths = argv + optind;
        args->n_paths = argc - optind;
        return 1;
}

/* Each target's CPU level (from its variant) or, with --cpu, the model's where the arch matches. */
static int targets_isa(const Args *args, Report *r) {
        bool matched = false;

        for (unsigned i = 0; i < r->n_targets; i++) {
                int k;

                isa_target_from_platform(&r->targets[i], &r->isa[i]);
                if (!args->cpu)
                        continue;
                k = isa_target_from_cpu(args->cpu, &r->targets[i], &r->isa[i]);
                if (k == -ENOENT)
                        return log_error_errno(k, "--cpu: unknown CPU model '%s'; see check-arch(1) for the list", args->cpu);
                matched = matched || k >= 0;
        }
        if (args->cpu && !matched)
                return log_error_errno(EXDEV, "--cpu: '%s' runs none of the requested platforms", args->cpu);
        isa_want_init(&r->isa_want, r->isa, r->n_targets, args->isa_all);
        r->isa_want.code_max = args->isa_code_max;
        r->isa_show = args->isa_all || args->cpu;
        for (unsigned i = 0; i < r->n_targets; i++)
                r->isa_show = r->isa_show || (r->isa[i].active && r->isa[i].arch != ISA_ARCH_ARM);
        return 0;
}

static int parse_targets(const Args *args, Report *r) {
        int n;

        if (!args->platforms && args->cpu) {
                n = isa_cpu_platform(args->cpu, &r->targets[0]);
                if (n < 0)
                        return log_error_errno(n, "--cpu: unknown CPU model '%s'; see check-arch(1) for the list", args->cpu);
                r->n_targets = 1;
                return targets_isa(args, r);
        }
        if (!args->platforms) {
                n = platform_host(&r->targets[0]);
                if (n < 0)
                        return log_error_errno(n, "Cannot tell this host's platform: %m");
                r->n_targets = 1;
                return targets_isa(args, r);
        }
        n = platform_parse_list(args->platforms, r->targets, CHECK_ARCH_TARGETS_MAX);
        if (n == -E2BIG)
                return log_error_errno(n, "--platform: more than %d platforms", CHECK_ARCH_TARGETS_MAX);
        if (n < 0)
                return log_error_errno(n, "--platform: unknown platform in '%s'", args->platforms);
        r->n_targets = (unsigned) n;
        return targets_isa(args, r);
}

static int scan_one_image(const Args *args, Report *r, const char *spec, ImageSourceKind kind) {
        ScanImageOptions o = args->image;
        ImageResult res = {};
        int k;

        o.progress = !args->json && isatty(STDERR_FILENO);
        o.isa = r->isa;
        o.n_isa = r->n_targets;
        o.isa_code_max = args->isa_code_max;
        o.source.request_timeout_sec = (long) o.limits.value[LIMIT_REQUEST_SECONDS];
        o.source.total_timeout_sec = (long) o.limits.value[LIMIT_PULL_SECONDS];
        k = scan_image(spec, kind, r->targets, r->n_targets, &o, &res);
        if (k < 0)
                return k;
        k = report_image(r, &res);
        image_result_done(&res);
        return k;
}

static int run(const Args *args) {
        Report r = { .json = args->json, .quiet = args->quiet };
        int k;

        k = parse_targets(args, &r);
        if (k < 0)
                return CHECK_ARCH_EXIT_ERROR;
        if (report_init(&r) < 0)
                return log_oom(), CHECK_ARCH_EXIT_ERROR;
        k = args->manifest ? scan_one_image(args, &r, args->manifest, IMAGE_SOURCE_MANIFEST) : 0;
        for (int i = 0; k >= 0 && i < args->n_paths; i++) {
                if (image_source_is_image(args->paths[i])) {
                        k = scan_one_image(args, &r, args->paths[i], _IMAGE_SOURCE_KIND_INVALID);
                        continue;
                }
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
        limits_init(&args.image.limits);
        r = parse_argv(argc, argv, &args);
        if (r <= 0)
                return r < 0 ? CHECK_ARCH_EXIT_ERROR : 0;
        return run(&args);
}
