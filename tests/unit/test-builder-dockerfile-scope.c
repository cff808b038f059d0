/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ARG and ENV scoping (builder/dockerfile-scope.c), driven by Dockerfiles in memory through the
 * parser and the expander, as the build drives them: what a word sees before the first FROM and in a
 * stage, where an ARG's value comes from, what RUN's environment holds. Expected values are those of
 * the Dockerfile reference (and what BuildKit does with the same file). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../builder/dockerfile-scope.h"
#include "../../builder/dockerfile.h"
#include "macro.h"
#include "strv.h"

static const Platform target = { .os = "linux", .arch = "arm64" };
static const Platform host = { .os = "linux", .arch = "amd64" };

/* The variables at the end of a Dockerfile: its last stage's ENV and ARGs, and every FROM's image word
 * as expanded. */
typedef struct Walk {
        Dockerfile d;
        DockerfileArgs args;
        char **env, **stage_args;
        char **images;
} Walk;

static void walk_done(Walk *w) {
        dockerfile_done(&w->d);
        dockerfile_args_done(&w->args);
        strv_free(w->env);
        strv_free(w->stage_args);
        strv_free(w->images);
}

static DockerfileExpander expander(DockerfileScope *sc) {
        return (DockerfileExpander) { .escape = '\\', .lookup = dockerfile_scope_lookup, .userdata = sc };
}

static void walk_one(Walk *w, const DockerfileInstruction *i, bool in_stage) {
        DockerfileScope sc = { .args = &w->args, .in_stage = in_stage, .env = w->env, .stage_args = w->stage_args };
        DockerfileExpander x = expander(&sc);
        _cleanup_strv_free_ char **pairs = NULL;
        ErrorDetail err = {};
        char *image = NULL;

        switch (i->type) {
        case DOCKERFILE_FROM:
                assert_int_equal(dockerfile_expand_word(i->from_image, &x, &image, &err), 0);
                assert_int_equal(strv_consume(&w->images, image), 0);
                w->env = strv_free(w->env);
                w->stage_args = strv_free(w->stage_args);
                break;
        case DOCKERFILE_ARG:
                assert_int_equal(dockerfile_split_pairs(i, &x, &pairs, &err), 0);
                assert_int_equal(dockerfile_args_declare(&w->args, in_stage ? &w->stage_args : NULL, pairs), 0);
                break;
        case DOCKERFILE_ENV:
                assert_int_equal(dockerfile_split_pairs(i, &x, &pairs, &err), 0);
                for (char **p = pairs; *p; p++) {
                        char *eq = strchr(*p, '=');
                        *eq = 0;
                        assert_int_equal(strv_env_set(&w->env, *p, eq + 1), 0);
                }
                break;
        default:
                fail_msg("line %u: only FROM, ARG and ENV here", i->line);
        }
}

static void walk(const char *text, char *const *build_args, Walk *w) {
        ErrorDetail err = {};
        bool in_stage = false;

        *w = (Walk) {};
        if (dockerfile_parse(text, strlen(text), 0, &w->d, &err) < 0)
                fail_msg("'%s': %s", text, err.message);
        assert_int_equal(dockerfile_args_init(&w->args, build_args, &target, &host), 0);
        /* FROM itself is read in the global scope; what follows it, in its stage. */
        for (size_t k = 0; k < w->d.n_instructions; k++) {
                walk_one(w, &w->d.instructions[k], in_stage);
                in_stage = in_stage || w->d.instructions[k].type == DOCKERFILE_FROM;
        }
}

/* What $name is at the end of the last stage (NULL: unset). */
static const char *in_stage(const Walk *w, const char *name) {
        DockerfileScope sc = { .args = &w->args, .in_stage = true, .env = w->env, .stage_args = w->stage_args };
        return dockerfile_scope_lookup(name, &sc);
}

static void assert_value(const char *got, const char *want) {
        if (!want && got)
                fail_msg("expected unset, got '%s'", got);
        if (want && (!got || !streq(got, want)))
                fail_msg("expected '%s', got %s%s%s", want, got ? "'" : "", got ?: "unset", got ? "'" : "");
}

static void test_global_args_reach_from_only(void **state) {
        _cleanup_(walk_done) Walk w;

        (void) state;
        walk("ARG BASE=debian\nARG TAG=12\nFROM $BASE:${TAG}-$TARGETARCH\n", NULL, &w);
        assert_string_equal(w.images[0], "debian:12-arm64");
        /* Not redeclared in the stage: not visible there. */
        assert_value(in_stage(&w, "BASE"), NULL);
        assert_value(in_stage(&w, "TARGETARCH"), NULL);
}

