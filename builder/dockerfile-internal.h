/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the Dockerfile parser (dockerfile.c) and the variable expander (dockerfile-expand.c). */

#include "dockerfile.h"
#include "error-detail.h"
#include "macro.h"

