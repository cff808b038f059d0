/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build-internal.h"
#include "file-util.h"
#include "log.h"

/* Platforms built at once, each by a forked worker. */

/* One platform built by a forked worker. Its stdout and stderr come through pipes and are passed on
 * line by line (prefixed with the platform unless the line names it already), so the output of two
 * platforms never interleaves within a line; the manifest descriptor comes back as JSON on a third
 * pipe. The workers share nothing but the store, whose writers are safe against concurrent builds
 * (blobs and cache records through temporaries and rename, layer trees renamed with
 * RENAME_NOREPLACE, index.json under index.lock). The result keeps the order of --platform,
 * so the index does not depend on which platform finishes first. */
typedef struct Worker {
        pid_t pid;
        char *tmp;              /* the worker's own directory for store_mkdtemp(), removed after it */
        int fds[3];             /* read ends: stdout, stderr, result; -1 when at EOF */
        char line[2][4096];     /* a partial line per output stream */
        size_t n_line[2];
        char *result;           /* the descriptor's JSON */
        size_t n_result;
        int status;             /* waitpid status */
} Worker;

/* A complete line of worker p's stdout (k 0) or stderr (k 1) goes to the progress display, which
 * prints it (plain: prefixed with the platform) or takes the event it carries. */
static void worker_flush(Progress *progress, Worker *w, unsigned p, unsigned k) {
        if (w->n_line[k] == 0)
                return;
        w->line[k][w->n_line[k]] = 0;
        progress_line(progress, p, k == 0, w->line[k]);
        w->n_line[k] = 0;
}

/* Read what fd k of worker w (platform p) has; returns false at EOF (or an error). */
static bool worker_read(Progress *progress, Worker *w, unsigned p, unsigned k) {
        char buf[4096];
        ssize_t n = read(w->fds[k], buf, sizeof(buf));

        if (n < 0 && errno == EINTR)
                return true;
        if (n <= 0)
                return false;
        if (k == 2) {
                char *t = realloc(w->result, w->n_result + (size_t) n + 1);
                if (!t)
                        return false;
                w->result = t;
                memcpy(t + w->n_result, buf, (size_t) n);
                w->n_result += (size_t) n;
                t[w->n_result] = 0;
                return true;
        }
        for (ssize_t j = 0; j < n; j++) {
                w->line[k][w->n_line[k]++] = buf[j];
                if (buf[j] == '\n' || w->n_line[k] == sizeof(w->line[k]) - 1)
                        worker_flush(progress, w, p, k);
        }
        return true;
}

