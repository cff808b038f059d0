/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* json-c helpers shared by the OCI, docker-archive and registry parsers. */

#include <json-c/json.h>
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
