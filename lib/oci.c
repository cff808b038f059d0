/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OCI image-spec values that every document shares: media types, descriptors (with their platform),
 * and the JSON helpers the index, manifest and config parsers have in common (oci-internal.h). */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "json-util.h"
#include "oci-internal.h"
#include "strv.h"

/* ---- media types ------------------------------------------------------------------------------ */

/* image-spec media-types.md and Docker's manifest v2 schema 2 document. */
static const struct {
        const char *type;
        OciMediaKind kind;
        OciCompression compression;
} media_types[] = {
        { OCI_MEDIA_TYPE_INDEX,            OCI_KIND_INDEX,    _OCI_COMPRESSION_INVALID },
        { DOCKER_MEDIA_TYPE_MANIFEST_LIST, OCI_KIND_INDEX,    _OCI_COMPRESSION_INVALID },
        { OCI_MEDIA_TYPE_MANIFEST,         OCI_KIND_MANIFEST, _OCI_COMPRESSION_INVALID },
        { DOCKER_MEDIA_TYPE_MANIFEST,      OCI_KIND_MANIFEST, _OCI_COMPRESSION_INVALID },
        { OCI_MEDIA_TYPE_CONFIG,           OCI_KIND_CONFIG,   _OCI_COMPRESSION_INVALID },
        { DOCKER_MEDIA_TYPE_CONFIG,        OCI_KIND_CONFIG,   _OCI_COMPRESSION_INVALID },
        { OCI_MEDIA_TYPE_LAYER,            OCI_KIND_LAYER,    OCI_COMPRESSION_NONE },
        { OCI_MEDIA_TYPE_LAYER_GZIP,       OCI_KIND_LAYER,    OCI_COMPRESSION_GZIP },
        { OCI_MEDIA_TYPE_LAYER_ZSTD,       OCI_KIND_LAYER,    OCI_COMPRESSION_ZSTD },
        { "application/vnd.oci.image.layer.nondistributable.v1.tar", OCI_KIND_LAYER, OCI_COMPRESSION_NONE },
        { "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", OCI_KIND_LAYER, OCI_COMPRESSION_GZIP },
        { "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", OCI_KIND_LAYER, OCI_COMPRESSION_ZSTD },
        { DOCKER_MEDIA_TYPE_LAYER,         OCI_KIND_LAYER,    OCI_COMPRESSION_NONE },
        { DOCKER_MEDIA_TYPE_LAYER_GZIP,    OCI_KIND_LAYER,    OCI_COMPRESSION_GZIP },
        { DOCKER_MEDIA_TYPE_LAYER_ZSTD,    OCI_KIND_LAYER,    OCI_COMPRESSION_ZSTD },
        { DOCKER_MEDIA_TYPE_LAYER_FOREIGN, OCI_KIND_LAYER,    OCI_COMPRESSION_GZIP },
};

OciMediaKind oci_media_type_kind(const char *media_type) {
        if (isempty(media_type))
                return OCI_KIND_OTHER;
        for (size_t i = 0; i < ELEMENTSOF(media_types); i++)
                if (streq(media_types[i].type, media_type))
                        return media_types[i].kind;
        return OCI_KIND_OTHER;
}

OciCompression oci_layer_compression(const char *media_type) {
        if (isempty(media_type))
                return _OCI_COMPRESSION_INVALID;
        for (size_t i = 0; i < ELEMENTSOF(media_types); i++)
                if (streq(media_types[i].type, media_type))
                        return media_types[i].compression;
        return _OCI_COMPRESSION_INVALID;
}

const char *oci_layer_media_type(OciCompression c) {
        switch (c) {
        case OCI_COMPRESSION_NONE:
                return OCI_MEDIA_TYPE_LAYER;
        case OCI_COMPRESSION_GZIP:
                return OCI_MEDIA_TYPE_LAYER_GZIP;
        case OCI_COMPRESSION_ZSTD:
                return OCI_MEDIA_TYPE_LAYER_ZSTD;
        default:
                return NULL;
        }
}

/* ---- JSON shared by the documents -------------------------------------------------------------- */

int json_get_digest(json_object *o, const char *key, OciDigest *ret) {
        json_object *v;
        int r;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return -EBADMSG;
        r = oci_digest_parse(json_object_get_string(v), ret);
        return r == -EOPNOTSUPP ? r : r < 0 ? -EBADMSG : 0;
}

/* Copy a platform component, lowercased, refusing what does not fit. */
static int platform_field_set(char *dst, size_t max, const char *s) {
        size_t n = strlen(s);

        if (n >= max)
                return -EBADMSG;
        for (size_t i = 0; i < n; i++)
                dst[i] = (char) tolower((unsigned char) s[i]);
        dst[n] = 0;
        return 0;
}

