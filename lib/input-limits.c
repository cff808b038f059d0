/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input-limits.h"
#include "macro.h"

#define KiB UINT64_C(1024)
#define MiB (KiB * 1024)
#define GiB (MiB * 1024)
#define TiB (GiB * 1024)

/* The defaults are generous for real images (the largest layers of CUDA and PyTorch images unpack to
 * 5-6 GiB; a full TeX Live layer has about 200 000 entries) and small against what a hostile input
 * could otherwise make us write, hold or wait for. docs/security.md explains each. */
static const struct {
        const char *name;
        LimitUnit unit;
        uint64_t def, max;
        const char *description;
} limit_table[_LIMIT_MAX] = {
        [LIMIT_LAYER_BYTES]      = { "layer-bytes",      LIMIT_UNIT_BYTES,   8 * GiB,   UINT64_MAX,
                                     "uncompressed bytes of one layer" },
        [LIMIT_IMAGE_BYTES]      = { "image-bytes",      LIMIT_UNIT_BYTES,   32 * GiB,  UINT64_MAX,
                                     "uncompressed bytes of all layers of one image" },
        [LIMIT_LAYER_ENTRIES]    = { "layer-entries",    LIMIT_UNIT_COUNT,   1000000,   UINT32_MAX,
                                     "files, directories and links in one layer" },
        /* The kernel's PATH_MAX: no longer name can be created or opened. */
        [LIMIT_PATH_BYTES]       = { "path-bytes",       LIMIT_UNIT_BYTES,   4096,      4096,
                                     "length of one path or link target in a layer" },
        [LIMIT_MODEL_BYTES]      = { "model-bytes",      LIMIT_UNIT_BYTES,   1 * GiB,   UINT64_MAX,
                                     "memory of check-arch's model of one image's files" },
        [LIMIT_DOCKERFILE_BYTES] = { "dockerfile-bytes", LIMIT_UNIT_BYTES,   4 * MiB,   1 * GiB,
                                     "size of a Dockerfile or .dockerignore" },
        [LIMIT_INSTRUCTIONS]     = { "instructions",     LIMIT_UNIT_COUNT,   10000,     1000000,
                                     "instructions in one Dockerfile" },
        [LIMIT_EXPANSION_DEPTH]  = { "expansion-depth",  LIMIT_UNIT_COUNT,   64,        4096,
                                     "nesting of ${...} substitutions in one word" },
        [LIMIT_EXPANSION_BYTES]  = { "expansion-bytes",  LIMIT_UNIT_BYTES,   1 * MiB,   1 * GiB,
                                     "size of one instruction's arguments after substitution" },
        [LIMIT_REQUEST_SECONDS]  = { "request-seconds",  LIMIT_UNIT_SECONDS, 900,       7 * 24 * 3600,
                                     "one HTTP request to a registry, from connect to the last byte" },
        [LIMIT_PULL_SECONDS]     = { "pull-seconds",     LIMIT_UNIT_SECONDS, 3600,      7 * 24 * 3600,
                                     "all registry requests for one image" },
};

void limits_init(Limits *l) {
        for (size_t i = 0; i < _LIMIT_MAX; i++)
                l->value[i] = limit_table[i].def;
}

const char *limit_to_string(LimitId id) {
        return id >= 0 && id < _LIMIT_MAX ? limit_table[id].name : NULL;
}

LimitId limit_from_string(const char *name, size_t n) {
        for (size_t i = 0; i < _LIMIT_MAX; i++)
                if (strlen(limit_table[i].name) == n && strneq(limit_table[i].name, name, n))
                        return (LimitId) i;
        return _LIMIT_INVALID;
}

LimitUnit limit_unit(LimitId id) {
        return id >= 0 && id < _LIMIT_MAX ? limit_table[id].unit : _LIMIT_UNIT_INVALID;
}

uint64_t limit_default(LimitId id) {
        return id >= 0 && id < _LIMIT_MAX ? limit_table[id].def : 0;
}

uint64_t limit_max(LimitId id) {
        return id >= 0 && id < _LIMIT_MAX ? limit_table[id].max : 0;
}

const char *limit_description(LimitId id) {
        return id >= 0 && id < _LIMIT_MAX ? limit_table[id].description : NULL;
}

