/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* binfmt doctor FILE [--root DIR]: what happens when FILE is executed here, and the one command that
 * fixes each problem. The kernel tries binfmt_misc before binfmt_elf, and within binfmt_misc the most
 * recently registered enabled match, and the binfmt_misc directory lists entries newest first. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "binfmt-dir.h"
#include "binfmt.h"
#include "elf-id.h"
#include "log.h"
#include "macro.h"
#include "platform.h"

typedef struct Match {
        BinfmtEntry entry;
} Match;

static void problem(Outcome *o, const char *what, const char *fix) {
        printf("problem: %s\n  fix: %s\n", what, fix);
        o->failed++;
}

/* All entries that match, newest first (the directory lists them so). */
static int find_matches(Context *c, const void *head, size_t size, const char *path, Match *ret, size_t max, size_t *ret_n) {
        _cleanup_(binfmt_names_freep) char **names = NULL;
        size_t n = 0;
        int r;

        r = binfmt_dir_list(c->dirfd, &names);
        if (r < 0)
                return log_error_errno(r, "Failed to list '%s': %m", c->settings.binfmt_dir);
        for (char **p = names; *p && n < max; p++) {
                Match m;

                if (binfmt_dir_read_entry(c->dirfd, *p, &m.entry) < 0)
                        continue;
                m.entry.enabled = true; /* report disabled matches too, marked below */
                if (!binfmt_entry_matches(&m.entry, head, size, path))
                        continue;
                (void) binfmt_dir_read_entry(c->dirfd, *p, &m.entry);
                ret[n++] = m;
        }
        *ret_n = n;
        return 0;
}

static bool loader_exists(const char *root, const char *interp) {
        struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
        _cleanup_close_ int rootfd = -EBADF, fd = -EBADF;

        rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return false;
        /* Resolve symlinks inside the root, as the loader lookup in that container would. */
        fd = (int) syscall(SYS_openat2, rootfd, interp, &how, sizeof(how));
        return fd >= 0;
}

static void check_handler(Context *c, const Match *m, const char *arch_hint, Outcome *o) {
        char flags[5], fix[8192];
        struct stat st;

        printf("handler: %s (interpreter %s, flags %s, %s)%s\n", m->entry.name, m->entry.interpreter,
               binfmt_flags_to_string(m->entry.flags, flags),
               emulator_classify(&c->settings, m->entry.interpreter) == SOURCE_FOREIGN ? "another tool's" : "archway's",
               m->entry.enabled ? "" : " DISABLED");
        if (!m->entry.enabled) {
                snprintf(fix, sizeof(fix), "echo 1 > %s/%s", c->settings.binfmt_dir, m->entry.name);
                problem(o, "the matching entry is disabled", fix);
        }
        snprintf(fix, sizeof(fix), "binfmt --uninstall %s --force && binfmt --install %s", m->entry.name, arch_hint);
        if (stat(m->entry.interpreter, &st) < 0 && !(m->entry.flags & BINFMT_FIX_BINARY))
                problem(o, "the interpreter does not exist and is not pinned (no flag F)", fix);
        else if (!(m->entry.flags & BINFMT_FIX_BINARY))
                problem(o, "no flag F: the interpreter must also exist inside every container or chroot root", fix);
}

static void check_loader(const ElfId *id, const PlatformInfo *info, const char *root, Outcome *o) {
        char what[8192], fix[1024];

        if (!id->dynamic || isempty(id->interp))
                return;
        if (loader_exists(root, id->interp)) {
                printf("loader: %s found under %s\n", id->interp, root);
                return;
        }
        snprintf(what, sizeof(what), "its ELF loader %s is missing under %s", id->interp, root);
        if (info && info->debian_arch)
                snprintf(fix, sizeof(fix), "install libc6:%s in that root (dpkg --add-architecture %s && "
                         "apt-get install libc6:%s), or use a %s image", info->debian_arch, info->debian_arch,
                         info->debian_arch, info->oci_arch);
        else
                snprintf(fix, sizeof(fix), "install the C library of that architecture in the root");
        problem(o, what, fix);
}

int doctor(Context *c, const char *file, const char *root, Outcome *o) {
        _cleanup_close_ int fd = -EBADF;
        unsigned char head[BINFMT_BUF_SIZE] = {};
        char pbuf[PLATFORM_STRING_MAX], fix[8192];
        const PlatformInfo *info = NULL;
        Match matches[16];
        size_t n = 0;
        ssize_t size;
        ElfId id;
        Platform p, host;
        bool elf, native = false;

        fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return log_error_errno(errno, "Failed to open '%s': %m", file);
        size = pread(fd, head, sizeof(head), 0);
        if (size < 0)
                return log_error_errno(errno, "Failed to read '%s': %m", file);
        elf = elf_id_from_fd(fd, ELF_ID_SECTIONS, &id) >= 0;
        printf("file: %s\n", file);
        if (elf && platform_from_elf(&id, &p) >= 0) {
                info = platform_info_lookup(&p);
                native = platform_host(&host) >= 0 && platform_runs_on(&p, &host);
                printf("platform: %s (%s, %s%s)%s\n", platform_to_string(&p, pbuf), elf_kind_to_string(id.kind),
                       id.dynamic ? "dynamic, loader " : "static", id.dynamic ? id.interp : "", native ? " native" : "");
        } else
                printf("platform: unknown (%s)\n", elf ? "ELF of no known platform" : "not ELF");

        if (find_matches(c, head, (size_t) size, file, matches, ELEMENTSOF(matches), &n) < 0)
                return -EIO;
        if (binfmt_dir_is_enabled(c->dirfd) == 0) {
                snprintf(fix, sizeof(fix), "echo 1 > %s/status", c->settings.binfmt_dir);
                problem(o, "binfmt_misc is disabled as a whole", fix);
        }
        if (n == 0 && !native && info) {
                snprintf(fix, sizeof(fix), "binfmt --install %s", pbuf);
                problem(o, "no binfmt_misc entry handles this file: executing it fails with ENOEXEC", fix);
        } else if (n == 0 && !native)
                printf("handler: none\n");
        if (n > 0) {
                check_handler(c, &matches[0], info ? pbuf : "ARCH", o);
                for (size_t i = 1; i < n; i++)
                        printf("shadowed: %s (interpreter %s): an older match the kernel never reaches\n",
                               matches[i].entry.name, matches[i].entry.interpreter);
                if (native) {
                        snprintf(fix, sizeof(fix), "binfmt --uninstall %s --force", matches[0].entry.name);
                        problem(o, "a binfmt_misc entry captures a program this host runs natively", fix);
                }
        }
        if (elf)
                check_loader(&id, info, root ? root : "/", o);
        if (o->failed == 0)
                printf("ok: executing %s should work%s\n", file, root ? " inside that root" : "");
        return 0;
}
