/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "report.h"

static void format_build_id(const ElfId *id, char *buf, size_t size) {
        size_t i;

        buf[0] = 0;
        for (i = 0; i < id->build_id_size && 2 * i + 2 < size; i++)
                snprintf(buf + 2 * i, 3, "%02x", id->build_id[i]);
}

/* The requested platforms this file does not run on, as a bit set over r->targets: another platform,
 * or a CPU level or model that lacks what the file needs. */
static unsigned mismatches(const Report *r, const Platform *have, bool known, const ElfIsa *isa) {
        unsigned mask = 0, i;

        for (i = 0; i < r->n_targets; i++)
                if (!known || !platform_runs_on(have, &r->targets[i]) ||
                    (isa && isa_target_missing(&r->isa[i], isa)))
                        mask |= 1u << i;
        return mask;
}

static json_object *features_to_json(IsaArch a, IsaFeatures f) {
        json_object *l = json_object_new_array();

        for (unsigned bit = 0; bit < 64; bit++)
                if (f & ISA_BIT(bit))
                        json_object_array_add(l, json_object_new_string(isa_feature_name(a, bit) ?: "?"));
        return l;
}

static json_object *isa_to_json(const ElfIsa *isa) {
        json_object *o = json_object_new_object(), *proofs = json_object_new_array();
        const IsaLevel *l = elf_isa_required_level(isa);

        json_object_object_add(o, "arch", json_object_new_string(isa_arch_to_string(isa->arch)));
        json_object_object_add(o, "required_level", l ? json_object_new_string(l->name) : NULL);
        json_object_object_add(o, "required", features_to_json(isa->arch, isa->required));
        json_object_object_add(o, "dispatched", features_to_json(isa->arch, isa->dispatched));
        json_object_object_add(o, "evidence", json_object_new_string(isa_evidence_to_string(isa->source)));
        json_object_object_add(o, "truncated", json_object_new_boolean(isa->truncated));
        json_object_object_add(o, "known_dispatcher", isa->dispatcher ? json_object_new_string(isa->dispatcher) : NULL);
        for (size_t i = 0; i < isa->n_proofs; i++) {
                const IsaProof *p = &isa->proofs[i];
                json_object *e = json_object_new_object();

                json_object_object_add(e, "feature", json_object_new_string(isa_feature_name(isa->arch, p->bit) ?: "?"));
                json_object_object_add(e, "dispatched", json_object_new_boolean(p->dispatched));
                json_object_object_add(e, "evidence", json_object_new_string(isa_evidence_to_string(p->evidence)));
                json_object_object_add(e, "address", p->evidence == ISA_EVIDENCE_CODE ? json_object_new_int64((int64_t) p->address) : NULL);
                json_object_object_add(e, "text", json_object_new_string(p->text));
                json_object_array_add(proofs, e);
        }
        json_object_object_add(o, "proofs", proofs);
        return o;
}

