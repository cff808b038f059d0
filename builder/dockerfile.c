/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Dockerfile parser: directives, logical lines, the instruction table and its checks. */
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile-internal.h"
#include "input-limits.h"
#include "strbuf.h"
#include "strv.h"

/* ---- the instruction table ------------------------------------------------------------------- */

typedef int (*CheckFunc)(DockerfileInstruction *i, ErrorDetail *err);

static int check_nonempty(DockerfileInstruction *i, ErrorDetail *err);
static int check_from(DockerfileInstruction *i, ErrorDetail *err);
static int check_run(DockerfileInstruction *i, ErrorDetail *err);
static int check_copy(DockerfileInstruction *i, ErrorDetail *err);
static int check_add(DockerfileInstruction *i, ErrorDetail *err);
static int check_json_only(DockerfileInstruction *i, ErrorDetail *err);
static int check_command(DockerfileInstruction *i, ErrorDetail *err);

/* Which form each instruction takes, which flags it accepts, and how its arguments are checked at
 * parse time. Flags are those of the Dockerfile reference that archbuild implements; any other flag
 * is refused by name. */
static const struct {
        const char *name;
        bool json;            /* may be written as a JSON array (exec form) */
        const char *flags;    /* accepted --flags, blank-separated */
        CheckFunc check;
} instruction_table[_DOCKERFILE_INSTRUCTION_MAX] = {
        [DOCKERFILE_FROM]       = { "FROM",       false, "platform",               check_from },
        [DOCKERFILE_ARG]        = { "ARG",        false, "",                       check_nonempty },
        [DOCKERFILE_ENV]        = { "ENV",        false, "",                       check_nonempty },
        [DOCKERFILE_RUN]        = { "RUN",        true,  "",                       check_run },
        [DOCKERFILE_COPY]       = { "COPY",       true,  "from chown chmod link",  check_copy },
        [DOCKERFILE_ADD]        = { "ADD",        true,  "chown chmod link",       check_add },
        [DOCKERFILE_WORKDIR]    = { "WORKDIR",    false, "",                       check_nonempty },
        [DOCKERFILE_USER]       = { "USER",       false, "",                       check_nonempty },
        [DOCKERFILE_LABEL]      = { "LABEL",      false, "",                       check_nonempty },
        [DOCKERFILE_EXPOSE]     = { "EXPOSE",     false, "",                       check_nonempty },
        [DOCKERFILE_VOLUME]     = { "VOLUME",     true,  "",                       check_nonempty },
        [DOCKERFILE_ENTRYPOINT] = { "ENTRYPOINT", true,  "",                       check_command },
        [DOCKERFILE_CMD]        = { "CMD",        true,  "",                       check_command },
        [DOCKERFILE_SHELL]      = { "SHELL",      true,  "",                       check_json_only },
        [DOCKERFILE_STOPSIGNAL] = { "STOPSIGNAL", false, "",                       check_nonempty },
};

/* Known instructions that archbuild refuses, with the reason in the message. */
static const char *const refused_instructions[] = {
        "HEALTHCHECK", "ONBUILD", "MAINTAINER",
};

const char *dockerfile_instruction_to_string(DockerfileInstructionType t) {
        if (t < 0 || t >= _DOCKERFILE_INSTRUCTION_MAX)
                return NULL;
        return instruction_table[t].name;
}

DockerfileInstructionType dockerfile_instruction_from_string(const char *s) {
        for (size_t t = 0; t < _DOCKERFILE_INSTRUCTION_MAX; t++)
                if (strcasecmp(instruction_table[t].name, s) == 0)
                        return (DockerfileInstructionType) t;
        return _DOCKERFILE_INSTRUCTION_INVALID;
}

const char *dockerfile_instruction_flag(const DockerfileInstruction *i, const char *name) {
        size_t n = strlen(name);

        for (char **f = i->flags; f && *f; f++)
                if (strneq(*f, name, n) && (*f)[n] == '=')
                        return *f + n + 1;
        return NULL;
}

static bool flag_allowed(const char *list, const char *name, size_t n) {
        for (const char *p = list; *p;) {
                size_t len = strcspn(p, " ");
                if (len == n && strneq(p, name, n))
                        return true;
                p += len;
                p += strspn(p, " ");
        }
        return false;
}

