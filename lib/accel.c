/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pure half of native twins: the tables of what can be twinned, and the text helpers (dpkg
 * status, versions, specs, routes.conf). accel-install.c copies files into a root. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel.h"
#include "macro.h"
#include "strbuf.h"
#include "strv.h"

/* ---- tables ------------------------------------------------------------------------------------ */

/* Debian bookworm: gcc-12-cross and binutils-ARCH-linux-gnu match the root's gcc-12 and binutils. */
static const AccelPlatform accel_platforms[] = {
        { "arm64", "aarch64-linux-gnu", "12" },
};

/* Known differences between a cross toolchain and the target's own package of the "same" version.
 * Source: the target package's debian/changelog. A row says what the twin lacks and which arguments
 * reach the code that differs, so the rule can fall back to QEMU exactly there. */
static const struct {
        const char *package, *twin, *target, *unless_arg, *why;
        /* The difference is in the compiler proper only (cc1, cc1plus, lto1): a compiler proper built
         * from the target's exact source (scripts/build-cross-gcc) removes it, and the condition. */
        bool compiler_proper_only;
} version_deltas[] = {
        /* gcc-12 (12.2.0-14+deb12u1): "Fix -fstack-protector handling of overflows on AArch64
         * (CVE-2023-4039)": debian/patches/CVE-2023-4039.diff touches gcc/config/aarch64 and the
         * testsuite only. gcc-12-cross 12.2.0-14cross1 is built from 12.2.0-14, without it. */
        { "gcc-12", "12.2.0-14", "12.2.0-14+deb12u1", "-fstack-protector*",
          "gcc-12 12.2.0-14+deb12u1 fixes -fstack-protector on AArch64 (CVE-2023-4039); the twin "
          "(12.2.0-14) does not: stack-protected compiles stay emulated (scripts/build-cross-gcc builds "
          "the fixed compiler)", true },
};

/* Arguments that make a twin driver differ from the target's driver (docs/accel.md says why, each). */
static const char *const driver_unless_args[] = {
        "-march=native", "-mcpu=native", "-mtune=native",          /* the CPU the compiler runs on */
        "-fplugin=*", "-fplugin-arg-*", "-iplugindir=*",            /* target-architecture plugins */
        "-print-*", "--print-*", "-dumpspecs", "--version", "-v", "-###", "--help*", /* name the twin */
        "-iprefix*", "-B*", "-specs=*", "--specs=*", "--sysroot*", "-isysroot*", /* move its prefixes */
        "-wrapper",
};

/* Environment that the twin would read differently (or the host loader would act on). */
static const char *const driver_unless_envs[] = {
        "GCC_EXEC_PREFIX", "COMPILER_PATH", "LD_PRELOAD", "LD_AUDIT",
};

/* The native driver adds each directory of these to its library and startfile search; the twin, a
 * cross driver, reads them before its specs say cross_compile 0, so it ignores them (gcc.cc,
 * process_command() runs before read_specs()). Entries that are not directories in the root change
 * nothing for the native driver either (it only searches existing ones): only an existing one vetoes. */
static const char *const driver_unless_env_dirs[] = {
        "LIBRARY_PATH", "LPATH",
};

static const char *const binutil_unless_args[] = {
        "--plugin*", "-plugin*",                                     /* target-architecture plugins */
        "--version", "-v", "-V", "--help*",                          /* name the twin */
};

static const char *const binutil_unless_envs[] = {
        "LD_PRELOAD", "LD_AUDIT",
};

/* Build tools twinned as they are (docs/accel.md, "Build tools"): what they write depends on their
 * input, arguments and environment only, never on the machine they run on, and they do not report
 * it. Paths as Debian's packages ship them (on a merged-/usr host /bin resolves to /usr/bin). Left
 * out on purpose, because they report the build machine: uname, arch (coreutils), make (MAKE_HOST),
 * bash (HOSTTYPE, MACHTYPE), perl ($Config{archname}, its architecture's @INC), dpkg and
 * dpkg-architecture, config.guess (a script, run by the twinned shell, calls the emulated uname). */
