/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Which QEMU linux-user a file is, as far as binfmt_misc flags care: whether it understands P. */

#include <stdbool.h>
#include <stddef.h>

/* The most of a file qemu_binary_version() reads: a static QEMU linux-user is 5-30 MB. */
#define QEMU_BINARY_MAX (256u * 1024 * 1024)

/* The version QEMU linux-user prints for --version ("qemu-aarch64 version 7.2.22 (Debian ...)"), found
 * in the file's bytes without running it (the text is a literal in its read-only data): "7.2.22" into
 * buf (NUL-terminated). Returns 0, -ENOENT when the file holds no such text, -EFBIG for a file over
 * QEMU_BINARY_MAX, -ENAMETOOLONG when buf is too small, or -errno. */
int qemu_binary_version(const char *path, char *buf, size_t size);

/* Whether "X.Y[...]" is at least major.minor (a kernel release or a QEMU version). False when v does
 * not start with a number. */
bool version_at_least(const char *v, unsigned major, unsigned minor);

/* Whether binfmt_misc's P (preserve argv[0]) may be given to QEMU linux-user qemu_version on a kernel
 * of release kernel_release (uname -r). The kernel tells the interpreter that it inserted the original
 * argv[0] through AT_FLAGS_PRESERVE_ARGV0 since Linux 5.12 (fs/binfmt_misc.c), and linux-user reads it
 * since QEMU 6.1 (linux-user/main.c); with either older, P shifts the program's arguments. Without P
 * the program's argv[0] is the file's path, which multi-call programs (busybox re-executing itself
 * through /proc/self/exe as an applet) cannot do without. */
bool qemu_preserve_argv0_ok(const char *kernel_release, const char *qemu_version);
