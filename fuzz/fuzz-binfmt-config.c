/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /etc/archway/binfmt.conf and its drop-ins (binfmt/config.c). */
#include "../binfmt/binfmt.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Settings s;
        unsigned line = 0;

        settings_init(&s);
        (void) config_parse((const char *) data, size, &s, &line);
        return 0;
}
