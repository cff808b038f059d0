/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the two halves of the x86-64 sweep: elf-isa-x86.c (the sweep through Zydis, features,
 * flow) and elf-isa-x86-skim.c (the prefilter that tells, without decoding every instruction, that the
 * sweep cannot find an instruction with a feature). */

#include <stdbool.h>
#include <stdint.h>

#include <Zydis/Zydis.h>

/* Zydis for 64-bit code; minimal: length, mnemonic, ISA set and the raw fields, no operands. */
void x86_decoder_init(ZydisDecoder *d, bool minimal);
/* The feature bit an instruction needs (isa-table.h), or -1. */
int x86_feature(const ZydisDecodedInstruction *z);
/* The sweep's one-byte table (built from Zydis at first use): before x86_step(). */
void x86_tables_init(void);
/* One step of the sweep at code[0..n) (n >= 1), exactly as the sweep takes it: the bytes it advances
 * (1 for a one-byte instruction stepped over undecoded or for bytes Zydis cannot decode), and the
 * feature of the instruction there (-1: none). d: a minimal decoder. */
unsigned x86_step(const ZydisDecoder *d, const uint8_t *code, uint64_t n, int *ret_feature);

/* elf-isa-x86-skim.c. Whether the bytes a and b, or a alone (b: any), may open the part of an
 * instruction with a feature that follows its legacy and REX prefixes: 0F and the opcode (0F 38,
 * 0F 3A: the map), a VEX, EVEX or XOP prefix and its first payload byte, lahf/sahf, xbegin/xabort. */
bool x86_skim_key(uint8_t a, uint8_t b);
/* Whether the sweep of code[0..size) (one executable range, from its start) finds an instruction with
 * a feature: exact, as x86_step() over the whole range would tell, but decoding only around the bytes
 * x86_skim_key() names. Returns 0 (none) or 1 (found; or, after as many decodes as the whole sweep
 * takes, not known: code made so that the shortcuts fail is then swept whole). */
int x86_skim(const uint8_t *code, uint64_t size);
