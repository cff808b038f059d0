/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* archbuild: build multi-platform container images from a Dockerfile, without a daemon. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build.h"
#include "dockerfile.h"
#include "emulation.h"
#include "file-util.h"
#include "openat-resolve.h"
#include "import.h"
#include "input-limits.h"
#include "log.h"
#include "output.h"
#include "progress.h"
#include "pull.h"
#include "qemu-locate.h"
#include "registry.h"
#include "store.h"
#include "strv.h"

/* Exit status (documented in archbuild(1)). */
enum {
        EXIT_OK = 0,
        EXIT_BUILD_FAILED = 1,  /* a step failed, or the result could not be written */
        EXIT_USAGE = 2,         /* bad arguments, unreadable or refused Dockerfile */
};

#ifndef ARCHWAY_VERSION
#define ARCHWAY_VERSION "0.0-dev"
#endif

static void progress_freep(Progress **p) {
        progress_free(*p);
}

typedef enum OutputType {
        OUTPUT_NONE,   /* only the store */
        OUTPUT_OCI,
        OUTPUT_DOCKER_ARCHIVE,
} OutputType;

typedef struct Args {
        const char *command;      /* "build", "import", "images", "merge" */
        const char *file;
        const char *tag;
        const char *platforms;
        char **build_args;
        const char *target;
        OutputType output;
        const char *dest;
        bool push;
        bool insecure;
        bool pull;
        bool no_accel;
        unsigned jobs;
        const char *store;
        bool no_cache;
        bool network_host;
        bool allow_foreign;
        const char *compression;
        const char *emulator;
        bool debug;
        Limits limits;
        ProgressMode progress;
        char **positional;
} Args;

static void args_done(Args *a) {
        strv_free(a->build_args);
        strv_free(a->positional);
}

static void help(void) {
        printf("Usage: archbuild [build] [OPTIONS] CONTEXT\n"
               "       archbuild import --platform P [--store DIR] ROOTFS.tar NAME[:TAG]\n"
               "       archbuild images [--store DIR]\n"
               "       archbuild merge -t NAME:TAG [--output ...|--push] SOURCE...\n\n"
               "Build a container image for one or more platforms from a Dockerfile, without a daemon and\n"
               "without changing the host's binfmt_misc: foreign RUN steps are emulated through a private\n"
               "binfmt_misc instance of the build's own user namespace (Linux >= 6.7), else through the\n"
               "host's registered entries (binfmt --install, archway-binfmt.service), which are only read.\n\n"
               "  -f, --file FILE              the Dockerfile (default: CONTEXT/Dockerfile)\n"
               "  -t, --tag NAME:TAG           name of the result (in the store and the outputs)\n"
               "      --platform P[,P...]      target platforms (default: this host's)\n"
               "      --build-arg K=V          set a build argument (K alone: from the environment)\n"
               "      --target STAGE           build up to this stage\n"
               "  -o, --output type=oci,dest=DIR | type=docker-archive,dest=FILE\n"
               "      --push                   push NAME:TAG (HOST[:PORT]/REPO:TAG) to its registry\n"
               "      --insecure               plain HTTP for a loopback registry (push and pull)\n"
               "      --pull                   fetch registry bases (FROM HOST[:PORT]/REPO:TAG) again even when\n"
               "                               the store has them\n"
               "      --no-accel               no native twins (lib/accel) in foreign RUN steps\n"
               "      --jobs N                 build N platforms at once, a process each (default: one\n"
               "                               per CPU; 1: one platform after another)\n"
               "      --store DIR              local store (default /var/lib/archway/store, or\n"
               "                               ~/.local/share/archway when not root)\n"
               "      --no-cache               do not use the step cache\n"
               "      --network host           give RUN steps the host's network (default: none)\n"
               "      --allow-foreign-binaries warn instead of failing on ELF files of another platform\n"
               "      --compression gzip|zstd|none   layer compression (default gzip)\n"
               "      --emulator MODE                auto, shim, qemu, archway or debian (default auto)\n"
               "      --debug                  say what the kernel offers and how each step is set up\n"
               "      --limit NAME=VALUE       change a bound on what inputs may cost, e.g. layer-bytes=2G\n"
               "                               (see archbuild(1), LIMITS)\n"
               "      --progress auto|plain|tty|quiet  progress display (default auto: tty on a terminal)\n"
               "      --version                the version and the QEMU archbuild uses\n"
               "  -h, --help                   show this help\n\n"
               "SOURCE_DATE_EPOCH, when set, clamps file times and sets every 'created' date, so equal\n"
               "inputs give bit-identical digests.\n"
               "Exit status: 0 success, 1 a build step or the output failed, 2 usage or Dockerfile error.\n");
}

