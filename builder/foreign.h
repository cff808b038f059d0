/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Early mismatch detection: every ELF file that a step added or changed (the regular files of its
 * layer tree) must run on the target platform (platform_runs_on()). Catches the `curl -o tool
 * .../tool-x86_64` in an arm64 build at that step instead of as `exec format error` in production.
 * When the platform names a CPU level (linux/amd64/v2, arm64/v8.2; lib/isa-check.h), each file must
 * also need no more of the CPU (lib/elf-isa.h): `illegal instruction` caught at the step too. */

#include <stddef.h>

#include "platform.h"

typedef struct ForeignElf {
        char *path;           /* "/usr/local/bin/tool" */
        Platform platform;    /* what the file is built for */
        char detail[256];     /* "exec", "pie", "shared", ... or "unknown machine", "the kernel will not run it",
                               * or for a file that needs more of the CPU: "needs x86-64-v3 (avx2); ..." */
        bool unknown;         /* an ELF no table row describes, or one the kernel will not load */
        bool malformed;       /* the latter */
} ForeignElf;

/* "an ELF of an unknown machine" or "a malformed ELF", for an unknown entry. */
const char *foreign_elf_what(const ForeignElf *e);

void foreign_elfs_free(ForeignElf *l, size_t n);

/* Walk tree (a layer directory; whiteouts are skipped) and list the ELF files that do not run on
 * target: their layer path and platform. Relocatable objects (.o) and core files are skipped (they
 * are not run). Returns the count (0: all good) with *ret (NULL when 0), or -errno. */
int foreign_scan_tree(const char *tree, const Platform *target, ForeignElf **ret);
