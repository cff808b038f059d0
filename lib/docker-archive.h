/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The tarball `docker save` writes (and skopeo's docker-archive: transport): "manifest.json" is a JSON
 * array of {"Config": "<path>", "RepoTags": [...], "Layers": ["<path>", ...]} naming files inside the
 * same tar; the config is a plain image config. (Docker >= 25 also puts an OCI layout inside; the
 * manifest.json paths point into its blobs/sha256/ and work the same.) The tar is read sequentially
 * through libarchive, so one pass per member is enough and nothing is unpacked. */

#include <stddef.h>
#include <sys/types.h>

#include "layer-reader.h"
#include "strv.h"

/* Bounds on manifest.json. */
#define DOCKER_ARCHIVE_MANIFEST_MAX (1024 * 1024)

typedef struct DockerArchiveImage {
        char *config;      /* member path of the config */
        char **repo_tags;  /* strv, may be NULL */
        char **layers;     /* member paths, base first */
        size_t n_layers;
} DockerArchiveImage;

typedef struct DockerArchiveManifest {
        DockerArchiveImage *images;
        size_t n_images;
} DockerArchiveManifest;

/* Pure: parse manifest.json. Member paths are normalised (layer_path_normalize(): no "..", not
 * absolute: -EBADMSG). Returns 0, -EBADMSG, -E2BIG for > DOCKER_ARCHIVE_MANIFEST_MAX. */
int docker_archive_manifest_parse(const void *buf, size_t size, DockerArchiveManifest *ret);
void docker_archive_manifest_done(DockerArchiveManifest *m);
/* The image whose RepoTags has tag ("repo:tag"), or with tag NULL the only one (-EADDRNOTAVAIL when
 * several). Returns the position or -ENOENT. */
int docker_archive_manifest_find(const DockerArchiveManifest *m, const char *tag);
/* Serialise (for writers). Returns 0 or -ENOMEM. */
int docker_archive_manifest_to_json(const DockerArchiveManifest *m, char **ret, size_t *ret_size);

/* Read member (a normalised path) of the tar at path into memory, at most max bytes (-E2BIG). A member
 * that is a symlink inside the tar (docker save links repeated layers) is followed, at most 8 times
 * (-ELOOP). Returns 0, -ENOENT when there is no such member, -EBADMSG for a bad tar, or -errno. *ret
 * is NUL-terminated. */
int docker_archive_read_member(const char *path, const char *member, size_t max, char **ret, size_t *ret_size);

/* Stream member of the tar at path into the layer reader (it may be compressed or not). Opens its own
 * fd, so several threads may read different members at once. Returns as layer_read_source(),
 * -ENOENT when there is no such member. */
int docker_archive_read_layer(const char *path, const char *member, const LayerReadOptions *opts,
                              LayerEntryCallback cb, void *userdata, LayerReadResult *ret_result, ErrorDetail *err);
