/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <limits.h>
#include <linux/openat2.h>
#include <sys/types.h>

/* openat2(2) with RESOLVE flags (linux/openat2.h: RESOLVE_BENEATH, RESOLVE_IN_ROOT,
 * RESOLVE_NO_SYMLINKS, ...), O_CLOEXEC added. Returns the fd or -errno (-EXDEV: the path leads out of
 * dirfd; -ELOOP: a symlink where RESOLVE_NO_SYMLINKS forbids one). */
int openat_resolve(int dirfd, const char *path, int flags, mode_t mode, unsigned long long resolve);

/* The directory that holds path in the tree of dirfd, as an O_PATH fd, with no symlink and no ".."
 * on the way (RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS), and path's last component in name. For host-side
 * work on a tree someone else wrote (a step's upper, an image's root): a symlink there may lead
 * anywhere on the host. Returns the fd, or -errno (-ELOOP: a symlink on the way; -EINVAL: no last
 * component). */
int open_parent_beneath(int dirfd, const char *path, char name[static NAME_MAX + 1]);

/* Remove path in the tree of dirfd when it is an empty directory or an empty regular file, found as
 * open_parent_beneath() finds it. Returns 1 removed, 0 not there or not empty or not such, -errno. */
int remove_empty_beneath(int dirfd, const char *path);
