/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Dockerfile parser (builder/dockerfile.c): directives, logical lines, each instruction row of the
 * table, exec vs shell form, flags, every refusal with its line and message, and variable expansion.
 * Dockerfiles are built in memory. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "../../builder/dockerfile.h"
#include "../../builder/dockerfile-mount.h"
#include "macro.h"
#include "strv.h"

static int parse(const char *text, Dockerfile *ret, ErrorDetail *err) {
        *err = (ErrorDetail) {};
        return dockerfile_parse(text, strlen(text), 0, ret, err);
}

/* text must fail with r, at line, with a message containing want. */
static void check_refused(const char *text, int r, unsigned line, const char *want) {
        Dockerfile d = {};
        ErrorDetail err;
        int got = parse(text, &d, &err);

        if (got != r)
                fail_msg("'%s': got %d, expected %d (%s)", text, got, r, err.message);
        assert_int_equal(err.line, line);
        if (!strstr(err.message, want))
                fail_msg("'%s': message '%s' lacks '%s'", text, err.message, want);
}

/* RUN --mount=type=bind,from=...: BuildKit's key names, the default source, several mounts. */
static void test_run_mount(void **state) {
        Dockerfile d = {};
        ErrorDetail err;
        const char *values[RUN_MOUNTS_MAX];
        RunMountSpec m = {};
        const DockerfileInstruction *i;

        assert_int_equal(parse("FROM scratch\nRUN --mount=type=bind,from=twins:1,source=/.archway,target=/.archway "
                               "--mount=from=0,dst=/src,ro make\n", &d, &err), 0);
        i = &d.instructions[1];
        assert_string_equal(i->args, "make");
        assert_int_equal(run_mount_values(i, values, ELEMENTSOF(values)), 2);
        assert_int_equal(run_mount_parse(i, values[0], &m, &err), 0);
        assert_string_equal(m.from, "twins:1");
        assert_string_equal(m.source, "/.archway");
        assert_string_equal(m.target, "/.archway");
        run_mount_spec_done(&m);
        assert_int_equal(run_mount_parse(i, values[1], &m, &err), 0);
        assert_string_equal(m.from, "0");
        assert_string_equal(m.source, "/");
        assert_string_equal(m.target, "/src");
        run_mount_spec_done(&m);
        dockerfile_done(&d);
}

static void test_every_instruction(void **state) {
        static const struct {
                const char *line;
                DockerfileInstructionType type;
        } rows[] = {
                { "ARG A=1",                       DOCKERFILE_ARG },
                { "FROM scratch",                  DOCKERFILE_FROM },
                { "env A=1",                       DOCKERFILE_ENV },
                { "RUN true",                      DOCKERFILE_RUN },
                { "COPY a /b",                     DOCKERFILE_COPY },
                { "ADD a.tar /",                   DOCKERFILE_ADD },
                { "WORKDIR /w",                    DOCKERFILE_WORKDIR },
                { "USER nobody",                   DOCKERFILE_USER },
                { "LABEL a=b",                     DOCKERFILE_LABEL },
                { "EXPOSE 80/tcp",                 DOCKERFILE_EXPOSE },
                { "VOLUME /data",                  DOCKERFILE_VOLUME },
                { "ENTRYPOINT [\"/bin/app\"]",     DOCKERFILE_ENTRYPOINT },
                { "CMD [\"--help\"]",              DOCKERFILE_CMD },
                { "SHELL [\"/bin/sh\", \"-ec\"]",  DOCKERFILE_SHELL },
                { "STOPSIGNAL SIGTERM",            DOCKERFILE_STOPSIGNAL },
        };
        char text[2048] = "";
        Dockerfile d = {};
        ErrorDetail err;

        for (size_t k = 0; k < ELEMENTSOF(rows); k++) {
                strcat(text, rows[k].line);
                strcat(text, "\n");
        }
        assert_int_equal(parse(text, &d, &err), 0);
        assert_int_equal(d.n_instructions, ELEMENTSOF(rows));
        for (size_t k = 0; k < ELEMENTSOF(rows); k++) {
                assert_int_equal(d.instructions[k].type, rows[k].type);
                assert_int_equal(d.instructions[k].line, k + 1);
                assert_string_equal(dockerfile_instruction_to_string(rows[k].type),
                                    dockerfile_instruction_to_string(dockerfile_instruction_from_string(
                                            dockerfile_instruction_to_string(rows[k].type))));
        }
        assert_true(d.instructions[13].json);
        assert_string_equal(d.instructions[13].argv[1], "-ec");
        dockerfile_done(&d);
        assert_int_equal(dockerfile_instruction_from_string("frobnicate"), _DOCKERFILE_INSTRUCTION_INVALID);
}

