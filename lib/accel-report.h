/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What ran native in a build: archshim appends one line per program a routing rule was about to the
 * file ARCHWAY_ACCEL_LOG names (shim/shim.c, accel_log()):
 *
 *   twinned<TAB>PATH<TAB>EXEC
 *   emulated<TAB>PATH<TAB>WHY WHAT        e.g. "unless-arg -march=native", "unless-env-dir LIBRARY_PATH"
 *   emulated<TAB>PATH<TAB>no-rule         a root with twins, but none is for this program (make, uname)
 *
 * accel_report_parse() counts them per tool (the basename of PATH) and per reason, and singles out the
 * compiler drivers, the number the benchmark's goal is stated in. Programs without a rule are counted
 * apart (unrouted, per tool): what a build still spends in emulation. Pure: text in, counts out. */

#include <stdbool.h>
#include <stddef.h>

#define ACCEL_REPORT_KEYS_MAX 64

typedef struct AccelTally {
        char key[128];
        size_t n;
} AccelTally;

typedef struct AccelReport {
        AccelTally tools[ACCEL_REPORT_KEYS_MAX], reasons[ACCEL_REPORT_KEYS_MAX], unrouted[ACCEL_REPORT_KEYS_MAX];
        size_t n_tools, n_reasons, n_unrouted;  /* the last slot takes every key beyond the table */
        size_t twinned, emulated, drivers, drivers_twinned, n_unrouted_runs, malformed;
} AccelReport;

/* Is name (a basename) a compiler driver: gcc, cc, g++, c++, cpp, with a triple or version too? */
bool accel_report_is_driver(const char *name);

/* Add the lines of text (len bytes, need not be NUL-terminated) to *r (zero it first). */
void accel_report_parse(AccelReport *r, const char *text, size_t len);
