/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading the instance: the JSON tonistiigi/binfmt prints (what buildx setups parse) and the status
 * table. Probe results come from running each architecture's probe program through whatever entry
 * the kernel would pick for it (the newest matching one), or natively for the host's family. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "binfmt-dir.h"
#include "binfmt.h"
#include "log.h"
#include "macro.h"
#include "platform.h"

typedef struct Row {
        BinfmtEntry entry;
        unsigned long long order;
        ProbeResult probe;
} Row;

typedef struct Rows {
        Row *rows;
        size_t n;
        ProbeResult target_probe[64]; /* per binfmt_target_table row */
} Rows;

static void rows_free(Rows *r) {
        free(r->rows);
}

/* order: position in the directory, which lists the newest entry first. */
static int compare_newest_first(const void *a, const void *b) {
        const Row *x = a, *y = b;

        return x->order < y->order ? -1 : x->order > y->order ? 1 : 0;
}

static int rows_load(Context *c, Rows *ret) {
        _cleanup_(binfmt_names_freep) char **names = NULL;
        int n, r;

        n = binfmt_dir_list(c->dirfd, &names);
        if (n < 0)
                return log_error_errno(n, "Failed to list '%s': %m", c->settings.binfmt_dir);
        ret->rows = calloc((size_t) n + 1, sizeof(Row));
        if (!ret->rows)
                return log_oom();
        for (char **p = names; *p; p++) {
                Row *row = &ret->rows[ret->n];

                r = binfmt_dir_read_entry(c->dirfd, *p, &row->entry);
                if (r < 0) {
                        log_warning_errno(r, "Failed to read %s/%s, ignoring: %m", c->settings.binfmt_dir, *p);
                        continue;
                }
                row->order = (unsigned long long) (p - names); /* newest first */
                row->probe = PROBE_NONE;
                ret->n++;
        }
        qsort(ret->rows, ret->n, sizeof(Row), compare_newest_first);
        return 0;
}

/* The row the kernel would hand this program to (newest enabled match), or NULL. */
static Row *rows_handler(Rows *rows, const unsigned char *elf, size_t size) {
        for (size_t i = 0; i < rows->n; i++)
                if (binfmt_entry_matches(&rows->rows[i].entry, elf, size, NULL))
                        return &rows->rows[i];
        return NULL;
}

static ProbeResult merge(ProbeResult a, ProbeResult b) {
        if (a == PROBE_NONE)
                return b;
        return a == PROBE_OK ? b : a;
}

/* Probe every architecture that something (an entry, or the host itself) should run. */
static void rows_probe(Context *c, Rows *rows) {
        const BinfmtTarget *targets[64];
        Row *handlers[64];
        ProbeResult results[64];
        size_t n = 0;

        for (size_t i = 0; i < binfmt_target_table_size && i < ELEMENTSOF(rows->target_probe); i++) {
                const BinfmtTarget *t = &binfmt_target_table[i];
                const unsigned char *elf;
                size_t size;
                Row *h;

                rows->target_probe[i] = PROBE_NONE;
                elf = probe_program(t, &size);
                if (!elf)
                        continue;
                h = rows_handler(rows, elf, size);
                if (!h && !binfmt_target_is_native(t, c->host_machine, false)) /* host family: runs natively */
                        continue;
                handlers[n] = h;
                targets[n++] = t;
        }
        if (!c->probe || probe_run_cached(c, targets, n, results) < 0)
                return;
        for (size_t i = 0; i < n; i++) {
                rows->target_probe[targets[i] - binfmt_target_table] = results[i];
                if (handlers[i])
                        handlers[i]->probe = merge(handlers[i]->probe, results[i]);
        }
}

static void json_string(const char *s) {
        putchar('"');
        for (; *s; s++) {
                unsigned char ch = (unsigned char) *s;

                if (ch == '"' || ch == '\\')
                        printf("\\%c", ch);
                else if (ch < 0x20)
                        printf("\\u%04x", ch);
                else
                        putchar(ch);
        }
        putchar('"');
}

