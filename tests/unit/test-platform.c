/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The architecture table row by row, every alias, the refusals, arm ordering and the host mapping.
 * ElfIds are filled by hand: this test does not depend on the ELF parser. */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/utsname.h>

#include <cmocka.h>

#include "macro.h"
#include "platform.h"

#ifndef EM_LOONGARCH
#define EM_LOONGARCH 258
#endif

static const char *fmt(const Platform *p, char buf[static PLATFORM_STRING_MAX]) {
        return platform_to_string(p, buf);
}

/* Parse s and compare its formatted form with want (NULL: must fail with -EINVAL). */
static void check_parse(const char *s, const char *want) {
        char buf[PLATFORM_STRING_MAX];
        Platform p;
        int r = platform_parse(s, &p);

        if (!want) {
                if (r != -EINVAL)
                        fail_msg("'%s' parsed (r=%d) as %s, expected -EINVAL", s, r, r == 0 ? fmt(&p, buf) : "-");
                return;
        }
        if (r != 0)
                fail_msg("'%s' failed to parse: %d, expected %s", s, r, want);
        if (!streq(fmt(&p, buf), want))
                fail_msg("'%s' parsed as %s, expected %s", s, buf, want);
}

static ElfId elf_of_row(const PlatformInfo *row) {
        return (ElfId) {
                .elf_class = row->elf_class,
                .data = row->elf_data,
                .machine = row->elf_machine,
                .kind = ELF_KIND_EXEC,
                .mips_abi = row->mips_abi,
                .arm_arch = row->arm_arch,
                .float_abi = row->elf_machine == EM_ARM ?
                        (row->arm_arch == 5 ? ELF_FLOAT_ABI_SOFT : ELF_FLOAT_ABI_HARD) : ELF_FLOAT_ABI_UNKNOWN,
        };
}

static bool lowercase(const char *s) {
        for (; s && *s; s++)
                if (*s >= 'A' && *s <= 'Z')
                        return false;
        return true;
}

/* --- the table, row by row ---------------------------------------------------------------------- */

static void test_table_shape(void **state) {
        Platform p;

        assert_true(platform_table_size >= 17);
        for (unsigned i = 0; i < platform_table_size; i++) {
                const PlatformInfo *r = &platform_table[i];

                assert_non_null(r->oci_arch);
                assert_non_null(r->qemu_target);
                assert_non_null(r->gnu_triple);
                assert_true(strlen(r->oci_arch) < sizeof(p.arch));
                assert_true(!r->oci_variant || strlen(r->oci_variant) < sizeof(p.variant));
                assert_true(lowercase(r->oci_arch) && lowercase(r->oci_variant) && lowercase(r->qemu_target) &&
                            lowercase(r->gnu_triple) && lowercase(r->debian_arch));
                assert_true(r->elf_class == ELFCLASS32 || r->elf_class == ELFCLASS64);
                assert_true(r->elf_data == ELFDATA2LSB || r->elf_data == ELFDATA2MSB);
                assert_true((r->elf_machine == EM_MIPS) == (r->mips_abi != ELF_MIPS_ABI_NONE));
                assert_true((r->elf_machine == EM_ARM) == (r->arm_arch != 0));
                assert_true(strstr(r->gnu_triple, "-linux-") != NULL);
        }
}

/* No two rows share an OCI identity, a Debian name, or an ELF identity. */
static void test_table_unique(void **state) {
        for (unsigned i = 0; i < platform_table_size; i++)
                for (unsigned j = i + 1; j < platform_table_size; j++) {
                        const PlatformInfo *a = &platform_table[i], *b = &platform_table[j];
                        Platform pa, pb;

                        platform_from_info(a, &pa);
                        platform_from_info(b, &pb);
                        assert_false(platform_equal(&pa, &pb));
                        if (a->debian_arch && b->debian_arch)
                                assert_string_not_equal(a->debian_arch, b->debian_arch);
                        assert_false(a->elf_machine == b->elf_machine && a->elf_class == b->elf_class &&
                                     a->elf_data == b->elf_data && a->mips_abi == b->mips_abi &&
                                     a->arm_arch == b->arm_arch);
                }
}