/* os/architecture/variant members of o (a descriptor's "platform" or a config): both os and
 * architecture required. */
int json_get_platform(json_object *o, const char *os_key, const char *arch_key, Platform *ret) {
        json_object *os, *arch, *variant;
        Platform p = {};
        int r;

        if (!json_object_object_get_ex(o, os_key, &os) || !json_object_is_type(os, json_type_string) ||
            !json_object_object_get_ex(o, arch_key, &arch) || !json_object_is_type(arch, json_type_string))
                return -EBADMSG;
        r = platform_field_set(p.os, sizeof(p.os), json_object_get_string(os));
        if (r < 0)
                return r;
        r = platform_field_set(p.arch, sizeof(p.arch), json_object_get_string(arch));
        if (r < 0)
                return r;
        if (json_object_object_get_ex(o, "variant", &variant) && !json_object_is_type(variant, json_type_null)) {
                if (!json_object_is_type(variant, json_type_string))
                        return -EBADMSG;
                r = platform_field_set(p.variant, sizeof(p.variant), json_object_get_string(variant));
                if (r < 0)
                        return r;
        }
        *ret = p;
        return 0;
}

int json_check_schema_version(json_object *o) {
        json_object *v;

        if (!json_object_object_get_ex(o, "schemaVersion", &v))
                return -EBADMSG;
        if (!json_object_is_type(v, json_type_int))
                return -EBADMSG;
        if (json_object_get_int64(v) == 1)
                return -EOPNOTSUPP;
        return json_object_get_int64(v) == 2 ? 0 : -EBADMSG;
}

