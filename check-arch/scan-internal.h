/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the parts of the image scan share:
 *   scan-image.c     results, the index and its targets, scan_image()
 *   scan-manifest.c  one manifest: its config, its layers read by a pool of threads, the model
 *   scan-checks.c    the checks of one platform on a manifest's model
 * Nothing here is seen outside check-arch/scan-*.c. */

#include <stdbool.h>

#include "check-isa.h"
#include "error-detail.h"
#include "fs-model.h"
#include "image-source.h"
#include "scan-image.h"

/* The default PATH of an image config without one (as docker's). */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* One manifest, scanned once however many targets name it. */
typedef struct ManifestScan {
        OciDigest digest;
        OciManifest manifest;
        OciConfig config;
        bool have_config;
        LayerScan *layers;
        size_t n_layers;
        FsModel *model;
        IsaWant isa_want;
        int error;
        ErrorDetail error_detail;   /* what failed, when error < 0 */
} ManifestScan;

/* scan-manifest.c: read d's manifest, config and (unless quick) layers into m. Returns 0 or -errno
 * with m->error_detail saying what failed. */
int manifest_scan(ImageSource *source, const OciDescriptor *d, const ScanImageOptions *o, ManifestScan *m);
void manifest_scan_done(ManifestScan *m);

/* scan-checks.c: run the checks of platform result p on m. Returns 0 or -ENOMEM. */
int check_platform(PlatformResult *p, ManifestScan *m, const ScanImageOptions *o);
/* Whether this host runs p's platform: natively, or through an enabled entry of the binfmt_misc
 * instance at binfmt_path. Returns 0 or -ENOMEM. */
int check_host(PlatformResult *p, const char *binfmt_path);

/* scan-image.c: a check's detail line, the image's first error, a problem found by a check (fails
 * the check; the first SCAN_PROBLEMS_MAX are kept). Return 0 or -ENOMEM. */
_printf_(3, 4) int set_detail(PlatformResult *p, CheckId c, const char *fmt, ...);
_printf_(2, 3) int set_error(ImageResult *r, const char *fmt, ...);
_printf_(5, 6) int add_problem(PlatformResult *p, CheckId c, const FsEntry *e, const char *have, const char *fmt, ...);
void problem_done(Problem *p);
