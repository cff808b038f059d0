/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where helpers and emulators are found. emulator_locate(): the places of the order asked for, the
 * caller's directory first, the shims' directories in order, only executable regular files, bad target
 * names refused; emulator_path() and the modes' orders. libexec_find(): the
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

static const EmulatorOrigin only_dir[] = { EMULATOR_FROM_DIR, _EMULATOR_ORIGIN_MAX };
static const EmulatorOrigin only_debian[] = { EMULATOR_FROM_DEBIAN, _EMULATOR_ORIGIN_MAX };
static const EmulatorOrigin dir_then_debian[] = { EMULATOR_FROM_DIR, EMULATOR_FROM_DEBIAN, _EMULATOR_ORIGIN_MAX };

static void test_dir_first(void **state) {
        char *p = NULL, want[256];
        EmulatorOrigin o = _EMULATOR_ORIGIN_MAX;

        assert_int_equal(emulator_locate("aarch64", emulator_search_order(EMULATOR_QEMU), dir, NULL, &p, &o), 0);
        snprintf(want, sizeof(want), "%s/qemu-aarch64", dir);
        assert_string_equal(p, want);
        assert_int_equal(o, EMULATOR_FROM_DIR);
        free(p);
}

static void test_only_the_places_asked_for(void **state) {
        char *p = NULL;

        /* Not in the directory, and the directory is the only place allowed. */
        assert_int_equal(emulator_locate("mips64el", only_dir, dir, NULL, &p, NULL), -ENOENT);
        assert_null(p);
        /* The directory is not asked for: it is not looked at. */
        if (emulator_locate("aarch64", only_debian, dir, NULL, &p, NULL) == 0) {
                assert_string_equal(p, QEMU_DEBIAN_DIR "/qemu-aarch64-static");
                free(p);
        }
        /* No directory given: EMULATOR_FROM_DIR alone finds nothing. */
        assert_int_equal(emulator_locate("aarch64", only_dir, NULL, NULL, &p, NULL), -ENOENT);
        assert_int_equal(emulator_locate("aarch64", only_dir, "", NULL, &p, NULL), -ENOENT);
        /* The empty order of auto, which each program replaces by its own. */
        assert_int_equal(emulator_locate("aarch64", emulator_search_order(EMULATOR_AUTO), dir, NULL, &p, NULL), -ENOENT);
}

static void test_debian_fallback(void **state) {
        char *p = NULL;
        EmulatorOrigin o = _EMULATOR_ORIGIN_MAX;
        int r = emulator_locate("s390x", dir_then_debian, dir, NULL, &p, &o);

        /* DIR/qemu-s390x is not executable, so it is passed over for Debian's, when installed. */
        if (access(QEMU_DEBIAN_DIR "/qemu-s390x-static", X_OK) == 0) {
                assert_int_equal(r, 0);
                assert_string_equal(p, QEMU_DEBIAN_DIR "/qemu-s390x-static");
                assert_int_equal(o, EMULATOR_FROM_DEBIAN);
                free(p);
        } else
                assert_int_equal(r, -ENOENT);
}

static void test_shim_dirs_in_order(void **state) {
        const char *dirs[] = { "/nonexistent-archway-test", dir, NULL };
        char *p = NULL, want[256];
        EmulatorOrigin o = _EMULATOR_ORIGIN_MAX;

        put("qemu-ppc64le-archway", 0755);
        assert_int_equal(emulator_locate("ppc64le", emulator_search_order(EMULATOR_SHIM), NULL, dirs, &p, &o), 0);
        snprintf(want, sizeof(want), "%s/qemu-ppc64le-archway", dir);
        assert_string_equal(p, want);
        assert_int_equal(o, EMULATOR_FROM_SHIM);
        free(p);
        /* The shim is not QEMU: the QEMU directory does not hold it, and no shim directory is none. */
        assert_int_equal(emulator_locate("ppc64le", emulator_search_order(EMULATOR_SHIM), dir, NULL, &p, NULL), -ENOENT);
}

static void test_paths_and_modes(void **state) {
        char buf[64];

        assert_int_equal(emulator_path(EMULATOR_FROM_ARCHWAY, "arm", NULL, buf, sizeof(buf)), 0);
        assert_string_equal(buf, QEMU_ARCHWAY_DIR "/qemu-arm");
        assert_int_equal(emulator_path(EMULATOR_FROM_DEBIAN, "arm", "/ignored", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/usr/bin/qemu-arm-static");
        assert_int_equal(emulator_path(EMULATOR_FROM_DEBIAN_DYNAMIC, "arm", NULL, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/usr/bin/qemu-arm");
        assert_int_equal(emulator_path(EMULATOR_FROM_SHIM, "arm", "/x", buf, sizeof(buf)), 0);
        assert_string_equal(buf, "/x/qemu-arm-archway");
        assert_int_equal(emulator_path(EMULATOR_FROM_DIR, "arm", NULL, buf, sizeof(buf)), -ENOENT);
        assert_int_equal(emulator_path(EMULATOR_FROM_DIR, "arm", "/a-directory-name-too-long-for-the-buffer-here", buf,
                                       16), -ENAMETOOLONG);
        assert_int_equal(emulator_path(_EMULATOR_ORIGIN_MAX, "arm", "/x", buf, sizeof(buf)), -EINVAL);
        /* Every mode has a name that reads back; archway never falls back to Debian's. */
        for (EmulatorMode m = 0; m < _EMULATOR_MODE_MAX; m++)
                assert_int_equal(emulator_mode_from_string(emulator_mode_to_string(m)), m);
        assert_int_equal(emulator_mode_from_string("qemu-user-static"), _EMULATOR_MODE_INVALID);
        for (const EmulatorOrigin *o = emulator_search_order(EMULATOR_ARCHWAY); *o != _EMULATOR_ORIGIN_MAX; o++)
                assert_int_not_equal(*o, EMULATOR_FROM_DEBIAN);
        assert_int_equal(emulator_search_order(EMULATOR_DEBIAN)[0], EMULATOR_FROM_DEBIAN);
}

static void test_not_a_file(void **state) {
        char sub[300], *p = NULL;

        snprintf(sub, sizeof(sub), "%s/qemu-riscv64", dir);
        assert_int_equal(mkdir(sub, 0755), 0);
        assert_int_equal(emulator_locate("riscv64", only_dir, dir, NULL, &p, NULL), -ENOENT);
}

static void test_bad_target(void **state) {
        const EmulatorOrigin *any = emulator_search_order(EMULATOR_QEMU);
        char *p = NULL;

        assert_int_equal(emulator_locate("", any, dir, NULL, &p, NULL), -EINVAL);
        assert_int_equal(emulator_locate(NULL, any, dir, NULL, &p, NULL), -EINVAL);
        assert_int_equal(emulator_locate("../qemu-aarch64", any, dir, NULL, &p, NULL), -EINVAL);
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
                cmocka_unit_test(test_shim_dirs_in_order),
                cmocka_unit_test(test_paths_and_modes),
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
