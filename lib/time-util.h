/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The monotonic clock, for deadlines and durations (never for timestamps written anywhere). */

#include <stdint.h>

/* Microseconds of CLOCK_MONOTONIC. */
uint64_t now_usec(void);

/* The same in seconds, for durations shown to people. */
double now_seconds(void);
