/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The magic/mask rules for every QEMU linux-user target, as data. Byte for byte those of QEMU 10.0's
 * scripts/qemu-binfmt-conf.sh except where that table is wrong; each such row says why in deviation
 * (and docs/binfmt.md lists them). Masks accept both ET_EXEC and ET_DYN (PIE). */

#include <stdbool.h>
#include <stddef.h>

#include "binfmt-entry.h"
#include "platform.h"

typedef struct BinfmtTarget {
        const char *name;        /* the rule: "aarch64", "i486"; entries are named "qemu-<name>" */
        const char *emulator;    /* the linux-user target that runs it: "aarch64"; i486 -> "i386" */
        const char *family;      /* qemu-binfmt-conf.sh's family: a host never gets its own family */
        const char *magic;       /* \xHH-escaped, as in qemu-binfmt-conf.sh */
        const char *mask;
        const char *deviation;   /* NULL, or how and why this row differs from QEMU's */
} BinfmtTarget;

extern const BinfmtTarget binfmt_target_table[];
extern const size_t binfmt_target_table_size;

/* The row named name ("aarch64", "i486"; also "qemu-aarch64"), or NULL. */
const BinfmtTarget *binfmt_target_lookup(const char *name);

/* Build the entry "qemu-<name>" for t with the given interpreter and flags. Returns 0, or -EINVAL
 * when the interpreter does not fit or the row is malformed (a unit test checks every row). */
int binfmt_target_to_entry(const BinfmtTarget *t, const char *interpreter, BinfmtFlags flags,
                           BinfmtEntry *ret);

/* The rows that make a platform run: the rows whose emulator is the platform's QEMU target (linux/386
 * gives i386 and i486). Writes at most max pointers. Returns the count (0 when the platform has no
 * QEMU target). */
size_t binfmt_targets_for_platform(const Platform *p, const BinfmtTarget **ret, size_t max);

/* The family of a QEMU target or host machine name as qemu-binfmt-conf.sh normalises uname -m
 * ("x86_64", "i686", "armv7l", "aarch64", "ppc64le", ...), or NULL when unknown. */
const char *binfmt_family_of(const char *machine);

/* Whether registering t on a host whose uname -m is host_machine is refused: t is in the host's family
 * (an x86_64 host gets no i386/i486/x86_64 rule, which binfmt_misc would consult before binfmt_elf for
 * every native program). allow_family lifts the family rule but never the host's own target. */
bool binfmt_target_is_native(const BinfmtTarget *t, const char *host_machine, bool allow_family);