static void test_forms(void **state) {
        Dockerfile d = {};
        ErrorDetail err;

        assert_int_equal(parse("FROM scratch\n"
                               "RUN [\"/bin/echo\", \"a b\"]\n"
                               "RUN echo [not json\n"
                               "CMD [1, 2]\n"
                               "ENTRYPOINT []\n", &d, &err), 0);
        assert_true(d.instructions[1].json);
        assert_int_equal(strv_length(d.instructions[1].argv), 2);
        assert_string_equal(d.instructions[1].argv[1], "a b");
        assert_false(d.instructions[2].json);
        assert_string_equal(d.instructions[2].args, "echo [not json");
        /* not an array of strings: shell form, as Docker does */
        assert_false(d.instructions[3].json);
        assert_true(d.instructions[4].json);
        assert_null(d.instructions[4].argv[0]);
        dockerfile_done(&d);
}

static void test_continuations_and_comments(void **state) {
        Dockerfile d = {};
        ErrorDetail err;

        assert_int_equal(parse("# a comment\n"
                               "FROM scratch\r\n"
                               "RUN echo a \\\n"
                               "# comment inside\n"
                               "\n"
                               "    && echo b\n"
                               "  # indented comment\n"
                               "LABEL x=y\n", &d, &err), 0);
        assert_int_equal(d.n_instructions, 3);
        assert_string_equal(d.instructions[0].args, "scratch");
        assert_string_equal(d.instructions[1].args, "echo a     && echo b");
        assert_int_equal(d.instructions[1].line, 3);
        assert_int_equal(d.instructions[2].line, 8);
        dockerfile_done(&d);
}

static void test_directives(void **state) {
        Dockerfile d = {};
        ErrorDetail err;

        assert_int_equal(parse("# syntax=docker/dockerfile:1\n"
                               "# escape=`\n"
                               "FROM scratch\n"
                               "RUN echo a `\n"
                               "  b\\c\n", &d, &err), 0);
        assert_int_equal(d.escape, '`');
        assert_string_equal(d.instructions[1].args, "echo a   b\\c");
        dockerfile_done(&d);

        /* after the first instruction, a directive is a comment */
        assert_int_equal(parse("FROM scratch\n# escape=`\nRUN a \\\n b\n", &d, &err), 0);
        assert_int_equal(d.escape, '\\');
        assert_string_equal(d.instructions[1].args, "a  b");
        dockerfile_done(&d);

        check_refused("# escape=`\n# escape=\\\nFROM scratch\n", -EINVAL, 2, "only one escape");
        check_refused("# escape=x\nFROM scratch\n", -EINVAL, 1, "invalid escape token");
}

static void test_flags(void **state) {
        Dockerfile d = {};
        ErrorDetail err;

        assert_int_equal(parse("FROM --platform=$BUILDPLATFORM alpine AS build\n"
                               "COPY --from=build --chown=1:2 --chmod=0755 /a /b\n"
                               "COPY --link a b\n", &d, &err), 0);
        assert_string_equal(dockerfile_instruction_flag(&d.instructions[0], "platform"), "$BUILDPLATFORM");
        assert_string_equal(d.instructions[0].args, "alpine AS build");
        assert_string_equal(dockerfile_instruction_flag(&d.instructions[1], "from"), "build");
        assert_string_equal(dockerfile_instruction_flag(&d.instructions[1], "chown"), "1:2");
        assert_string_equal(dockerfile_instruction_flag(&d.instructions[1], "chmod"), "0755");
        assert_string_equal(d.instructions[1].args, "/a /b");
        assert_string_equal(dockerfile_instruction_flag(&d.instructions[2], "link"), "");
        assert_null(dockerfile_instruction_flag(&d.instructions[2], "from"));
        dockerfile_done(&d);
}

