/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where helpers and emulators are found. qemu_locate(): the caller's directory first, only the
 * places asked for, only executable regular files, bad target names refused. libexec_find(): the
 * caller's directory first, then the build tree next to the running program (a unit test runs from
 * $(O)/san/tests, so ../libexec is $(O)/san/libexec: absent), then ARCHWAY_LIBEXECDIR. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "libexec.h"
#include "macro.h"
#include "qemu-locate.h"

static char dir[] = "/tmp/test-locate.XXXXXX";

static void put(const char *name, mode_t mode) {
        char p[256];
        FILE *f;

        snprintf(p, sizeof(p), "%s/%s", dir, name);
        f = fopen(p, "w");
        assert_non_null(f);
        fclose(f);
        assert_int_equal(chmod(p, mode), 0);
}

static int setup(void **state) {
        if (!mkdtemp(dir))
                return -1;
        put("qemu-aarch64", 0755);
        put("qemu-s390x", 0644); /* not executable */
        put("helper", 0755);
        return 0;
}

static int teardown(void **state) {
        char cmd[300];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

static void test_dir_first(void **state) {
        char *p = NULL, want[256];
        QemuOrigin o = 0;

        assert_int_equal(qemu_locate("aarch64", dir, QEMU_FROM_ANY, &p, &o), 0);
        snprintf(want, sizeof(want), "%s/qemu-aarch64", dir);
        assert_string_equal(p, want);
        assert_int_equal(o, QEMU_FROM_DIR);
        free(p);
}

static void test_only_the_places_asked_for(void **state) {
        char *p = NULL;

        /* Not in the directory, and the directory is the only place allowed. */
        assert_int_equal(qemu_locate("mips64el", dir, QEMU_FROM_DIR, &p, NULL), -ENOENT);
        assert_null(p);
        /* The directory is not asked for: it is not looked at. */
        if (qemu_locate("aarch64", dir, QEMU_FROM_DEBIAN, &p, NULL) == 0) {
                assert_string_equal(p, QEMU_DEBIAN_DIR "/qemu-aarch64-static");
                free(p);
        }
        /* No directory given: QEMU_FROM_DIR alone finds nothing. */
        assert_int_equal(qemu_locate("aarch64", NULL, QEMU_FROM_DIR, &p, NULL), -ENOENT);
        assert_int_equal(qemu_locate("aarch64", "", QEMU_FROM_DIR, &p, NULL), -ENOENT);
}

static void test_debian_fallback(void **state) {
        char *p = NULL;
        QemuOrigin o = 0;
        int r = qemu_locate("s390x", dir, QEMU_FROM_DIR | QEMU_FROM_DEBIAN, &p, &o);

        /* DIR/qemu-s390x is not executable, so it is passed over for Debian's, when installed. */
        if (access(QEMU_DEBIAN_DIR "/qemu-s390x-static", X_OK) == 0) {
                assert_int_equal(r, 0);
                assert_string_equal(p, QEMU_DEBIAN_DIR "/qemu-s390x-static");
                assert_int_equal(o, QEMU_FROM_DEBIAN);
                free(p);
        } else
                assert_int_equal(r, -ENOENT);
}

static void test_not_a_file(void **state) {
        char sub[300], *p = NULL;

        snprintf(sub, sizeof(sub), "%s/qemu-riscv64", dir);
        assert_int_equal(mkdir(sub, 0755), 0);
        assert_int_equal(qemu_locate("riscv64", dir, QEMU_FROM_DIR, &p, NULL), -ENOENT);
}

static void test_bad_target(void **state) {
        char *p = NULL;

        assert_int_equal(qemu_locate("", dir, QEMU_FROM_ANY, &p, NULL), -EINVAL);
        assert_int_equal(qemu_locate(NULL, dir, QEMU_FROM_ANY, &p, NULL), -EINVAL);
        assert_int_equal(qemu_locate("../qemu-aarch64", dir, QEMU_FROM_ANY, &p, NULL), -EINVAL);
        assert_null(p);
}

static void test_libexec_first_dir(void **state) {
        char *p = NULL, want[256];

        assert_int_equal(libexec_find("helper", dir, &p), 0);
        snprintf(want, sizeof(want), "%s/helper", dir);
        assert_string_equal(p, want);
        free(p);
}

static void test_libexec_not_executable_or_absent(void **state) {
        char *p = NULL;

        /* Not executable in the first directory; nowhere else either (a name no install has). */
        assert_int_equal(libexec_find("qemu-s390x", dir, &p), -ENOENT);
        assert_int_equal(libexec_find("archway-test-no-such-helper", dir, &p), -ENOENT);
        assert_int_equal(libexec_find("archway-test-no-such-helper", NULL, &p), -ENOENT);
        assert_int_equal(libexec_find("archway-test-no-such-helper", "", &p), -ENOENT);
        assert_null(p);
}

static void test_manifest_parse(void **state) {
        static const char text[] = "version=1:10.0.13+ds-0+deb13u1\nqemu=10.0.13\nkey=k\ntargets=aarch64 arm\n"
                                   "sha256.qemu-arm=00";
        QemuManifest m;

        assert_int_equal(qemu_manifest_parse(text, strlen(text), &m), 0);
        assert_string_equal(m.version, "1:10.0.13+ds-0+deb13u1");
        assert_string_equal(m.qemu, "10.0.13");
        assert_string_equal(m.targets, "aarch64 arm");
        assert_true(qemu_manifest_has(&m, "arm"));
        assert_true(qemu_manifest_has(&m, "aarch64"));
        assert_false(qemu_manifest_has(&m, "arch64"));
        assert_false(qemu_manifest_has(&m, "ar"));
        assert_false(qemu_manifest_has(&m, "riscv64"));
        /* No qemu= line: not a manifest. The length bounds the text, not a NUL. */
        assert_int_equal(qemu_manifest_parse("targets=arm\n", 12, &m), -EBADMSG);
        assert_int_equal(qemu_manifest_parse("qemu=10.0.13", 4, &m), -EBADMSG);
}

static void test_manifest_bounds(void **state) {
        char text[1024];
        QemuManifest m;

        snprintf(text, sizeof(text), "qemu=%0200d\n", 1);
        assert_int_equal(qemu_manifest_parse(text, strlen(text), &m), -E2BIG);
        assert_int_equal(qemu_manifest_read("/nonexistent-archway-test", &m), -ENOENT);
}

static void test_manifest_read(void **state) {
        char p[300];
        QemuManifest m;
        FILE *f;

        snprintf(p, sizeof(p), "%s/manifest", dir);
        f = fopen(p, "w");
        assert_non_null(f);
        fputs("qemu=10.0.13\ntargets=aarch64\n", f);
        fclose(f);
        assert_int_equal(qemu_manifest_read(dir, &m), 0);
        assert_string_equal(m.targets, "aarch64");
        unlink(p);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_dir_first),
                cmocka_unit_test(test_only_the_places_asked_for),
                cmocka_unit_test(test_debian_fallback),
                cmocka_unit_test(test_not_a_file),
                cmocka_unit_test(test_bad_target),
                cmocka_unit_test(test_libexec_first_dir),
                cmocka_unit_test(test_libexec_not_executable_or_absent),
                cmocka_unit_test(test_manifest_parse),
                cmocka_unit_test(test_manifest_bounds),
                cmocka_unit_test(test_manifest_read),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
