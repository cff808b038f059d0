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


/* PATH made absolute against the current directory and normalised without looking at the file system
 * ("." and empty components dropped, ".." removing the previous component, never above "/"): where the
 * name points as written, before any symlink is followed. Returns 0 and a new string, or -errno. */
int path_absolute_lexical(const char *path, char **ret);

/* Whether PATH (absolute, normalised) is DIR or below it; *ret_rel (may be NULL) points into PATH at the
 * rest ("" for DIR itself). */
bool path_is_below(const char *path, const char *dir, const char **ret_rel);
