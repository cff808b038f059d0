/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The progress display (progress.h): events from build.c, rendered as plain log lines, as a table
 * redrawn in place on a terminal, or kept quiet. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "progress.h"
#include "time-util.h"

/* A worker's event record: RS, then "type step n_steps milliseconds bytes text", one line. The record
 * separator never starts a line of a step's output that matters (it is a control character). */
#define RECORD_MARK '\036'
#define TEXT_MAX 512
/* Lines of output kept per platform in quiet mode, printed when it fails. */
#define QUIET_TAIL 40
#define REDRAW_MS 200

static const char *const modes[_PROGRESS_MODE_MAX] = {
        [PROGRESS_AUTO] = "auto",
        [PROGRESS_PLAIN] = "plain",
        [PROGRESS_TTY] = "tty",
        [PROGRESS_QUIET] = "quiet",
};

typedef struct Lane {
        char name[PLATFORM_STRING_MAX];
        char prefix[PLATFORM_STRING_MAX + 2];   /* "[linux/arm64]" */
        char text[TEXT_MAX];                    /* the current step, or the result */
        unsigned step, n_steps;
        double started, step_started, ended;    /* monotonic seconds; 0: not yet */
        uint64_t pulled, written;
        bool failed;
        char (*tail)[TEXT_MAX];                 /* quiet: the last QUIET_TAIL lines, a ring */
        unsigned n_tail;
} Lane;

struct Progress {
        ProgressMode mode;
        bool worker;        /* in a forked worker: records to stderr */
        bool in_process;    /* plain, built in this process: no platform prefix */
        unsigned n;
        Lane *lanes;
        unsigned drawn;     /* tty: lines of the table on screen */
        double last_draw;
};

ProgressMode progress_mode_from_string(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(modes); i++)
                if (s && streq(s, modes[i]))
                        return (ProgressMode) i;
        return _PROGRESS_MODE_INVALID;
}

const char *progress_mode_to_string(ProgressMode m) {
        return m >= 0 && m < _PROGRESS_MODE_MAX ? modes[m] : NULL;
}

