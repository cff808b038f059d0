/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Probe programs: one tiny static ELF per row of lib/binfmt-table that only calls exit(42), generated
 * at build time by binfmt/probe-gen.c into $(O)/gen/binfmt-probes.h (no committed blobs). Running one
 * proves that a binfmt_misc rule really runs code of that architecture. Shared by binfmt (probes of
 * the global or a --binfmt-dir instance) and archbuild (the probe before a build's first foreign RUN).
 * Pure data lookups: running them is the caller's business. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "binfmt-table.h"

/* A probe is bounded by the CPU time it uses, not by the wall clock: a cold QEMU start needs a few
 * milliseconds of CPU, but on a loaded host, or in a guest whose vCPU stalls (the kernel reports
 * soft lockups of 20 s and more under TCG), the wall time of a working emulator can be anything. An
 * emulator that spins is stopped by its CPU limit (SIGXCPU, then SIGKILL a second later); one that
 * sleeps forever by the wall-clock backstop. */
#define BINFMT_PROBE_CPU_SECONDS 10
#define BINFMT_PROBE_TIMEOUT_MS 60000

/* Put the CPU limit on a started probe (pid 0: this process, in the child before execve()), and no
 * core dump: one stopped by SIGXCPU would leave a core file in its directory. */
int binfmt_probe_set_limits(pid_t pid);

/* Whether the probe that ended with wait status wstatus and resource usage ru (wait4()) was stopped
 * by its CPU limit: SIGXCPU, or the SIGKILL of the hard limit a second later. */
struct rusage;
bool binfmt_probe_used_cpu_limit(int wstatus, const struct rusage *ru);

/* The deadline of probes started now: now_usec() plus the wall-clock backstop. */
uint64_t binfmt_probe_deadline(void);

/* Reap the started probe pid, killing it at deadline (now_usec() microseconds; probes started
 * together share one). Returns 0 when it exited as probes do, -ETIME when a limit stopped it (its
 * CPU, or the deadline), -ENOEXEC for any other end, or -errno of waiting. ret_wstatus and ret_ru
 * (either may be NULL) say how it ended. */
int binfmt_probe_wait(pid_t pid, uint64_t deadline, int *ret_wstatus, struct rusage *ret_ru);

/* The probe program of table row name ("aarch64", "i486"), or NULL when there is none. */
const unsigned char *binfmt_probe_program(const char *name, size_t *ret_size);

/* Whether a wait status (waitpid()) is that of a probe that ran: exited with the probes' status. */
bool binfmt_probe_status_ok(int wstatus);
