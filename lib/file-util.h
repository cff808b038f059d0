/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
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

/* Write size bytes of buf to name in dirfd (AT_FDCWD for a path) atomically: a temporary sibling
 * (".NAME.tmp-PID"), written whole and fsync()ed, renamed over name; nothing is left behind on failure
 * and name is old or new, never half-written. ret_st (may be NULL) receives the written file's stat.
 * Returns 0 or -errno. */
int write_file_atomic(int dirfd, const char *name, const void *buf, size_t size, mode_t mode, struct stat *ret_st);

/* mkdir -p of path's parents (mkdir_parents) or of path itself too (mkdir_p). Returns 0 or -errno. */
int mkdir_parents(const char *path, mode_t mode);
int mkdir_p(const char *path, mode_t mode);

/* A whole regular file (-EBADF for anything else), at most max bytes (-EFBIG), NUL-terminated
 * (*ret_size, may be NULL, excludes the NUL); from fd's current offset. Returns 0 or -errno. */
int read_fd(int fd, size_t max, char **ret, size_t *ret_size);
int read_file(const char *path, size_t max, char **ret, size_t *ret_size);

/* What a pipe gives until EOF, at most size - 1 bytes (the rest is not read), NUL-terminated, and no
 * later than deadline (now_usec() microseconds). Returns the length read, or -ETIME past the deadline
 * (buf holds what came until then). */
ssize_t read_pipe_until(int fd, char *buf, size_t size, uint64_t deadline);

/* rm -rf of name in dirfd (or of path): never follows a symlink, stays on dirfd's file system for
 * what it descends into. A missing name is not an error. Returns 0 or -errno. */
int rm_rf_at(int dirfd, const char *name);
int rm_rf(const char *path);

/* Clean a path lexically, as Go's filepath.Clean: repeated '/' and "." components dropped, ".." removing
 * the component before it (kept at the start of a relative path, dropped after a leading '/'), no
 * trailing '/'; "" gives ".". Returns 0 and a new string, or -ENOMEM. */
int path_clean(const char *path, char **ret);