/* Each row's OCI string parses back to it, with and without "linux/", and formats stably. */
static void test_table_oci_round_trip(void **state) {
        for (unsigned i = 0; i < platform_table_size; i++) {
                const PlatformInfo *row = &platform_table[i];
                char buf[PLATFORM_STRING_MAX], s[PLATFORM_STRING_MAX], buf2[PLATFORM_STRING_MAX];
                Platform p, q;

                platform_from_info(row, &p);
                assert_string_equal(p.os, "linux");
                assert_string_equal(p.arch, row->oci_arch);
                assert_ptr_equal(platform_info_lookup(&p), row);

                check_parse(fmt(&p, buf), buf);
                assert_int_equal(platform_parse(buf, &q), 0);
                assert_true(platform_equal(&p, &q));
                assert_string_equal(fmt(&q, buf2), buf);

                /* Without the os, and with the row's own variant spelling ("arm64/v8"). */
                snprintf(s, sizeof(s), "%s%s%s", row->oci_arch, row->oci_variant ? "/" : "",
                         row->oci_variant ?: "");
                check_parse(s, buf);
                snprintf(s, sizeof(s), "linux/%s%s%s", row->oci_arch, row->oci_variant ? "/" : "",
                         row->oci_variant ?: "");
                check_parse(s, buf);
        }
}

static void test_table_debian_names(void **state) {
        for (unsigned i = 0; i < platform_table_size; i++) {
                const PlatformInfo *row = &platform_table[i];
                Platform p;

                if (!row->debian_arch)
                        continue;
                assert_int_equal(platform_parse(row->debian_arch, &p), 0);
                assert_ptr_equal(platform_info_lookup(&p), row);
        }
}

/* A QEMU target names the row's arch; where it names one row only, exactly that row. QEMU's "arm"
 * serves four rows and means OCI's default, arm/v7. */
static void test_table_qemu_names(void **state) {
        for (unsigned i = 0; i < platform_table_size; i++) {
                const PlatformInfo *row = &platform_table[i];
                unsigned shared = 0;
                Platform p;

                for (unsigned j = 0; j < platform_table_size; j++)
                        shared += streq(platform_table[j].qemu_target, row->qemu_target);
                assert_int_equal(platform_parse(row->qemu_target, &p), 0);
                assert_string_equal(p.arch, row->oci_arch);
                if (shared == 1)
                        assert_ptr_equal(platform_info_lookup(&p), row);
        }
        check_parse("arm", "linux/arm/v7");
}

static void test_table_from_elf(void **state) {
        for (unsigned i = 0; i < platform_table_size; i++) {
                const PlatformInfo *row = &platform_table[i];
                ElfId id = elf_of_row(row);
                Platform p, q;

                assert_ptr_equal(platform_info_from_elf(&id), row);
                assert_int_equal(platform_from_elf(&id, &p), 0);
                platform_from_info(row, &q);
                assert_true(platform_equal(&p, &q));

                /* The other byte order or class is never silently this row. */
                id.data = row->elf_data == ELFDATA2LSB ? ELFDATA2MSB : ELFDATA2LSB;
                assert_ptr_not_equal(platform_info_from_elf(&id), row);
                id = elf_of_row(row);
                id.elf_class = row->elf_class == ELFCLASS32 ? ELFCLASS64 : ELFCLASS32;
                assert_ptr_not_equal(platform_info_from_elf(&id), row);
        }
}

/* --- parsing -------------------------------------------------------------------------------------- */

