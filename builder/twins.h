/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Native twins (lib/accel, docs/accel.md) for foreign RUN steps. The twins are installed by
 * accel_install() into a scratch overlay of the step's root (inside sandbox_call(), so the root's
 * own tools can be identified), and the scratch upper directory, which then holds only /.archway
 * (native/ and the routes), is stacked as the topmost lower layer of the RUN steps that follow: the
 * shim finds /.archway/routes.idx in the root and sends the root's compilers to their twins. The
 * twins are never part of a layer: they are not in the step's upper directory. */

#include "error-detail.h"
#include "platform.h"
#include "store.h"

/* Install twins for platform p over the root made of lowers (newest first). Returns 1 with the new
 * tree, "DIR/upper" for a fresh DIR under the store's tmp/ (the caller removes DIR), 0 when there is nothing to do
 * (no twins for p, no cross toolchain or launcher on the host, or no tool in the root to twin: why
 * says which), or -errno with the message in why. */
int twins_install(Store *s, const Platform *p, char **lowers, char **ret_tree, ErrorDetail *why);

/* Where archshim logs its routing decisions during a RUN step with twins (ARCHWAY_ACCEL_LOG), inside
 * the root: under /.archway, which only the twins' tree provides. */
#define TWINS_ACCEL_LOG "/.archway/accel.log"

/* After such a step: sum the log up in one line (into line, size bytes), e.g. "12 of 12 compiler
 * runs twinned, 30 runs of other tools; emulated: unless-arg -march=native (2)", then remove it (and
 * the /.archway directory the write copied up) from the step's upper directory, so that the layer
 * does not carry it. Returns 1 with a line, 0 when nothing was logged, -errno. */
int twins_step_report(const char *upper, char *line, size_t size);
