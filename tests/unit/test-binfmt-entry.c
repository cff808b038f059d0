/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/binfmt-entry: register strings accepted and refused exactly as fs/binfmt_misc.c create_entry()
 * does, formatting that round-trips, status files as entry_status() prints them, and check_file()'s
 * matching rule. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "binfmt-entry.h"
#include "binfmt-table.h"
#include "macro.h"

#define AARCH64 ":qemu-aarch64:M::\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00:" \
                "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:" \
                "/usr/bin/qemu-aarch64-static:"

static int parse(const char *s, BinfmtEntry *e) {
        return binfmt_entry_parse(s, strlen(s), e);
}

static void test_parse_qemu_string(void **state) {
        BinfmtEntry e;

        assert_int_equal(parse(AARCH64 "PF", &e), 0);
        assert_string_equal(e.name, "qemu-aarch64");
        assert_int_equal(e.type, BINFMT_TYPE_MAGIC);
        assert_int_equal(e.offset, 0);
        assert_int_equal(e.size, 20);
        assert_memory_equal(e.magic, "\x7f" "ELF\x02\x01\x01", 7);
        assert_int_equal(e.magic[18], 0xb7);
        assert_int_equal(e.mask[16], 0xfe);
        assert_true(e.has_mask);
        assert_string_equal(e.interpreter, "/usr/bin/qemu-aarch64-static");
        assert_int_equal(e.flags, BINFMT_PRESERVE_ARGV0 | BINFMT_FIX_BINARY);
        /* One trailing newline, as "echo" writes it. */
        assert_int_equal(parse(AARCH64 "F\n", &e), 0);
        assert_int_equal(e.flags, BINFMT_FIX_BINARY);
}

/* Each of these is refused by create_entry(). */
static void test_parse_refuses_what_the_kernel_refuses(void **state) {
        static const char *const bad[] = {
                "::M::\\x7f::/bin/x:",                 /* empty name */
                ":.:M::\\x7f::/bin/x:",                /* "." */
                ":..:M::\\x7f::/bin/x:",               /* ".." */
                ":a/b:M::\\x7f::/bin/x:",              /* '/' in name */
                ":n:X::\\x7f::/bin/x:",                /* unknown type */
                ":n:MM::\\x7f::/bin/x:",               /* type not followed by the delimiter */
                ":n:M:-1:\\x7f::/bin/x:",              /* negative offset */
                ":n:M:0x10:\\x7f::/bin/x:",            /* offset is decimal only */
                ":n:M:99999999999:\\x7f::/bin/x:",     /* offset overflows int */
                ":n:M:256:\\x7f::/bin/x:",             /* offset + size > BINPRM_BUF_SIZE */
                ":n:M::::/bin/x:",                     /* empty magic */
                ":n:M::\\x7g::/bin/x:",                /* bad escape */
                ":n:M::ab\\x4:ffff:/bin/x:",           /* escape cut short */
                ":n:M::\\x7f:\\xff\\xff:/bin/x:",      /* mask longer than magic */
                ":n:M::\\x7f::/bin/x",                 /* no delimiter before flags */
                ":n:M::\\x7f:::",                      /* empty interpreter */
                ":n:M::\\x7f::/bin/x:Q",               /* unknown flag */
                ":n:M::\\x7f::/bin/x:F\n\n",           /* more than one newline */
                ":n:E::a/b::/bin/x:",                  /* '/' in extension */
                ":n:E::::/bin/x:",                     /* empty extension */
                ":n:M::x:",                            /* fewer than 11 bytes */
        };
        BinfmtEntry e;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (parse(bad[i], &e) != -EINVAL)
                        fail_msg("accepted: %s", bad[i]);
}

