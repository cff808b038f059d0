/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where a built image goes: an OCI image layout shaped like buildx's (index.json -> one entry, an
 * image index named by the tag -> one manifest per platform), written blobs first and index.json last
 * so an interrupted build leaves the previous layout valid; a docker-archive tarball (`docker save`
 * form, one platform); or a registry push (blobs, configs, manifests, then the index). */

#include <stdbool.h>

#include "error-detail.h"
#include "oci.h"
#include "store.h"

/* Build the image index for the per-platform manifests (in the store's layout), store it there, and
 * return its descriptor. Returns 0 or -errno. */
int output_make_index(Store *s, const OciDescriptor *manifests, size_t n, OciDescriptor *ret);

/* Copy the image index idx (and everything it references) from the store into the OCI layout at dir,
 * naming it name ("repo:tag": ref.name gets the tag, io.containerd.image.name the whole name; an
 * existing entry of the same ref.name is replaced). Returns 0 or -errno. */
int output_oci_layout(Store *s, const OciDescriptor *idx, const char *name, const char *dir);

/* Write the one manifest m as a docker-archive at path (temporary file and rename). */
int output_docker_archive(Store *s, const OciDescriptor *m, const char *name, const char *path);

/* Push idx and everything below it to the registry reference ref ("HOST[:PORT]/REPO:TAG"). insecure
 * allows plain HTTP to a loopback registry. Returns 0 or -errno (registry_last_error() has more). */
int output_push(Store *s, const OciDescriptor *idx, const char *ref, bool insecure, ErrorDetail *err);

/* Read the descriptors of every manifest below idx (an index in the store). */
int output_read_index(Store *s, const OciDescriptor *idx, OciIndex *ret);