/* Names for the JSON lists: platforms and entry names, in first-seen order, without duplicates. */
typedef struct NameList {
        char items[128][BINFMT_NAME_MAX + 1];
        size_t n;
} NameList;

static void names_add(NameList *l, const char *s) {
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->items[i], s))
                        return;
        if (l->n < ELEMENTSOF(l->items))
                snprintf(l->items[l->n++], sizeof(l->items[0]), "%s", s);
}

/* Go's json.MarshalIndent(v, "", "  ") layout, which tonistiigi/binfmt prints. */
static void json_list(const char *key, const NameList *l, bool last) {
        printf("  \"%s\": [", key);
        for (size_t i = 0; i < l->n; i++) {
                printf(i ? ",\n    " : "\n    ");
                json_string(l->items[i]);
        }
        printf(l->n ? "\n  ]%s\n" : "]%s\n", last ? "" : ",");
}

static void add_platforms_of(NameList *l, const BinfmtTarget *t) {
        char buf[PLATFORM_STRING_MAX];

        for (unsigned j = 0; j < platform_table_size; j++) {
                Platform p;

                if (!platform_table[j].qemu_target || !streq(platform_table[j].qemu_target, t->emulator))
                        continue;
                platform_from_info(&platform_table[j], &p);
                names_add(l, platform_to_string(&p, buf));
        }
}

/* For one table row: the entries matching its probe program, newest first; [0] is the one the
 * kernel uses (binfmt_misc takes the most recently registered enabled match), the rest are shadowed. */
static size_t target_matches(const Rows *rows, const BinfmtTarget *t, const Row **ret, size_t max) {
        const unsigned char *elf;
        size_t size, n = 0;

        elf = probe_program(t, &size);
        for (size_t i = 0; elf && i < rows->n && n < max; i++)
                if (binfmt_entry_matches(&rows->rows[i].entry, elf, size, NULL))
                        ret[n++] = &rows->rows[i];
        return n;
}

static const char *target_platform(const BinfmtTarget *t, char buf[static PLATFORM_STRING_MAX]) {
        Platform p;

        return platform_parse(t->emulator, &p) < 0 ? t->name : platform_to_string(&p, buf);
}

static const char *owner_of(const Context *c, const BinfmtEntry *e, char buf[static 32]) {
        EmulatorSource src = emulator_classify(&c->settings, e->interpreter);

        snprintf(buf, 32, src == SOURCE_FOREIGN ? "foreign" : "archway:%s", emulator_source_to_string(src));
        return buf;
}

/* "handlers": per platform that an entry handles, the entry the kernel uses and those it shadows. */
static void json_handlers(const Context *c, const Rows *rows) {
        bool first = true;

        printf("  \"handlers\": {");
        for (size_t i = 0; i < binfmt_target_table_size; i++) {
                const Row *m[16];
                char plat[PLATFORM_STRING_MAX], owner[32];
                size_t n = target_matches(rows, &binfmt_target_table[i], m, ELEMENTSOF(m));

                if (n == 0)
                        continue;
                printf(first ? "\n    " : ",\n    ");
                first = false;
                json_string(target_platform(&binfmt_target_table[i], plat));
                printf(": {\n      \"entry\": ");
                json_string(m[0]->entry.name);
                printf(",\n      \"interpreter\": ");
                json_string(m[0]->entry.interpreter);
                printf(",\n      \"owner\": ");
                json_string(owner_of(c, &m[0]->entry, owner));
                printf(",\n      \"shadowed\": [");
                for (size_t k = 1; k < n; k++) {
                        printf(k > 1 ? ", " : "");
                        json_string(m[k]->entry.name);
                }
                printf("]\n    }");
        }
        printf(first ? "},\n" : "\n  },\n");
}

