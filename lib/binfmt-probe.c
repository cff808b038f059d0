/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>
#include <sys/wait.h>

#include "binfmt-probe.h"
#include "binfmt-probes.h"
#include "macro.h"

const unsigned char *binfmt_probe_program(const char *name, size_t *ret_size) {
        for (size_t i = 0; i < ELEMENTSOF(binfmt_probes); i++)
                if (streq(binfmt_probes[i].name, name)) {
                        *ret_size = binfmt_probes[i].size;
                        return binfmt_probes[i].elf;
                }
        return NULL;
}

bool binfmt_probe_status_ok(int wstatus) {
        return WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == BINFMT_PROBE_EXIT_STATUS;
}