/* The multiplier a suffix stands for in a unit; 0 when the suffix is not one of the unit's. */
static uint64_t suffix_factor(LimitUnit unit, const char *s) {
        static const struct {
                LimitUnit unit;
                const char *suffix;
                uint64_t factor;
        } suffixes[] = {
                { LIMIT_UNIT_BYTES, "", 1 },         { LIMIT_UNIT_BYTES, "K", KiB },
                { LIMIT_UNIT_BYTES, "KiB", KiB },    { LIMIT_UNIT_BYTES, "M", MiB },
                { LIMIT_UNIT_BYTES, "MiB", MiB },    { LIMIT_UNIT_BYTES, "G", GiB },
                { LIMIT_UNIT_BYTES, "GiB", GiB },    { LIMIT_UNIT_BYTES, "T", TiB },
                { LIMIT_UNIT_BYTES, "TiB", TiB },
                { LIMIT_UNIT_COUNT, "", 1 },         { LIMIT_UNIT_COUNT, "k", 1000 },
                { LIMIT_UNIT_COUNT, "K", 1000 },     { LIMIT_UNIT_COUNT, "M", 1000000 },
                { LIMIT_UNIT_SECONDS, "", 1 },       { LIMIT_UNIT_SECONDS, "s", 1 },
                { LIMIT_UNIT_SECONDS, "m", 60 },     { LIMIT_UNIT_SECONDS, "h", 3600 },
        };

        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++)
                if (suffixes[i].unit == unit && streq(suffixes[i].suffix, s))
                        return suffixes[i].factor;
        return 0;
}

int limit_parse_value(LimitUnit unit, const char *s, uint64_t max, uint64_t *ret) {
        unsigned long long v;
        uint64_t factor;
        char *end;

        if (isempty(s) || !(s[0] >= '0' && s[0] <= '9'))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (errno || end == s)
                return -EINVAL;
        factor = suffix_factor(unit, end);
        if (factor == 0)
                return -EINVAL;
        if (v == 0 || v > UINT64_MAX / factor || v * factor > max)
                return -ERANGE;
        *ret = v * factor;
        return 0;
}

int limits_set(Limits *l, const char *assignment) {
        const char *eq = strchr(assignment, '=');
        LimitId id;
        uint64_t v;
        int r;

        if (!eq)
                return -EINVAL;
        id = limit_from_string(assignment, (size_t) (eq - assignment));
        if (id < 0)
                return -ENOENT;
        r = limit_parse_value(limit_table[id].unit, eq + 1, limit_table[id].max, &v);
        if (r < 0)
                return r;
        l->value[id] = v;
        return 0;
}

char *limit_format(LimitUnit unit, uint64_t value, char *buf, size_t size) {
        static const char *const bytes[] = { "", "K", "M", "G", "T" };
        size_t k = 0;

        switch (unit) {
        case LIMIT_UNIT_BYTES:
                while (k + 1 < ELEMENTSOF(bytes) && value >= 1024 && value % 1024 == 0) {
                        value /= 1024;
                        k++;
                }
                snprintf(buf, size, "%llu%s", (unsigned long long) value, bytes[k]);
                break;
        case LIMIT_UNIT_SECONDS:
                snprintf(buf, size, "%llus", (unsigned long long) value);
                break;
        default:
                snprintf(buf, size, "%llu", (unsigned long long) value);
        }
        return buf;
}

const char *limits_set_error(int r, const char *assignment) {
        static const char *const unit_syntax[_LIMIT_UNIT_MAX] = {
                [LIMIT_UNIT_BYTES] = "not a size such as 512K or 8G",
                [LIMIT_UNIT_COUNT] = "not a count such as 5000 or 1M",
                [LIMIT_UNIT_SECONDS] = "not a duration such as 90, 10m or 2h",
        };
        const char *eq = strchr(assignment, '=');
        LimitId id = eq ? limit_from_string(assignment, (size_t) (eq - assignment)) : _LIMIT_INVALID;

        if (!eq)
                return "expected NAME=VALUE";
        if (r == -ENOENT || id < 0)
                return "unknown limit";
        if (r == -ERANGE)
                return "out of range";
        return unit_syntax[limit_unit(id)];
}

const char *limits_names(void) {
        return "layer-bytes, image-bytes, layer-entries, path-bytes, model-bytes, dockerfile-bytes, instructions, "
               "expansion-depth, expansion-bytes, request-seconds, pull-seconds";
}
