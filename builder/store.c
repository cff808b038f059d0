/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json-util.h"
#include "layer-extract.h"
#include "macro.h"
#include "store.h"
#include "strv.h"

char *store_default_path(void) {
        const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
        char *p = NULL;

        if (geteuid() == 0)
                return strdup("/var/lib/archway/store");
        if (!isempty(xdg))
                return asprintf(&p, "%s/archway", xdg) < 0 ? NULL : p;
        if (!isempty(home))
                return asprintf(&p, "%s/.local/share/archway", home) < 0 ? NULL : p;
        return NULL;
}

static int subpath(const Store *s, const char *rel, char **ret) {
        return asprintf(ret, "%s/%s", s->path, rel) < 0 ? -ENOMEM : 0;
}

int store_open(const char *path, Store *ret) {
        static const char *const dirs[] = { "layers", "cache", "tmp", "empty" };
        _cleanup_(store_close) Store s = { .lock_fd = -EBADF };
        _cleanup_free_ char *oci = NULL, *lock = NULL;
        int r;

        if (!(s.path = realpath(path, NULL))) {
                r = mkdir_p(path, 0700);
                if (r < 0)
                        return r;
                if (!(s.path = realpath(path, NULL)))
                        return negative_errno();
        }
        for (size_t k = 0; k < ELEMENTSOF(dirs); k++) {
                _cleanup_free_ char *d = NULL;
                if (subpath(&s, dirs[k], &d) < 0)
                        return -ENOMEM;
                if (mkdir(d, 0700) < 0 && errno != EEXIST)
                        return negative_errno();
        }
        if (subpath(&s, "oci", &oci) < 0 || subpath(&s, "lock", &lock) < 0)
                return -ENOMEM;
        r = oci_layout_create(oci, &s.layout);
        if (r < 0)
                return r;
        s.lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (s.lock_fd < 0)
                return negative_errno();
        if (flock(s.lock_fd, LOCK_SH) < 0)
                return negative_errno();
        limits_init(&s.limits);
        *ret = s;
        s = (Store) { .lock_fd = -EBADF };
        return 0;
}

void store_close(Store *s) {
        free(s->path);
        free(s->tmp);
        oci_layout_free(s->layout);
        closep(&s->lock_fd);
        *s = (Store) { .lock_fd = -EBADF };
}

int store_mkdtemp(Store *s, const char *prefix, char **ret) {
        char *p = NULL;

        if ((s->tmp ? asprintf(&p, "%s/%s-XXXXXX", s->tmp, prefix) : asprintf(&p, "%s/tmp/%s-XXXXXX", s->path, prefix)) < 0)
                return -ENOMEM;
        if (!mkdtemp(p)) {
                int r = negative_errno();
                free(p);
                return r;
        }
        *ret = p;
        return 0;
}

int store_layer_path(Store *s, const OciDigest *diff_id, char **ret) {
        return asprintf(ret, "%s/layers/%s", s->path, oci_digest_hex(diff_id)) < 0 ? -ENOMEM : 0;
}

int store_adopt_layer(Store *s, const char *tree, const OciDigest *diff_id) {
        _cleanup_free_ char *dest = NULL;
        int r;

        r = store_layer_path(s, diff_id, &dest);
        if (r < 0)
                return r;
        if (renameat2(AT_FDCWD, tree, AT_FDCWD, dest, RENAME_NOREPLACE) >= 0)
                return 0;
        if (errno != EEXIST && errno != ENOTEMPTY)
                return negative_errno();
        return rm_rf(tree);
}

/* What unpacking l may cost and must match. The descriptor and diff_id pointers are l's. */
static void layer_options(Store *s, const StoreLayer *l, OciDescriptor *d, LayerExtractOptions *ret) {
        *d = (OciDescriptor) { .media_type = (char *) l->media_type, .digest = l->digest, .size = (int64_t) l->size };
        *ret = (LayerExtractOptions) {
                .read.stream = { .descriptor = d, .diff_id = &l->diff_id, .max_bytes = s->limits.value[LIMIT_LAYER_BYTES] },
                .read.max_entries = s->limits.value[LIMIT_LAYER_ENTRIES],
                .read.max_path = (size_t) s->limits.value[LIMIT_PATH_BYTES],
        };
}