static void test_refusals(void **state) {
        check_refused("FROM scratch\nRUN --mount=type=cache,target=/x true\n", -EOPNOTSUPP, 2,
                      "RUN --mount=type=cache is not supported (only type=bind with from=)");
        check_refused("FROM scratch\nRUN --mount=type=bind,target=/x true\n", -EOPNOTSUPP, 2,
                      "a bind without from= (of the build context) is not supported");
        check_refused("FROM scratch\nRUN --mount=type=bind,from=t,target=/x,rw true\n", -EOPNOTSUPP, 2,
                      "only read-only bind mounts are supported");
        check_refused("FROM scratch\nRUN --mount=from=t,source=/a true\n", -EINVAL, 2, "target= is required");
        check_refused("FROM scratch\nRUN --mount=from=t,target=rel true\n", -EINVAL, 2, "must be absolute");
        check_refused("FROM scratch\nRUN --mount=from=t,target=/x,size=1 true\n", -EINVAL, 2, "unknown key 'size'");
        check_refused("FROM scratch\nRUN --network=none true\n", -EOPNOTSUPP, 2, "RUN --network is not supported");
        check_refused("FROM scratch\nRUN <<EOF\necho\nEOF\n", -EOPNOTSUPP, 2, "heredoc is not supported");
        check_refused("FROM scratch\nRUN cat <<-'END' > /x\n", -EOPNOTSUPP, 2, "heredoc is not supported");
        check_refused("FROM scratch\nCOPY <<EOF /x\n", -EOPNOTSUPP, 2, "COPY with a heredoc is not supported");
        check_refused("FROM scratch\nHEALTHCHECK CMD true\n", -EOPNOTSUPP, 2, "HEALTHCHECK is not supported");
        check_refused("FROM scratch\n\nonbuild RUN true\n", -EOPNOTSUPP, 3, "ONBUILD is not supported");
        check_refused("FROM scratch\nMAINTAINER me\n", -EOPNOTSUPP, 2, "MAINTAINER is not supported");
        check_refused("FROM scratch\nADD https://example.com/x /x\n", -EOPNOTSUPP, 2, "ADD of URLs is not supported");
        check_refused("FROM scratch\nADD [\"git@github.com:a/b\", \"/x\"]\n", -EOPNOTSUPP, 2,
                      "ADD of URLs is not supported");
        check_refused("FROM scratch\nADD --checksum=sha256:00 a /x\n", -EOPNOTSUPP, 2, "ADD --checksum is not supported");
        check_refused("FROM scratch\nCOPY --parents a /x\n", -EOPNOTSUPP, 2, "COPY --parents is not supported");
        check_refused("FROM scratch\nFROBNICATE x\n", -EINVAL, 2, "unknown instruction: FROBNICATE");
        check_refused("RUN true\nFROM scratch\n", -EINVAL, 1, "before the first FROM");
        check_refused("ARG A\n", -EINVAL, 0, "no FROM");
        check_refused("FROM a b\n", -EINVAL, 1, "optional 'AS name'");
        check_refused("FROM scratch\nCOPY onlyone\n", -EINVAL, 2, "at least two arguments");
        check_refused("FROM scratch\nSHELL /bin/bash -c\n", -EINVAL, 2, "SHELL requires the JSON form");
        check_refused("FROM scratch\nWORKDIR\n", -EINVAL, 2, "WORKDIR requires at least one argument");
}

static void test_no_false_heredoc(void **state) {
        Dockerfile d = {};
        ErrorDetail err;

        assert_int_equal(parse("FROM scratch\nRUN echo $((1<<2))\n", &d, &err), 0);
        dockerfile_done(&d);
}

