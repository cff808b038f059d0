/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sandbox of archbuild's build steps. This file and sandbox-kernel.c (the overlay root, the
 * kernel probe) are the only ones that call unshare(2), mount(2), pivot_root(2) or setns(2).
 *
 * Privilege model
 * ---------------
 * - archbuild itself (the parent) never gains privileges. It forks a child that unshares a new user
 *   namespace; the parent writes the child's id maps:
 *     run as root:     0 0 65536 for uids and gids (the ids a Debian root uses all exist; a file that
 *                      the build chowns to 1000 is owned by host uid 1000 in the layer directory, and
 *                      the tar records 1000);
 *     run as non-root: 0 <uid> 1 and 0 <gid> 1 with setgroups denied (only root exists inside; files
 *                      the build makes are the caller's, and are recorded as root in the layer).
 *   Inside, the step runs as root of that namespace: its capabilities have no effect outside it.
 * - The child also unshares mount, pid, ipc, uts and (unless --network host) network namespaces. Its
 *   root is an overlayfs (mounted by the namespace's root, with "userxattr") whose lower layers are
 *   the stored, read-only layer trees and whose upper directory becomes the step's layer. pivot_root
 *   puts it at / and the old root is detached, so the step sees no host path except what is mounted
 *   below: a fresh /proc (its own pid namespace), /dev as a tmpfs holding bind mounts of the host's
 *   null, zero, full, random, urandom and tty plus a private devpts and /dev/shm, /sys read-only when
 *   the kernel allows it (own network namespace), and copies of hosts/resolv.conf.
 * - Without --network host the step has only a loopback interface: no route anywhere.
 * - The bounding set is cut to Docker's default set for containers (moby's oci/caps/defaults.go:
 *   CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP SETPCAP NET_BIND_SERVICE
 *   SYS_CHROOT KILL AUDIT_WRITE) before the command starts, so a build behaves as under docker build
 *   (no mount, no ptrace, no binfmt registration from inside a step).
 * - Emulation: since Linux 6.7 each user namespace may mount its own binfmt_misc instance. The sandbox
 *   mounts one at /proc/sys/fs/binfmt_misc of the step and registers the target's emulator there with
 *   flag F, before pivot_root, so the kernel holds the interpreter open and the step needs no copy of
 *   it. The instance dies with the namespace. On kernels without private instances (before 6.7, as
 *   sandbox_kernel_probe() finds), nothing is mounted or registered: the step's programs go through
 *   the host's entries, which archbuild only reads (builder/emulation.c checks them before the build),
 *   never writes.
 * - The overlay root and the kernel probe are in sandbox-kernel.c; RUN --mount's read-only binds of
 *   other roots in sandbox-bind.c: the only other files of the sandbox that mount.
 * - No seccomp filter and no LSM profile are applied (documented in docs/builder.md).
 * - Every process gets PR_SET_PDEATHSIG, so killing archbuild kills the step.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "binfmt-dir.h"
#include "binfmt-probe.h"
#include "binfmt-table.h"
#include "file-util.h"
#include "macro.h"
#include "openat-resolve.h"
#include "sandbox-internal.h"

/* Host devices bind-mounted into the step's /dev (what runc and bubblewrap give a container). */
static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };

/* ---- reporting from the child ---------------------------------------------------------------- */

/* The exit statuses of the sandbox's own processes, as docker run and the shells use them: the
 * sandbox could not be set up, the command could not be run, the command was not found. */
#define SANDBOX_EXIT_SETUP 125
#define SANDBOX_EXIT_CANNOT_EXEC 126
#define SANDBOX_EXIT_NOT_FOUND 127

/* What a child writes to the report pipe: the stub bits once, then at most one error. One write of
 * less than PIPE_BUF bytes, so it arrives whole. */
typedef struct Report {
        char kind;     /* 'S' stubs, 'E' error */
        int error;
        unsigned stubs;
        ErrorDetail detail;
} Report;

static int child_failv(int report_fd, int error, const char *format, va_list ap) {
        Report rep = { .kind = 'E', .error = error > 0 ? error : -error };

        error_detail_setv(&rep.detail, rep.error, format, ap);
        (void) !write(report_fd, &rep, sizeof(rep));
        return -rep.error;
}

