/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "build-internal.h"
#include "error-detail.h"
#include "file-util.h"
#include "foreign.h"
#include "log.h"
#include "strv.h"

/* Step bookkeeping: how a failure is reported, history entries, the step cache's keys, a step's
 * directories, and turning its upper directory into a stored layer. */

/* The progress display's hook (builder/progress.h): one event of this platform's build. */
void step_report(Build *b, ProgressEventType type, const char *text, double seconds, uint64_t bytes) {
        ProgressEvent e = { .type = type, .step = b->step, .n_steps = b->n_steps, .text = text, .seconds = seconds,
                            .bytes = bytes };

        progress_report(b->opts->progress, b->index, &e);
}

const char *pf(const Platform *p, char buf[static PLATFORM_STRING_MAX]) {
        return platform_to_string(p, buf);
}

const char *step_quote(const DockerfileInstruction *i, char buf[static INSTRUCTION_QUOTE_MAX + 4]) {
        if (strlen(i->original) <= INSTRUCTION_QUOTE_MAX)
                return i->original;
        snprintf(buf, INSTRUCTION_QUOTE_MAX + 4, "%.*s...", INSTRUCTION_QUOTE_MAX, i->original);
        return buf;
}

int step_fail(Build *b, const DockerfileInstruction *i, int r, const char *format, ...) {
        char buf[PLATFORM_STRING_MAX], q[INSTRUCTION_QUOTE_MAX + 4];
        ErrorDetail err;
        va_list ap;

        va_start(ap, format);
        r = error_detail_setv(&err, r, format, ap);
        va_end(ap);
        log_error("%s:%u: [%s] %s: %s", b->opts->dockerfile_name, i->line, pf(&b->target, buf), step_quote(i, q),
                  err.message);
        return r;
}

void stage_done(Stage *s) {
        free(s->name);
        free(s->layers);
        oci_config_done(&s->config);
        strv_free(s->shell);
        strv_free(s->args);
        *s = (Stage) {};
}

char *step_created_now(const Build *b) {
        time_t t = b->opts->layer.source_date_epoch >= 0 ? (time_t) b->opts->layer.source_date_epoch : time(NULL);
        char buf[64];
        struct tm tm;

        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
        return strdup(buf);
}

int step_add_history(Build *b, Stage *s, const DockerfileInstruction *i, bool empty_layer) {
        OciHistory *t = reallocarray(s->config.history, s->config.n_history + 1, sizeof(*t));

        if (!t)
                return -ENOMEM;
        s->config.history = t;
        t[s->config.n_history] = (OciHistory) {
                .created = step_created_now(b),
                .created_by = strdup(i->original),
                .comment = strdup("archbuild"),
                .empty_layer = empty_layer,
        };
        s->config.n_history++;
        return 0;
}

static int step_append_layer(Build *b, Stage *s, const DockerfileInstruction *i, const StoreLayer *l, const OciDigest *key) {
        StoreLayer *t = reallocarray(s->layers, s->n_layers + 1, sizeof(*t));

        if (!t)
                return -ENOMEM;
        s->layers = t;
        t[s->n_layers++] = *l;
        s->chain = *key;
        return step_add_history(b, s, i, false);
}

int step_hash_strs(OciHasher *h, const char *tag, char *const *l) {
        int r = oci_hasher_update(h, tag, strlen(tag) + 1);
        for (char *const *p = l; r >= 0 && p && *p; p++)
                r = oci_hasher_update(h, *p, strlen(*p) + 1);
        return r < 0 ? r : oci_hasher_update(h, "\n", 1);
}

int step_key_begin(const Build *b, const Stage *s, const char *kind, OciHasher **ret) {
        char buf[PLATFORM_STRING_MAX];
        const char *head[] = { "archbuild-cache-v1", s->chain.str, pf(&s->platform, buf), kind,
                               oci_layer_media_type(b->opts->layer.compression), NULL };
        int r = oci_hasher_new(ret);

        return r < 0 ? r : step_hash_strs(*ret, "head", (char **) head);
}

void step_dirs_done(StepDirs *d) {
        if (d->dir)
                (void) rm_rf(d->dir);
        free(d->dir), free(d->upper), free(d->work), free(d->merged), free(d->from_merged);
        strv_free(d->lowers);
        strv_free(d->from_lowers);
        *d = (StepDirs) {};
}

