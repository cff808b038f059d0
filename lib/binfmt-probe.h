/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Probe programs: one tiny static ELF per row of lib/binfmt-table that only calls exit(42), generated
 * at build time by binfmt/probe-gen.c into $(O)/gen/binfmt-probes.h (no committed blobs). Running one
 * proves that a binfmt_misc rule really runs code of that architecture. Shared by binfmt (probes of
 * the global or a --binfmt-dir instance) and archbuild (the probe before a build's first foreign RUN).
 * Pure data lookups: running them is the caller's business. */

#include <stdbool.h>
#include <stddef.h>

#include "binfmt-table.h"

/* How long a probe may take, from its start to its exit: generous for a cold QEMU start on a loaded
 * machine; a probe normally takes a few milliseconds. */
#define BINFMT_PROBE_TIMEOUT_MS 10000

/* The probe program of table row name ("aarch64", "i486"), or NULL when there is none. */
const unsigned char *binfmt_probe_program(const char *name, size_t *ret_size);

/* Whether a wait status (waitpid()) is that of a probe that ran: exited with the probes' status. */
bool binfmt_probe_status_ok(int wstatus);