static const char *name_of(const DockerfileInstruction *i) {
        return instruction_table[i->type].name;
}

static int check_nonempty(DockerfileInstruction *i, ErrorDetail *err) {
        if (isempty(i->args))
                return error_detail_set_line(err, i->line, -EINVAL, "%s requires at least one argument", name_of(i));
        return 0;
}

static int check_from(DockerfileInstruction *i, ErrorDetail *err) {
        _cleanup_strv_free_ char **w = NULL;
        int r;

        /* "image" or "image AS name": the words as they stand (FROM expands only the image, later) */
        r = strv_split(i->args, " \t", &w);
        if (r < 0)
                return r;
        if (!(strv_length(w) == 1 || (strv_length(w) == 3 && strcasecmp(w[1], "as") == 0)))
                return error_detail_set_line(err, i->line, -EINVAL, "FROM takes an image and an optional 'AS name'");
        i->from_image = strdup(w[0]);
        i->stage_name = w[1] ? strdup(w[2]) : NULL;
        return i->from_image && (!w[1] || i->stage_name) ? 0 : -ENOMEM;
}

/* A heredoc starts a word with "<<" or "<<-" and a delimiter word (optionally quoted). "$((1<<2))"
 * is not one: its "<<" does not start a word. */
static bool has_heredoc(const char *s) {
        for (const char *p = strstr(s, "<<"); p; p = strstr(p + 2, "<<")) {
                const char *q = p + 2;
                if (p != s && !isspace((unsigned char) p[-1]))
                        continue;
                if (*q == '-')
                        q++;
                if (*q == '"' || *q == '\'')
                        q++;
                if (isalpha((unsigned char) *q) || *q == '_')
                        return true;
        }
        return false;
}

static int check_run(DockerfileInstruction *i, ErrorDetail *err) {
        int r = check_nonempty(i, err);
        if (r < 0)
                return r;
        if (!i->json && has_heredoc(i->args))
                return error_detail_set_line(err, i->line, -EOPNOTSUPP, "RUN with a heredoc is not supported");
        if (i->json && !i->argv[0])
                return error_detail_set_line(err, i->line, -EINVAL, "RUN needs a command");
        return 0;
}

static size_t copy_word_count(const DockerfileInstruction *i) {
        size_t n = 0;
        const char *p = i->args;

        if (i->json)
                return strv_length(i->argv);
        while (*p) {
                p += strspn(p, " \t");
                if (!*p)
                        break;
                n++;
                p += strcspn(p, " \t");
        }
        return n;
}

static int check_copy(DockerfileInstruction *i, ErrorDetail *err) {
        if (!i->json && has_heredoc(i->args))
                return error_detail_set_line(err, i->line, -EOPNOTSUPP, "%s with a heredoc is not supported", name_of(i));
        if (copy_word_count(i) < 2)
                return error_detail_set_line(err, i->line, -EINVAL, "%s requires at least two arguments: source(s) and destination",
                            name_of(i));
        return 0;
}

static bool is_url(const char *s) {
        static const char *const schemes[] = { "http://", "https://", "git://", "git@", "ssh://" };

        for (size_t k = 0; k < ELEMENTSOF(schemes); k++)
                if (strncasecmp(s, schemes[k], strlen(schemes[k])) == 0)
                        return true;
        return false;
}

static int check_add(DockerfileInstruction *i, ErrorDetail *err) {
        int r = check_copy(i, err);
        if (r < 0)
                return r;
        if (i->json) {
                for (char **a = i->argv; *a; a++)
                        if (is_url(*a))
                                return error_detail_set_line(err, i->line, -EOPNOTSUPP, "ADD of URLs is not supported (%s)", *a);
                return 0;
        }
        for (const char *p = i->args; *p;) {
                p += strspn(p, " \t");
                if (is_url(p))
                        return error_detail_set_line(err, i->line, -EOPNOTSUPP, "ADD of URLs is not supported (%.*s)",
                                    (int) strcspn(p, " \t"), p);
                p += strcspn(p, " \t");
        }
        return 0;
}