int json_document_parse(const void *buf, size_t size, json_object **ret, char **ret_media_type) {
        _cleanup_json_ json_object *o = NULL;
        int r;

        r = json_parse_buffer(buf, size, OCI_MANIFEST_SIZE_MAX, &o);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        r = json_check_schema_version(o);
        if (r < 0)
                return r;
        r = json_get_string(o, "mediaType", false, ret_media_type);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

/* ---- descriptors ------------------------------------------------------------------------------- */

void oci_descriptor_done(OciDescriptor *d) {
        if (!d)
                return;
        free(d->media_type);
        free(d->ref_name);
        free(d->artifact_type);
        if (d->annotations)
                json_object_put(d->annotations);
        *d = (OciDescriptor) {};
}

int oci_descriptor_copy(const OciDescriptor *d, OciDescriptor *ret) {
        OciDescriptor c = {
                .digest = d->digest,
                .size = d->size,
                .has_platform = d->has_platform,
                .platform = d->platform,
        };

        if ((d->media_type && !(c.media_type = strdup(d->media_type))) ||
            (d->ref_name && !(c.ref_name = strdup(d->ref_name))) ||
            (d->artifact_type && !(c.artifact_type = strdup(d->artifact_type)))) {
                oci_descriptor_done(&c);
                return -ENOMEM;
        }
        if (d->annotations)
                c.annotations = json_object_get(d->annotations);
        *ret = c;
        return 0;
}

static int descriptor_parse_size(json_object *o, int64_t *ret) {
        json_object *v;

        if (!json_object_object_get_ex(o, "size", &v) || !json_object_is_type(v, json_type_int))
                return -EBADMSG;
        errno = 0;
        *ret = json_object_get_int64(v);
        if (errno != 0 || *ret < 0)
                return -EBADMSG;
        return 0;
}

static int descriptor_parse_ref_name(OciDescriptor *d) {
        json_object *v;

        if (!d->annotations || !json_object_object_get_ex(d->annotations, OCI_ANNOTATION_REF_NAME, &v))
                return 0;
        d->ref_name = strdup(json_object_get_string(v));
        return d->ref_name ? 0 : -ENOMEM;
}

int oci_descriptor_from_json(json_object *o, OciDescriptor *ret) {
        OciDescriptor d = {};
        json_object *p;
        int r;

        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        r = json_get_string(o, "mediaType", true, &d.media_type);
        if (r >= 0)
                r = json_get_digest(o, "digest", &d.digest);
        if (r >= 0)
                r = descriptor_parse_size(o, &d.size);
        if (r >= 0)
                r = json_get_string(o, "artifactType", false, &d.artifact_type);
        if (r >= 0)
                r = json_get_string_map(o, "annotations", &d.annotations);
        if (r >= 0)
                r = descriptor_parse_ref_name(&d);
        if (r >= 0 && json_object_object_get_ex(o, "platform", &p) && !json_object_is_type(p, json_type_null)) {
                r = json_object_is_type(p, json_type_object) ?
                        json_get_platform(p, "os", "architecture", &d.platform) : -EBADMSG;
                d.has_platform = r >= 0;
        }
        if (r < 0) {
                oci_descriptor_done(&d);
                return r;
        }
        *ret = d;
        return 0;
}

int platform_to_json(const Platform *p, json_object **ret) {
        json_object *o;
        int r;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        r = json_add_string(o, "architecture", p->arch);
        if (r >= 0)
                r = json_add_string(o, "os", p->os);
        if (r >= 0 && p->variant[0])
                r = json_add_string(o, "variant", p->variant);
        if (r < 0) {
                json_object_put(o);
                return r;
        }
        *ret = o;
        return 0;
}

static int descriptor_annotations_to_json(const OciDescriptor *d, json_object **ret) {
        json_object *a;

        if (!d->annotations && !d->ref_name) {
                *ret = NULL;
                return 0;
        }
        a = json_object_new_object();
        if (!a)
                return -ENOMEM;
        if (d->annotations) {
                json_object_object_foreach(d->annotations, k, v)
                        if (!streq(k, OCI_ANNOTATION_REF_NAME) && json_add_ref(a, k, v) < 0)
                                goto oom;
        }
        if (d->ref_name && json_add_string(a, OCI_ANNOTATION_REF_NAME, d->ref_name) < 0)
                goto oom;
        *ret = a;
        return 0;
oom:
        json_object_put(a);
        return -ENOMEM;
}

int oci_descriptor_to_json(const OciDescriptor *d, json_object **ret) {
        _cleanup_json_ json_object *o = NULL;
        json_object *a = NULL, *p = NULL;
        int r;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        r = json_add_string(o, "mediaType", d->media_type);
        if (r >= 0)
                r = json_add_string(o, "digest", d->digest.str);
        if (r >= 0)
                r = json_add_take(o, "size", json_object_new_int64(d->size));
        if (r >= 0)
                r = json_add_string(o, "artifactType", d->artifact_type);
        if (r >= 0)
                r = descriptor_annotations_to_json(d, &a);
        if (r >= 0 && a)
                r = json_add_take(o, "annotations", a);
        if (r >= 0 && d->has_platform) {
                r = platform_to_json(&d->platform, &p);
                if (r >= 0)
                        r = json_add_take(o, "platform", p);
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

bool oci_descriptor_is_attestation(const OciDescriptor *d) {
        OciMediaKind k = oci_media_type_kind(d->media_type);

        if (k != OCI_KIND_MANIFEST && k != OCI_KIND_INDEX)
                return true;
        if (d->has_platform && (streq(d->platform.os, "unknown") || streq(d->platform.arch, "unknown")))
                return true;
        return d->annotations && json_object_object_get_ex(d->annotations, OCI_ANNOTATION_REFERENCE_TYPE, NULL);
}

/* ---- lists of descriptors ---------------------------------------------------------------------- */

void descriptors_free(OciDescriptor *d, size_t n) {
        for (size_t i = 0; i < n; i++)
                oci_descriptor_done(&d[i]);
        free(d);
}

/* An array of descriptors; a missing array is -EBADMSG when required, else empty. */
int json_get_descriptors(json_object *o, const char *key, size_t max, OciDescriptor **ret, size_t *ret_n) {
        OciDescriptor *d;
        json_object *a;
        size_t n;
        int r;

        if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
                return -EBADMSG;
        n = json_object_array_length(a);
        if (n > max)
                return -E2BIG;
        d = calloc(n ? n : 1, sizeof(OciDescriptor));
        if (!d)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                r = oci_descriptor_from_json(json_object_array_get_idx(a, i), &d[i]);
                if (r < 0) {
                        descriptors_free(d, i);
                        return r;
                }
        }
        *ret = d;
        *ret_n = n;
        return 0;
}

int descriptors_append(OciDescriptor **l, size_t *n, size_t max, const OciDescriptor *d) {
        OciDescriptor *m;
        int r;

        if (*n >= max)
                return -E2BIG;
        m = realloc(*l, (*n + 1) * sizeof(OciDescriptor));
        if (!m)
                return -ENOMEM;
        *l = m;
        r = oci_descriptor_copy(d, &m[*n]);
        if (r < 0)
                return r;
        (*n)++;
        return 0;
}

int json_add_descriptors(json_object *o, const char *key, const OciDescriptor *d, size_t n) {
        json_object *a, *e;
        int r;

        a = json_object_new_array();
        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                r = oci_descriptor_to_json(&d[i], &e);
                if (r < 0 || json_object_array_add(a, e) < 0) {
                        if (r >= 0)
                                json_object_put(e);
                        json_object_put(a);
                        return -ENOMEM;
                }
        }
        return json_add_take(o, key, a);
}

