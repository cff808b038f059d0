/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The binfmt program's own modules: settings (config file + command line), emulator resolution and
 * ownership, probes, and the verbs. Shared lib/ code lives in lib/binfmt-*.h. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "binfmt-entry.h"
#include "binfmt-table.h"
#include "qemu-locate.h"

#define CONFIG_FILE_DEFAULT ARCHWAY_SYSCONFDIR "/archway/binfmt.conf"
#define CONFIG_DIR_DEFAULT ARCHWAY_SYSCONFDIR "/archway/binfmt.d"
#define SHIM_PATH_DEFAULT ARCHWAY_LIBEXECDIR "/archshim"
#define ARCHES_MAX 64
/* Our entry for target T is named qemu-T, or qemu-T-archway when another tool holds qemu-T. */
#define ARCHWAY_NAME_SUFFIX "-archway"

/* Exit codes of the binfmt command (also in binfmt(1)). */
enum {
        EXIT_OK = 0,
        EXIT_FAILED = 1,      /* an operation failed (I/O, kernel refused) */
        EXIT_USAGE = 2,       /* bad command line or configuration */
        EXIT_NOT_WORKING = 3, /* something requested is not registered and working (probe failed) */
        EXIT_PRIVILEGE = 4,   /* missing CAP_SYS_ADMIN over the binfmt_misc instance */
};

/* Where an interpreter comes from, as status reports it. */
typedef enum EmulatorSource {
        SOURCE_QEMU_DIR, /* --qemu-dir, qemu-dir= or $ARCHWAY_QEMU_DIR */
        SOURCE_ARCHWAY,  /* ARCHWAY_LIBEXECDIR/qemu: our installed build */
        SOURCE_DEBIAN,   /* /usr/bin/qemu-*-static */
        SOURCE_SHIM,
        SOURCE_FOREIGN,  /* somebody else's */
        _SOURCE_MAX,
} EmulatorSource;

typedef struct ArchSetting {
        const BinfmtTarget *target;
        BinfmtFlags flags;
        bool flags_set;
        bool implicit;         /* from "arch = installed": the host's family is skipped quietly */
} ArchSetting;

typedef struct Settings {
        char binfmt_dir[4096];
        char qemu_dir[4096];   /* "" unless set */
        char shim_path[4096];
        EmulatorMode emulator;  /* auto means qemu here: registrations are plain QEMU unless the shim is asked for */
        BinfmtFlags flags;
        bool flags_set;
        ArchSetting arches[ARCHES_MAX];
        size_t n_arches;
        bool have_arches;      /* an "arch =" line was seen: reconcile may prune */
        bool arch_installed;   /* "arch = installed": settings_expand_installed() adds the rows */
        BinfmtFlags installed_flags;
        bool installed_flags_set;
} Settings;

/* config.c: pure parsing */
void settings_init(Settings *s);
/* Parse one configuration file's text into s (later lines and files override earlier ones).
 * Returns 0, or -EINVAL with *ret_line set to the offending line. */
int config_parse(const char *text, size_t len, Settings *s, unsigned *ret_line);
/* Resolve an architecture as users write it (QEMU target, docker platform, alias) to table rows.
 * Returns the count (>= 1), or -EINVAL when unknown. */
int arch_resolve(const char *name, const BinfmtTarget **ret, size_t max);
/* Add the rows of name to s with flags (flags_set false: the default). Returns 0 or -EINVAL/-E2BIG. */
int settings_add_arch(Settings *s, const char *name, BinfmtFlags flags, bool flags_set);
const char *emulator_source_to_string(EmulatorSource s);
/* Read the default configuration (CONFIG_FILE_DEFAULT, then CONFIG_DIR_DEFAULT/\*.conf in order), or
 * path (a file or such a directory). Missing defaults are fine; a missing path is -ENOENT. Logs. */
int config_load(const char *path, Settings *s);
/* "arch = installed": add every target the QEMU manifest in dir lists (rows already configured keep
 * their settings). Logs and returns -errno when there is no readable manifest; 0 when not asked. */
int settings_expand_installed(Settings *s, const char *dir);

/* emulator.c */
typedef struct Emulator {
        char path[4096];
        EmulatorSource source;
} Emulator;
/* Find the interpreter for target t per s. Returns 0 or -ENOENT. */
int emulator_resolve(const Settings *s, const BinfmtTarget *t, Emulator *ret);
/* The interpreter the configuration names first for t (qemu-dir, else our installed QEMU; Debian's
 * with emulator = debian; the linked shim beside the shim with emulator = shim), whether or not it
 * exists. Returns 0 or -ENAMETOOLONG. */
int emulator_preferred(const Settings *s, const BinfmtTarget *t, char *buf, size_t size);
/* Whether interpreter is a fallback for t: anything but emulator_preferred(). */
bool emulator_is_fallback(const Settings *s, const BinfmtTarget *t, const char *interpreter);
/* Classify an interpreter path: ours (and from where), or SOURCE_FOREIGN. */
EmulatorSource emulator_classify(const Settings *s, const char *interpreter);
/* Whether the interpreter handles P (preserve argv0): archshim does, QEMU >= 6.1 does on Linux >=
 * 5.12 (AT_FLAGS_PRESERVE_ARGV0). Runs "interpreter --version" at most once per directory per cache. */
