/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Variable substitution as BuildKit's shell-word lexer does it ($VAR, ${VAR}, the six modifiers,
 * quotes, the escape character), bounded in nesting and in bytes produced. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile-internal.h"
#include "input-limits.h"
#include "strbuf.h"
#include "strv.h"

/* ---- variable expansion ---------------------------------------------------------------------- */

typedef struct Lexer {
        const char *p;
        const DockerfileExpander *x;
        unsigned depth, max_depth;
        size_t produced, max_bytes; /* every byte appended anywhere during this expansion */
        ErrorDetail *err;
} Lexer;

static Lexer lexer_new(const char *s, const DockerfileExpander *x, ErrorDetail *err) {
        return (Lexer) {
                .p = s, .x = x, .err = err,
                .max_depth = x->max_depth ?: (unsigned) limit_default(LIMIT_EXPANSION_DEPTH),
                .max_bytes = x->max_bytes ?: (size_t) limit_default(LIMIT_EXPANSION_BYTES),
        };
}

static const char *lex_lookup(const Lexer *lx, const char *name) {
        return lx->x->lookup ? lx->x->lookup(name, lx->x->userdata) : NULL;
}

/* Append within the expansion's byte budget: a variable expanded many times (or a large one) stops at
 * the expansion-bytes limit instead of growing to gigabytes. */
static int lex_putn(Lexer *lx, StrBuf *out, const char *s, size_t n) {
        if (n > lx->max_bytes - lx->produced)
                return error_detail_set(lx->err, -E2BIG, "the substitutions make more than %zu bytes (the expansion-bytes limit)",
                            lx->max_bytes);
        lx->produced += n;
        return strbuf_putn(out, s, n);
}

static int lex_putc(Lexer *lx, StrBuf *out, char c) {
        return lex_putn(lx, out, &c, 1);
}

static bool is_name_char(char c) {
        return isalnum((unsigned char) c) || c == '_';
}

static int lex_word_until(Lexer *lx, StrBuf *out, char stop, bool in_double);

/* After "${NAME" and a modifier (":-", "-", ":+", "+", ":?", "?"): the word up to the matching '}'. */
static int lex_modifier(Lexer *lx, const char *name, char mod, bool colon, StrBuf *out) {
        const char *value = lex_lookup(lx, name);
        bool set = colon ? !isempty(value) : value != NULL;
        _cleanup_(strbuf_done) StrBuf word = {};
        int r;

        r = lex_word_until(lx, &word, '}', false);
        if (r < 0)
                return r;
        if (*lx->p != '}')
                return error_detail_set(lx->err, -EINVAL, "missing '}' in ${%s...}", name);
        lx->p++;

        switch (mod) {
        case '-':
                return set ? lex_putn(lx, out, value, strlen(value)) : lex_putn(lx, out, word.s ?: "", word.len);
        case '+':
                return set ? lex_putn(lx, out, word.s ?: "", word.len) : 0;
        case '?':
                if (!set)
                        return error_detail_set(lx->err, -EINVAL, "%s: %s", name, word.len ? word.s : "is not set");
                return lex_putn(lx, out, value, strlen(value));
        }
        return error_detail_set(lx->err, -EINVAL, "unsupported modifier '%c' in ${%s}", mod, name);
}

/* At '$': append the expansion. A '$' not followed by a name or '{' is literal, as in BuildKit. */
static int lex_variable(Lexer *lx, StrBuf *out) {
        char name[256];
        size_t n = 0;
        const char *value;
        bool braced;

        lx->p++; /* '$' */
        braced = *lx->p == '{';
        if (braced)
                lx->p++;
        else if (!is_name_char(*lx->p))
                return lex_putc(lx, out, '$');

        while (is_name_char(*lx->p)) {
                if (n + 1 >= sizeof(name))
                        return error_detail_set(lx->err, -EINVAL, "variable name too long");
                name[n++] = *lx->p++;
        }
        name[n] = 0;

        if (braced) {
                if (n == 0)
                        return error_detail_set(lx->err, -EINVAL, "bad substitution: empty variable name");
                /* strchr() finds the terminating NUL too: "${A:" at the end is not a modifier. */
                if (*lx->p == ':' && lx->p[1] && strchr("-+?", lx->p[1])) {
                        char mod = lx->p[1];
                        lx->p += 2;
                        return lex_modifier(lx, name, mod, true, out);
                }
                if (*lx->p && strchr("-+?", *lx->p)) {
                        char mod = *lx->p++;
                        return lex_modifier(lx, name, mod, false, out);
                }
                if (*lx->p != '}')
                        return error_detail_set(lx->err, -EINVAL, "unsupported substitution in ${%s%c...}: only :- :+ :? - + ? are", name, *lx->p ?: ' ');
                lx->p++;
        }

        value = lex_lookup(lx, name);
        return value ? lex_putn(lx, out, value, strlen(value)) : 0;
}

static int lex_single_quoted(Lexer *lx, StrBuf *out) {
        lx->p++;
        while (*lx->p && *lx->p != '\'') {
                int r = lex_putc(lx, out, *lx->p++);
                if (r < 0)
                        return r;
        }
        if (*lx->p != '\'')
                return error_detail_set(lx->err, -EINVAL, "unexpected end of text: missing '");
        lx->p++;
        return 0;
}

