/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Changing the instance: install, uninstall, reconcile. Entries owned by others are reported and left
 * alone unless --force; ours are fixed when they drifted. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "binfmt-dir.h"
#include "binfmt-probe.h"
#include "binfmt.h"
#include "log.h"
#include "macro.h"

static BinfmtFlags flags_for(Context *c, const ArchSetting *a, const Emulator *e) {
        BinfmtFlags flags;

        if (a->flags_set)
                return a->flags;
        if (c->settings.flags_set)
                return c->settings.flags;
        flags = BINFMT_FIX_BINARY;
        if (emulator_supports_preserve_argv0(e, &c->versions))
                flags |= BINFMT_PRESERVE_ARGV0;
        return flags;
}

int desired_entry(Context *c, const ArchSetting *a, bool explicit_request, BinfmtEntry *ret) {
        LogLevel level = explicit_request ? LOG_LEVEL_ERROR : LOG_LEVEL_DEBUG;
        const BinfmtTarget *t = a->target;
        BinfmtFlags flags;
        Emulator e;
        int r;

        /* --force admits the host's family only when asked for by name, never through "all". */
        if (binfmt_target_is_native(t, c->host_machine, c->force && explicit_request))
                return log_full_errno(level, EPERM, "Refusing to register qemu-%s on this %s host: binfmt_misc "
                                      "is consulted before native ELF loading, so it would capture the host's own "
                                      "programs%s.", t->name, c->host_machine,
                                      c->force ? "" : " (--force allows another member of the host's family)");
        r = emulator_resolve(&c->settings, t, &e);
        if (r < 0)
                return log_full_errno(level, r, "No emulator for %s (emulator = %s): install Debian's "
                                      "qemu-user-static, run 'make qemu', or pass --qemu-dir DIR.",
                                      t->name, emulator_mode_to_string(c->settings.emulator));
        flags = flags_for(c, a, &e);
        r = emulator_check(e.path, flags);
        if (r == -ENOEXEC)
                return log_full_errno(level, r, "Refusing '%s' for %s: with flag F it must be a static program "
                                      "(a dynamic one cannot find its libraries inside a container).", e.path, t->name);
        if (r < 0)
                return log_full_errno(level, r, "Refusing '%s' for %s: not an executable file: %m", e.path, t->name);
        if (flags & BINFMT_CREDENTIALS)
                log_warning("qemu-%s gets flag C: setuid and setgid %s programs will run with their owner's "
                            "credentials (root for root-owned ones), and so will the emulator.", t->name, t->name);
        return binfmt_target_to_entry(t, e.path, flags, ret);
}

/* Name the flag an older kernel refused, by trying each one on its own. */
static int explain_einval(Context *c, const BinfmtEntry *e) {
        char flags[5];

        for (BinfmtFlags f = 1; f < _BINFMT_FLAGS_ALL; f <<= 1)
                if ((e->flags & f) && binfmt_dir_flag_supported(c->dirfd, f) == 0)
                        return log_error_errno(EINVAL, "Failed to register %s: this kernel does not know binfmt "
                                               "flag '%c'; drop it with flags= in the configuration or --flags.",
                                               e->name, binfmt_flag_letter(f));
        return log_error_errno(EINVAL, "Failed to register %s (flags '%s'): the kernel refused it: %m", e->name,
                               binfmt_flags_to_string(e->flags, flags));
}

static int register_entry(Context *c, const BinfmtEntry *e, const char *action, Outcome *o) {
        int r = binfmt_dir_register(c->dirfd, e);

        if (r == -EINVAL)
                return explain_einval(c, e);
        if (r < 0)
                return log_error_errno(r, "Failed to register %s in '%s': %m", e->name, c->settings.binfmt_dir);
        journal_entry_changed(action, e);
        log_info("%s %s -> %s", action, e->name, e->interpreter);
        o->changed++;
        return 0;
}

/* Bring the entry named want->name to want. Returns 0 or -errno. */
static int ensure_named(Context *c, const BinfmtEntry *want, Outcome *o) {
        BinfmtEntry have;
        int r;

        r = binfmt_dir_read_entry(c->dirfd, want->name, &have);
        if (r == -ENOENT)
                return register_entry(c, want, "registered", o);
        if (r < 0)
                return log_error_errno(r, "Failed to read %s/%s: %m", c->settings.binfmt_dir, want->name);
        if (binfmt_entry_equal(&have, want) && have.enabled)
                return 0;

        r = binfmt_dir_remove(c->dirfd, want->name);
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "Failed to remove drifted %s: %m", want->name);
        return register_entry(c, want, "replaced", o);
}