/* In the worker: build, step_report, exit. Never returns. */
__attribute__((noreturn)) static void worker_main(const BuildOptions *opts, unsigned p, char *tmp, int out[3][2]) {
        _cleanup_(oci_descriptor_done) OciDescriptor d = {};
        json_object *o = NULL;
        const char *text;
        int r;

        (void) prctl(PR_SET_PDEATHSIG, SIGKILL); /* and the sandbox's processes follow this one */
        if (getppid() == 1)
                _exit(EXIT_FAILURE);
        if (dup2(out[0][1], STDOUT_FILENO) < 0 || dup2(out[1][1], STDERR_FILENO) < 0)
                _exit(EXIT_FAILURE);
        for (unsigned k = 0; k < 2; k++)
                close(out[k][1]);
        /* What a worker killed mid-step leaves in its directories goes with them (build_parallel). */
        opts->store->tmp = tmp;
        progress_become_worker(opts->progress);
        r = build_one(opts, p, &d);
        if (r >= 0 && oci_descriptor_to_json(&d, &o) >= 0) {
                text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
                r = loop_write(out[2][1], text, strlen(text));
                json_object_put(o);
        } else if (r >= 0)
                r = log_oom();
        fflush(stdout);
        fflush(stderr);
        _exit(r < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
}

static int worker_start(const BuildOptions *opts, unsigned p, Worker *w) {
        int out[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
        int r = 0;

        r = store_mkdtemp(opts->store, "worker", &w->tmp);
        for (unsigned k = 0; k < 3 && r >= 0; k++)
                if (pipe2(out[k], O_CLOEXEC) < 0)
                        r = negative_errno();
        if (r >= 0) {
                fflush(stdout);
                fflush(stderr);
                w->pid = fork();
                if (w->pid < 0)
                        r = negative_errno();
                else if (w->pid == 0)
                        worker_main(opts, p, w->tmp, out);
        }
        for (unsigned k = 0; k < 3; k++) {
                if (out[k][1] >= 0)
                        close(out[k][1]);
                w->fds[k] = out[k][0];
                if (r < 0 && out[k][0] >= 0)
                        close(out[k][0]), w->fds[k] = -1;
        }
        return r;
}

int build_parallel(const BuildOptions *opts, unsigned jobs, BuildResult *result) {
        Worker w[BUILD_PLATFORMS_MAX] = {};
        char prefix[BUILD_PLATFORMS_MAX][PLATFORM_STRING_MAX + 2];
        unsigned started = 0, running = 0;
        int r = 0;

        for (unsigned p = 0; p < opts->n_platforms; p++) {
                char buf[PLATFORM_STRING_MAX];
                snprintf(prefix[p], sizeof(prefix[p]), "[%s]", platform_to_string(&opts->platforms[p], buf));
                w[p] = (Worker) { .fds = { -1, -1, -1 } };
        }
        while (running > 0 || (started < opts->n_platforms && r >= 0)) {
                struct pollfd pfd[BUILD_PLATFORMS_MAX * 3];
                unsigned owner[BUILD_PLATFORMS_MAX * 3], n = 0;

                while (r >= 0 && running < jobs && started < opts->n_platforms) {
                        r = worker_start(opts, started, &w[started]);
                        if (r < 0) {
                                log_error_errno(r, "Failed to start the build of %s: %m", prefix[started]);
                                for (unsigned q = 0; q < started; q++)
                                        if (w[q].pid > 0)
                                                (void) kill(w[q].pid, SIGTERM);
                                break;
                        }
                        started++, running++;
                }
                for (unsigned p = 0; p < started; p++)
                        for (unsigned k = 0; k < 3; k++)
                                if (w[p].fds[k] >= 0) {
                                        pfd[n] = (struct pollfd) { .fd = w[p].fds[k], .events = POLLIN };
                                        owner[n++] = p * 3 + k;
                                }
                if (n == 0)
                        break;
                if (poll(pfd, n, progress_timeout(opts->progress)) < 0) {
                        if (errno == EINTR)
                                continue;
                        r = log_error_errno(errno, "poll: %m");
                        break;
                }
                progress_tick(opts->progress);
                for (unsigned j = 0; j < n; j++) {
                        Worker *x = &w[owner[j] / 3];
                        unsigned k = owner[j] % 3, p = owner[j] / 3;

                        if (!pfd[j].revents || worker_read(opts->progress, x, p, k))
                                continue;
                        if (k < 2)
                                worker_flush(opts->progress, x, p, k);
                        close(x->fds[k]);
                        x->fds[k] = -1;
                        if (x->fds[0] >= 0 || x->fds[1] >= 0 || x->fds[2] >= 0)
                                continue;
                        /* All three at EOF: the worker is done. */
                        while (waitpid(x->pid, &x->status, 0) < 0 && errno == EINTR)
                                ;
                        x->pid = 0;
                        (void) rm_rf(x->tmp);
                        running--;
                        progress_finish(opts->progress, p, !(WIFEXITED(x->status) && WEXITSTATUS(x->status) == 0));
                        if (r >= 0 && !(WIFEXITED(x->status) && WEXITSTATUS(x->status) == 0)) {
                                r = -EIO;
                                /* Stop the others, as the sequential build stops at the first failure. */
                                for (unsigned q = 0; q < started; q++)
                                        if (w[q].pid > 0)
                                                (void) kill(w[q].pid, SIGTERM);
                        }
                }
        }
        for (unsigned p = 0; p < started && r >= 0; p++) {
                json_object *o = w[p].result ? json_tokener_parse(w[p].result) : NULL;
                r = o ? oci_descriptor_from_json(o, &result->manifests[p]) : -EBADMSG;
                json_object_put(o);
                if (r < 0)
                        log_error_errno(r, "Failed to read the result of %s: %m", prefix[p]);
                else
                        result->n_manifests = p + 1;
        }
        for (unsigned p = 0; p < opts->n_platforms; p++) {
                for (unsigned k = 0; k < 3; k++)
                        if (w[p].fds[k] >= 0)
                                close(w[p].fds[k]);
                if (w[p].pid > 0) {
                        (void) kill(w[p].pid, SIGKILL);
                        (void) waitpid(w[p].pid, NULL, 0);
                }
                if (w[p].tmp)
                        (void) rm_rf(w[p].tmp);
                free(w[p].tmp);
                free(w[p].result);
        }
        return r;
}
