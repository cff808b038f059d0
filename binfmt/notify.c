/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* systemd integration through libsystemd: a one-line STATUS= (and READY=1) for systemctl status, and
 * one structured journal record per entry we changed. Without systemd (no $NOTIFY_SOCKET, stderr not
 * the journal per $JOURNAL_STREAM) these do nothing and the program logs to stderr as usual.
 * ARCHWAY_NO_SYSTEMD compiles them out: the installer image's static binfmt (make image), since Debian
 * ships libsystemd only as a shared library, and a container has no systemd to notify anyway. */
#include <stdlib.h>

#include "binfmt.h"
#include "macro.h"

#if ARCHWAY_NO_SYSTEMD

void notify_status(const char *status) {}
void notify_ready(const char *status) {}
void journal_entry_changed(const char *action, const BinfmtEntry *e) {}

#else

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

void notify_status(const char *status) {
        if (!isempty(getenv("NOTIFY_SOCKET")))
                (void) sd_notifyf(0, "STATUS=%s", status);
}

void notify_ready(const char *status) {
        if (!isempty(getenv("NOTIFY_SOCKET")))
                (void) sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void journal_entry_changed(const char *action, const BinfmtEntry *e) {
        char flags[5];

        if (isempty(getenv("JOURNAL_STREAM")))
                return;
        (void) sd_journal_send("MESSAGE=binfmt: %s %s (%s)", action, e->name, e->interpreter,
                               "PRIORITY=%d", 5 /* notice */,
                               "ARCHWAY_BINFMT_ACTION=%s", action,
                               "ARCHWAY_BINFMT_ENTRY=%s", e->name,
                               "ARCHWAY_BINFMT_INTERPRETER=%s", e->interpreter,
                               "ARCHWAY_BINFMT_FLAGS=%s", binfmt_flags_to_string(e->flags, flags),
                               NULL);
}

#endif
