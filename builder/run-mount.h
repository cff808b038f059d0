/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* RUN --mount=type=bind,from=... in the RUN step (parsing: dockerfile-mount.h; mounting:
 * sandbox-bind.c). The builder resolves each from= through a callback (a stage of the build, else an
 * image for the stage's platform), so this file needs nothing of the build's state. */

#include <stdbool.h>

#include "dockerfile-mount.h"
#include "oci.h"
#include "sandbox.h"

typedef struct RunMountResolver {
        /* Expand the step's variables in one word. Returns 0 or -errno (already reported). */
        int (*expand)(void *userdata, const char *text, char **ret);
        /* from= -> the root's layer directories (newest first) and its cache chain digest, as a
         * string. Returns 0 or -errno (already reported). */
        int (*resolve)(void *userdata, const char *from, char ***ret_lowers, char **ret_chain);
        void *userdata;
} RunMountResolver;

typedef struct RunMounts {
        size_t n;
        RunMountSpec spec[RUN_MOUNTS_MAX];   /* expanded */
        char **lowers[RUN_MOUNTS_MAX];
        char *chain[RUN_MOUNTS_MAX];
        char *merged[RUN_MOUNTS_MAX];
        SandboxBind binds[RUN_MOUNTS_MAX];
        bool twins;                          /* a target is /.archway: the step's twins come from it */
} RunMounts;

/* Parse, expand and resolve the --mount flags of RUN i. Returns 0 (n == 0 without mounts), -errno
 * with err set for a bad mount, or what a callback returned. */
int run_mounts_prepare(const DockerfileInstruction *i, const RunMountResolver *res, RunMounts *ret, ErrorDetail *err);

/* Add the mounts (from's chain, source, target) to the step's cache key. */
int run_mounts_hash(const RunMounts *m, OciHasher *h);

/* Make the mount points of the source roots below step_dir and fill m->binds for SandboxRun. */
int run_mounts_bind(RunMounts *m, const char *step_dir);

/* Remove from the step's upper directory the targets the sandbox created to mount over (stubs: its
 * SANDBOX_STUB_BIND() bits), when they are still empty. */
void run_mounts_remove_stubs(const RunMounts *m, const char *upper, unsigned stubs);

void run_mounts_done(RunMounts *m);
