/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The bounds on everything archway reads from outside (registries, image layers, Dockerfiles), as one
 * table: a name users write (`--limit layer-bytes=2G`), a default, a unit. Programs fill a Limits from
 * the defaults and the command line and hand the values on to lib/ as plain numbers in options
 * structs; lib/ functions never look at a global. docs/security.md lists the same table. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum LimitId {
        LIMIT_LAYER_BYTES,        /* uncompressed bytes of one layer (tar stream, and files' sizes) */
        LIMIT_IMAGE_BYTES,        /* uncompressed bytes of all layers of one image */
        LIMIT_LAYER_ENTRIES,      /* tar entries of one layer */
        LIMIT_PATH_BYTES,         /* length of one entry name or link target */
        LIMIT_MODEL_BYTES,        /* check-arch: memory of the filesystem model of one image */
        LIMIT_DOCKERFILE_BYTES,   /* size of a Dockerfile or .dockerignore */
        LIMIT_INSTRUCTIONS,       /* instructions of one Dockerfile */
        LIMIT_EXPANSION_DEPTH,    /* nesting of ${...} in one word */
        LIMIT_EXPANSION_BYTES,    /* size of one expanded word or instruction */
        LIMIT_REQUEST_SECONDS,    /* one HTTP request to a registry, start to finish */
        LIMIT_PULL_SECONDS,       /* everything fetched from registries for one image */
        _LIMIT_MAX,
        _LIMIT_INVALID = -EINVAL,
} LimitId;

typedef enum LimitUnit {
        LIMIT_UNIT_BYTES,         /* "512K", "8G": powers of 1024 */
        LIMIT_UNIT_COUNT,         /* "1000000", "1M": powers of 1000 */
        LIMIT_UNIT_SECONDS,       /* "90", "10m", "2h" */
        _LIMIT_UNIT_MAX,
        _LIMIT_UNIT_INVALID = -EINVAL,
} LimitUnit;

typedef struct Limits {
        uint64_t value[_LIMIT_MAX];
} Limits;

/* Every limit at its default. */
void limits_init(Limits *l);

const char *limit_to_string(LimitId id);
LimitId limit_from_string(const char *name, size_t n);
LimitUnit limit_unit(LimitId id);
uint64_t limit_default(LimitId id);
/* The largest value a limit accepts (a path cannot exceed the kernel's PATH_MAX, ...). */
uint64_t limit_max(LimitId id);
/* One line of help for the limit. */
const char *limit_description(LimitId id);

/* Parse a value in the limit's unit ("8G", "1M", "10m"). Values are > 0 and <= limit_max(). Returns 0,
 * -EINVAL (syntax) or -ERANGE. */
int limit_parse_value(LimitUnit unit, const char *s, uint64_t max, uint64_t *ret);

/* Apply "name=value" (a --limit argument) to l. Returns 0, -ENOENT for an unknown name, or as
 * limit_parse_value(); l is unchanged on failure. */
int limits_set(Limits *l, const char *assignment);

/* Format a value in its unit ("8G", "1000000", "600s") into buf. Returns buf. */
char *limit_format(LimitUnit unit, uint64_t value, char *buf, size_t size);

/* Why limits_set() refused an assignment, as a phrase ("unknown limit", "not a size such as 512K or
 * 8G", "out of range"). */
const char *limits_set_error(int r, const char *assignment);

/* "layer-bytes, image-bytes, ...": every name, for a help text. */
const char *limits_names(void);
