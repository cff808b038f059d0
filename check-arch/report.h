/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The outcome of a check-arch run: one record per ELF file, errors per path, and the exit code from
 * the documented table. Human lines are printed as results arrive; JSON is written at the end. */

#include <json-c/json.h>
#include <stdbool.h>

#include "elf-id.h"
#include "elf-isa.h"
#include "isa-check.h"
#include "isa-read.h"
#include "platform.h"
#include "scan-image.h"

#define CHECK_ARCH_TARGETS_MAX 16

/* Exit codes, documented in docs/man/check-arch.1. */
typedef enum CheckArchExit {
        CHECK_ARCH_EXIT_OK = 0,       /* every ELF runs on every requested platform */
        CHECK_ARCH_EXIT_MISMATCH = 1, /* at least one ELF does not */
        CHECK_ARCH_EXIT_ERROR = 2,    /* an input could not be read; results are incomplete */
} CheckArchExit;

typedef struct Report {
        bool json;
        bool quiet;
        Platform targets[CHECK_ARCH_TARGETS_MAX];
        IsaTarget isa[CHECK_ARCH_TARGETS_MAX]; /* the CPU level or model of each target */
        unsigned n_targets;
        IsaWant isa_want;                      /* which files to analyse (set up by main) */
        bool isa_show;                         /* say what each file needs on its line (a level or
                                                * model was asked for, or --isa; not for the arm
                                                * variants alone, which are checked quietly) */

        unsigned n_elf, n_non_elf, n_mismatched, n_errors;
        unsigned n_images, n_platform_failures;
        json_object *images; /* JSON mode only */
        json_object *files;  /* JSON mode only */
        json_object *errors; /* JSON mode only */
} Report;

int report_init(Report *r);
void report_done(Report *r);

/* Record an identified ELF file and print its line (human mode). isa: what it needs of the CPU, when
 * it was analysed (r->isa_want), else NULL. */
int report_elf(Report *r, const char *path, const ElfId *id, const ElfIsa *isa);
void report_non_elf(Report *r);
/* Record that path could not be read or identified; error is -errno (-EBADMSG: malformed ELF). */
int report_error(Report *r, const char *path, int error);

/* Record and print the result of one image (human mode: a table per platform, as it arrives). An
 * image that could not be read counts as an error (exit 2); a failed check of a platform as a mismatch
 * (exit 1). */
int report_image(Report *r, const ImageResult *res);

/* Print the summary (human) or the whole document (JSON); return the exit code. */
CheckArchExit report_finish(Report *r);