static void test_parse_limits(void **state) {
        char buf[BINFMT_REGISTER_MAX + 64], name[BINFMT_NAME_MAX + 2], magic[4 * 257 + 1] = "";
        BinfmtEntry e;

        /* Name: NAME_MAX bytes fit, one more does not. */
        memset(name, 'n', BINFMT_NAME_MAX);
        name[BINFMT_NAME_MAX] = '\0';
        snprintf(buf, sizeof(buf), ":%s:M::\\x7f::/bin/x:", name);
        assert_int_equal(parse(buf, &e), 0);
        strcat(name, "n");
        snprintf(buf, sizeof(buf), ":%s:M::\\x7f::/bin/x:", name);
        assert_int_equal(parse(buf, &e), -EINVAL);

        /* Offset + size == BINPRM_BUF_SIZE is fine; magic of 256 bytes at 0 too, 257 not. */
        assert_int_equal(parse(":n:M:255:\\x7f::/bin/x:", &e), 0);
        assert_int_equal(e.offset, 255);
        assert_int_equal(parse(":n:M:+7:\\x7f::/bin/x:", &e), 0);
        for (int i = 0; i < 256; i++)
                strcat(magic, "\\x41");
        snprintf(buf, sizeof(buf), ":n:M::%s::/bin/x:", magic);
        assert_int_equal(parse(buf, &e), 0);
        assert_int_equal(e.size, 256);
        strcat(magic, "\\x41");
        snprintf(buf, sizeof(buf), ":n:M::%s::/bin/x:", magic);
        assert_int_equal(parse(buf, &e), -EINVAL);

        /* The whole string: at most 1920 bytes. */
        memset(buf, 0, sizeof(buf));
        snprintf(buf, sizeof(buf), ":n:E::x::/");
        memset(buf + strlen(buf), 'i', BINFMT_REGISTER_MAX - strlen(buf) - 1);
        buf[BINFMT_REGISTER_MAX - 1] = ':';
        assert_int_equal(binfmt_entry_parse(buf, BINFMT_REGISTER_MAX, &e), 0);
        buf[BINFMT_REGISTER_MAX - 1] = 'i';
        buf[BINFMT_REGISTER_MAX] = ':';
        assert_int_equal(binfmt_entry_parse(buf, BINFMT_REGISTER_MAX + 1, &e), -EINVAL);
}

static void test_parse_escapes_delimiter_and_flags(void **state) {
        BinfmtEntry e;

        /* Any first byte is the delimiter; literal bytes and a backslash before a non-x stay. */
        assert_int_equal(parse("|n|M|2|LF\\q||/bin/x|OF", &e), 0);
        assert_int_equal(e.offset, 2);
        assert_int_equal(e.size, 4);
        assert_memory_equal(e.magic, "LF\\q", 4);
        assert_false(e.has_mask);
        /* C implies O, as check_special_flags() does. */
        assert_int_equal(parse(":n:M::\\x7f::/bin/x:C", &e), 0);
        assert_int_equal(e.flags, BINFMT_CREDENTIALS | BINFMT_OPEN_BINARY);
        /* Extension entries ignore offset and mask. */
        assert_int_equal(parse(":jar:E:ignored:jar:ignored:/usr/bin/jexec:", &e), 0);
        assert_int_equal(e.type, BINFMT_TYPE_EXTENSION);
        assert_string_equal(e.extension, "jar");
        /* A raw NUL (which the kernel would silently cut at) is refused. */
        assert_int_equal(binfmt_entry_parse(":n:M::A\0B::/bin/x:", 18, &e), -EINVAL);
}

static void test_format_round_trips_every_row(void **state) {
        for (size_t i = 0; i < binfmt_target_table_size; i++) {
                char buf[BINFMT_REGISTER_MAX + 1];
                BinfmtEntry e, back;
                int n;

                assert_int_equal(binfmt_target_to_entry(&binfmt_target_table[i], "/usr/local/libexec/archway/qemu/qemu-x",
                                                        BINFMT_FIX_BINARY | BINFMT_PRESERVE_ARGV0, &e), 0);
                n = binfmt_entry_format(&e, buf, sizeof(buf));
                assert_true(n >= BINFMT_REGISTER_MIN && n <= BINFMT_REGISTER_MAX);
                assert_int_equal((size_t) n, strlen(buf));
                assert_int_equal(parse(buf, &back), 0);
                assert_true(binfmt_entry_equal(&e, &back));
                assert_string_equal(e.name, back.name);
        }
}

static void test_format_picks_delimiter_and_refuses_bad(void **state) {
        BinfmtEntry e = { .type = BINFMT_TYPE_EXTENSION, .flags = BINFMT_FIX_BINARY };
        char buf[BINFMT_REGISTER_MAX + 1];

        strcpy(e.name, "a:b");
        strcpy(e.extension, "x");
        strcpy(e.interpreter, "/opt/i:1/run");
        assert_true(binfmt_entry_format(&e, buf, sizeof(buf)) > 0);
        assert_string_equal(buf, "|a:b|E||x||/opt/i:1/run|F");
        assert_int_equal(binfmt_entry_format(&e, buf, 10), -ENOBUFS);
        strcpy(e.name, "..");
        assert_int_equal(binfmt_entry_format(&e, buf, sizeof(buf)), -EINVAL);
        strcpy(e.name, "ok");
        e.interpreter[0] = '\0';
        assert_int_equal(binfmt_entry_format(&e, buf, sizeof(buf)), -EINVAL);
        /* Text fields so long the string passes 1920 bytes. */
        memset(e.interpreter, 'i', BINFMT_TEXT_MAX - 1);
        e.interpreter[BINFMT_TEXT_MAX - 1] = '\0';
        assert_int_equal(binfmt_entry_format(&e, buf, sizeof(buf)), -E2BIG);
}

