/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "docker-archive.h"
#include "image-source.h"
#include "oci-layout.h"
#include "registry.h"

struct ImageSource {
        ImageSourceKind kind;
        char *spec;
        /* top document */
        char *top;
        size_t top_size;
        OciDescriptor top_desc;

        OciLayout *layout;               /* oci */
        char *archive_path;              /* docker-archive */
        DockerArchiveManifest archive;
        size_t archive_image;
        char *archive_config;
        size_t archive_config_size;
        RegistryClient *client;          /* registry */
        RegistryRef ref;
};

static const char * const kind_names[_IMAGE_SOURCE_KIND_MAX] = {
        [IMAGE_SOURCE_OCI] = "oci",
        [IMAGE_SOURCE_DOCKER_ARCHIVE] = "docker-archive",
        [IMAGE_SOURCE_REGISTRY] = "docker",
        [IMAGE_SOURCE_MANIFEST] = "manifest",
};

const char *image_source_kind_to_string(ImageSourceKind k) {
        return k >= 0 && k < _IMAGE_SOURCE_KIND_MAX ? kind_names[k] : NULL;
}

bool image_source_is_image(const char *arg) {
        return strneq(arg, "oci:", 4) || strneq(arg, "docker-archive:", 15) || strneq(arg, "docker://", 9);
}

ImageSourceKind image_source_kind(const ImageSource *s) {
        return s->kind;
}

ImageSource *image_source_free(ImageSource *s) {
        if (!s)
                return NULL;
        free(s->spec);
        free(s->top);
        oci_descriptor_done(&s->top_desc);
        oci_layout_free(s->layout);
        free(s->archive_path);
        docker_archive_manifest_done(&s->archive);
        free(s->archive_config);
        registry_client_free(s->client);
        registry_ref_done(&s->ref);
        free(s);
        return NULL;
}

/* "PATH[:TAG]": the whole string when it names an existing file, else split at the last ':'. */
static int split_path_tag(const char *s, char **ret_path, char **ret_tag) {
        const char *colon = strrchr(s, ':');

        if (access(s, F_OK) >= 0 || !colon) {
                *ret_path = strdup(s);
                *ret_tag = NULL;
                return *ret_path ? 0 : -ENOMEM;
        }
        *ret_path = strndup(s, (size_t) (colon - s));
        *ret_tag = strdup(colon + 1);
        if (!*ret_path || !*ret_tag) {
                free(*ret_path);
                free(*ret_tag);
                return -ENOMEM;
        }
        return 0;
}

static int top_set(ImageSource *s, char *buf, size_t size, const char *content_type) {
        OciMediaKind kind;
        int r;

        s->top = buf;
        s->top_size = size;
        r = oci_sniff_kind(buf, size, content_type, &kind);
        if (r < 0)
                return r;
        s->top_desc.media_type = strdup(kind == OCI_KIND_INDEX ? OCI_MEDIA_TYPE_INDEX : OCI_MEDIA_TYPE_MANIFEST);
        if (!s->top_desc.media_type)
                return -ENOMEM;
        s->top_desc.size = (int64_t) size;
        return oci_digest_buffer(buf, size, &s->top_desc.digest);
}

static int open_oci(ImageSource *s, const char *arg, ErrorDetail *err) {
        _cleanup_free_ char *path = NULL, *tag = NULL, *buf = NULL;
        OciDescriptor d = {};
        size_t n;
        int r;

        r = split_path_tag(arg, &path, &tag);
        if (r < 0)
                return r;
        r = oci_layout_open(path, &s->layout);
        if (r == -EMEDIUMTYPE)
                return error_detail_set(err, r, "Cannot open OCI layout '%s': no valid oci-layout file", path);
        if (r < 0)
                return error_detail_set(err, r, "Cannot open OCI layout '%s': %m", path);
        r = oci_layout_resolve(s->layout, tag, &d);
        if (r == -EADDRNOTAVAIL)
                return error_detail_set(err, r, "'%s/index.json' holds several images: name one with :TAG", path);
        if (r < 0)
                return error_detail_set(err, r, "Cannot resolve %s%s%s in '%s/index.json': %s",
                                        tag ? "tag '" : "the image", tag ?: "", tag ? "'" : "", path,
                                        r == -ENOENT ? "no such tag" : strerror(-r));
        r = oci_layout_read_blob(s->layout, &d, OCI_MANIFEST_SIZE_MAX, &buf, &n);
        if (r < 0) {
                error_detail_set(err, r, "Cannot read %s from '%s': %s", d.digest.str, path,
                                 r == -EBADMSG ? "content does not match its digest or size" : strerror(-r));
                oci_descriptor_done(&d);
                return r;
        }
        r = top_set(s, TAKE_PTR(buf), n, d.media_type);
        oci_descriptor_done(&d);
        if (r < 0)
                return error_detail_set(err, r, "'%s': the top document is not an index or manifest", path);
        return 0;
}