static int parse_output(const char *s, Args *a) {
        _cleanup_free_ char *copy = strdup(s);
        char *save = NULL;

        if (!copy)
                return log_oom();
        for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
                if (streq(kv, "type=oci"))
                        a->output = OUTPUT_OCI;
                else if (streq(kv, "type=docker-archive") || streq(kv, "type=docker"))
                        a->output = OUTPUT_DOCKER_ARCHIVE;
                else if (strneq(kv, "dest=", 5))
                        a->dest = s + (kv - copy) + 5;
                else
                        return log_error_errno(EINVAL, "--output: unknown field '%s'", kv);
        }
        if (a->output == OUTPUT_NONE || !a->dest)
                return log_error_errno(EINVAL, "--output needs type=oci or type=docker-archive and dest=PATH");
        return 0;
}

enum {
        ARG_PLATFORM = 0x100, ARG_BUILD_ARG, ARG_TARGET, ARG_PUSH, ARG_INSECURE, ARG_STORE, ARG_NO_CACHE,
        ARG_NETWORK, ARG_ALLOW_FOREIGN, ARG_COMPRESSION, ARG_EMULATOR, ARG_PULL, ARG_NO_ACCEL, ARG_JOBS,
        ARG_DEBUG,
        ARG_LIMIT,
        ARG_PROGRESS, ARG_VERSION,
};

static int parse_option(int c, Args *a) {
        switch (c) {
        case 'f': a->file = optarg; return 0;
        case 't': a->tag = optarg; return 0;
        case 'o': return parse_output(optarg, a);
        case ARG_PLATFORM: a->platforms = optarg; return 0;
        case ARG_BUILD_ARG: return strv_extend(&a->build_args, optarg);
        case ARG_TARGET: a->target = optarg; return 0;
        case ARG_PUSH: a->push = true; return 0;
        case ARG_INSECURE: a->insecure = true; return 0;
        case ARG_PULL: a->pull = true; return 0;
        case ARG_NO_ACCEL: a->no_accel = true; return 0;
        case ARG_JOBS: {
                char *end;
                unsigned long n;

                errno = 0;
                n = strtoul(optarg, &end, 10);
                if (isempty(optarg) || *end || errno || n == 0 || n > BUILD_PLATFORMS_MAX)
                        return log_error_errno(EINVAL, "--jobs: '%s' is not a number from 1 to %d", optarg,
                                               BUILD_PLATFORMS_MAX);
                a->jobs = (unsigned) n;
                return 0;
        }
        case ARG_STORE: a->store = optarg; return 0;
        case ARG_NO_CACHE: a->no_cache = true; return 0;
        case ARG_NETWORK:
                if (!streq(optarg, "host") && !streq(optarg, "none") && !streq(optarg, "default"))
                        return log_error_errno(EINVAL, "--network: only 'host' and 'none' are supported");
                a->network_host = streq(optarg, "host");
                return 0;
        case ARG_ALLOW_FOREIGN: a->allow_foreign = true; return 0;
        case ARG_COMPRESSION: a->compression = optarg; return 0;
        case ARG_EMULATOR: a->emulator = optarg; return 0;
        case ARG_DEBUG: a->debug = true; return 0;
        case ARG_LIMIT: {
                int r = limits_set(&a->limits, optarg);
                if (r < 0) {
                        log_error_errno(r, "--limit '%s': %s (limits: %s)", optarg, limits_set_error(r, optarg),
                                        limits_names());
                        return -EINVAL; /* logged: a usage error */
                }
                return 0;
        }
        case ARG_PROGRESS:
                a->progress = progress_mode_from_string(optarg);
                if (a->progress < 0)
                        return log_error_errno(EINVAL, "--progress: '%s' is not auto, plain, tty or quiet", optarg);
                return 0;
        }
        return -EINVAL;
}