_printf_(3, 4) static int child_fail(int report_fd, int error, const char *format, ...) {
        va_list ap;
        int r;

        va_start(ap, format);
        r = child_failv(report_fd, error, format, ap);
        va_end(ap);
        return r;
}

/* Report and leave: for the steps of a child after which nothing can go on. */
_printf_(3, 4) _noreturn_ static void child_die(int report_fd, int error, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        (void) child_failv(report_fd, error, format, ap);
        va_end(ap);
        _exit(SANDBOX_EXIT_SETUP);
}

/* ---- namespaces and id maps ------------------------------------------------------------------ */

static int write_file(const char *path, const char *text) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        size_t n = strlen(text);

        if (fd < 0)
                return negative_errno();
        if (write(fd, text, n) != (ssize_t) n)
                return negative_errno();
        return 0;
}

/* From the parent: map the child's user namespace as the privilege model says. */
static int write_id_maps(pid_t pid) {
        char path[64], line[64];
        int r;

        if (geteuid() == 0) {
                snprintf(path, sizeof(path), "/proc/%d/uid_map", (int) pid);
                r = write_file(path, "0 0 65536\n");
                if (r < 0)
                        return r;
                snprintf(path, sizeof(path), "/proc/%d/gid_map", (int) pid);
                return write_file(path, "0 0 65536\n");
        }
        snprintf(path, sizeof(path), "/proc/%d/uid_map", (int) pid);
        snprintf(line, sizeof(line), "0 %u 1\n", (unsigned) geteuid());
        r = write_file(path, line);
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), "/proc/%d/setgroups", (int) pid);
        r = write_file(path, "deny\n");
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), "/proc/%d/gid_map", (int) pid);
        snprintf(line, sizeof(line), "0 %u 1\n", (unsigned) getegid());
        return write_file(path, line);
}

pid_t sandbox_fork_userns(void) {
        int ready[2], go[2];
        pid_t pid;
        char c = 0;

        if (pipe2(ready, O_CLOEXEC) < 0)
                return negative_errno();
        if (pipe2(go, O_CLOEXEC) < 0) {
                int r = negative_errno();
                close(ready[0]), close(ready[1]);
                return r;
        }
        pid = fork();
        if (pid < 0) {
                int r = negative_errno();
                close(ready[0]), close(ready[1]), close(go[0]), close(go[1]);
                return r;
        }
        if (pid == 0) {
                close(ready[0]), close(go[1]);
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                c = unshare(CLONE_NEWUSER) < 0 ? 'x' : 'u';
                (void) !write(ready[1], &c, 1);
                close(ready[1]);
                if (c != 'u' || read(go[0], &c, 1) != 1 || c != 'g')
                        _exit(SANDBOX_EXIT_SETUP);
                close(go[0]);
                if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                        _exit(SANDBOX_EXIT_SETUP);
                return 0;
        }
        close(ready[1]), close(go[0]);
        if (read(ready[0], &c, 1) != 1 || c != 'u' || write_id_maps(pid) < 0)
                c = 'x';
        else
                c = 'g';
        (void) !write(go[1], &c, 1);
        close(ready[0]), close(go[1]);
        if (c != 'g') {
                (void) waitpid(pid, NULL, 0);
                return -EPERM;
        }
        return pid;
}

/* ---- mounts ---------------------------------------------------------------------------------- */

/* Create dir or file name in dirfd when missing; 1 created, 0 there already, -errno. */
static int ensure_stub(int dirfd, const char *name, bool dir) {
        struct stat st;

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) >= 0)
                return 0;
        if (errno != ENOENT)
                return negative_errno();
        if (dir)
                return mkdirat(dirfd, name, 0755) < 0 ? negative_errno() : 1;
        int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return negative_errno();
        close(fd);
        return 1;
}

/* This runs before pivot_root, where the host's files are "/": the image's /etc may be a symlink
 * (to a host directory, as seen from here), so the stubs' directories are reached without following
 * any. Where one is a symlink there is no stub, and nothing is mounted there for the step. */
