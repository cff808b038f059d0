/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "report.h"

/* Identify path, and everything below it if it is a directory, into r. Symbolic links inside a tree
 * are not followed (a link's target is checked where it lives); path itself is followed when it is
 * a link, since the user named it. Unreadable entries are reported to r and the walk goes on.
 * Returns 0, or -ENOMEM. */
int scan_tree(Report *r, const char *path);
