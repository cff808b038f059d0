/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The Dockerfile's variable scopes: what $NAME refers to where a word stands, what ARG declares, and
 * what RUN's environment holds. Before the first FROM a word sees the global ARGs, then the automatic
 * platform ARGs (TARGETPLATFORM ... BUILDVARIANT). In a stage it sees the stage's ENV, which wins, then
 * the ARGs declared in the stage; a global or automatic ARG is seen in a stage only once the stage
 * declares it (`ARG NAME`). A declared ARG takes its value from --build-arg, else (in a stage) from
 * the global ARG of that name, else the automatic one, else its default; without any it is declared
 * but unset. RUN's environment is the ENV, then every ARG with a value that ENV does not set, and a
 * default PATH. The rules are BuildKit's (docs.docker.com/reference/dockerfile: ARG, "Scope",
 * "Predefined ARGs", "Using ARG variables"). Pure: no files, no logging. */

#include <stdbool.h>

#include "platform.h"

/* "K=V" entries, or a bare "K" for an ARG declared without a value. */
typedef struct DockerfileArgs {
        char *const *build_args;  /* --build-arg: "K=V", or "K" for archbuild's own $K; not owned */
        char **global;            /* ARGs before the first FROM */
        char **automatic;         /* TARGETPLATFORM, TARGETOS, TARGETARCH, TARGETVARIANT, BUILD... */
} DockerfileArgs;

/* Where a word stands: before the first FROM (in_stage false: env and args unused) or in a stage. */
typedef struct DockerfileScope {
        const DockerfileArgs *args;
        bool in_stage;
        char *const *env;         /* the stage's ENV */
        char *const *stage_args;  /* the ARGs the stage declared */
} DockerfileScope;

/* Start the build of target on host: build_args is kept (not copied). Returns 0 or -ENOMEM. */
int dockerfile_args_init(DockerfileArgs *a, char *const *build_args, const Platform *target, const Platform *host);
void dockerfile_args_done(DockerfileArgs *a);

/* The value of name in scope (userdata is a DockerfileScope), or NULL when unset: a DockerfileLookup
 * for the expander. */
const char *dockerfile_scope_lookup(const char *name, void *userdata);

/* Declare the ARGs of pairs ("K=default" or "K", as dockerfile_split_pairs() gives them) in the global
 * scope (stage_args NULL) or in a stage. Returns 0 or -ENOMEM. */
int dockerfile_args_declare(DockerfileArgs *a, char ***stage_args, char *const *pairs);

/* RUN's environment in a stage with env and stage_args: a new strv in *ret. Returns 0 or -ENOMEM. */
int dockerfile_run_env(char *const *env, char *const *stage_args, const char *default_path, char ***ret);
