/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <string.h>

#include "json-util.h"
#include "oci.h"
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

/* ---- digests ---------------------------------------------------------------------------------- */

/* image-spec descriptor.md: algorithm [a-z0-9]+ ([+._-][a-z0-9]+)*, ":", encoded [a-zA-Z0-9=_-]+;
 * for sha256 the encoded part is exactly 64 lowercase hex characters. */
static bool digest_algorithm_valid(const char *s, size_t n) {
        if (n == 0 || !(islower((unsigned char) s[0]) || isdigit((unsigned char) s[0])))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!islower((unsigned char) s[i]) && !isdigit((unsigned char) s[i]) && !strchr("+._-", s[i]))
                        return false;
        return true;
}

int oci_digest_parse(const char *s, OciDigest *ret) {
        const char *colon;

        if (!s)
                return -EINVAL;
        colon = strchr(s, ':');
        if (!colon || !digest_algorithm_valid(s, (size_t) (colon - s)) || colon[1] == 0)
                return -EINVAL;
        if ((size_t) (colon - s) != 6 || !strneq(s, "sha256", 6)) {
                for (const char *p = colon + 1; *p; p++)
                        if (!isalnum((unsigned char) *p) && !strchr("=_-", *p))
                                return -EINVAL;
                return -EOPNOTSUPP;
        }
        if (strlen(colon + 1) != OCI_DIGEST_HEX_LEN)
                return -EINVAL;
        for (const char *p = colon + 1; *p; p++)
                if (!isdigit((unsigned char) *p) && !(*p >= 'a' && *p <= 'f'))
                        return -EINVAL;
        memcpy(ret->str, s, OCI_DIGEST_STRING_MAX - 1);
        ret->str[OCI_DIGEST_STRING_MAX - 1] = 0;
        return 0;
}

bool oci_digest_equal(const OciDigest *a, const OciDigest *b) {
        return streq(a->str, b->str);
}

struct OciHasher {
        EVP_MD_CTX *ctx;
        uint64_t size;
};

int oci_hasher_new(OciHasher **ret) {
        OciHasher *h;

        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->ctx = EVP_MD_CTX_new();
        if (!h->ctx) {
                free(h);
                return -ENOMEM;
        }
        if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
                oci_hasher_free(h);
                return -EIO;
        }
        *ret = h;
        return 0;
}

int oci_hasher_update(OciHasher *h, const void *buf, size_t size) {
        if (size == 0)
                return 0;
        if (EVP_DigestUpdate(h->ctx, buf, size) != 1)
                return -EIO;
        h->size += size;
        return 0;
}

int oci_hasher_final(OciHasher *h, OciDigest *ret) {
        static const char hex[] = "0123456789abcdef";
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned n = 0;

        if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1 || n != OCI_DIGEST_HEX_LEN / 2)
                return -EIO;
        memcpy(ret->str, "sha256:", 7);
        for (unsigned i = 0; i < n; i++) {
                ret->str[7 + 2 * i] = hex[md[i] >> 4];
                ret->str[7 + 2 * i + 1] = hex[md[i] & 15];
        }
        ret->str[7 + 2 * n] = 0;
        return 0;
}

OciHasher *oci_hasher_free(OciHasher *h) {
        if (h) {
                EVP_MD_CTX_free(h->ctx);
                free(h);
        }
        return NULL;
}

uint64_t oci_hasher_size(const OciHasher *h) {
        return h->size;
}

int oci_digest_buffer(const void *buf, size_t size, OciDigest *ret) {
        _cleanup_(oci_hasher_freep) OciHasher *h = NULL;
        int r;

        r = oci_hasher_new(&h);
        if (r < 0)
                return r;
        r = oci_hasher_update(h, buf, size);
        if (r < 0)
                return r;
        return oci_hasher_final(h, ret);
}

int oci_digest_verify(const OciDigest *expected, const void *buf, size_t size) {
        OciDigest d;
        int r;

        r = oci_digest_buffer(buf, size, &d);
        if (r < 0)
                return r;
        return oci_digest_equal(expected, &d) ? 0 : -EBADMSG;
}

/* ---- JSON helpers ----------------------------------------------------------------------------- */


/* A string member: -EBADMSG when present but not a string, or absent and required; *ret NULL when
 * absent and optional. */
