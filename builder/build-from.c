/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "build-internal.h"
#include "error-detail.h"
#include "pull.h"
#include "strv.h"

/* FROM: a stage begins from an earlier stage, from scratch, or from an image in the store (pulled
 * first when it names a registry), each of its layers checked as it is unpacked. */

Stage *stage_find(Build *b, const char *name) {
        char *end;
        unsigned long idx = strtoul(name, &end, 10);

        if (!*end && end != name && idx < b->n_stages)
                return &b->stages[idx];
        for (size_t k = 0; k < b->n_stages; k++)
                if (b->stages[k].name && strcasecmp(b->stages[k].name, name) == 0)
                        return &b->stages[k];
        return NULL;
}

/* Unpack the base's layers into the store, oldest first, each checked against its digest and diff_id;
 * together they may not unpack to more than the image-bytes limit. */
static int unpack_base(Build *b, const DockerfileInstruction *i, Stage *s, const char *image, size_t n) {
        Store *st = b->opts->store;
        uint64_t total = 0;

        for (size_t k = 0; k < n; k++) {
                LayerReadResult res = {};
                ErrorDetail err = {};
                int r = store_ensure_layer(st, s->layers, k, &res, &err);
                if (r < 0)
                        return step_fail(b, i, r, "Failed to unpack the base image %s: %s", image,
                                         error_detail_or(&err, strerror(-r)));
                total += res.stream.tar_bytes;
                if (total > st->limits.value[LIMIT_IMAGE_BYTES])
                        return step_fail(b, i, -EFBIG, "Failed to unpack the base image %s: its layers unpack to more "
                                         "bytes than the image-bytes limit", image);
        }
        return 0;
}

/* What a pull fetched, as the manifest counts it: config and layer blobs. */
static uint64_t manifest_bytes(const OciManifest *m) {
        uint64_t n = m->config.size > 0 ? (uint64_t) m->config.size : 0;

        for (size_t k = 0; k < m->n_layers; k++)
                n += m->layers[k].size > 0 ? (uint64_t) m->layers[k].size : 0;
        return n;
}

int stage_from_image(Build *b, Stage *s, const DockerfileInstruction *i, const char *image) {
        _cleanup_(oci_manifest_done) OciManifest m = {};
        _cleanup_free_ char *others = NULL;
        char buf[PLATFORM_STRING_MAX], have[PLATFORM_STRING_MAX];
        Platform base;
        int r;

        /* A CPU-level variant (linux/amd64/v2) builds on its arch's base image (linux/amd64). */
        platform_base(&s->platform, &base);
        r = store_find_image(b->opts->store, image, &base, &m, &s->config, &others);
        if ((r == -ENOENT || r == -ENXIO || b->opts->pull) && pull_is_remote(image)) {
                ErrorDetail err = {};

                oci_manifest_done(&m);
                oci_config_done(&s->config);
                free(others);
                others = NULL;
                step_report(b, PROGRESS_PULL, image, 0, 0);
                r = pull_image(b->opts->store, image, &base, b->opts->insecure, &err);
                if (r < 0)
                        return step_fail(b, i, r, "%s", error_detail_or(&err, strerror(-r)));
                r = store_find_image(b->opts->store, image, &base, &m, &s->config, &others);
                if (r >= 0)
                        step_report(b, PROGRESS_PULLED, NULL, 0, manifest_bytes(&m));
        }
        if (r == -ENXIO)
                return step_fail(b, i, r, "the base image %s has no %s variant (it has: %s); a base of another platform is "
                                 "never used in its place", image, pf(&s->platform, buf), others);
        if (r == -ENOENT)
                return step_fail(b, i, r, "the base image %s is not in the store %s: create it with 'archbuild import' "
                                 "(see scripts/make-base-image), build it first, or name its registry "
                                 "(HOST[:PORT]/REPO:TAG)", image, b->opts->store->path);
        if (r < 0)
                return step_fail(b, i, r, "Failed to read the base image %s: %m", image);
        if (!platform_equal(&s->config.platform, &base))
                return step_fail(b, i, -EMEDIUMTYPE, "the base image %s for %s has a config for %s", image,
                                 pf(&s->platform, buf), pf(&s->config.platform, have));
        if (m.n_layers != s->config.n_diff_ids)
                return step_fail(b, i, -EBADMSG, "the base image %s has %zu layers but %zu diff_ids", image, m.n_layers,
                                 s->config.n_diff_ids);
        s->layers = calloc(m.n_layers ?: 1, sizeof(StoreLayer));
        if (!s->layers)
                return -ENOMEM;
        for (size_t k = 0; k < m.n_layers; k++) {
                StoreLayer *l = &s->layers[k];
                l->digest = m.layers[k].digest;
                l->diff_id = s->config.diff_ids[k];
                l->size = (uint64_t) m.layers[k].size;
                snprintf(l->media_type, sizeof(l->media_type), "%s", m.layers[k].media_type);
        }
        r = unpack_base(b, i, s, image, m.n_layers);
        if (r < 0)
                return r;
        s->n_layers = m.n_layers;
        /* The base's rootfs and history are rebuilt from s->layers at the end. */
        free(s->config.diff_ids);
        s->config.diff_ids = NULL;
        s->config.n_diff_ids = 0;
        /* The base is identified by its config (which names every layer by diff_id). */
        s->chain = m.config.digest;
        return 0;
}

