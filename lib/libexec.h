/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where archway's helper programs are (archshim, qemu-<target>-archway, archway-twin-launch,
 * accel-verify): one search for every program that starts one. */

#ifndef ARCHWAY_LIBEXECDIR
#define ARCHWAY_LIBEXECDIR "/usr/local/libexec/archway"
#endif

#include <limits.h>

#define LIBEXEC_BUILD_DIR_MAX (PATH_MAX + 16)

/* The directories searched, in order, NULL-terminated in ret: first_dir (when not NULL or empty: the
 * caller's override, e.g. $ARCHWAY_SHIM_DIR), ../libexec next to the running program (the build tree:
 * $(O)/bin and $(O)/libexec; its path is written to build), ARCHWAY_LIBEXECDIR (make install). */
void libexec_dirs(const char *first_dir, char build[static LIBEXEC_BUILD_DIR_MAX], const char *ret[static 4]);

/* Find the executable NAME in those directories. On success *ret is a malloc'd path. Returns 0,
 * -ENOENT, -ENOMEM. */
int libexec_find(const char *name, const char *first_dir, char **ret);