static void test_parse_status(void **state) {
        static const char text[] = "enabled\ninterpreter /usr/bin/qemu-aarch64-static\nflags: PF\noffset 0\n"
                                   "magic 7f454c460201010000000000000000000200b700\n"
                                   "mask ffffffffffffff00fffffffffffffffffeffffff\n";
        static const char ext[] = "disabled\ninterpreter /usr/bin/jexec\nflags: \nextension .jar\n";
        BinfmtEntry s, r;

        assert_int_equal(binfmt_entry_parse_status("qemu-aarch64", text, strlen(text), &s), 0);
        assert_true(s.enabled);
        assert_int_equal(parse(AARCH64 "PF", &r), 0);
        assert_true(binfmt_entry_equal(&s, &r));
        r.flags = BINFMT_FIX_BINARY;
        assert_false(binfmt_entry_equal(&s, &r)); /* drift in flags */

        assert_int_equal(binfmt_entry_parse_status("jar", ext, strlen(ext), &s), 0);
        assert_false(s.enabled);
        assert_int_equal(s.type, BINFMT_TYPE_EXTENSION);
        assert_string_equal(s.extension, "jar");
        assert_int_equal(s.flags, 0);

        assert_int_equal(binfmt_entry_parse_status("x", "enabled\n", 8, &s), -EBADMSG);
        assert_int_equal(binfmt_entry_parse_status("x", "enabled\ninterpreter /a\nmagic 7\n", 30, &s), -EBADMSG);
}

static void test_matches(void **state) {
        BinfmtEntry e;

        assert_int_equal(parse(":t:M:2:AB\\x00:\\xff\\xdf\\xff:/bin/x:", &e), 0);
        assert_true(binfmt_entry_matches(&e, "..AB\0", 5, NULL));
        assert_true(binfmt_entry_matches(&e, "..Ab\0", 5, NULL));  /* bit 0x20 masked off */
        assert_true(binfmt_entry_matches(&e, "..AB", 4, NULL));    /* past the file: zero */
        assert_false(binfmt_entry_matches(&e, "..AC", 4, NULL));
        e.enabled = false;
        assert_false(binfmt_entry_matches(&e, "..AB\0", 5, NULL));

        assert_int_equal(parse(":jar:E::jar::/usr/bin/jexec:", &e), 0);
        assert_true(binfmt_entry_matches(&e, "", 0, "/srv/app.jar"));
        assert_false(binfmt_entry_matches(&e, "", 0, "/srv/app.jar.gz"));
        assert_false(binfmt_entry_matches(&e, "", 0, NULL));
}

static void test_flags_strings(void **state) {
        BinfmtFlags f;
        char buf[5];

        assert_int_equal(binfmt_flags_from_string("FP", &f), 0);
        assert_string_equal(binfmt_flags_to_string(f, buf), "PF");
        assert_int_equal(binfmt_flags_from_string("C", &f), 0);
        assert_string_equal(binfmt_flags_to_string(f, buf), "OC");
        assert_int_equal(binfmt_flags_from_string("", &f), 0);
        assert_int_equal(f, 0);
        assert_int_equal(binfmt_flags_from_string("f", &f), -EINVAL);
        assert_int_equal(binfmt_flag_letter(BINFMT_FIX_BINARY), 'F');
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_qemu_string),
                cmocka_unit_test(test_parse_refuses_what_the_kernel_refuses),
                cmocka_unit_test(test_parse_limits),
                cmocka_unit_test(test_parse_escapes_delimiter_and_flags),
                cmocka_unit_test(test_format_round_trips_every_row),
                cmocka_unit_test(test_format_picks_delimiter_and_refuses_bad),
                cmocka_unit_test(test_parse_status),
                cmocka_unit_test(test_matches),
                cmocka_unit_test(test_flags_strings),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