static int check_json_only(DockerfileInstruction *i, ErrorDetail *err) {
        if (!i->json || !i->argv[0])
                return error_detail_set_line(err, i->line, -EINVAL, "%s requires the JSON form, e.g. %s [\"/bin/sh\", \"-c\"]",
                            name_of(i), name_of(i));
        return 0;
}

static int check_command(DockerfileInstruction *i, ErrorDetail *err) {
        /* CMD [] / ENTRYPOINT [] are valid (they reset); shell form needs text. */
        return i->json ? 0 : check_nonempty(i, err);
}

/* ---- logical lines --------------------------------------------------------------------------- */

typedef struct Line {
        const char *s;
        size_t len;
        unsigned number;
} Line;

static bool line_is_blank(Line l) {
        for (size_t k = 0; k < l.len; k++)
                if (!isspace((unsigned char) l.s[k]))
                        return false;
        return true;
}

static bool line_is_comment(Line l) {
        size_t k = 0;
        while (k < l.len && isspace((unsigned char) l.s[k]))
                k++;
        return k < l.len && l.s[k] == '#';
}

/* Whether l ends with the escape character (trailing blanks allowed): a continuation. Sets *len to
 * the length without it. */
static bool line_continues(Line l, char escape, size_t *len) {
        size_t n = l.len;
        while (n > 0 && (l.s[n - 1] == ' ' || l.s[n - 1] == '\t' || l.s[n - 1] == '\r'))
                n--;
        if (n > 0 && l.s[n - 1] == escape) {
                *len = n - 1;
                return true;
        }
        *len = l.len;
        return false;
}

typedef struct Reader {
        const char *p, *end;
        unsigned number;
} Reader;

static bool reader_next(Reader *rd, Line *ret) {
        const char *nl;

        if (rd->p >= rd->end)
                return false;
        nl = memchr(rd->p, '\n', rd->end - rd->p);
        *ret = (Line) { .s = rd->p, .len = (nl ? nl : rd->end) - rd->p, .number = ++rd->number };
        if (ret->len > 0 && ret->s[ret->len - 1] == '\r')
                ret->len--;
        rd->p = nl ? nl + 1 : rd->end;
        return true;
}

/* Parser directives: "# key=value" lines at the very top. The first line that is not one ends them;
 * an unknown key is a comment (and ends them too, as in the reference). */
static int parse_directives(Reader *rd, char *escape, ErrorDetail *err) {
        bool seen_escape = false, seen_syntax = false;
        Reader save;
        Line l;

        for (save = *rd; reader_next(rd, &l); save = *rd) {
                char key[32], value[128];
                size_t k = 0, n;
                const char *s = l.s, *end = l.s + l.len, *eq;

                while (s < end && isblank((unsigned char) *s))
                        s++;
                if (s >= end || *s != '#')
                        break;
                s++;
                while (s < end && isblank((unsigned char) *s))
                        s++;
                eq = memchr(s, '=', end - s);
                if (!eq)
                        break;
                for (const char *q = s; q < eq && !isblank((unsigned char) *q); q++)
                        if (!isalpha((unsigned char) *q) || k + 1 >= sizeof(key))
                                goto done;
                        else
                                key[k++] = (char) tolower((unsigned char) *q);
                key[k] = 0;
                s = eq + 1;
                while (s < end && isblank((unsigned char) *s))
                        s++;
                n = end - s;
                while (n > 0 && isblank((unsigned char) s[n - 1]))
                        n--;
                if (n >= sizeof(value))
                        n = sizeof(value) - 1;
                memcpy(value, s, n);
                value[n] = 0;

                if (streq(key, "escape")) {
                        if (seen_escape)
                                return error_detail_set_line(err, l.number, -EINVAL, "only one escape parser directive can be used");
                        if (!streq(value, "\\") && !streq(value, "`"))
                                return error_detail_set_line(err, l.number, -EINVAL, "invalid escape token '%s' does not match ` or \\", value);
                        *escape = value[0];
                        seen_escape = true;
                } else if (streq(key, "syntax")) {
                        /* Accepted and ignored: archbuild is its own frontend. */
                        if (seen_syntax)
                                return error_detail_set_line(err, l.number, -EINVAL, "only one syntax parser directive can be used");
                        seen_syntax = true;
                } else if (!streq(key, "check"))
                        break;
        }
done:
        *rd = save;
        return 0;
}