/* The kernel takes the newest enabled match, so ours must be newer than any other tool's entry for
 * the same files (Debian's qemu-user-static registers at every boot, binfmt-support when a package
 * is installed): when one is, ours is registered again, which puts it first. Theirs stays as it is. */
static int ensure_first(Context *c, const BinfmtTarget *t, const BinfmtEntry *want, Outcome *o) {
        const unsigned char *elf;
        BinfmtEntry handler;
        size_t size;
        int r;

        elf = probe_program(t, &size);
        if (!elf || binfmt_dir_find_handler(c->dirfd, elf, size, NULL, &handler, NULL) < 0 ||
            streq(handler.name, want->name) || emulator_classify(&c->settings, handler.interpreter) != SOURCE_FOREIGN)
                return 0;
        log_notice("%s (interpreter %s) was registered after %s and would run %s programs: registering ours again so "
                   "that the kernel takes it first.", handler.name, handler.interpreter, want->name, t->name);
        r = binfmt_dir_remove(c->dirfd, want->name);
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "Failed to remove %s: %m", want->name);
        return register_entry(c, want, "reordered", o);
}

/* Bring target t's entry to want (named qemu-T). When another tool holds that name (Debian's
 * qemu-user-static does), ours is qemu-T-archway beside it; then ensure_first(). Returns 0 or -errno. */
static int ensure_entry(Context *c, const BinfmtTarget *t, BinfmtEntry *want, Outcome *o) {
        char alternate[BINFMT_NAME_MAX + sizeof(ARCHWAY_NAME_SUFFIX)];
        BinfmtEntry have;
        int r;

        snprintf(alternate, sizeof(alternate), "%s" ARCHWAY_NAME_SUFFIX, want->name);
        r = binfmt_dir_read_entry(c->dirfd, want->name, &have);
        if (r < 0 && r != -ENOENT)
                return log_error_errno(r, "Failed to read %s/%s: %m", c->settings.binfmt_dir, want->name);
        if (r >= 0 && emulator_classify(&c->settings, have.interpreter) == SOURCE_FOREIGN && !c->force) {
                log_notice("%s is registered by someone else (interpreter %s); leaving it alone, ours is %s.",
                           want->name, have.interpreter, alternate);
                if (strlen(alternate) >= sizeof(want->name)) /* table names are short: never */
                        return -ENAMETOOLONG;
                memcpy(want->name, alternate, strlen(alternate) + 1);
        } else if (binfmt_dir_read_entry(c->dirfd, alternate, &have) >= 0 &&
                   emulator_classify(&c->settings, have.interpreter) != SOURCE_FOREIGN) {
                /* qemu-T is free again (or --force takes it): the stand-in goes. */
                r = binfmt_dir_remove(c->dirfd, alternate);
                if (r < 0 && r != -ENOENT)
                        return log_error_errno(r, "Failed to remove %s: %m", alternate);
                journal_entry_changed("removed", &have);
        }
        r = ensure_named(c, want, o);
        return r < 0 ? r : ensure_first(c, t, want, o);
}

static void check_probes(Context *c, const BinfmtTarget **targets, size_t n, Outcome *o) {
        ProbeResult results[ARCHES_MAX];

        if (!c->probe || n == 0)
                return;
        if (probe_run_cached(c, targets, n, results) < 0) {
                log_error("Failed to run probes: %m");
                o->not_working += (unsigned) n;
                return;
        }
        for (size_t i = 0; i < n; i++)
                if (results[i] == PROBE_TIMEOUT) {
                        log_error("qemu-%s is registered but its probe program did not finish: it used %d CPU "
                                  "seconds, or ran for %d s.", targets[i]->name, BINFMT_PROBE_CPU_SECONDS,
                                  BINFMT_PROBE_TIMEOUT_MS / 1000);
                        o->not_working++;
                } else if (results[i] != PROBE_OK && results[i] != PROBE_NONE) {
                        log_error("qemu-%s is registered but its probe program did not run (%s).",
                                  targets[i]->name, probe_result_to_string(results[i]));
                        o->not_working++;
                } else
                        log_debug("qemu-%s: probe %s", targets[i]->name, probe_result_to_string(results[i]));
}

