/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check-isa.h"
#include "macro.h"

static int details_fill(const IsaTarget *t, const ElfIsa *isa, IsaFeatures missing, IsaProblem *ret) {
        char need[200], lacks[160];
        const IsaProof *proof = NULL;

        for (unsigned bit = 0; !proof && bit < 64; bit++)
                if (missing & ISA_BIT(bit))
                        proof = elf_isa_proof(isa, bit, false);
        elf_isa_level_string(isa, isa->required, need, sizeof(need));
        isa_features_to_string(isa->arch, missing, lacks, sizeof(lacks));
        *ret = (IsaProblem) {
                .required = strdup(need),
                .missing = strdup(lacks),
                .proof = strdup(proof ? proof->text : ""),
                .evidence = isa_evidence_to_string(proof ? proof->evidence : ISA_EVIDENCE_NONE),
                .address = proof && proof->evidence == ISA_EVIDENCE_CODE ? proof->address : 0,
        };
        if (!ret->required || !ret->missing || !ret->proof) {
                isa_problem_done(ret);
                return -ENOMEM;
        }
        return 0;
}

int isa_problem_for(PlatformResult *p, const ElfInfo *elf, char **ret_message, IsaProblem *ret) {
        const IsaTarget *t = &p->isa;
        IsaFeatures missing;
        int r;

        if (!t->active || elf_isa_arch(&elf->id_small) != t->arch)
                return 0;
        p->n_isa_checked++;
        if (!elf->isa) {
                p->n_isa_failed++;
                *ret = (IsaProblem) {};
                return asprintf(ret_message, "could not be analysed for %s: %s", t->name,
                                strerror(-(elf->isa_error ?: -ENODATA))) < 0 ? -ENOMEM : 1;
        }
        if (elf->isa->dispatched & ~t->have)
                p->n_isa_dispatched++;
        missing = isa_target_missing(t, elf->isa);
        if (!missing)
                return 0;
        p->n_isa_failed++;
        r = isa_target_explain(t, elf->isa, ret_message);
        if (r >= 0)
                r = details_fill(t, elf->isa, missing, ret);
        if (r < 0) {
                free(*ret_message);
                *ret_message = NULL;
                return r;
        }
        return 1;
}

void isa_problem_attach(IsaProblem *ip, Problem *q) {
        q->isa_required = TAKE_PTR(ip->required);
        q->isa_missing = TAKE_PTR(ip->missing);
        q->isa_proof = TAKE_PTR(ip->proof);
        q->isa_evidence = ip->evidence;
        q->isa_address = ip->address;
}

void isa_problem_done(IsaProblem *ip) {
        free(ip->required);
        free(ip->missing);
        free(ip->proof);
        *ip = (IsaProblem) {};
}

int isa_check_detail(PlatformResult *p) {
        char *s;

        if (!p->isa.active)
                return 0;
        if (asprintf(&s, "%u of %u ELF file%s need more than %s%s%u use more only behind a run-time check",
                     p->n_isa_failed, p->n_isa_checked, p->n_isa_checked == 1 ? "" : "s", p->isa.name, "; ",
                     p->n_isa_dispatched) < 0)
                return -ENOMEM;
        free(p->detail[CHECK_ISA]);
        p->detail[CHECK_ISA] = s;
        return 0;
}