/* The same as a table under the status listing. */
static void print_handlers(const Context *c, const Rows *rows) {
        bool header = false;

        for (size_t i = 0; i < binfmt_target_table_size; i++) {
                const Row *m[16];
                char plat[PLATFORM_STRING_MAX], owner[32];
                size_t n = target_matches(rows, &binfmt_target_table[i], m, ELEMENTSOF(m));

                if (n == 0)
                        continue;
                if (!header)
                        printf("\n%-16s %-24s %-16s %s\n", "PLATFORM", "KERNEL USES", "OWNER", "SHADOWED");
                header = true;
                printf("%-16s %-24s %-16s", target_platform(&binfmt_target_table[i], plat), m[0]->entry.name,
                       owner_of(c, &m[0]->entry, owner));
                for (size_t k = 1; k < n; k++)
                        printf("%s%s (%s)", k > 1 ? ", " : " ", m[k]->entry.name, owner_of(c, &m[k]->entry, owner));
                printf("%s\n", n > 1 ? "" : " -");
        }
}

/* Our entries whose interpreter is not the one the configuration names, for the JSON's extra key. */
static void json_fallbacks(Context *c, const Rows *rows) {
        char want[sizeof(rows->rows->entry.interpreter) + 64];
        bool first = true;

        printf("  \"fallback\": [");
        for (size_t i = rows->n; i > 0; i--) { /* oldest first, like "emulators" */
                const BinfmtEntry *e = &rows->rows[i - 1].entry;
                const BinfmtTarget *t = our_entry_target(e->name);

                if (!t || emulator_classify(&c->settings, e->interpreter) == SOURCE_FOREIGN ||
                    !emulator_is_fallback(&c->settings, t, e->interpreter) ||
                    emulator_preferred(&c->settings, t, want, sizeof(want)) < 0)
                        continue;
                printf("%s\n    {\n      \"name\": ", first ? "" : ",");
                json_string(e->name);
                printf(",\n      \"interpreter\": ");
                json_string(e->interpreter);
                printf(",\n      \"configured\": ");
                json_string(want);
                printf("\n    }");
                first = false;
        }
        printf(first ? "]\n" : "\n  ]\n");
}

int report_json(Context *c) {
        _cleanup_free_ NameList *supported = calloc(1, sizeof(NameList)), *emulators = calloc(1, sizeof(NameList));
        _cleanup_(rows_free) Rows rows = {};
        char buf[PLATFORM_STRING_MAX];
        Platform host;
        int r;

        if (!supported || !emulators)
                return log_oom();
        r = rows_load(c, &rows);
        if (r < 0)
                return r;
        rows_probe(c, &rows);

        if (platform_host(&host) >= 0)
                names_add(supported, platform_to_string(&host, buf));
        for (size_t i = 0; i < binfmt_target_table_size && i < ELEMENTSOF(rows.target_probe); i++)
                if (rows.target_probe[i] == PROBE_OK)
                        add_platforms_of(supported, &binfmt_target_table[i]);
        for (size_t i = rows.n; i > 0; i--) /* oldest first, like a directory listing */
                if (rows.rows[i - 1].entry.enabled)
                        names_add(emulators, rows.rows[i - 1].entry.name);

        /* tonistiigi/binfmt's two keys first and unchanged; "fallback" is ours (an extra key). */
        printf("{\n");
        json_list("supported", supported, false);
        json_list("emulators", emulators, false);
        json_handlers(c, &rows);
        json_fallbacks(c, &rows);
        printf("}\n");
        return 0;
}

/* The table row an entry serves: by its qemu-<target> name, else (a foreign entry may carry any name)
 * by which probe program it matches. NULL when neither tells. */
static const BinfmtTarget *target_of(const BinfmtEntry *e) {
        const BinfmtTarget *t = our_entry_target(e->name);

        for (size_t i = 0; !t && i < binfmt_target_table_size; i++) {
                size_t size;
                const unsigned char *elf = probe_program(&binfmt_target_table[i], &size);

                if (elf && binfmt_entry_matches(e, elf, size, NULL))
                        t = &binfmt_target_table[i];
        }
        return t;
}

static const char *platform_of(const BinfmtTarget *t, char buf[static PLATFORM_STRING_MAX]) {
        Platform p;

        if (!t)
                return "-";
        if (platform_parse(t->emulator, &p) < 0)
                return t->name;
        return platform_to_string(&p, buf);
}

