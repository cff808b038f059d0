/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The Dockerfile language as values: parser directives, logical lines (escape character, line
 * continuations, comments), instructions with their --flags and their exec (JSON array) or shell
 * form, and variable substitution (ARG/ENV: $VAR, ${VAR}, ${VAR:-word}, ${VAR:+word}, ${VAR-word},
 * ${VAR+word}, ${VAR:?msg}, ${VAR?msg}) with the quoting rules of BuildKit's shell-word lexer.
 * Pure: a buffer in, structs out; no files, no logging. Everything archbuild cannot do (RUN --mount,
 * heredocs, HEALTHCHECK, ONBUILD, ADD of URLs, unknown flags) is refused here, with the line, before
 * any work starts.
 *
 * Sources, for facts only: the Dockerfile reference (docs.docker.com/reference/dockerfile: parser
 * directives, escape, environment replacement, each instruction's forms). */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "error-detail.h"

typedef enum DockerfileInstructionType {
        DOCKERFILE_FROM,
        DOCKERFILE_ARG,
        DOCKERFILE_ENV,
        DOCKERFILE_RUN,
        DOCKERFILE_COPY,
        DOCKERFILE_ADD,
        DOCKERFILE_WORKDIR,
        DOCKERFILE_USER,
        DOCKERFILE_LABEL,
        DOCKERFILE_EXPOSE,
        DOCKERFILE_VOLUME,
        DOCKERFILE_ENTRYPOINT,
        DOCKERFILE_CMD,
        DOCKERFILE_SHELL,
        DOCKERFILE_STOPSIGNAL,
        _DOCKERFILE_INSTRUCTION_MAX,
        _DOCKERFILE_INSTRUCTION_INVALID = -EINVAL,
} DockerfileInstructionType;

typedef struct DockerfileInstruction {
        DockerfileInstructionType type;
        unsigned line;      /* first physical line, 1-based */
        char *original;     /* the logical line, continuations joined, as history "created_by" */
        char **flags;       /* strv of "name=value" (a bare --flag is "name="), or NULL */
        bool json;          /* exec form: argv holds the decoded JSON array */
        char **argv;        /* exec form only (RUN, CMD, ENTRYPOINT, SHELL, COPY, ADD, VOLUME) */
        char *args;         /* the text after the flags, trimmed; never NULL */
        char *from_image;   /* FROM only: the image word, not yet expanded */
        char *stage_name;   /* FROM only: the name after AS, or NULL */
} DockerfileInstruction;

typedef struct Dockerfile {
        char escape;                    /* '\\' or '`' (the escape directive) */
        DockerfileInstruction *instructions;
        size_t n_instructions;
} Dockerfile;

void dockerfile_done(Dockerfile *d);

/* Parse a whole Dockerfile held in buf (size bytes, need not be NUL-terminated). Checks every
 * instruction's shape: known keyword, allowed flags, JSON where only JSON is allowed (SHELL), the
 * argument count (COPY needs a source and a destination), and every refusal. The first instruction
 * that is not ARG must be FROM. At most max_instructions (0: the instructions limit's default).
 * Returns 0, or -EINVAL / -EOPNOTSUPP (refused feature) / -E2BIG (too many instructions) with err
 * filled (err may be NULL), or -ENOMEM. ret is written only on success. */
int dockerfile_parse(const char *buf, size_t size, size_t max_instructions, Dockerfile *ret, ErrorDetail *err);

/* "FROM", "RUN", ...; NULL for a value outside the enum. */
const char *dockerfile_instruction_to_string(DockerfileInstructionType t);
/* Case-insensitive keyword lookup; _DOCKERFILE_INSTRUCTION_INVALID when unknown. */
DockerfileInstructionType dockerfile_instruction_from_string(const char *s);

/* The value of flag name ("from", "platform", "chown") on i, or NULL when absent. */
const char *dockerfile_instruction_flag(const DockerfileInstruction *i, const char *name);

/* Variable lookup for expansion: the value, or NULL when the variable is not set. */
typedef const char *(*DockerfileLookup)(const char *name, void *userdata);

/* How to expand: the escape character, the variables, and the bounds a hostile Dockerfile meets
 * (0: the defaults of lib/input-limits, expansion-depth and expansion-bytes). */
typedef struct DockerfileExpander {
        char escape;
        DockerfileLookup lookup;
        void *userdata;
        unsigned max_depth;   /* nesting of ${...} and quotes inside them */
        size_t max_bytes;     /* bytes one call may produce, intermediate words included */
} DockerfileExpander;

/* Expand s as one word (WORKDIR, USER, STOPSIGNAL, FROM's image, a flag value): quotes are removed
 * ('...' literal, "..." with $ expansion and escape of " $ escape), the escape character quotes the
 * next character outside single quotes, variables are replaced. Returns 0, -EINVAL (bad syntax, an
 * unset ${VAR:?msg}) or -E2BIG (a bound) with err->message filled (err->line is left alone), or
 * -ENOMEM. */
int dockerfile_expand_word(const char *s, const DockerfileExpander *x, char **ret, ErrorDetail *err);

/* The same, splitting s into words at unquoted blanks (COPY sources, EXPOSE, VOLUME, ENV/LABEL/ARG
 * pairs). A word that expands to nothing and had no quotes is dropped, as a shell would. ret is a
 * strv (possibly empty, never NULL on success). */
int dockerfile_expand_words(const char *s, const DockerfileExpander *x, char ***ret, ErrorDetail *err);

/* Split ENV/LABEL/ARG arguments into "key=value" strings after expansion (expand may be false for
 * ARG names, which are not expanded). The legacy `ENV key value words` form (first word without '=')
 * yields one pair whose value is the rest of the line. For ARG, a word without '=' yields "key" with
 * no '='. Returns 0 or as dockerfile_expand_words(); -EINVAL for an empty key. */
int dockerfile_split_pairs(const DockerfileInstruction *i, const DockerfileExpander *x, char ***ret,
                           ErrorDetail *err);
