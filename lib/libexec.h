/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where archway's helper programs are (archshim, qemu-<target>-archway, archway-twin-launch,
 * accel-verify): one search for every program that starts one. */

#ifndef ARCHWAY_LIBEXECDIR
#define ARCHWAY_LIBEXECDIR "/usr/local/libexec/archway"
#endif

/* Find the executable NAME in FIRST_DIR (when not NULL or empty: the caller's override, e.g.
 * $ARCHWAY_SHIM_DIR), then in ../libexec next to the running program (the build tree: $(O)/bin and
 * $(O)/libexec), then in ARCHWAY_LIBEXECDIR (make install). On success *ret is a malloc'd path.
 * Returns 0, -ENOENT, -ENOMEM. */
int libexec_find(const char *name, const char *first_dir, char **ret);
