/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The OCI image format as values: media types, sha256 digests, descriptors, image index, image
 * manifest and image config, each parsed from a buffer and built back to JSON (json-c). Pure: no
 * files, no network; lib/oci-layout.h, lib/registry.h and lib/docker-archive.h move the bytes.
 *
 * Sources: OCI image-spec v1.1 (descriptor.md, image-index.md, manifest.md, config.md,
 * media-types.md); Docker's "Image Manifest V2, Schema 2" (manifest list and manifest media types),
 * which registries and `docker save` still produce and which are accepted on read as equivalents. */

#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"
#include "platform.h"

#define OCI_MEDIA_TYPE_INDEX            "application/vnd.oci.image.index.v1+json"
#define OCI_MEDIA_TYPE_MANIFEST         "application/vnd.oci.image.manifest.v1+json"
#define OCI_MEDIA_TYPE_CONFIG           "application/vnd.oci.image.config.v1+json"
#define OCI_MEDIA_TYPE_LAYER            "application/vnd.oci.image.layer.v1.tar"
#define OCI_MEDIA_TYPE_LAYER_GZIP       "application/vnd.oci.image.layer.v1.tar+gzip"
#define OCI_MEDIA_TYPE_LAYER_ZSTD       "application/vnd.oci.image.layer.v1.tar+zstd"
#define OCI_MEDIA_TYPE_EMPTY            "application/vnd.oci.empty.v1+json"
#define DOCKER_MEDIA_TYPE_MANIFEST_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define DOCKER_MEDIA_TYPE_MANIFEST      "application/vnd.docker.distribution.manifest.v2+json"
#define DOCKER_MEDIA_TYPE_CONFIG        "application/vnd.docker.container.image.v1+json"
#define DOCKER_MEDIA_TYPE_LAYER         "application/vnd.docker.image.rootfs.diff.tar"
#define DOCKER_MEDIA_TYPE_LAYER_GZIP    "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define DOCKER_MEDIA_TYPE_LAYER_ZSTD    "application/vnd.docker.image.rootfs.diff.tar.zstd"
#define DOCKER_MEDIA_TYPE_LAYER_FOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

/* The Accept header value for a manifest GET/HEAD: every index and manifest type we can read. */
#define OCI_ACCEPT_MANIFESTS \
        OCI_MEDIA_TYPE_INDEX ", " DOCKER_MEDIA_TYPE_MANIFEST_LIST ", " \
        OCI_MEDIA_TYPE_MANIFEST ", " DOCKER_MEDIA_TYPE_MANIFEST

#define OCI_ANNOTATION_REF_NAME    "org.opencontainers.image.ref.name"
/* containerd/buildx name the image in index.json with this one as well. */
#define OCI_ANNOTATION_IMAGE_NAME  "io.containerd.image.name"
/* buildx attaches attestations as index entries with platform unknown/unknown and this annotation. */
#define OCI_ANNOTATION_REFERENCE_TYPE "vnd.docker.reference.type"

/* Distribution registries refuse manifests above 4 MiB (distribution's maxManifestBodySize); configs
 * have no spec limit, 16 MiB is far above any real one. Every JSON read is bounded by these. */
#define OCI_MANIFEST_SIZE_MAX (4 * 1024 * 1024)
#define OCI_CONFIG_SIZE_MAX   (16 * 1024 * 1024)
/* Bounds on counts inside a document, so a hostile one cannot make us allocate without end. */
#define OCI_MANIFESTS_MAX 4096
#define OCI_LAYERS_MAX    4096

typedef enum OciMediaKind {
        OCI_KIND_INDEX,    /* OCI index or Docker manifest list */
        OCI_KIND_MANIFEST, /* OCI or Docker schema 2 manifest */
        OCI_KIND_CONFIG,
        OCI_KIND_LAYER,    /* any tar layer type, compressed or not */
        OCI_KIND_OTHER,    /* valid, but none of the above (artifacts, signatures) */
        _OCI_KIND_MAX,
        _OCI_KIND_INVALID = -EINVAL,
} OciMediaKind;

typedef enum OciCompression {
        OCI_COMPRESSION_NONE,
        OCI_COMPRESSION_GZIP,
        OCI_COMPRESSION_ZSTD,
        _OCI_COMPRESSION_MAX,
        _OCI_COMPRESSION_INVALID = -EINVAL,
} OciCompression;

/* What a media type is. NULL or "" is OCI_KIND_OTHER. */
OciMediaKind oci_media_type_kind(const char *media_type);
/* The compression a layer media type names; -EINVAL for a type that is not a layer. (Readers should
 * still sniff the stream: lib/layer-reader.h does.) */