/* docker-archive has no index and no manifest: make a manifest that names the config by its digest and
 * each layer by its diff_id (the layers are stored uncompressed, so that is their digest). */
static int archive_synthesize_manifest(ImageSource *s) {
        const DockerArchiveImage *img = &s->archive.images[s->archive_image];
        _cleanup_free_ char *json = NULL;
        OciManifest m = { .config = { .media_type = (char *) DOCKER_MEDIA_TYPE_CONFIG } };
        OciConfig c = {};
        size_t n;
        int r;

        r = oci_config_parse(s->archive_config, s->archive_config_size, &c);
        if (r < 0)
                return r;
        if (c.n_diff_ids != img->n_layers) {
                oci_config_done(&c);
                return -EBADMSG;
        }
        m.config.size = (int64_t) s->archive_config_size;
        r = oci_digest_buffer(s->archive_config, s->archive_config_size, &m.config.digest);
        for (size_t i = 0; r >= 0 && i < img->n_layers; i++)
                r = oci_manifest_add_layer(&m, &(OciDescriptor) { .media_type = (char *) DOCKER_MEDIA_TYPE_LAYER,
                                                                   .digest = c.diff_ids[i] });
        oci_config_done(&c);
        if (r >= 0)
                r = oci_manifest_to_json(&(OciManifest) { .media_type = (char *) DOCKER_MEDIA_TYPE_MANIFEST,
                                                          .config = m.config, .layers = m.layers,
                                                          .n_layers = m.n_layers }, &json, &n);
        m.config.media_type = NULL;
        oci_manifest_done(&m);
        if (r < 0)
                return r;
        return top_set(s, TAKE_PTR(json), n, DOCKER_MEDIA_TYPE_MANIFEST);
}

static int open_archive(ImageSource *s, const char *arg, ErrorDetail *err) {
        _cleanup_free_ char *tag = NULL, *buf = NULL;
        size_t n;
        int r, k;

        r = split_path_tag(arg, &s->archive_path, &tag);
        if (r < 0)
                return r;
        r = docker_archive_read_member(s->archive_path, "manifest.json", DOCKER_ARCHIVE_MANIFEST_MAX, &buf, &n);
        if (r >= 0)
                r = docker_archive_manifest_parse(buf, n, &s->archive);
        if (r < 0)
                return error_detail_set(err, r, "Cannot read manifest.json of docker-archive '%s': %s",
                                        s->archive_path, r == -EBADMSG ? "malformed tar or JSON" : strerror(-r));
        k = docker_archive_manifest_find(&s->archive, tag);
        if (k < 0)
                return error_detail_set(err, k, "docker-archive '%s': %s", s->archive_path,
                                        k == -EADDRNOTAVAIL ? "several images, name one with :TAG" : "no such tag");
        s->archive_image = (size_t) k;
        r = docker_archive_read_member(s->archive_path, s->archive.images[k].config, OCI_CONFIG_SIZE_MAX,
                                       &s->archive_config, &s->archive_config_size);
        if (r >= 0)
                r = archive_synthesize_manifest(s);
        if (r < 0)
                return error_detail_set(err, r, "docker-archive '%s': cannot read config '%s': %s", s->archive_path,
                                        s->archive.images[k].config, r == -EBADMSG ? "malformed" : strerror(-r));
        return 0;
}

