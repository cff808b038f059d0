/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where archbuild's steps run: a user namespace, a mount namespace with the step's rootfs (an
 * overlayfs of the stored layers plus a fresh upper directory) as its root, private /proc, a minimal
 * /dev, /etc/hosts and /etc/resolv.conf, no network unless asked, Docker's default capability set, and
 * a private binfmt_misc instance with the target's emulator registered. The privilege model is
 * stated at the top of sandbox.c, the only file that calls unshare, mount, pivot_root or setns. */

#include <stdbool.h>
#include <stddef.h>

#include "binfmt-entry.h"
#include "error-detail.h"
#include "platform.h"


/* A root filesystem: lowers stacked newest first over upper (NULL: a read-only view). */
typedef struct SandboxRootfs {
        char **lowers;        /* absolute paths, newest first, at least one */
        size_t n_lowers;
        const char *upper;    /* absolute; NULL for read-only */
        const char *work;     /* overlay work dir, same filesystem as upper */
        const char *merged;   /* an empty directory to mount on */
} SandboxRootfs;

/* Stubs the sandbox had to create in the rootfs to mount over; the caller removes them from the
 * upper directory so that they do not end up in the layer (SANDBOX_STUB_* bits). */
typedef enum SandboxStub {
        SANDBOX_STUB_PROC        = 1 << 0,
        SANDBOX_STUB_DEV         = 1 << 1,
        SANDBOX_STUB_SYS         = 1 << 2,
        SANDBOX_STUB_ETC         = 1 << 3,
        SANDBOX_STUB_RESOLV_CONF = 1 << 4,
        SANDBOX_STUB_HOSTS       = 1 << 5,
} SandboxStub;

typedef struct SandboxRun {
        SandboxRootfs root;
        char **argv;            /* as executed: the shell form is already ["/bin/sh", "-c", text] */
        char **env;             /* the complete environment */
        const char *cwd;        /* absolute in the rootfs; created when missing */
        const char *user;       /* "name", "uid", "name:group", "uid:gid"; NULL or "" for root */
        bool network_host;      /* share the host's network namespace */
        const char *hostname;   /* NULL: "archbuild" */
        const char *etc_hosts;  /* host files bind-mounted over /etc/hosts and /etc/resolv.conf */
        const char *etc_resolv;
        /* The emulator to register in the private binfmt_misc instance for this platform, or NULL
         * for a native build. With host_binfmt, nothing is registered or mounted: the kernel takes
         * foreign programs through the host's own entries (kernels without private instances), and
         * emulator only names the entry's interpreter in messages. */
        const Platform *platform;
        const char *emulator;
        BinfmtFlags emulator_flags;
        bool host_binfmt;
        /* A probe program (lib/binfmt-probe) of the platform to run once the emulator is registered,
         * before the command; when it does not exit as probes do, the run fails with what it printed
         * (the shim's one-line message) and the command never starts. NULL: no probe. */
        const char *probe;
        /* Results: */
        unsigned stubs;                 /* SandboxStub bits */
        ErrorDetail error;              /* set when setting up the sandbox failed */
} SandboxRun;

/* What this kernel lets a user namespace do, found by trying (sandbox-kernel.c). */
typedef struct SandboxKernel {
        bool probed;
        bool overlay;                /* overlayfs with "userxattr" in a user namespace (Linux 5.11) */
        bool overlay_lowerdir_plus;  /* the "lowerdir+" parameter of the new mount API (Linux 6.8) */
        bool binfmt_ns;              /* a private binfmt_misc instance per user namespace (Linux 6.7) */
        int overlay_error;           /* errno of the failed overlay mount when !overlay */
} SandboxKernel;

/* Probe the kernel once per process, in a forked user namespace child, on new directories below
 * scratch (an existing directory on the store's filesystem, which the caller removes). Later calls,
 * and the overlay mounts of this process and of processes forked after it, use the result.
 * $ARCHBUILD_DISABLE="lowerdir+,binfmt_misc-ns" turns features off (to test the fallbacks).
 * Returns 0 with *ret pointing at the cached result, or -errno when the probe could not run. */
int sandbox_kernel_probe(const char *scratch, const SandboxKernel **ret);

/* Run one command in a sandbox and wait for it. Returns 0 with *ret_status set to the command's exit
 * status (0..255, or 128 + signal), or -errno when the sandbox could not be set up or the command not
 * started (run->error.message says what; e.g. "exec /bin/sh: Exec format error"). */
int sandbox_run(SandboxRun *run, int *ret_status);

/* A function run inside a private mount namespace where root (read-write) and from (read-only, may
 * be NULL) are mounted; root_fd and from_fd (-1 without from) are O_PATH directory fds of their roots.
 * It runs as root of a user namespace with the same id map as sandbox_run(), in a child process: it may
 * change its cwd and credentials freely. Returns 0 or -errno with err saying what failed. */
typedef int (*SandboxFunc)(int root_fd, int from_fd, void *userdata, ErrorDetail *err);

/* Run f in a child as described, and wait. Returns f's result (and its err), or -errno from the setup
 * (err says what). */
int sandbox_call(const SandboxRootfs *root, const SandboxRootfs *from, SandboxFunc f, void *userdata,
                 ErrorDetail *err);
