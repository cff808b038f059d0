/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Write all SIZE bytes of BUF to FD, retrying short writes and EINTR. Returns 0 or -errno. */
int loop_write(int fd, const void *buf, size_t size);

/* Whether PATH (following symlinks) is a regular file we may execute. */
bool is_executable_file(const char *path);

/* Read F to its end into a new NUL-terminated buffer (*RET_SIZE excludes the NUL; RET_SIZE may be
 * NULL). An empty stream gives an empty string. Returns 0 or -errno; F stays open. */
int read_full_stream(FILE *f, char **ret, size_t *ret_size);

/* openat2(2) with RESOLVE flags (linux/openat2.h: RESOLVE_BENEATH, RESOLVE_IN_ROOT,
 * RESOLVE_NO_SYMLINKS, ...), O_CLOEXEC added. Returns the fd or -errno (-EXDEV: the path leads out of
 * dirfd; -ELOOP: a symlink where RESOLVE_NO_SYMLINKS forbids one). */
int openat_resolve(int dirfd, const char *path, int flags, mode_t mode, unsigned long long resolve);
