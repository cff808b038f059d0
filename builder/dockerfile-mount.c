/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile-internal.h"
#include "dockerfile-mount.h"
#include "strv.h"

/* BuildKit's names for each key (moby/buildkit frontend/dockerfile/instructions/commands_runmount.go). */
static const struct {
        const char *name;
        const char *canonical;
} mount_keys[] = {
        { "type", "type" },
        { "from", "from" },
        { "source", "source" }, { "src", "source" },
        { "target", "target" }, { "dst", "target" }, { "destination", "target" },
        { "readonly", "readonly" }, { "ro", "readonly" },
        { "readwrite", "readwrite" }, { "rw", "readwrite" },
};

static const char *canonical_key(const char *name, size_t n) {
        for (size_t k = 0; k < ELEMENTSOF(mount_keys); k++)
                if (strlen(mount_keys[k].name) == n && strneq(mount_keys[k].name, name, n))
                        return mount_keys[k].canonical;
        return NULL;
}

void run_mount_spec_done(RunMountSpec *m) {
        free(m->from);
        free(m->source);
        free(m->target);
        *m = (RunMountSpec) {};
}

/* One "key=value" (or a bare boolean key) of the comma-separated list. */
static int mount_field(const DockerfileInstruction *i, const char *f, size_t n, RunMountSpec *m, bool *have_type,
                       ErrorDetail *err) {
        const char *eq = memchr(f, '=', n), *key;
        size_t kn = eq ? (size_t) (eq - f) : n;
        char **slot = NULL;
        _cleanup_free_ char *v = eq ? strndup(eq + 1, n - kn - 1) : strdup("");

        if (!v)
                return -ENOMEM;
        key = canonical_key(f, kn);
        if (!key)
                return error_detail_set_line(err, i->line, -EINVAL, "RUN --mount: unknown key '%.*s'", (int) kn, f);
        if (streq(key, "type")) {
                if (!streq(v, "bind"))
                        return error_detail_set_line(err, i->line, -EOPNOTSUPP,
                                               "RUN --mount=type=%s is not supported (only type=bind with from=)", v);
                *have_type = true;
                return 0;
        }
        if (streq(key, "readonly"))
                return streq(v, "") || streq(v, "true") ? 0 :
                        error_detail_set_line(err, i->line, -EOPNOTSUPP, "RUN --mount: only read-only bind mounts are supported");
        if (streq(key, "readwrite"))
                return streq(v, "false") ? 0 :
                        error_detail_set_line(err, i->line, -EOPNOTSUPP, "RUN --mount: only read-only bind mounts are supported (rw)");
        slot = streq(key, "from") ? &m->from : streq(key, "source") ? &m->source : &m->target;
        if (isempty(v))
                return error_detail_set_line(err, i->line, -EINVAL, "RUN --mount: %s= needs a value", key);
        free(*slot);
        *slot = TAKE_PTR(v);
        return 0;
}

int run_mount_parse(const DockerfileInstruction *i, const char *value, RunMountSpec *ret, ErrorDetail *err) {
        _cleanup_(run_mount_spec_done) RunMountSpec m = {};
        bool have_type = false;
        int r;

        for (const char *p = value; *p;) {
                size_t n = strcspn(p, ",");
                if (n > 0 && (r = mount_field(i, p, n, &m, &have_type, err)) < 0)
                        return r;
                p += n;
                p += *p == ',';
        }
        /* BuildKit's default type is bind; say so only when it was not written. */
        (void) have_type;
        if (!m.target)
                return error_detail_set_line(err, i->line, -EINVAL, "RUN --mount: target= is required");
        if (!m.from)
                return error_detail_set_line(err, i->line, -EOPNOTSUPP,
                                       "RUN --mount: a bind without from= (of the build context) is not supported");
        if (m.target[0] != '/' && m.target[0] != '$')
                return error_detail_set_line(err, i->line, -EINVAL, "RUN --mount: target=%s must be absolute", m.target);
        if (!m.source && !(m.source = strdup("/")))
                return -ENOMEM;
        *ret = m;
        m = (RunMountSpec) {};
        return 0;
}

size_t run_mount_values(const DockerfileInstruction *i, const char **ret, size_t max) {
        size_t n = 0;

        for (char **f = i->flags; f && *f && n < max; f++)
                if (strneq(*f, "mount=", 6))
                        ret[n++] = *f + 6;
        return n;
}