static int stage_copy(Stage *s, const Stage *src) {
        _cleanup_free_ char *cbuf = NULL;
        size_t n;
        int r;

        /* Deep copy through JSON: the config type has a serialiser and a parser already. */
        r = oci_config_to_json(&src->config, &cbuf, &n);
        if (r >= 0)
                r = oci_config_parse(cbuf, n, &s->config);
        if (r < 0)
                return r;
        s->layers = calloc(src->n_layers ?: 1, sizeof(StoreLayer));
        if (!s->layers)
                return -ENOMEM;
        memcpy(s->layers, src->layers, src->n_layers * sizeof(StoreLayer));
        s->n_layers = src->n_layers;
        s->chain = src->chain;
        free(s->config.diff_ids);
        s->config.diff_ids = NULL;
        s->config.n_diff_ids = 0;
        return strv_copy(src->shell, &s->shell);
}

int handle_from(Build *b, Stage *s, const DockerfileInstruction *i) {
        _cleanup_free_ char *image = NULL, *plat = NULL;
        static char *const sh[] = { (char *) "/bin/sh", (char *) "-c", NULL };
        const Stage *src;
        int r;

        if (i->stage_name && !(s->name = strdup(i->stage_name)))
                return -ENOMEM;
        s->platform = b->target;
        if (dockerfile_instruction_flag(i, "platform")) {
                r = vars_expand_word(b, NULL, i, dockerfile_instruction_flag(i, "platform"), &plat);
                if (r < 0)
                        return r;
                if (platform_parse(plat, &s->platform) < 0)
                        return step_fail(b, i, -EINVAL, "--platform=%s: not a platform", plat);
        }
        r = vars_expand_word(b, NULL, i, i->from_image, &image);
        if (r < 0)
                return r;
        if ((src = stage_find(b, image)) && src != s && strcasecmp(image, "scratch") != 0)
                r = stage_copy(s, src);
        else if (streq(image, "scratch")) {
                s->config.platform = s->platform;
                r = oci_digest_buffer("scratch", 7, &s->chain);
        } else
                r = stage_from_image(b, s, i, image);
        if (r < 0)
                return r;
        if (!s->shell && (r = strv_copy(sh, &s->shell)) < 0)
                return r;
        if (!oci_config_getenv(&s->config, "PATH") && (r = strv_env_set(&s->config.env, "PATH", DEFAULT_PATH)) < 0)
                return r;
        s->config.platform = s->platform;
        return 0;
}
