/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Write all SIZE bytes of BUF to FD, retrying short writes and EINTR. Returns 0 or -errno. */
int loop_write(int fd, const void *buf, size_t size);

/* Whether PATH (following symlinks) is a regular file we may execute. */
bool is_executable_file(const char *path);

/* Read F to its end into a new NUL-terminated buffer (*RET_SIZE excludes the NUL; RET_SIZE may be
 * NULL). An empty stream gives an empty string. Returns 0 or -errno; F stays open. */
int read_full_stream(FILE *f, char **ret, size_t *ret_size);