/* Say that an entry uses another emulator than the configuration names: one warning per entry when
 * asked by name, one line for all of them for "all" (which falls back for every target our build lacks). */
static void warn_fallbacks(Context *c, const BinfmtEntry *fallbacks, size_t n, bool explicit_request) {
        char want[sizeof(fallbacks->interpreter) + 64], names[1024] = "";
        size_t len = 0;

        for (size_t i = 0; i < n && explicit_request; i++) {
                const BinfmtTarget *t = our_entry_target(fallbacks[i].name);

                if (!t || emulator_preferred(&c->settings, t, want, sizeof(want)) < 0)
                        continue;
                log_warning("%s uses %s, not %s as configured (emulator = %s): it %s; see binfmt status.",
                            fallbacks[i].name, fallbacks[i].interpreter, want,
                            emulator_mode_to_string(c->settings.emulator),
                            access(want, X_OK) < 0 ? "is not installed" : "could not be used");
        }
        if (explicit_request || n == 0)
                return;
        for (size_t i = 0; i < n && len < sizeof(names) - 1; i++)
                len += (size_t) snprintf(names + len, sizeof(names) - len, "%s%s", i ? " " : "", fallbacks[i].name);
        log_warning("%zu entries use a fallback emulator, not the one the configuration names (emulator = %s; "
                    "e.g. %s -> %s): %s; see binfmt status.", n, emulator_mode_to_string(c->settings.emulator),
                    fallbacks[0].name, fallbacks[0].interpreter, names);
}

/* One architecture: 1 registered (or already right), 0 skipped quietly, -errno failed (logged). */
static int install_one(Context *c, const ArchSetting *a, bool explicit_request, BinfmtEntry *ret, Outcome *o) {
        int r;

        /* "arch = installed" lists the host's own targets too: those are not meant. */
        if (a->implicit && binfmt_target_is_native(a->target, c->host_machine, false))
                return 0;
        r = desired_entry(c, a, explicit_request, ret);
        if (r < 0)
                return explicit_request ? r : 0;
        r = ensure_entry(c, a->target, ret, o);
        return r < 0 ? r : 1;
}

void apply_install(Context *c, const ArchSetting *arches, size_t n, bool explicit_request, Outcome *o) {
        const BinfmtTarget *done[ARCHES_MAX];
        _cleanup_free_ BinfmtEntry *fallbacks = calloc(n ?: 1, sizeof(BinfmtEntry));
        size_t n_done = 0, n_fallbacks = 0;

        if (!fallbacks) {
                log_oom();
                o->failed++;
                return;
        }
        for (size_t i = 0; i < n; i++) {
                BinfmtEntry want;
                int r = install_one(c, &arches[i], explicit_request, &want, o);

                /* In reconcile, no emulator for one configured architecture does not stop the others:
                 * it is "not working" (exit 3), which archway-binfmt.service counts as success, so
                 * the unit stays active. An explicit --install of it fails (exit 1). */
                if (r == -ENOENT && c->reconciling) {
                        o->not_working++;
                        continue;
                }
                if (r < 0)
                        o->failed++;
                if (r <= 0)
                        continue;
                if (emulator_is_fallback(&c->settings, arches[i].target, want.interpreter))
                        fallbacks[n_fallbacks++] = want;
                if (n_done < ELEMENTSOF(done))
                        done[n_done++] = arches[i].target;
        }
        warn_fallbacks(c, fallbacks, n_fallbacks, explicit_request);
        check_probes(c, done, n_done, o);
}

/* The table row of one of our entry names: qemu-T, or qemu-T-archway. NULL for any other name. */
const BinfmtTarget *our_entry_target(const char *name) {
        char buf[BINFMT_NAME_MAX + 1];
        size_t n = strlen(name), k = strlen(ARCHWAY_NAME_SUFFIX);

        if (!strneq(name, "qemu-", 5) || n >= sizeof(buf))
                return NULL;
        strcpy(buf, name);
        if (n > k && streq(buf + n - k, ARCHWAY_NAME_SUFFIX))
                buf[n - k] = 0;
        return binfmt_target_lookup(buf);
}

static bool strv_contains(char **l, const char *s) {
        for (; l && *l; l++)
                if (streq(*l, s))
                        return true;
        return false;
}

static bool is_glob(const char *s) {
        return strpbrk(s, "*?[") != NULL;
}

