/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Check an image against platforms: the index (1), the config (2), the entrypoint and a deep scan of
 * the final filesystem (3), loaders and libc (4), and whether this host can run it (5). The result is
 * data (ImageResult); report.c presents it. */

#include <errno.h>
#include <stdbool.h>

#include "image-source.h"
#include "input-limits.h"
#include "isa-check.h"
#include "oci.h"
#include "platform.h"

typedef enum CheckId {
        CHECK_INDEX,
        CHECK_CONFIG,
        CHECK_ENTRYPOINT,
        CHECK_DEEP_SCAN,
        CHECK_LOADERS,
        CHECK_ISA,         /* the CPU level and features a target names (variant or --cpu) */
        CHECK_HOST,
        _CHECK_MAX,
        _CHECK_INVALID = -EINVAL,
} CheckId;

typedef enum CheckState {
        CHECK_NOT_RUN,
        CHECK_OK,
        CHECK_FAIL,
        CHECK_SKIPPED, /* --quick, labels only, or nothing to check */
        CHECK_INFO,    /* host: informational, never fails the run */
        _CHECK_STATE_MAX,
        _CHECK_STATE_INVALID = -EINVAL,
} CheckState;

/* At most this many targets per run (the report's CHECK_ARCH_TARGETS_MAX). */
#define SCAN_TARGETS_MAX 16

/* Problems kept per platform; the rest are only counted. */
#define SCAN_PROBLEMS_MAX 1000

typedef struct Problem {
        CheckId check;
        char *path;            /* "/usr/bin/x", or NULL */
        int layer;             /* index in the manifest, -1 when none */
        OciDigest layer_digest;/* the layer blob */
        OciDigest diff_id;     /* the uncompressed layer (config rootfs.diff_ids), same in every transport */
        char *have;            /* the file's platform ("linux/amd64"), or NULL */
        char *message;
        /* CHECK_ISA only */
        char *isa_required;    /* "x86-64-v3 (avx2,bmi2)" */
        char *isa_missing;     /* "avx2,bmi2": what the target lacks */
        char *isa_proof;       /* the instruction or note that proves it */
        const char *isa_evidence; /* "code", "note", "attribute" */
        uint64_t isa_address;  /* code: the instruction's address */
} Problem;

typedef struct PlatformResult {
        Platform target;
        OciDigest manifest;    /* unset when the index has none for target */
        bool has_config;
        Platform config_platform;
        CheckState state[_CHECK_MAX];
        char *detail[_CHECK_MAX];
        unsigned n_elf, n_mismatched;
        IsaTarget isa;         /* inactive: no CPU level to check */
        unsigned n_isa_checked, n_isa_failed, n_isa_dispatched;
        Problem *problems;
        size_t n_problems, n_problems_dropped;
} PlatformResult;

typedef struct ImageResult {
        char *source;
        ImageSourceKind kind;
        bool labels_only;
        OciDigest digest;      /* of the top document */
        char *media_type;
        char **available;      /* platforms the index lists (strv), or NULL for a single manifest */
        PlatformResult *results;
        size_t n_results;
        char *error;           /* set when the image could not be read: the run exits 2 */
        uint64_t n_layers, raw_bytes, tar_bytes, n_entries;
} ImageResult;

typedef struct ScanImageOptions {
        bool quick;            /* skip checks 3 and 4 */
        unsigned jobs;         /* layers scanned at once; 0: the number of CPUs */
        bool progress;         /* a progress line on stderr */
        const char *binfmt_dir;/* for the host check; NULL: /proc/sys/fs/binfmt_misc */
        const IsaTarget *isa;  /* one per target (CPU level to check), or NULL */
        size_t n_isa;
        uint64_t isa_code_max; /* 0: ELF_ISA_CODE_MAX */
        ImageSourceOptions source;
        Limits limits;         /* bounds on layers, the image and the model (limits_init() first) */
} ScanImageOptions;

const char *check_id_to_string(CheckId c);
const char *check_state_to_string(CheckState s);
bool platform_result_ok(const PlatformResult *p);

/* Check spec (an image reference, or with kind IMAGE_SOURCE_MANIFEST a file) against targets.
 * Failures to read the image are recorded in ret->error, not returned. Returns 0, -ENOMEM, or
 * -E2BIG for more than SCAN_TARGETS_MAX targets. */
int scan_image(const char *spec, ImageSourceKind kind, const Platform *targets, size_t n_targets,
               const ScanImageOptions *opts, ImageResult *ret);
void image_result_done(ImageResult *r);
