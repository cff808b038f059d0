/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Write all SIZE bytes of BUF to FD, retrying short writes and EINTR. Returns 0 or -errno. */
int loop_write(int fd, const void *buf, size_t size);

/* Whether PATH (following symlinks) is a regular file we may execute. */
bool is_executable_file(const char *path);
