/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a target CPU has, from a platform's ISA variant (linux/amd64/v2) or a CPU model (--cpu
 * cortex-a72), and the verdict on an ElfIsa against it. Shared by check-arch and archbuild. */

#include <stdbool.h>

#include "elf-isa.h"
#include "isa-table.h"
#include "platform.h"

typedef struct IsaTarget {
        bool active;        /* there is something to check beyond the architecture */
        IsaArch arch;
        IsaFeatures have;   /* what every CPU of the target has */
        char name[32];      /* "x86-64-v2", "cortex-a72" */
} IsaTarget;

/* The target a platform names: active for ISA variants above the baseline (amd64/v2, arm64/v8.1, ...)
 * and for 32-bit arm (whose variants v5..v8 are levels). Inactive otherwise (nothing to check). */
void isa_target_from_platform(const Platform *p, IsaTarget *ret);

/* The target of CPU model `model` (a table row, or a level name such as "x86-64-v2" or "armv8.2-a")
 * for platform p: 0 with ret filled, -ENOENT for an unknown model, -EXDEV when the model is not of
 * p's architecture (cortex-a72 for linux/amd64). A model that exists for several arches (cortex-a53
 * runs AArch64 and AArch32 code) takes p's. */
int isa_target_from_cpu(const char *model, const Platform *p, IsaTarget *ret);

/* The platform a CPU model runs natively (cortex-a72 -> linux/arm64, arm1176 -> linux/arm/v6,
 * x86-64-v3 -> linux/amd64/v3). Returns 0 or -ENOENT. */
int isa_cpu_platform(const char *model, Platform *ret);

/* What isa needs that t lacks (0: it runs, as far as the evidence goes). */
IsaFeatures isa_target_missing(const IsaTarget *t, const ElfIsa *isa);

/* One line for a failed check: "needs x86-64-v3 (avx2,bmi2), x86-64-v2 lacks avx2: vpbroadcastd ymm3,
 * xmm3 at 0x106b". Returns 0 with a new string, or -ENOMEM. */
int isa_target_explain(const IsaTarget *t, const ElfIsa *isa, char **ret);

/* "x86-64-v3 (avx2,bmi2)" / "x86-64" / "aes" when no level holds it: the required level of isa, as
 * text into buf. */
const char *elf_isa_level_string(const ElfIsa *isa, IsaFeatures f, char *buf, size_t size);

/* "note", "attribute", "code" or "none". */
const char *isa_evidence_to_string(IsaEvidence e);
