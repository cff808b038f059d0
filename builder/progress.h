/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* archbuild's progress display, like buildx's --progress:
 *   tty    one line per platform, redrawn in place: current step, elapsed time, bytes pulled and
 *          written; the steps' own output scrolls above it;
 *   plain  one line per event, the build log archbuild always printed (#N/M [platform] STEP, CACHED,
 *          DONE), the steps' output interleaved line by line;
 *   quiet  nothing but the output of a platform that failed;
 *   auto   tty when stderr is a terminal (and TERM is not "dumb"), else plain.
 *
 * build.c reports events through progress_report(). A platform built in a forked worker (every
 * platform, unless the mode is plain with one job) sends them to the parent as record lines on its
 * stderr, between its ordinary output lines, so events and output keep their order; the parent
 * hands each line to progress_line(), which renders it for the mode. */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "platform.h"

typedef enum ProgressMode {
        PROGRESS_AUTO,
        PROGRESS_PLAIN,
        PROGRESS_TTY,
        PROGRESS_QUIET,
        _PROGRESS_MODE_MAX,
        _PROGRESS_MODE_INVALID = -EINVAL,
} ProgressMode;

ProgressMode progress_mode_from_string(const char *s);
const char *progress_mode_to_string(ProgressMode m);

typedef enum ProgressEventType {
        PROGRESS_STEP,     /* a step starts: step, n_steps, text = the instruction */
        PROGRESS_CACHED,   /* the step's result came from the cache */
        PROGRESS_DONE,     /* the step ran for seconds */
        PROGRESS_PULL,     /* a base image is pulled: text = its name */
        PROGRESS_PULLED,   /* bytes pulled (the pulled image's blobs) */
        PROGRESS_WRITTEN,  /* bytes written (a layer blob) */
        PROGRESS_BUILT,    /* the platform's image is done: text = its digest, seconds */
        _PROGRESS_EVENT_MAX,
} ProgressEventType;

typedef struct ProgressEvent {
        ProgressEventType type;
        unsigned step, n_steps;
        double seconds;
        uint64_t bytes;
        const char *text;
} ProgressEvent;

typedef struct Progress Progress;

/* A display for the platforms[0..n) of a build, on stderr. mode AUTO is resolved here. Returns 0 or
 * -ENOMEM. */
int progress_new(ProgressMode mode, const Platform *platforms, unsigned n, Progress **ret);
void progress_free(Progress *p);
ProgressMode progress_mode(const Progress *p);

/* Whether platforms must be built in workers for this mode (tty and quiet own the terminal). */
bool progress_needs_workers(const Progress *p);

/* In a forked worker: from now on events go to the parent as record lines on stderr. */
void progress_become_worker(Progress *p);

/* build.c's hook: platform i reports e. */
void progress_report(Progress *p, unsigned i, const ProgressEvent *e);

/* The parent: one complete line (with its newline, NUL-terminated) platform i's worker wrote on
 * stdout (is_stdout) or stderr: an event record, or output to pass on. */
void progress_line(Progress *p, unsigned i, bool is_stdout, const char *line);

/* The parent: platform i's worker ended; a failed one's kept output is printed (quiet). */
void progress_finish(Progress *p, unsigned i, bool failed);

/* The parent's poll() timeout in ms (-1: nothing is animated), and the redraw it paces. */
int progress_timeout(const Progress *p);
void progress_tick(Progress *p);

/* The last redraw: afterwards the program prints its results below the display. */
void progress_end(Progress *p);

/* "1.2 MB" (decimal units, as buildx prints sizes) into buf. */
const char *progress_format_bytes(uint64_t n, char buf[static 16]);
