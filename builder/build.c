/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "build-internal.h"
#include "file-util.h"
#include "log.h"
#include "strv.h"
#include "time-util.h"

/* The build of one platform: the stage loop, with a handler per instruction (a table), and the
 * image at its end; build_run() for all platforms. */

void build_result_done(BuildResult *r) {
        for (unsigned k = 0; k < r->n_manifests; k++)
                oci_descriptor_done(&r->manifests[k]);
        r->n_manifests = 0;
}

/* Each instruction's handler and what its step leaves: a layer (with its history entry, written
 * when the layer is committed), a config change (an empty_layer history entry), or a new stage. */
typedef enum StepKind {
        STEP_CONFIG,
        STEP_LAYER,
        STEP_STAGE,
} StepKind;

static const struct {
        Handler handle;
        StepKind kind;
} steps[_DOCKERFILE_INSTRUCTION_MAX] = {
        [DOCKERFILE_FROM]       = { handle_from,       STEP_STAGE },
        [DOCKERFILE_ARG]        = { handle_arg,        STEP_CONFIG },
        [DOCKERFILE_ENV]        = { handle_env,        STEP_CONFIG },
        [DOCKERFILE_RUN]        = { handle_run,        STEP_LAYER },
        [DOCKERFILE_COPY]       = { handle_copy,       STEP_LAYER },
        [DOCKERFILE_ADD]        = { handle_copy,       STEP_LAYER },
        [DOCKERFILE_WORKDIR]    = { handle_workdir,    STEP_CONFIG },
        [DOCKERFILE_USER]       = { handle_user,       STEP_CONFIG },
        [DOCKERFILE_LABEL]      = { handle_label,      STEP_CONFIG },
        [DOCKERFILE_EXPOSE]     = { handle_expose,     STEP_CONFIG },
        [DOCKERFILE_VOLUME]     = { handle_volume,     STEP_CONFIG },
        [DOCKERFILE_ENTRYPOINT] = { handle_entrypoint, STEP_CONFIG },
        [DOCKERFILE_CMD]        = { handle_cmd,        STEP_CONFIG },
        [DOCKERFILE_SHELL]      = { handle_shell,      STEP_CONFIG },
        [DOCKERFILE_STOPSIGNAL] = { handle_stopsignal, STEP_CONFIG },
};

static int run_instruction(Build *b, Stage *s, const DockerfileInstruction *i) {
        StepKind kind = steps[i->type].kind;
        char q[INSTRUCTION_QUOTE_MAX + 4];
        double t0 = now_seconds();
        int r;

        b->step++;
        step_report(b, PROGRESS_STEP, step_quote(i, q), 0, 0);
        r = steps[i->type].handle(b, s, i);
        if (r >= 0 && kind == STEP_CONFIG)
                r = step_add_history(b, s, i, true);
        if (r < 0)
                return r;
        if (r == 1)
                step_report(b, PROGRESS_CACHED, NULL, 0, 0);
        else if (kind == STEP_LAYER)
                step_report(b, PROGRESS_DONE, NULL, now_seconds() - t0, 0);
        return 0;
}

static int finish_image(Build *b, Stage *s, OciDescriptor *ret) {
        OciDigest *ids = calloc(s->n_layers ?: 1, sizeof(OciDigest));
        int r;

        if (!ids)
                return -ENOMEM;
        for (size_t k = 0; k < s->n_layers; k++)
                ids[k] = s->layers[k].diff_id;
        free(s->config.diff_ids);
        s->config.diff_ids = ids;
        s->config.n_diff_ids = s->n_layers;
        free(s->config.created);
        s->config.created = step_created_now(b);
        s->config.platform = s->platform;
        r = store_write_image(b->opts->store, &s->config, s->layers, s->n_layers, ret);
        if (r < 0)
                return log_error_errno(r, "Failed to write the image for %s: %m", s->platform.arch);
        return 0;
}

/* The index after the last instruction of the target stage (or of the file). */
static size_t last_instruction(const Build *b, int *ret_error) {
        const Dockerfile *df = b->opts->dockerfile;
        bool in_target = false;

        *ret_error = 0;
        if (!b->opts->target)
                return df->n_instructions;
        for (size_t k = 0; k < df->n_instructions; k++) {
                const DockerfileInstruction *i = &df->instructions[k];
                if (i->type != DOCKERFILE_FROM)
                        continue;
                if (in_target)
                        return k;
                in_target = i->stage_name && strcasecmp(i->stage_name, b->opts->target) == 0;
        }
        if (in_target)
                return df->n_instructions;
        *ret_error = log_error_errno(ENOENT, "--target %s: no stage of that name", b->opts->target);
        return 0;
}