static const char *lookup(const char *name, void *userdata) {
        static const char *const vars[][2] = {
                { "A", "alpha" }, { "EMPTY", "" }, { "SP", "x y" },
        };

        for (size_t k = 0; k < ELEMENTSOF(vars); k++)
                if (streq(name, vars[k][0]))
                        return vars[k][1];
        return NULL;
}

static const DockerfileExpander X = { .escape = '\\', .lookup = lookup };

static void check_word(const char *in, const char *want) {
        _cleanup_free_ char *out = NULL;
        ErrorDetail err = {};

        if (dockerfile_expand_word(in, &X, &out, &err) < 0)
                fail_msg("'%s' failed: %s", in, err.message);
        if (!streq(out, want))
                fail_msg("'%s' expanded to '%s', expected '%s'", in, out, want);
}

static void test_expand(void **state) {
        _cleanup_free_ char *out = NULL;
        ErrorDetail err = {};

        check_word("$A", "alpha");
        check_word("${A}-x", "alpha-x");
        check_word("$UNSET", "");
        check_word("${UNSET:-def}", "def");
        check_word("${EMPTY:-def}", "def");
        check_word("${EMPTY-def}", "");
        check_word("${UNSET-def}", "def");
        check_word("${A:+set}", "set");
        check_word("${EMPTY:+set}", "");
        check_word("${EMPTY+set}", "set");
        check_word("${UNSET:-${A}}", "alpha");
        check_word("'$A'", "$A");
        check_word("\"$A b\"", "alpha b");
        check_word("\\$A", "$A");
        check_word("\"\\$A\"", "$A");
        check_word("\"a\\nb\"", "a\\nb");
        check_word("$", "$");
        check_word("a$-b", "a$-b");
        check_word("${A:?needed}", "alpha");

        assert_int_equal(dockerfile_expand_word("${UNSET:?is required}", &X, &out, &err), -EINVAL);
        assert_non_null(strstr(err.message, "UNSET: is required"));
        assert_int_equal(dockerfile_expand_word("${A", &X, &out, &err), -EINVAL);
        assert_int_equal(dockerfile_expand_word("${A/x/y}", &X, &out, &err), -EINVAL);
        assert_int_equal(dockerfile_expand_word("'open", &X, &out, &err), -EINVAL);
        /* found by fuzz-dockerfile: "${A:" at the very end read past the terminating NUL */
        assert_int_equal(dockerfile_expand_word("${UNSET:", &X, &out, &err), -EINVAL);
        assert_int_equal(dockerfile_expand_word("P=${A:", &X, &out, &err), -EINVAL);
}

/* A hostile Dockerfile: nesting that would recurse 20 000 deep, and a variable expanded many times. */
static const char *big_lookup(const char *name, void *userdata) {
        return userdata;
}

static void test_expand_bounds(void **state) {
        _cleanup_free_ char *deep = NULL, *big = NULL, *many = NULL, *out = NULL;
        DockerfileExpander x = { .escape = '\\', .lookup = lookup };
        ErrorDetail err = {};
        size_t n = 20000;

        deep = malloc(n * 5 + n + 1);
        assert_non_null(deep);
        for (size_t k = 0; k < n; k++)
                memcpy(deep + k * 5, "${a:-", 5);
        memset(deep + n * 5, '}', n);
        deep[n * 6] = 0;
        assert_int_equal(dockerfile_expand_word(deep, &x, &out, &err), -E2BIG);
        assert_non_null(strstr(err.message, "expansion-depth"));
        x.max_depth = 3;
        assert_int_equal(dockerfile_expand_word("${a:-${b:-x}}", &x, &out, &err), 0);
        free(out);
        out = NULL;
        assert_int_equal(dockerfile_expand_word("${a:-${b:-${c:-x}}}", &x, &out, &err), -E2BIG);

        big = malloc(1024 * 1024 + 1);
        assert_non_null(big);
        memset(big, 'x', 1024 * 1024);
        big[1024 * 1024] = 0;
        many = malloc(1000 * 3 + 1);
        assert_non_null(many);
        many[0] = 0;
        for (size_t k = 0; k < 1000; k++)
                strcat(many, "$B ");
        x = (DockerfileExpander) { .escape = '\\', .lookup = big_lookup, .userdata = big };
        assert_int_equal(dockerfile_expand_word("$B", &x, &out, &err), 0);
        free(out);
        out = NULL;
        assert_int_equal(dockerfile_expand_word(many, &x, &out, &err), -E2BIG);
        assert_non_null(strstr(err.message, "expansion-bytes"));
        x.max_bytes = 16 * 1024 * 1024;
        char **w = NULL;
        assert_int_equal(dockerfile_expand_words(many, &x, &w, &err), -E2BIG);
        strv_free(w);
}

