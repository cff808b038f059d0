/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "binfmt-probe.h"
#include "binfmt-probes.h"
#include "macro.h"
#include "time-util.h"

const unsigned char *binfmt_probe_program(const char *name, size_t *ret_size) {
        for (size_t i = 0; i < ELEMENTSOF(binfmt_probes); i++)
                if (streq(binfmt_probes[i].name, name)) {
                        *ret_size = binfmt_probes[i].size;
                        return binfmt_probes[i].elf;
                }
        return NULL;
}

bool binfmt_probe_status_ok(int wstatus) {
        return WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == BINFMT_PROBE_EXIT_STATUS;
}

/* Lower resource to at most max (hard) and cur (soft): never raise what an admin set lower. */
static int lower_limit(pid_t pid, int resource, rlim_t cur, rlim_t max) {
        struct rlimit rl;

        if (prlimit(pid, resource, NULL, &rl) < 0)
                return -errno;
        if (rl.rlim_max > max)
                rl.rlim_max = max;
        if (rl.rlim_cur > cur)
                rl.rlim_cur = cur;
        if (rl.rlim_cur > rl.rlim_max)
                rl.rlim_cur = rl.rlim_max;
        return prlimit(pid, resource, &rl, NULL) < 0 ? -errno : 0;
}

int binfmt_probe_set_limits(pid_t pid) {
        int r = lower_limit(pid, RLIMIT_CORE, 0, 0);

        return r < 0 ? r : lower_limit(pid, RLIMIT_CPU, BINFMT_PROBE_CPU_SECONDS, BINFMT_PROBE_CPU_SECONDS + 1);
}

bool binfmt_probe_used_cpu_limit(int wstatus, const struct rusage *ru) {
        long long usec = (long long) (ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000 + ru->ru_utime.tv_usec +
                         ru->ru_stime.tv_usec;

        /* Not the CPU time alone: the kernel's per-process split into user and system time is
         * sampled at ticks and may add up to a little under the limit that stopped it (9.998 s). */
        if (!WIFSIGNALED(wstatus))
                return false;
        return WTERMSIG(wstatus) == SIGXCPU ||
               (WTERMSIG(wstatus) == SIGKILL && usec >= (long long) BINFMT_PROBE_CPU_SECONDS * 1000000);
}

uint64_t binfmt_probe_deadline(void) {
        return now_usec() + BINFMT_PROBE_TIMEOUT_MS * 1000ULL;
}

int binfmt_probe_wait(pid_t pid, uint64_t deadline, int *ret_wstatus, struct rusage *ret_ru) {
        /* A pidfd turns readable when the process ends: no polling loop. */
        _cleanup_close_ int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        bool killed = false;
        struct rusage ru;
        int wstatus;

        for (;;) {
                pid_t w = wait4(pid, &wstatus, killed ? 0 : WNOHANG, &ru);
                uint64_t t;

                if (w == pid)
                        break;
                if (w < 0 && errno != EINTR)
                        return -errno;
                t = now_usec();
                if (t >= deadline) {
                        (void) kill(pid, SIGKILL);
                        killed = true;
                } else if (pidfd >= 0)
                        (void) poll(&(struct pollfd) { .fd = pidfd, .events = POLLIN }, 1,
                                    (int) ((deadline - t + 999) / 1000));
                else /* before Linux 5.3 */
                        (void) poll(NULL, 0, 10);
        }
        if (ret_wstatus)
                *ret_wstatus = wstatus;
        if (ret_ru)
                *ret_ru = ru;
        if (killed || binfmt_probe_used_cpu_limit(wstatus, &ru))
                return -ETIME;
        return binfmt_probe_status_ok(wstatus) ? 0 : -ENOEXEC;
}
