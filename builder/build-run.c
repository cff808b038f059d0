/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "binfmt-probe.h"
#include "binfmt-table.h"
#include "build-internal.h"
#include "file-util.h"
#include "log.h"
#include "openat-resolve.h"
#include "run-mount.h"
#include "strv.h"
#include "twins.h"

/* RUN: the command in the sandbox over the stage's layers. A foreign platform's step gets its
 * emulator (decided before the build by emulation_plan()), a probe the first time, and native twins
 * stacked over the lowers when the emulator is the shim. */

int run_argv(Stage *s, const DockerfileInstruction *i, char ***ret) {
        _cleanup_strv_free_ char **argv = NULL;
        int r;

        if (i->json)
                return strv_copy(i->argv, ret);
        r = strv_copy(s->shell, &argv);
        if (r >= 0)
                r = strv_extend(&argv, i->args);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(argv);
        return 0;
}

/* The plan made before the build (emulation_plan()); a stage of another platform than the targets
 * (FROM --platform) is decided here, by the same rules. */
static int find_emulator(Build *b, Stage *s, const DockerfileInstruction *i) {
        const Emulation *e = emulation_plan_find(b->opts->emulation, &s->platform);
        static const SandboxKernel private_instances = { .probed = true, .overlay = true, .binfmt_ns = true };
        _cleanup_free_ char *scratch = NULL;
        char buf[PLATFORM_STRING_MAX];
        ErrorDetail err = {};
        Emulation own = {};
        int r;

        if (b->emulator)
                return 0;
        if (!e) {
                r = store_mkdtemp(b->opts->store, "probe", &scratch);
                if (r >= 0)
                        r = emulation_resolve(b->opts->kernel ?: &private_instances, &s->platform, b->opts->emulator_mode,
                                              scratch, &own, &err);
                if (scratch)
                        (void) rm_rf(scratch);
                if (r < 0 && err.message[0])
                        return step_fail(b, i, r, "%s", err.message);
                if (r < 0)
                        return step_fail(b, i, r, "Failed to prepare emulation: %m");
                e = &own;
        }
        b->emulator = strdup(e->interpreter);
        b->emulator_flags = e->flags;
        b->host_binfmt = e->kind == EMULATION_HOST;
        free(own.interpreter);
        if (!b->emulator)
                return log_oom();
        log_debug("Emulating %s with %s%s", pf(&s->platform, buf), b->emulator,
                  b->host_binfmt ? " (the host's binfmt_misc entry)" : " (private binfmt_misc instance)");
        return 0;
}

/* Before the first RUN of a foreign platform: write the platform's probe program into the step
 * directory, for the sandbox to run once the emulator is registered. *ret stays NULL when this
 * platform was proved already or has no probe program. */
static int probe_prepare(Build *b, const Stage *s, const StepDirs *d, char **ret) {
        const BinfmtTarget *rows[8];
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        char buf[PLATFORM_STRING_MAX];
        const unsigned char *elf = NULL;
        size_t size = 0;

        for (char **p = b->probed; p && *p; p++)
                if (streq(*p, pf(&s->platform, buf)))
                        return 0;
        if (binfmt_targets_for_platform(&s->platform, rows, ELEMENTSOF(rows)) > 0)
                elf = binfmt_probe_program(rows[0]->name, &size);
        if (!elf)
                return 0;
        if (asprintf(&path, "%s/probe", d->dir) < 0)
                return -ENOMEM;
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
        if (fd < 0)
                return negative_errno();
        if (write(fd, elf, size) != (ssize_t) size)
                return errno > 0 ? -errno : -EIO;
        *ret = TAKE_PTR(path);
        return 0;
}

void run_drop_twins(Build *b) {
        char *slash;

        if (!b->twins)
                return;
        slash = strrchr(b->twins, '/');
        *slash = 0;
        (void) rm_rf(b->twins);
        free(b->twins);
        b->twins = NULL;
        b->twins_chain = (OciDigest) {};
}

/* Native twins (lib/accel) for a foreign RUN through the shim: installed over the stage's current
 * layers (once per layer chain, since the root's tools decide what is twinned) and stacked on top
 * of the step's lowers. An optimisation only: when they cannot be had the step runs emulated. */
