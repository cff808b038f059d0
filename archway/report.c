/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `archway accel report LOG`: what ran native in a build, from the file ARCHWAY_ACCEL_LOG named
 * (lib/accel-report.h has the format and does the counting). */

#include <errno.h>
#include <stdlib.h>

#include "accel-report.h"
#include "file-util.h"
#include "macro.h"
#include "report.h"

#define REPORT_LOG_MAX (256u * 1024 * 1024)

static double percent(size_t part, size_t whole) {
        return whole ? 100.0 * (double) part / (double) whole : 0.0;
}

int accel_report(const char *path, FILE *out) {
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ AccelReport *r = calloc(1, sizeof(AccelReport));
        size_t n;
        int k;

        if (!r)
                return -ENOMEM;
        k = read_file(path, REPORT_LOG_MAX, &text, &n);
        if (k < 0)
                return k;
        accel_report_parse(r, text, n);
        fprintf(out, "%s: %zu of %zu runs of routed tools twinned (%.1f %%)\n", path, r->twinned,
                r->twinned + r->emulated, percent(r->twinned, r->twinned + r->emulated));
        fprintf(out, "compiler drivers: %zu of %zu twinned (%.1f %%)\n", r->drivers_twinned, r->drivers,
                percent(r->drivers_twinned, r->drivers));
        for (size_t i = 0; i < r->n_tools; i++)
                fprintf(out, "  tool %-24s %zu\n", r->tools[i].key, r->tools[i].n);
        for (size_t i = 0; i < r->n_reasons; i++)
                fprintf(out, "  emulated because %-40s %zu\n", r->reasons[i].key, r->reasons[i].n);
        if (r->n_unrouted_runs)
                fprintf(out, "emulated without a twin: %zu runs\n", r->n_unrouted_runs);
        for (size_t i = 0; i < r->n_unrouted; i++)
                fprintf(out, "  no twin %-24s %zu\n", r->unrouted[i].key, r->unrouted[i].n);
        if (r->malformed)
                fprintf(out, "  (%zu lines not understood)\n", r->malformed);
        return 0;
}