static void remove_one(Context *c, const char *name, bool explicit_request, Outcome *o) {
        BinfmtEntry e;
        int r;

        r = binfmt_dir_read_entry(c->dirfd, name, &e);
        if (r == -ENOENT) {
                log_info("%s is not registered.", name);
                return;
        }
        if (r < 0) {
                log_error_errno(r, "Failed to read %s/%s: %m", c->settings.binfmt_dir, name);
                o->failed++;
                return;
        }
        if (emulator_classify(&c->settings, e.interpreter) == SOURCE_FOREIGN && !c->force) {
                log_full_errno(explicit_request ? LOG_LEVEL_ERROR : LOG_LEVEL_NOTICE, 0,
                               "Leaving %s alone: its interpreter %s is not ours (--force removes it).",
                               name, e.interpreter);
                o->failed += explicit_request;
                return;
        }
        r = binfmt_dir_remove(c->dirfd, name);
        if (r < 0 && r != -ENOENT) {
                log_error_errno(r, "Failed to remove %s: %m", name);
                o->failed++;
                return;
        }
        journal_entry_changed("removed", &e);
        log_info("removed %s", name);
        o->changed++;
}

static void uninstall_pattern(Context *c, char **names, const char *pattern, Outcome *o) {
        const BinfmtTarget *targets[8];
        char name[BINFMT_NAME_MAX + 1];
        int n;

        if (is_glob(pattern)) {
                for (char **p = names; *p; p++)
                        if (fnmatch(pattern, *p, 0) == 0)
                                remove_one(c, *p, false, o);
                return;
        }
        if (binfmt_name_is_valid(pattern))
                for (char **p = names; *p; p++)
                        if (streq(*p, pattern)) {
                                remove_one(c, pattern, true, o);
                                return;
                        }
        n = arch_resolve(pattern, targets, ELEMENTSOF(targets));
        if (n < 0) {
                log_error("%s: no such entry, and not an architecture.", pattern);
                o->failed++;
                return;
        }
        for (int i = 0; i < n; i++) {
                char alternate[BINFMT_NAME_MAX + sizeof(ARCHWAY_NAME_SUFFIX)];
                bool found = false;

                snprintf(name, sizeof(name), "qemu-%s", targets[i]->name);
                snprintf(alternate, sizeof(alternate), "%s" ARCHWAY_NAME_SUFFIX, name);
                for (char **p = names; *p; p++)
                        found = found || streq(*p, alternate);
                if (found)
                        remove_one(c, alternate, true, o);
                /* qemu-T beside our stand-in is another tool's: not asked for, so not an error. */
                if (strv_contains(names, name))
                        remove_one(c, name, !found, o);
                if (!found && !strv_contains(names, name))
                        log_info("%s is not registered.", name);
        }
}

void apply_uninstall(Context *c, const char *patterns, Outcome *o) {
        _cleanup_(binfmt_names_freep) char **names = NULL;
        char buf[4096], *save = NULL;
        int r;

        r = binfmt_dir_list(c->dirfd, &names);
        if (r < 0) {
                log_error_errno(r, "Failed to list '%s': %m", c->settings.binfmt_dir);
                o->failed++;
                return;
        }
        snprintf(buf, sizeof(buf), "%s", patterns);
        for (char *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save))
                uninstall_pattern(c, names, p, o);
}

static bool is_desired(const Settings *s, const char *name) {
        const BinfmtTarget *t = our_entry_target(name);

        if (!t)
                return false;
        for (size_t i = 0; i < s->n_arches; i++)
                if (s->arches[i].target == t)
                        return true;
        return false;
}

void apply_reconcile(Context *c, Outcome *o) {
        _cleanup_(binfmt_names_freep) char **names = NULL;
        int r;

        if (!c->settings.have_arches) {
                log_notice("No 'arch =' in the configuration: nothing to reconcile.");
                return;
        }
        c->reconciling = true;
        apply_install(c, c->settings.arches, c->settings.n_arches, true, o);
        c->reconciling = false;

        r = binfmt_dir_list(c->dirfd, &names);
        if (r < 0) {
                log_error_errno(r, "Failed to list '%s': %m", c->settings.binfmt_dir);
                o->failed++;
                return;
        }
        for (char **p = names; *p; p++) {
                BinfmtEntry e;

                if (is_desired(&c->settings, *p) || binfmt_dir_read_entry(c->dirfd, *p, &e) < 0 ||
                    emulator_classify(&c->settings, e.interpreter) == SOURCE_FOREIGN)
                        continue;
                remove_one(c, *p, false, o);
        }
}
