/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Counting archshim's ARCHWAY_ACCEL_LOG lines (accel-report.h). */
#include <stdio.h>
#include <string.h>

#include "accel-report.h"
#include "macro.h"

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif

bool accel_report_is_driver(const char *name) {
        static const char *const drivers[] = { "gcc", "cc", "c89", "c99", "g++", "c++", "cpp" };
        const char *dash = strrchr(name, '-'), *word;
        size_t len = strlen(name);
        char base[64];

        /* gcc-12, aarch64-linux-gnu-gcc-12: without the version suffix ... */
        if (dash && dash[1] >= '0' && dash[1] <= '9')
                len = (size_t) (dash - name);
        if (len >= sizeof(base))
                return false;
        memcpy(base, name, len);
        base[len] = 0;
        /* ... and after the triple (aarch64-linux-gnu-gcc, what debhelper passes as CC) */
        word = strrchr(base, '-') ? strrchr(base, '-') + 1 : base;
        for (size_t i = 0; i < ELEMENTSOF(drivers); i++)
                if (streq(word, drivers[i]))
                        return true;
        return false;
}

static void tally(AccelTally *t, size_t *n, const char *key, size_t len) {
        size_t max = sizeof(t->key) - 1;

        for (size_t i = 0; i < *n; i++)
                if (strlen(t[i].key) == MIN(len, max) && strneq(t[i].key, key, MIN(len, max))) {
                        t[i].n++;
                        return;
                }
        if (*n == ACCEL_REPORT_KEYS_MAX) {
                t[ACCEL_REPORT_KEYS_MAX - 1].n++;
                return;
        }
        snprintf(t[*n].key, sizeof(t[*n].key), "%.*s", (int) MIN(len, max), key);
        t[(*n)++].n = 1;
}

/* One line: "twinned|emulated TAB path TAB rest". */
static void parse_line(AccelReport *r, const char *l, size_t n) {
        const char *end = l + n, *path = memchr(l, '\t', n), *third, *name;
        bool twinned;

        if (!path || !(third = memchr(path + 1, '\t', (size_t) (end - path - 1)))) {
                r->malformed++;
                return;
        }
        twinned = (size_t) (path - l) == 7 && strneq(l, "twinned", 7);
        if (!twinned && !((size_t) (path - l) == 8 && strneq(l, "emulated", 8))) {
                r->malformed++;
                return;
        }
        path++;
        for (name = third; name > path && name[-1] != '/'; name--)
                ;
        if (!twinned && (size_t) (end - third - 1) == 7 && strneq(third + 1, "no-rule", 7)) {
                tally(r->unrouted, &r->n_unrouted, name, (size_t) (third - name));
                r->n_unrouted_runs++;
                return;
        }
        tally(r->tools, &r->n_tools, name, (size_t) (third - name));
        if (twinned)
                r->twinned++;
        else {
                r->emulated++;
                tally(r->reasons, &r->n_reasons, third + 1, (size_t) (end - third - 1));
        }
        char base[128];
        snprintf(base, sizeof(base), "%.*s", (int) MIN((size_t) (third - name), sizeof(base) - 1), name);
        if (accel_report_is_driver(base)) {
                r->drivers++;
                r->drivers_twinned += twinned;
        }
}

void accel_report_parse(AccelReport *r, const char *text, size_t len) {
        for (size_t i = 0; i < len;) {
                const char *nl = memchr(text + i, '\n', len - i);
                size_t n = nl ? (size_t) (nl - (text + i)) : len - i;
                if (n > 0)
                        parse_line(r, text + i, n);
                i += n + 1;
        }
}