static void test_instruction_bound(void **state) {
        _cleanup_free_ char *text = NULL;
        Dockerfile d = {};
        ErrorDetail err = {};
        size_t n = 0;

        text = malloc(20 * 1000 + 16);
        n += (size_t) sprintf(text, "FROM scratch\n");
        for (int k = 0; k < 1000; k++)
                n += (size_t) sprintf(text + n, "LABEL a=b\n");
        assert_int_equal(dockerfile_parse(text, n, 100, &d, &err), -E2BIG);
        assert_non_null(strstr(err.message, "instructions"));
        assert_int_equal(dockerfile_parse(text, n, 2000, &d, &err), 0);
        dockerfile_done(&d);
}

static void test_expand_words(void **state) {
        _cleanup_strv_free_ char **w = NULL;
        ErrorDetail err = {};

        assert_int_equal(dockerfile_expand_words("a  $SP \"c d\" $UNSET '' e\\ f", &X, &w, &err), 0);
        assert_int_equal(strv_length(w), 5);
        assert_string_equal(w[0], "a");
        assert_string_equal(w[1], "x y"); /* no field splitting of expansions, as BuildKit */
        assert_string_equal(w[2], "c d");
        assert_string_equal(w[3], "");
        assert_string_equal(w[4], "e f");
}

static void test_pairs(void **state) {
        Dockerfile d = {};
        ErrorDetail err;
        char **p = NULL;

        assert_int_equal(parse("FROM scratch\n"
                               "ENV A=1 B=\"two words\" C=$A\n"
                               "ENV LEGACY some value $A\n"
                               "ARG X Y=${A:-z}\n"
                               "LABEL =bad\n", &d, &err), 0);
        assert_int_equal(dockerfile_split_pairs(&d.instructions[1], &X, &p, &err), 0);
        assert_int_equal(strv_length(p), 3);
        assert_string_equal(p[1], "B=two words");
        assert_string_equal(p[2], "C=alpha");
        p = strv_free(p);
        assert_int_equal(dockerfile_split_pairs(&d.instructions[2], &X, &p, &err), 0);
        assert_int_equal(strv_length(p), 1);
        assert_string_equal(p[0], "LEGACY=some value alpha");
        p = strv_free(p);
        assert_int_equal(dockerfile_split_pairs(&d.instructions[3], &X, &p, &err), 0);
        assert_string_equal(p[0], "X");
        assert_string_equal(p[1], "Y=alpha");
        p = strv_free(p);
        assert_int_equal(dockerfile_split_pairs(&d.instructions[4], &X, &p, &err), -EINVAL);
        assert_int_equal(err.line, 5);
        dockerfile_done(&d);
}

static void test_nul_byte(void **state) {
        Dockerfile d = {};
        ErrorDetail err = {};

        assert_int_equal(dockerfile_parse("FROM a\0b\n", 9, 0, &d, &err), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_every_instruction),
                cmocka_unit_test(test_run_mount),
                cmocka_unit_test(test_forms),
                cmocka_unit_test(test_continuations_and_comments),
                cmocka_unit_test(test_directives),
                cmocka_unit_test(test_flags),
                cmocka_unit_test(test_refusals),
                cmocka_unit_test(test_no_false_heredoc),
                cmocka_unit_test(test_expand),
                cmocka_unit_test(test_expand_words),
                cmocka_unit_test(test_expand_bounds),
                cmocka_unit_test(test_instruction_bound),
                cmocka_unit_test(test_pairs),
                cmocka_unit_test(test_nul_byte),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
