/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the libFuzzer targets (fuzz/fuzz-*.c): each is one LLVMFuzzerTestOneInput() that feeds the
 * input to one parser of outside input, as the program would. Inputs the parser accepts are used the way
 * the program uses them next (formatted, looked up, serialised), so that a parse that "succeeds" into an
 * inconsistent value is caught too. Built and run by `make fuzz` (docs/security.md). */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy (parsers of C strings), or NULL when out of memory. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1);

        if (s) {
                memcpy(s, data, size);
                s[size] = 0;
        }
        return s;
}