static int accel_prepare(Build *b, Stage *s, const DockerfileInstruction *i, StepDirs *d) {
        char buf[PLATFORM_STRING_MAX];
        ErrorDetail why = {};
        char *tree = NULL;
        int r;

        if (!emulator_is_shim(b->emulator))
                return 0;
        if (!b->twins || !oci_digest_equal(&b->twins_chain, &s->chain)) {
                run_drop_twins(b);
                r = twins_install(b->opts->store, &s->platform, d->lowers, &tree, &why);
                if (r <= 0) {
                        if (r < 0)
                                log_warning("%s:%u: [%s] native twins could not be installed, running emulated: %s",
                                            b->opts->dockerfile_name, i->line, pf(&s->platform, buf), why.message);
                        else
                                log_debug("No native twins for %s: %s", pf(&s->platform, buf), why.message);
                        return 0;
                }
                b->twins = tree;
                b->twins_chain = s->chain;
                fprintf(stderr, "#%u/%u native twins installed for %s\n", b->step, b->n_steps, pf(&s->platform, buf));
        }
        /* ======== lib/accel call site: the twins' tree is the topmost lower of this step ======== */
        _cleanup_strv_free_ char **l = NULL;
        if ((r = strv_extend(&l, b->twins)) < 0)
                return r;
        for (char **p = d->lowers; p && *p; p++)
                if ((r = strv_extend(&l, *p)) < 0)
                        return r;
        strv_free(d->lowers);
        d->lowers = TAKE_PTR(l);
        return 0;
}

/* Remove what the sandbox created only to mount over, so it is not part of the layer. */
static void remove_stubs(const char *upper, unsigned stubs) {
        static const struct {
                SandboxStub bit;
                const char *path;
                bool dir;
        } order[] = {
                { SANDBOX_STUB_RESOLV_CONF, "etc/resolv.conf", false },
                { SANDBOX_STUB_HOSTS, "etc/hosts", false },
                { SANDBOX_STUB_ETC, "etc", true },
                { SANDBOX_STUB_PROC, "proc", true },
                { SANDBOX_STUB_DEV, "dev", true },
                { SANDBOX_STUB_SYS, "sys", true },
        };
        /* The step wrote the upper: nothing on the way is followed (a symlinked /etc leads anywhere). */
        _cleanup_close_ int fd = open(upper, O_PATH | O_DIRECTORY | O_CLOEXEC);

        for (size_t k = 0; k < ELEMENTSOF(order) && fd >= 0; k++)
                if (stubs & order[k].bit)
                        (void) remove_empty_beneath(fd, order[k].path);
        /* /etc copied up only because a stub was made in it: gone again if nothing else is there. */
        if (fd >= 0 && (stubs & (SANDBOX_STUB_RESOLV_CONF | SANDBOX_STUB_HOSTS)))
                (void) remove_empty_beneath(fd, "etc");
}

/* ---- RUN --mount (run-mount.c): from= is a stage of this build, else an image ---------------- */

typedef struct MountCtx {
        Build *b;
        Stage *s;
        const DockerfileInstruction *i;
} MountCtx;

static int mount_expand(void *userdata, const char *text, char **ret) {
        MountCtx *c = userdata;
        return vars_expand_word(c->b, c->s, c->i, text, ret);
}

static int mount_resolve(void *userdata, const char *from, char ***ret_lowers, char **ret_chain) {
        MountCtx *c = userdata;
        _cleanup_(stage_done) Stage image = {};
        const Stage *src = stage_find(c->b, from);
        int r;

        if (src == c->s)
                return step_fail(c->b, c->i, -ELOOP, "--mount from=%s: a stage cannot mount itself", from);
        if (!src) {
                image.platform = c->s->platform; /* as BuildKit: the image for this stage's platform */
                if ((r = stage_from_image(c->b, &image, c->i, from)) < 0)
                        return r;
                src = &image;
        }
        if ((r = step_lowers_of(c->b, src, ret_lowers)) < 0)
                return step_fail(c->b, c->i, r, "--mount from=%s: Failed to prepare its layers: %m", from);
        return (*ret_chain = strdup(src->chain.str)) ? 0 : -ENOMEM;
}

static int mounts_prepare(Build *b, Stage *s, const DockerfileInstruction *i, RunMounts *ret) {
        MountCtx mctx = { b, s, i };
        RunMountResolver resolver = { mount_expand, mount_resolve, &mctx };
        ErrorDetail err = {};
        int r = run_mounts_prepare(i, &resolver, ret, &err);

        return r < 0 && err.message[0] ? step_fail(b, i, r, "%s", err.message) : r;
}