static json_object *elf_to_json(const Report *r, const char *path, const ElfId *id, const char *platform,
                                unsigned mask) {
        json_object *o = json_object_new_object(), *bad = json_object_new_array();
        char build_id[2 * ELF_BUILD_ID_MAX + 1], t[PLATFORM_STRING_MAX];

        format_build_id(id, build_id, sizeof(build_id));
        json_object_object_add(o, "path", json_object_new_string(path));
        json_object_object_add(o, "platform", platform ? json_object_new_string(platform) : NULL);
        json_object_object_add(o, "machine", json_object_new_int(id->machine));
        json_object_object_add(o, "class", json_object_new_int(id->elf_class == 2 ? 64 : 32));
        json_object_object_add(o, "endian", json_object_new_string(id->data == 2 ? "big" : "little"));
        json_object_object_add(o, "kind", json_object_new_string(elf_kind_to_string(id->kind)));
        json_object_object_add(o, "static", json_object_new_boolean(!id->dynamic));
        json_object_object_add(o, "interp", id->dynamic ? json_object_new_string(id->interp) : NULL);
        json_object_object_add(o, "build_id", build_id[0] ? json_object_new_string(build_id) : NULL);
        if (id->float_abi != ELF_FLOAT_ABI_UNKNOWN)
                json_object_object_add(o, "float_abi",
                                       json_object_new_string(elf_float_abi_to_string(id->float_abi)));
        if (id->arm_arch)
                json_object_object_add(o, "arm_arch", json_object_new_int((int) id->arm_arch));
        if (id->mips_abi != ELF_MIPS_ABI_NONE)
                json_object_object_add(o, "mips_abi",
                                       json_object_new_string(elf_mips_abi_to_string(id->mips_abi)));
        for (unsigned i = 0; i < r->n_targets; i++)
                if (mask & (1u << i))
                        json_object_array_add(bad, json_object_new_string(platform_to_string(&r->targets[i], t)));
        json_object_object_add(o, "ok", json_object_new_boolean(mask == 0));
        json_object_object_add(o, "mismatches", bad);
        return o;
}

/* " needs x86-64-v2 (popcnt); uses avx2 behind a run-time check", for the file's line. */
static void isa_summary(const ElfIsa *isa, char *buf, size_t size) {
        char need[200], uses[160];

        if (!isa) {
                buf[0] = 0;
                return;
        }
        elf_isa_level_string(isa, isa->required, need, sizeof(need));
        isa_features_to_string(isa->arch, isa->dispatched, uses, sizeof(uses));
        snprintf(buf, size, " needs %s%s%s%s", need, uses[0] ? ", uses " : "", uses, uses[0] ? " behind a run-time check" : "");
}

static void print_elf_line(const Report *r, const char *path, const ElfId *id, const char *platform,
                           const Platform *have, unsigned mask, const ElfIsa *isa) {
        char t[PLATFORM_STRING_MAX], summary[400];

        isa_summary(r->isa_show || mask ? isa : NULL, summary, sizeof(summary));
        if (!r->quiet)
                printf("%s: %s %s%s%s%s %s\n", path, platform ?: "unknown",
                       id->dynamic ? "dynamic" : "static", id->dynamic ? " " : "", id->interp, summary,
                       mask ? "MISMATCH" : "ok");
        for (unsigned i = 0; i < r->n_targets; i++) {
                _cleanup_free_ char *why = NULL;

                if (!(mask & (1u << i)))
                        continue;
                if (platform && isa && platform_runs_on(have, &r->targets[i]) &&
                    isa_target_missing(&r->isa[i], isa) && isa_target_explain(&r->isa[i], isa, &why) >= 0)
                        log_error("%s %s (%s)", path, why, platform_to_string(&r->targets[i], t));
                else
                        log_error("%s is %s, not %s", path, platform ?: "of an unknown platform",
                                  platform_to_string(&r->targets[i], t));
        }
}

int report_elf(Report *r, const char *path, const ElfId *id, const ElfIsa *isa) {
        char buf[PLATFORM_STRING_MAX];
        const char *platform = NULL;
        json_object *o;
        Platform have;
        unsigned mask;

        if (platform_from_elf(id, &have) >= 0)
                platform = platform_to_string(&have, buf);
        mask = mismatches(r, &have, platform != NULL, isa);
        r->n_elf++;
        if (mask)
                r->n_mismatched++;
        if (!r->json) {
                print_elf_line(r, path, id, platform, &have, mask, isa);
                return 0;
        }
        o = elf_to_json(r, path, id, platform, mask);
        if (isa)
                json_object_object_add(o, "isa", isa_to_json(isa));
        return json_object_array_add(r->files, o) < 0 ? -ENOMEM : 0;
}

void report_non_elf(Report *r) {
        r->n_non_elf++;
}