static int build_platform(Build *b, OciDescriptor *ret) {
        const Dockerfile *df = b->opts->dockerfile;
        Stage *cur = NULL;
        size_t end;
        int r;

        end = last_instruction(b, &r);
        if (r < 0)
                return r;
        for (size_t k = 0; k < end; k++) {
                const DockerfileInstruction *i = &df->instructions[k];

                if (i->type == DOCKERFILE_FROM) {
                        Stage *t = reallocarray(b->stages, b->n_stages + 1, sizeof(Stage));
                        if (!t)
                                return log_oom();
                        b->stages = t;
                        cur = &b->stages[b->n_stages++];
                        *cur = (Stage) {};
                } else if (!cur) {
                        r = handle_arg(b, NULL, i);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = run_instruction(b, cur, i);
                if (r < 0)
                        return r;
        }
        return finish_image(b, cur, ret);
}

static int write_etc_files(Build *b) {
        static const char hosts[] = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
        _cleanup_free_ char *dir = NULL;
        FILE *f;
        int r;

        r = store_mkdtemp(b->opts->store, "etc", &dir);
        if (r < 0)
                return r;
        if (asprintf(&b->hosts_file, "%s/hosts", dir) < 0 || asprintf(&b->resolv_file, "%s/resolv.conf", dir) < 0)
                return -ENOMEM;
        if (!(f = fopen(b->hosts_file, "we")))
                return negative_errno();
        fputs(hosts, f);
        fclose(f);
        /* With the host's network the host's resolvers apply; without, there is nothing to reach. */
        if (!(f = fopen(b->resolv_file, "we")))
                return negative_errno();
        if (b->opts->network_host) {
                FILE *in = fopen("/etc/resolv.conf", "re");
                char line[512];
                while (in && fgets(line, sizeof(line), in))
                        fputs(line, f);
                if (in)
                        fclose(in);
        }
        fclose(f);
        return 0;
}

static void build_done(Build *b) {
        for (size_t k = 0; k < b->n_stages; k++)
                stage_done(&b->stages[k]);
        free(b->stages);
        dockerfile_args_done(&b->args);
        strv_free(b->probed);
        run_drop_twins(b);
        free(b->emulator);
        if (b->hosts_file) {
                char *slash = strrchr(b->hosts_file, '/');
                *slash = 0;
                (void) rm_rf(b->hosts_file);
        }
        free(b->hosts_file);
        free(b->resolv_file);
        *b = (Build) {};
}

/* Build platform k of opts in this process. */
int build_one(const BuildOptions *opts, unsigned k, OciDescriptor *ret) {
        _cleanup_(build_done) Build b = { .opts = opts, .target = opts->platforms[k], .index = k };
        double t0 = now_seconds();
        Platform host;
        int r;

        b.n_steps = (unsigned) opts->dockerfile->n_instructions;
        if ((r = platform_host(&host)) < 0 || (r = dockerfile_args_init(&b.args, opts->build_args, &b.target, &host)) < 0 ||
            (r = write_etc_files(&b)) < 0)
                return log_error_errno(r, "Failed to prepare the build: %m");
        r = build_platform(&b, ret);
        if (r < 0)
                return r;
        step_report(&b, PROGRESS_BUILT, ret->digest.str, now_seconds() - t0, 0);
        return 0;
}

int build_run(const BuildOptions *opts, BuildResult *ret) {
        BuildResult result = {};
        unsigned jobs = opts->jobs;
        int r = 0;

        if (jobs == 0) {
                long n = sysconf(_SC_NPROCESSORS_ONLN);
                jobs = n > 0 ? (unsigned) n : 1;
        }
        if (jobs > opts->n_platforms)
                jobs = opts->n_platforms;
        /* tty and quiet own the terminal: the steps' output comes through the workers' pipes. */
        if (jobs > 1 || progress_needs_workers(opts->progress))
                r = build_parallel(opts, jobs, &result);
        else
                for (unsigned p = 0; p < opts->n_platforms && r >= 0; p++) {
                        r = build_one(opts, p, &result.manifests[p]);
                        if (r >= 0)
                                result.n_manifests++;
                }
        if (r < 0) {
                build_result_done(&result);
                return r;
        }
        *ret = result;
        return 0;
}
