/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/binfmt-probe's bounded wait: how a probe's end is told (exited as probes do, stopped by a
 * limit, anything else) and that nothing outlives the deadline. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "binfmt-probe.h"
#include "binfmt-probes.h"
#include "time-util.h"

/* A child that does what = "ok", "fail", "xcpu" or "sleep". */
static pid_t child(const char *what) {
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid > 0)
                return pid;
        switch (what[0]) {
        case 'o':
                _exit(BINFMT_PROBE_EXIT_STATUS);
        case 'f':
                _exit(1);
        case 'x': /* what the CPU limit delivers */
                (void) binfmt_probe_set_limits(0); /* no core file */
                raise(SIGXCPU);
                _exit(2);
        default:
                pause();
                _exit(3);
        }
}

static void test_probe_wait_ends(void **state) {
        uint64_t far = now_usec() + 10 * 1000000ULL;
        int wstatus = 0;

        assert_int_equal(binfmt_probe_wait(child("ok"), far, &wstatus, NULL), 0);
        assert_true(binfmt_probe_status_ok(wstatus));
        assert_int_equal(binfmt_probe_wait(child("fail"), far, &wstatus, NULL), -ENOEXEC);
        assert_true(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 1);
        assert_int_equal(binfmt_probe_wait(child("xcpu"), far, &wstatus, NULL), -ETIME);
        assert_true(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGXCPU);
}

static void test_probe_wait_kills_at_the_deadline(void **state) {
        uint64_t t0 = now_usec();
        struct rusage ru;
        int wstatus = 0;
        pid_t pid = child("sleep");

        assert_int_equal(binfmt_probe_wait(pid, t0 + 100000, &wstatus, &ru), -ETIME);
        assert_true(now_usec() - t0 < 5 * 1000000ULL);
        assert_true(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL);
        assert_int_equal(kill(pid, 0), -1); /* reaped */
        assert_int_equal(errno, ESRCH);
        /* a deadline already past: killed at once */
        assert_int_equal(binfmt_probe_wait(child("sleep"), now_usec(), NULL, NULL), -ETIME);
}

static void test_probe_limit_cpu(void **state) {
        struct rlimit rl;
        pid_t pid = child("sleep");

        assert_int_equal(binfmt_probe_set_limits(pid), 0);
        assert_int_equal(prlimit(pid, RLIMIT_CPU, NULL, &rl), 0);
        assert_int_equal(rl.rlim_cur, BINFMT_PROBE_CPU_SECONDS);
        assert_int_equal(rl.rlim_max, BINFMT_PROBE_CPU_SECONDS + 1);
        assert_int_equal(prlimit(pid, RLIMIT_CORE, NULL, &rl), 0);
        assert_int_equal(rl.rlim_max, 0);
        assert_int_equal(binfmt_probe_wait(pid, now_usec(), NULL, NULL), -ETIME);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_probe_wait_ends),
                cmocka_unit_test(test_probe_wait_kills_at_the_deadline),
                cmocka_unit_test(test_probe_limit_cpu),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
