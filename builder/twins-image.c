/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file-util.h"
#include "import.h"
#include "log.h"
#include "macro.h"
#include "strv.h"
#include "twins-image.h"
#include "twins.h"

/* The base's layer directories, newest first (extracted into the store when they are not yet). */
static int base_lowers(Store *s, const char *base, const Platform *p, char ***ret) {
        _cleanup_(oci_manifest_done) OciManifest m = {};
        _cleanup_(oci_config_done) OciConfig config = {};
        _cleanup_free_ char *others = NULL;
        _cleanup_free_ StoreLayer *layers = NULL;
        char buf[PLATFORM_STRING_MAX];
        int r;

        r = store_find_image(s, base, p, &m, &config, &others);
        if (r == -ENXIO)
                return log_error_errno(r, "%s has no %s variant (it has: %s)", base, platform_to_string(p, buf), others);
        if (r < 0)
                return log_error_errno(r, "Failed to find %s in the store %s (archbuild import or a build makes it): %m",
                                       base, s->path);
        if (m.n_layers != config.n_diff_ids || m.n_layers == 0)
                return log_error_errno(EBADMSG, "%s has %zu layers but %zu diff_ids", base, m.n_layers, config.n_diff_ids);
        layers = calloc(m.n_layers, sizeof(StoreLayer));
        if (!layers)
                return log_oom();
        for (size_t k = 0; k < m.n_layers; k++) {
                layers[k].digest = m.layers[k].digest;
                layers[k].diff_id = config.diff_ids[k];
                layers[k].size = (uint64_t) m.layers[k].size;
                snprintf(layers[k].media_type, sizeof(layers[k].media_type), "%s", m.layers[k].media_type);
                if ((r = store_ensure_layer(s, layers, k, NULL, NULL)) < 0)
                        return log_error_errno(r, "Failed to unpack layer %zu of %s: %m", k, base);
        }
        for (size_t k = m.n_layers; k > 0; k--) {
                _cleanup_free_ char *path = NULL;
                if ((r = store_layer_path(s, &layers[k - 1].diff_id, &path)) < 0 || (r = strv_extend(ret, path)) < 0)
                        return log_error_errno(r, "Failed to find layer %zu of %s: %m", k - 1, base);
        }
        return 0;
}

int twins_image(Store *s, const char *base, const Platform *p, const char *name, const LayerWriteOptions *lo) {
        _cleanup_strv_free_ char **lowers = NULL;
        _cleanup_free_ char *tree = NULL, *created_by = NULL;
        char buf[PLATFORM_STRING_MAX];
        ErrorDetail why = {};
        char *slash;
        int r;

        r = base_lowers(s, base, p, &lowers);
        if (r < 0)
                return r;
        r = twins_install(s, p, lowers, &tree, &why);
        if (r < 0)
                return log_error_errno(r, "Failed to install twins over %s: %s", base, why.message);
        if (r == 0)
                return log_error_errno(ESRCH, "No twins for %s (%s): %s", base, platform_to_string(p, buf), why.message);
        if (asprintf(&created_by, "archbuild twins %s", base) < 0)
                return log_oom();
        /* The tree is DIR/upper: import it (moved into the store), then remove DIR. */
        r = import_tree(s, tree, created_by, p, name, lo, false, 0);
        slash = strrchr(tree, '/');
        *slash = 0;
        (void) rm_rf(tree);
        return r;
}
