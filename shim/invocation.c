/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The pure half of the shim: how binfmt_misc laid out our argv, which variables we act on, and the
 * argv we hand on. No I/O, no allocation: callers pass the arrays. */

#include <errno.h>
#include <string.h>

#include "macro.h"
#include "shim.h"

/* include/uapi/linux/binfmts.h (Linux 5.12): bit 0 of AT_FLAGS when binfmt_misc's P flag is set. */
#ifndef AT_FLAGS_PRESERVE_ARGV0
#define AT_FLAGS_PRESERVE_ARGV0 (1 << 0)
#endif

/* fs/binfmt_misc.c load_misc_binary() builds our argv as
 *   [interpreter, filename, argv...]   with P: the program's whole argv follows, argv[0] included;
 *   [interpreter, filename, argv[1]...] without P: remove_arg_zero() dropped the program's argv[0].
 * filename is bprm->interp, the path given to execve() (for #! chains: the script's interpreter).
 * With O or C the kernel also passes the opened program as AT_EXECFD (fs/exec.c begin_new_exec()). */
int shim_invocation_parse(int argc, char **argv, unsigned long at_flags, bool have_execfd, long execfd,
                          bool secure, ShimInvocation *ret) {
        ShimInvocation inv = {
                .execfd = have_execfd && execfd >= 0 ? (int) execfd : -1,
                .preserve_argv0 = at_flags & AT_FLAGS_PRESERVE_ARGV0,
                .secure = secure,
        };
        int first;

        if (argc < 2 || !argv[0] || !argv[1])
                return -EINVAL;
        inv.interp = argv[0];
        inv.path = argv[1];
        /* Since Linux 5.18 an empty argv becomes [""], so P always brings argv[0]; older kernels could
         * give none, and then the path is the best argv[0] there is. */
        if (inv.preserve_argv0 && argc >= 3) {
                inv.argv0 = argv[2];
                first = 3;
        } else {
                inv.argv0 = argv[1];
                first = 2;
        }
        inv.args = argv + first;
        inv.n_args = argc - first;
        *ret = inv;
        return 0;
}

/* The variables we read, as a table: name, and where the value goes. */
typedef enum EnvSlot { ENV_MODE, ENV_DEBUG, ENV_QEMU_DIR, ENV_ROUTES, ENV_QEMU_CPU, ENV_LD_PREFIX, ENV_ACCEL_LOG,
                       _ENV_MAX } EnvSlot;

static const struct {
        const char *name;
        size_t len;
        EnvSlot slot;
} env_names[] = {
        { "ARCHWAY_SHIM=",       13, ENV_MODE      },
        { "ARCHWAY_SHIM_DEBUG=", 19, ENV_DEBUG     },
        { "ARCHWAY_QEMU_DIR=",   17, ENV_QEMU_DIR  },
        { "ARCHWAY_ROUTES=",     15, ENV_ROUTES    },
        { "ARCHWAY_ACCEL_LOG=",  18, ENV_ACCEL_LOG },
        { "QEMU_CPU=",            9, ENV_QEMU_CPU  },
        { "QEMU_LD_PREFIX=",     15, ENV_LD_PREFIX },
};

void shim_env_parse(char **envp, bool secure, ShimEnv *ret) {
        const char *v[_ENV_MAX] = {};

        *ret = (ShimEnv) {};
        /* AT_SECURE: the environment belongs to whoever started a setuid program; nothing in it may
         * choose the emulator, the routes, the CPU or the loader. */
        if (secure || !envp)
                return;
        for (char **e = envp; *e; e++) {
                /* Cheap filter: every name we want starts with 'A' or 'Q'. */
                if ((*e)[0] != 'A' && (*e)[0] != 'Q')
                        continue;
                for (size_t i = 0; i < ELEMENTSOF(env_names); i++)
                        if (strncmp(*e, env_names[i].name, env_names[i].len) == 0)
                                v[env_names[i].slot] = *e + env_names[i].len;
        }
        ret->mode = v[ENV_MODE];
        ret->debug = v[ENV_DEBUG] && streq(v[ENV_DEBUG], "1");
        ret->qemu_dir = isempty(v[ENV_QEMU_DIR]) ? NULL : v[ENV_QEMU_DIR];
        ret->routes = isempty(v[ENV_ROUTES]) ? NULL : v[ENV_ROUTES];
        ret->accel_log = isempty(v[ENV_ACCEL_LOG]) ? NULL : v[ENV_ACCEL_LOG];
        ret->qemu_cpu = isempty(v[ENV_QEMU_CPU]) ? NULL : v[ENV_QEMU_CPU];
        ret->ld_prefix = isempty(v[ENV_LD_PREFIX]) ? NULL : v[ENV_LD_PREFIX];
}

size_t shim_env_drop_qemu(char **envp) {
        size_t dropped = 0;
        char **w = envp;

        if (!envp)
                return 0;
        for (char **r = envp; *r; r++) {
                if (strneq(*r, "QEMU_", 5)) {
                        dropped++;
                        continue;
                }
                *w++ = *r;
        }
        *w = NULL;
        return dropped;
}

static int put(char **out, size_t max, size_t *n, const char *s) {
        if (*n + 1 >= max) /* keep room for the NULL */
                return -E2BIG;
        out[(*n)++] = (char *) s;
        return 0;
}

int shim_qemu_argv_exec(const ShimInvocation *inv, const char *qemu, const char *cpu, const char *binary,
                        char **out, size_t max) {
        size_t n = 0;
        int r = 0;

        /* -0 always: without P the program's argv[0] is its path as execve() named it, which QEMU
         * would otherwise replace by binary ("/proc/self/fd/N"). "--" ends QEMU's options, so a
         * program path starting with '-' stays a path. */
        r |= put(out, max, &n, qemu);
        r |= put(out, max, &n, "-0");
        r |= put(out, max, &n, inv->argv0);
        if (cpu) {
                r |= put(out, max, &n, "-cpu");
                r |= put(out, max, &n, cpu);
        }
        r |= put(out, max, &n, "--");
        r |= put(out, max, &n, binary);
        for (int i = 0; i < inv->n_args && r == 0; i++)
                r |= put(out, max, &n, inv->args[i]);
        if (r < 0)
                return -E2BIG;
        out[n] = NULL;
        return (int) n;
}

int shim_qemu_argv_linked(int argc, char **argv, const char *cpu, char **out, size_t max) {
        size_t n = 0;
        int r = 0;

        if (argc < 1)
                return -EINVAL;
        r |= put(out, max, &n, argv[0]);
        if (cpu) {
                r |= put(out, max, &n, "-cpu");
                r |= put(out, max, &n, cpu);
        }
        r |= put(out, max, &n, "--");
        for (int i = 1; i < argc && r == 0; i++)
                r |= put(out, max, &n, argv[i]);
        if (r < 0)
                return -E2BIG;
        out[n] = NULL;
        return (int) n;
}

int shim_native_argv(const char *argv0, const char *const *pre, size_t n_pre, char **args, size_t n_args,
                     const char *const *post, size_t n_post, char **out, size_t max) {
        size_t n = 0;
        int r = put(out, max, &n, argv0);

        for (size_t i = 0; i < n_pre && r == 0; i++)
                r = put(out, max, &n, pre[i]);
        for (size_t i = 0; i < n_args && r == 0; i++)
                r = put(out, max, &n, args[i]);
        for (size_t i = 0; i < n_post && r == 0; i++)
                r = put(out, max, &n, post[i]);
        if (r < 0)
                return -E2BIG;
        out[n] = NULL;
        return (int) n;
}
