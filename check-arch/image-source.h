/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where an image comes from, behind one interface: an OCI layout ("oci:DIR[:TAG]"), a docker-archive
 * ("docker-archive:FILE[:TAG]"), a registry ("docker://HOST[:PORT]/REPO[:TAG|@DIGEST]") or a bare
 * manifest/index document (--manifest FILE|-: labels only, no blobs). Every blob read is verified. */

#include <errno.h>
#include <stdbool.h>

#include "error-detail.h"
#include "layer-reader.h"
#include "oci.h"

typedef enum ImageSourceKind {
        IMAGE_SOURCE_OCI,
        IMAGE_SOURCE_DOCKER_ARCHIVE,
        IMAGE_SOURCE_REGISTRY,
        IMAGE_SOURCE_MANIFEST,
        _IMAGE_SOURCE_KIND_MAX,
        _IMAGE_SOURCE_KIND_INVALID = -EINVAL,
} ImageSourceKind;

typedef struct ImageSourceOptions {
        bool insecure;
        const char *ca_file;
        const char *auth_file;
        long request_timeout_sec;  /* registry: one request; 0: the client's default */
        long total_timeout_sec;    /* registry: every request for this image; 0: the default */
} ImageSourceOptions;

typedef struct ImageSource ImageSource;

/* Whether arg names an image (by its transport prefix) rather than a path. */
bool image_source_is_image(const char *arg);

/* Open spec. For IMAGE_SOURCE_MANIFEST, spec is the file name ("-": stdin). Returns 0, or -errno
 * with err (may be NULL) naming what failed. */
int image_source_open(const char *spec, ImageSourceKind kind_hint, const ImageSourceOptions *o,
                      ImageSource **ret, ErrorDetail *err);
ImageSource *image_source_free(ImageSource *s);
static inline void image_source_freep(ImageSource **s) {
        image_source_free(*s);
}

ImageSourceKind image_source_kind(const ImageSource *s);
const char *image_source_kind_to_string(ImageSourceKind k);

/* The top document (an index or a manifest), its descriptor (media type as sniffed, digest computed
 * over the bytes) and the bytes. */
int image_source_read_top(ImageSource *s, OciDescriptor *ret_desc, char **ret, size_t *ret_size);

/* A JSON blob (index, manifest, config), verified. -EOPNOTSUPP for the manifest source. */
int image_source_read_json(ImageSource *s, const OciDescriptor *d, size_t max, char **ret, size_t *ret_size,
                           ErrorDetail *err);

/* Stream layer number index of the image whose manifest lists d as that layer; verified against
 * d->digest and d->size (docker-archive: against the config's diff_id, as its layers are stored
 * uncompressed). Safe to call from several threads at once. On failure err says why, as a phrase to
 * follow "layer N (sha256:...)". */
int image_source_read_layer(ImageSource *s, size_t index, const OciDescriptor *d, const LayerReadOptions *opts,
                            LayerEntryCallback cb, void *userdata, LayerReadResult *ret_result, ErrorDetail *err);