const char *progress_format_bytes(uint64_t n, char buf[static 16]) {
        static const char *const units[] = { "B", "kB", "MB", "GB", "TB" };
        double v = (double) n;
        size_t u = 0;

        while (v >= 1000 && u < ELEMENTSOF(units) - 1)
                v /= 1000, u++;
        snprintf(buf, 16, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
        return buf;
}

static ProgressMode resolve(ProgressMode m) {
        const char *term = getenv("TERM");

        if (m != PROGRESS_AUTO)
                return m;
        return isatty(STDERR_FILENO) && !(term && streq(term, "dumb")) ? PROGRESS_TTY : PROGRESS_PLAIN;
}

int progress_new(ProgressMode mode, const Platform *platforms, unsigned n, Progress **ret) {
        Progress *p = calloc(1, sizeof(Progress));

        if (!p || !(p->lanes = calloc(n ?: 1, sizeof(Lane)))) {
                free(p);
                return -ENOMEM;
        }
        p->mode = resolve(mode);
        p->n = n;
        for (unsigned i = 0; i < n; i++) {
                Lane *l = &p->lanes[i];

                platform_to_string(&platforms[i], l->name);
                snprintf(l->prefix, sizeof(l->prefix), "[%s]", l->name);
                snprintf(l->text, sizeof(l->text), "waiting");
                if (p->mode == PROGRESS_QUIET && !(l->tail = calloc(QUIET_TAIL, TEXT_MAX))) {
                        progress_free(p);
                        return -ENOMEM;
                }
        }
        *ret = p;
        return 0;
}

void progress_free(Progress *p) {
        if (!p)
                return;
        for (unsigned i = 0; i < p->n; i++)
                free(p->lanes[i].tail);
        free(p->lanes);
        free(p);
}

ProgressMode progress_mode(const Progress *p) {
        return p->mode;
}

bool progress_needs_workers(const Progress *p) {
        return p->mode != PROGRESS_PLAIN;
}

void progress_become_worker(Progress *p) {
        p->worker = true;
}

/* ---- plain -------------------------------------------------------------------------------------- */

/* The log line of an event (without newline), as archbuild always printed it; "" for none. */
static void plain_text(const Lane *l, const ProgressEvent *e, char *buf, size_t size) {
        char pulled[16], written[16];

        switch (e->type) {
        case PROGRESS_STEP:
                snprintf(buf, size, "#%u/%u %s %s", e->step, e->n_steps, l->prefix, e->text);
                break;
        case PROGRESS_CACHED:
                snprintf(buf, size, "#%u/%u CACHED", e->step, e->n_steps);
                break;
        case PROGRESS_DONE:
                snprintf(buf, size, "#%u/%u DONE %.2fs", e->step, e->n_steps, e->seconds);
                break;
        case PROGRESS_PULL:
                snprintf(buf, size, "#%u/%u pulling %s for %s", e->step, e->n_steps, e->text, l->name);
                break;
        case PROGRESS_BUILT:
                snprintf(buf, size, "%s built %s in %.2fs (pulled %s, wrote %s)", l->prefix, e->text, e->seconds,
                         progress_format_bytes(l->pulled, pulled), progress_format_bytes(l->written, written));
                break;
        default:
                buf[0] = 0;
        }
}

/* A line for platform i on f: from a worker, prefixed with its platform unless it names it already
 * (so the output of two platforms never interleaves within a line and each says whose it is). */
static void plain_put(const Progress *p, unsigned i, FILE *f, const char *line) {
        if (!p->in_process && !strstr(line, p->lanes[i].prefix))
                fprintf(f, "%s ", p->lanes[i].prefix);
        fputs(line, f);
        if (!*line || line[strlen(line) - 1] != '\n')
                fputc('\n', f);
        fflush(f);
}

/* ---- tty ---------------------------------------------------------------------------------------- */

static unsigned columns(void) {
        struct winsize w;

        return ioctl(STDERR_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col >= 20 ? w.ws_col : 80;
}

/* "12.3s": tenths of a second, as an integer (a day at most). */
static const char *secs(double v, char buf[static 24]) {
        unsigned tenths = v <= 0 ? 0 : v >= 86400 ? 864000 : (unsigned) (v * 10);

        snprintf(buf, 24, "%u.%us", tenths / 10, tenths % 10);
        return buf;
}

static void lane_line(const Lane *l, double t, char *buf, size_t size) {
        char pulled[16], written[16], elapsed[24], step[24];

        secs(l->started == 0 ? 0 : (l->ended ? l->ended : t) - l->started, elapsed);
        progress_format_bytes(l->pulled, pulled);
        progress_format_bytes(l->written, written);
        if (l->started == 0)
                snprintf(buf, size, "%-14s %7s  %s", l->prefix, "", l->text);
        else if (l->ended)
                snprintf(buf, size, "%-14s %7s  %-13s pulled %s, wrote %s  %.300s", l->prefix, elapsed,
                         l->failed ? "FAILED" : "DONE", pulled, written, l->text);
        else
                /* The instruction last: a narrow terminal cuts it, not the numbers. */
                snprintf(buf, size, "%-14s %7s  #%u/%u %-7s pulled %s, wrote %s  %.300s", l->prefix, elapsed, l->step,
                         l->n_steps, secs(t - l->step_started, step), pulled, written, l->text);
}

static void tty_clear(Progress *p) {
        if (p->drawn > 0)
                fprintf(stderr, "\r\033[%uA\033[J", p->drawn);
        p->drawn = 0;
}

static void tty_draw(Progress *p) {
        unsigned width = columns();
        double t = now_seconds();
        char line[TEXT_MAX + 256];

        tty_clear(p);
        for (unsigned i = 0; i < p->n; i++) {
                lane_line(&p->lanes[i], t, line, sizeof(line));
                if (strlen(line) >= width)
                        line[width - 1] = 0; /* no wrap: the cursor arithmetic counts one row per lane */
                fprintf(stderr, "%s\n", line);
        }
        p->drawn = p->n;
        p->last_draw = t;
        fflush(stderr);
}

/* ---- state -------------------------------------------------------------------------------------- */

static void lane_apply(Lane *l, const ProgressEvent *e) {
        double t = now_seconds();

        if (l->started == 0)
                l->started = t;
        switch (e->type) {
        case PROGRESS_STEP:
                l->step = e->step;
                l->n_steps = e->n_steps;
                l->step_started = t;
                snprintf(l->text, sizeof(l->text), "%s", e->text ?: "");
                break;
        case PROGRESS_PULL:
                snprintf(l->text, sizeof(l->text), "pulling %s", e->text ?: "");
                break;
        case PROGRESS_PULLED:
                l->pulled += e->bytes;
                break;
        case PROGRESS_WRITTEN:
                l->written += e->bytes;
                break;
        case PROGRESS_BUILT:
                l->ended = t;
                snprintf(l->text, sizeof(l->text), "built %s", e->text ?: "");
                break;
        default:
                break;
        }
}

static void quiet_keep(Lane *l, const char *line) {
        snprintf(l->tail[l->n_tail % QUIET_TAIL], TEXT_MAX, "%s", line);
        l->n_tail++;
}

/* Render an event of platform i for the mode (the parent, or a build in this process). */
static void render(Progress *p, unsigned i, const ProgressEvent *e) {
        Lane *l = &p->lanes[i];
        char line[TEXT_MAX + 128];

        lane_apply(l, e);
        if (p->mode == PROGRESS_TTY)
                tty_draw(p);
        else if (p->mode == PROGRESS_PLAIN) {
                plain_text(l, e, line, sizeof(line));
                if (line[0])
                        plain_put(p, i, stderr, line);
        }
}

/* In a worker: one record line on stderr (the instruction's own newlines become spaces). */
static void send_record(const ProgressEvent *e) {
        char text[TEXT_MAX];

        snprintf(text, sizeof(text), "%s", e->text ?: "");
        for (char *c = text; *c; c++)
                if (*c == '\n' || *c == '\r')
                        *c = ' ';
        fflush(stderr);
        /* seconds travel as whole milliseconds: integers only on the wire. */
        fprintf(stderr, "%c%d %u %u %" PRIu64 " %" PRIu64 " %s\n", RECORD_MARK, (int) e->type, e->step, e->n_steps,
                (uint64_t) (e->seconds * 1000.0 + 0.5), e->bytes, text);
        fflush(stderr);
}

void progress_report(Progress *p, unsigned i, const ProgressEvent *e) {
        if (!p || i >= p->n)
                return;
        if (p->worker)
                send_record(e);
        else {
                p->in_process = true;
                render(p, i, e);
        }
}

/* One unsigned decimal field followed by a space; advances *s. */
static int field_u64(const char **s, uint64_t *ret) {
        char *end;
        unsigned long long v;

        errno = 0;
        v = strtoull(*s, &end, 10);
        if (errno || end == *s || *end != ' ' || **s == '-')
                return -EBADMSG;
        *s = end + 1;
        *ret = v;
        return 0;
}

/* Parse a record line (after the mark). Returns 0, or -EBADMSG for a malformed one. */
static int parse_record(const char *s, ProgressEvent *ret, char text[static TEXT_MAX]) {
        uint64_t type, step, n_steps, ms;
        ProgressEvent e = {};

        if (field_u64(&s, &type) < 0 || type >= _PROGRESS_EVENT_MAX || field_u64(&s, &step) < 0 || step > UINT32_MAX ||
            field_u64(&s, &n_steps) < 0 || n_steps > UINT32_MAX || field_u64(&s, &ms) < 0 || field_u64(&s, &e.bytes) < 0)
                return -EBADMSG;
        e.type = (ProgressEventType) type;
        e.step = (unsigned) step;
        e.n_steps = (unsigned) n_steps;
        e.seconds = (double) ms / 1000.0;
        snprintf(text, TEXT_MAX, "%s", s);
        text[strcspn(text, "\n")] = 0;
        e.text = text;
        *ret = e;
        return 0;
}

void progress_line(Progress *p, unsigned i, bool is_stdout, const char *line) {
        char text[TEXT_MAX];
        ProgressEvent e;

        if (i >= p->n)
                return;
        if (!is_stdout && line[0] == RECORD_MARK && parse_record(line + 1, &e, text) == 0) {
                render(p, i, &e);
                return;
        }
        if (p->mode == PROGRESS_QUIET)
                quiet_keep(&p->lanes[i], line);
        else if (p->mode == PROGRESS_TTY) {
                tty_clear(p);
                plain_put(p, i, is_stdout ? stdout : stderr, line);
                tty_draw(p);
        } else
                plain_put(p, i, is_stdout ? stdout : stderr, line);
}

void progress_finish(Progress *p, unsigned i, bool failed) {
        Lane *l;

        if (i >= p->n)
                return;
        l = &p->lanes[i];
        if (failed && !l->ended) {
                l->failed = true;
                l->ended = now_seconds();
                char step[TEXT_MAX];

                snprintf(step, sizeof(step), "%s", l->text);
                snprintf(l->text, sizeof(l->text), "at #%u/%u %.400s", l->step, l->n_steps, step);
        }
        if (failed && p->mode == PROGRESS_QUIET) {
                unsigned first = l->n_tail > QUIET_TAIL ? l->n_tail - QUIET_TAIL : 0;

                for (unsigned k = first; k < l->n_tail; k++)
                        plain_put(p, i, stderr, l->tail[k % QUIET_TAIL]);
        }
        if (p->mode == PROGRESS_TTY)
                tty_draw(p);
}

int progress_timeout(const Progress *p) {
        return p && p->mode == PROGRESS_TTY ? REDRAW_MS : -1;
}

void progress_tick(Progress *p) {
        if (p && p->mode == PROGRESS_TTY && now_seconds() - p->last_draw >= REDRAW_MS / 1000.0)
                tty_draw(p);
}

void progress_end(Progress *p) {
        if (p && p->mode == PROGRESS_TTY && !p->worker)
                tty_draw(p);
}
