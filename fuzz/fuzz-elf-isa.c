/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ISA analysis of an ELF file from an image (check-arch --platform .../v2, --cpu; archbuild's
 * variant check): program headers, GNU property notes, .ARM.attributes, .riscv.attributes and the
 * x86-64 code sweep. Differential too: when the quick analysis (the prefilter, elf-isa-x86-skim.c)
 * answers, the whole analysis must give the same features, or the prefilter would change a verdict. */
#include "elf-id.h"
#include "elf-isa.h"
#include "fuzz.h"

static void attributes(const uint8_t *data, size_t size) {
        IsaFeatures needed, used, arm;
        bool has_needed, has_used;
        char proof[ELF_ISA_PROOF_MAX], arch[256];

        (void) elf_isa_x86_property_parse(data, size, &needed, &has_needed, &used, &has_used);
        (void) elf_isa_arm_attributes(data, size, size > 0 ? data[0] : 0, &arm, proof, sizeof(proof));
        if (elf_isa_riscv_attributes(data, size, arch, sizeof(arch)) >= 0)
                (void) elf_isa_riscv_arch_parse(arch, &used);
}

static void analyze(const uint8_t *data, size_t size, const ElfId *id) {
        /* A small code bound keeps one input fast; the first byte past the header varies the options. */
        uint8_t knob = size > 64 ? data[64] : 0;
        ElfIsaOptions o = { .code_max = 64 * 1024, .have_targets = knob & 1, .targets_have = knob >> 1 };
        ElfIsa quick = {}, whole = {};
        int q, w;

        q = elf_isa_analyze_quick(data, size, size + (knob & 0x80 ? 4096 : 0), id, &o, &quick);
        w = elf_isa_analyze(data, size, size + (knob & 0x80 ? 4096 : 0), id, &o, &whole);
        if (q == 1 && w >= 0 && (quick.required != whole.required || quick.dispatched != whole.dispatched))
                abort();
        if (w >= 0) {
                (void) elf_isa_required_level(&whole);
                for (unsigned bit = 0; bit < 64; bit++)
                        (void) elf_isa_proof(&whole, bit, knob & 2);
        }
        if (q == 1)
                elf_isa_done(&quick);
        if (w >= 0)
                elf_isa_done(&whole);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ElfId id;

        attributes(data, size);
        if (elf_id_from_buffer(data, size, &id) >= 0 && elf_isa_arch(&id) >= 0)
                analyze(data, size, &id);
        return 0;
}