/* The version, and the QEMU foreign steps get (builder/emulator.h's search, as for arm64). */
static int version(void) {
        const char *dir = getenv("ARCHWAY_QEMU_DIR");
        char text[2048];

        printf("archbuild (archway) %s\n", ARCHWAY_VERSION);
        if (qemu_version_text(!isempty(dir) ? dir : QEMU_ARCHWAY_DIR, true, text, sizeof(text)) >= 0)
                fputs(text, stdout);
        return 0;
}

/* Returns 1 to run, 0 after --help or --version, -EINVAL on a usage error (logged). */
static int parse_argv(int argc, char **argv, Args *a) {
        static const struct option options[] = {
                { "file", required_argument, NULL, 'f' },
                { "tag", required_argument, NULL, 't' },
                { "output", required_argument, NULL, 'o' },
                { "platform", required_argument, NULL, ARG_PLATFORM },
                { "build-arg", required_argument, NULL, ARG_BUILD_ARG },
                { "target", required_argument, NULL, ARG_TARGET },
                { "push", no_argument, NULL, ARG_PUSH },
                { "insecure", no_argument, NULL, ARG_INSECURE },
                { "pull", no_argument, NULL, ARG_PULL },
                { "no-accel", no_argument, NULL, ARG_NO_ACCEL },
                { "jobs", required_argument, NULL, ARG_JOBS },
                { "store", required_argument, NULL, ARG_STORE },
                { "no-cache", no_argument, NULL, ARG_NO_CACHE },
                { "network", required_argument, NULL, ARG_NETWORK },
                { "allow-foreign-binaries", no_argument, NULL, ARG_ALLOW_FOREIGN },
                { "compression", required_argument, NULL, ARG_COMPRESSION },
                { "emulator", required_argument, NULL, ARG_EMULATOR },
                { "debug", no_argument, NULL, ARG_DEBUG },
                { "limit", required_argument, NULL, ARG_LIMIT },
                { "progress", required_argument, NULL, ARG_PROGRESS },
                { "version", no_argument, NULL, ARG_VERSION },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        static const char *const commands[] = { "build", "import", "images", "merge" };
        int c, r;

        a->command = "build";
        limits_init(&a->limits);
        if (argc > 1)
                for (size_t k = 0; k < ELEMENTSOF(commands); k++)
                        if (streq(argv[1], commands[k])) {
                                a->command = commands[k];
                                argv++, argc--;
                                break;
                        }
        while ((c = getopt_long(argc, argv, "f:t:o:h", options, NULL)) >= 0) {
                if (c == 'h') {
                        help();
                        return 0;
                }
                if (c == ARG_VERSION)
                        return version();
                if (c == '?')
                        return -EINVAL;
                r = parse_option(c, a);
                if (r < 0)
                        return r == -EINVAL ? r : log_error_errno(r, "Failed to parse arguments: %m");
        }
        for (int k = optind; k < argc; k++)
                if ((r = strv_extend(&a->positional, argv[k])) < 0)
                        return log_oom();
        return 1;
}

/* ---- shared helpers -------------------------------------------------------------------------- */

static int open_store(const Args *a, Store *ret) {
        _cleanup_free_ char *def = NULL;
        const char *path = a->store;
        int r;

        if (!path) {
                def = store_default_path();
                if (!def)
                        return log_error_errno(ENOENT, "No store: pass --store DIR (HOME is not set).");
                path = def;
        }
        r = store_open(path, ret);
        if (r < 0)
                return log_error_errno(r, "Failed to open the store %s: %m", path);
        ret->limits = a->limits;
        return 0;
}

static int layer_options(const Args *a, LayerWriteOptions *ret) {
        const char *sde = getenv("SOURCE_DATE_EPOCH");

        *ret = LAYER_WRITE_OPTIONS_DEFAULT;
        if (a->compression) {
                if (streq(a->compression, "zstd"))
                        ret->compression = OCI_COMPRESSION_ZSTD;
                else if (streq(a->compression, "none"))
                        ret->compression = OCI_COMPRESSION_NONE;
                else if (!streq(a->compression, "gzip"))
                        return log_error_errno(EINVAL, "--compression: '%s' is not gzip, zstd or none", a->compression);
        }
        if (!isempty(sde) && layer_parse_source_date_epoch(sde, &ret->source_date_epoch) < 0)
                return log_error_errno(EINVAL, "SOURCE_DATE_EPOCH='%s' is not a number of seconds", sde);
        if (geteuid() != 0) {
                ret->squash_uid = geteuid();
                ret->squash_gid = getegid();
        }
        return 0;
}

/* Deliver an image index (in the store) to the requested outputs and tag its manifests. */
static int deliver(const Args *a, Store *s, const OciDescriptor *idx, const OciDescriptor *manifests, size_t n) {
        _cleanup_free_ char *name = a->tag ? store_normalize_name(a->tag) : NULL;
        int r;

        for (size_t k = 0; name && k < n; k++)
                if ((r = store_tag_image(s, name, &manifests[k])) < 0)
                        return log_error_errno(r, "Failed to tag %s in the store: %m", name);
        if (a->output == OUTPUT_OCI) {
                r = output_oci_layout(s, idx, name ?: "archbuild:latest", a->dest);
                if (r < 0)
                        return log_error_errno(r, "Failed to write the OCI layout %s: %m", a->dest);
                printf("%s %s\n", a->dest, idx->digest.str);
        } else if (a->output == OUTPUT_DOCKER_ARCHIVE) {
                if (n != 1)
                        return log_error_errno(EINVAL, "A docker-archive holds one platform; this build made %zu (use type=oci).", n);
                r = output_docker_archive(s, &manifests[0], name ?: "archbuild:latest", a->dest);
                if (r < 0)
                        return log_error_errno(r, "Failed to write the docker-archive %s: %m", a->dest);
                printf("%s %s\n", a->dest, manifests[0].digest.str);
        }
        if (a->push) {
                if (!name)
                        return log_error_errno(EINVAL, "--push needs -t HOST[:PORT]/REPO:TAG");
                ErrorDetail err = {};
                r = output_push(s, idx, name, a->insecure, &err);
                if (r < 0)
                        return log_error_errno(r, "Failed to push %s: %s", name, error_detail_or(&err, strerror(-r)));
                printf("pushed %s %s\n", name, idx->digest.str);
        }
        if (a->output == OUTPUT_NONE && !a->push)
                printf("%s\n", idx->digest.str);
        return 0;
}

/* ---- commands -------------------------------------------------------------------------------- */

/* The Dockerfile: CONTEXT/Dockerfile, or what -f names. A name that lies in the context as written is
 * opened beneath the context: a symlink out of it is refused (-EXDEV), so a repository cannot make us
 * read, and quote in a parse error, a file of the host. A -f name outside the context is the user's own
 * choice, opened as named but not through a final symlink. Either must be a regular file. */
static int open_dockerfile(const char *context, const char *name, int *ret_fd) {
        _cleanup_free_ char *abs_ctx = NULL, *abs_name = NULL;
        _cleanup_close_ int ctx_fd = -EBADF, fd = -EBADF;
        const char *rel;
        struct stat st;
        int r;

        r = path_absolute_lexical(context, &abs_ctx);
        if (r >= 0)
                r = path_absolute_lexical(name, &abs_name);
        if (r < 0)
                return r;
        if (path_is_below(abs_name, abs_ctx, &rel)) {
                ctx_fd = open(context, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (ctx_fd < 0)
                        return negative_errno();
                fd = openat_resolve(ctx_fd, isempty(rel) ? "." : rel, O_RDONLY | O_NOCTTY, 0,
                                    RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
        } else if ((fd = open(abs_name, O_RDONLY | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC)) < 0)
                fd = negative_errno();
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADF;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int read_dockerfile(const Args *a, const char *context, Dockerfile *ret, const char **ret_name) {
        _cleanup_free_ char *path = NULL, *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t max = (size_t) a->limits.value[LIMIT_DOCKERFILE_BYTES];
        ErrorDetail err = {};
        size_t n = 0;
        int r;

        if (a->file)
                path = strdup(a->file);
        else if (asprintf(&path, "%s/Dockerfile", context) < 0)
                path = NULL;
        if (!path)
                return log_oom();
        *ret_name = a->file ?: "Dockerfile";
        r = open_dockerfile(context, path, &fd);
        if (r == -EXDEV || r == -ELOOP)
                return log_error_errno(r, "%s is a symlink that leads out of the build context %s; refusing to read it",
                                       path, context);
        if (r == -EBADF)
                return log_error_errno(r, "%s is not a regular file", path);
        if (r < 0)
                return log_error_errno(r, "Failed to open %s: %m", path);
        r = read_fd(fd, max, &buf, &n);
        if (r == -EFBIG)
                return log_error_errno(r, "%s is larger than %zu bytes (the dockerfile-bytes limit)", path, max);
        if (r < 0)
                return log_error_errno(r, "Failed to read %s: %m", path);
        r = dockerfile_parse(buf, n, (size_t) a->limits.value[LIMIT_INSTRUCTIONS], ret, &err);
        if (r < 0) {
                if (err.line)
                        log_error("%s:%u: %s", *ret_name, err.line, err.message);
                else
                        log_error("%s: %s", *ret_name, err.message[0] ? err.message : strerror(-r));
                return r;
        }
        return 0;
}

static int parse_platforms(const Args *a, Platform *ret, unsigned *ret_n) {
        int r;

        if (!a->platforms) {
                r = platform_host(&ret[0]);
                if (r < 0)
                        return log_error_errno(r, "Failed to determine this host's platform: %m");
                *ret_n = 1;
                return 0;
        }
        r = platform_parse_list(a->platforms, ret, BUILD_PLATFORMS_MAX);
        if (r < 0)
                return log_error_errno(r, "--platform '%s': %s", a->platforms,
                                       r == -E2BIG ? "too many platforms" : "not a list of platforms");
        *ret_n = (unsigned) r;
        return 0;
}

static bool dockerfile_has(const Dockerfile *df, unsigned types) {
        for (size_t k = 0; k < df->n_instructions; k++)
                if (types & (1u << df->instructions[k].type))
                        return true;
        return false;
}

/* Before any work: what the kernel offers (probed), and how each foreign target's RUN steps are
 * emulated (emulation.h), said in one line (not with --progress=quiet). Stops the build when a step
 * could not run. */
static int preflight(BuildOptions *o, Store *s, bool quiet, EmulationPlan *plan) {
        _cleanup_free_ char *scratch = NULL;
        char line[2048];
        ErrorDetail err = {};
        const SandboxKernel *k;
        int r;

        if (!dockerfile_has(o->dockerfile, 1u << DOCKERFILE_RUN | 1u << DOCKERFILE_COPY | 1u << DOCKERFILE_ADD))
                return 0;
        r = store_mkdtemp(s, "probe", &scratch);
        if (r < 0)
                return log_error_errno(r, "Failed to create a directory in the store: %m");
        r = sandbox_kernel_probe(scratch, &k);
        if (r < 0) {
                (void) rm_rf(scratch);
                return log_error_errno(r, "Failed to probe the kernel in a user namespace: %m");
        }
        log_debug("kernel: overlayfs in a user namespace %s, overlay layers through %s, private binfmt_misc instances %s",
                  k->overlay ? "yes" : "no", k->overlay_lowerdir_plus ? "lowerdir+ (one per call)" :
                  "the classic lowerdir= option string (short links when it exceeds a page)", k->binfmt_ns ? "yes" : "no");
        o->kernel = k;
        if (!k->overlay) {
                (void) rm_rf(scratch);
                return log_error_errno(k->overlay_error, "This kernel does not let a user namespace mount overlayfs "
                                       "(Linux >= 5.11 does), so no RUN, COPY or ADD step can run: %m");
        }
        r = 0;
        if (dockerfile_has(o->dockerfile, 1u << DOCKERFILE_RUN))
                r = emulation_plan(k, o->platforms, o->n_platforms, o->emulator_mode, scratch, plan, &err);
        (void) rm_rf(scratch);
        if (r < 0)
                return log_error_errno(r, "%s", error_detail_or(&err, strerror(-r)));
        if (plan->n > 0 && !quiet)
                fprintf(stderr, "emulation: %s\n", emulation_plan_describe(plan, line, sizeof(line)));
        o->emulation = plan;
        return 0;
}

static int run_build(const Args *a) {
        _cleanup_(dockerfile_done) Dockerfile df = {};
        _cleanup_(store_close) Store s = { .lock_fd = -EBADF };
        _cleanup_(build_result_done) BuildResult res = {};
        _cleanup_(oci_descriptor_done) OciDescriptor idx = {};
        _cleanup_(emulation_plan_done) EmulationPlan plan = {};
        _cleanup_(progress_freep) Progress *progress = NULL;
        BuildOptions o = { .build_args = a->build_args, .target = a->target, .no_cache = a->no_cache,
                           .network_host = a->network_host, .allow_foreign = a->allow_foreign,
                           .pull = a->pull, .insecure = a->insecure, .no_accel = a->no_accel,
                           .jobs = a->jobs };
        int r;

        if (strv_length(a->positional) != 1)
                return log_error_errno(EINVAL, "Expected exactly one CONTEXT directory."), EXIT_USAGE;
        o.context = a->positional[0];
        o.emulator_mode = a->emulator ? emulator_mode_from_string(a->emulator) : EMULATOR_AUTO;
        if (o.emulator_mode < 0)
                return log_error_errno(EINVAL, "--emulator: '%s' is not auto, shim, qemu, archway or debian",
                                       a->emulator), EXIT_USAGE;
        if (read_dockerfile(a, o.context, &df, &o.dockerfile_name) < 0 ||
            parse_platforms(a, o.platforms, &o.n_platforms) < 0 || layer_options(a, &o.layer) < 0)
                return EXIT_USAGE;
        o.dockerfile = &df;
        if (open_store(a, &s) < 0)
                return EXIT_BUILD_FAILED;
        o.store = &s;
        if (preflight(&o, &s, a->progress == PROGRESS_QUIET, &plan) < 0)
                return EXIT_BUILD_FAILED;
        if (progress_new(a->progress, o.platforms, o.n_platforms, &progress) < 0)
                return log_oom(), EXIT_BUILD_FAILED;
        o.progress = progress;
        r = build_run(&o, &res);
        progress_end(progress);
        if (r < 0)
                return EXIT_BUILD_FAILED;
        r = output_make_index(&s, res.manifests, res.n_manifests, &idx);
        if (r < 0)
                return log_error_errno(r, "Failed to write the image index: %m"), EXIT_BUILD_FAILED;
        return deliver(a, &s, &idx, res.manifests, res.n_manifests) < 0 ? EXIT_BUILD_FAILED : EXIT_OK;
}

static int run_import(const Args *a) {
        _cleanup_(store_close) Store s = { .lock_fd = -EBADF };
        LayerWriteOptions lo;
        Platform p;

        if (strv_length(a->positional) != 2 || !a->platforms)
                return log_error_errno(EINVAL, "Usage: archbuild import --platform P ROOTFS.tar NAME[:TAG]"), EXIT_USAGE;
        if (platform_parse(a->platforms, &p) < 0)
                return log_error_errno(EINVAL, "--platform '%s' is not a platform", a->platforms), EXIT_USAGE;
        if (layer_options(a, &lo) < 0 || open_store(a, &s) < 0)
                return EXIT_USAGE;
        return import_rootfs(&s, a->positional[0], &p, a->positional[1], &lo, a->allow_foreign) < 0 ? EXIT_BUILD_FAILED
                                                                                                   : EXIT_OK;
}

static int run_images(const Args *a) {
        _cleanup_(store_close) Store s = { .lock_fd = -EBADF };
        _cleanup_(oci_index_done) OciIndex idx = {};
        int r;

        if (open_store(a, &s) < 0)
                return EXIT_BUILD_FAILED;
        r = oci_layout_read_index(s.layout, &idx);
        if (r == -ENOENT)
                return EXIT_OK;
        if (r < 0)
                return log_error_errno(r, "Failed to read the store's index: %m"), EXIT_BUILD_FAILED;
        printf("%-40s %-16s %-19s %s\n", "NAME", "PLATFORM", "DIGEST", "SIZE");
        for (size_t k = 0; k < idx.n_manifests; k++) {
                const OciDescriptor *d = &idx.manifests[k];
                char buf[PLATFORM_STRING_MAX];
                printf("%-40s %-16s %.19s %" PRId64 "\n", d->ref_name ?: "<none>",
                       d->has_platform ? platform_to_string(&d->platform, buf) : "-", d->digest.str, d->size);
        }
        return EXIT_OK;
}

/* oci:DIR[:TAG]: a ':' after the last '/' starts the tag. */
static int merge_layout(Store *s, const char *spec, OciIndex *acc) {
        _cleanup_free_ char *dir = strdup(spec);
        ErrorDetail err = {};
        char *colon, *tag = NULL;
        int r;

        if (!dir)
                return log_oom();
        colon = strrchr(dir, ':');
        if (colon && !strchr(colon, '/')) {
                *colon = 0;
                tag = colon + 1;
        }
        r = pull_layout(s, dir, tag, acc, &err);
        if (r < 0)
                return log_error_errno(r, "merge: %s", error_detail_or(&err, strerror(-r)));
        return 0;
}

/* Collect the manifests of one merge source: NAME:TAG in the store (every platform), or oci:DIR[:TAG]
 * (the manifests below its entry), copied into the store first. */
static int merge_source(Store *s, const char *src, OciIndex *acc) {
        _cleanup_(oci_index_done) OciIndex idx = {};
        _cleanup_free_ char *name = NULL;
        int r;

        if (strneq(src, "oci:", 4))
                return merge_layout(s, src + 4, acc);
        name = store_normalize_name(src);
        if (!name)
                return log_oom();
        r = oci_layout_read_index(s->layout, &idx);
        if (r < 0)
                return log_error_errno(r, "Failed to read the store's index: %m");
        bool found = false;
        for (size_t k = 0; k < idx.n_manifests; k++)
                if (idx.manifests[k].ref_name && streq(idx.manifests[k].ref_name, name)) {
                        if (oci_index_find_platform(acc, &idx.manifests[k].platform) >= 0)
                                return log_error_errno(EEXIST, "merge: two sources give %s/%s", idx.manifests[k].platform.os,
                                                       idx.manifests[k].platform.arch);
                        free(idx.manifests[k].ref_name);
                        idx.manifests[k].ref_name = NULL;
                        if ((r = oci_index_add(acc, &idx.manifests[k])) < 0)
                                return log_oom();
                        found = true;
                }
        return found ? 0 : log_error_errno(ENOENT, "merge: %s is not in the store", src);
}

static int run_merge(const Args *a) {
        _cleanup_(store_close) Store s = { .lock_fd = -EBADF };
        _cleanup_(oci_index_done) OciIndex acc = {};
        _cleanup_(oci_descriptor_done) OciDescriptor idx = {};
        int r;

        if (!a->tag || strv_length(a->positional) < 1)
                return log_error_errno(EINVAL, "Usage: archbuild merge -t NAME:TAG SOURCE..."), EXIT_USAGE;
        if (open_store(a, &s) < 0)
                return EXIT_BUILD_FAILED;
        for (char **p = a->positional; *p; p++)
                if (merge_source(&s, *p, &acc) < 0)
                        return EXIT_BUILD_FAILED;
        r = output_make_index(&s, acc.manifests, acc.n_manifests, &idx);
        if (r < 0)
                return log_error_errno(r, "Failed to write the image index: %m"), EXIT_BUILD_FAILED;
        return deliver(a, &s, &idx, acc.manifests, acc.n_manifests) < 0 ? EXIT_BUILD_FAILED : EXIT_OK;
}

static int run(const Args *a) {
        static const struct {
                const char *name;
                int (*fn)(const Args *a);
        } table[] = {
                { "build", run_build }, { "import", run_import }, { "images", run_images }, { "merge", run_merge },
        };

        for (size_t k = 0; k < ELEMENTSOF(table); k++)
                if (streq(a->command, table[k].name))
                        return table[k].fn(a);
        return EXIT_USAGE;
}

int main(int argc, char **argv) {
        _cleanup_(args_done) Args a = {};
        int r;

        log_set_program("archbuild");
        if (getenv("ARCHBUILD_DEBUG"))
                log_set_max_level(LOG_LEVEL_DEBUG);
        r = parse_argv(argc, argv, &a);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_OK;
        if (a.debug)
                log_set_max_level(LOG_LEVEL_DEBUG);
        return run(&a);
}
