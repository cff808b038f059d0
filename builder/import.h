/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* `archbuild import`: a root filesystem tarball (mmdebstrap, a busybox root, `docker export`) becomes
 * a one-layer base image in the store for one platform, after every ELF in it was checked against
 * that platform. */

#include <inttypes.h>
#include <stdbool.h>

#include "layer-write.h"
#include "platform.h"
#include "store.h"

/* Returns 0 or a negative errno (already logged). tarball may be "-" (stdin). */
int import_rootfs(Store *s, const char *tarball, const Platform *p, const char *name, const LayerWriteOptions *lo,
                  bool allow_foreign);

/* The same for a tree already in the store's tmp/ (taken over: moved into the store or removed),
 * recorded in the history as created_by. */
int import_tree(Store *s, const char *tree, const char *created_by, const Platform *p, const char *name,
                const LayerWriteOptions *lo, bool allow_foreign, uint64_t n_entries);
