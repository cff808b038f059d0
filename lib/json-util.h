/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* json-c helpers shared by the OCI, docker-archive and registry parsers: strict parsing, typed member
 * getters that refuse the wrong type (-EBADMSG), and adders that serialise what the getters read. */

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

static inline void json_putp(json_object **o) {
        if (*o)
                json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_putp)

/* Parse exactly buf[0..size) as one JSON value; only whitespace may follow it. Returns 0 and a new
 * reference in *ret, -E2BIG when size exceeds max (or json-c's int length), -EBADMSG when the bytes
 * are not one JSON value, -ENOMEM. */
int json_parse_buffer(const void *buf, size_t size, size_t max, json_object **ret);

/* A string member: -EBADMSG when present but not a string, or absent and required; *ret NULL when
 * absent (or null) and optional. */
int json_get_string(json_object *o, const char *key, bool required, char **ret);
/* An array of strings member, as a strv; NULL when absent or null. */
int json_get_strv(json_object *o, const char *key, char ***ret);
/* The keys of an object member (ExposedPorts, Volumes), as a strv; NULL when absent. */
int json_get_keys(json_object *o, const char *key, char ***ret);
/* An object member kept as a new reference (annotations, labels); its values must be strings. */
int json_get_string_map(json_object *o, const char *key, json_object **ret);

/* Adders: nothing is added for a NULL value (json_add_take: -ENOMEM, as it takes a new object that
 * failed to be made). Each returns 0 or -ENOMEM. */
int json_add_string(json_object *o, const char *key, const char *value);
int json_add_strv(json_object *o, const char *key, char *const *l);
/* {"key": {}} per string, as ExposedPorts and Volumes are written. */
int json_add_keys(json_object *o, const char *key, char *const *l);
/* A new reference to value. */
int json_add_ref(json_object *o, const char *key, json_object *value);
/* value itself (its reference is taken). */
int json_add_take(json_object *o, const char *key, json_object *value);

/* Serialise compactly, without json-c's default escaping of '/' (media types are full of them): the
 * exact bytes to hash. *ret is NUL-terminated; ret_size (may be NULL) excludes the NUL. */
int json_to_buffer(json_object *o, char **ret, size_t *ret_size);
