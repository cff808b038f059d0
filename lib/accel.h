/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Native twins of a foreign root's toolchain (docs/accel.md).
 *
 * accel_install() copies the host's Debian cross toolchain for the root's platform (gcc driver, cc1,
 * collect2, lto1, binutils) with its host libraries and the host's ELF loader into
 * ROOT/.archway/native, and writes ROOT/.archway/routes.conf + routes.idx: one rule per target tool,
 * keyed by the GNU build-id of the root's own tool, sending it to its twin, with the conditions under
 * which the twin would not behave like the target's tool.
 *
 * Layout inside the root (NATIVE = /.archway/native):
 *   NATIVE/host-lib/         the host's loader and every shared library the twins need
 *   NATIVE/real/<host path>  the copied host programs, unchanged
 *   NATIVE/<host path>       a hard link of archway-twin-launch per program (twin/launch.c): it runs
 *                            host-lib/ld-linux-x86-64.so.2 --library-path host-lib real/<host path>
 *   NATIVE/usr/lib/gcc-cross/TRIPLE/MAJOR/  the twin driver's private directory: a specs file (the
 *                            driver's own, patched: accel_specs_patch()), symlinks to the root's own
 *                            crt*.o, libgcc*, ... in /usr/lib/gcc/TRIPLE/MAJOR, include-fixed ->
 *                            /usr/local/include (see docs/accel.md: search order)
 *
 * Pure parts (unit-tested): accel_specs_patch(), accel_routes_format(), accel_version_check(),
 * accel_dpkg_version(). accel_install() does the file work; it neither logs nor spawns: the caller
 * hands in the host driver's -dumpspecs text. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "elf-id.h"

#define ACCEL_NATIVE_DIR "/.archway/native"
#define ACCEL_ROUTES_CONF "/.archway/routes.conf"
#define ACCEL_ROUTES_IDX "/.archway/routes.idx"
#define ACCEL_HOST_LOADER "ld-linux-x86-64.so.2"

typedef enum AccelRole {
        ACCEL_ROLE_DRIVER,  /* gcc, g++, cpp: routed, with the compiler conditions */
        ACCEL_ROLE_BINUTIL, /* as, ld, ar, ...: routed, with the plugin conditions */
        ACCEL_ROLE_HELPER,  /* cc1, collect2, ...: not routed, started by the twin driver */
        ACCEL_ROLE_TOOL,    /* sed, grep, dash, xz, ...: routed as they are, the program's own argv[0] kept */
        _ACCEL_ROLE_MAX,
        _ACCEL_ROLE_INVALID = -EINVAL,
} AccelRole;

/* One tool of a platform's twin set, paths relative to "/" (host) and to the root. */
typedef struct AccelTool {
        AccelRole role;
        char host[256];     /* the host's cross program: "usr/bin/aarch64-linux-gnu-gcc-12" */
        char target[256];   /* the root's own program: "usr/bin/aarch64-linux-gnu-gcc-12" */
        char argv0[64];     /* name the twin runs under ("gcc"): a hard link in the twin's bin dir; "" */
        char tooldir[32];   /* binutils: also linked as usr/TRIPLE/bin/<tooldir> (where gcc looks); "" */
        char package[64];   /* Debian package of the target tool, for the version check */
        char source[64];    /* its source package: the key of the known-differences table */
        char host_package[64];
        char built[32];     /* built by scripts/build-twin-tools, not the host's: its cache entry's prefix; "" */
} AccelTool;

/* Which release of the cross toolchain twins which release of the target's: a table. */
typedef struct AccelPlatform {
        const char *arch;           /* OCI arch: "arm64" */
        const char *triple;         /* GNU triple: "aarch64-linux-gnu" */
        const char *gcc_major;      /* "12": bookworm */
} AccelPlatform;

/* The row for an OCI arch ("arm64"), or NULL. */
const AccelPlatform *accel_platform_lookup(const char *arch);

/* Room enough for every platform's tool list (compilers, helpers, binutils, build tools). */
#define ACCEL_TOOLS_MAX 128

/* Fill tools (max entries) with the platform's tool list. Returns the count. */
size_t accel_tools(const AccelPlatform *p, AccelTool *tools, size_t max);

/* The Debian version of pkg in a dpkg status file's text (len bytes), into ret (size bytes).
 * Only "install ok installed" stanzas count. Returns 0, -ENOENT, -ENAMETOOLONG. */
int accel_dpkg_version(const char *status, size_t len, const char *pkg, char *ret, size_t size);

/* Does the twin of version `twin` (host cross package, e.g. "12.2.0-14cross1") stand in for the target
 * package `target` of version `target_version` ("12.2.0-14+deb12u1")? The cross package's "crossN"
 * suffix is dropped; equal versions are fine; a known difference (table in accel.c, each row citing
 * the Debian changelog) is fine with extra conditions: *ret_unless_arg is then a static glob to add
 * as unless-arg= (NULL when none needed), *ret_why a static reason. have_compiler_proper: the twin's
 * cc1/cc1plus/lto1 are built from target_version's own source (scripts/build-cross-gcc), which
 * removes a difference confined to them. Returns 0; 1 when such a difference was removed that way
 * (no condition); -ESRCH when the versions differ in a way the table does not know (then the tool
 * must not be routed). */
