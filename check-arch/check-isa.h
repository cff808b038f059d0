/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Check 3b of an image, "isa": each ELF file's needs (lib/elf-isa) against the CPU level or model a
 * target names. */

#include "fs-model.h"
#include "scan-image.h"

typedef struct IsaProblem {
        char *required, *missing, *proof;
        const char *evidence;
        uint64_t address;
} IsaProblem;

/* Whether elf fails p's CPU target: 1 with a message ("needs x86-64-v3 (avx2); x86-64-v2 lacks avx2:
 * vpbroadcastd ... at 0x106b") and the details, 0 when it passes or there is nothing to check. Counts
 * the file in p (checked, dispatched, failed). Returns -ENOMEM too. */
int isa_problem_for(PlatformResult *p, const ElfInfo *elf, char **ret_message, IsaProblem *ret);
/* Move the details into q. */
void isa_problem_attach(IsaProblem *ip, Problem *q);
void isa_problem_done(IsaProblem *ip);

/* The detail line of the check once every file was seen. Returns 0 or -ENOMEM. */
int isa_check_detail(PlatformResult *p);
