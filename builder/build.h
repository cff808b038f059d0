/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The build: for each target platform, walk the Dockerfile's stages in order (up to --target),
 * executing each instruction through its handler (a table in build.c), with a step cache in the
 * store. The result per platform is an image manifest in the store; output.c turns those into an
 * OCI layout, a docker-archive or a push. Platforms are built at once by forked workers (jobs), the
 * results kept in the order of the platforms. Logging happens here (the program's boundary for
 * steps). */

#include <stdbool.h>
#include <stdint.h>

#include "dockerfile.h"
#include "emulation.h"
#include "emulator.h"
#include "layer-write.h"
#include "oci.h"
#include "platform.h"
#include "progress.h"
#include "store.h"

#define BUILD_PLATFORMS_MAX 16

typedef struct BuildOptions {
        const char *context;            /* directory */
        const char *dockerfile_name;    /* for messages: "Dockerfile" */
        const Dockerfile *dockerfile;
        Platform platforms[BUILD_PLATFORMS_MAX];
        unsigned n_platforms;
        char **build_args;              /* "K=V" (or "K": take it from the environment) */
        const char *target;             /* stage name, or NULL: the last stage */
        Store *store;
        bool no_cache;
        bool network_host;
        bool allow_foreign;
        Progress *progress;             /* the display (progress.h); build.c reports to it */
        bool pull;                      /* re-pull registry bases even when the store has them */
        bool insecure;                  /* plain HTTP for a loopback registry */
        bool no_accel;                  /* no native twins in foreign RUN steps */
        unsigned jobs;                  /* platforms built at once (a process each); 0: one per CPU */
        EmulatorMode emulator_mode;
        const SandboxKernel *kernel;      /* sandbox_kernel_probe()'s result, or NULL: not probed */
        const EmulationPlan *emulation;   /* how each foreign target is emulated (emulation_plan()) */
        LayerWriteOptions layer;        /* compression, SOURCE_DATE_EPOCH */
} BuildOptions;

/* The image built for one platform: its manifest descriptor (in the store's layout, platform set). */
typedef struct BuildResult {
        OciDescriptor manifests[BUILD_PLATFORMS_MAX];
        unsigned n_manifests;
} BuildResult;

void build_result_done(BuildResult *r);

/* Build every platform. Errors are logged here with the Dockerfile line, step and platform. Returns
 * 0 or a negative errno (already logged). */
int build_run(const BuildOptions *opts, BuildResult *ret);