/* Whether the kernel would hand t's programs to this row: it is the first enabled match, in the
 * kernel's order (newest first), of t's probe program. */
static bool row_is_used(Rows *rows, const Row *row, const BinfmtTarget *t) {
        const unsigned char *elf;
        size_t size;

        if (!t || !(elf = probe_program(t, &size)))
                return false;
        return rows_handler(rows, elf, size) == row;
}

static void print_emulator_sources(const Context *c) {
        const char *env = getenv("ARCHWAY_QEMU_DIR");
        const char *dir = !isempty(c->settings.qemu_dir) ? c->settings.qemu_dir : !isempty(env) ? env : NULL;
        struct stat st;

        printf("emulator: %s; search order: ", emulator_mode_to_string(c->settings.emulator));
        if (c->settings.emulator == EMULATOR_SHIM)
                printf("shim %s%s\n", c->settings.shim_path, access(c->settings.shim_path, X_OK) ? " (absent)" : "");
        else if (c->settings.emulator == EMULATOR_DEBIAN)
                printf("debian /usr/bin/qemu-*-static\n");
        else
                printf("qemu-dir %s%s, archway %s%s%s\n", dir ? dir : "(unset)",
                       dir && stat(dir, &st) < 0 ? " (absent)" : "", QEMU_ARCHWAY_DIR,
                       stat(QEMU_ARCHWAY_DIR, &st) < 0 ? " (absent)" : "",
                       c->settings.emulator != EMULATOR_ARCHWAY ? ", debian /usr/bin/qemu-*-static" : "");
}

/* EMULATOR column: "configured" for our entries that use what the configuration names, "fallback" for
 * our entries that use something else (Debian's QEMU instead of ours, the standalone shim instead of
 * the linked one), "-" for others' entries. */
static const char *emulator_state(const Context *c, const BinfmtEntry *e, const BinfmtTarget *t, EmulatorSource src) {
        if (src == SOURCE_FOREIGN || !t || !strneq(e->name, "qemu-", 5))
                return "-";
        return emulator_is_fallback(&c->settings, t, e->interpreter) ? "fallback" : "configured";
}

int report_status(Context *c) {
        _cleanup_(rows_free) Rows rows = {};
        int r, enabled;

        r = rows_load(c, &rows);
        if (r < 0)
                return r;
        rows_probe(c, &rows);

        enabled = binfmt_dir_is_enabled(c->dirfd);
        printf("binfmt_misc: %s (%s)\n", c->settings.binfmt_dir, enabled > 0 ? "enabled" : enabled == 0 ? "DISABLED" : "unknown");
        print_emulator_sources(c);
        printf("entries in the kernel's match order (newest first); * marks the one the kernel uses for its platform\n");
        printf("\n  %-16s %-7s %-14s %-40s %-5s %-16s %-10s %s\n", "NAME", "ENABLED", "PLATFORM", "INTERPRETER", "FLAGS",
               "OWNER", "EMULATOR", "PROBE");
        for (size_t i = 0; i < rows.n; i++) {
                const Row *row = &rows.rows[i];
                const BinfmtTarget *t = target_of(&row->entry);
                EmulatorSource src = emulator_classify(&c->settings, row->entry.interpreter);
                char platform[PLATFORM_STRING_MAX], flags[5], owner[32];

                snprintf(owner, sizeof(owner), src == SOURCE_FOREIGN ? "foreign" : "archway:%s", emulator_source_to_string(src));
                printf("%c %-16s %-7s %-14s %-40s %-5s %-16s %-10s %s\n", row_is_used(&rows, row, t) ? '*' : ' ',
                       row->entry.name, row->entry.enabled ? "yes" : "no", platform_of(t, platform), row->entry.interpreter,
                       isempty(binfmt_flags_to_string(row->entry.flags, flags)) ? "-" : flags, owner,
                       emulator_state(c, &row->entry, t, src), c->probe ? probe_result_to_string(row->probe) : "-");
        }
        print_handlers(c, &rows);
        return 0;
}