OciCompression oci_layer_compression(const char *media_type);
/* The OCI layer media type for a compression: OCI_MEDIA_TYPE_LAYER{,_GZIP,_ZSTD}; NULL if invalid. */
const char *oci_layer_media_type(OciCompression c);

/* ---- digests ---------------------------------------------------------------------------------- */

#define OCI_DIGEST_HEX_LEN 64
/* "sha256:" + 64 hex + NUL */
#define OCI_DIGEST_STRING_MAX (7 + OCI_DIGEST_HEX_LEN + 1)

/* A sha256 digest in its canonical string form, "sha256:<64 lowercase hex>". Only sha256 is
 * supported (image-spec: implementations SHOULD support sha256; sha512 is optional). An all-zero
 * struct (str[0] == 0) is "no digest". */
typedef struct OciDigest {
        char str[OCI_DIGEST_STRING_MAX];
} OciDigest;

/* Parse "sha256:<hex>". Returns 0, -EOPNOTSUPP for a well-formed other algorithm ("sha512:..."),
 * -EINVAL for anything else (uppercase hex, wrong length, no colon; as the spec's regexp). */
int oci_digest_parse(const char *s, OciDigest *ret);
static inline const char *oci_digest_hex(const OciDigest *d) {
        return d->str + 7;
}
static inline bool oci_digest_is_set(const OciDigest *d) {
        return d->str[0] != 0;
}
bool oci_digest_equal(const OciDigest *a, const OciDigest *b);
/* Digest of a whole buffer. Returns 0 or -ENOMEM/-EIO from OpenSSL. */
int oci_digest_buffer(const void *buf, size_t size, OciDigest *ret);
/* 0 when buf hashes to expected, -EBADMSG when not. */
int oci_digest_verify(const OciDigest *expected, const void *buf, size_t size);

/* Streaming sha256 (OpenSSL EVP), for blobs that never sit in memory whole. */
typedef struct OciHasher OciHasher;
int oci_hasher_new(OciHasher **ret);
int oci_hasher_update(OciHasher *h, const void *buf, size_t size);
/* Finish; the hasher may not be updated afterwards (free it). Returns 0 or -EIO. */
int oci_hasher_final(OciHasher *h, OciDigest *ret);
OciHasher *oci_hasher_free(OciHasher *h);
static inline void oci_hasher_freep(OciHasher **h) {
        oci_hasher_free(*h);
}
/* Bytes fed so far. */
uint64_t oci_hasher_size(const OciHasher *h);

/* ---- descriptors ------------------------------------------------------------------------------- */

typedef struct OciDescriptor {
        char *media_type;   /* required by the spec; never NULL after parse */
        OciDigest digest;   /* required */
        int64_t size;       /* required, >= 0 */
        /* platform: as written (no normalisation beyond lowercasing: "arm64"+"v8" stays so; compare
         * with platform_equal()). Strings longer than the Platform fields make the parse fail. */
        bool has_platform;
        Platform platform;
        char *ref_name;     /* annotations[OCI_ANNOTATION_REF_NAME], or NULL */
        char *artifact_type;/* or NULL */
        json_object *annotations; /* owned reference, or NULL: everything else is kept for writers */
} OciDescriptor;

void oci_descriptor_done(OciDescriptor *d);
/* Deep copy. Returns 0 or -ENOMEM. */
int oci_descriptor_copy(const OciDescriptor *d, OciDescriptor *ret);
/* Parse one descriptor object. Returns 0 or -EBADMSG (missing/ill-typed field, bad digest, negative
 * size, bad platform), -EOPNOTSUPP for a non-sha256 digest. */
int oci_descriptor_from_json(json_object *o, OciDescriptor *ret);
/* Build the JSON object (mediaType, digest, size, platform, annotations incl. ref_name). Returns 0 or
 * -ENOMEM; *ret is a new reference. */
int oci_descriptor_to_json(const OciDescriptor *d, json_object **ret);
/* Whether an index entry is an attestation/signature and not a runnable image (buildx's unknown/unknown
 * entries, OCI_ANNOTATION_REFERENCE_TYPE set, or a non-manifest media type). */
bool oci_descriptor_is_attestation(const OciDescriptor *d);

/* ---- index ------------------------------------------------------------------------------------- */

typedef struct OciIndex {
        char *media_type;          /* as written, or NULL when absent (allowed by the spec) */
        OciDescriptor *manifests;
        size_t n_manifests;
        json_object *annotations;  /* owned, or NULL */
} OciIndex;

void oci_index_done(OciIndex *i);
/* Parse an OCI image index or a Docker manifest list from buf (need not be NUL-terminated). Refuses
 * size > OCI_MANIFEST_SIZE_MAX (-E2BIG), malformed JSON or missing "manifests" (-EBADMSG), a
 * mediaType that is present but not an index type (-EMEDIUMTYPE), schemaVersion != 2 (-EBADMSG), more
 * than OCI_MANIFESTS_MAX entries (-E2BIG). ret is written only on success. */
