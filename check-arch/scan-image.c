/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "binfmt-dir.h"
#include "check-isa.h"
#include "fs-model.h"
#include "scan-image.h"
#include "scan-internal.h"
#include "strv.h"

/* The nested indexes buildx writes are one level deep; allow a little more, never a cycle. */
#define INDEX_DEPTH_MAX 4

static const char * const check_names[_CHECK_MAX] = {
        [CHECK_INDEX] = "index",
        [CHECK_CONFIG] = "config",
        [CHECK_ENTRYPOINT] = "entrypoint",
        [CHECK_DEEP_SCAN] = "deep_scan",
        [CHECK_LOADERS] = "loaders",
        [CHECK_ISA] = "isa",
        [CHECK_HOST] = "host",
};

static const char * const state_names[_CHECK_STATE_MAX] = {
        [CHECK_NOT_RUN] = "not-run",
        [CHECK_OK] = "ok",
        [CHECK_FAIL] = "fail",
        [CHECK_SKIPPED] = "skipped",
        [CHECK_INFO] = "info",
};

const char *check_id_to_string(CheckId c) {
        return c >= 0 && c < _CHECK_MAX ? check_names[c] : NULL;
}

const char *check_state_to_string(CheckState s) {
        return s >= 0 && s < _CHECK_STATE_MAX ? state_names[s] : NULL;
}

bool platform_result_ok(const PlatformResult *p) {
        for (int c = 0; c < _CHECK_MAX; c++)
                if (p->state[c] == CHECK_FAIL)
                        return false;
        return true;
}

/* ---- results ----------------------------------------------------------------------------------- */

void problem_done(Problem *p) {
        free(p->path);
        free(p->have);
        free(p->message);
        free(p->isa_required);
        free(p->isa_missing);
        free(p->isa_proof);
}

void image_result_done(ImageResult *r) {
        for (size_t i = 0; i < r->n_results; i++) {
                PlatformResult *p = &r->results[i];
                for (size_t k = 0; k < p->n_problems; k++)
                        problem_done(&p->problems[k]);
                free(p->problems);
                for (int c = 0; c < _CHECK_MAX; c++)
                        free(p->detail[c]);
        }
        free(r->results);
        free(r->source);
        free(r->media_type);
        free(r->error);
        strv_free(r->available);
        *r = (ImageResult) {};
}

_printf_(3, 4) int set_detail(PlatformResult *p, CheckId c, const char *fmt, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        free(p->detail[c]);
        p->detail[c] = s;
        return 0;
}

_printf_(2, 3) int set_error(ImageResult *r, const char *fmt, ...) {
        va_list ap;
        int k;

        if (r->error)
                return 0;
        va_start(ap, fmt);
        k = vasprintf(&r->error, fmt, ap);
        va_end(ap);
        if (k < 0)
                r->error = NULL;
        return k < 0 ? -ENOMEM : 0;
}

