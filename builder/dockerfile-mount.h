/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* RUN --mount=type=bind,from=IMAGE_OR_STAGE,source=PATH,target=PATH[,ro|rw]: the part of BuildKit's
 * RUN --mount that archbuild implements, so that one Dockerfile works in both builders (the twins
 * recipe of docs/docker.md mounts a twins image's /.archway this way). Pure: text in, struct out. */

#include <stdbool.h>

#include "dockerfile.h"
#include "error-detail.h"

/* Bind mounts on one RUN: a bound on what a Dockerfile may ask for. */
#define RUN_MOUNTS_MAX 8

typedef struct RunMountSpec {
        char *from;      /* stage name or index, or image reference; never NULL */
        char *source;    /* path in from's root; "/" when not given */
        char *target;    /* absolute path in the step's root */
} RunMountSpec;

/* Parse one --mount value (after "mount="), with its keys as BuildKit names them: type (only "bind"),
 * from, source|src, target|dst|destination, readonly|ro (the default for bind), and refuse what
 * archbuild does not implement (other types, rw/readwrite, a bind without from=, unknown keys) with
 * one line naming it. Values are not expanded here. Returns 0 with *ret filled (free with
 * run_mount_spec_done()), or -EOPNOTSUPP/-EINVAL with err set (line of i). */
int run_mount_parse(const DockerfileInstruction *i, const char *value, RunMountSpec *ret, ErrorDetail *err);

void run_mount_spec_done(RunMountSpec *m);

/* The --mount values of i, in order: pointers into i->flags; returns how many (at most max). */
size_t run_mount_values(const DockerfileInstruction *i, const char **ret, size_t max);