static const struct {
        const char *path, *package;
} build_tools[] = {
        { "bin/dash", "dash" },
        { "bin/sed", "sed" },
        { "bin/grep", "grep" },
        { "usr/bin/gawk", "gawk" },
        { "bin/gzip", "gzip" },
        { "usr/bin/xz", "xz-utils" },
        { "bin/bzip2", "bzip2" },
        { "usr/bin/find", "findutils" },
        { "usr/bin/xargs", "findutils" },
        { "usr/bin/diff", "diffutils" },
        { "usr/bin/cmp", "diffutils" },
        /* coreutils: file and text tools, not the ones that describe the system */
        { "bin/cat", "coreutils" }, { "bin/cp", "coreutils" }, { "bin/mv", "coreutils" },
        { "bin/rm", "coreutils" }, { "bin/ln", "coreutils" }, { "bin/mkdir", "coreutils" },
        { "bin/chmod", "coreutils" }, { "bin/touch", "coreutils" }, { "usr/bin/tr", "coreutils" },
        { "usr/bin/sort", "coreutils" }, { "usr/bin/expr", "coreutils" }, { "usr/bin/head", "coreutils" },
        { "usr/bin/tail", "coreutils" }, { "usr/bin/wc", "coreutils" }, { "usr/bin/cut", "coreutils" },
        { "usr/bin/basename", "coreutils" }, { "usr/bin/dirname", "coreutils" },
        /* what a hello-sized autotools build still ran emulated (archway accel report's "no twin") */
        { "bin/rmdir", "coreutils" }, { "bin/ls", "coreutils" }, { "bin/echo", "coreutils" },
        { "bin/true", "coreutils" }, { "bin/false", "coreutils" }, { "bin/mktemp", "coreutils" },
        { "bin/pwd", "coreutils" }, { "bin/readlink", "coreutils" }, { "bin/sleep", "coreutils" },
        { "usr/bin/install", "coreutils" }, { "usr/bin/printf", "coreutils" }, { "usr/bin/test", "coreutils" },
        { "usr/bin/[", "coreutils" }, { "usr/bin/tee", "coreutils" }, { "usr/bin/uniq", "coreutils" },
        { "usr/bin/od", "coreutils" }, { "usr/bin/seq", "coreutils" }, { "usr/bin/paste", "coreutils" },
        { "usr/bin/comm", "coreutils" }, { "usr/bin/realpath", "coreutils" }, { "usr/bin/md5sum", "coreutils" },
        { "usr/bin/sha256sum", "coreutils" }, { "usr/bin/tac", "coreutils" },
        /* what dpkg-buildpackage's debhelper steps run (dh_builddeb, dpkg-shlibdeps, dh_dwz); not dpkg
         * itself (--print-architecture) */
        { "usr/bin/dpkg-deb", "dpkg" }, { "usr/bin/dpkg-split", "dpkg" }, { "bin/tar", "tar" },
        { "usr/bin/dwz", "dwz" }, { "usr/bin/mawk", "mawk" }, /* awk in a buildd root (no gawk) */
        { "usr/bin/m4", "m4" }, /* autoconf's (dh_autoreconf) */
        { "usr/bin/file", "file" }, /* libtool's and dh_*'s file type tests; the root's magic database */
};

/* Binutils run as build tools (dpkg-shlibdeps, dh_strip, dh_shlibdeps): usr/bin/TRIPLE-NAME of package
 * binutils-TRIPLE, which is the name of the root's native binutils and of the host's cross ones. */
static const char *const binutil_tools[] = { "objdump", "readelf" };

/* Build tools that compile the target machine in: twinned only by a native build of the root's exact
 * source version (scripts/build-twin-tools, cache entry "<built>-<version>-<triple>"), never by the
 * host's. make: $(MAKE_HOST) and `make --version` say configure's $host. */
static const struct {
        const char *path, *package, *built;
} built_tools[] = {
        { "usr/bin/make", "make", "make" },
        { "bin/bash", "bash", "bash" }, /* HOSTTYPE, MACHTYPE; autoconf's configure picks it as SHELL */
};

/* Libraries that write part of a tool's output: their versions must match too. dpkg-deb compresses
 * in-process; dwz reads and writes through libelf. */
