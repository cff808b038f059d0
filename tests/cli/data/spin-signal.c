/* spin-signal: signals reach guest code that spins without making a system call. Built for
 * arm64 by tests/cli/qemu.bats and run under our qemu-aarch64, whose patch 0007 checks for
 * pending exits (a signal to deliver) only at backward and indirect branches instead of at the
 * start of every translation block (docs/qemu.md, "Our patches"). Each loop below spins until
 * a handler sets a flag: a missed check would spin forever.
 *
 *   - "loop": a plain `while (!flag)`, a backward conditional branch to itself;
 *   - "indirect": a cycle closed only by an indirect branch (`goto *next[flag]`, a BR);
 *   - "thread": a second thread spins; the main thread signals it with pthread_kill().
 *
 * Prints "loop indirect thread". */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t flag;

static void on_signal(int sig) { (void)sig; flag = 1; }

/* Arm a one-shot SIGALRM a little later, so the loop is running (translated, chained) first. */
static void alarm_soon(void)
{
        struct itimerval t = { .it_value = { .tv_usec = 20000 } };

        flag = 0;
        setitimer(ITIMER_REAL, &t, NULL);
}

static void spin_loop(void)
{
        alarm_soon();
        while (!flag)
                ;
        fputs("loop", stdout);
}

static void spin_indirect(void)
{
        /* volatile: the compiler must not turn the indirect jump into direct ones. */
        static void *volatile next[2] = { &&top, &&out };

        alarm_soon();
top:
        goto *next[flag];
out:
        fputs(" indirect", stdout);
}

static void *spinner(void *arg)
{
        (void)arg;
        while (!flag)
                ;
        return NULL;
}

static int spin_thread(void)
{
        pthread_t t;

        flag = 0;
        if (pthread_create(&t, NULL, spinner, NULL) != 0)
                return -1;
        usleep(20000);
        pthread_kill(t, SIGUSR1);
        pthread_join(t, NULL);
        fputs(" thread\n", stdout);
        return 0;
}

int main(void)
{
        struct sigaction sa = { .sa_handler = on_signal };

        sigaction(SIGALRM, &sa, NULL);
        sigaction(SIGUSR1, &sa, NULL);
        spin_loop();
        spin_indirect();
        return spin_thread() == 0 ? 0 : 1;
}
