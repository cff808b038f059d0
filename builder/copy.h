/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* COPY and ADD: match sources (globs) in the build context or in another stage's root, honour
 * .dockerignore for the context, and copy into the step's root through the overlay (so symlinks in
 * the destination resolve inside the image, as docker build does). Source paths are resolved with
 * openat2(RESOLVE_IN_ROOT): a symlink in the context cannot reach outside it. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error-detail.h"
#include "oci.h"

typedef struct CopySpec {
        char **sources;         /* patterns, relative to the source root (a leading '/' is ignored) */
        const char *dest;       /* absolute path in the image */
        bool dest_is_dir;       /* dest ends with '/' or there are several sources */
        int context_fd;         /* the build context (O_PATH dir), or -1 when copying --from a stage */
        char **ignore;          /* .dockerignore patterns (context only), or NULL */
        const char *chown;      /* "user[:group]" (names resolved in the image), or NULL */
        bool has_chmod;
        mode_t chmod;
        bool add;               /* ADD: unpack local tar archives into dest */
        bool keep_owner;        /* --from: keep the source's owners (unless chown) */
} CopySpec;

/* Read and parse CONTEXT/.dockerignore (comments, blank lines and leading "./" or "/" dropped). It
 * must be a regular file inside the context (a symlink out of it: -EXDEV) of at most max_bytes
 * (-EFBIG). Returns 0 with a strv (NULL when there is no file) or -errno. */
int copy_read_dockerignore(int context_fd, uint64_t max_bytes, char ***ret);

/* Whether rel (a context path, no leading '/') is excluded by patterns (last match wins; '!' re-
 * includes; a pattern that matches a parent directory excludes what is below it; '**' matches any
 * number of directories). Pure. */
bool copy_is_ignored(char *const *patterns, const char *rel);

/* Hash what a COPY from the context would read (names, types, modes, symlink targets and contents of
 * every matched file, in order) into h. Returns 0, -ENOENT naming no match in *ret_missing (the
 * pattern; the caller frees it), or -errno. */
int copy_hash_context(const CopySpec *spec, OciHasher *h, char **ret_missing);

/* The SandboxFunc that performs a COPY/ADD: root_fd is the step's root, from_fd the --from stage's
 * root or -1 (then spec->context_fd is the source). userdata is a CopySpec. */
int copy_run(int root_fd, int from_fd, void *userdata, ErrorDetail *err);