static int json_get_string(json_object *o, const char *key, bool required, char **ret) {
        json_object *v;
        char *s;

        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) {
                if (required)
                        return -EBADMSG;
                *ret = NULL;
                return 0;
        }
        if (!json_object_is_type(v, json_type_string))
                return -EBADMSG;
        s = strdup(json_object_get_string(v));
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* An array of strings member, as a strv; NULL when absent or null. */
static int json_get_strv(json_object *o, const char *key, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        json_object *v;
        size_t n;

        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) {
                *ret = NULL;
                return 0;
        }
        if (!json_object_is_type(v, json_type_array))
                return -EBADMSG;
        n = json_object_array_length(v);
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(v, i);

                if (!json_object_is_type(e, json_type_string))
                        return -EBADMSG;
                l[i] = strdup(json_object_get_string(e));
                if (!l[i])
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* The keys of an object member (ExposedPorts, Volumes), as a strv; NULL when absent. */
static int json_get_keys(json_object *o, const char *key, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        json_object *v;
        int r;

        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) {
                *ret = NULL;
                return 0;
        }
        if (!json_object_is_type(v, json_type_object))
                return -EBADMSG;
        json_object_object_foreach(v, k, _val) {
                (void) _val;
                r = strv_extend(&l, k);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* An object member kept as a new reference (annotations, labels); values must be strings. */
static int json_get_string_map(json_object *o, const char *key, json_object **ret) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) {
                *ret = NULL;
                return 0;
        }
        if (!json_object_is_type(v, json_type_object))
                return -EBADMSG;
        json_object_object_foreach(v, _k, val) {
                (void) _k;
                if (!json_object_is_type(val, json_type_string))
                        return -EBADMSG;
        }
        *ret = json_object_get(v);
        return 0;
}