typedef struct VersionCache {
        char dir[8][4096];
        bool supports[8];
        size_t n;
} VersionCache;
bool emulator_supports_preserve_argv0(const Emulator *e, VersionCache *cache);
/* Check the interpreter can be registered: a regular executable file, and static when F is set (a
 * dynamic one cannot load its libraries inside a container's root). Returns 0, -EACCES, -ENOEXEC
 * (dynamic), or -errno. */
int emulator_check(const char *path, BinfmtFlags flags);

/* probe.c */
typedef enum ProbeResult {
        PROBE_NONE,     /* no probe program for this target */
        PROBE_OK,       /* ran and exited with the expected status */
        PROBE_NOEXEC,   /* the kernel found no handler (ENOEXEC) */
        PROBE_FAILED,   /* a handler ran but the program did not exit as expected */
        PROBE_TIMEOUT,  /* it used up its CPU limit, or outlived the wall-clock backstop (lib/binfmt-probe.h) */
        PROBE_ERROR,    /* could not even try (temporary directory, fork) */
        _PROBE_MAX,
} ProbeResult;
const char *probe_result_to_string(ProbeResult r);
/* The probe program for table row t, or NULL. */
const unsigned char *probe_program(const BinfmtTarget *t, size_t *ret_size);
/* Run the probes of targets[0..n) in parallel from an empty directory; results[i] for targets[i].
 * Returns 0 or -errno when nothing could run (results are PROBE_ERROR then). */
int probe_run(const BinfmtTarget *const *targets, size_t n, ProbeResult *results);
/* probe_run() through the run's cache in c (see Context.probed). */
struct Context;
int probe_run_cached(struct Context *c, const BinfmtTarget *const *targets, size_t n, ProbeResult *results);

/* notify.c: systemd integration (no-ops when not run by systemd) */
void notify_status(const char *status);
void notify_ready(const char *status);
void journal_entry_changed(const char *action, const BinfmtEntry *e);

/* privilege.c */
/* Check that this process may write to the instance at dirfd: CAP_SYS_ADMIN (libcap) in a user
 * namespace that owns it. Logs what is missing. Returns 0 or -EPERM. */
int privilege_check(int dirfd, const char *dir);

/* What one run works with: settings, the open instance, and the host. Passed down, never global. */
typedef struct Context {
        Settings settings;
        int dirfd;               /* the binfmt_misc instance, or -EBADF before it is opened */
        char host_machine[65];   /* uname -m */
        bool force;              /* touch foreign entries; allow the host's family (not its own arch) */
        bool probe;              /* run probes after changes (default) */
        bool reconciling;        /* apply_reconcile() is running: a missing emulator is "not working" */
        VersionCache versions;
        /* Probe results of this run, by binfmt_target_table index, so one run probes a target once. */
        signed char probed[64];  /* ProbeResult + 1; 0: not probed yet */
} Context;

/* Counters a verb fills; main() turns them into the exit code. */
typedef struct Outcome {
        unsigned failed;       /* requested and not done */
        unsigned not_working;  /* registered but the probe failed */
        unsigned changed;
} Outcome;

/* apply.c */
/* The entry target t would get under the settings (emulator, flags). Logs why not. Returns 0, -ENOENT
 * (no emulator), -EPERM (native arch refused), or another -errno. explicit_request: log at error level. */
int desired_entry(Context *c, const ArchSetting *a, bool explicit_request, BinfmtEntry *ret);
/* Register arches[0..n); explicit: requested by name (errors count), else "all" (skips quietly). */
void apply_install(Context *c, const ArchSetting *arches, size_t n, bool explicit_request, Outcome *o);
/* Remove entries matching each comma-separated pattern: a glob, a name, or an architecture. */
void apply_uninstall(Context *c, const char *patterns, Outcome *o);
/* The table row of one of our entry names (qemu-T or qemu-T-archway), or NULL. */
const BinfmtTarget *our_entry_target(const char *name);
/* Apply the configured set; remove our entries that are not in it. */
void apply_reconcile(Context *c, Outcome *o);

/* report.c */
/* tonistiigi/binfmt's output: {"supported": [...], "emulators": [...]}. */
int report_json(Context *c);

/* The "supported" list as BuildKit's archutil (and so tonistiigi/binfmt) writes it: host_string (the
 * host platform, e.g. "linux/amd64") first, the amd64 levels this CPU has, then each platform whose
 * target probe (indexed like binfmt_target_table) is PROBE_OK, in archutil's order (archutil.c).
 * Writes at most max static strings (and host_string) to ret; returns how many. */
size_t archutil_supported(const Platform *host, const char *host_string, const ProbeResult *target_probe,
                          size_t n_probe, const char **ret, size_t max);
/* The human table. */
int report_status(Context *c);

/* doctor.c */
int doctor(Context *c, const char *file, const char *root, Outcome *o);

/* export.c */
int export_binfmt_d(Context *c, const char *dir, const ArchSetting *arches, size_t n, Outcome *o);