/* The unpacked trees of layers[0..k), newest first. */
static int lower_paths(Store *s, const StoreLayer *layers, size_t k, char ***ret) {
        for (size_t i = k; i > 0; i--) {
                _cleanup_free_ char *p = NULL;
                int r = store_layer_path(s, &layers[i - 1].diff_id, &p);
                if (r >= 0)
                        r = strv_extend(ret, p);
                if (r < 0)
                        return r;
        }
        return 0;
}

int store_ensure_layer(Store *s, const StoreLayer *layers, size_t k, LayerReadResult *ret, ErrorDetail *err) {
        const StoreLayer *l = &layers[k];
        _cleanup_free_ char *dest = NULL, *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        LayerReadResult res = {};
        ErrorDetail why = {};
        LayerExtractOptions o;
        OciDescriptor d;
        int r;

        r = store_layer_path(s, &l->diff_id, &dest);
        if (r < 0)
                return r;
        if (access(dest, F_OK) >= 0)
                return 0;
        r = oci_layout_open_blob(s->layout, &l->digest, (int64_t) l->size, &fd);
        if (r == -EMSGSIZE)
                return error_detail_set(err, -EBADMSG, "layer %s %s", l->digest.str,
                                        layer_stream_failure_to_string(LAYER_STREAM_SIZE));
        if (r < 0)
                return error_detail_set(err, r, "layer %s: cannot open its blob: %m", l->digest.str);
        r = store_mkdtemp(s, "unpack", &tmp);
        if (r < 0)
                return error_detail_set(err, r, "Failed to make a directory in the store: %m");
        layer_options(s, l, &d, &o);
        r = lower_paths(s, layers, k, &o.lowers);
        if (r >= 0) {
                r = layer_extract_fd(fd, tmp, &o, &res, &why);
                if (r < 0)
                        error_detail_set(err, r, "layer %s %s", l->digest.str, error_detail_or(&why, strerror(-r)));
        }
        strv_free(o.lowers);
        if (r >= 0 && (r = store_adopt_layer(s, tmp, &l->diff_id)) < 0)
                error_detail_set(err, r, "Failed to store layer %s: %m", l->digest.str);
        if (r < 0)
                (void) rm_rf(tmp);
        if (ret)
                *ret = res;
        return r;
}

char *store_normalize_name(const char *name) {
        const char *slash = strrchr(name, '/'), *last = slash ? slash + 1 : name;
        char *p = NULL;

        if (strchr(last, ':') || strchr(name, '@'))
                return strdup(name);
        return asprintf(&p, "%s:latest", name) < 0 ? NULL : p;
}

static int read_image(Store *s, const OciDescriptor *d, OciManifest *ret_manifest, OciConfig *ret_config) {
        _cleanup_free_ char *buf = NULL, *cbuf = NULL;
        _cleanup_(oci_manifest_done) OciManifest m = {};
        size_t n;
        int r;

        r = oci_layout_read_blob(s->layout, d, OCI_MANIFEST_SIZE_MAX, &buf, &n);
        if (r < 0)
                return r;
        r = oci_manifest_parse(buf, n, &m);
        if (r < 0)
                return r;
        r = oci_layout_read_blob(s->layout, &m.config, OCI_CONFIG_SIZE_MAX, &cbuf, &n);
        if (r < 0)
                return r;
        r = oci_config_parse(cbuf, n, ret_config);
        if (r < 0)
                return r;
        *ret_manifest = m;
        m = (OciManifest) {};
        return 0;
}

