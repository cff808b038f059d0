/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Filling the store from outside: an image from a registry (lib/registry, the client check-arch
 * uses) for one platform, or every platform of an OCI image layout (for `merge oci:DIR`). Blobs are
 * copied byte for byte (digests verified while streaming), the manifest last, then the name is tagged
 * in the store's index, so an interrupted pull never leaves a name pointing at missing blobs.
 *
 * Platform rule: a pulled base must be exactly the platform asked for (platform_equal(), in the index
 * entry and in the config). An index without that platform, or a single manifest of another one, is
 * an error (-ENXIO) that names what the image has; nothing ever falls back to another platform. */

#include <stdbool.h>

#include "error-detail.h"
#include "oci.h"
#include "platform.h"
#include "store.h"

/* Whether name names a registry explicitly: its first '/'-separated component has a '.' or a ':' or
 * is "localhost" (docker's reference rule). Names without a host are store-only: archbuild never
 * reaches out to Docker Hub on its own. */
bool pull_is_remote(const char *name);

/* Pull ref ("HOST[:PORT]/REPO[:TAG|@sha256:...]") for platform p into the store and tag it there
 * under ref (store_normalize_name()). insecure allows plain HTTP to a loopback registry. Returns 0,
 * -ENXIO when the image has no p variant (err names the platforms it has), or -errno with err (may be
 * NULL) saying what failed. */
int pull_image(Store *s, const char *ref, const Platform *p, bool insecure, ErrorDetail *err);

/* Copy every image of the OCI layout at dir (the entry named tag, or the only entry when tag is NULL;
 * an index is walked one level, attestations skipped) into the store, and append its single-platform
 * manifest descriptors (platform set, no ref_name) to acc. Returns 0 or -errno with err (may be NULL)
 * saying what failed. */
int pull_layout(Store *s, const char *dir, const char *tag, OciIndex *acc, ErrorDetail *err);
