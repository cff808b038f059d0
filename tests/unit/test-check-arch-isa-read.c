/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* check-arch/isa-read.c on a file larger than its buffer (IsaWant.file_max, so the test needs no
 * 64 MiB) whose section header table lies past it: read apart by pread from a file, and from a layer
 * entry by reading forward in the stream. The start of the file's R+X segment decodes as AVX-512,
 * 3DNow! and lahf; with the table the sections say where the code is, and nothing is required. */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../check-arch/isa-read.h"
#include "elf-fixture.h"
#include "macro.h"
#include "tar-fixture.h"

static uint8_t big[BIG_FILE];

static void assert_big_ok(const ElfIsa *isa) {
        assert_non_null(isa);
        assert_int_equal(isa->source, ISA_EVIDENCE_CODE);
        assert_int_equal(isa->required, 0);
        assert_true(isa->truncated);
        /* .init and the part of .text inside the buffer, found through the table */
        assert_int_equal(isa->code_bytes, BIG_LIMIT - BIG_INIT);
}

static void want_all(IsaWant *w) {
        isa_want_init(w, NULL, 0, true);
        w->file_max = BIG_LIMIT;
}

static void test_read_fd(void **state) {
        _cleanup_close_ int fd = tmpfd_with(big, fixture_big_x86(big, false));
        ElfIsa *isa = NULL;
        IsaWant w;
        ElfId id;

        want_all(&w);
        assert_int_equal(elf_id_from_buffer(big, BIG_LIMIT, &id), 0);
        assert_int_equal(isa_read_fd(&w, fd, &id, &isa), 0);
        assert_big_ok(isa);
        isa_free(isa);
}

typedef struct Seen {
        IsaWant w;
        ElfIsa *isa;
        int r;
} Seen;

static int on_entry(const LayerEntry *e, void *userdata) {
        Seen *s = userdata;
        ElfId id;

        int r;

        if (e->type != LAYER_ENTRY_REGULAR)
                return 0;
        r = isa_identify_layer(&s->w, e, &id, &s->isa);
        if (r != 0)
                s->r = r;   /* the ELF entry's answer; the text file after it answers 0 */
        return 0;
}

static void test_read_layer(void **state) {
        const Ent ents[] = {
                { .name = "usr/lib/libbig.so", .type = AE_IFREG, .mode = 0644, .data = (const char *) big,
                  .size = fixture_big_x86(big, false) },
                FILE_("usr/lib/after", 0644, "the entry after is still read"),
        };
        Buf layer = LAYER(ents, OCI_COMPRESSION_GZIP);
        _cleanup_close_ int fd = tmpfd_with(layer.data, layer.size);
        LayerReadResult res;
        Seen s = {};

        want_all(&s.w);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        assert_int_equal(layer_read_fd(fd, NULL, on_entry, &s, &res, NULL), 0);
        assert_int_equal(res.n_entries, 2);
        assert_int_equal(s.r, 1);
        assert_big_ok(s.isa);
        isa_free(s.isa);
        free(layer.data);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_read_fd),
                cmocka_unit_test(test_read_layer),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
