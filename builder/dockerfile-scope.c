/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile-scope.h"
#include "strv.h"

int dockerfile_args_init(DockerfileArgs *a, char *const *build_args, const Platform *target, const Platform *host) {
        char tbuf[PLATFORM_STRING_MAX], hbuf[PLATFORM_STRING_MAX];
        const char *const vals[][2] = {
                { "TARGETPLATFORM", platform_to_string(target, tbuf) },
                { "TARGETOS", target->os }, { "TARGETARCH", target->arch }, { "TARGETVARIANT", target->variant },
                { "BUILDPLATFORM", platform_to_string(host, hbuf) },
                { "BUILDOS", host->os }, { "BUILDARCH", host->arch }, { "BUILDVARIANT", host->variant },
        };
        int r;

        *a = (DockerfileArgs) { .build_args = build_args };
        for (size_t k = 0; k < ELEMENTSOF(vals); k++)
                if ((r = strv_env_set(&a->automatic, vals[k][0], vals[k][1])) < 0)
                        return r;
        return 0;
}

void dockerfile_args_done(DockerfileArgs *a) {
        strv_free(a->global);
        strv_free(a->automatic);
        *a = (DockerfileArgs) {};
}

const char *dockerfile_scope_lookup(const char *name, void *userdata) {
        const DockerfileScope *sc = userdata;
        const char *v;
        bool bare;

        if (sc->in_stage) {
                if ((v = strv_env_get(sc->env, name, NULL)))
                        return v;
                return strv_env_get(sc->stage_args, name, NULL);
        }
        /* A global ARG declared without a value hides the automatic one of its name. */
        if ((v = strv_env_get(sc->args->global, name, &bare)) || bare)
                return v;
        return strv_env_get(sc->args->automatic, name, NULL);
}

/* The value --build-arg gives name; *ret_given says whether it names it at all. */
static const char *build_arg(const DockerfileArgs *a, const char *name, bool *ret_given) {
        bool bare;
        const char *v = strv_env_get(a->build_args, name, &bare);

        *ret_given = v || bare;
        return bare ? getenv(name) : v;
}

/* The value of ARG name declared in a stage (in_stage) or globally, with default (NULL: none). */
static const char *arg_value(const DockerfileArgs *a, bool in_stage, const char *name, const char *def) {
        const char *v;
        bool given;

        v = build_arg(a, name, &given);
        if (given)
                return v;
        if (in_stage && (v = strv_env_get(a->global, name, NULL)))
                return v;
        if (in_stage && (v = strv_env_get(a->automatic, name, NULL)))
                return v;
        return def;
}

int dockerfile_args_declare(DockerfileArgs *a, char ***stage_args, char *const *pairs) {
        for (char *const *p = pairs; p && *p; p++) {
                const char *eq = strchr(*p, '=');
                _cleanup_free_ char *name = eq ? strndup(*p, (size_t) (eq - *p)) : strdup(*p);
                int r;

                if (!name)
                        return -ENOMEM;
                r = strv_env_set(stage_args ?: &a->global, name, arg_value(a, stage_args != NULL, name, eq ? eq + 1 : NULL));
                if (r < 0)
                        return r;
        }
        return 0;
}

int dockerfile_run_env(char *const *env, char *const *stage_args, const char *default_path, char ***ret) {
        _cleanup_strv_free_ char **out = NULL;
        int r;

        r = strv_copy(env, &out);
        if (r < 0)
                return r;
        for (char *const *p = stage_args; p && *p; p++) {
                const char *eq = strchr(*p, '=');
                _cleanup_free_ char *name = NULL;

                if (!eq)
                        continue;
                if (!(name = strndup(*p, (size_t) (eq - *p))))
                        return -ENOMEM;
                if (!strv_env_get(env, name, NULL) && (r = strv_extend(&out, *p)) < 0)
                        return r;
        }
        if (!strv_env_get(out, "PATH", NULL) && (r = strv_env_set(&out, "PATH", default_path)) < 0)
                return r;
        *ret = TAKE_PTR(out);
        return 0;
}
