/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Per-target default CPU models for our user-mode QEMU: which "-cpu" value the shim and the
 * registrar pass, and why. The choices and the measurements behind them are in docs/qemu.md; adding
 * a target is one row in lib/qemu-cpu.c.
 *
 * QEMU_CPU in the environment overrides the default: QEMU's linux-user main() reads QEMU_CPU itself
 * when no -cpu is given, so the rule is simply "do not pass -cpu when QEMU_CPU is set". The lookup
 * is pure: the caller passes the value of QEMU_CPU it trusts (the shim passes NULL when the kernel
 * says AT_SECURE), nothing here reads the environment. */

/* Longest -cpu value in the table plus room; callers may size buffers with it. */
#define QEMU_CPU_STRING_MAX 64

typedef struct QemuCpuDefault {
        const char *qemu_target; /* linux-user target, as in qemu-<target>: "aarch64", "arm" */
        const char *cpu;         /* the -cpu value, or NULL: QEMU's own default is the right one */
        const char *why;         /* one line for `binfmt status` and the docs */
} QemuCpuDefault;

/* The table, for iteration (tests, docs, `binfmt status`). */
extern const QemuCpuDefault qemu_cpu_table[];
extern const unsigned qemu_cpu_table_size;

/* The row for a linux-user target name ("aarch64", "x86_64"), or NULL for an unknown target or
 * NULL input. The result points into the static table. */
const QemuCpuDefault *qemu_cpu_lookup(const char *qemu_target);

/* The value to pass as "-cpu VALUE" when starting qemu-<qemu_target>, or NULL when no -cpu should be
 * passed: env_qemu_cpu (the caller's QEMU_CPU, or NULL) is set and non-empty, so QEMU uses it; the
 * target is unknown; or QEMU's own default is already the right one. An empty QEMU_CPU counts as
 * unset: QEMU would reject "" as a model name, and since it applies -cpu after the environment, our
 * default replaces it. The result points into the static table (never freed). */
const char *qemu_cpu_arg(const char *qemu_target, const char *env_qemu_cpu);
