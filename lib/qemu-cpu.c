/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-target default CPU models for our user-mode QEMU (see qemu-cpu.h; measurements in
 * docs/qemu.md). QEMU's own defaults, for reference, are in its linux-user/<arch>/target_elf.h
 * (cpu_get_model()) of the pinned source, QEMU 10.0.13. A non-NULL row is also built into our QEMU as
 * its default (scripts/qemu-patches/0008 for aarch64), so that a bare binfmt_misc registration, which
 * passes no -cpu, gets it; tests/cli/qemu.bats checks the two agree. */

#include <stddef.h>
#include <string.h>

#include "macro.h"
#include "qemu-cpu.h"

const QemuCpuDefault qemu_cpu_table[] = {
        /* Measured (docs/qemu.md): an emulated gcc compile costs 13% less CPU than with QEMU's "max";
         * ARMv8.2 keeps LSE atomics, and with no SVE, MOPS or pointer authentication glibc picks
         * routines that TCG runs cheaply. PAC/BTI hints in newer binaries are NOPs here. */
        { "aarch64",     "neoverse-n1",  "ARMv8.2 without SVE/PAuth/MOPS: fastest measured for build workloads" },
        { "arm",         NULL,           "QEMU's default \"any\" (= max) runs armel and armhf binaries" },
        { "riscv64",     NULL,           "QEMU's default \"max\"; not measured" },
        { "ppc64le",     NULL,           "QEMU's default POWER9 covers Debian's ppc64el baseline (POWER8)" },
        { "s390x",       NULL,           "QEMU's default \"qemu\" model runs Debian's s390x binaries" },
        { "i386",        NULL,           "QEMU's default \"max\"; not measured" },
        { "x86_64",      NULL,           "QEMU's default \"max\"; not measured" },
        { "mips64el",    NULL,           "QEMU picks the model from the ELF flags (Octeon, Loongson, R6)" },
        { "loongarch64", NULL,           "QEMU's default la464 is the only LoongArch64 model" },
};
const unsigned qemu_cpu_table_size = ELEMENTSOF(qemu_cpu_table);

const QemuCpuDefault *qemu_cpu_lookup(const char *qemu_target) {
        if (!qemu_target)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(qemu_cpu_table); i++)
                if (streq(qemu_cpu_table[i].qemu_target, qemu_target))
                        return &qemu_cpu_table[i];
        return NULL;
}

const char *qemu_cpu_arg(const char *qemu_target, const char *env_qemu_cpu) {
        const QemuCpuDefault *row;

        /* QEMU reads QEMU_CPU itself when no -cpu is given; passing one would override the user. */
        if (env_qemu_cpu && *env_qemu_cpu)
                return NULL;
        row = qemu_cpu_lookup(qemu_target);
        return row ? row->cpu : NULL;
}
