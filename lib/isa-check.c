/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "isa-check.h"
#include "macro.h"

static void name_set(IsaTarget *t, const char *name) {
        snprintf(t->name, sizeof(t->name), "%s", name);
}

void isa_target_from_platform(const Platform *p, IsaTarget *ret) {
        const IsaLevel *l = isa_level_from_variant(p->arch, p->variant);
        IsaTarget t = { .arch = _ISA_ARCH_INVALID };

        if (l) {
                t.arch = l->arch;
                t.have = l->features;
                t.active = l->rank > 0 || l->arch == ISA_ARCH_ARM;
                name_set(&t, l->name);
        }
        *ret = t;
}

/* A row of the model for arch a, else any row of that name; then a level name of a. */
static int cpu_find(const char *model, IsaArch a, IsaFeatures *ret_have, IsaArch *ret_arch) {
        const IsaCpu *any = NULL;

        for (unsigned i = 0; i < isa_cpu_table_size; i++)
                if (strcasecmp(isa_cpu_table[i].name, model) == 0) {
                        if (isa_cpu_table[i].arch == a || a == _ISA_ARCH_INVALID) {
                                *ret_have = isa_cpu_features(&isa_cpu_table[i]);
                                *ret_arch = isa_cpu_table[i].arch;
                                return 0;
                        }
                        any = any ?: &isa_cpu_table[i];
                }
        for (unsigned i = 0; i < isa_level_table_size; i++)
                if (strcasecmp(isa_level_table[i].name, model) == 0 &&
                    (isa_level_table[i].arch == a || a == _ISA_ARCH_INVALID)) {
                        *ret_have = isa_level_table[i].features;
                        *ret_arch = isa_level_table[i].arch;
                        return 0;
                }
        for (unsigned i = 0; !any && i < isa_level_table_size; i++)
                if (strcasecmp(isa_level_table[i].name, model) == 0)
                        return -EXDEV;
        return any ? -EXDEV : -ENOENT;
}

int isa_target_from_cpu(const char *model, const Platform *p, IsaTarget *ret) {
        IsaArch a = isa_arch_from_oci(p->arch), found;
        IsaTarget t = {};
        int r;

        if (a < 0)
                return cpu_find(model, _ISA_ARCH_INVALID, &t.have, &found) < 0 ? -ENOENT : -EXDEV;
        r = cpu_find(model, a, &t.have, &found);
        if (r < 0)
                return r;
        t.arch = found;
        t.active = true;
        name_set(&t, model);
        *ret = t;
        return 0;
}

int isa_cpu_platform(const char *model, Platform *ret) {
        IsaFeatures have;
        const IsaLevel *l;
        IsaArch a;
        Platform p = {};

        if (cpu_find(model, _ISA_ARCH_INVALID, &have, &a) < 0)
                return -ENOENT;
        /* the highest level the model has all of names its variant */
        l = NULL;
        for (unsigned i = 0; i < isa_level_table_size; i++)
                if (isa_level_table[i].arch == a && (isa_level_table[i].features & ~have) == 0 &&
                    (!l || isa_level_table[i].rank > l->rank))
                        l = &isa_level_table[i];
        snprintf(p.os, sizeof(p.os), "linux");
        snprintf(p.arch, sizeof(p.arch), "%s", isa_arch_to_oci(a));
        if (l)
                snprintf(p.variant, sizeof(p.variant), "%s", l->variant);
        *ret = p;
        return 0;
}

IsaFeatures isa_target_missing(const IsaTarget *t, const ElfIsa *isa) {
        if (!t->active || isa->arch != t->arch)
                return 0;
        return isa->required & ~t->have;
}

/* The level ranked just below l, or NULL. */
static const IsaLevel *level_below(const IsaLevel *l) {
        for (unsigned i = 0; l && l->rank > 0 && i < isa_level_table_size; i++)
                if (isa_level_table[i].arch == l->arch && isa_level_table[i].rank == l->rank - 1)
                        return &isa_level_table[i];
        return NULL;
}

const char *elf_isa_level_string(const ElfIsa *isa, IsaFeatures f, char *buf, size_t size) {
        const IsaLevel *l = isa_level_lowest(isa->arch, f), *below = level_below(l);
        char names[160];
        /* what puts it at this level: the features the level below lacks, or all of an odd set */
        IsaFeatures extra = l ? f & ~(below ? below->features : 0) : f;

        isa_features_to_string(isa->arch, extra, names, sizeof(names));
        if (l && !names[0])
                snprintf(buf, size, "%s", l->name);
        else if (l)
                snprintf(buf, size, "%s (%s)", l->name, names);
        else
                snprintf(buf, size, "%s", names);
        return buf;
}

int isa_target_explain(const IsaTarget *t, const ElfIsa *isa, char **ret) {
        IsaFeatures missing = isa_target_missing(t, isa);
        char need[200], lacks[160], where[32] = "";
        const IsaProof *proof = NULL;

        for (unsigned bit = 0; !proof && bit < 64; bit++)
                if (missing & ISA_BIT(bit))
                        proof = elf_isa_proof(isa, bit, false);
        if (proof && proof->evidence == ISA_EVIDENCE_CODE)
                snprintf(where, sizeof(where), " at 0x%" PRIx64, proof->address);
        elf_isa_level_string(isa, isa->required, need, sizeof(need));
        isa_features_to_string(isa->arch, missing, lacks, sizeof(lacks));
        return asprintf(ret, "needs %s; %s lacks %s: %s%s%s", need, t->name, lacks, proof ? proof->text : "?", where,
                        isa->truncated ? " (file cut at the scan limit)" : "") < 0 ? -ENOMEM : 0;
}

const char *isa_evidence_to_string(IsaEvidence e) {
        static const char * const names[_ISA_EVIDENCE_MAX] = {
                [ISA_EVIDENCE_NONE] = "none",
                [ISA_EVIDENCE_NOTE] = "note",
                [ISA_EVIDENCE_ATTRIBUTE] = "attribute",
                [ISA_EVIDENCE_CODE] = "code",
        };
        return e >= 0 && e < _ISA_EVIDENCE_MAX ? names[e] : NULL;
}
