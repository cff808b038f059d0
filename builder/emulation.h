/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* How the foreign RUN steps of a build are emulated, decided once before the build starts, per
 * platform, in this order:
 *   1. a private binfmt_misc instance per step, with emulator_find()'s interpreter registered in it,
 *      when the kernel has private instances (sandbox_kernel_probe());
 *   2. else the host's own registration: the entry the kernel would take for the platform's probe
 *      program (the newest enabled match), which must carry flag F (a step's root has none of the
 *      host's files) and must run the probe program; it is archway's own or another registrar's, and
 *      said so. The host's table is only read;
 *   3. else the build stops before any work, with one line naming the platform and the fix.
 * Nothing here mounts or writes binfmt_misc. */

#include <stdbool.h>
#include <stddef.h>

#include "binfmt-entry.h"
#include "emulator.h"
#include "platform.h"
#include "sandbox.h"

#define EMULATION_PLATFORMS_MAX 16

typedef enum EmulationKind {
        EMULATION_PRIVATE,   /* a private binfmt_misc instance per step */
        EMULATION_HOST,      /* the host's registered entry */
} EmulationKind;

typedef struct Emulation {
        Platform platform;
        EmulationKind kind;
        char *interpreter;            /* PRIVATE: what each step registers; HOST: the entry's */
        BinfmtFlags flags;
        char entry[BINFMT_NAME_MAX + 1]; /* HOST: the entry's name */
        bool archway;                 /* HOST: archway's own entry (else another registrar's) */
} Emulation;

typedef struct EmulationPlan {
        Emulation items[EMULATION_PLATFORMS_MAX];
        size_t n;
} EmulationPlan;

void emulation_plan_done(EmulationPlan *plan);

/* Decide for one foreign platform. scratch: a directory for the probe program. Returns 0, or -errno
 * with one line in err (naming the platform and the command that fixes it). */
int emulation_resolve(const SandboxKernel *kernel, const Platform *p, EmulatorMode mode, const char *scratch,
                      Emulation *ret, ErrorDetail *err);

/* Decide for every platform of platforms[0..n) that needs emulation (emulator_needed()), into *ret.
 * Returns 0, or -errno with err set as emulation_resolve() does; *ret is then empty. */
int emulation_plan(const SandboxKernel *kernel, const Platform *platforms, size_t n, EmulatorMode mode,
                   const char *scratch, EmulationPlan *ret, ErrorDetail *err);

/* The plan's entry for p, or NULL. */
const Emulation *emulation_plan_find(const EmulationPlan *plan, const Platform *p);

/* One line saying how each platform is emulated, e.g. "linux/arm64: private binfmt_misc instance
 * per step (/usr/local/libexec/archway/qemu-aarch64-archway)". Returns buf. */
const char *emulation_plan_describe(const EmulationPlan *plan, char *buf, size_t size);