/* After a step with twins: what ran native (ARCHWAY_ACCEL_LOG), one line; the log leaves the upper. */
static void report_twins(Build *b, const StepDirs *d) {
        char line[1024];

        if (b->twins && twins_step_report(d->upper, line, sizeof(line)) > 0)
                fprintf(stderr, "#%u/%u native twins: %s\n", b->step, b->n_steps, line);
}

int handle_run(Build *b, Stage *s, const DockerfileInstruction *i) {
        _cleanup_strv_free_ char **argv = NULL, **env = NULL;
        _cleanup_(oci_hasher_freep) OciHasher *h = NULL;
        _cleanup_(step_dirs_done) StepDirs d = {};
        _cleanup_free_ char *probe = NULL;
        char pbuf[PLATFORM_STRING_MAX];
        const char *ctx[] = { s->config.user ?: "", s->config.working_dir ?: "/", b->opts->network_host ? "host" : "none", NULL };
        bool emulate = emulator_needed(&s->platform);
        _cleanup_(run_mounts_done) RunMounts mounts = {};
        OciDigest key;
        int status, r;

        if ((r = run_argv(s, i, &argv)) < 0 || (r = dockerfile_run_env(s->config.env, s->args, DEFAULT_PATH, &env)) < 0 ||
            (r = mounts_prepare(b, s, i, &mounts)) < 0)
                return r;
        if ((r = step_key_begin(b, s, "RUN", &h)) < 0 || (r = step_hash_strs(h, "argv", argv)) < 0 ||
            (r = step_hash_strs(h, "env", env)) < 0 || (r = step_hash_strs(h, "ctx", (char **) ctx)) < 0 ||
            (r = run_mounts_hash(&mounts, h)) < 0 || (r = oci_hasher_final(h, &key)) < 0)
                return r;
        if (step_cache_hit(b, s, i, &key))
                return 1;
        if (emulate && (r = find_emulator(b, s, i)) < 0)
                return r;
        r = step_dirs_make(b, s, NULL, &d);
        if (r < 0)
                return step_fail(b, i, r, "Failed to prepare the step directory: %m");
        if (emulate && (r = probe_prepare(b, s, &d, &probe)) < 0)
                return step_fail(b, i, r, "Failed to write the emulation probe: %m");
        if (emulate && !b->opts->no_accel && !mounts.twins && (r = accel_prepare(b, s, i, &d)) < 0)
                return r;
        if ((r = run_mounts_bind(&mounts, d.dir)) < 0)
                return step_fail(b, i, r, "Failed to prepare the --mount directories: %m");
        /* After the cache key: where the shim says what ran native (twins_step_report() below). */
        if (emulate && b->twins && (r = strv_extend(&env, "ARCHWAY_ACCEL_LOG=" TWINS_ACCEL_LOG)) < 0)
                return r;

        SandboxRun run = {
                .root = { .lowers = d.lowers, .n_lowers = strv_length(d.lowers), .upper = d.upper, .work = d.work,
                          .merged = d.merged },
                .argv = argv, .env = env, .cwd = s->config.working_dir ?: "/", .user = s->config.user,
                .network_host = b->opts->network_host,
                .etc_hosts = b->hosts_file, .etc_resolv = b->resolv_file,
                .platform = &s->platform, .emulator = emulate ? b->emulator : NULL,
                .emulator_flags = b->emulator_flags, .host_binfmt = b->host_binfmt, .probe = probe,
                .binds = mounts.binds, .n_binds = mounts.n,
        };
        r = sandbox_run(&run, &status);
        if (r < 0)
                return step_fail(b, i, r, "%s", error_detail_or(&run.error, "the sandbox failed"));
        if (probe) {
                fprintf(stderr, "#%u/%u emulation of %s verified by a probe (%s)\n", b->step, b->n_steps,
                        pf(&s->platform, pbuf), b->emulator);
                if ((r = strv_extend(&b->probed, pbuf)) < 0)
                        return r;
        }
        if (emulate)
                report_twins(b, &d);
        if (status != 0)
                return step_fail(b, i, -EIO, "the command exited with status %d", status);
        remove_stubs(d.upper, run.stubs);
        run_mounts_remove_stubs(&mounts, d.upper, run.stubs);
        return step_commit_upper(b, s, i, &d, &key);
}
