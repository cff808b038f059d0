/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Image indexes (and Docker manifest lists) and image manifests (and Docker schema 2 manifests):
 * image-spec image-index.md and manifest.md. */
#include <errno.h>
#include <string.h>

#include "json-util.h"
#include "oci-internal.h"

/* ---- index ------------------------------------------------------------------------------------- */

void oci_index_done(OciIndex *i) {
        if (!i)
                return;
        free(i->media_type);
        descriptors_free(i->manifests, i->n_manifests);
        if (i->annotations)
                json_object_put(i->annotations);
        *i = (OciIndex) {};
}

int oci_index_parse(const void *buf, size_t size, OciIndex *ret) {
        _cleanup_json_ json_object *o = NULL;
        OciIndex i = {};
        int r;

        r = json_document_parse(buf, size, &o, &i.media_type);
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

        r = json_document_parse(buf, size, &o, &m.media_type);
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
        _cleanup_free_ char *media_type = NULL;
        int r;

        if (content_type && strstr(content_type, "prettyjws"))
                return -EOPNOTSUPP; /* Docker schema 1, signed */
        if (content_type && kind_from_media_type(content_type, ret) >= 0)
                return 0;
        r = json_document_parse(buf, size, &o, &media_type);
        if (r < 0)
                return r;
        if (media_type)
                return kind_from_media_type(media_type, ret);
        if (json_object_object_get_ex(o, "manifests", NULL))
                *ret = OCI_KIND_INDEX;
        else if (json_object_object_get_ex(o, "layers", NULL))
                *ret = OCI_KIND_MANIFEST;
        else
                return -EBADMSG;
        return 0;
}

