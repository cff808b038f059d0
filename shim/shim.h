/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* archshim: the interpreter binfmt_misc runs for a foreign ELF. It identifies the program, then
 * routes it to a native command (routes.idx), to QEMU, or stops with one line and 126/127.
 *
 * The decision is archshim_run(), built into two programs that differ only in their ShimEngine:
 *   archshim (shim/main.c)            execs QEMU found at a configured path;
 *   qemu-<target>-archway (qemu-main.c, relinked into our QEMU by scripts/link-shim-qemu)
 *                                     calls QEMU's own main() in the same process, so one file pinned
 *                                     by binfmt_misc's F flag does both, inside any chroot.
 * Hot path rules (docs/STYLE.md, shim/): no heap, no stdio, one bounded read of the program; nothing
 * from the environment changes what runs when the kernel sets AT_SECURE. */

#include <stdbool.h>
#include <stddef.h>

#include "elf-id.h"

/* Exit codes (the shell's convention): 127 something needed was not found (emulator, ELF loader),
 * 126 found but cannot run (malformed, truncated, wrong ABI, exec failed, usage). */
#define SHIM_EXIT_CANNOT_RUN 126
#define SHIM_EXIT_NOT_FOUND  127

/* The program's first bytes read for identification: ELF header, program headers, PT_INTERP and the
 * build-id note sit in the first page of every toolchain's output we know. */
#define SHIM_READ_SIZE 4096

/* Most arguments the shim adds in front of the program's own. */
#define SHIM_EXTRA_ARGS_MAX (8 + 2 * 64)

/* How the kernel called us (binfmt_misc flags P, O/C) and what the program is. */
typedef struct ShimInvocation {
        const char *interp;     /* our argv[0]: the registered interpreter path */
        const char *path;       /* the program as execve() named it (argv[1]); may be relative */
        const char *argv0;      /* the program's argv[0]: argv[2] with P, else path */
        char **args;            /* the program's arguments after argv[0] */
        int n_args;
        int execfd;             /* AT_EXECFD (flags O/C), else -1 */
        bool preserve_argv0;    /* AT_FLAGS_PRESERVE_ARGV0 (flag P, Linux >= 5.12) */
        bool secure;            /* AT_SECURE */
} ShimInvocation;

/* The environment the shim acts on, read once. All NULL/false when secure. */
typedef struct ShimEnv {
        const char *mode;       /* ARCHWAY_SHIM: "qemu" forces emulation */
        bool debug;             /* ARCHWAY_SHIM_DEBUG=1 */
        const char *qemu_dir;   /* ARCHWAY_QEMU_DIR: directory holding qemu-<target> */
        const char *routes;     /* ARCHWAY_ROUTES: an extra routes.idx/.conf, consulted first */
        const char *accel_log;  /* ARCHWAY_ACCEL_LOG: append one line per routing decision to this file */
        const char *qemu_cpu;   /* QEMU_CPU: QEMU reads it itself; we then add no -cpu */
        const char *ld_prefix;  /* QEMU_LD_PREFIX: where QEMU looks for the ELF loader first */
} ShimEnv;

typedef struct ShimEngine ShimEngine;

/* What the engine runs: the program's invocation plus the decision. */
typedef struct ShimPlan {
        int argc;               /* the shim's own argc/argv, as the kernel laid them out */
        char **argv;
        const ShimInvocation *inv;
        const ShimEnv *env;
        const char *target;     /* QEMU linux-user target: "aarch64" */
        const char *cpu;        /* -cpu to add, or NULL */
} ShimPlan;

struct ShimEngine {
        const char *name;       /* "exec" or "linked" */
        const char *target;     /* linked: the one target compiled in; exec: NULL (any) */
        bool in_process;        /* QEMU runs in this process and reads AT_EXECFD/AT_FLAGS itself */
        /* Start QEMU. exec: returns only on failure, -ENOENT when no QEMU for the target exists,
         * else -errno. linked: returns QEMU's exit status (>= 0). argv_buf has room for the
         * program's argv plus SHIM_EXTRA_ARGS_MAX pointers. */
        int (*run_qemu)(const ShimEngine *e, const ShimPlan *plan, char **argv_buf, size_t argv_max, char **envp);
        /* Where it looked, for the "no emulator" line: "/usr/local/libexec/archway/qemu, /usr/bin". */
        const char *search_description;
        /* archshim --explain / --bench-decision: decide but run nothing. 1 prints the decision on
         * stdout, 2 is silent. run_qemu then returns 0 instead of starting QEMU. */
        int dry_run;
};

