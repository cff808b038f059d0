/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `archway accel report LOG`: what ran native in a build. archshim appends one line per program a
 * routing rule was about to ARCHWAY_ACCEL_LOG (shim/shim.c, accel_log()):
 *
 *   twinned<TAB>PATH<TAB>EXEC
 *   emulated<TAB>PATH<TAB>WHY WHAT        e.g. "unless-arg -march=native", "unless-env-dir LIBRARY_PATH"
 *
 * The report counts them per tool (the basename of PATH) and per reason, and singles out the
 * compiler drivers, the number the benchmark's goal is stated in. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file-util.h"
#include "macro.h"
#include "report.h"

#define REPORT_KEYS_MAX 64
#define REPORT_LOG_MAX (256u * 1024 * 1024)

typedef struct Tally {
        char key[128];
        size_t n;
} Tally;

typedef struct Report {
        Tally tools[REPORT_KEYS_MAX], reasons[REPORT_KEYS_MAX];
        size_t n_tools, n_reasons;
        size_t twinned, emulated, drivers, drivers_twinned, malformed;
} Report;

/* Compiler drivers, by the name the build runs them under (Debian's alternatives and versions). */
static bool is_driver(const char *name) {
        static const char *const drivers[] = { "gcc", "cc", "c89", "c99", "g++", "c++", "cpp" };
        char base[64];
        const char *dash = strrchr(name, '-');

        for (size_t i = 0; i < ELEMENTSOF(drivers); i++)
                if (streq(name, drivers[i]))
                        return true;
        /* aarch64-linux-gnu-gcc-12, gcc-12: the part before a version suffix, after a triple. */
        if (dash && dash[1] >= '0' && dash[1] <= '9' && (size_t) (dash - name) < sizeof(base)) {
                memcpy(base, name, (size_t) (dash - name));
                base[dash - name] = 0;
                name = strrchr(base, '-') ? strrchr(base, '-') + 1 : base;
                for (size_t i = 0; i < ELEMENTSOF(drivers); i++)
                        if (streq(name, drivers[i]))
                                return true;
        }
        return false;
}

static void tally(Tally *t, size_t *n, const char *key, size_t len) {
        for (size_t i = 0; i < *n; i++)
                if (strlen(t[i].key) == len && strneq(t[i].key, key, len)) {
                        t[i].n++;
                        return;
                }
        if (*n == REPORT_KEYS_MAX) /* the last slot takes the rest */
                return (void) t[REPORT_KEYS_MAX - 1].n++;
        snprintf(t[*n].key, sizeof(t[*n].key), "%.*s", (int) (len < sizeof(t[*n].key) ? len : sizeof(t[*n].key) - 1), key);
        t[(*n)++].n = 1;
}

static void report_line(Report *r, char *line) {
        char *path = strchr(line, '\t'), *third, *name;
        bool twinned;

        if (!path || !(third = strchr(path + 1, '\t')))
                return (void) r->malformed++;
        *path++ = 0;
        *third++ = 0;
        twinned = streq(line, "twinned");
        if (!twinned && !streq(line, "emulated"))
                return (void) r->malformed++;
        name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        tally(r->tools, &r->n_tools, name, strlen(name));
        twinned ? r->twinned++ : r->emulated++;
        if (is_driver(name)) {
                r->drivers++;
                r->drivers_twinned += twinned;
        }
        if (!twinned)
                tally(r->reasons, &r->n_reasons, third, strcspn(third, "\n"));
}

static double percent(size_t part, size_t whole) {
        return whole ? 100.0 * (double) part / (double) whole : 0.0;
}

int accel_report(const char *path, FILE *out) {
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ Report *r = calloc(1, sizeof(Report));
        char *save = NULL;
        size_t n;
        int k;

        if (!r)
                return -ENOMEM;
        k = read_file(path, REPORT_LOG_MAX, &text, &n);
        if (k < 0)
                return k;
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                report_line(r, l);
        fprintf(out, "%s: %zu of %zu runs of routed tools twinned (%.1f %%)\n", path, r->twinned,
                r->twinned + r->emulated, percent(r->twinned, r->twinned + r->emulated));
        fprintf(out, "compiler drivers: %zu of %zu twinned (%.1f %%)\n", r->drivers_twinned, r->drivers,
                percent(r->drivers_twinned, r->drivers));
        for (size_t i = 0; i < r->n_tools; i++)
                fprintf(out, "  tool %-24s %zu\n", r->tools[i].key, r->tools[i].n);
        for (size_t i = 0; i < r->n_reasons; i++)
                fprintf(out, "  emulated because %-40s %zu\n", r->reasons[i].key, r->reasons[i].n);
        if (r->malformed)
                fprintf(out, "  (%zu lines not understood)\n", r->malformed);
        return 0;
}
