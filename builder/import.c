/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "foreign.h"
#include "import.h"
#include "layer-extract.h"
#include "log.h"
#include "strv.h"

/* The rootfs must be what --platform says: an amd64 tree tagged arm64 is the bug this tool exists to
 * stop. */
static int check_tree(const char *tree, const Platform *p, bool allow_foreign) {
        ForeignElf *l = NULL;
        char a[PLATFORM_STRING_MAX], t[PLATFORM_STRING_MAX];
        int n = foreign_scan_tree(tree, p, &l);

        if (n < 0)
                return log_error_errno(n, "Failed to scan the root filesystem: %m");
        for (int k = 0; k < n && k < 5; k++)
                log_full_errno(allow_foreign ? LOG_LEVEL_WARNING : LOG_LEVEL_ERROR, 0, "%s is %s, not %s", l[k].path,
                               l[k].unknown ? foreign_elf_what(&l[k]) : platform_to_string(&l[k].platform, a),
                               platform_to_string(p, t));
        foreign_elfs_free(l, (size_t) n);
        if (n > 0 && !allow_foreign)
                return log_error_errno(ENOEXEC, "%d ELF file%s in the root filesystem do not run on %s (--allow-foreign-binaries to import anyway).",
                                       n, n == 1 ? "" : "s", t);
        return 0;
}

static char *created_string(int64_t sde) {
        time_t t = sde >= 0 ? (time_t) sde : time(NULL);
        char buf[64];
        struct tm tm;

        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
        return strdup(buf);
}

int import_rootfs(Store *s, const char *tarball, const Platform *p, const char *name, const LayerWriteOptions *lo,
                  bool allow_foreign) {
        _cleanup_free_ char *tmp = NULL, *created_by = NULL;
        _cleanup_close_ int fd = -EBADF;
        LayerExtractOptions xo = {
                .read.stream.max_bytes = s->limits.value[LIMIT_LAYER_BYTES],
                .read.max_entries = s->limits.value[LIMIT_LAYER_ENTRIES],
                .read.max_path = (size_t) s->limits.value[LIMIT_PATH_BYTES],
        };
        ErrorDetail err = {};
        LayerReadResult ex = {};
        int r;

        fd = streq(tarball, "-") ? dup(STDIN_FILENO) : open(tarball, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "Failed to open %s: %m", tarball);
        r = store_mkdtemp(s, "import", &tmp);
        if (r < 0)
                return log_error_errno(r, "Failed to make a directory in the store: %m");
        r = layer_extract_fd(fd, tmp, &xo, &ex, &err);
        if (r < 0) {
                (void) rm_rf(tmp);
                return log_error_errno(r, "Failed to unpack %s: it %s", tarball, error_detail_or(&err, strerror(-r)));
        }
        if (asprintf(&created_by, "archbuild import %s", strrchr(tarball, '/') ? strrchr(tarball, '/') + 1 : tarball) < 0)
                return log_oom();
        return import_tree(s, tmp, created_by, p, name, lo, allow_foreign, ex.n_entries);
}

int import_tree(Store *s, const char *tmp, const char *created_by, const Platform *p, const char *name,
                const LayerWriteOptions *lo, bool allow_foreign, uint64_t n_entries) {
        _cleanup_close_ int dfd = -EBADF;
        _cleanup_(oci_descriptor_done) OciDescriptor desc = {};
        OciConfig config = { .platform = *p };
        OciHistory history = {};
        LayerWriteResult res;
        StoreLayer layer = {};
        char buf[PLATFORM_STRING_MAX];
        int r;

        r = check_tree(tmp, p, allow_foreign);
        if (r < 0)
                goto fail;
        dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) {
                r = log_error_errno(errno, "Failed to open %s: %m", tmp);
                goto fail;
        }
        /* Re-written in archbuild's canonical form: sorted, normalised, clamped; its digest is then
         * independent of how the tarball was made. */
        r = layer_write_tree(dfd, lo, s->layout, &res);
        if (r < 0) {
                log_error_errno(r, "Failed to write the layer: %m");
                goto fail;
        }
        r = store_adopt_layer(s, tmp, &res.diff_id);
        if (r < 0) {
                log_error_errno(r, "Failed to store the layer: %m");
                goto fail;
        }
        layer.digest = res.digest;
        layer.diff_id = res.diff_id;
        layer.size = res.size;
        snprintf(layer.media_type, sizeof(layer.media_type), "%s", res.media_type);

        config.created = created_string(lo->source_date_epoch);
        history = (OciHistory) { .created = config.created, .created_by = (char *) created_by, .comment = (char *) "archbuild" };
        config.history = &history;
        config.n_history = 1;
        config.diff_ids = &layer.diff_id;
        config.n_diff_ids = 1;
        r = strv_extend(&config.env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        if (r >= 0)
                r = store_write_image(s, &config, &layer, 1, &desc);
        strv_free(config.env);
        free(config.created);
        if (r < 0)
                return log_error_errno(r, "Failed to write the image: %m");
        r = store_tag_image(s, name, &desc);
        if (r < 0)
                return log_error_errno(r, "Failed to tag %s: %m", name);
        printf("%s %s %s (%" PRIu64 " entries, %" PRIu64 " bytes)\n", name, platform_to_string(p, buf), desc.digest.str,
               n_entries, layer.size);
        return 0;
fail:
        (void) rm_rf(tmp);
        return r;
}
