/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "binfmt-dir.h"
#include "scan-internal.h"
#include "strv.h"

/* One manifest: its config, its layers (read at once by a pool of threads, each streaming one layer
 * into the model), the model of the image's files. */

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
        ErrorDetail error_detail;     /* of the first layer that failed */
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

static void layer_job_failed(LayerJobs *j, size_t i, int r, const ErrorDetail *err) {
        pthread_mutex_lock(&j->lock);
        if (j->error == 0) {
                j->error = r;
                j->error_layer = i;
                j->error_detail = *err;
        }
        pthread_mutex_unlock(&j->lock);
}

static void *layer_worker(void *userdata) {
        LayerJobs *j = userdata;

        for (;;) {
                size_t i = atomic_fetch_add(&j->next, 1);
                ErrorDetail err = {};
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
                                            &ls->result, &err);
                if (r == -ENOBUFS)
                        r = error_detail_set(&err, r, "holds more files than the model-bytes limit lets check-arch hold");
                if (r >= 0 && atomic_fetch_add(&j->tar_bytes, ls->result.stream.tar_bytes) +
                              ls->result.stream.tar_bytes > j->limits->value[LIMIT_IMAGE_BYTES])
                        r = error_detail_set(&err, -EFBIG, "brings the image past the image-bytes limit");
                if (r < 0)
                        layer_job_failed(j, i, r, &err);
                if (j->progress)
                        fprintf(stderr, "\rcheck-arch: scanned %zu/%zu layers", atomic_fetch_add(&j->done, 1) + 1,
                                j->scan->n_layers);
                if (r < 0)
                        return NULL;
        }
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
        if (j.error < 0)
                return error_detail_set(&m->error_detail, j.error, "layer %zu (%s) %s", j.error_layer,
                                        m->manifest.layers[j.error_layer].digest.str,
                                        error_detail_or(&j.error_detail, strerror(-j.error)));
        return fs_model_build(m->layers, m->n_layers, &m->model);
}

/* "manifest sha256:...: malformed, or not matching its digest (HTTP 404 from GET ...)". Returns r. */
static int json_error(ManifestScan *m, const char *what, const OciDigest *d, int r, const ErrorDetail *err) {
        return error_detail_set(&m->error_detail, r, "%s %s: %s%s%s%s", what, d->str,
                                r == -EBADMSG ? "malformed, or not matching its digest" : strerror(-r),
                                err->message[0] ? " (" : "", err->message, err->message[0] ? ")" : "");
}

void manifest_scan_done(ManifestScan *m) {
        for (size_t i = 0; i < m->n_layers; i++)
                layer_scan_done(&m->layers[i]);
        free(m->layers);
        fs_model_free(m->model);
        oci_manifest_done(&m->manifest);
        oci_config_done(&m->config);
        *m = (ManifestScan) {};
}

int manifest_scan(ImageSource *source, const OciDescriptor *d, const ScanImageOptions *o, ManifestScan *m) {
        _cleanup_free_ char *buf = NULL, *cbuf = NULL;
        ErrorDetail err = {};
        size_t n;
        int r;

        m->digest = d->digest;
        r = image_source_read_json(source, d, OCI_MANIFEST_SIZE_MAX, &buf, &n, &err);
        if (r >= 0)
                r = oci_manifest_parse(buf, n, &m->manifest);
        if (r < 0)
                return json_error(m, "manifest", &d->digest, r, &err);
        r = image_source_read_json(source, &m->manifest.config, OCI_CONFIG_SIZE_MAX, &cbuf, &n, &err);
        if (r >= 0)
                r = oci_config_parse(cbuf, n, &m->config);
        if (r < 0)
                return json_error(m, "config", &m->manifest.config.digest, r, &err);
        m->have_config = true;
        if (o->quick)
                return 0;
        if (m->config.n_diff_ids != m->manifest.n_layers)
                return error_detail_set(&m->error_detail, -EBADMSG, "config %s names %zu diff_ids for the manifest's %zu "
                                        "layers", m->manifest.config.digest.str, m->config.n_diff_ids,
                                        m->manifest.n_layers);
        if (o->isa) {
                isa_want_init(&m->isa_want, o->isa, o->n_isa, false);
                m->isa_want.code_max = o->isa_code_max;
        }
        return scan_layers(source, m, o);
}
