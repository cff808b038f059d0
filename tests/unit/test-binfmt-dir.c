/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lib/binfmt-dir without a binfmt_misc mount: every function takes a directory fd, so a mkdtemp
 * directory with "register", "status" and entry files written by the test stands in for an instance.
 * That checks what this module itself decides: which names are entries, the bounds and refusals before
 * any I/O, that a register string or a command is written as exactly the bytes binfmt_entry_format()
 * made (or "-1", "0", "1"), and how status files are read.
 *
 * What needs the kernel is in tests/cli/binfmt.bats, each test in a private binfmt_misc instance of
 * a user namespace (helpers.bash, binfmt_ns): binfmt_dir_open() on a real mount (every test), register
 * and remove accepted by the kernel (install, uninstall, reconcile), real status files read back ("the
 * entry is built as documented"), names taken by another tool ("a foreign entry survives ..."), the
 * kernel's newest-first order ("status lists entries newest first"), and the owner of the instance's
 * register file ("without CAP_SYS_ADMIN the error says so"). Covered by neither: binfmt_dir_open_or_mount()
 * mounting (the bats prologue mounts first, and a mount from here would reach the host's instance),
 * binfmt_dir_flag_supported() against a kernel that refuses a flag, and binfmt_dir_set_entry_enabled()
 * on a kernel (no program calls it yet). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "binfmt-dir.h"
#include "file-util.h"
#include "macro.h"

typedef struct Fake {
        char *path;
        int fd;
} Fake;

static Fake fake_new(void) {
        Fake f = { .path = strdup("/tmp/archway-binfmt-dir-XXXXXX") };

        assert_non_null(f.path);
        assert_non_null(mkdtemp(f.path));
        f.fd = open(f.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(f.fd >= 0);
        return f;
}

static void fake_free(Fake *f) {
        close(f->fd);
        assert_int_equal(rm_rf(f->path), 0);
        free(f->path);
}

static void put(const Fake *f, const char *name, const char *data, size_t size) {
        assert_int_equal(write_file_atomic(f->fd, name, data, size, 0644, NULL), 0);
}

static void put_str(const Fake *f, const char *name, const char *data) {
        put(f, name, data, strlen(data));
}

static char *contents(const Fake *f, const char *name, size_t *ret_size) {
        _cleanup_close_ int fd = openat(f->fd, name, O_RDONLY | O_CLOEXEC);
        char *buf = NULL;

        assert_true(fd >= 0);
        assert_int_equal(read_fd(fd, 1 << 16, &buf, ret_size), 0);
        return buf;
}

static bool exists(const Fake *f, const char *name) {
        return faccessat(f->fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static const char aarch64_status[] =
        "enabled\ninterpreter /usr/libexec/archway/qemu-aarch64\nflags: PF\noffset 0\n"
        "magic 7f454c460201010000000000000000000200b700\n"
        "mask ffffffffffffff00fffffffffffffffffeffffff\n";

/* Names the kernel, or this module, refuses as an entry. */
static const char *const bad_names[] = { "", ".", "..", "a/b", "register", "status" };

/* ---- open -------------------------------------------------------------------------------------- */

static void test_open_not_binfmt_misc(void **state) {
        Fake f = fake_new();
        _cleanup_free_ char *missing = NULL, *file = NULL;
        int fd = -1;

        /* a directory, but not a binfmt_misc mount: the "not mounted" answer */
        assert_int_equal(binfmt_dir_open(f.path, &fd), -EMEDIUMTYPE);
        assert_true(asprintf(&missing, "%s/nowhere", f.path) > 0);
        assert_int_equal(binfmt_dir_open(missing, &fd), -ENOENT);
        put_str(&f, "file", "x");
        assert_true(asprintf(&file, "%s/file", f.path) > 0);
        assert_int_equal(binfmt_dir_open(file, &fd), -ENOTDIR);
        assert_int_equal(fd, -1);
        fake_free(&f);
}

/* ---- list -------------------------------------------------------------------------------------- */

static bool has_name(char **names, const char *name) {
        for (char **n = names; *n; n++)
                if (streq(*n, name))
                        return true;
        return false;
}

static void test_list(void **state) {
        Fake f = fake_new();
        char **names = NULL;

        /* empty: an empty, NULL-terminated array */
        assert_int_equal(binfmt_dir_list(f.fd, &names), 0);
        assert_non_null(names);
        assert_null(names[0]);
        binfmt_names_free(names);

        /* the control files and hidden names are not entries */
        put_str(&f, "register", "");
        put_str(&f, "status", "enabled\n");
        put_str(&f, ".hidden", "");
        put_str(&f, "qemu-aarch64", aarch64_status);
        put_str(&f, "jar", "enabled\n");
        assert_int_equal(binfmt_dir_list(f.fd, &names), 2);
        assert_true(has_name(names, "qemu-aarch64"));
        assert_true(has_name(names, "jar"));
        assert_null(names[2]);
        binfmt_names_free(names);

        /* more than the first allocation */
        for (int i = 0; i < 40; i++) {
                char n[32];
                snprintf(n, sizeof(n), "entry-%02d", i);
                put_str(&f, n, "enabled\n");
        }
        assert_int_equal(binfmt_dir_list(f.fd, &names), 42);
        assert_true(has_name(names, "entry-00"));
        assert_true(has_name(names, "entry-39"));
        assert_false(has_name(names, "register"));
        assert_null(names[42]);
        binfmt_names_free(names);
        binfmt_names_free(NULL);

        assert_int_equal(binfmt_dir_list(-1, &names), -EBADF);
        fake_free(&f);
}

/* ---- reading --------------------------------------------------------------------------------- */

static void test_read_entry(void **state) {
        Fake f = fake_new();
        BinfmtEntry e;
        char big[5000];

        put_str(&f, "qemu-aarch64", aarch64_status);
        assert_int_equal(binfmt_dir_read_entry(f.fd, "qemu-aarch64", &e), 0);
        assert_string_equal(e.name, "qemu-aarch64");
        assert_true(e.enabled);
        assert_int_equal(e.type, BINFMT_TYPE_MAGIC);
        assert_string_equal(e.interpreter, "/usr/libexec/archway/qemu-aarch64");
        assert_int_equal(e.flags, BINFMT_PRESERVE_ARGV0 | BINFMT_FIX_BINARY);
        assert_int_equal(e.size, 20);
        assert_memory_equal(e.magic, "\x7f" "ELF", 4);
        assert_true(e.has_mask);

        put_str(&f, "jar", "disabled\ninterpreter /usr/bin/jexec\nflags: \nextension .jar\n");
        assert_int_equal(binfmt_dir_read_entry(f.fd, "jar", &e), 0);
        assert_false(e.enabled);
        assert_int_equal(e.type, BINFMT_TYPE_EXTENSION);
        assert_string_equal(e.extension, "jar");

        assert_int_equal(binfmt_dir_read_entry(f.fd, "missing", &e), -ENOENT);
        put_str(&f, "garbage", "this is not a status file\n");
        assert_int_equal(binfmt_dir_read_entry(f.fd, "garbage", &e), -EBADMSG);
        /* an entry's status is one page at most: more is refused, not cut */
        memset(big, 'x', sizeof(big));
        memcpy(big, aarch64_status, strlen(aarch64_status));
        put(&f, "big", big, sizeof(big));
        assert_int_equal(binfmt_dir_read_entry(f.fd, "big", &e), -EFBIG);
        /* refused before any I/O: "register" and "status" are files, but not entries */
        put_str(&f, "status", "enabled\n");
        for (size_t i = 0; i < ELEMENTSOF(bad_names); i++)
                assert_int_equal(binfmt_dir_read_entry(f.fd, bad_names[i], &e), -EINVAL);
        fake_free(&f);
}

static void test_is_enabled(void **state) {
        static const struct {
                const char *status;
                int r;
        } rows[] = {
                { "enabled\n", 1 },
                { "enabled", 1 },
                { "disabled\n", 0 },
                { "", -EBADMSG },
                { "enable\n", -EBADMSG },
                { "Enabled\n", -EBADMSG },
                { "on\n", -EBADMSG },
                { "enabled                                    \n", -EFBIG }, /* over 31 bytes */
        };
        Fake f = fake_new();

        assert_int_equal(binfmt_dir_is_enabled(f.fd), -ENOENT);
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                put_str(&f, "status", rows[i].status);
                assert_int_equal(binfmt_dir_is_enabled(f.fd), rows[i].r);
        }
        fake_free(&f);
}

/* ---- writing ----------------------------------------------------------------------------------- */

static BinfmtEntry aarch64_entry(void) {
        static const char reg[] = ":qemu-aarch64:M::\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
                                  "\\x02\\x00\\xb7\\x00:\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff"
                                  "\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff:/usr/libexec/archway/qemu-aarch64:PF";
        BinfmtEntry e;

        assert_int_equal(binfmt_entry_parse(reg, strlen(reg), &e), 0);
        return e;
}

static void test_register(void **state) {
        BinfmtEntry e = aarch64_entry(), bad = e;
        char want[BINFMT_REGISTER_MAX + 1];
        _cleanup_free_ char *got = NULL;
        Fake f = fake_new();
        size_t n;
        int len;

        /* no register file: the kernel's instance is not there */
        assert_int_equal(binfmt_dir_register(f.fd, &e), -ENOENT);
        put_str(&f, "register", "");
        assert_int_equal(binfmt_dir_register(f.fd, &e), 0);
        /* exactly the formatted string, in one piece */
        len = binfmt_entry_format(&e, want, sizeof(want));
        assert_true(len > 0);
        got = contents(&f, "register", &n);
        assert_int_equal(n, (size_t) len);
        assert_memory_equal(got, want, n);
        assert_non_null(strstr(got, ":qemu-aarch64:M:"));

        /* an entry the formatter refuses is never written */
        put_str(&f, "register", "");
        bad.interpreter[0] = 0;
        assert_int_equal(binfmt_dir_register(f.fd, &bad), -EINVAL);
        free(got);
        got = contents(&f, "register", &n);
        assert_int_equal(n, 0);
        fake_free(&f);
}

static void test_entry_commands(void **state) {
        Fake f = fake_new();
        _cleanup_free_ char *got = NULL;
        size_t n;

        /* remove: "-1", once */
        put_str(&f, "qemu-arm", "");
        assert_int_equal(binfmt_dir_remove(f.fd, "qemu-arm"), 0);
        got = contents(&f, "qemu-arm", &n);
        assert_int_equal(n, 2);
        assert_memory_equal(got, "-1", 2);
        free(got);
        got = NULL;
        assert_int_equal(binfmt_dir_remove(f.fd, "missing"), -ENOENT);
        assert_false(exists(&f, "missing"));
        /* enable, disable: "1", "0" */
        for (int enabled = 0; enabled < 2; enabled++) {
                put_str(&f, "qemu-arm", "");
                assert_int_equal(binfmt_dir_set_entry_enabled(f.fd, "qemu-arm", enabled), 0);
                got = contents(&f, "qemu-arm", &n);
                assert_int_equal(n, 1);
                assert_int_equal(got[0], enabled ? '1' : '0');
                free(got);
                got = NULL;
                assert_int_equal(binfmt_dir_set_entry_enabled(f.fd, "missing", enabled), -ENOENT);
        }
        /* names that are not entries are refused before anything is opened: "status" written with
         * "0" would disable the whole instance, "register" with "-1" would be a register string */
        put_str(&f, "status", "enabled\n");
        put_str(&f, "register", "");
        for (size_t i = 0; i < ELEMENTSOF(bad_names); i++) {
                assert_int_equal(binfmt_dir_remove(f.fd, bad_names[i]), -EINVAL);
                assert_int_equal(binfmt_dir_set_entry_enabled(f.fd, bad_names[i], false), -EINVAL);
        }
        got = contents(&f, "status", &n);
        assert_string_equal(got, "enabled\n");
        free(got);
        got = contents(&f, "register", &n);
        assert_int_equal(n, 0);
        assert_false(exists(&f, "a"));
        fake_free(&f);
}

/* The probe registers an extension entry for /bin/sh with the one flag, then removes it. Against a
 * directory that takes any write, it "works": what the register file receives is the probe's string. */
static void test_flag_supported_writes(void **state) {
        Fake f = fake_new();
        _cleanup_free_ char *got = NULL;
        size_t n;

        put_str(&f, "register", "");
        assert_int_equal(binfmt_dir_flag_supported(f.fd, BINFMT_FIX_BINARY), 1);
        got = contents(&f, "register", &n);
        assert_string_equal(got, ":archway-flag-probe-F:E::archway-flag-probe-F::/bin/sh:F");
        /* not a single flag */
        assert_int_equal(binfmt_dir_flag_supported(f.fd, BINFMT_FIX_BINARY | BINFMT_PRESERVE_ARGV0), -EINVAL);
        assert_int_equal(binfmt_dir_flag_supported(f.fd, 0), -EINVAL);
        /* no instance */
        assert_int_equal(unlinkat(f.fd, "register", 0), 0);
        assert_int_equal(binfmt_dir_flag_supported(f.fd, BINFMT_FIX_BINARY), -ENOENT);
        fake_free(&f);
}

static void test_owner(void **state) {
        Fake f = fake_new();
        unsigned uid = 12345;

        assert_int_equal(binfmt_dir_owner(f.fd, &uid), -ENOENT);
        assert_int_equal(uid, 12345);
        put_str(&f, "register", "");
        assert_int_equal(binfmt_dir_owner(f.fd, &uid), 0);
        assert_int_equal(uid, geteuid());
        if (geteuid() == 0) {
                assert_int_equal(fchownat(f.fd, "register", 4242, 4242, 0), 0);
                assert_int_equal(binfmt_dir_owner(f.fd, &uid), 0);
                assert_int_equal(uid, 4242);
        }
        fake_free(&f);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_open_not_binfmt_misc),
                cmocka_unit_test(test_list),
                cmocka_unit_test(test_read_entry),
                cmocka_unit_test(test_is_enabled),
                cmocka_unit_test(test_register),
                cmocka_unit_test(test_entry_commands),
                cmocka_unit_test(test_flag_supported_writes),
                cmocka_unit_test(test_owner),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