int store_find_image(Store *s, const char *name, const Platform *p, OciManifest *ret_manifest, OciConfig *ret_config,
                     char **ret_platforms) {
        _cleanup_(oci_index_done) OciIndex idx = {};
        _cleanup_free_ char *norm = store_normalize_name(name), *list = NULL;
        bool seen = false;
        int r;

        if (!norm)
                return -ENOMEM;
        r = oci_layout_read_index(s->layout, &idx);
        if (r == -ENOENT)
                return -ENOENT;
        if (r < 0)
                return r;
        for (size_t k = 0; k < idx.n_manifests; k++) {
                const OciDescriptor *d = &idx.manifests[k];
                char buf[PLATFORM_STRING_MAX];
                char *t = NULL;

                if (!d->ref_name || !streq(d->ref_name, norm) || !d->has_platform)
                        continue;
                if (platform_equal(&d->platform, p))
                        return read_image(s, d, ret_manifest, ret_config);
                seen = true;
                if (asprintf(&t, "%s%s%s", list ?: "", list ? "," : "", platform_to_string(&d->platform, buf)) < 0)
                        return -ENOMEM;
                free(list);
                list = t;
        }
        if (!seen)
                return -ENOENT;
        if (ret_platforms)
                *ret_platforms = TAKE_PTR(list);
        return -ENXIO;
}

int store_tag_image(Store *s, const char *name, const OciDescriptor *desc) {
        _cleanup_(oci_index_done) OciIndex idx = {}, out = {};
        _cleanup_(oci_descriptor_done) OciDescriptor d = {};
        _cleanup_free_ char *norm = store_normalize_name(name), *ilock = NULL;
        _cleanup_close_ int ifd = -EBADF;
        int r;

        if (!norm)
                return -ENOMEM;
        /* The platform workers of one build share the open file description of lock_fd (fork), so
         * its LOCK_EX does not exclude them from each other: index.lock, opened afresh, does. */
        if (subpath(s, "index.lock", &ilock) < 0)
                return -ENOMEM;
        ifd = open(ilock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (ifd < 0 || flock(ifd, LOCK_EX) < 0)
                return negative_errno();
        if (flock(s->lock_fd, LOCK_EX) < 0)
                return negative_errno();
        r = oci_layout_read_index(s->layout, &idx);
        if (r < 0 && r != -ENOENT)
                goto unlock;
        for (size_t k = 0; k < idx.n_manifests; k++) {
                const OciDescriptor *e = &idx.manifests[k];
                if (e->ref_name && streq(e->ref_name, norm) && e->has_platform &&
                    platform_equal(&e->platform, &desc->platform))
                        continue;
                if ((r = oci_index_add(&out, e)) < 0)
                        goto unlock;
        }
        r = oci_descriptor_copy(desc, &d);
        if (r < 0)
                goto unlock;
        free(d.ref_name);
        d.ref_name = TAKE_PTR(norm);
        r = oci_index_add(&out, &d);
        if (r >= 0)
                r = oci_layout_write_index(s->layout, &out);
unlock:
        (void) flock(s->lock_fd, LOCK_SH);
        return r;
}

static int add_json_blob(Store *s, char *buf, size_t n, const char *media_type, OciDescriptor *ret) {
        int r = oci_layout_add_blob(s->layout, buf, n, &ret->digest);

        if (r < 0)
                return r;
        ret->size = (int64_t) n;
        ret->media_type = strdup(media_type);
        return ret->media_type ? 0 : -ENOMEM;
}

int store_write_image(Store *s, const OciConfig *config, const StoreLayer *layers, size_t n_layers,
                      OciDescriptor *ret) {
        _cleanup_(oci_manifest_done) OciManifest m = {};
        _cleanup_(oci_descriptor_done) OciDescriptor d = {};
        _cleanup_free_ char *cbuf = NULL, *mbuf = NULL;
        size_t n;
        int r;

        r = oci_config_to_json(config, &cbuf, &n);
        if (r < 0)
                return r;
        r = add_json_blob(s, cbuf, n, OCI_MEDIA_TYPE_CONFIG, &m.config);
        if (r < 0)
                return r;
        for (size_t k = 0; k < n_layers; k++) {
                OciDescriptor l = {
                        .media_type = (char *) layers[k].media_type,
                        .digest = layers[k].digest,
                        .size = (int64_t) layers[k].size,
                };
                r = oci_manifest_add_layer(&m, &l);
                if (r < 0)
                        return r;
        }
        r = oci_manifest_to_json(&m, &mbuf, &n);
        if (r < 0)
                return r;
        r = add_json_blob(s, mbuf, n, OCI_MEDIA_TYPE_MANIFEST, &d);
        if (r < 0)
                return r;
        d.has_platform = true;
        d.platform = config->platform;
        *ret = d;
        d = (OciDescriptor) {};
        return 0;
}

/* ---- step cache ------------------------------------------------------------------------------ */

static int cache_path(Store *s, const OciDigest *key, char **ret) {
        return asprintf(ret, "%s/cache/%s", s->path, oci_digest_hex(key)) < 0 ? -ENOMEM : 0;
}

static int json_digest(json_object *o, const char *key, OciDigest *ret) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return -EBADMSG;
        return oci_digest_parse(json_object_get_string(v), ret);
}