static int open_registry(ImageSource *s, const char *arg, const ImageSourceOptions *o, ErrorDetail *err) {
        RegistryOptions ro = { .insecure = o->insecure, .ca_file = o->ca_file, .auth_file = o->auth_file,
                               .request_timeout_sec = o->request_timeout_sec, .total_timeout_sec = o->total_timeout_sec };
        _cleanup_free_ char *buf = NULL, *type = NULL;
        size_t n;
        int r;

        r = registry_ref_parse(arg, &s->ref);
        if (r < 0)
                return error_detail_set(err, r, "Malformed registry reference 'docker://%s'", arg);
        r = registry_client_new(s->ref.host, &ro, &s->client, err);
        if (r < 0)
                return r;
        r = registry_get_manifest(s->client, s->ref.repository, registry_ref_reference(&s->ref), &buf, &n, &type, NULL,
                                  err);
        if (r < 0)
                return r;
        r = top_set(s, TAKE_PTR(buf), n, type);
        if (r < 0)
                return error_detail_set(err, r, "docker://%s: not an index or manifest", arg);
        return 0;
}

/* `docker manifest inspect -v` prints an array of {"Descriptor": {...platform...}, ...}: turn it into
 * the index it describes. Other documents are taken as they are. */
static int manifest_from_verbose(char **buf, size_t *size) {
        json_object *o = json_tokener_parse(*buf), *d;
        OciIndex i = {};
        char *json;
        int r = 0;

        if (!o || !json_object_is_type(o, json_type_array)) {
                json_object_put(o);
                return 0;
        }
        for (size_t k = 0; r >= 0 && k < json_object_array_length(o); k++) {
                OciDescriptor desc;

                if (!json_object_object_get_ex(json_object_array_get_idx(o, k), "Descriptor", &d))
                        r = -EBADMSG;
                else if ((r = oci_descriptor_from_json(d, &desc)) >= 0) {
                        r = oci_index_add(&i, &desc);
                        oci_descriptor_done(&desc);
                }
        }
        json_object_put(o);
        if (r >= 0)
                r = oci_index_to_json(&i, &json, size);
        oci_index_done(&i);
        if (r < 0)
                return r;
        free(*buf);
        *buf = json;
        return 0;
}

static int open_manifest(ImageSource *s, const char *file, ErrorDetail *err) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t n = 0;
        ssize_t k;
        int r;

        fd = streq(file, "-") ? dup(STDIN_FILENO) : open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return error_detail_set(err, negative_errno(), "Cannot open '%s': %m", file);
        buf = malloc(OCI_MANIFEST_SIZE_MAX + 1);
        if (!buf)
                return -ENOMEM;
        while ((k = read(fd, buf + n, OCI_MANIFEST_SIZE_MAX + 1 - n)) > 0)
                if ((n += (size_t) k) > OCI_MANIFEST_SIZE_MAX)
                        return error_detail_set(err, -E2BIG, "'%s' is larger than %d bytes", file, OCI_MANIFEST_SIZE_MAX);
        if (k < 0)
                return error_detail_set(err, negative_errno(), "Cannot read '%s': %m", file);
        buf[n] = 0;
        r = manifest_from_verbose(&buf, &n);
        if (r >= 0)
                r = top_set(s, TAKE_PTR(buf), n, NULL);
        if (r < 0)
                return error_detail_set(err, r, "'%s' is not an image index, manifest list or manifest", file);
        return 0;
}

