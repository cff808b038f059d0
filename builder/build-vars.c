/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "build-internal.h"
#include "dockerfile-scope.h"
#include "error-detail.h"
#include "strv.h"

/* ARG and ENV in the build: the scope rules are dockerfile-scope.c's; this is where a word that does
 * not expand fails its step. */

static DockerfileScope scope_of(Build *b, Stage *s) {
        return (DockerfileScope) { .args = &b->args, .in_stage = s != NULL, .env = s ? s->config.env : NULL,
                                   .stage_args = s ? s->args : NULL };
}

/* The expander of a scope, with the store's bounds. */
static DockerfileExpander expander(Build *b, DockerfileScope *sc) {
        const Limits *l = &b->opts->store->limits;

        return (DockerfileExpander) {
                .escape = b->opts->dockerfile->escape, .lookup = dockerfile_scope_lookup, .userdata = sc,
                .max_depth = (unsigned) l->value[LIMIT_EXPANSION_DEPTH],
                .max_bytes = (size_t) l->value[LIMIT_EXPANSION_BYTES],
        };
}

int vars_expand_word(Build *b, Stage *s, const DockerfileInstruction *i, const char *text, char **ret) {
        DockerfileScope sc = scope_of(b, s);
        DockerfileExpander x = expander(b, &sc);
        ErrorDetail err = {};
        int r = dockerfile_expand_word(text, &x, ret, &err);

        return r < 0 ? step_fail(b, i, r, "%s", err.message[0] ? err.message : "expansion failed") : 0;
}

int vars_expand_words(Build *b, Stage *s, const DockerfileInstruction *i, char ***ret) {
        DockerfileScope sc = scope_of(b, s);
        DockerfileExpander x = expander(b, &sc);
        ErrorDetail err = {};
        int r;

        if (i->json) {
                /* The JSON form is expanded element by element, never split. */
                _cleanup_strv_free_ char **out = NULL;
                for (char **a = i->argv; *a; a++) {
                        _cleanup_free_ char *w = NULL;
                        if ((r = vars_expand_word(b, s, i, *a, &w)) < 0 || (r = strv_extend(&out, w)) < 0)
                                return r;
                }
                *ret = TAKE_PTR(out);
                return 0;
        }
        r = dockerfile_expand_words(i->args, &x, ret, &err);
        return r < 0 ? step_fail(b, i, r, "%s", err.message) : 0;
}

/* The KEY=VALUE words of ARG, ENV or LABEL, substituted in the current scope; a bad word fails the
 * step with the parser's message. */
int vars_split_pairs(Build *b, Stage *s, const DockerfileInstruction *i, char ***ret) {
        DockerfileScope sc = scope_of(b, s);
        DockerfileExpander x = expander(b, &sc);
        ErrorDetail err = {};
        int r;

        r = dockerfile_split_pairs(i, &x, ret, &err);
        return r < 0 ? step_fail(b, i, r, "%s", err.message) : 0;
}

/* ARG in the global scope (before the first FROM: s NULL) or in a stage. */
int handle_arg(Build *b, Stage *s, const DockerfileInstruction *i) {
        _cleanup_strv_free_ char **pairs = NULL;
        int r;

        r = vars_split_pairs(b, s, i, &pairs);
        if (r < 0)
                return r;
        return dockerfile_args_declare(&b->args, s ? &s->args : NULL, pairs);
}

int handle_env(Build *b, Stage *s, const DockerfileInstruction *i) {
        _cleanup_strv_free_ char **pairs = NULL;
        int r;

        r = vars_split_pairs(b, s, i, &pairs);
        if (r < 0)
                return r;
        for (char **p = pairs; *p; p++) {
                char *eq = strchr(*p, '=');
                *eq = 0;
                if ((r = strv_env_set(&s->config.env, *p, eq + 1)) < 0)
                        return r;
        }
        return 0;
}