int oci_index_parse(const void *buf, size_t size, OciIndex *ret);
/* Append a copy of d. Returns 0 or -ENOMEM. */
int oci_index_add(OciIndex *i, const OciDescriptor *d);
/* The entry (not an attestation) whose platform equals p (platform_equal, variant normalised).
 * Returns its position, or -ENOENT. */
int oci_index_find_platform(const OciIndex *i, const Platform *p);
/* The entry a runtime would pick for p, as containerd's platform matcher does: an exact
 * oci_index_find_platform() match, else the newest entry that runs on p (platform_runs_on(): arm/v6 on
 * an arm/v7 request). Returns its position, or -ENOENT. */
int oci_index_match_platform(const OciIndex *i, const Platform *p);
/* The entry whose ref_name is name (or the OCI_ANNOTATION_IMAGE_NAME annotation ends in ":name").
 * Returns its position or -ENOENT. */
int oci_index_find_ref_name(const OciIndex *i, const char *name);
/* Serialise as an OCI image index (schemaVersion 2, mediaType = i->media_type or the OCI type) in
 * json-c's plain (compact) form: the exact bytes to hash and store. *ret is NUL-terminated, size
 * excludes the NUL. Returns 0 or -ENOMEM. */
int oci_index_to_json(const OciIndex *i, char **ret, size_t *ret_size);

/* ---- manifest ---------------------------------------------------------------------------------- */

typedef struct OciManifest {
        char *media_type;          /* as written, or NULL */
        OciDescriptor config;
        OciDescriptor *layers;
        size_t n_layers;
        json_object *annotations;  /* owned, or NULL */
} OciManifest;

void oci_manifest_done(OciManifest *m);
/* Parse an OCI image manifest or a Docker schema 2 manifest. Docker schema 1 (schemaVersion 1) is
 * -EOPNOTSUPP; a mediaType that names an index is -EMEDIUMTYPE; otherwise as oci_index_parse(). */
int oci_manifest_parse(const void *buf, size_t size, OciManifest *ret);
int oci_manifest_add_layer(OciManifest *m, const OciDescriptor *d);
/* Serialise as an OCI image manifest (mediaType = m->media_type or the OCI type). As
 * oci_index_to_json(). */
int oci_manifest_to_json(const OciManifest *m, char **ret, size_t *ret_size);

/* Tell an index from a manifest: by content_type (an HTTP Content-Type, or NULL), else by the
 * document's mediaType, else by shape ("manifests" vs "layers"). Returns 0 with OCI_KIND_INDEX or
 * OCI_KIND_MANIFEST, -EOPNOTSUPP for schema 1, -EBADMSG when it is neither. */
int oci_sniff_kind(const void *buf, size_t size, const char *content_type, OciMediaKind *ret);

/* ---- config ------------------------------------------------------------------------------------ */

typedef struct OciHistory {
        char *created;     /* RFC 3339, or NULL */
        char *created_by;
        char *comment;
        bool empty_layer;
} OciHistory;

typedef struct OciConfig {
        char *created;            /* RFC 3339, or NULL */
        /* os/architecture/variant as written (lowercased), like OciDescriptor.platform. */
        Platform platform;
        /* config: */
        char *user;
        char **env;               /* strv, or NULL */
        char **entrypoint;        /* strv, or NULL */
        char **cmd;               /* strv, or NULL */
        char *working_dir;
        char **exposed_ports;     /* keys of ExposedPorts ("80/tcp"), or NULL */
        char **volumes;           /* keys of Volumes, or NULL */
        char *stop_signal;
        json_object *labels;      /* owned object of strings, or NULL */
        /* rootfs: */
        OciDigest *diff_ids;
        size_t n_diff_ids;
        OciHistory *history;
        size_t n_history;
} OciConfig;

void oci_config_done(OciConfig *c);
/* Parse an image config (OCI or Docker: they are the same JSON). architecture and os are required
 * (-EBADMSG), rootfs.type must be "layers" when present. Refuses size > OCI_CONFIG_SIZE_MAX (-E2BIG). */
int oci_config_parse(const void *buf, size_t size, OciConfig *ret);
/* Serialise (keys in a fixed order, so equal configs give equal bytes). As oci_index_to_json(). */
int oci_config_to_json(const OciConfig *c, char **ret, size_t *ret_size);
/* The value of NAME in env ("PATH" -> "/usr/bin:/bin"), or NULL. */
const char *oci_config_getenv(const OciConfig *c, const char *name);
