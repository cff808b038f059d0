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
#include "strv.h"

/* The nested indexes buildx writes are one level deep; allow a little more, never a cycle. */
#define INDEX_DEPTH_MAX 4
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

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

static void problem_done(Problem *p) {
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

_printf_(3, 4) static int set_detail(PlatformResult *p, CheckId c, const char *fmt, ...) {
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

_printf_(2, 3) static int set_error(ImageResult *r, const char *fmt, ...) {
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
_printf_(5, 6) static int add_problem(PlatformResult *p, CheckId c, const FsEntry *e, const char *have,
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

/* ---- one manifest: config, layers, model -------------------------------------------------------- */

typedef struct ManifestScan {
        OciDigest digest;
        OciManifest manifest;
        OciConfig config;
        bool have_config;
        LayerScan *layers;
        size_t n_layers;
        FsModel *model;
        IsaWant isa_want;
        int error;
        char *error_message;
} ManifestScan;

static void manifest_scan_done(ManifestScan *m) {
        for (size_t i = 0; i < m->n_layers; i++)
                layer_scan_done(&m->layers[i]);
        free(m->layers);
        fs_model_free(m->model);
        oci_manifest_done(&m->manifest);
        oci_config_done(&m->config);
        free(m->error_message);
        *m = (ManifestScan) {};
}

typedef struct LayerJobs {
        ImageSource *source;
        ManifestScan *scan;
        const Limits *limits;
        atomic_size_t next;
        atomic_size_t done;
        _Atomic uint64_t tar_bytes;   /* of the layers read so far: the image-bytes budget */
        _Atomic uint64_t model_bytes; /* the model-bytes budget */
        bool progress;
        pthread_mutex_t lock;
        int error;
        size_t error_layer;
        LayerReadResult error_result;
        LayerReadOptions error_options;
        char source_error[512];
} LayerJobs;

static LayerReadOptions layer_options(const LayerJobs *j, size_t i) {
        const Limits *l = j->limits;

        return (LayerReadOptions) {
                /* The config names every layer by the digest of its uncompressed bytes. */
                .stream.diff_id = &j->scan->config.diff_ids[i],
                .stream.max_bytes = l->value[LIMIT_LAYER_BYTES],
                .max_entries = l->value[LIMIT_LAYER_ENTRIES],
                .max_path = (size_t) l->value[LIMIT_PATH_BYTES],
        };
}

static void layer_job_failed(LayerJobs *j, size_t i, int r, const LayerReadOptions *o) {
        pthread_mutex_lock(&j->lock);
        if (j->error == 0) {
                j->error = r;
                j->error_layer = i;
                j->error_result = j->scan->layers[i].result;
                j->error_options = *o;
                snprintf(j->source_error, sizeof(j->source_error), "%s", image_source_last_error(j->source));
        }
        pthread_mutex_unlock(&j->lock);
}

static void *layer_worker(void *userdata) {
        LayerJobs *j = userdata;

        for (;;) {
                size_t i = atomic_fetch_add(&j->next, 1);
                LayerReadOptions opts;
                LayerScan *ls;
                int r;

                if (i >= j->scan->n_layers || j->error < 0)
                        return NULL;
                opts = layer_options(j, i);
                ls = &j->scan->layers[i];
                ls->layer = (unsigned) i;
                ls->isa_want = &j->scan->isa_want;
                ls->model_bytes = &j->model_bytes;
                ls->model_max = j->limits->value[LIMIT_MODEL_BYTES];
                r = image_source_read_layer(j->source, i, &j->scan->manifest.layers[i], &opts, layer_scan_entry, ls,
                                            &ls->result);
                if (r >= 0 && atomic_fetch_add(&j->tar_bytes, ls->result.stream.tar_bytes) +
                              ls->result.stream.tar_bytes > j->limits->value[LIMIT_IMAGE_BYTES])
                        r = -EXFULL;
                if (r < 0)
                        layer_job_failed(j, i, r, &opts);
                if (j->progress)
                        fprintf(stderr, "\rcheck-arch: scanned %zu/%zu layers", atomic_fetch_add(&j->done, 1) + 1,
                                j->scan->n_layers);
                if (r < 0)
                        return NULL;
        }
}

/* The message for the first failed layer. */
static int layer_error_message(const LayerJobs *j, ManifestScan *m) {
        char why[1024];

        if (j->error == -EXFULL)
                snprintf(why, sizeof(why), "the image unpacks to more bytes than the image-bytes limit");
        else if (j->error == -ENOBUFS)
                snprintf(why, sizeof(why), "the image has more files than the model-bytes limit lets check-arch hold");
        else
                layer_read_explain(j->error, &j->error_result, &j->error_options, why, sizeof(why));
        return asprintf(&m->error_message, "layer %zu (%s) %s%s%s%s", j->error_layer,
                        m->manifest.layers[j->error_layer].digest.str, why, j->source_error[0] ? " (" : "",
                        j->source_error, j->source_error[0] ? ")" : "") < 0 ? -ENOMEM : 0;
}

static int scan_layers(ImageSource *source, ManifestScan *m, const ScanImageOptions *o) {
        LayerJobs j = { .source = source, .scan = m, .limits = &o->limits, .progress = o->progress,
                        .lock = PTHREAD_MUTEX_INITIALIZER };
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        size_t n_threads = o->jobs ? o->jobs : ncpu > 0 ? (size_t) ncpu : 1;
        pthread_t threads[64];
        size_t started = 0;

        m->n_layers = m->manifest.n_layers;
        m->layers = calloc(m->n_layers ? m->n_layers : 1, sizeof(LayerScan));
        if (!m->layers)
                return -ENOMEM;
        if (n_threads > m->n_layers)
                n_threads = m->n_layers;
        if (n_threads > ELEMENTSOF(threads))
                n_threads = ELEMENTSOF(threads);
        /* the calling thread is a worker too */
        for (size_t i = 1; i < n_threads; i++)
                if (pthread_create(&threads[started], NULL, layer_worker, &j) == 0)
                        started++;
        layer_worker(&j);
        for (size_t i = 0; i < started; i++)
                pthread_join(threads[i], NULL);
        if (o->progress)
                fputc('\n', stderr);
        if (j.error < 0) {
                if (layer_error_message(&j, m) < 0)
                        return -ENOMEM;
                return j.error;
        }
        return fs_model_build(m->layers, m->n_layers, &m->model);
}

/* "manifest sha256:...: malformed, or not matching its digest (HTTP 404 from GET ...)". Returns r. */
static int json_error(ImageSource *source, ManifestScan *m, const char *what, const OciDigest *d, int r) {
        const char *detail = image_source_last_error(source);

        if (asprintf(&m->error_message, "%s %s: %s%s%s%s", what, d->str,
                     r == -EBADMSG ? "malformed, or not matching its digest" : strerror(-r), detail[0] ? " (" : "",
                     detail, detail[0] ? ")" : "") < 0)
                return -ENOMEM;
        return r;
}

static int manifest_scan(ImageSource *source, const OciDescriptor *d, const ScanImageOptions *o, ManifestScan *m) {
        _cleanup_free_ char *buf = NULL, *cbuf = NULL;
        size_t n;
        int r;

        m->digest = d->digest;
        r = image_source_read_json(source, d, OCI_MANIFEST_SIZE_MAX, &buf, &n);
        if (r >= 0)
                r = oci_manifest_parse(buf, n, &m->manifest);
        if (r < 0)
                return json_error(source, m, "manifest", &d->digest, r);
        r = image_source_read_json(source, &m->manifest.config, OCI_CONFIG_SIZE_MAX, &cbuf, &n);
        if (r >= 0)
                r = oci_config_parse(cbuf, n, &m->config);
        if (r < 0)
                return json_error(source, m, "config", &m->manifest.config.digest, r);
        m->have_config = true;
        if (o->quick)
                return 0;
        if (m->config.n_diff_ids != m->manifest.n_layers) {
                if (asprintf(&m->error_message, "config %s names %zu diff_ids for the manifest's %zu layers",
                             m->manifest.config.digest.str, m->config.n_diff_ids, m->manifest.n_layers) < 0)
                        return -ENOMEM;
                return -EBADMSG;
        }
        if (o->isa) {
                isa_want_init(&m->isa_want, o->isa, o->n_isa, false);
                m->isa_want.code_max = o->isa_code_max;
        }
        return scan_layers(source, m, o);
}

/* ---- checks ------------------------------------------------------------------------------------ */

typedef struct CheckContext {
        PlatformResult *p;
        ManifestScan *m;
        const char *glibc_loader; /* a glibc loader found in the image, or NULL */
        const char *musl_loader;
} CheckContext;

static const char *libc_of_interp(const char *interp) {
        const char *base = strrchr(interp, '/');

        base = base ? base + 1 : interp;
        if (strneq(base, "ld-musl-", 8))
                return "musl";
        if (strneq(base, "ld-linux", 8) || strneq(base, "ld64.so", 7) || strneq(base, "ld.so", 5))
                return "glibc";
        return NULL;
}

static void layer_digests(const ManifestScan *m, Problem *q) {
        if (q->layer < 0 || (size_t) q->layer >= m->manifest.n_layers)
                return;
        q->layer_digest = m->manifest.layers[q->layer].digest;
        if ((size_t) q->layer < m->config.n_diff_ids)
                q->diff_id = m->config.diff_ids[q->layer];
}

static int check_loader(CheckContext *c, const FsEntry *e) {
        const char *want = libc_of_interp(e->elf->interp), *other;
        const FsEntry *loader;
        int r;

        r = fs_model_resolve(c->m->model, e->elf->interp, &loader, NULL);
        if (r >= 0 && loader && loader->type == LAYER_ENTRY_REGULAR)
                return 0;
        other = want && streq(want, "glibc") ? c->musl_loader : want && streq(want, "musl") ? c->glibc_loader : NULL;
        if (other)
                return add_problem(c->p, CHECK_LOADERS, e, NULL,
                                   "%s binary: its loader %s is missing; the image has %s's %s",
                                   want, e->elf->interp, streq(want, "glibc") ? "musl" : "glibc", other);
        return add_problem(c->p, CHECK_LOADERS, e, NULL, "loader %s%s%s%s is missing%s", e->elf->interp,
                           want ? " (" : "", want ?: "", want ? ")" : "",
                           r == -ELOOP ? " (symlink loop)" : "");
}

/* 3b: what the file needs of the CPU against the target's level or model (check-isa.c). */
static int check_elf_isa(CheckContext *c, const FsEntry *e, const char *have) {
        _cleanup_free_ char *msg = NULL;
        size_t before = c->p->n_problems;
        IsaProblem ip = {};
        int r;

        r = isa_problem_for(c->p, e->elf, &msg, &ip);
        if (r <= 0)
                return r;
        r = add_problem(c->p, CHECK_ISA, e, have, "%s", msg);
        if (r >= 0 && c->p->n_problems > before)
                isa_problem_attach(&ip, &c->p->problems[before]);
        isa_problem_done(&ip);
        return r;
}

static int check_elf_cb(const FsEntry *e, void *userdata) {
        CheckContext *c = userdata;
        char have[PLATFORM_STRING_MAX], want[PLATFORM_STRING_MAX];
        int r;

        c->p->n_elf++;
        platform_to_string(&c->p->target, want);
        if (!e->elf) {
                c->p->n_mismatched++;
                return add_problem(c->p, CHECK_DEEP_SCAN, e, NULL, "malformed ELF file, not %s", want);
        }
        if (!e->elf->has_platform) {
                c->p->n_mismatched++;
                return add_problem(c->p, CHECK_DEEP_SCAN, e, NULL, "ELF of an unknown platform (machine %u), not %s",
                                   e->elf->id_small.machine, want);
        }
        platform_to_string(&e->elf->platform, have);
        if (!platform_runs_on(&e->elf->platform, &c->p->target)) {
                c->p->n_mismatched++;
                r = add_problem(c->p, CHECK_DEEP_SCAN, e, have, "%s, not %s", have, want);
                if (r < 0)
                        return r;
                return 0;
        }
        r = check_elf_isa(c, e, have);
        if (r < 0)
                return r;
        return e->elf->interp ? check_loader(c, e) : 0;
}

/* Find a loader of each libc in the usual directories (through symlinks such as /lib -> usr/lib). */
static void find_loaders(FsModel *model, char **glibc, char **musl) {
        static const char * const dirs[] = { "/lib", "/lib64", "/usr/lib", "/usr/lib64" };

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_free_ char *dir = NULL;
                const FsEntry *e;

                if (fs_model_resolve(model, dirs[i], &e, &dir) < 0)
                        continue;
                if (!*musl)
                        (void) fs_model_find_prefix(model, dir, "ld-musl-", musl);
                if (!*glibc)
                        (void) fs_model_find_prefix(model, dir, "ld-linux", glibc);
        }
}

/* argv[0] as the runtime finds it: through PATH when it has no '/', else from WorkingDir. */
static int entrypoint_lookup(ManifestScan *m, const char *argv0, const FsEntry **ret, char **ret_path) {
        const char *path_env = oci_config_getenv(&m->config, "PATH") ?: DEFAULT_PATH;
        _cleanup_free_ char *copy = NULL;
        char *save = NULL;

        if (strchr(argv0, '/')) {
                _cleanup_free_ char *full = NULL;
                if (asprintf(&full, "%s/%s", argv0[0] == '/' ? "" : m->config.working_dir ?: "", argv0) < 0)
                        return -ENOMEM;
                return fs_model_resolve(m->model, full, ret, ret_path);
        }
        copy = strdup(path_env);
        if (!copy)
                return -ENOMEM;
        for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                _cleanup_free_ char *full = NULL;
                const FsEntry *e;
                char *resolved;

                if (asprintf(&full, "%s/%s", dir, argv0) < 0)
                        return -ENOMEM;
                if (fs_model_resolve(m->model, full, &e, &resolved) >= 0 && e && e->type == LAYER_ENTRY_REGULAR) {
                        *ret = e;
                        *ret_path = resolved;
                        return 0;
                }
        }
        return -ENOENT;
}

static int check_entry_program(CheckContext *c, const char *argv0, const FsEntry *e, const char *resolved) {
        char have[PLATFORM_STRING_MAX], want[PLATFORM_STRING_MAX];

        platform_to_string(&c->p->target, want);
        if (!e->elf || !e->elf->has_platform)
                return add_problem(c->p, CHECK_ENTRYPOINT, e, NULL, "%s -> /%s is not a runnable ELF for %s", argv0,
                                   resolved, want);
        platform_to_string(&e->elf->platform, have);
        if (!platform_runs_on(&e->elf->platform, &c->p->target))
                return add_problem(c->p, CHECK_ENTRYPOINT, e, have, "%s -> /%s is %s, not %s", argv0, resolved,
                                   have, want);
        c->p->state[CHECK_ENTRYPOINT] = CHECK_OK;
        return set_detail(c->p, CHECK_ENTRYPOINT, "%s -> /%s (%s)", argv0, resolved, have);
}

static int check_entrypoint(CheckContext *c) {
        char **argv = c->m->config.entrypoint && c->m->config.entrypoint[0] ? c->m->config.entrypoint : c->m->config.cmd;
        _cleanup_free_ char *resolved = NULL, *interp = NULL;
        const FsEntry *e;
        int r;

        if (!argv || !argv[0]) {
                c->p->state[CHECK_ENTRYPOINT] = CHECK_SKIPPED;
                return set_detail(c->p, CHECK_ENTRYPOINT, "no Entrypoint or Cmd");
        }
        r = entrypoint_lookup(c->m, argv[0], &e, &resolved);
        if (r < 0 || !e || e->type != LAYER_ENTRY_REGULAR)
                return add_problem(c->p, CHECK_ENTRYPOINT, NULL, NULL, "%s: %s", argv[0],
                                   r == -ELOOP ? "symlink loop" : "not found in the image");
        if (e->shebang) {
                /* a script: the interpreter must run (one level, as the kernel allows for #!) */
                const FsEntry *ie;
                size_t n = strcspn(e->shebang, " \t");

                interp = strndup(e->shebang, n);
                if (!interp)
                        return -ENOMEM;
                r = fs_model_resolve(c->m->model, interp, &ie, NULL);
                if (r < 0 || !ie || ie->type != LAYER_ENTRY_REGULAR)
                        return add_problem(c->p, CHECK_ENTRYPOINT, e, NULL, "%s: interpreter %s not found", argv[0], interp);
                return check_entry_program(c, interp, ie, ie->path);
        }
        return check_entry_program(c, argv[0], e, resolved);
}

/* Build the start of an ELF header for a platform, as binfmt_misc would see it. */
static size_t elf_header_for(const PlatformInfo *info, uint8_t buf[static 64]) {
        memset(buf, 0, 64);
        memcpy(buf, ELFMAG, SELFMAG);
        buf[EI_CLASS] = info->elf_class;
        buf[EI_DATA] = info->elf_data;
        buf[EI_VERSION] = EV_CURRENT;
        if (info->elf_data == ELFDATA2LSB) {
                buf[16] = ET_EXEC;
                buf[18] = (uint8_t) info->elf_machine;
                buf[19] = (uint8_t) (info->elf_machine >> 8);
        } else {
                buf[17] = ET_EXEC;
                buf[18] = (uint8_t) (info->elf_machine >> 8);
                buf[19] = (uint8_t) info->elf_machine;
        }
        return 64;
}

static bool entry_matches(const BinfmtEntry *e, const uint8_t *hdr, size_t n) {
        if (e->type != BINFMT_TYPE_MAGIC || !e->enabled || e->offset + e->size > n)
                return false;
        for (size_t i = 0; i < e->size; i++) {
                uint8_t m = e->has_mask ? e->mask[i] : 0xff;
                if ((hdr[e->offset + i] ^ e->magic[i]) & m)
                        return false;
        }
        return true;
}

/* 5: natively, or through an enabled binfmt_misc entry whose magic matches an ELF header of the
 * platform and whose interpreter exists. Read-only; informational. */
static int check_host(PlatformResult *p, const char *binfmt_path) {
        const PlatformInfo *info = platform_info_lookup(&p->target);
        _cleanup_close_ int dirfd = -EBADF;
        char **names = NULL;
        char hs[PLATFORM_STRING_MAX];
        Platform host;
        uint8_t hdr[64];
        int r, n;

        p->state[CHECK_HOST] = CHECK_INFO;
        if (platform_host(&host) >= 0 && platform_runs_on(&p->target, &host))
                return set_detail(p, CHECK_HOST, "native (%s)", platform_to_string(&host, hs));
        if (!info)
                return set_detail(p, CHECK_HOST, "not runnable here: no table row for this platform");
        r = binfmt_dir_open(binfmt_path ?: BINFMT_DIR_DEFAULT, &dirfd);
        if (r < 0)
                return set_detail(p, CHECK_HOST, "not native, and %s: %s", binfmt_path ?: BINFMT_DIR_DEFAULT,
                                  r == -EMEDIUMTYPE ? "binfmt_misc is not mounted" : strerror(-r));
        n = binfmt_dir_list(dirfd, &names);
        elf_header_for(info, hdr);
        for (int i = 0; i < n; i++) {
                BinfmtEntry e;

                if (binfmt_dir_read_entry(dirfd, names[i], &e) < 0 || !entry_matches(&e, hdr, sizeof(hdr)))
                        continue;
                r = access(e.interpreter, X_OK) >= 0 || (e.flags & BINFMT_FIX_BINARY);
                r = set_detail(p, CHECK_HOST, "emulated: binfmt_misc entry '%s' -> %s%s", names[i], e.interpreter,
                               r ? "" : " (interpreter missing!)");
                binfmt_names_free(names);
                return r;
        }
        if (n >= 0)
                binfmt_names_free(names);
        return set_detail(p, CHECK_HOST, "not runnable here: not native and no enabled binfmt_misc entry matches");
}

static int check_platform(CheckContext *c, const ScanImageOptions *o) {
        _cleanup_free_ char *glibc = NULL, *musl = NULL;
        char t[PLATFORM_STRING_MAX], have[PLATFORM_STRING_MAX];
        int r;

        c->p->has_config = c->m->have_config;
        c->p->config_platform = c->m->config.platform;
        platform_to_string(&c->m->config.platform, have);
        if (!platform_runs_on(&c->m->config.platform, &c->p->target)) {
                c->p->state[CHECK_CONFIG] = CHECK_FAIL;
                r = set_detail(c->p, CHECK_CONFIG, "config says %s, not %s", have, platform_to_string(&c->p->target, t));
        } else {
                c->p->state[CHECK_CONFIG] = CHECK_OK;
                r = set_detail(c->p, CHECK_CONFIG, "%s", have);
        }
        if (r < 0)
                return r;
        if (o->quick || !c->m->model) {
                c->p->state[CHECK_ENTRYPOINT] = c->p->state[CHECK_DEEP_SCAN] = c->p->state[CHECK_LOADERS] = CHECK_SKIPPED;
                c->p->state[CHECK_ISA] = CHECK_SKIPPED;
                return 0;
        }
        find_loaders(c->m->model, &glibc, &musl);
        c->glibc_loader = glibc;
        c->musl_loader = musl;
        c->p->state[CHECK_DEEP_SCAN] = c->p->state[CHECK_LOADERS] = CHECK_OK;
        c->p->state[CHECK_ISA] = c->p->isa.active ? CHECK_OK : CHECK_SKIPPED;
        r = check_entrypoint(c);
        if (r >= 0)
                r = fs_model_foreach_elf(c->m->model, check_elf_cb, c);
        if (r >= 0)
                r = isa_check_detail(c->p);
        for (size_t i = 0; r >= 0 && i < c->p->n_problems; i++)
                layer_digests(c->m, &c->p->problems[i]);
        if (r >= 0)
                r = set_detail(c->p, CHECK_DEEP_SCAN, "%u ELF file%s, %u mismatched", c->p->n_elf,
                               c->p->n_elf == 1 ? "" : "s", c->p->n_mismatched);
        if (r >= 0 && c->p->state[CHECK_LOADERS] == CHECK_FAIL) {
                size_t n = c->p->n_problems_dropped;
                for (size_t i = 0; i < c->p->n_problems; i++)
                        n += c->p->problems[i].check == CHECK_LOADERS;
                r = set_detail(c->p, CHECK_LOADERS, "%zu dynamic ELF file%s without %s loader", n, n == 1 ? "" : "s",
                               n == 1 ? "its" : "their");
        }
        if (r >= 0 && c->p->state[CHECK_LOADERS] == CHECK_OK)
                r = set_detail(c->p, CHECK_LOADERS, "%s%s%s%s%s", glibc ? "glibc /" : "", glibc ?: "",
                               glibc && musl ? ", " : "", musl ? "musl /" : "",
                               !glibc && !musl ? "no dynamic loader in the image" : "");
        if (r >= 0 && musl && c->p->detail[CHECK_LOADERS]) {
                char *s;
                if (asprintf(&s, "%s%s", c->p->detail[CHECK_LOADERS], musl) >= 0) {
                        free(c->p->detail[CHECK_LOADERS]);
                        c->p->detail[CHECK_LOADERS] = s;
                }
        }
        return r;
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
                r = image_source_read_json(s, &i.manifests[0], OCI_MANIFEST_SIZE_MAX, &inner, &m);
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
        CheckContext c = { .p = p };
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
        c.m = scans_find(scans, *n_scans, &d->digest);
        if (!c.m) {
                c.m = &scans[(*n_scans)++];
                r = manifest_scan(s, d, o, c.m);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        c.m->error = r;
        }
        if (c.m->error < 0)
                return set_error(res, "%s", c.m->error_message ?: strerror(-c.m->error));
        return check_platform(&c, o);
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
        char *err = NULL;
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
        if (r < 0) {
                res.error = err ?: strdup(strerror(-r));
        } else {
                free(err);
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
