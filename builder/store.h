/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* archbuild's local store, one directory:
 *
 *   oci/              an OCI image layout: every blob (layers, configs, manifests) and an index.json
 *                     whose entries are single-platform image manifests named by
 *                     org.opencontainers.image.ref.name = "NAME:TAG" (one entry per name and platform)
 *   layers/<hex>/     each layer unpacked once, keyed by its diff_id, in overlayfs form (whiteouts as
 *                     0/0 character devices, opaque directories by xattr), stacked as lower layers
 *   cache/<hex>       step cache records: key (parent chain + instruction + inputs) -> layer
 *   tmp/              build work directories, on the same filesystem so results are renamed in
 *   empty/            an empty directory: the lower layer of a build FROM scratch
 *
 * Outputs of a build are copied from oci/; nothing outside tmp/ is ever half-written (blobs and
 * index.json are atomic in lib/oci-layout, layers are renamed into place whole). */

#include <stdbool.h>

#include "file-util.h"
#include "input-limits.h"
#include "layer-reader.h"
#include "oci-layout.h"
#include "oci.h"
#include "platform.h"

typedef struct Store {
        char *path;
        OciLayout *layout;
        int lock_fd;
        char *tmp;          /* where store_mkdtemp() makes directories: NULL for PATH/tmp, or a
                             * directory under it private to one worker (build.c) */
        Limits limits;      /* bounds on what unpacking a layer may cost: the defaults after
                             * store_open(), the caller's --limit settings after that */
} Store;

/* A layer as the builder tracks it. */
typedef struct StoreLayer {
        OciDigest digest;   /* blob */
        OciDigest diff_id;  /* uncompressed tar = the key of layers/<hex> */
        uint64_t size;
        char media_type[64];
} StoreLayer;

/* The default store path: /var/lib/archway/store for root, else $XDG_DATA_HOME/archway or
 * ~/.local/share/archway. Returns a new string or NULL (no HOME). */
char *store_default_path(void);

/* Open (creating as needed) the store at path and take its lock (flock, shared by concurrent builds;
 * index.json updates are exclusive for their duration). Returns 0 or -errno. */
int store_open(const char *path, Store *ret);
void store_close(Store *s);

/* Make a fresh directory under tmp/ (prefix-XXXXXX), or under s->tmp when set. Returns 0 and its
 * absolute path. */
int store_mkdtemp(Store *s, const char *prefix, char **ret);

/* The absolute path of layers/<hex of diff_id> (it need not exist). */
int store_layer_path(Store *s, const OciDigest *diff_id, char **ret);

/* Move an unpacked tree (a finished upper directory) into layers/ under diff_id; when that layer is
 * already there, the tree is removed instead. Returns 0 or -errno. */
int store_adopt_layer(Store *s, const char *tree, const OciDigest *diff_id);

/* Make sure layers/<diff_id> of layers[k] exists, unpacking its blob (from oci/) when it does not.
 * layers[0..k) are the layers below it, which must exist already (a hardlink may name their files).
 * The blob must match its digest, size and media type, and the unpacked bytes must hash to the
 * diff_id, or nothing is adopted: an image cannot plant files under another layer's diff_id. The
 * store's limits bound the unpacking. Returns 0, -ENOENT when the blob is missing, -EBADMSG (a check
 * failed), -E2BIG/-EFBIG/-ENAMETOOLONG (a limit), or -errno, with err (may be NULL) saying what, as
 * "layer sha256:... does not unpack to the diff_id its image config names (expected ..., got ...)".
 * ret (may be NULL) has the counts. */
int store_ensure_layer(Store *s, const StoreLayer *layers, size_t k, LayerReadResult *ret, ErrorDetail *err);

/* Look an image up by name ("NAME:TAG"; a missing tag means latest) and platform. Returns 0 with its
 * manifest and config, -ENOENT when there is no such name, -ENXIO when the name exists but not for
 * that platform (ret_platforms then lists what it has, comma-separated; may be NULL). */
int store_find_image(Store *s, const char *name, const Platform *p, OciManifest *ret_manifest, OciConfig *ret_config,
                     char **ret_platforms);

/* Add or replace (same name and platform) the image whose manifest blob is desc (already in oci/).
 * Returns 0 or -errno. */
int store_tag_image(Store *s, const char *name, const OciDescriptor *desc);

/* Write config and manifest blobs for an image made of layers, and return the manifest descriptor
 * (with platform set). Returns 0 or -errno. */
int store_write_image(Store *s, const OciConfig *config, const StoreLayer *layers, size_t n_layers,
                      OciDescriptor *ret);

/* Step cache: the record for key, or -ENOENT. empty_layer records a step that made no layer. */
int store_cache_get(Store *s, const OciDigest *key, StoreLayer *ret, bool *ret_empty_layer);
int store_cache_put(Store *s, const OciDigest *key, const StoreLayer *l, bool empty_layer);

/* "NAME" -> "NAME:latest"; "NAME:TAG" and "NAME@sha256:..." unchanged. A ':' after the last '/'
 * starts a tag (a registry port does not). Returns a new string or NULL. */
char *store_normalize_name(const char *name);