static const struct {
        const char *path, *library;
} tool_libraries[] = {
        { "usr/bin/dpkg-deb", "liblzma5" }, { "usr/bin/dpkg-deb", "libzstd1" }, { "usr/bin/dpkg-deb", "zlib1g" },
        { "usr/bin/dpkg-deb", "libbz2-1.0" }, { "usr/bin/dwz", "libelf1" }, { "usr/bin/file", "libmagic1" },
};

/* Arguments under which a tool would tell the machine it runs on. dpkg-deb --show's ${binary:Package}
 * qualifies a package of a foreign architecture (":arm64" from an amd64 dpkg-deb, nothing natively). */
static const struct {
        const char *path, *arg;
} tool_unless_args[] = {
        { "usr/bin/dpkg-deb", "-W*" }, { "usr/bin/dpkg-deb", "--show*" },
};

/* Tools that load target code in-process on request: bash's `enable -f` (a builtin, a shared object for
 * the target's architecture, which the twin cannot load). Debian's bash-builtins installs them in
 * /usr/lib/bash, BASH_LOADABLES_PATH's default: a root that has it gets no twin of the tool, and the
 * variable set keeps a run emulated. */
static const struct {
        const char *path, *env, *root_path;
} tool_loadables[] = {
        { "bin/bash", "BASH_LOADABLES_PATH", "usr/lib/bash" },
};

static const char *const tool_unless_envs[] = {
        "LD_PRELOAD", "LD_AUDIT", /* fakeroot & co.: meant for the target's loader, they change what tools do */
};

/* The gcc driver's private programs: started by the twin driver, never routed on their own. */
static const char *const gcc_helpers[] = { "cc1", "cc1plus", "collect2", "lto1", "lto-wrapper" };
static const struct {
        const char *name, *tooldir;
} binutils[] = {
        { "as", "as" }, { "ld.bfd", "ld" }, { "ar", "ar" }, { "ranlib", "ranlib" },
        { "strip", "strip" }, { "objcopy", "objcopy" }, { "nm", "nm" },
};

const char *const accel_compiler_proper[3] = { "cc1", "cc1plus", "lto1" };

int accel_compiler_dir_name(const char *version, const AccelPlatform *p, char *ret, size_t size) {
        return (size_t) snprintf(ret, size, "%s-%s", version, p->triple) < size ? 0 : -ENAMETOOLONG;
}

const AccelPlatform *accel_platform_lookup(const char *arch) {
        for (size_t i = 0; i < ELEMENTSOF(accel_platforms); i++)
                if (streq(accel_platforms[i].arch, arch))
                        return &accel_platforms[i];
        return NULL;
}

static void tool_set(AccelTool *t, AccelRole role, const char *argv0, const char *tooldir, const char *pkg,
                     const char *host_pkg, const char *source) {
        t->role = role;
        snprintf(t->source, sizeof(t->source), "%s", source);
        snprintf(t->argv0, sizeof(t->argv0), "%s", argv0 ?: "");
        snprintf(t->tooldir, sizeof(t->tooldir), "%s", tooldir ?: "");
        snprintf(t->package, sizeof(t->package), "%s", pkg);
        snprintf(t->host_package, sizeof(t->host_package), "%s", host_pkg);
}

/* A build tool at the same path on both sides (a row of build_tools, or of built_tools with the name
 * of its cache entry in built). */
static void build_tool_set(AccelTool *t, const char *path, const char *package, const char *built) {
        snprintf(t->host, sizeof(t->host), "%s", path);
        snprintf(t->target, sizeof(t->target), "%s", path);
        tool_set(t, ACCEL_ROLE_TOOL, NULL, NULL, package, package, package);
        snprintf(t->built, sizeof(t->built), "%s", built ?: "");
}

