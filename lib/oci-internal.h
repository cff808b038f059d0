/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the OCI document parsers share (users include oci.h only):
 *   oci.c          media types, descriptors, and these helpers
 *   oci-digest.c   digests and the streaming hasher
 *   oci-index.c    indexes and manifests
 *   oci-config.c   configs */

#include <json-c/json.h>

#include "oci.h"

/* A digest member ("sha256:..."): -EBADMSG when missing or malformed, -EOPNOTSUPP for another
 * algorithm. */
int json_get_digest(json_object *o, const char *key, OciDigest *ret);
/* os/architecture/variant members of o (a descriptor's "platform" or a config), lowercased; os and
 * architecture required. */
int json_get_platform(json_object *o, const char *os_key, const char *arch_key, Platform *ret);
/* "schemaVersion": 2 (-EOPNOTSUPP for Docker's schema 1, -EBADMSG otherwise). */
int json_check_schema_version(json_object *o);
/* An index or manifest document: one JSON object of at most OCI_MANIFEST_SIZE_MAX bytes, schema 2, its
 * optional "mediaType" in *ret_media_type (NULL when absent). */
int json_document_parse(const void *buf, size_t size, json_object **ret, char **ret_media_type);
int platform_to_json(const Platform *p, json_object **ret);

/* Arrays of descriptors: at most max (-E2BIG); a missing array is -EBADMSG. */
int json_get_descriptors(json_object *o, const char *key, size_t max, OciDescriptor **ret, size_t *ret_n);
int json_add_descriptors(json_object *o, const char *key, const OciDescriptor *d, size_t n);
int descriptors_append(OciDescriptor **l, size_t *n, size_t max, const OciDescriptor *d);
void descriptors_free(OciDescriptor *d, size_t n);