static void test_stage_redeclaration_inherits(void **state) {
        _cleanup_(walk_done) Walk w;

        (void) state;
        walk("ARG V=global\nFROM scratch\nARG V\nARG TARGETARCH\nARG BUILDPLATFORM\nARG W\n", NULL, &w);
        assert_value(in_stage(&w, "V"), "global");
        assert_value(in_stage(&w, "TARGETARCH"), "arm64");
        assert_value(in_stage(&w, "BUILDPLATFORM"), "linux/amd64");
        /* Declared without a value anywhere: declared, but unset. */
        assert_value(in_stage(&w, "W"), NULL);
}

static void test_build_arg_wins(void **state) {
        char *build_args[] = { (char *) "V=cli", (char *) "TARGETARCH=ignored-in-from", NULL };
        _cleanup_(walk_done) Walk w;

        (void) state;
        walk("ARG V=global\nFROM img-$V\nARG V=stage-default\nARG TARGETARCH\n", build_args, &w);
        /* The global ARG takes --build-arg too; a FROM line sees it. */
        assert_string_equal(w.images[0], "img-cli");
        assert_value(in_stage(&w, "V"), "cli");
        assert_value(in_stage(&w, "TARGETARCH"), "ignored-in-from");
}

static void test_bare_build_arg_reads_the_environment(void **state) {
        char *build_args[] = { (char *) "FROM_ENV", NULL };
        _cleanup_(walk_done) Walk w;

        (void) state;
        assert_int_equal(setenv("FROM_ENV", "host-value", 1), 0);
        walk("FROM scratch\nARG FROM_ENV=default\n", build_args, &w);
        assert_value(in_stage(&w, "FROM_ENV"), "host-value");
        unsetenv("FROM_ENV");
}

static void test_env_wins_over_arg_and_stages_are_separate(void **state) {
        _cleanup_(walk_done) Walk w;

        (void) state;
        walk("FROM scratch AS one\nARG A=arg\nENV A=env B=${A}-b\nARG C=c\nENV D=$C\n"
             "FROM scratch\nARG E=$A\n", NULL, &w);
        /* The second stage sees nothing of the first. */
        assert_value(in_stage(&w, "A"), NULL);
        assert_value(in_stage(&w, "E"), "");
        walk_done(&w);

        walk("FROM scratch\nARG A=arg\nENV A=env B=${A}-b\nARG C=c\nENV D=$C\nARG A=later\n", NULL, &w);
        /* ENV wins over an ARG of the same name, even one declared after it. */
        assert_value(in_stage(&w, "A"), "env");
        assert_value(in_stage(&w, "B"), "arg-b");
        assert_value(in_stage(&w, "D"), "c");
}

static void test_run_env(void **state) {
        _cleanup_(walk_done) Walk w;
        _cleanup_strv_free_ char **env = NULL;

        (void) state;
        walk("FROM scratch\nARG A=arg\nARG UNSET\nENV A=env\nARG ONLY_ARG=x\nENV PATH=/opt/bin\n", NULL, &w);
        assert_int_equal(dockerfile_run_env(w.env, w.stage_args, "/bin", &env), 0);
        /* ENV first, then each ARG with a value that ENV does not set; ENV's PATH is kept. */
        assert_int_equal(strv_length(env), 3);
        assert_string_equal(env[0], "A=env");
        assert_string_equal(env[1], "PATH=/opt/bin");
        assert_string_equal(env[2], "ONLY_ARG=x");
        env = strv_free(env);
        walk_done(&w);

        walk("FROM scratch\n", NULL, &w);
        assert_int_equal(dockerfile_run_env(w.env, w.stage_args, "/bin", &env), 0);
        assert_int_equal(strv_length(env), 1);
        assert_string_equal(env[0], "PATH=/bin");
}

static void test_global_arg_shadows_automatic(void **state) {
        _cleanup_(walk_done) Walk w;

        (void) state;
        walk("ARG TARGETARCH=mine\nFROM img-$TARGETARCH-$TARGETOS\nARG TARGETARCH\n", NULL, &w);
        assert_string_equal(w.images[0], "img-mine-linux");
        /* Redeclared in the stage, it takes the global value, not the automatic one. */
        assert_value(in_stage(&w, "TARGETARCH"), "mine");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_global_args_reach_from_only),
                cmocka_unit_test(test_stage_redeclaration_inherits),
                cmocka_unit_test(test_build_arg_wins),
                cmocka_unit_test(test_bare_build_arg_reads_the_environment),
                cmocka_unit_test(test_env_wins_over_arg_and_stages_are_separate),
                cmocka_unit_test(test_run_env),
                cmocka_unit_test(test_global_arg_shadows_automatic),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
