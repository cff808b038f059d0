/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* binfmt export --binfmt-d DIR: the entries we would register, as systemd-binfmt files (binfmt.d(5):
 * one register string per line), one file per entry, named like qemu-binfmt-conf.sh --systemd names
 * them. Each file is written to a temporary name and renamed, so systemd-binfmt never reads half. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "binfmt.h"
#include "file-util.h"
#include "log.h"
#include "macro.h"

static int export_one(Context *c, int dirfd, const char *dir, const ArchSetting *a, Outcome *o) {
        char reg[BINFMT_REGISTER_MAX + 1], text[BINFMT_REGISTER_MAX + 256], name[BINFMT_NAME_MAX + 8];
        BinfmtEntry e;
        int r, n;

        r = desired_entry(c, a, true, &e);
        if (r < 0)
                return r;
        n = binfmt_entry_format(&e, reg, sizeof(reg));
        if (n < 0)
                return log_error_errno(n, "Failed to format %s: %m", e.name);
        n = snprintf(text, sizeof(text), "# Written by 'binfmt export': %s for %s\n%s\n", e.name, e.interpreter, reg);
        snprintf(name, sizeof(name), "%s.conf", e.name);
        r = write_file_atomic(dirfd, name, text, (size_t) n, 0644, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to write '%s/%s': %m", dir, name);
        log_info("wrote %s/%s", dir, name);
        o->changed++;
        return 0;
}

int export_binfmt_d(Context *c, const char *dir, const ArchSetting *arches, size_t n, Outcome *o) {
        _cleanup_close_ int dirfd = -EBADF;

        dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return log_error_errno(errno, "Failed to open '%s': %m", dir);
        for (size_t i = 0; i < n; i++)
                if (export_one(c, dirfd, dir, &arches[i], o) < 0)
                        o->failed++;
        return 0;
}
