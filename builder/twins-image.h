/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* `archbuild twins`: a "twins image" for a base: the native twins (lib/accel, docs/accel.md) that
 * `archway accel install` would put in the base's root, and nothing else: one layer holding /.archway
 * (native/ and the routes, keyed by the build-ids of the base's own compilers). For BuildKit's
 * RUN --mount=type=bind,from=TWINS,source=/.archway,target=/.archway (docs/docker.md) and archbuild's. */

#include "layer-write.h"
#include "platform.h"
#include "store.h"

/* Install twins over the base image (in the store, for platform p) and store the result as image name
 * for p. Returns 0, -ESRCH when nothing of the base can be twinned (logged with why), or -errno
 * (logged). */
int twins_image(Store *s, const char *base, const Platform *p, const char *name, const LayerWriteOptions *lo);