static int make_stubs(const char *m, unsigned *ret) {
        static const struct {
                const char *path;
                bool dir;
                SandboxStub bit;
        } stubs[] = {
                { "proc", true, SANDBOX_STUB_PROC },
                { "dev", true, SANDBOX_STUB_DEV },
                { "sys", true, SANDBOX_STUB_SYS },
                { "etc", true, SANDBOX_STUB_ETC },
                { "etc/resolv.conf", false, SANDBOX_STUB_RESOLV_CONF },
                { "etc/hosts", false, SANDBOX_STUB_HOSTS },
        };
        _cleanup_close_ int root_fd = open(m, O_PATH | O_DIRECTORY | O_CLOEXEC);
        unsigned bits = 0;

        if (root_fd < 0)
                return negative_errno();
        for (size_t k = 0; k < ELEMENTSOF(stubs); k++) {
                char name[NAME_MAX + 1];
                _cleanup_close_ int dir_fd = open_parent_beneath(root_fd, stubs[k].path, name);
                int r;

                if (dir_fd == -ELOOP || dir_fd == -ENOTDIR)
                        continue;
                if (dir_fd < 0)
                        return dir_fd;
                r = ensure_stub(dir_fd, name, stubs[k].dir);
                if (r < 0)
                        return r;
                if (r > 0)
                        bits |= stubs[k].bit;
        }
        *ret = bits;
        return 0;
}