int store_cache_get(Store *s, const OciDigest *key, StoreLayer *ret, bool *ret_empty_layer) {
        _cleanup_free_ char *path = NULL;
        StoreLayer l = {};
        json_object *o, *v;
        int r;

        r = cache_path(s, key, &path);
        if (r < 0)
                return r;
        o = json_object_from_file(path);
        if (!o)
                return -ENOENT;
        if (json_object_object_get_ex(o, "empty_layer", &v) && json_object_get_boolean(v)) {
                json_object_put(o);
                *ret_empty_layer = true;
                return 0;
        }
        r = json_digest(o, "digest", &l.digest);
        if (r >= 0)
                r = json_digest(o, "diff_id", &l.diff_id);
        if (r >= 0 && json_object_object_get_ex(o, "size", &v))
                l.size = (uint64_t) json_object_get_int64(v);
        if (r >= 0 && json_object_object_get_ex(o, "mediaType", &v))
                snprintf(l.media_type, sizeof(l.media_type), "%s", json_object_get_string(v));
        json_object_put(o);
        if (r < 0)
                return -ENOENT; /* a damaged record is a miss */
        /* A record whose blob or tree went away is a miss too. */
        if (oci_layout_has_blob(s->layout, &l.digest) <= 0)
                return -ENOENT;
        /* Our own layers link only within themselves: no lowers needed. */
        r = store_ensure_layer(s, &l, 0, NULL, NULL);
        if (r < 0)
                return -ENOENT;
        *ret = l;
        *ret_empty_layer = false;
        return 0;
}

static int cache_record(json_object *o, const StoreLayer *l) {
        int r = json_add_string(o, "digest", l->digest.str);

        if (r >= 0)
                r = json_add_string(o, "diff_id", l->diff_id.str);
        if (r >= 0)
                r = json_add_take(o, "size", json_object_new_int64((int64_t) l->size));
        if (r >= 0)
                r = json_add_string(o, "mediaType", l->media_type);
        return r;
}

int store_cache_put(Store *s, const OciDigest *key, const StoreLayer *l, bool empty_layer) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        _cleanup_json_ json_object *o = json_object_new_object();
        size_t n;
        int r;

        if (!o)
                return -ENOMEM;
        r = empty_layer ? json_add_take(o, "empty_layer", json_object_new_boolean(1)) : cache_record(o, l);
        if (r < 0)
                return r;
        r = cache_path(s, key, &path);
        if (r >= 0)
                r = json_to_buffer(o, &text, &n);
        if (r >= 0)
                r = write_file_atomic(AT_FDCWD, path, text, n, 0600, NULL);
        return r;
}