static int json_get_digest(json_object *o, const char *key, OciDigest *ret) {
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
static int json_get_platform(json_object *o, const char *os_key, const char *arch_key, Platform *ret) {
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

static int json_add_string(json_object *o, const char *key, const char *value) {
        json_object *v;

        if (!value)
                return 0;
        v = json_object_new_string(value);
        if (!v || json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int json_add_strv(json_object *o, const char *key, char * const *l) {
        json_object *a;

        if (!l)
                return 0;
        a = json_object_new_array();
        if (!a)
                return -ENOMEM;
        for (char * const *s = l; *s; s++) {
                json_object *v = json_object_new_string(*s);
                if (!v || json_object_array_add(a, v) < 0) {
                        json_object_put(v);
                        json_object_put(a);
                        return -ENOMEM;
                }
        }
        if (json_object_object_add(o, key, a) < 0) {
                json_object_put(a);
                return -ENOMEM;
        }
        return 0;
}

/* {"key": {}} per string, as ExposedPorts and Volumes are written. */
static int json_add_keys(json_object *o, const char *key, char * const *l) {
        json_object *m;

        if (!l)
                return 0;
        m = json_object_new_object();
        if (!m)
                return -ENOMEM;
        for (char * const *s = l; *s; s++) {
                json_object *e = json_object_new_object();
                if (!e || json_object_object_add(m, *s, e) < 0) {
                        json_object_put(e);
                        json_object_put(m);
                        return -ENOMEM;
                }
        }
        if (json_object_object_add(o, key, m) < 0) {
                json_object_put(m);
                return -ENOMEM;
        }
        return 0;
}

static int json_add_ref(json_object *o, const char *key, json_object *value) {
        if (!value)
                return 0;
        if (json_object_object_add(o, key, json_object_get(value)) < 0) {
                json_object_put(value);
                return -ENOMEM;
        }
        return 0;
}

static int json_add_take(json_object *o, const char *key, json_object *value) {
        if (!value)
                return -ENOMEM;
        if (json_object_object_add(o, key, value) < 0) {
                json_object_put(value);
                return -ENOMEM;
        }
        return 0;
}

/* Serialise compactly, without json-c's default escaping of '/' (media types are full of them). */
static int json_to_buffer(json_object *o, char **ret, size_t *ret_size) {
        const char *s;
        size_t n;
        char *copy;

        s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
        if (!s)
                return -ENOMEM;
        copy = strndup(s, n);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        if (ret_size)
                *ret_size = n;
        return 0;
}

static int json_check_schema_version(json_object *o) {
        json_object *v;

        if (!json_object_object_get_ex(o, "schemaVersion", &v))
                return -EBADMSG;
        if (!json_object_is_type(v, json_type_int))
                return -EBADMSG;
        if (json_object_get_int64(v) == 1)
                return -EOPNOTSUPP;
        return json_object_get_int64(v) == 2 ? 0 : -EBADMSG;
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

static int platform_to_json(const Platform *p, json_object **ret) {
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

/* ---- index ------------------------------------------------------------------------------------- */

static void descriptors_free(OciDescriptor *d, size_t n) {
        for (size_t i = 0; i < n; i++)
                oci_descriptor_done(&d[i]);
        free(d);
}

void oci_index_done(OciIndex *i) {
        if (!i)
                return;
        free(i->media_type);
        descriptors_free(i->manifests, i->n_manifests);
        if (i->annotations)
                json_object_put(i->annotations);
        *i = (OciIndex) {};
}

/* An array of descriptors; a missing array is -EBADMSG when required, else empty. */
static int json_get_descriptors(json_object *o, const char *key, size_t max, OciDescriptor **ret, size_t *ret_n) {
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

int oci_index_parse(const void *buf, size_t size, OciIndex *ret) {
        _cleanup_json_ json_object *o = NULL;
        OciIndex i = {};
        int r;

        r = json_parse_buffer(buf, size, OCI_MANIFEST_SIZE_MAX, &o);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        r = json_check_schema_version(o);
        if (r < 0)
                return r;
        r = json_get_string(o, "mediaType", false, &i.media_type);
        if (r < 0)
                return r;
        if (i.media_type && oci_media_type_kind(i.media_type) != OCI_KIND_INDEX) {
                free(i.media_type);
                return -EMEDIUMTYPE;
        }
        r = json_get_descriptors(o, "manifests", OCI_MANIFESTS_MAX, &i.manifests, &i.n_manifests);
        if (r >= 0)
                r = json_get_string_map(o, "annotations", &i.annotations);
        if (r < 0) {
                oci_index_done(&i);
                return r;
        }
        *ret = i;
        return 0;
}

static int descriptors_append(OciDescriptor **l, size_t *n, size_t max, const OciDescriptor *d) {
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

int oci_index_add(OciIndex *i, const OciDescriptor *d) {
        return descriptors_append(&i->manifests, &i->n_manifests, OCI_MANIFESTS_MAX, d);
}

int oci_index_find_platform(const OciIndex *i, const Platform *p) {
        for (size_t k = 0; k < i->n_manifests; k++) {
                const OciDescriptor *d = &i->manifests[k];

                if (d->has_platform && !oci_descriptor_is_attestation(d) && platform_equal(&d->platform, p))
                        return (int) k;
        }
        return -ENOENT;
}

int oci_index_match_platform(const OciIndex *i, const Platform *p) {
        int best = -ENOENT, k;

        k = oci_index_find_platform(i, p);
        if (k >= 0)
                return k;
        for (size_t n = 0; n < i->n_manifests; n++) {
                const OciDescriptor *d = &i->manifests[n];

                if (!d->has_platform || oci_descriptor_is_attestation(d) || !platform_runs_on(&d->platform, p))
                        continue;
                /* Among compatible ones, the newest variant: "v7" > "v6" as strings for arm's v5..v8. */
                if (best < 0 || strcmp(d->platform.variant, i->manifests[best].platform.variant) > 0)
                        best = (int) n;
        }
        return best;
}

static bool image_name_has_tag(const char *image_name, const char *tag) {
        const char *colon = strrchr(image_name, ':');
        const char *slash = strrchr(image_name, '/');

        return colon && (!slash || colon > slash) && streq(colon + 1, tag);
}

int oci_index_find_ref_name(const OciIndex *i, const char *name) {
        json_object *v;

        for (size_t k = 0; k < i->n_manifests; k++)
                if (i->manifests[k].ref_name && streq(i->manifests[k].ref_name, name))
                        return (int) k;
        for (size_t k = 0; k < i->n_manifests; k++)
                if (i->manifests[k].annotations &&
                    json_object_object_get_ex(i->manifests[k].annotations, OCI_ANNOTATION_IMAGE_NAME, &v) &&
                    (streq(json_object_get_string(v), name) || image_name_has_tag(json_object_get_string(v), name)))
                        return (int) k;
        return -ENOENT;
}

static int json_add_descriptors(json_object *o, const char *key, const OciDescriptor *d, size_t n) {
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

int oci_index_to_json(const OciIndex *i, char **ret, size_t *ret_size) {
        _cleanup_json_ json_object *o = NULL;
        int r;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        r = json_add_take(o, "schemaVersion", json_object_new_int(2));
        if (r >= 0)
                r = json_add_string(o, "mediaType", i->media_type ?: OCI_MEDIA_TYPE_INDEX);
        if (r >= 0)
                r = json_add_descriptors(o, "manifests", i->manifests, i->n_manifests);
        if (r >= 0)
                r = json_add_ref(o, "annotations", i->annotations);
        if (r < 0)
                return r;
        return json_to_buffer(o, ret, ret_size);
}

/* ---- manifest ---------------------------------------------------------------------------------- */

void oci_manifest_done(OciManifest *m) {
        if (!m)
                return;
        free(m->media_type);
        oci_descriptor_done(&m->config);
        descriptors_free(m->layers, m->n_layers);
        if (m->annotations)
                json_object_put(m->annotations);
        *m = (OciManifest) {};
}

int oci_manifest_parse(const void *buf, size_t size, OciManifest *ret) {
        _cleanup_json_ json_object *o = NULL;
        OciManifest m = {};
        json_object *c;
        int r;

        r = json_parse_buffer(buf, size, OCI_MANIFEST_SIZE_MAX, &o);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        r = json_check_schema_version(o);
        if (r < 0)
                return r;
        r = json_get_string(o, "mediaType", false, &m.media_type);
        if (r < 0)
                return r;
        if (m.media_type && oci_media_type_kind(m.media_type) == OCI_KIND_INDEX) {
                free(m.media_type);
                return -EMEDIUMTYPE;
        }
        r = json_object_object_get_ex(o, "config", &c) ? oci_descriptor_from_json(c, &m.config) : -EBADMSG;
        if (r >= 0)
                r = json_get_descriptors(o, "layers", OCI_LAYERS_MAX, &m.layers, &m.n_layers);
        if (r >= 0)
                r = json_get_string_map(o, "annotations", &m.annotations);
        if (r < 0) {
                oci_manifest_done(&m);
                return r;
        }
        *ret = m;
        return 0;
}

int oci_manifest_add_layer(OciManifest *m, const OciDescriptor *d) {
        return descriptors_append(&m->layers, &m->n_layers, OCI_LAYERS_MAX, d);
}

int oci_manifest_to_json(const OciManifest *m, char **ret, size_t *ret_size) {
        _cleanup_json_ json_object *o = NULL;
        json_object *c = NULL;
        int r;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        r = json_add_take(o, "schemaVersion", json_object_new_int(2));
        if (r >= 0)
                r = json_add_string(o, "mediaType", m->media_type ?: OCI_MEDIA_TYPE_MANIFEST);
        if (r >= 0)
                r = oci_descriptor_to_json(&m->config, &c);
        if (r >= 0)
                r = json_add_take(o, "config", c);
        if (r >= 0)
                r = json_add_descriptors(o, "layers", m->layers, m->n_layers);
        if (r >= 0)
                r = json_add_ref(o, "annotations", m->annotations);
        if (r < 0)
                return r;
        return json_to_buffer(o, ret, ret_size);
}

static int kind_from_media_type(const char *media_type, OciMediaKind *ret) {
        OciMediaKind k = oci_media_type_kind(media_type);

        if (k != OCI_KIND_INDEX && k != OCI_KIND_MANIFEST)
                return -EBADMSG;
        *ret = k;
        return 0;
}

int oci_sniff_kind(const void *buf, size_t size, const char *content_type, OciMediaKind *ret) {
        _cleanup_json_ json_object *o = NULL;
        json_object *v;
        int r;

        if (content_type && strstr(content_type, "prettyjws"))
                return -EOPNOTSUPP; /* Docker schema 1, signed */
        if (content_type && kind_from_media_type(content_type, ret) >= 0)
                return 0;
        r = json_parse_buffer(buf, size, OCI_MANIFEST_SIZE_MAX, &o);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        r = json_check_schema_version(o);
        if (r < 0)
                return r;
        if (json_object_object_get_ex(o, "mediaType", &v) && json_object_is_type(v, json_type_string))
                return kind_from_media_type(json_object_get_string(v), ret);
        if (json_object_object_get_ex(o, "manifests", NULL))
                *ret = OCI_KIND_INDEX;
        else if (json_object_object_get_ex(o, "layers", NULL))
                *ret = OCI_KIND_MANIFEST;
        else
                return -EBADMSG;
        return 0;
}

/* ---- config ------------------------------------------------------------------------------------ */

static void history_free(OciHistory *h, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(h[i].created);
                free(h[i].created_by);
                free(h[i].comment);
        }
        free(h);
}

void oci_config_done(OciConfig *c) {
        if (!c)
                return;
        free(c->created);
        free(c->user);
        strv_free(c->env);
        strv_free(c->entrypoint);
        strv_free(c->cmd);
        free(c->working_dir);
        strv_free(c->exposed_ports);
        strv_free(c->volumes);
        free(c->stop_signal);
        if (c->labels)
                json_object_put(c->labels);
        free(c->diff_ids);
        history_free(c->history, c->n_history);
        *c = (OciConfig) {};
}

static int config_parse_exec(json_object *cfg, OciConfig *c) {
        int r;

        if (!cfg || json_object_is_type(cfg, json_type_null))
                return 0;
        if (!json_object_is_type(cfg, json_type_object))
                return -EBADMSG;
        r = json_get_string(cfg, "User", false, &c->user);
        if (r >= 0)
                r = json_get_strv(cfg, "Env", &c->env);
        if (r >= 0)
                r = json_get_strv(cfg, "Entrypoint", &c->entrypoint);
        if (r >= 0)
                r = json_get_strv(cfg, "Cmd", &c->cmd);
        if (r >= 0)
                r = json_get_string(cfg, "WorkingDir", false, &c->working_dir);
        if (r >= 0)
                r = json_get_keys(cfg, "ExposedPorts", &c->exposed_ports);
        if (r >= 0)
                r = json_get_keys(cfg, "Volumes", &c->volumes);
        if (r >= 0)
                r = json_get_string(cfg, "StopSignal", false, &c->stop_signal);
        if (r >= 0)
                r = json_get_string_map(cfg, "Labels", &c->labels);
        return r;
}

static int config_parse_rootfs(json_object *rootfs, OciConfig *c) {
        json_object *type, *ids;
        size_t n;
        int r;

        if (!rootfs)
                return 0;
        if (!json_object_is_type(rootfs, json_type_object))
                return -EBADMSG;
        if (json_object_object_get_ex(rootfs, "type", &type) &&
            (!json_object_is_type(type, json_type_string) || !streq(json_object_get_string(type), "layers")))
                return -EBADMSG;
        if (!json_object_object_get_ex(rootfs, "diff_ids", &ids) || json_object_is_type(ids, json_type_null))
                return 0;
        if (!json_object_is_type(ids, json_type_array))
                return -EBADMSG;
        n = json_object_array_length(ids);
        if (n > OCI_LAYERS_MAX)
                return -E2BIG;
        c->diff_ids = calloc(n ? n : 1, sizeof(OciDigest));
        if (!c->diff_ids)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(ids, i);

                if (!json_object_is_type(e, json_type_string))
                        return -EBADMSG;
                r = oci_digest_parse(json_object_get_string(e), &c->diff_ids[i]);
                if (r < 0)
                        return r == -EOPNOTSUPP ? r : -EBADMSG;
                c->n_diff_ids = i + 1;
        }
        return 0;
}

static int config_parse_history(json_object *hist, OciConfig *c) {
        size_t n;
        int r;

        if (!hist || json_object_is_type(hist, json_type_null))
                return 0;
        if (!json_object_is_type(hist, json_type_array))
                return -EBADMSG;
        n = json_object_array_length(hist);
        if (n > OCI_LAYERS_MAX * 4)
                return -E2BIG;
        c->history = calloc(n ? n : 1, sizeof(OciHistory));
        if (!c->history)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(hist, i), *v;
                OciHistory *h = &c->history[i];

                c->n_history = i + 1;
                if (!json_object_is_type(e, json_type_object))
                        return -EBADMSG;
                r = json_get_string(e, "created", false, &h->created);
                if (r >= 0)
                        r = json_get_string(e, "created_by", false, &h->created_by);
                if (r >= 0)
                        r = json_get_string(e, "comment", false, &h->comment);
                if (r < 0)
                        return r;
                h->empty_layer = json_object_object_get_ex(e, "empty_layer", &v) && json_object_get_boolean(v);
        }
        return 0;
}

int oci_config_parse(const void *buf, size_t size, OciConfig *ret) {
        _cleanup_json_ json_object *o = NULL;
        json_object *cfg = NULL, *rootfs = NULL, *hist = NULL;
        OciConfig c = {};
        int r;

        r = json_parse_buffer(buf, size, OCI_CONFIG_SIZE_MAX, &o);
        if (r < 0)
                return r;
        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        r = json_get_platform(o, "os", "architecture", &c.platform);
        if (r >= 0)
                r = json_get_string(o, "created", false, &c.created);
        (void) json_object_object_get_ex(o, "config", &cfg);
        (void) json_object_object_get_ex(o, "rootfs", &rootfs);
        (void) json_object_object_get_ex(o, "history", &hist);
        if (r >= 0)
                r = config_parse_exec(cfg, &c);
        if (r >= 0)
                r = config_parse_rootfs(rootfs, &c);
        if (r >= 0)
                r = config_parse_history(hist, &c);
        if (r < 0) {
                oci_config_done(&c);
                return r;
        }
        *ret = c;
        return 0;
}

static int config_exec_to_json(const OciConfig *c, json_object **ret) {
        _cleanup_json_ json_object *o = NULL;
        int r;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        r = json_add_string(o, "User", c->user);
        if (r >= 0)
                r = json_add_keys(o, "ExposedPorts", c->exposed_ports);
        if (r >= 0)
                r = json_add_strv(o, "Env", c->env);
        if (r >= 0)
                r = json_add_strv(o, "Entrypoint", c->entrypoint);
        if (r >= 0)
                r = json_add_strv(o, "Cmd", c->cmd);
        if (r >= 0)
                r = json_add_keys(o, "Volumes", c->volumes);
        if (r >= 0)
                r = json_add_string(o, "WorkingDir", c->working_dir);
        if (r >= 0)
                r = json_add_ref(o, "Labels", c->labels);
        if (r >= 0)
                r = json_add_string(o, "StopSignal", c->stop_signal);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static int config_rootfs_to_json(const OciConfig *c, json_object **ret) {
        _cleanup_json_ json_object *o = NULL;
        json_object *ids;
        int r;

        o = json_object_new_object();
        ids = json_object_new_array();
        if (!o || !ids) {
                json_object_put(ids);
                return -ENOMEM;
        }
        r = json_add_string(o, "type", "layers");
        if (r >= 0)
                r = json_add_take(o, "diff_ids", ids);
        else
                json_object_put(ids);
        for (size_t i = 0; r >= 0 && i < c->n_diff_ids; i++) {
                json_object *s = json_object_new_string(c->diff_ids[i].str);
                if (!s || json_object_array_add(ids, s) < 0) {
                        json_object_put(s);
                        r = -ENOMEM;
                }
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static int config_history_to_json(const OciConfig *c, json_object **ret) {
        _cleanup_json_ json_object *a = NULL;
        int r = 0;

        a = json_object_new_array();
        if (!a)
                return -ENOMEM;
        for (size_t i = 0; r >= 0 && i < c->n_history; i++) {
                json_object *e = json_object_new_object();

                if (!e)
                        return -ENOMEM;
                r = json_add_string(e, "created", c->history[i].created);
                if (r >= 0)
                        r = json_add_string(e, "created_by", c->history[i].created_by);
                if (r >= 0)
                        r = json_add_string(e, "comment", c->history[i].comment);
                if (r >= 0 && c->history[i].empty_layer)
                        r = json_add_take(e, "empty_layer", json_object_new_boolean(1));
                if (r < 0 || json_object_array_add(a, e) < 0) {
                        json_object_put(e);
                        return -ENOMEM;
                }
        }
        *ret = TAKE_PTR(a);
        return 0;
}

int oci_config_to_json(const OciConfig *c, char **ret, size_t *ret_size) {
        _cleanup_json_ json_object *o = NULL;
        json_object *sub;
        int r;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        r = json_add_string(o, "created", c->created);
        if (r >= 0)
                r = json_add_string(o, "architecture", c->platform.arch);
        if (r >= 0 && c->platform.variant[0])
                r = json_add_string(o, "variant", c->platform.variant);
        if (r >= 0)
                r = json_add_string(o, "os", c->platform.os);
        if (r >= 0 && (r = config_exec_to_json(c, &sub)) >= 0)
                r = json_add_take(o, "config", sub);
        if (r >= 0 && (r = config_rootfs_to_json(c, &sub)) >= 0)
                r = json_add_take(o, "rootfs", sub);
        if (r >= 0 && c->n_history > 0 && (r = config_history_to_json(c, &sub)) >= 0)
                r = json_add_take(o, "history", sub);
        if (r < 0)
                return r;
        return json_to_buffer(o, ret, ret_size);
}

const char *oci_config_getenv(const OciConfig *c, const char *name) {
        size_t n = strlen(name);

        for (char **e = c->env; e && *e; e++)
                if (strneq(*e, name, n) && (*e)[n] == '=')
                        return *e + n + 1;
        return NULL;
}
