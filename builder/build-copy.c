/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "build-internal.h"
#include "copy.h"
#include "file-util.h"
#include "strv.h"

/* COPY and ADD: the sources from the build context (with .dockerignore), another stage or an image,
 * copied by copy.c inside the step's root. */

static int join_workdir(const Stage *s, const char *path, char **ret) {
        const char *wd = s->config.working_dir ?: "/";
        bool slash = path[0] && path[strlen(path) - 1] == '/';

        if (path[0] == '/')
                return (*ret = strdup(path)) ? 0 : -ENOMEM;
        return asprintf(ret, "%s%s%s%s", wd, streq(wd, "/") ? "" : "/", streq(path, ".") ? "" : path,
                        slash ? "" : "") < 0 ? -ENOMEM : 0;
}

static int copy_key(Build *b, Stage *s, const DockerfileInstruction *i, const CopySpec *spec, const Stage *from,
                    OciDigest *ret) {
        _cleanup_(oci_hasher_freep) OciHasher *h = NULL;
        _cleanup_free_ char *missing = NULL;
        char mode[32];
        const char *ctx[] = { spec->dest, spec->chown ?: "", mode, spec->add ? "add" : "copy",
                              from ? from->chain.str : "context", NULL };
        int r;

        snprintf(mode, sizeof(mode), "%o", spec->has_chmod ? (unsigned) spec->chmod : 0u);
        if ((r = step_key_begin(b, s, "COPY", &h)) < 0 || (r = step_hash_strs(h, "ctx", (char **) ctx)) < 0 ||
            (r = step_hash_strs(h, "src", spec->sources)) < 0)
                return r;
        if (!from) {
                r = copy_hash_context(spec, h, &missing);
                if (r == -ENOENT && missing)
                        return step_fail(b, i, r, "%s: no such file or directory in the build context", missing);
                if (r < 0)
                        return step_fail(b, i, r, "Failed to read the build context: %m");
        }
        return oci_hasher_final(h, ret);
}

static int parse_chmod(const char *s, mode_t *ret) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 8);
        if (isempty(s) || *end || errno || v > 07777)
                return -EINVAL;
        *ret = (mode_t) v;
        return 0;
}

int handle_copy(Build *b, Stage *s, const DockerfileInstruction *i) {
        _cleanup_strv_free_ char **words = NULL, **ignore = NULL;
        _cleanup_free_ char *dest = NULL, *chown = NULL, *chmod_s = NULL, *from_name = NULL;
        _cleanup_close_ int ctx_fd = -EBADF;
        _cleanup_(step_dirs_done) StepDirs d = {};
        _cleanup_(stage_done) Stage from_image = {};
        ErrorDetail err = {};
        const Stage *from = NULL;
        CopySpec spec = { .context_fd = -1, .add = i->type == DOCKERFILE_ADD };
        size_t n;
        OciDigest key;
        int r;

        if ((r = vars_expand_words(b, s, i, &words)) < 0)
                return r;
        n = strv_length(words);
        if (n < 2)
                return step_fail(b, i, -EINVAL, "needs a source and a destination");
        r = join_workdir(s, words[n - 1], &dest);
        if (r < 0)
                return r;
        free(words[n - 1]);
        words[n - 1] = NULL;
        spec.sources = words;
        spec.dest = dest;
        spec.dest_is_dir = dest[strlen(dest) - 1] == '/' || n > 2;
        if (dockerfile_instruction_flag(i, "chown") &&
            (r = vars_expand_word(b, s, i, dockerfile_instruction_flag(i, "chown"), &chown)) < 0)
                return r;
        spec.chown = chown;
        if (dockerfile_instruction_flag(i, "chmod")) {
                if ((r = vars_expand_word(b, s, i, dockerfile_instruction_flag(i, "chmod"), &chmod_s)) < 0)
                        return r;
                if (parse_chmod(chmod_s, &spec.chmod) < 0)
                        return step_fail(b, i, -EINVAL, "--chmod=%s: only octal modes are supported", chmod_s);
                spec.has_chmod = true;
        }
        if (dockerfile_instruction_flag(i, "from")) {
                if ((r = vars_expand_word(b, s, i, dockerfile_instruction_flag(i, "from"), &from_name)) < 0)
                        return r;
                from = stage_find(b, from_name);
                if (from == s)
                        return step_fail(b, i, -ELOOP, "--from=%s: a stage cannot copy from itself", from_name);
                if (!from) {
                        /* Not a stage: an image, for this stage's platform (as BuildKit does). */
                        from_image.platform = s->platform;
                        if ((r = stage_from_image(b, &from_image, i, from_name)) < 0)
                                return r;
                        from = &from_image;
                }
                spec.keep_owner = true;
        } else {
                for (char **w = words; *w; w++)
                        if (spec.add && strstr(*w, "://"))
                                return step_fail(b, i, -EOPNOTSUPP, "ADD of URLs is not supported (%s)", *w);
                ctx_fd = open(b->opts->context, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (ctx_fd < 0)
                        return step_fail(b, i, -errno, "Failed to open the build context %s: %m", b->opts->context);
                spec.context_fd = ctx_fd;
                r = copy_read_dockerignore(ctx_fd, b->opts->store->limits.value[LIMIT_DOCKERFILE_BYTES], &ignore);
                if (r == -EXDEV || r == -ELOOP)
                        return step_fail(b, i, r, ".dockerignore is a symlink that leads out of the build context");
                if (r == -EFBIG)
                        return step_fail(b, i, r, ".dockerignore is larger than the dockerfile-bytes limit");
                if (r < 0)
                        return step_fail(b, i, r, "Failed to read .dockerignore: %m");
                spec.ignore = ignore;
        }
        r = copy_key(b, s, i, &spec, from, &key);
        if (r < 0)
                return r;
        if (step_cache_hit(b, s, i, &key))
                return 1;
        r = step_dirs_make(b, s, from, &d);
        if (r < 0)
                return step_fail(b, i, r, "Failed to prepare the step directory: %m");
        SandboxRootfs root = { .lowers = d.lowers, .n_lowers = strv_length(d.lowers), .upper = d.upper, .work = d.work,
                               .merged = d.merged };
        SandboxRootfs from_root = { .lowers = d.from_lowers, .n_lowers = strv_length(d.from_lowers),
                                    .merged = d.from_merged };
        r = sandbox_call(&root, from ? &from_root : NULL, copy_run, &spec, &err);
        if (r < 0)
                return step_fail(b, i, r, "%s", error_detail_or(&err, "copy failed"));
        return step_commit_upper(b, s, i, &d, &key);
}
