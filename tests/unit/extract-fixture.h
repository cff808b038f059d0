/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The extractor run on layers built in memory (tests/unit/tar-fixture.h), and the checks on what it
 * wrote, for the unit tests of lib/layer-extract. */

#include <stdbool.h>
#include <sys/types.h>

#include "error-detail.h"
#include "layer-extract.h"
#include "tar-fixture.h"

extern const Ent basic[8];

/* What the last extract() said on failure (it asserts there is something). */
extern ErrorDetail extract_err;

int extract(const Buf *b, const char *root, const LayerExtractOptions *o, LayerReadResult *res);
/* The same, expecting failure; returns the error and frees b. */
int extract_fails(Buf b, const char *root, const LayerExtractOptions *o);

/* A fresh mkdtemp directory (free it). */
char *scratch(void);
char *join(const char *root, const char *rel);
void assert_file(const char *root, const char *rel, const char *content, mode_t mode);
bool exists(const char *root, const char *rel);
bool is_overlay_whiteout(const char *root, const char *rel);
/* Whether the file system under dir takes user.* xattrs (ext4, btrfs, tmpfs >= 6.6 do). */
bool user_xattrs_work(const char *dir);
void assert_opaque(const char *root, const char *rel);