static int lex_double_quoted(Lexer *lx, StrBuf *out) {
        int r;

        lx->p++;
        r = lex_word_until(lx, out, '"', true);
        if (r < 0)
                return r;
        if (*lx->p != '"')
                return error_detail_set(lx->err, -EINVAL, "unexpected end of text: missing \"");
        lx->p++;
        return 0;
}

/* Append characters until stop (not consumed), a blank when stop is ' ', or the end. Inside double
 * quotes the escape character only escapes '"', '$' and itself (else it stays, as sh does). Sets
 * *quoted when any quotes were seen (an empty "" is still a word). */
static int lex_word_until_q(Lexer *lx, StrBuf *out, char stop, bool in_double, bool *quoted) {
        char escape = lx->x->escape;
        int r;

        while (*lx->p) {
                char c = *lx->p;

                if (stop == ' ' ? (c == ' ' || c == '\t' || c == '\n' || c == '\r') : c == stop)
                        return 0;
                if (c == escape) {
                        char next = lx->p[1];
                        if (!next) {
                                lx->p++;
                                return lex_putc(lx, out, c);
                        }
                        if (in_double && next != '"' && next != '$' && next != escape) {
                                r = lex_putc(lx, out, c);
                        } else {
                                r = lex_putc(lx, out, next);
                                lx->p++;
                        }
                        lx->p++;
                } else if (c == '$')
                        r = lex_variable(lx, out);
                else if (!in_double && c == '\'') {
                        r = lex_single_quoted(lx, out);
                        if (quoted)
                                *quoted = true;
                } else if (!in_double && c == '"') {
                        r = lex_double_quoted(lx, out);
                        if (quoted)
                                *quoted = true;
                } else {
                        r = lex_putc(lx, out, c);
                        lx->p++;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Words nest (${a:-${b:-...}}, quotes inside them): each level is a recursion, bounded so that a
 * hostile Dockerfile cannot exhaust the stack. */
static int lex_word_until(Lexer *lx, StrBuf *out, char stop, bool in_double) {
        int r;

        if (lx->depth >= lx->max_depth)
                return error_detail_set(lx->err, -E2BIG, "substitutions nested deeper than %u (the expansion-depth limit)",
                            lx->max_depth);
        lx->depth++;
        r = lex_word_until_q(lx, out, stop, in_double, NULL);
        lx->depth--;
        return r;
}

int dockerfile_expand_word(const char *s, const DockerfileExpander *x, char **ret, ErrorDetail *err) {
        Lexer lx = lexer_new(s, x, err);
        _cleanup_(strbuf_done) StrBuf out = {};
        int r;

        r = lex_word_until(&lx, &out, 0, false);
        if (r < 0)
                return r;
        *ret = strbuf_steal(&out);
        return *ret ? 0 : -ENOMEM;
}

int dockerfile_expand_words(const char *s, const DockerfileExpander *x, char ***ret, ErrorDetail *err) {
        Lexer lx = lexer_new(s, x, err);
        _cleanup_strv_free_ char **words = NULL;
        int r;

        words = calloc(1, sizeof(char *));
        if (!words)
                return -ENOMEM;
        for (;;) {
                _cleanup_(strbuf_done) StrBuf w = {};
                bool quoted = false;

                while (*lx.p && isspace((unsigned char) *lx.p))
                        lx.p++;
                if (!*lx.p)
                        break;
                r = lex_word_until_q(&lx, &w, ' ', false, &quoted);
                if (r < 0)
                        return r;
                if (w.len == 0 && !quoted)
                        continue;
                r = strv_extend(&words, w.s ?: "");
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(words);
        return 0;
}

int dockerfile_split_pairs(const DockerfileInstruction *i, const DockerfileExpander *x, char ***ret,
                           ErrorDetail *err) {
        _cleanup_strv_free_ char **words = NULL, **pairs = NULL;
        const char *blank;
        int r;

        /* ARG names are never expanded, but their default values are. */
        r = dockerfile_expand_words(i->args, x, &words, err);
        if (r < 0)
                return r;
        if (!words[0])
                return error_detail_set_line(err, i->line, -EINVAL, "%s needs at least one argument",
                            dockerfile_instruction_to_string(i->type));

        /* Legacy "ENV key value with blanks": the first raw word has no '='. */
        blank = i->args + strcspn(i->args, " \t");
        if (i->type != DOCKERFILE_ARG && !memchr(i->args, '=', blank - i->args)) {
                _cleanup_free_ char *value = NULL, *pair = NULL;

                r = dockerfile_expand_word(blank + strspn(blank, " \t"), x, &value, err);
                if (r < 0)
                        return r;
                if (asprintf(&pair, "%s=%s", words[0], value) < 0)
                        return -ENOMEM;
                pairs = calloc(2, sizeof(char *));
                if (!pairs)
                        return -ENOMEM;
                pairs[0] = TAKE_PTR(pair);
                *ret = TAKE_PTR(pairs);
                return 0;
        }

        for (char **w = words; *w; w++) {
                char *eq = strchr(*w, '=');

                if (eq == *w)
                        return error_detail_set_line(err, i->line, -EINVAL, "%s: empty name in '%s'",
                                    dockerfile_instruction_to_string(i->type), *w);
                if (!eq && i->type != DOCKERFILE_ARG)
                        return error_detail_set_line(err, i->line, -EINVAL, "%s: '%s' is not of the form key=value",
                                    dockerfile_instruction_to_string(i->type), *w);
        }
        *ret = TAKE_PTR(words);
        return 0;
}