static int mount_dev(const char *m) {
        _cleanup_close_ int dev_fd = -EBADF;
        char p[4096], src[64];
        int r;

        snprintf(p, sizeof(p), "%s/dev", m);
        if (mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k") < 0)
                return negative_errno();
        dev_fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dev_fd < 0)
                return negative_errno();
        for (size_t k = 0; k < ELEMENTSOF(dev_nodes); k++) {
                snprintf(p, sizeof(p), "%s/dev/%s", m, dev_nodes[k]);
                snprintf(src, sizeof(src), "/dev/%s", dev_nodes[k]);
                r = ensure_stub(dev_fd, dev_nodes[k], false);
                if (r < 0)
                        return r;
                if (mount(src, p, NULL, MS_BIND, NULL) < 0)
                        return negative_errno();
        }
        static const char *const links[][2] = {
                { "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" }, { "/proc/self/fd/1", "stdout" },
                { "/proc/self/fd/2", "stderr" }, { "pts/ptmx", "ptmx" }, { "/proc/kcore", "core" },
        };
        for (size_t k = 0; k < ELEMENTSOF(links); k++) {
                snprintf(p, sizeof(p), "%s/dev/%s", m, links[k][1]);
                if (symlink(links[k][0], p) < 0)
                        return negative_errno();
        }
        snprintf(p, sizeof(p), "%s/dev/pts", m);
        if (mkdir(p, 0755) < 0 ||
            mount("devpts", p, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") < 0)
                return negative_errno();
        snprintf(p, sizeof(p), "%s/dev/shm", m);
        if (mkdir(p, 01777) < 0 || mount("shm", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k") < 0)
                return negative_errno();
        return 0;
}

/* Bind src over the root's regular file rel, found as inside the root (a symlinked /etc leads into
 * the root, not to the host's files); none there (make_stubs() made none through a symlink): no bind. */
static int bind_file(const char *src, const char *m, const char *rel) {
        _cleanup_close_ int root_fd = -EBADF, fd = -EBADF;
        char p[64];
        struct stat st;

        if (!src)
                return 0;
        root_fd = open(m, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return negative_errno();
        fd = openat_resolve(root_fd, rel, O_PATH, 0, RESOLVE_IN_ROOT);
        if (fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP)
                return 0;
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return 0;
        snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
        if (mount(src, p, NULL, MS_BIND, NULL) < 0)
                return negative_errno();
        return 0;
}

/* Prove that the registered emulator runs code: the probe program must exit with the probes' status.
 * It runs before pivot_root (it is a host file), in this user namespace, so the kernel takes it
 * through the private binfmt_misc instance just as it will take the step's programs. */
static int run_probe(const SandboxRun *run, int report_fd) {
        char out[ERROR_DETAIL_MAX / 2] = "", plat[PLATFORM_STRING_MAX], how[64];
        int pipefd[2], wstatus, r;
        uint64_t deadline;
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return child_fail(report_fd, errno, "Failed to create a pipe for the emulation probe: %m");
        pid = fork();
        if (pid < 0)
                return child_fail(report_fd, errno, "Failed to fork the emulation probe: %m");
        if (pid == 0) {
                char *argv[] = { (char *) run->probe, NULL }, *envp[] = { NULL };
                if (dup2(pipefd[1], STDOUT_FILENO) < 0 || dup2(pipefd[1], STDERR_FILENO) < 0 ||
                    binfmt_probe_set_limits(0) < 0)
                        _exit(SANDBOX_EXIT_SETUP);
                execve(run->probe, argv, envp);
                dprintf(STDERR_FILENO, "exec: %s", strerror(errno));
                _exit(errno == ENOEXEC ? SANDBOX_EXIT_CANNOT_EXEC : SANDBOX_EXIT_NOT_FOUND);
        }
        close(pipefd[1]);
        /* Its output until it closes the pipe, then its end: one deadline for both. */
        deadline = binfmt_probe_deadline();
        (void) read_pipe_until(pipefd[0], out, sizeof(out), deadline);
        out[strcspn(out, "\n")] = 0;
        close(pipefd[0]);
        r = binfmt_probe_wait(pid, deadline, &wstatus, NULL);
        if (r == 0)
                return 0;
        if (r != -ETIME && r != -ENOEXEC)
                return child_fail(report_fd, -r, "Failed to wait for the emulation probe: %m");
        platform_to_string(run->platform, plat);
        if (r == -ETIME)
                return child_fail(report_fd, ETIME, "emulation of %s with %s does not work: the probe program did not "
                                  "finish (it used %d CPU seconds, or ran for %d s)", plat, run->emulator,
                                  BINFMT_PROBE_CPU_SECONDS, BINFMT_PROBE_TIMEOUT_MS / 1000);
        if (WIFEXITED(wstatus))
                snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(wstatus));
        else
                snprintf(how, sizeof(how), "was killed by signal %d", WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
        return child_fail(report_fd, ENOEXEC, "emulation of %s with %s does not work: the probe program %s%s%s", plat,
                          run->emulator, how, out[0] ? ": " : "", out);
}

/* Register the emulator in a fresh binfmt_misc instance of this user namespace, mounted where the
 * step will see it. With F the kernel opens the interpreter now, from the host's tree. */
static int setup_binfmt(const SandboxRun *run, const char *m, int report_fd) {
        const BinfmtTarget *targets[8];
        _cleanup_close_ int dirfd = -EBADF;
        char p[4096];
        size_t n;
        int r;

        snprintf(p, sizeof(p), "%s/proc/sys/fs/binfmt_misc", m);
        if (mount("binfmt_misc", p, "binfmt_misc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                return child_fail(report_fd, errno, "Failed to mount a private binfmt_misc instance (needs Linux >= 6.7): %m");
        r = binfmt_dir_open(p, &dirfd);
        if (r < 0)
                return child_fail(report_fd, r, "Failed to open the private binfmt_misc instance: %m");
        n = binfmt_targets_for_platform(run->platform, targets, ELEMENTSOF(targets));
        if (n == 0)
                return child_fail(report_fd, EOPNOTSUPP, "No binfmt_misc rule for %s/%s", run->platform->os,
                                  run->platform->arch);
        for (size_t k = 0; k < n; k++) {
                BinfmtEntry e;
                r = binfmt_target_to_entry(targets[k], run->emulator, run->emulator_flags, &e);
                if (r >= 0)
                        r = binfmt_dir_register(dirfd, &e);
                if (r < 0)
                        return child_fail(report_fd, r, "Failed to register %s for qemu-%s in the private binfmt_misc: %m",
                                          run->emulator, targets[k]->name);
        }
        return run->probe ? run_probe(run, report_fd) : 0;
}

static int mount_rootfs_extras(SandboxRun *run, int report_fd) {
        const char *m = run->root.merged;
        char p[4096];
        int r;

        snprintf(p, sizeof(p), "%s/proc", m);
        if (mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                return child_fail(report_fd, errno, "Failed to mount /proc: %m");
        r = mount_dev(m);
        if (r < 0)
                return child_fail(report_fd, r, "Failed to set up /dev: %m");
        snprintf(p, sizeof(p), "%s/sys", m);
        /* sysfs needs a network namespace of our own; with the host's, /sys stays empty. */
        if (!run->network_host)
                (void) mount("sysfs", p, "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL);
        if ((r = bind_file(run->etc_resolv, m, "etc/resolv.conf")) < 0 ||
            (r = bind_file(run->etc_hosts, m, "etc/hosts")) < 0)
                return child_fail(report_fd, r, "Failed to mount /etc/hosts or /etc/resolv.conf: %m");
        /* The host's entries: the kernel reaches them from this namespace (no instance of its own). */
        if (run->emulator && run->host_binfmt)
                return run->probe ? run_probe(run, report_fd) : 0;
        if (run->emulator)
                return setup_binfmt(run, m, report_fd);
        return 0;
}

static int pivot_into(const char *m) {
        if (chdir(m) < 0)
                return negative_errno();
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return negative_errno();
        if (umount2(".", MNT_DETACH) < 0)
                return negative_errno();
        if (chdir("/") < 0)
                return negative_errno();
        return 0;
}

static int loopback_up(void) {
        _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr = {};

        if (fd < 0)
                return negative_errno();
        strcpy(ifr.ifr_name, "lo");
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                return negative_errno();
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                return negative_errno();
        return 0;
}

/* ---- the step process (pid 1 of its pid namespace) ------------------------------------------- */

static int step_setup(SandboxRun *run, int report_fd) {
        Report rep = { .kind = 'S' };
        int r;

        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return child_fail(report_fd, errno, "Failed to make mounts private: %m");
        r = sandbox_mount_overlay(&run->root);
        if (r < 0)
                return child_fail(report_fd, r, "Failed to mount the overlay root at %s: %m", run->root.merged);
        r = make_stubs(run->root.merged, &rep.stubs);
        if (r < 0)
                return child_fail(report_fd, r, "Failed to create mount points in the rootfs: %m");
        ErrorDetail err = {};
        r = sandbox_mount_binds(run, &rep.stubs, &err); /* RUN --mount (sandbox-bind.c) */
        if (r < 0)
                return child_fail(report_fd, r, "%s", error_detail_or(&err, "RUN --mount failed"));
        (void) !write(report_fd, &rep, sizeof(rep));
        r = mount_rootfs_extras(run, report_fd);
        if (r < 0)
                return r;
        r = pivot_into(run->root.merged);
        if (r < 0)
                return child_fail(report_fd, r, "Failed to pivot_root into %s: %m", run->root.merged);
        if (!run->network_host && (r = loopback_up()) < 0)
                return child_fail(report_fd, r, "Failed to bring up the loopback interface: %m");
        (void) sethostname(run->hostname ?: "archbuild", strlen(run->hostname ?: "archbuild"));
        r = isempty(run->cwd) ? 0 : mkdir_p(run->cwd, 0755);
        if (r >= 0 && chdir(isempty(run->cwd) ? "/" : run->cwd) < 0)
                r = negative_errno();
        if (r < 0)
                return child_fail(report_fd, r, "Failed to change to the working directory %s: %m", run->cwd);
        return 0;
}

_noreturn_ static void step_exec(SandboxRun *run, int report_fd) {
        extern char **environ;
        ErrorDetail err = {};
        int null_fd, r;

        if (step_setup(run, report_fd) < 0)
                _exit(SANDBOX_EXIT_SETUP);
        null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0)
                child_die(report_fd, errno, "Failed to open /dev/null: %m");
        r = sandbox_drop_bounding_set();
        if (r < 0)
                child_die(report_fd, r, "Failed to set the capability bounding set: %m");
        r = sandbox_switch_user(run->user, &err);
        if (r < 0)
                child_die(report_fd, r, "%s", err.message);
        environ = run->env;
        /* execvp searches the PATH of environ: the step's own. */
        execvp(run->argv[0], run->argv);
        r = errno;
        child_fail(report_fd, r, "exec %s: %m%s", run->argv[0],
                   r == ENOEXEC ? " (no emulator registered for this binary's architecture?)" : "");
        _exit(r == ENOENT ? SANDBOX_EXIT_NOT_FOUND : SANDBOX_EXIT_CANNOT_EXEC);
}

static int status_of(int wstatus) {
        if (WIFEXITED(wstatus))
                return WEXITSTATUS(wstatus);
        if (WIFSIGNALED(wstatus))
                return 128 + WTERMSIG(wstatus);
        return 255;
}

/* The namespace child: unshare the rest, fork pid 1, wait for it, pass its status on. */
_noreturn_ static void step_parent(SandboxRun *run, int report_fd) {
        int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | (run->network_host ? 0 : CLONE_NEWNET);
        pid_t pid;
        int wstatus;

        if (unshare(flags) < 0)
                child_die(report_fd, errno, "Failed to create namespaces: %m");
        pid = fork();
        if (pid < 0)
                child_die(report_fd, errno, "Failed to fork: %m");
        if (pid == 0) {
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                step_exec(run, report_fd);
        }
        close(report_fd);
        while (waitpid(pid, &wstatus, 0) < 0)
                if (errno != EINTR)
                        _exit(SANDBOX_EXIT_SETUP);
        _exit(status_of(wstatus));
}

static void read_reports(int fd, SandboxRun *run, int *ret_error) {
        Report rep;

        *ret_error = 0;
        while (read(fd, &rep, sizeof(rep)) == (ssize_t) sizeof(rep)) {
                if (rep.kind == 'S')
                        run->stubs = rep.stubs;
                else if (rep.kind == 'E' && *ret_error == 0) {
                        *ret_error = -rep.error;
                        run->error = rep.detail;
                }
        }
}

int sandbox_run(SandboxRun *run, int *ret_status) {
        int report[2], wstatus, error;
        pid_t pid;

        run->stubs = 0;
        run->error = (ErrorDetail) {};
        if (pipe2(report, O_CLOEXEC) < 0)
                return negative_errno();
        pid = sandbox_fork_userns();
        if (pid < 0) {
                close(report[0]), close(report[1]);
                return error_detail_set(&run->error, pid, "Failed to create a user namespace: %m");
        }
        if (pid == 0) {
                close(report[0]);
                step_parent(run, report[1]);
        }
        close(report[1]);
        read_reports(report[0], run, &error);
        close(report[0]);
        while (waitpid(pid, &wstatus, 0) < 0)
                if (errno != EINTR)
                        return negative_errno();
        if (error < 0)
                return error;
        *ret_status = status_of(wstatus);
        return 0;
}

/* ---- functions in a mount namespace (COPY) --------------------------------------------------- */

static int open_root(const SandboxRootfs *root, int *ret) {
        int r = sandbox_mount_overlay(root);

        if (r < 0)
                return r;
        *ret = open(root->merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
        return *ret < 0 ? negative_errno() : 0;
}

_noreturn_ static void call_child(const SandboxRootfs *root, const SandboxRootfs *from, SandboxFunc f,
                                  void *userdata, int report_fd) {
        int root_fd = -1, from_fd = -1, r;
        ErrorDetail err = {};

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                child_die(report_fd, errno, "Failed to create a mount namespace: %m");
        r = open_root(root, &root_fd);
        if (r < 0)
                child_die(report_fd, r, "Failed to mount the overlay root at %s: %m", root->merged);
        if (from && (r = open_root(from, &from_fd)) < 0)
                child_die(report_fd, r, "Failed to mount the source root at %s: %m", from->merged);
        r = f(root_fd, from_fd, userdata, &err);
        if (r < 0)
                child_fail(report_fd, r, "%s", error_detail_or(&err, strerror(-r)));
        _exit(r < 0 ? 1 : 0);
}

int sandbox_call(const SandboxRootfs *root, const SandboxRootfs *from, SandboxFunc f, void *userdata,
                 ErrorDetail *err) {
        SandboxRun rep = {};
        int report[2], wstatus, r;
        pid_t pid;

        if (pipe2(report, O_CLOEXEC) < 0)
                return negative_errno();
        pid = sandbox_fork_userns();
        if (pid < 0) {
                close(report[0]), close(report[1]);
                return error_detail_set(err, pid, "Failed to create a user namespace: %m");
        }
        if (pid == 0) {
                close(report[0]);
                call_child(root, from, f, userdata, report[1]);
        }
        close(report[1]);
        read_reports(report[0], &rep, &r);
        close(report[0]);
        while (waitpid(pid, &wstatus, 0) < 0)
                if (errno != EINTR)
                        return negative_errno();
        if (r < 0)
                return error_detail_set(err, r, "%s", rep.error.message);
        if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)
                return error_detail_set(err, -EIO, "the copy process failed (status %d)", status_of(wstatus));
        return 0;
}