/* The auxiliary-vector facts the shim acts on; archshim_run() takes them from getauxval(). */
typedef struct ShimAux {
        unsigned long at_flags;
        bool have_execfd;
        long execfd;
        bool secure;
} ShimAux;

/* The whole shim: identify argv's program and run it. Returns an exit status; on the success paths
 * it does not return (exec) or returns the program's status (linked engine). envp is modified in
 * place (QEMU_* removed) when the kernel set AT_SECURE. */
int archshim_run(int argc, char **argv, char **envp, const ShimEngine *engine);

/* The same with the auxiliary vector given (for --explain and --bench-decision). */
int archshim_run_aux(int argc, char **argv, char **envp, const ShimEngine *engine, const ShimAux *aux);

/* Management commands of the standalone shim (--help, --compile-routes, --explain, ...). Returns an
 * exit status, or -1 when argv is a binfmt_misc invocation, not a command. */
int archshim_manage(int argc, char **argv, char **envp, const ShimEngine *engine);

/* Print a dry-run line on stdout (one write). */
void shim_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write "archshim: <message>\n" to stderr in one write(2) (no stdio buffers) and return status. */
int shim_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "archshim: warning: <message>\n" in one write(2); work goes on. */
void shim_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The same, only when debugging, as "archshim[debug]: ...". */
void shim_debug(const ShimEnv *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- pure parts, unit-tested (shim/invocation.c) ---------------------------------------------- */

/* Split the interpreter's argv by calling convention. have_execfd/execfd from getauxval(AT_EXECFD),
 * at_flags from getauxval(AT_FLAGS). Returns 0, or -EINVAL when argv has no program path. */
int shim_invocation_parse(int argc, char **argv, unsigned long at_flags, bool have_execfd, long execfd,
                          bool secure, ShimInvocation *ret);

/* Read the variables the shim acts on from envp; with secure everything stays unset. */
void shim_env_parse(char **envp, bool secure, ShimEnv *ret);

/* Remove every QEMU_* variable from envp in place (compacting it). Returns how many went. */
size_t shim_env_drop_qemu(char **envp);

/* argv for an exec'd QEMU: [qemu, -0, argv0, (-cpu, cpu), --, binary, args..., NULL]. binary is the
 * path QEMU opens ("/proc/self/fd/N" for an execfd). Returns the count without the NULL, or -E2BIG
 * when out (max pointers) is too small. */
int shim_qemu_argv_exec(const ShimInvocation *inv, const char *qemu, const char *cpu, const char *binary,
                        char **out, size_t max);

/* argv for QEMU's main() in this process: [argv[0], (-cpu, cpu), --, argv[1]...]; QEMU itself reads
 * AT_EXECFD and AT_FLAGS, so the kernel's layout stays as it was. argc/argv are the shim's own. */
int shim_qemu_argv_linked(int argc, char **argv, const char *cpu, char **out, size_t max);

/* argv for a native command from a route: [argv0, pre..., program args..., post..., NULL]. */
int shim_native_argv(const char *argv0, const char *const *pre, size_t n_pre, char **args, size_t n_args,
                     const char *const *post, size_t n_post, char **out, size_t max);

/* ---- diagnostics (shim/diagnose.c) -------------------------------------------------------------- */

/* The ELF loaders we can name, per machine and libc: glibc's and musl's file names. */
typedef struct ShimLoader {
        uint16_t machine;
        uint8_t elf_class, elf_data;
        const char *libc;       /* "glibc", "musl" */
        const char *abi;        /* "hard-float (armhf)", "n32", ... or NULL */
        const char *path;
} ShimLoader;

/* The table row for a PT_INTERP path, or NULL when we do not know it. */
const ShimLoader *shim_loader_lookup(const char *interp);

/* The missing-loader line for a program whose loader interp does not exist: names glibc-vs-musl and
 * float-ABI mismatches from which other loaders of the same machine exist (exists() answers for a
 * path). Writes one line without newline into buf. */
void shim_loader_explain(const char *name, const ElfId *id, const char *platform, bool (*exists)(const char *path),
                         char *buf, size_t size);

/* Why no table row describes this ELF (wrong byte order, MIPS ABI, x32, unknown machine): one line. */
void shim_unknown_explain(const char *name, const ElfId *id, char *buf, size_t size);

/* The end of the data the ELF's PT_LOAD segments and headers need from the file, from its first
 * bytes (which must hold the header and program headers: elf_id_from_buffer() succeeded). */
uint64_t shim_elf_file_extent(const void *buf, size_t size);
