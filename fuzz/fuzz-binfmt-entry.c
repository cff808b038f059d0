/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* binfmt_misc register strings (the configuration, other tools' binfmt.d files) and the status files
 * of /proc/sys/fs/binfmt_misc/<name>, which another registrar wrote. A parsed entry must format back to
 * a string that parses to the same entry. */
#include "binfmt-entry.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = fuzz_strndup(data, size), out[2048];
        BinfmtEntry e, again;

        if (!s)
                return 0;
        if (binfmt_entry_parse(s, size, &e) >= 0) {
                (void) binfmt_entry_matches(&e, data, size, "/usr/bin/x");
                if (binfmt_entry_format(&e, out, sizeof(out)) >= 0 &&
                    binfmt_entry_parse(out, strlen(out), &again) >= 0 && !binfmt_entry_equal(&e, &again))
                        abort();
        }
        if (binfmt_entry_parse_status("qemu-fuzz", s, size, &e) >= 0)
                (void) binfmt_entry_matches(&e, data, size, "/x");
        free(s);
        return 0;
}