size_t accel_tools(const AccelPlatform *p, AccelTool *tools, size_t max) {
        static const struct {
                const char *name, *argv0;
        } drivers[] = {
                { "gcc", "gcc" }, /* packages gcc-12 (root), gcc-12-aarch64-linux-gnu (host) */
                { "g++", "g++" },
                { "cpp", "cpp" },
        };
        char pkg[64], host_pkg[64], source[64];
        size_t n = 0;

        snprintf(source, sizeof(source), "gcc-%s", p->gcc_major);

        for (size_t i = 0; i < ELEMENTSOF(drivers) && n < max; i++, n++) {
                AccelTool *t = &tools[n];
                snprintf(t->host, sizeof(t->host), "usr/bin/%s-%s-%s", p->triple, drivers[i].name, p->gcc_major);
                snprintf(t->target, sizeof(t->target), "%s", t->host);
                snprintf(pkg, sizeof(pkg), "%s-%s", drivers[i].name, p->gcc_major);
                snprintf(host_pkg, sizeof(host_pkg), "%s-%s-%s", drivers[i].name, p->gcc_major, p->triple);
                tool_set(t, ACCEL_ROLE_DRIVER, drivers[i].argv0, NULL, pkg, host_pkg, source);
        }
        for (size_t i = 0; i < ELEMENTSOF(gcc_helpers) && n < max; i++, n++) {
                AccelTool *t = &tools[n];
                snprintf(t->host, sizeof(t->host), "usr/lib/gcc-cross/%s/%s/%s", p->triple, p->gcc_major, gcc_helpers[i]);
                snprintf(t->target, sizeof(t->target), "usr/lib/gcc/%s/%s/%s", p->triple, p->gcc_major, gcc_helpers[i]);
                snprintf(pkg, sizeof(pkg), "gcc-%s", p->gcc_major);
                snprintf(host_pkg, sizeof(host_pkg), "gcc-%s-%s", p->gcc_major, p->triple);
                tool_set(t, ACCEL_ROLE_HELPER, NULL, NULL, pkg, host_pkg, source);
        }
        for (size_t i = 0; i < ELEMENTSOF(binutils) && n < max; i++, n++) {
                AccelTool *t = &tools[n];
                snprintf(t->host, sizeof(t->host), "usr/bin/%s-%s", p->triple, binutils[i].name);
                snprintf(t->target, sizeof(t->target), "%s", t->host);
                snprintf(pkg, sizeof(pkg), "binutils-%s", p->triple);
                tool_set(t, ACCEL_ROLE_BINUTIL, NULL, binutils[i].tooldir, pkg, pkg, "binutils");
        }
        for (size_t i = 0; i < ELEMENTSOF(build_tools) && n < max; i++, n++)
                build_tool_set(&tools[n], build_tools[i].path, build_tools[i].package, NULL);
        for (size_t i = 0; i < ELEMENTSOF(binutil_tools) && n < max; i++, n++) {
                AccelTool *t = &tools[n];
                snprintf(t->host, sizeof(t->host), "usr/bin/%s-%s", p->triple, binutil_tools[i]);
                snprintf(t->target, sizeof(t->target), "%s", t->host);
                snprintf(pkg, sizeof(pkg), "binutils-%s", p->triple);
                tool_set(t, ACCEL_ROLE_TOOL, NULL, NULL, pkg, pkg, pkg);
        }
        for (size_t i = 0; i < ELEMENTSOF(built_tools) && n < max; i++, n++)
                build_tool_set(&tools[n], built_tools[i].path, built_tools[i].package, built_tools[i].built);
        return n;
}

const char *accel_tool_library(const AccelTool *t, size_t i) {
        for (size_t k = 0; k < ELEMENTSOF(tool_libraries); k++)
                if (streq(tool_libraries[k].path, t->target) && i-- == 0)
                        return tool_libraries[k].library;
        return NULL;
}

const char *accel_tool_loadables_dir(const AccelTool *t) {
        for (size_t k = 0; k < ELEMENTSOF(tool_loadables); k++)
                if (streq(tool_loadables[k].path, t->target))
                        return tool_loadables[k].root_path;
        return NULL;
}

/* ---- pure text helpers ------------------------------------------------------------------------- */

