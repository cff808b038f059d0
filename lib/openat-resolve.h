/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <linux/openat2.h>
#include <sys/types.h>

/* openat2(2) with RESOLVE flags (linux/openat2.h: RESOLVE_BENEATH, RESOLVE_IN_ROOT,
 * RESOLVE_NO_SYMLINKS, ...), O_CLOEXEC added. Returns the fd or -errno (-EXDEV: the path leads out of
 * dirfd; -ELOOP: a symlink where RESOLVE_NO_SYMLINKS forbids one). */
int openat_resolve(int dirfd, const char *path, int flags, mode_t mode, unsigned long long resolve);