/* Join one logical line starting at first: continuation lines are appended (with the escape
 * character removed); comment lines inside a continuation are dropped, as are blank ones. */
static int join_logical(Reader *rd, Line first, char escape, StrBuf *out, bool *ret_eof_in_continuation) {
        Line l = first;
        size_t len;
        int r;

        *ret_eof_in_continuation = false;
        for (;;) {
                bool more = line_continues(l, escape, &len);

                r = strbuf_putn(out, l.s, len);
                if (r < 0)
                        return r;
                if (!more)
                        return 0;
                do {
                        if (!reader_next(rd, &l)) {
                                *ret_eof_in_continuation = true;
                                return 0;
                        }
                } while (line_is_comment(l) || line_is_blank(l));
        }
}

/* ---- one instruction ------------------------------------------------------------------------- */

static char *strndup_trim(const char *s, size_t n) {
        while (n > 0 && isspace((unsigned char) *s))
                s++, n--;
        while (n > 0 && isspace((unsigned char) s[n - 1]))
                n--;
        return strndup(s, n);
}

/* A JSON array of strings, or -EINVAL when text is not one (then it is the shell form). */
static int parse_json_array(const char *text, char ***ret) {
        _cleanup_strv_free_ char **argv = NULL;
        enum json_tokener_error jerr;
        json_object *o;
        size_t n;
        int r = 0;

        o = json_tokener_parse_verbose(text, &jerr);
        if (!o)
                return -EINVAL;
        if (!json_object_is_type(o, json_type_array)) {
                json_object_put(o);
                return -EINVAL;
        }
        n = json_object_array_length(o);
        argv = calloc(n + 1, sizeof(char *));
        if (!argv) {
                json_object_put(o);
                return -ENOMEM;
        }
        for (size_t k = 0; k < n && r == 0; k++) {
                json_object *e = json_object_array_get_idx(o, k);
                if (!json_object_is_type(e, json_type_string))
                        r = -EINVAL;
                else if (!(argv[k] = strdup(json_object_get_string(e))))
                        r = -ENOMEM;
        }
        json_object_put(o);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(argv);
        return 0;
}

static int parse_flags(DockerfileInstruction *i, const char **p, ErrorDetail *err) {
        const char *allowed = instruction_table[i->type].flags;

        for (;;) {
                const char *s = *p + strspn(*p, " \t"), *name, *end;
                _cleanup_free_ char *flag = NULL;
                size_t n;
                int r;

                if (!strneq(s, "--", 2))
                        return 0;
                name = s + 2;
                end = name + strcspn(name, " \t");
                n = strcspn(name, "= \t");
                if (!flag_allowed(allowed, name, n))
                        return error_detail_set_line(err, i->line, -EOPNOTSUPP, "%s --%.*s is not supported", name_of(i), (int) n, name);
                if (name[n] == '=')
                        r = asprintf(&flag, "%.*s", (int) (end - name), name);
                else
                        r = asprintf(&flag, "%.*s=", (int) n, name);
                if (r < 0)
                        return -ENOMEM;
                r = strv_extend(&i->flags, flag);
                if (r < 0)
                        return r;
                *p = end;
        }
}

static void instruction_done(DockerfileInstruction *i) {
        free(i->original);
        strv_free(i->flags);
        strv_free(i->argv);
        free(i->args);
        free(i->from_image);
        free(i->stage_name);
        *i = (DockerfileInstruction) {};
}

static bool is_refused(const char *keyword) {
        for (size_t k = 0; k < ELEMENTSOF(refused_instructions); k++)
                if (strcasecmp(keyword, refused_instructions[k]) == 0)
                        return true;
        return false;
}