static int lowers_of(Build *b, const Stage *s, char ***ret) {
        Store *st = b->opts->store;
        char *p = NULL;
        int r;

        /* Oldest first: a layer's hardlinks may name files of the layers below it. */
        for (size_t k = 0; k < s->n_layers; k++) {
                r = store_ensure_layer(st, s->layers, k, NULL, NULL);
                if (r < 0)
                        return r;
        }
        for (size_t k = s->n_layers; k > 0; k--) {
                r = store_layer_path(st, &s->layers[k - 1].diff_id, &p);
                if (r >= 0)
                        r = strv_extend(ret, p);
                free(p);
                if (r < 0)
                        return r;
        }
        if (s->n_layers == 0) {
                if (asprintf(&p, "%s/empty", st->path) < 0)
                        return -ENOMEM;
                r = strv_extend(ret, p);
                free(p);
                return r;
        }
        return 0;
}

int step_dirs_make(Build *b, const Stage *s, const Stage *from, StepDirs *d) {
        int r = store_mkdtemp(b->opts->store, "step", &d->dir);

        if (r < 0)
                return r;
        if (asprintf(&d->upper, "%s/upper", d->dir) < 0 || asprintf(&d->work, "%s/work", d->dir) < 0 ||
            asprintf(&d->merged, "%s/merged", d->dir) < 0 || asprintf(&d->from_merged, "%s/from", d->dir) < 0)
                return -ENOMEM;
        if (mkdir(d->upper, 0755) < 0 || mkdir(d->work, 0700) < 0 || mkdir(d->merged, 0755) < 0 ||
            mkdir(d->from_merged, 0755) < 0)
                return negative_errno();
        r = lowers_of(b, s, &d->lowers);
        if (r >= 0 && from)
                r = lowers_of(b, from, &d->from_lowers);
        return r;
}

static int check_foreign(Build *b, Stage *s, const DockerfileInstruction *i, const char *tree) {
        ForeignElf *l = NULL;
        char a[PLATFORM_STRING_MAX], t[PLATFORM_STRING_MAX], q[INSTRUCTION_QUOTE_MAX + 4];
        int n = foreign_scan_tree(tree, &s->platform, &l);

        if (n <= 0)
                return n;
        for (int k = 0; k < n; k++) {
                const char *what = l[k].unknown ? foreign_elf_what(&l[k]) : pf(&l[k].platform, a);
                if (b->opts->allow_foreign)
                        log_warning("%s:%u: [%s] %s: %s is %s (%s), not %s, continuing (--allow-foreign-binaries)",
                                    b->opts->dockerfile_name, i->line, pf(&b->target, t), step_quote(i, q), l[k].path, what,
                                    l[k].detail, t);
                else
                        log_error("%s:%u: [%s] %s: %s is %s (%s), not %s", b->opts->dockerfile_name, i->line,
                                  pf(&s->platform, t), step_quote(i, q), l[k].path, what, l[k].detail, t);
        }
        foreign_elfs_free(l, (size_t) n);
        if (b->opts->allow_foreign)
                return 0;
        log_error("Step produced %d foreign ELF file%s; use --allow-foreign-binaries to downgrade this to a warning.",
                  n, n == 1 ? "" : "s");
        return -ENOEXEC;
}

/* Turn a finished upper directory into a stored layer, add it to the stage and the cache. */
int step_commit_upper(Build *b, Stage *s, const DockerfileInstruction *i, StepDirs *d, const OciDigest *key) {
        _cleanup_close_ int fd = open(d->upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        LayerWriteResult res;
        StoreLayer l = {};
        int r;

        if (fd < 0)
                return negative_errno();
        r = check_foreign(b, s, i, d->upper);
        if (r < 0)
                return r;
        r = layer_write_tree(fd, &b->opts->layer, b->opts->store->layout, &res);
        if (r < 0)
                return step_fail(b, i, r, "Failed to write the layer: %m");
        step_report(b, PROGRESS_WRITTEN, NULL, 0, res.size);
        l.digest = res.digest;
        l.diff_id = res.diff_id;
        l.size = res.size;
        snprintf(l.media_type, sizeof(l.media_type), "%s", res.media_type);
        r = store_adopt_layer(b->opts->store, d->upper, &l.diff_id);
        if (r < 0)
                return step_fail(b, i, r, "Failed to store the layer: %m");
        (void) store_cache_put(b->opts->store, key, &l, false);
        return step_append_layer(b, s, i, &l, key);
}

bool step_cache_hit(Build *b, Stage *s, const DockerfileInstruction *i, const OciDigest *key) {
        StoreLayer l;
        bool empty;

        if (b->opts->no_cache || store_cache_get(b->opts->store, key, &l, &empty) < 0 || empty)
                return false;
        return step_append_layer(b, s, i, &l, key) >= 0;
}