/* A problem found by a check: fails the check; the first SCAN_PROBLEMS_MAX are kept. */
_printf_(5, 6) int add_problem(PlatformResult *p, CheckId c, const FsEntry *e, const char *have,
                                      const char *fmt, ...) {
        Problem *n, *q;
        va_list ap;
        int r;

        p->state[c] = CHECK_FAIL;
        if (p->n_problems >= SCAN_PROBLEMS_MAX) {
                p->n_problems_dropped++;
                return 0;
        }
        n = realloc(p->problems, (p->n_problems + 1) * sizeof(Problem));
        if (!n)
                return -ENOMEM;
        p->problems = n;
        q = &n[p->n_problems];
        *q = (Problem) { .check = c, .layer = e ? (int) e->layer : -1 };
        va_start(ap, fmt);
        r = vasprintf(&q->message, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        if ((e && asprintf(&q->path, "/%s", e->path) < 0) || (have && !(q->have = strdup(have)))) {
                problem_done(q);
                return -ENOMEM;
        }
        p->n_problems++;
        return 0;
}

/* ---- the image --------------------------------------------------------------------------------- */

/* Descend through indexes that only wrap one other index (buildx's index.json -> index). */
static int read_index(ImageSource *s, ImageResult *res, const char *buf, size_t n, OciIndex *ret) {
        OciIndex i = {};
        int r;

        r = oci_index_parse(buf, n, &i);
        for (int depth = 0; r >= 0 && depth < INDEX_DEPTH_MAX; depth++) {
                _cleanup_free_ char *inner = NULL;
                OciIndex next = {};
                size_t m;

                if (i.n_manifests != 1 || oci_media_type_kind(i.manifests[0].media_type) != OCI_KIND_INDEX)
                        break;
                r = image_source_read_json(s, &i.manifests[0], OCI_MANIFEST_SIZE_MAX, &inner, &m, NULL);
                if (r >= 0)
                        r = oci_index_parse(inner, m, &next);
                oci_index_done(&i);
                i = next;
        }
        if (r < 0) {
                oci_index_done(&i);
                return set_error(res, "index: %s", r == -EBADMSG ? "malformed, or not matching its digest" : strerror(-r)), r;
        }
        *ret = i;
        return 0;
}

static int index_available(const OciIndex *i, char ***ret) {
        char t[PLATFORM_STRING_MAX];
        char **l = NULL;

        for (size_t k = 0; k < i->n_manifests; k++)
                if (i->manifests[k].has_platform && !oci_descriptor_is_attestation(&i->manifests[k]) &&
                    strv_extend(&l, platform_to_string(&i->manifests[k].platform, t)) < 0) {
                        strv_free(l);
                        return -ENOMEM;
                }
        if (!l && !(l = calloc(1, sizeof(char *))))
                return -ENOMEM;
        *ret = l;
        return 0;
}

static ManifestScan *scans_find(ManifestScan *scans, size_t n, const OciDigest *d) {
        for (size_t i = 0; i < n; i++)
                if (oci_digest_equal(&scans[i].digest, d))
                        return &scans[i];
        return NULL;
}

/* Checks 1..5 for one target whose manifest is d (NULL: the index has none). */
static int check_target(ImageSource *s, ImageResult *res, PlatformResult *p, const OciDescriptor *d,
                        ManifestScan *scans, size_t *n_scans, const ScanImageOptions *o) {
        ManifestScan *m;
        int r;

        r = check_host(p, o->binfmt_dir);
        if (r < 0 || !d)
                return r;
        p->manifest = d->digest;
        if (res->labels_only) {
                for (int k = CHECK_CONFIG; k < CHECK_HOST; k++)
                        p->state[k] = CHECK_SKIPPED;
                return 0;
        }
        m = scans_find(scans, *n_scans, &d->digest);
        if (!m) {
                m = &scans[(*n_scans)++];
                r = manifest_scan(s, d, o, m);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        m->error = r;
        }
        if (m->error < 0)
                return set_error(res, "%s", error_detail_or(&m->error_detail, strerror(-m->error)));
        return check_platform(p, m, o);
}

static int check_index_entry(const OciIndex *index, ImageResult *res, PlatformResult *p, const OciDescriptor **ret) {
        char t[PLATFORM_STRING_MAX], have[PLATFORM_STRING_MAX];
        int k = oci_index_match_platform(index, &p->target);
        _cleanup_free_ char *list = NULL;

        *ret = NULL;
        if (k >= 0) {
                p->state[CHECK_INDEX] = CHECK_OK;
                *ret = &index->manifests[k];
                return set_detail(p, CHECK_INDEX, "%s", platform_to_string(&index->manifests[k].platform, have));
        }
        for (char **a = res->available; a && *a; a++) {
                char *n;
                if (asprintf(&n, "%s%s%s", list ?: "", list ? ", " : "", *a) < 0)
                        return -ENOMEM;
                free(list);
                list = n;
        }
        p->state[CHECK_INDEX] = CHECK_FAIL;
        for (int c = CHECK_CONFIG; c < CHECK_HOST; c++)
                p->state[c] = CHECK_SKIPPED;
        return set_detail(p, CHECK_INDEX, "no manifest for %s; the index has: %s", platform_to_string(&p->target, t),
                          list ?: "nothing runnable");
}

static int scan_source(ImageSource *s, ImageResult *res, const ScanImageOptions *o) {
        _cleanup_free_ char *buf = NULL;
        ManifestScan scans[SCAN_TARGETS_MAX] = {};
        size_t n_scans = 0, n;
        OciDescriptor top = {};
        OciIndex index = {};
        bool is_index;
        int r;

        r = image_source_read_top(s, &top, &buf, &n);
        if (r < 0)
                return r;
        res->digest = top.digest;
        res->media_type = TAKE_PTR(top.media_type);
        is_index = oci_media_type_kind(res->media_type) == OCI_KIND_INDEX;
        if (is_index) {
                r = read_index(s, res, buf, n, &index);
                if (r >= 0)
                        r = index_available(&index, &res->available);
        }
        for (size_t i = 0; r >= 0 && i < res->n_results; i++) {
                PlatformResult *p = &res->results[i];
                const OciDescriptor *d = &top;

                if (is_index) {
                        r = check_index_entry(&index, res, p, &d);
                        if (r < 0)
                                break;
                } else if (res->labels_only) {
                        p->state[CHECK_INDEX] = CHECK_SKIPPED;
                        r = set_detail(p, CHECK_INDEX, "a single manifest: its platform is only in its config");
                } else {
                        p->state[CHECK_INDEX] = CHECK_SKIPPED;
                        r = set_detail(p, CHECK_INDEX, "no index: a single-platform image");
                }
                if (r >= 0)
                        r = check_target(s, res, p, d, scans, &n_scans, o);
                if (r >= 0 && !is_index && !res->labels_only && p->state[CHECK_CONFIG] == CHECK_FAIL)
                        p->state[CHECK_INDEX] = CHECK_FAIL;
        }
        for (size_t i = 0; i < n_scans; i++) {
                for (size_t l = 0; l < scans[i].n_layers; l++) {
                        res->raw_bytes += scans[i].layers[l].result.stream.raw_bytes;
                        res->tar_bytes += scans[i].layers[l].result.stream.tar_bytes;
                        res->n_entries += scans[i].layers[l].result.n_entries;
                }
                res->n_layers += scans[i].n_layers;
                manifest_scan_done(&scans[i]);
        }
        oci_index_done(&index);
        oci_descriptor_done(&top);
        return r == -ENOMEM ? r : 0;
}

int scan_image(const char *spec, ImageSourceKind kind, const Platform *targets, size_t n_targets,
               const ScanImageOptions *opts, ImageResult *ret) {
        _cleanup_(image_source_freep) ImageSource *s = NULL;
        ImageResult res = { .kind = kind, .labels_only = kind == IMAGE_SOURCE_MANIFEST };
        ErrorDetail err = {};
        int r;

        if (n_targets > SCAN_TARGETS_MAX)
                return -E2BIG;
        res.source = strdup(spec);
        res.results = calloc(n_targets ? n_targets : 1, sizeof(PlatformResult));
        if (!res.source || !res.results) {
                image_result_done(&res);
                return -ENOMEM;
        }
        res.n_results = n_targets;
        for (size_t i = 0; i < n_targets; i++) {
                res.results[i].target = targets[i];
                if (opts->isa)
                        res.results[i].isa = opts->isa[i];
        }
        r = image_source_open(spec, kind, &opts->source, &s, &err);
        if (r < 0)
                res.error = strdup(error_detail_or(&err, strerror(-r)));
        else {
                res.kind = image_source_kind(s);
                r = scan_source(s, &res, opts);
        }
        if (r == -ENOMEM) {
                image_result_done(&res);
                return r;
        }
        *ret = res;
        return 0;
}
