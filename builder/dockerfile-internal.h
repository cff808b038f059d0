/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the Dockerfile parser (dockerfile.c) and the variable expander (dockerfile-expand.c). */

#include "dockerfile.h"
#include "error-detail.h"
#include "macro.h"

/* Fill err (may be NULL) with the line and the message. Returns -|r|. */
_printf_(4, 5) int dockerfile_fail(ErrorDetail *err, int r, unsigned line, const char *format, ...);
