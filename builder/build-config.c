/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build-internal.h"
#include "file-util.h"
#include "strv.h"

/* The instructions that only change the image config. Each adds an empty_layer history entry
 * (build.c). */

int handle_label(Build *b, Stage *s, const DockerfileInstruction *i) {
        _cleanup_strv_free_ char **pairs = NULL;
        int r;

        r = vars_split_pairs(b, s, i, &pairs);
        if (r < 0)
                return r;
        if (!s->config.labels && !(s->config.labels = json_object_new_object()))
                return -ENOMEM;
        for (char **p = pairs; *p; p++) {
                char *eq = strchr(*p, '=');
                *eq = 0;
                json_object_object_add(s->config.labels, *p, json_object_new_string(eq + 1));
        }
        return 0;
}

static int add_unique(char ***l, const char *s) {
        for (char **p = *l; p && *p; p++)
                if (streq(*p, s))
                        return 0;
        return strv_extend(l, s);
}

int handle_expose(Build *b, Stage *s, const DockerfileInstruction *i) {
        _cleanup_strv_free_ char **words = NULL;
        int r;

        if ((r = vars_expand_words(b, s, i, &words)) < 0)
                return r;
        for (char **w = words; *w; w++) {
                _cleanup_free_ char *port = NULL;
                if (asprintf(&port, "%s%s", *w, strchr(*w, '/') ? "" : "/tcp") < 0)
                        return -ENOMEM;
                if ((r = add_unique(&s->config.exposed_ports, port)) < 0)
                        return r;
        }
        return 0;
}

int handle_volume(Build *b, Stage *s, const DockerfileInstruction *i) {
        _cleanup_strv_free_ char **words = NULL;
        int r;

        if ((r = vars_expand_words(b, s, i, &words)) < 0)
                return r;
        for (char **w = words; *w; w++)
                if ((r = add_unique(&s->config.volumes, *w)) < 0)
                        return r;
        return 0;
}

static int set_string(Build *b, Stage *s, const DockerfileInstruction *i, char **field) {
        _cleanup_free_ char *v = NULL;
        int r = vars_expand_word(b, s, i, i->args, &v);

        if (r < 0)
                return r;
        free(*field);
        *field = TAKE_PTR(v);
        return 0;
}

int handle_user(Build *b, Stage *s, const DockerfileInstruction *i) {
        return set_string(b, s, i, &s->config.user);
}

int handle_stopsignal(Build *b, Stage *s, const DockerfileInstruction *i) {
        return set_string(b, s, i, &s->config.stop_signal);
}

int handle_workdir(Build *b, Stage *s, const DockerfileInstruction *i) {
        _cleanup_free_ char *v = NULL, *joined = NULL;
        char *p = NULL;
        int r = vars_expand_word(b, s, i, i->args, &v);

        if (r < 0)
                return r;
        /* relative to the current WORKDIR; ".." stops at "/" */
        if (asprintf(&joined, "%s/%s", v[0] == '/' ? "" : s->config.working_dir ?: "", v) < 0)
                return -ENOMEM;
        r = path_clean(joined, &p);
        if (r < 0)
                return r;
        free(s->config.working_dir);
        s->config.working_dir = p;
        return 0;
}

static int command_of(Stage *s, const DockerfileInstruction *i, char ***ret) {
        if (i->json)
                return strv_copy(i->argv, ret);
        return run_argv(s, i, ret);
}

int handle_cmd(Build *b, Stage *s, const DockerfileInstruction *i) {
        strv_free(s->config.cmd);
        s->config.cmd = NULL;
        s->cmd_in_stage = true;
        return command_of(s, i, &s->config.cmd);
}

int handle_entrypoint(Build *b, Stage *s, const DockerfileInstruction *i) {
        /* As docker: a new ENTRYPOINT drops a CMD inherited from the base. */
        if (!s->cmd_in_stage) {
                strv_free(s->config.cmd);
                s->config.cmd = NULL;
        }
        strv_free(s->config.entrypoint);
        s->config.entrypoint = NULL;
        return command_of(s, i, &s->config.entrypoint);
}

int handle_shell(Build *b, Stage *s, const DockerfileInstruction *i) {
        strv_free(s->shell);
        s->shell = NULL;
        return strv_copy(i->argv, &s->shell);
}
