/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Dockerfiles: the parser, then every instruction's arguments through the expander as archbuild
 * expands them (words, pairs), with variables that refer to each other. */
#include "../builder/dockerfile.h"
#include "fuzz.h"
#include "strv.h"

static const char *lookup(const char *name, void *userdata) {
        static const char *const vars[][2] = { { "A", "alpha" }, { "B", "${A}" }, { "EMPTY", "" }, { "SP", "x y" } };

        for (size_t k = 0; k < sizeof(vars) / sizeof(vars[0]); k++)
                if (strcmp(name, vars[k][0]) == 0)
                        return vars[k][1];
        return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        DockerfileExpander x = { .escape = '\\', .lookup = lookup, .max_bytes = 64 * 1024 };
        ErrorDetail err;
        Dockerfile d;

        if (dockerfile_parse((const char *) data, size, 1000, &d, &err) < 0)
                return 0;
        x.escape = d.escape;
        for (size_t k = 0; k < d.n_instructions; k++) {
                const DockerfileInstruction *i = &d.instructions[k];
                char **words = NULL, *word = NULL;

                if (i->type == DOCKERFILE_ENV || i->type == DOCKERFILE_ARG || i->type == DOCKERFILE_LABEL)
                        (void) dockerfile_split_pairs(i, &x, &words, &err);
                else
                        (void) dockerfile_expand_words(i->args, &x, &words, &err);
                strv_free(words);
                (void) dockerfile_expand_word(i->args, &x, &word, &err);
                free(word);
        }
        dockerfile_done(&d);
        return 0;
}
