/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the parts of the build share: the state of one platform's build (Build) and of its stages
 * (Stage), and the functions one part calls in another. The parts:
 *   build.c          the stage loop and its instruction table, the image at the end, build_run()
 *   build-vars.c     ARG and ENV: scopes, substitution, build arguments, the automatic platform args
 *   build-step.c     step bookkeeping: messages, history, cache keys, step directories, committing a layer
 *   build-run.c      RUN: emulator, probe, native twins, the sandbox
 *   build-copy.c     COPY and ADD
 *   build-config.c   the instructions that only change the config (WORKDIR, USER, CMD, LABEL ...)
 *   build-from.c     FROM: another stage, scratch, or an image from the store or a registry
 *   build-workers.c  platforms built at once by forked workers
 * Nothing here is seen outside builder/build*.c. */

#include <stdbool.h>
#include <stdint.h>

#include "build.h"
#include "dockerfile-scope.h"
#include "sandbox.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Messages quote an instruction whole when short, else its start and "...", so that what follows is
 * seen even after a 100 KB instruction. */
#define INSTRUCTION_QUOTE_MAX 160

/* The running state of one stage for one platform. */
typedef struct Stage {
        char *name;               /* "AS name" (as written; matched case-insensitively), or NULL */
        Platform platform;        /* what it runs as: the target, or FROM --platform */
        StoreLayer *layers;
        size_t n_layers;
        OciConfig config;
        char **shell;
        char **args;              /* ARGs declared in this stage: "K=V", or "K" when unset */
        OciDigest chain;          /* cache chain: the base, then each layer step's key */
        bool cmd_in_stage;
} Stage;

typedef struct Build {
        const BuildOptions *opts;
        Platform target;
        unsigned index;           /* of target in opts->platforms: the progress display's lane */
        Stage *stages;
        size_t n_stages;
        DockerfileArgs args;      /* --build-arg, the global ARGs, the automatic ones */
        unsigned step, n_steps;
        char *emulator;
        BinfmtFlags emulator_flags;
        bool host_binfmt;         /* emulation through the host's entries (emulation.h) */
        char **probed;            /* platforms whose emulation a probe proved in this build */
        char *twins;              /* native twins installed over twins_chain, or NULL */
        OciDigest twins_chain;
        char *hosts_file, *resolv_file;
} Build;

/* A step's directories: the overlay's upper, work and merged directories, and the lowers (newest
 * first) of the stage and, for COPY --from, of the source. */
typedef struct StepDirs {
        char *dir, *upper, *work, *merged, *from_merged;
        char **lowers, **from_lowers;
} StepDirs;

/* An instruction's handler: 0 when done, 1 when the step came from the cache, or a negative errno
 * (already logged with the instruction). */
typedef int (*Handler)(Build *b, Stage *s, const DockerfileInstruction *i);

/* build-step.c */
void step_report(Build *b, ProgressEventType type, const char *text, double seconds, uint64_t bytes);
const char *pf(const Platform *p, char buf[static PLATFORM_STRING_MAX]);
const char *step_quote(const DockerfileInstruction *i, char buf[static INSTRUCTION_QUOTE_MAX + 4]);
/* Log "Dockerfile:LINE: [platform] INSTR: message" (%m is r); returns r, or -EIO for r >= 0. */
_printf_(4, 5) int step_fail(Build *b, const DockerfileInstruction *i, int r, const char *format, ...);
void stage_done(Stage *s);
char *step_created_now(const Build *b);
int step_add_history(Build *b, Stage *s, const DockerfileInstruction *i, bool empty_layer);
int step_hash_strs(OciHasher *h, const char *tag, char *const *l);
int step_key_begin(const Build *b, const Stage *s, const char *kind, OciHasher **ret);
void step_dirs_done(StepDirs *d);
int step_dirs_make(Build *b, const Stage *s, const Stage *from, StepDirs *d);
int step_commit_upper(Build *b, Stage *s, const DockerfileInstruction *i, StepDirs *d, const OciDigest *key);
bool step_cache_hit(Build *b, Stage *s, const DockerfileInstruction *i, const OciDigest *key);

/* build-vars.c */
int vars_expand_word(Build *b, Stage *s, const DockerfileInstruction *i, const char *text, char **ret);
int vars_expand_words(Build *b, Stage *s, const DockerfileInstruction *i, char ***ret);
int vars_split_pairs(Build *b, Stage *s, const DockerfileInstruction *i, char ***ret);
int handle_arg(Build *b, Stage *s, const DockerfileInstruction *i);
int handle_env(Build *b, Stage *s, const DockerfileInstruction *i);

/* build-run.c */
int run_argv(Stage *s, const DockerfileInstruction *i, char ***ret);
void run_drop_twins(Build *b);
int handle_run(Build *b, Stage *s, const DockerfileInstruction *i);

/* build-copy.c */
int handle_copy(Build *b, Stage *s, const DockerfileInstruction *i);

/* build-config.c */
int handle_label(Build *b, Stage *s, const DockerfileInstruction *i);
int handle_expose(Build *b, Stage *s, const DockerfileInstruction *i);
int handle_volume(Build *b, Stage *s, const DockerfileInstruction *i);
int handle_user(Build *b, Stage *s, const DockerfileInstruction *i);
int handle_stopsignal(Build *b, Stage *s, const DockerfileInstruction *i);
int handle_workdir(Build *b, Stage *s, const DockerfileInstruction *i);
int handle_cmd(Build *b, Stage *s, const DockerfileInstruction *i);
int handle_entrypoint(Build *b, Stage *s, const DockerfileInstruction *i);
int handle_shell(Build *b, Stage *s, const DockerfileInstruction *i);

/* build-from.c */
Stage *stage_find(Build *b, const char *name);
int stage_from_image(Build *b, Stage *s, const DockerfileInstruction *i, const char *image);
int handle_from(Build *b, Stage *s, const DockerfileInstruction *i);

/* build.c, for the workers */
int build_one(const BuildOptions *opts, unsigned k, OciDescriptor *ret);
/* build-workers.c */
int build_parallel(const BuildOptions *opts, unsigned jobs, BuildResult *result);
