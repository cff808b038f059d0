/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Presenting an ImageResult: a table per platform for people, and the "images" array of the JSON
 * document (schema in docs/man/check-arch.1). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "report.h"

/* The first 12 hex digits, as docker shows image ids. */
static const char *digest_short(const OciDigest *d, char buf[static 20]) {
        if (!oci_digest_is_set(d))
                return "-";
        snprintf(buf, 20, "sha256:%.12s", oci_digest_hex(d));
        return buf;
}

static json_object *json_string_or_null(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

static json_object *problem_to_json(const Problem *q) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "check", json_object_new_string(check_id_to_string(q->check)));
        json_object_object_add(o, "path", json_string_or_null(q->path));
        json_object_object_add(o, "layer", q->layer >= 0 ? json_object_new_int(q->layer) : NULL);
        json_object_object_add(o, "layer_digest",
                               oci_digest_is_set(&q->layer_digest) ? json_object_new_string(q->layer_digest.str) : NULL);
        json_object_object_add(o, "diff_id", oci_digest_is_set(&q->diff_id) ? json_object_new_string(q->diff_id.str) : NULL);
        json_object_object_add(o, "have", json_string_or_null(q->have));
        json_object_object_add(o, "message", json_string_or_null(q->message));
        if (q->check == CHECK_ISA) {
                json_object_object_add(o, "required_level", json_string_or_null(q->isa_required));
                json_object_object_add(o, "missing", json_string_or_null(q->isa_missing));
                json_object_object_add(o, "proof", json_string_or_null(q->isa_proof));
                json_object_object_add(o, "evidence", json_string_or_null(q->isa_evidence));
                json_object_object_add(o, "address", q->isa_evidence && streq(q->isa_evidence, "code") ?
                                       json_object_new_int64((int64_t) q->isa_address) : NULL);
        }
        return o;
}

static json_object *platform_result_to_json(const PlatformResult *p) {
        json_object *o = json_object_new_object(), *checks = json_object_new_object(), *problems = json_object_new_array();
        char t[PLATFORM_STRING_MAX];

        json_object_object_add(o, "platform", json_object_new_string(platform_to_string(&p->target, t)));
        json_object_object_add(o, "ok", json_object_new_boolean(platform_result_ok(p)));
        json_object_object_add(o, "manifest", oci_digest_is_set(&p->manifest) ? json_object_new_string(p->manifest.str) : NULL);
        json_object_object_add(o, "config_platform",
                               p->has_config ? json_object_new_string(platform_to_string(&p->config_platform, t)) : NULL);
        for (int c = 0; c < _CHECK_MAX; c++) {
                json_object *e = json_object_new_object();
                json_object_object_add(e, "state", json_object_new_string(check_state_to_string(p->state[c])));
                json_object_object_add(e, "detail", json_string_or_null(p->detail[c]));
                json_object_object_add(checks, check_id_to_string((CheckId) c), e);
        }
        json_object_object_add(o, "checks", checks);
        json_object_object_add(o, "cpu", p->isa.active ? json_object_new_string(p->isa.name) : NULL);
        json_object_object_add(o, "elf", json_object_new_int((int) p->n_elf));
        json_object_object_add(o, "mismatched", json_object_new_int((int) p->n_mismatched));
        for (size_t i = 0; i < p->n_problems; i++)
                json_object_array_add(problems, problem_to_json(&p->problems[i]));
        json_object_object_add(o, "problems", problems);
        json_object_object_add(o, "problems_not_listed", json_object_new_int64((int64_t) p->n_problems_dropped));
        return o;
}

static json_object *image_to_json(const ImageResult *res) {
        json_object *o = json_object_new_object(), *results = json_object_new_array(), *avail = NULL;

        json_object_object_add(o, "source", json_object_new_string(res->source));
        json_object_object_add(o, "transport", json_object_new_string(image_source_kind_to_string(res->kind)));
        json_object_object_add(o, "labels_only", json_object_new_boolean(res->labels_only));
        json_object_object_add(o, "digest", oci_digest_is_set(&res->digest) ? json_object_new_string(res->digest.str) : NULL);
        json_object_object_add(o, "media_type", json_string_or_null(res->media_type));
        if (res->available) {
                avail = json_object_new_array();
                for (char **a = res->available; *a; a++)
                        json_object_array_add(avail, json_object_new_string(*a));
        }
        json_object_object_add(o, "available", avail);
        json_object_object_add(o, "error", json_string_or_null(res->error));
        for (size_t i = 0; i < res->n_results; i++)
                json_object_array_add(results, platform_result_to_json(&res->results[i]));
        json_object_object_add(o, "results", results);
        json_object_object_add(o, "layers_scanned", json_object_new_int64((int64_t) res->n_layers));
        json_object_object_add(o, "entries_scanned", json_object_new_int64((int64_t) res->n_entries));
        return o;
}

static const char *state_word(CheckState s) {
        switch (s) {
        case CHECK_OK:
                return "ok";
        case CHECK_FAIL:
                return "FAIL";
        case CHECK_SKIPPED:
                return "-";
        case CHECK_INFO:
                return "info";
        default:
                return "?";
        }
}

static void print_problem(const Problem *q) {
        char b1[20];

        if (q->layer >= 0)
                printf("      %s: %s (layer %d, %s)\n", q->path ?: "-", q->message, q->layer + 1,
                       digest_short(oci_digest_is_set(&q->diff_id) ? &q->diff_id : &q->layer_digest, b1));
        else
                printf("      %s%s%s\n", q->path ?: "", q->path ? ": " : "", q->message);
}

static void print_platform(const Report *r, const PlatformResult *p) {
        char t[PLATFORM_STRING_MAX], b[20];

        printf("  %s: %s  (manifest %s)\n", platform_to_string(&p->target, t), platform_result_ok(p) ? "ok" : "FAILED",
               digest_short(&p->manifest, b));
        for (int c = 0; c < _CHECK_MAX; c++) {
                if (r->quiet && p->state[c] != CHECK_FAIL)
                        continue;
                printf("    %-11s %-5s %s\n", check_id_to_string((CheckId) c), state_word(p->state[c]), p->detail[c] ?: "");
                for (size_t i = 0; i < p->n_problems; i++)
                        if (p->problems[i].check == (CheckId) c)
                                print_problem(&p->problems[i]);
        }
        if (p->n_problems_dropped > 0)
                printf("    ... and %zu more problems\n", p->n_problems_dropped);
}

static void print_image(const Report *r, const ImageResult *res) {
        char b[20];

        printf("%s (%s%s): %s\n", res->source, digest_short(&res->digest, b), res->labels_only ? ", labels only" : "",
               res->available ? "index" : "single manifest");
        if (res->available) {
                printf("  index has:");
                for (char **a = res->available; *a; a++)
                        printf("%s %s", a == res->available ? "" : ",", *a);
                printf("%s\n", res->available[0] ? "" : " nothing runnable");
        }
        for (size_t i = 0; i < res->n_results; i++)
                print_platform(r, &res->results[i]);
}

int report_image(Report *r, const ImageResult *res) {
        r->n_images++;
        if (res->error) {
                r->n_errors++;
                log_error("%s: %s", res->source, res->error);
        } else
                for (size_t i = 0; i < res->n_results; i++)
                        if (!platform_result_ok(&res->results[i]))
                                r->n_platform_failures++;
        if (!r->json) {
                if (!res->error)
                        print_image(r, res);
                return 0;
        }
        return json_object_array_add(r->images, image_to_json(res)) < 0 ? -ENOMEM : 0;
}
