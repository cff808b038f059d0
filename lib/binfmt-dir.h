/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* I/O on one binfmt_misc instance, always through a directory fd, so that callers (and tests) can
 * point at any instance: the global one, or a user namespace's own (Linux >= 6.7). One write(2) per
 * rule, as the kernel parses each write as one whole register string. Nothing here unmounts: since
 * Linux 6.7, unmounting the last mount of an instance deletes every entry. */

#include <stdbool.h>
#include <stddef.h>

#include "binfmt-entry.h"

#define BINFMT_DIR_DEFAULT "/proc/sys/fs/binfmt_misc"

/* Open path as a binfmt_misc instance (O_DIRECTORY|O_CLOEXEC, and statfs says BINFMTFS_MAGIC).
 * Returns 0 and the fd, -EMEDIUMTYPE when path is a directory but not binfmt_misc (not mounted), or
 * -errno. */
int binfmt_dir_open(const char *path, int *ret_fd);

/* Open path, mounting binfmt_misc there first if it is not mounted yet. Looking at the path first
 * triggers an automount (systemd's proc-sys-fs-binfmt_misc.automount) when there is one. Returns 0
 * and the fd, with *ret_mounted telling whether this call mounted it, or -errno (-EPERM from mount). */
int binfmt_dir_open_or_mount(const char *path, int *ret_fd, bool *ret_mounted);

/* The entry names in the instance (not "register" nor "status") as a NULL-terminated array the caller
 * frees with binfmt_names_free(), in directory order, which is the order the kernel tries them in:
 * newest first (binfmt_misc adds both the rule and its dentry at the head of their lists). Returns the
 * count or -errno. */
int binfmt_dir_list(int dirfd, char ***ret);
void binfmt_names_free(char **names);
static inline void binfmt_names_freep(char ***names) {
        binfmt_names_free(*names);
}

/* Read and parse the entry name. Returns 0, -ENOENT when there is none, -EBADMSG when its status file
 * cannot be parsed, or -errno. */
int binfmt_dir_read_entry(int dirfd, const char *name, BinfmtEntry *ret);

/* The entry the kernel would hand a file to, given its first size bytes (head) and, for extension
 * entries, its path (may be NULL): the newest enabled match, since binfmt_misc tries its entries
 * from the most recently registered one. *ret_shadowed (may be NULL) counts the older enabled
 * matches it never reaches. Returns 0, -ENOENT when no enabled entry matches, or -errno. */
int binfmt_dir_find_handler(int dirfd, const void *head, size_t size, const char *path, BinfmtEntry *ret,
                            unsigned *ret_shadowed);

/* Register e with one write(2) of its register string. Returns 0, -EEXIST when the name is taken,
 * -EINVAL when the kernel refused the string (after binfmt_entry_format() accepted it, that means a
 * flag this kernel does not know: see binfmt_dir_flag_supported()), -ENOENT (F: interpreter missing),
 * or -errno. */
int binfmt_dir_register(int dirfd, const BinfmtEntry *e);

/* Remove the entry name ("-1"). Returns 0, -ENOENT when it does not exist, or -errno. */
int binfmt_dir_remove(int dirfd, const char *name);

/* Enable or disable one entry ("1"/"0"). Returns 0 or -errno. */
int binfmt_dir_set_entry_enabled(int dirfd, const char *name, bool enabled);

/* Whether the instance as a whole is enabled (its "status" file). Returns 1, 0, or -errno. */
int binfmt_dir_is_enabled(int dirfd);

/* Whether this kernel accepts flag, found by registering and removing a throwaway extension entry
 * named "archway-flag-probe-<letter>" for /bin/sh. Meant for the error path of a register that failed
 * with EINVAL. Returns 1, 0, or -errno. */
int binfmt_dir_flag_supported(int dirfd, BinfmtFlags flag);

/* The owner of the instance's register file (root of the user namespace that mounted it, as seen from
 * here). Returns 0 or -errno. */
int binfmt_dir_owner(int dirfd, unsigned *ret_uid);
