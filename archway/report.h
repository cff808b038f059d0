/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>

/* Summarise an ARCHWAY_ACCEL_LOG file (archshim's routing decisions) on out: runs twinned and
 * emulated, the compiler drivers' share, per tool and per reason. Returns 0 or -errno (reading). */
int accel_report(const char *path, FILE *out);