int image_source_open(const char *spec, ImageSourceKind kind_hint, const ImageSourceOptions *o,
                      ImageSource **ret, ErrorDetail *err) {
        _cleanup_(image_source_freep) ImageSource *s = NULL;
        static const ImageSourceOptions defaults = {};
        int r;

        s = calloc(1, sizeof(*s));
        if (!s || !(s->spec = strdup(spec)))
                return -ENOMEM;
        o = o ?: &defaults;
        if (kind_hint == IMAGE_SOURCE_MANIFEST) {
                s->kind = IMAGE_SOURCE_MANIFEST;
                r = open_manifest(s, spec, err);
        } else if (strneq(spec, "oci:", 4)) {
                s->kind = IMAGE_SOURCE_OCI;
                r = open_oci(s, spec + 4, err);
        } else if (strneq(spec, "docker-archive:", 15)) {
                s->kind = IMAGE_SOURCE_DOCKER_ARCHIVE;
                r = open_archive(s, spec + 15, err);
        } else if (strneq(spec, "docker://", 9)) {
                s->kind = IMAGE_SOURCE_REGISTRY;
                r = open_registry(s, spec + 9, o, err);
        } else
                r = -EINVAL;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

int image_source_read_top(ImageSource *s, OciDescriptor *ret_desc, char **ret, size_t *ret_size) {
        int r;

        r = oci_descriptor_copy(&s->top_desc, ret_desc);
        if (r < 0)
                return r;
        *ret = strndup(s->top, s->top_size);
        if (!*ret) {
                oci_descriptor_done(ret_desc);
                return -ENOMEM;
        }
        *ret_size = s->top_size;
        return 0;
}

int image_source_read_json(ImageSource *s, const OciDescriptor *d, size_t max, char **ret, size_t *ret_size,
                           ErrorDetail *err) {
        OciDigest cd;

        if (oci_digest_equal(&d->digest, &s->top_desc.digest)) {
                *ret = strndup(s->top, s->top_size);
                *ret_size = s->top_size;
                return *ret ? 0 : -ENOMEM;
        }
        switch (s->kind) {
        case IMAGE_SOURCE_OCI:
                return oci_layout_read_blob(s->layout, d, max, ret, ret_size);
        case IMAGE_SOURCE_REGISTRY:
                return registry_read_document(s->client, s->ref.repository, d, max, ret, ret_size, err);
        case IMAGE_SOURCE_DOCKER_ARCHIVE:
                if (oci_digest_buffer(s->archive_config, s->archive_config_size, &cd) < 0 ||
                    !oci_digest_equal(&cd, &d->digest))
                        return -ENOENT;
                *ret = strndup(s->archive_config, s->archive_config_size);
                *ret_size = s->archive_config_size;
                return *ret ? 0 : -ENOMEM;
        default:
                return -EOPNOTSUPP;
        }
}

static ssize_t blob_stream_pull(void *buf, size_t size, void *userdata) {
        return registry_blob_read(userdata, buf, size);
}

int image_source_read_layer(ImageSource *s, size_t index, const OciDescriptor *d, const LayerReadOptions *opts,
                            LayerEntryCallback cb, void *userdata, LayerReadResult *ret_result, ErrorDetail *err) {
        LayerReadOptions o = *opts;
        int fd, r;

        switch (s->kind) {
        case IMAGE_SOURCE_OCI:
                r = oci_layout_open_blob(s->layout, &d->digest, d->size, &fd);
                if (r == -EMSGSIZE)
                        return error_detail_set(err, -EBADMSG, "%s", layer_stream_failure_to_string(LAYER_STREAM_SIZE));
                if (r == -ELOOP)
                        return error_detail_set(err, r, "is a symbolic link in the layout, which is not followed");
                if (r < 0)
                        return error_detail_set(err, r, "could not be opened: %m");
                o.stream.descriptor = d;
                r = layer_read_fd(fd, &o, cb, userdata, ret_result, err);
                close(fd);
                return r;
        case IMAGE_SOURCE_DOCKER_ARCHIVE: {
                const DockerArchiveImage *img = &s->archive.images[s->archive_image];

                if (index >= img->n_layers)
                        return -ENOENT;
                /* docker save stores layers uncompressed and names them by diff_id: no blob descriptor. */
                o.stream.descriptor = NULL;
                if (!o.stream.diff_id)
                        o.stream.diff_id = &d->digest;
                return docker_archive_read_layer(s->archive_path, img->layers[index], &o, cb, userdata, ret_result,
                                                 err);
        }
        case IMAGE_SOURCE_REGISTRY: {
                _cleanup_(registry_blob_closep) RegistryBlobStream *bs = NULL;

                r = registry_blob_open(s->client, s->ref.repository, &d->digest, d->size, &bs, err);
                if (r < 0)
                        return r;
                o.stream.descriptor = d;
                return layer_read_source(blob_stream_pull, bs, &o, cb, userdata, ret_result, err);
        }
        default:
                return -EOPNOTSUPP;
        }
}