int accel_version_check(const char *source, const char *twin, const char *target_version,
                        bool have_compiler_proper, const char **ret_unless_arg, const char **ret_why);

/* Which of the compiler proper's programs a version-exact build (scripts/build-cross-gcc) provides,
 * and the file in its directory that states the source version it was built from ("version=..."). */
#define ACCEL_COMPILER_MANIFEST "manifest"
/* The build recipe the manifest must name ("recipe=2"): scripts/build-cross-gcc's RECIPE. Recipe 1
 * built cc1 at -O0: the same output, 6.6x slower than Debian's cross cc1, no faster than emulation. */
#define ACCEL_COMPILER_RECIPE "2"
extern const char *const accel_compiler_proper[3];

/* The recipe a scripts/build-twin-tools manifest must name: the script's RECIPE (3: bash with the target's
 * unsigned char and binary128 printf). */
#define ACCEL_TOOL_RECIPE "3"

/* The i-th library package whose code writes part of tool t's output (dpkg-deb's compressors, dwz's
 * libelf): it must have the same version on both sides too, as the tool's own package. NULL past
 * the last. */
const char *accel_tool_library(const AccelTool *t, size_t i);

/* The directory of the root where tool t finds target code to load in-process (bash: /usr/lib/bash,
 * loadable builtins), relative to the root, or NULL. A root that has it gets no twin of t. */
const char *accel_tool_loadables_dir(const AccelTool *t);

/* The directory name of a version-exact compiler proper in the cache: "<version>-<triple>", into ret
 * (size bytes). Returns 0 or -ENAMETOOLONG. */
int accel_compiler_dir_name(const char *version, const AccelPlatform *p, char *ret, size_t size);

/* Turn the twin driver's own `-dumpspecs` output into the specs file of its private directory:
 * cross_compile 0 (search LIBRARY_PATH-less native prefixes like the native driver), cc1 gets
 * `-iprefix /usr/lib/gcc/TRIPLE/MAJOR/` (the native compiler's own include directory, first).
 * Returns 0 and a malloc'd text, -EBADMSG when the input lacks one of the two specs, -ENOMEM. */
int accel_specs_patch(const char *dumped, const AccelPlatform *p, char **ret);

/* The twin cc1plus's include-env file (twin/launch.c): one line
 * "CPLUS_INCLUDE_PATH=/usr/include/c++/MAJOR:/usr/include/TRIPLE/c++/MAJOR:/usr/include/c++/MAJOR/backward",
 * the native g++'s built-in C++ directories in its order. Through CPLUS_INCLUDE_PATH they are
 * C++-aware system directories after the user's -isystem, as the native ones are; -isystem would
 * make them C-only ones (flag 4 on every line marker of `g++ -E`). Returns 0 or -ENAMETOOLONG. */
int accel_cxx_include_env(const AccelPlatform *p, char *ret, size_t size);

/* A rule to write: tool + identity of the root's program. */
typedef struct AccelRule {
        const AccelTool *tool;
        uint8_t build_id[ELF_BUILD_ID_MAX];
        size_t build_id_size;
        const char *extra_unless_arg; /* from accel_version_check(), or NULL */
        const char *extra_why;
} AccelRule;

/* routes.conf text for the rules (docs/shim.md format), with a header comment. Returns 0 and a
 * malloc'd text, or -ENOMEM. */
int accel_routes_format(const AccelPlatform *p, const AccelRule *rules, size_t n, char **ret);

typedef struct AccelInstall {
        const char *root;          /* the foreign root */
        const char *host_root;     /* where the host's cross tools are: "/" (tests may differ) */
        const char *launcher;      /* archway-twin-launch (static) */
        const char *specs;         /* the host driver's -dumpspecs output */
        const AccelPlatform *platform;
        /* Where scripts/build-cross-gcc keeps version-exact compilers (CACHE/cross-gcc), or NULL. When
         * it holds one for the root's gcc version, its cc1/cc1plus/lto1 replace the host's. */
        const char *compiler_cache;
        /* Where scripts/build-twin-tools keeps tools built from the root's exact source version
         * (CACHE/twin-tools: make), or NULL. Without an entry for the root's version, no such twin. */
        const char *tool_cache;
} AccelInstall;

typedef struct AccelResult {
        size_t n_rules, n_programs, n_libraries;
        size_t n_skipped;          /* tools the root or the host lacks */
        char skipped_why[1024];     /* "g++: not in the root; ..." */
        char version_notes[512];   /* from accel_version_check() */
        char compiler_proper[512]; /* the version-exact compiler used ("" when the host's) */
        char built[512];           /* tools from scripts/build-twin-tools' cache: "/usr/bin/make from DIR; " */
} AccelResult;

/* Install (or refresh) the twins in opts->root. Returns 0, or -errno; ret is filled on success.
 * -ESRCH: no tool could be twinned (versions differ unknowably, or nothing is installed). */
int accel_install(const AccelInstall *opts, AccelResult *ret);

/* A Debian version (policy 5.6.12: [epoch:]upstream[-revision], starting with a digit). What a root
 * says its versions are becomes part of cache paths ($cache/gcc-VERSION-TRIPLE): never "../..". */
bool accel_version_valid(const char *v);

/* Remove ROOT/.archway/native and the routes files that accel_install() wrote. Returns 0 or -errno. */
int accel_remove(const char *root);