static void test_parse_aliases(void **state) {
        static const struct {
                const char *in, *want;
        } cases[] = {
                /* containerd normalizeArch */
                { "aarch64",         "linux/arm64"      },
                { "linux/aarch64",   "linux/arm64"      },
                { "arm64/v8",        "linux/arm64"      },
                { "linux/arm64/v8",  "linux/arm64"      },
                { "linux/arm64/8",   "linux/arm64"      },
                { "linux/arm64/v8.0", "linux/arm64"     },
                { "aarch64/v8",      "linux/arm64"      },
                { "x86_64",          "linux/amd64"      },
                { "x86-64",          "linux/amd64"      },
                { "linux/x86_64",    "linux/amd64"      },
                { "amd64/v1",        "linux/amd64"      },
                { "x86-64/v1",       "linux/amd64"      },
                { "i386",            "linux/386"        },
                { "i486",            "linux/386"        },
                { "i586",            "linux/386"        },
                { "i686",            "linux/386"        },
                { "x86",             "linux/386"        },
                { "armhf",           "linux/arm/v7"     },
                { "armhf/v7",        "linux/arm/v7"     },
                { "armhf/7",         "linux/arm/v7"     },
                { "armel",           "linux/arm/v5"     }, /* containerd: v6; Debian armel is ARMv5TE */
                { "armv5l",          "linux/arm/v5"     },
                { "armv5tl",         "linux/arm/v5"     },
                { "armv5tel",        "linux/arm/v5"     },
                { "armv5tejl",       "linux/arm/v5"     },
                { "armv6l",          "linux/arm/v6"     },
                { "armv7l",          "linux/arm/v7"     },
                { "armv8l",          "linux/arm/v8"     },
                { "linux/arm",       "linux/arm/v7"     },
                { "arm/5",           "linux/arm/v5"     },
                { "arm/6",           "linux/arm/v6"     },
                { "arm/7",           "linux/arm/v7"     },
                { "arm/8",           "linux/arm/v8"     },
                { "linux/arm/v6",    "linux/arm/v6"     },
                { "ppc64el",         "linux/ppc64le"    },
                { "powerpc64le",     "linux/ppc64le"    },
                { "powerpc64",       "linux/ppc64"      },
                { "mips64el",        "linux/mips64le"   },
                { "mipsel",          "linux/mipsle"     },
                { "loongarch64",     "linux/loong64"    },
                { "powerpc",         "linux/ppc"        },
                { "parisc",          "linux/hppa"       },
                { "parisc64",        "linux/hppa"       },
                /* case folds, as containerd's strings.ToLower */
                { "Linux/ARM64",     "linux/arm64"      },
                { "LINUX/ARM/V7",    "linux/arm/v7"     },
                { "X86_64",          "linux/amd64"      },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                check_parse(cases[i].in, cases[i].want);
}

static void test_parse_invalid(void **state) {
        static const char *const bad[] = {
                "", "/", "linux", "linux/", "/arm64", "linux//arm64", "linux/arm64/", "arm64/",
                "linux/arm64/v8/x", "a/b/c/d", "sparc", "riscv", "armv4l", "armv7b", "aarch64_be", "x32",
                "linux/arm64/v10", "linux/amd64/v5", "linux/arm64/v8.10", "ppc64le/power7", "linux/arm/v4", "arm/v9", "386/v1", "ppc64le/v8",
                "armhf/v6", "armel/v7", "armv7l/v6", "i686/v2", "bogus/amd64", "beos/x86/x",
                "linux/v7", " linux/amd64", "linux/amd64 ", "linux/amd64,linux/arm64",
                "linux /amd64",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                check_parse(bad[i], NULL);
        assert_int_equal(platform_parse(NULL, &(Platform) {}), -EINVAL);
}

static void test_parse_overlong(void **state) {
        char s[PLATFORM_STRING_MAX + 8];
        Platform p;

        /* Padding with valid characters: the length alone is refused. */
        memset(s, 0, sizeof(s));
        strcpy(s, "linux/amd64");
        assert_int_equal(platform_parse(s, &p), 0);
        memset(s, 'a', PLATFORM_STRING_MAX - 1);
        s[PLATFORM_STRING_MAX - 1] = 0;
        assert_int_equal(platform_parse(s, &p), -EINVAL);
        memset(s, 'a', sizeof(s) - 1);
        s[sizeof(s) - 1] = 0;
        assert_int_equal(platform_parse(s, &p), -EINVAL);
        /* A component longer than its field cannot be a name. */
        check_parse("linux/amd64amd64amd64amd64", NULL);
        check_parse("linux/arm/v7v7v7v7v7v7", NULL);
}

/* Other OSes parse, so indexes listing them can be read; they have no row. */
static void test_parse_other_os(void **state) {
        char buf[PLATFORM_STRING_MAX];
        Platform w, l;

        assert_int_equal(platform_parse("windows/amd64", &w), 0);
        assert_string_equal(fmt(&w, buf), "windows/amd64");
        assert_null(platform_info_lookup(&w));
        assert_int_equal(platform_parse("linux/amd64", &l), 0);
        assert_false(platform_equal(&w, &l));
        assert_false(platform_runs_on(&w, &l));
        assert_false(platform_runs_on(&l, &w));
        assert_true(platform_runs_on(&w, &w));

        check_parse("macos/arm64", "darwin/arm64");
        check_parse("darwin/x86_64", "darwin/amd64");
        check_parse("freebsd/arm/v6", "freebsd/arm/v6");
        check_parse("windows/armhf", "windows/arm/v7");
        check_parse("windows/amd64/v3", "windows/amd64/v3");
        check_parse("windows/amd64/v5", NULL);
        check_parse("windows", NULL);
}

/* Output is untouched on failure. */
static void test_parse_no_output_on_failure(void **state) {
        Platform p = { "keep", "keep", "keep" };

        assert_int_equal(platform_parse("linux/nope", &p), -EINVAL);
        assert_string_equal(p.os, "keep");
        assert_string_equal(p.arch, "keep");
        assert_string_equal(p.variant, "keep");
}

/* No OS name is also an arch name, which the "x/y" rule relies on. */
static void test_os_names_are_not_archs(void **state) {
        static const char *const oses[] = {
                "linux", "windows", "darwin", "macos", "freebsd", "netbsd", "openbsd", "dragonfly",
                "solaris", "illumos", "aix", "android", "ios", "plan9",
        };

        for (size_t i = 0; i < ELEMENTSOF(oses); i++) {
                char s[PLATFORM_STRING_MAX];
                Platform p;

                check_parse(oses[i], NULL);
                snprintf(s, sizeof(s), "%s/arm64", oses[i]);
                assert_int_equal(platform_parse(s, &p), 0);
                assert_string_equal(p.arch, "arm64");
        }
}

static void test_parse_list(void **state) {
        char buf[PLATFORM_STRING_MAX];
        Platform l[4], keep = { "keep", "keep", "keep" };

        assert_int_equal(platform_parse_list("linux/amd64,linux/arm64,armhf,ppc64el", l, 4), 4);
        assert_string_equal(fmt(&l[0], buf), "linux/amd64");
        assert_string_equal(fmt(&l[1], buf), "linux/arm64");
        assert_string_equal(fmt(&l[2], buf), "linux/arm/v7");
        assert_string_equal(fmt(&l[3], buf), "linux/ppc64le");
        assert_int_equal(platform_parse_list("arm64", l, 1), 1);
        assert_string_equal(fmt(&l[0], buf), "linux/arm64");

        l[0] = keep;
        assert_int_equal(platform_parse_list("amd64,arm64,386", l, 2), -E2BIG);
        assert_string_equal(l[0].arch, "keep");
        assert_int_equal(platform_parse_list("amd64", l, 0), -E2BIG);

        static const char *const bad[] = {
                "", ",", "amd64,", ",amd64", "amd64,,arm64", "amd64, arm64", "amd64,nope",
                "amd64,linux/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                l[0] = keep;
                if (platform_parse_list(bad[i], l, 4) != -EINVAL)
                        fail_msg("list '%s' not refused", bad[i]);
                assert_string_equal(l[0].arch, "keep");
        }
        assert_int_equal(platform_parse_list(NULL, l, 4), -EINVAL);
}

static void test_to_string(void **state) {
        char buf[PLATFORM_STRING_MAX];

        assert_string_equal(platform_to_string(&(Platform) { "linux", "amd64", "" }, buf), "linux/amd64");
        assert_string_equal(platform_to_string(&(Platform) { "linux", "arm", "v7" }, buf), "linux/arm/v7");
}

/* Platforms filled field by field (from JSON) compare normalised. */
static void test_equal_normalises(void **state) {
        Platform p;

        assert_int_equal(platform_parse("linux/arm64", &p), 0);
        assert_true(platform_equal(&p, &(Platform) { "linux", "arm64", "v8" }));
        assert_ptr_equal(platform_info_lookup(&(Platform) { "linux", "arm64", "v8" }), platform_info_lookup(&p));
        assert_int_equal(platform_parse("linux/arm/v7", &p), 0);
        assert_true(platform_equal(&p, &(Platform) { "linux", "arm", "" }));
        assert_false(platform_equal(&p, &(Platform) { "linux", "arm", "v6" }));
        assert_false(platform_equal(&p, &(Platform) { "linux", "arm64", "" }));
        /* an ISA variant has its arch's row */
        assert_ptr_equal(platform_info_lookup(&(Platform) { "linux", "arm64", "v9" }), platform_info_lookup(&p) ? platform_info_lookup(&(Platform) { "linux", "arm64", "" }) : NULL);
        assert_null(platform_info_lookup(&(Platform) { "linux", "arm64", "v10" }));
}

/* ISA variants (lib/isa-table.h): parse, order by features, strip to the base platform. */
static void test_isa_variants(void **state) {
        Platform p, b;
        char buf[PLATFORM_STRING_MAX];

        check_parse("linux/amd64/v2", "linux/amd64/v2");
        check_parse("amd64/v4", "linux/amd64/v4");
        check_parse("x86-64/v3", "linux/amd64/v3");
        check_parse("amd64/v1", "linux/amd64");
        check_parse("arm64/v8.2", "linux/arm64/v8.2");
        check_parse("linux/arm64/v9.2", "linux/arm64/v9.2");
        check_parse("ppc64le/power9", "linux/ppc64le/power9");
        check_parse("riscv64/rva22u64", "linux/riscv64/rva22u64");
        check_parse("386/v2", NULL);
        check_parse("s390x/v2", NULL);

        assert_true(platform_runs_on(&(Platform) { "linux", "amd64", "" }, &(Platform) { "linux", "amd64", "v2" }));
        assert_true(platform_runs_on(&(Platform) { "linux", "amd64", "v2" }, &(Platform) { "linux", "amd64", "v3" }));
        assert_false(platform_runs_on(&(Platform) { "linux", "amd64", "v3" }, &(Platform) { "linux", "amd64", "v2" }));
        assert_false(platform_runs_on(&(Platform) { "linux", "amd64", "v2" }, &(Platform) { "linux", "amd64", "" }));
        assert_true(platform_runs_on(&(Platform) { "linux", "arm64", "v8.1" }, &(Platform) { "linux", "arm64", "v8.2" }));
        assert_false(platform_runs_on(&(Platform) { "linux", "arm64", "v8.2" }, &(Platform) { "linux", "arm64", "" }));
        /* v9.0 has SVE2 but not BF16: neither of v8.6 and v9 runs the other's code */
        assert_false(platform_runs_on(&(Platform) { "linux", "arm64", "v8.6" }, &(Platform) { "linux", "arm64", "v9" }));
        assert_false(platform_runs_on(&(Platform) { "linux", "arm64", "v9" }, &(Platform) { "linux", "arm64", "v8.6" }));
        assert_false(platform_runs_on(&(Platform) { "linux", "amd64", "v2" }, &(Platform) { "linux", "arm64", "v8.2" }));

        assert_int_equal(platform_parse("linux/amd64/v3", &p), 0);
        platform_base(&p, &b);
        assert_string_equal(platform_to_string(&b, buf), "linux/amd64");
        assert_int_equal(platform_parse("linux/arm/v6", &p), 0);
        platform_base(&p, &b);
        assert_string_equal(platform_to_string(&b, buf), "linux/arm/v6");
        assert_ptr_equal(platform_info_lookup(&(Platform) { "linux", "amd64", "v3" }),
                         platform_info_lookup(&(Platform) { "linux", "amd64", "" }));
}

/* --- ELF ------------------------------------------------------------------------------------------ */

static const char *from_elf_str(const ElfId *id, char buf[static PLATFORM_STRING_MAX]) {
        Platform p;

        if (platform_from_elf(id, &p) < 0)
                return "none";
        return fmt(&p, buf);
}

static void test_from_elf_arm(void **state) {
        static const struct {
                unsigned arch;
                ElfFloatAbi fl;
                const char *want;
        } cases[] = {
                { 4, ELF_FLOAT_ABI_SOFT,    "linux/arm/v5" }, /* older than any variant: the oldest */
                { 5, ELF_FLOAT_ABI_SOFT,    "linux/arm/v5" },
                { 5, ELF_FLOAT_ABI_HARD,    "linux/arm/v5" }, /* a known level beats the float ABI */
                { 6, ELF_FLOAT_ABI_HARD,    "linux/arm/v6" },
                { 6, ELF_FLOAT_ABI_SOFT,    "linux/arm/v6" },
                { 7, ELF_FLOAT_ABI_HARD,    "linux/arm/v7" },
                { 7, ELF_FLOAT_ABI_SOFT,    "linux/arm/v7" },
                { 8, ELF_FLOAT_ABI_HARD,    "linux/arm/v8" },
                { 9, ELF_FLOAT_ABI_HARD,    "linux/arm/v8" }, /* newer: the newest variant */
                { 0, ELF_FLOAT_ABI_HARD,    "linux/arm/v7" },
                { 0, ELF_FLOAT_ABI_SOFT,    "linux/arm/v5" },
                { 0, ELF_FLOAT_ABI_UNKNOWN, "linux/arm/v7" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                ElfId id = { .elf_class = ELFCLASS32, .data = ELFDATA2LSB, .machine = EM_ARM,
                             .arm_arch = cases[i].arch, .float_abi = cases[i].fl };
                char buf[PLATFORM_STRING_MAX];

                if (!streq(from_elf_str(&id, buf), cases[i].want))
                        fail_msg("arm_arch %u float %d: %s, expected %s", cases[i].arch, cases[i].fl, buf,
                                 cases[i].want);
        }
}

static void test_from_elf_none(void **state) {
        static const ElfId none[] = {
                /* x32, flagged or not; the flag alone suffices */
                { .elf_class = ELFCLASS32, .data = ELFDATA2LSB, .machine = EM_X86_64, .x32 = true },
                { .elf_class = ELFCLASS32, .data = ELFDATA2LSB, .machine = EM_X86_64 },
                { .elf_class = ELFCLASS64, .data = ELFDATA2LSB, .machine = EM_X86_64, .x32 = true },
                /* armeb, aarch64 ILP32, s390 31-bit, unknown machine */
                { .elf_class = ELFCLASS32, .data = ELFDATA2MSB, .machine = EM_ARM, .arm_arch = 7 },
                { .elf_class = ELFCLASS32, .data = ELFDATA2LSB, .machine = EM_AARCH64 },
                { .elf_class = ELFCLASS32, .data = ELFDATA2MSB, .machine = EM_S390 },
                { .elf_class = ELFCLASS64, .data = ELFDATA2LSB, .machine = 0x7fff },
                /* MIPS whose ABI is unknown, or contradicts the class */
                { .elf_class = ELFCLASS64, .data = ELFDATA2LSB, .machine = EM_MIPS },
                { .elf_class = ELFCLASS64, .data = ELFDATA2LSB, .machine = EM_MIPS, .mips_abi = ELF_MIPS_ABI_O32 },
                { .elf_class = ELFCLASS32, .data = ELFDATA2MSB, .machine = EM_MIPS, .mips_abi = ELF_MIPS_ABI_N64 },
        };
        Platform p = { "keep", "keep", "keep" };

        for (size_t i = 0; i < ELEMENTSOF(none); i++) {
                assert_null(platform_info_from_elf(&none[i]));
                assert_int_equal(platform_from_elf(&none[i], &p), -ENOENT);
                assert_string_equal(p.arch, "keep");
        }
        assert_null(platform_info_from_elf(NULL));
}

/* MIPS: the ABI, not the class alone, picks the row; non-MIPS ignores a stray mips_abi. */
static void test_from_elf_mips(void **state) {
        char buf[PLATFORM_STRING_MAX];
        ElfId id = { .elf_class = ELFCLASS32, .data = ELFDATA2LSB, .machine = EM_MIPS };

        id.mips_abi = ELF_MIPS_ABI_O32;
        assert_string_equal(from_elf_str(&id, buf), "linux/mipsle");
        id.mips_abi = ELF_MIPS_ABI_N32;
        assert_string_equal(from_elf_str(&id, buf), "linux/mipsn32el");
        id.data = ELFDATA2MSB;
        assert_string_equal(from_elf_str(&id, buf), "linux/mipsn32");
        id.elf_class = ELFCLASS64;
        id.mips_abi = ELF_MIPS_ABI_N64;
        assert_string_equal(from_elf_str(&id, buf), "linux/mips64");

        id = (ElfId) { .elf_class = ELFCLASS64, .data = ELFDATA2LSB, .machine = EM_AARCH64,
                       .mips_abi = ELF_MIPS_ABI_N64 };
        assert_string_equal(from_elf_str(&id, buf), "linux/arm64");
}

/* --- runs_on ------------------------------------------------------------------------------------- */

static void test_runs_on_arm(void **state) {
        static const char *const v[] = { "v5", "v6", "v7", "v8" };

        for (size_t h = 0; h < ELEMENTSOF(v); h++)
                for (size_t t = 0; t < ELEMENTSOF(v); t++) {
                        Platform have = { "linux", "arm", "" }, target = { "linux", "arm", "" };

                        strcpy(have.variant, v[h]);
                        strcpy(target.variant, v[t]);
                        if (platform_runs_on(&have, &target) != (h <= t))
                                fail_msg("arm/%s on arm/%s: expected %s", v[h], v[t], h <= t ? "yes" : "no");
                }

        /* "" is the default variant, v7. */
        assert_true(platform_runs_on(&(Platform) { "linux", "arm", "" }, &(Platform) { "linux", "arm", "v7" }));
        assert_true(platform_runs_on(&(Platform) { "linux", "arm", "v7" }, &(Platform) { "linux", "arm", "" }));
        assert_true(platform_runs_on(&(Platform) { "linux", "arm", "v6" }, &(Platform) { "linux", "arm", "" }));
        assert_false(platform_runs_on(&(Platform) { "linux", "arm", "" }, &(Platform) { "linux", "arm", "v6" }));
        assert_true(platform_runs_on(&(Platform) { "linux", "arm", "" }, &(Platform) { "linux", "arm", "v8" }));
}

static void test_runs_on_other(void **state) {
        Platform amd64, i386, arm64, arm7;

        assert_int_equal(platform_parse("amd64", &amd64), 0);
        assert_int_equal(platform_parse("386", &i386), 0);
        assert_int_equal(platform_parse("arm64", &arm64), 0);
        assert_int_equal(platform_parse("arm/v7", &arm7), 0);

        for (unsigned i = 0; i < platform_table_size; i++) {
                Platform p;

                platform_from_info(&platform_table[i], &p);
                assert_true(platform_runs_on(&p, &p));
        }
        assert_true(platform_runs_on(&(Platform) { "linux", "arm64", "v8" }, &arm64));
        assert_true(platform_runs_on(&arm64, &(Platform) { "linux", "arm64", "v8" }));
        /* Different arches never, whatever the hardware's compat modes. */
        assert_false(platform_runs_on(&i386, &amd64));
        assert_false(platform_runs_on(&arm7, &arm64));
        assert_false(platform_runs_on(&amd64, &arm64));
        /* Variants no row orders compare by equality. */
        assert_false(platform_runs_on(&(Platform) { "linux", "arm64", "v10" }, &arm64));
}

/* --- host ---------------------------------------------------------------------------------------- */

static void test_from_uname(void **state) {
        static const struct {
                const char *machine;
                uint8_t data;
                const char *want;
        } cases[] = {
                { "x86_64",      ELFDATA2LSB, "linux/amd64"     },
                { "i686",        ELFDATA2LSB, "linux/386"       },
                { "aarch64",     ELFDATA2LSB, "linux/arm64"     },
                { "armv5tejl",   ELFDATA2LSB, "linux/arm/v5"    },
                { "armv6l",      ELFDATA2LSB, "linux/arm/v6"    },
                { "armv7l",      ELFDATA2LSB, "linux/arm/v7"    },
                { "armv8l",      ELFDATA2LSB, "linux/arm/v8"    },
                { "ppc64le",     ELFDATA2LSB, "linux/ppc64le"   },
                { "ppc64",       ELFDATA2MSB, "linux/ppc64"     },
                { "ppc",         ELFDATA2MSB, "linux/ppc"       },
                { "s390x",       ELFDATA2MSB, "linux/s390x"     },
                { "riscv64",     ELFDATA2LSB, "linux/riscv64"   },
                { "loongarch64", ELFDATA2LSB, "linux/loong64"   },
                { "mips",        ELFDATA2MSB, "linux/mips"      },
                { "mips",        ELFDATA2LSB, "linux/mipsle"    },
                { "mips64",      ELFDATA2MSB, "linux/mips64"    },
                { "mips64",      ELFDATA2LSB, "linux/mips64le"  },
                { "parisc64",    ELFDATA2MSB, "linux/hppa"      },
                { "sparc64",     ELFDATA2MSB, "linux/sparc64"   },
                { "alpha",       ELFDATA2LSB, "linux/alpha"     },
                { "armv4l",      ELFDATA2LSB, NULL },
                { "armv7b",      ELFDATA2MSB, NULL },
                { "aarch64_be",  ELFDATA2MSB, NULL },
                { "x86_64",      ELFDATA2MSB, NULL },
                { "s390",        ELFDATA2MSB, NULL },
                { "",            ELFDATA2LSB, NULL },
                { "linux/amd64", ELFDATA2LSB, NULL },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char buf[PLATFORM_STRING_MAX];
                Platform p;
                int r = platform_from_uname(cases[i].machine, cases[i].data, &p);

                if (!cases[i].want) {
                        if (r != -EOPNOTSUPP)
                                fail_msg("uname '%s': %d, expected -EOPNOTSUPP", cases[i].machine, r);
                        continue;
                }
                if (r < 0 || !streq(fmt(&p, buf), cases[i].want))
                        fail_msg("uname '%s': %d %s, expected %s", cases[i].machine, r, r < 0 ? "-" : buf,
                                 cases[i].want);
        }
}

static void test_host(void **state) {
        char buf[PLATFORM_STRING_MAX];
        struct utsname u;
        Platform p;

        assert_int_equal(uname(&u), 0);
        if (!streq(u.machine, "x86_64")) {
                print_message("[  SKIPPED ] host is %s, the expectation is written for x86_64\n", u.machine);
                skip();
        }
        assert_int_equal(platform_host(&p), 0);
        assert_string_equal(fmt(&p, buf), "linux/amd64");
        assert_non_null(platform_info_lookup(&p));
        assert_int_equal(platform_info_lookup(&p)->elf_machine, EM_X86_64);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table_shape),
                cmocka_unit_test(test_table_unique),
                cmocka_unit_test(test_table_oci_round_trip),
                cmocka_unit_test(test_table_debian_names),
                cmocka_unit_test(test_table_qemu_names),
                cmocka_unit_test(test_table_from_elf),
                cmocka_unit_test(test_parse_aliases),
                cmocka_unit_test(test_parse_invalid),
                cmocka_unit_test(test_parse_overlong),
                cmocka_unit_test(test_parse_other_os),
                cmocka_unit_test(test_parse_no_output_on_failure),
                cmocka_unit_test(test_os_names_are_not_archs),
                cmocka_unit_test(test_parse_list),
                cmocka_unit_test(test_to_string),
                cmocka_unit_test(test_equal_normalises),
                cmocka_unit_test(test_isa_variants),
                cmocka_unit_test(test_from_elf_arm),
                cmocka_unit_test(test_from_elf_none),
                cmocka_unit_test(test_from_elf_mips),
                cmocka_unit_test(test_runs_on_arm),
                cmocka_unit_test(test_runs_on_other),
                cmocka_unit_test(test_from_uname),
                cmocka_unit_test(test_host),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