int accel_dpkg_version(const char *status, size_t len, const char *pkg, char *ret, size_t size) {
        const char *p = status, *end = status + len;

        while (p < end) {
                const char *stanza_end = memmem(p, (size_t) (end - p), "\n\n", 2) ?: end;
                const char *pk = NULL, *ver = NULL, *st = NULL;
                size_t pkn = 0, vern = 0, stn = 0;

                for (const char *l = p; l < stanza_end;) {
                        const char *nl = memchr(l, '\n', (size_t) (stanza_end - l)) ?: stanza_end;
                        size_t n = (size_t) (nl - l);
                        if (n > 9 && strneq(l, "Package: ", 9))
                                pk = l + 9, pkn = n - 9;
                        else if (n > 9 && strneq(l, "Version: ", 9))
                                ver = l + 9, vern = n - 9;
                        else if (n > 8 && strneq(l, "Status: ", 8))
                                st = l + 8, stn = n - 8;
                        l = nl + 1;
                }
                if (pk && ver && pkn == strlen(pkg) && memcmp(pk, pkg, pkn) == 0 &&
                    (!st || (stn >= 20 && memcmp(st + stn - 20, "install ok installed", 20) == 0))) {
                        if (vern + 1 > size)
                                return -ENAMETOOLONG;
                        memcpy(ret, ver, vern);
                        ret[vern] = 0;
                        return 0;
                }
                p = stanza_end + 2;
        }
        return -ENOENT;
}

int accel_version_check(const char *package, const char *twin, const char *target_version,
                        bool have_compiler_proper, const char **ret_unless_arg, const char **ret_why) {
        char base[128];
        const char *cross;
        size_t n;

        /* gcc-12-cross appends "crossN" to the gcc-12 version it was built from. */
        cross = strstr(twin, "cross");
        n = cross ? (size_t) (cross - twin) : strlen(twin);
        if (n >= sizeof(base))
                return -ESRCH;
        memcpy(base, twin, n);
        base[n] = 0;
        if (streq(base, target_version)) {
                *ret_unless_arg = NULL;
                *ret_why = NULL;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(version_deltas); i++)
                if (streq(version_deltas[i].package, package) && streq(version_deltas[i].twin, base) &&
                    streq(version_deltas[i].target, target_version)) {
                        bool lifted = have_compiler_proper && version_deltas[i].compiler_proper_only;
                        *ret_unless_arg = lifted ? NULL : version_deltas[i].unless_arg;
                        *ret_why = lifted ? NULL : version_deltas[i].why;
                        return lifted ? 1 : 0;
                }
        return -ESRCH;
}

/* Set the body of spec *name (the line after "*name:") to replace, or append to it. */
static int spec_edit(char **text, const char *name, const char *replace, const char *append) {
        char key[64], *p, *body, *eol, *out;
        int k;

        snprintf(key, sizeof(key), "*%s:\n", name);
        p = strstr(*text, key);
        if (!p)
                return -EBADMSG;
        body = p + strlen(key);
        eol = strchrnul(body, '\n');
        if (replace)
                k = asprintf(&out, "%.*s%s%s", (int) (body - *text), *text, replace, eol);
        else
                k = asprintf(&out, "%.*s%s%s%s", (int) (eol - *text), *text, body == eol ? "" : " ", append, eol);
        if (k < 0)
                return -ENOMEM;
        free(*text);
        *text = out;
        return 0;
}

int accel_specs_patch(const char *dumped, const AccelPlatform *p, char **ret) {
        _cleanup_free_ char *text = strdup(dumped), *iprefix = NULL;
        int r;

        if (!text)
                return -ENOMEM;
        /* The native driver searches the native prefixes (/lib/, /usr/lib/ after its own) and obeys
         * LIBRARY_PATH; the cross one does not: cross_compile is the only difference of the two
         * dumps (docs/accel.md). */
        r = spec_edit(&text, "cross_compile", "0", NULL);
        if (r < 0)
                return r;
        /* Last -iprefix wins in cc1: the native compiler's own include directory, under its own name,
         * first in the standard chain, exactly where the native cc1 searches it. */
        if (asprintf(&iprefix, "-iprefix /usr/lib/gcc/%s/%s/", p->triple, p->gcc_major) < 0)
                return -ENOMEM;
        r = spec_edit(&text, "cc1", NULL, iprefix);
        if (r < 0)
                return r;
        /* The C++ directories are not in the specs: -isystem would make them directories that are
         * not C++-aware (accel_cxx_include_env()). */
        *ret = TAKE_PTR(text);
        return 0;
}

int accel_cxx_include_env(const AccelPlatform *p, char *ret, size_t size) {
        size_t n = (size_t) snprintf(ret, size, "CPLUS_INCLUDE_PATH=/usr/include/c++/%1$s:/usr/include/%2$s/c++/%1$s:"
                                     "/usr/include/c++/%1$s/backward\n", p->gcc_major, p->triple);
        return n < size ? 0 : -ENAMETOOLONG;
}