int report_error(Report *r, const char *path, int error) {
        const char *what = error == -EBADMSG ? "malformed or truncated ELF file" : strerror(-error);
        json_object *o;

        r->n_errors++;
        log_error("%s: %s", path, what);
        if (!r->json)
                return 0;
        o = json_object_new_object();
        json_object_object_add(o, "path", json_object_new_string(path));
        json_object_object_add(o, "error", json_object_new_string(what));
        return json_object_array_add(r->errors, o) < 0 ? -ENOMEM : 0;
}

static CheckArchExit exit_code(const Report *r) {
        if (r->n_errors > 0)
                return CHECK_ARCH_EXIT_ERROR;
        return r->n_mismatched > 0 || r->n_platform_failures > 0 ? CHECK_ARCH_EXIT_MISMATCH : CHECK_ARCH_EXIT_OK;
}

static void print_json(Report *r, CheckArchExit code) {
        json_object *doc = json_object_new_object(), *targets = json_object_new_array(), *summary, *cpus;
        char t[PLATFORM_STRING_MAX];

        for (unsigned i = 0; i < r->n_targets; i++)
                json_object_array_add(targets, json_object_new_string(platform_to_string(&r->targets[i], t)));
        summary = json_object_new_object();
        json_object_object_add(summary, "elf", json_object_new_int((int) r->n_elf));
        json_object_object_add(summary, "non_elf", json_object_new_int((int) r->n_non_elf));
        json_object_object_add(summary, "mismatched", json_object_new_int((int) r->n_mismatched));
        json_object_object_add(summary, "errors", json_object_new_int((int) r->n_errors));
        json_object_object_add(summary, "exit", json_object_new_int(code));
        if (r->n_images > 0) {
                json_object_object_add(summary, "images", json_object_new_int((int) r->n_images));
                json_object_object_add(summary, "platform_failures", json_object_new_int((int) r->n_platform_failures));
                json_object_object_add(doc, "images", json_object_get(r->images));
        }
        json_object_object_add(doc, "platforms", targets);
        cpus = json_object_new_array();
        for (unsigned i = 0; i < r->n_targets; i++)
                json_object_array_add(cpus, r->isa[i].active ? json_object_new_string(r->isa[i].name) : NULL);
        json_object_object_add(doc, "cpus", cpus);
        json_object_object_add(doc, "files", json_object_get(r->files));
        json_object_object_add(doc, "errors", json_object_get(r->errors));
        json_object_object_add(doc, "summary", summary);
        puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(doc);
}

CheckArchExit report_finish(Report *r) {
        CheckArchExit code = exit_code(r);
        char t[PLATFORM_STRING_MAX];

        if (r->json) {
                print_json(r, code);
                return code;
        }
        if (r->n_images > 0 && r->n_elf == 0 && r->n_errors == 0) {
                printf("%u image%s checked: %u platform check%s failed\n", r->n_images, r->n_images == 1 ? "" : "s",
                       r->n_platform_failures, r->n_platform_failures == 1 ? "" : "s");
                return code;
        }
        printf("%u ELF file%s checked against", r->n_elf, r->n_elf == 1 ? "" : "s");
        for (unsigned i = 0; i < r->n_targets; i++)
                printf("%s %s", i ? "," : "", platform_to_string(&r->targets[i], t));
        printf(": %u ok, %u mismatched; %u non-ELF skipped; %u unreadable\n", r->n_elf - r->n_mismatched,
               r->n_mismatched, r->n_non_elf, r->n_errors);
        return code;
}

int report_init(Report *r) {
        if (!r->json)
                return 0;
        r->files = json_object_new_array();
        r->errors = json_object_new_array();
        r->images = json_object_new_array();
        return r->files && r->errors && r->images ? 0 : -ENOMEM;
}

void report_done(Report *r) {
        json_object_put(r->files);
        json_object_put(r->errors);
        json_object_put(r->images);
        r->files = r->errors = r->images = NULL;
}