static int parse_instruction(const char *text, unsigned line, DockerfileInstruction *ret, ErrorDetail *err) {
        _cleanup_(instruction_done) DockerfileInstruction i = { .line = line };
        const char *p = text + strspn(text, " \t");
        char keyword[16];
        size_t n = strcspn(p, " \t");
        int r;

        if (n >= sizeof(keyword))
                return error_detail_set_line(err, line, -EINVAL, "unknown instruction: %.*s", (int) n, p);
        memcpy(keyword, p, n);
        keyword[n] = 0;
        if (is_refused(keyword)) {
                for (char *c = keyword; *c; c++)
                        *c = (char) toupper((unsigned char) *c);
                return error_detail_set_line(err, line, -EOPNOTSUPP, "%s is not supported", keyword);
        }
        i.type = dockerfile_instruction_from_string(keyword);
        if (i.type < 0)
                return error_detail_set_line(err, line, -EINVAL, "unknown instruction: %s", keyword);
        i.original = strndup_trim(p, strlen(p));
        if (!i.original)
                return -ENOMEM;
        p += n;

        r = parse_flags(&i, &p, err);
        if (r < 0)
                return r;
        i.args = strndup_trim(p, strlen(p));
        if (!i.args)
                return -ENOMEM;
        if (instruction_table[i.type].json && i.args[0] == '[') {
                r = parse_json_array(i.args, &i.argv);
                if (r == -ENOMEM)
                        return r;
                i.json = r == 0;
        }
        r = instruction_table[i.type].check(&i, err);
        if (r < 0)
                return r;
        *ret = i;
        i = (DockerfileInstruction) {};
        return 0;
}

void dockerfile_done(Dockerfile *d) {
        for (size_t k = 0; k < d->n_instructions; k++)
                instruction_done(&d->instructions[k]);
        free(d->instructions);
        *d = (Dockerfile) {};
}

static int dockerfile_append(Dockerfile *d, DockerfileInstruction *i) {
        DockerfileInstruction *t = reallocarray(d->instructions, d->n_instructions + 1, sizeof(*t));

        if (!t)
                return -ENOMEM;
        d->instructions = t;
        d->instructions[d->n_instructions++] = *i;
        *i = (DockerfileInstruction) {};
        return 0;
}

/* The stage structure: only ARG may come before the first FROM. */
static int check_order(const Dockerfile *d, ErrorDetail *err) {
        for (size_t k = 0; k < d->n_instructions; k++) {
                const DockerfileInstruction *i = &d->instructions[k];
                if (i->type == DOCKERFILE_FROM)
                        return 0;
                if (i->type != DOCKERFILE_ARG)
                        return error_detail_set_line(err, i->line, -EINVAL, "%s before the first FROM (only ARG may come first)",
                                    name_of(i));
        }
        return error_detail_set(err, -EINVAL, "no FROM instruction");
}

int dockerfile_parse(const char *buf, size_t size, size_t max_instructions, Dockerfile *ret, ErrorDetail *err) {
        _cleanup_(dockerfile_done) Dockerfile d = { .escape = '\\' };
        Reader rd = { .p = buf, .end = buf + size };
        Line l;
        int r;

        if (memchr(buf, 0, size))
                return error_detail_set(err, -EINVAL, "NUL byte in the Dockerfile");
        r = parse_directives(&rd, &d.escape, err);
        if (r < 0)
                return r;

        while (reader_next(&rd, &l)) {
                _cleanup_(instruction_done) DockerfileInstruction i = {};
                _cleanup_(strbuf_done) StrBuf text = {};
                bool eof;

                if (line_is_blank(l) || line_is_comment(l))
                        continue;
                r = join_logical(&rd, l, d.escape, &text, &eof);
                if (r < 0)
                        return r;
                if (!text.s || line_is_blank((Line) { .s = text.s, .len = text.len }))
                        continue; /* a lone escape character */
                if (d.n_instructions >= (max_instructions ?: limit_default(LIMIT_INSTRUCTIONS)))
                        return error_detail_set_line(err, l.number, -E2BIG, "more than %zu instructions (the instructions limit)",
                                    d.n_instructions);
                r = parse_instruction(text.s, l.number, &i, err);
                if (r < 0)
                        return r;
                r = dockerfile_append(&d, &i);
                if (r < 0)
                        return r;
        }

        r = check_order(&d, err);
        if (r < 0)
                return r;
        *ret = d;
        d = (Dockerfile) {};
        return 0;
}