static void tool_rule_format(StrBuf *b, const AccelPlatform *p, const AccelRule *r) {
        const AccelTool *t = r->tool;

        strbuf_printf(b, "\n# /%s (%s) -> its twin, %s\n[route]\nplatform = linux/%s\nbuild-id = ",
                   t->target, t->package, t->built[0] ? "built from the same source" : "the host's own", p->arch);
        for (size_t i = 0; i < r->build_id_size; i++)
                strbuf_printf(b, "%02x", r->build_id[i]);
        strbuf_printf(b, "\nexec = " ACCEL_NATIVE_DIR "/%s\nkeep-argv0 = yes\n", t->host);
        for (size_t i = 0; i < ELEMENTSOF(tool_unless_args); i++)
                if (streq(tool_unless_args[i].path, t->target))
                        strbuf_printf(b, "unless-arg = %s\n", tool_unless_args[i].arg);
        for (size_t i = 0; i < ELEMENTSOF(tool_unless_envs); i++)
                strbuf_printf(b, "unless-env = %s\n", tool_unless_envs[i]);
        for (size_t i = 0; i < ELEMENTSOF(tool_loadables); i++)
                if (streq(tool_loadables[i].path, t->target))
                        strbuf_printf(b, "unless-env = %s\n", tool_loadables[i].env);
}

static void rule_format(StrBuf *b, const AccelPlatform *p, const AccelRule *r) {
        const AccelTool *t = r->tool;

        if (t->role == ACCEL_ROLE_TOOL)
                return tool_rule_format(b, p, r);
        bool driver = t->role == ACCEL_ROLE_DRIVER;
        const char *const *args = driver ? driver_unless_args : binutil_unless_args;
        const char *const *envs = driver ? driver_unless_envs : binutil_unless_envs;
        size_t n_args = driver ? ELEMENTSOF(driver_unless_args) : ELEMENTSOF(binutil_unless_args);
        size_t n_envs = driver ? ELEMENTSOF(driver_unless_envs) : ELEMENTSOF(binutil_unless_envs);

        strbuf_printf(b, "\n# /%s (%s) -> its twin /%s\n[route]\nplatform = linux/%s\nbuild-id = ", t->target,
                   t->package, t->host, p->arch);
        for (size_t i = 0; i < r->build_id_size; i++)
                strbuf_printf(b, "%02x", r->build_id[i]);
        strbuf_printf(b, "\nexec = " ACCEL_NATIVE_DIR "/%s\n", t->host);
        if (t->argv0[0])
                strbuf_printf(b, "argv0 = " ACCEL_NATIVE_DIR "/usr/bin/%s\n", t->argv0);
        for (size_t i = 0; i < n_args; i++)
                strbuf_printf(b, "unless-arg = %s\n", args[i]);
        if (r->extra_unless_arg)
                strbuf_printf(b, "# %s\nunless-arg = %s\n", r->extra_why ?: "", r->extra_unless_arg);
        for (size_t i = 0; i < n_envs; i++)
                strbuf_printf(b, "unless-env = %s\n", envs[i]);
        for (size_t i = 0; driver && i < ELEMENTSOF(driver_unless_env_dirs); i++)
                strbuf_printf(b, "unless-env-dir = %s\n", driver_unless_env_dirs[i]);
}

int accel_routes_format(const AccelPlatform *p, const AccelRule *rules, size_t n, char **ret) {
        _cleanup_(strbuf_done) StrBuf b = {};

        strbuf_printf(&b, "# Written by `archway accel install` (docs/accel.md): native twins of this root's\n"
                      "# %s toolchain. Rebuilt on every install; edits are lost.\n", p->triple);
        for (size_t i = 0; i < n; i++)
                rule_format(&b, p, &rules[i]);
        if (b.error < 0)
                return b.error;
        *ret = strbuf_steal(&b);
        return *ret ? 0 : -ENOMEM;
}

bool accel_version_valid(const char *v) {
        return v[0] >= '0' && v[0] <= '9' &&
               strspn(v, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.+~:-") == strlen(v);
}
