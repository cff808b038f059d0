/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "accel.h"
#include "file-util.h"
#include "macro.h"
#include "routes.h"
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
} version_deltas[] = {
        /* gcc-12 (12.2.0-14+deb12u1): "Fix -fstack-protector handling of overflows on AArch64
         * (CVE-2023-4039)". gcc-12-cross 12.2.0-14cross1 is built from 12.2.0-14, without it. */
        { "gcc-12", "12.2.0-14", "12.2.0-14+deb12u1", "-fstack-protector*",
          "gcc-12 12.2.0-14+deb12u1 fixes -fstack-protector on AArch64 (CVE-2023-4039); the twin "
          "(12.2.0-14) does not: stack-protected compiles stay emulated" },
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
        "GCC_EXEC_PREFIX", "COMPILER_PATH", "LIBRARY_PATH", "LD_PRELOAD", "LD_AUDIT",
};

static const char *const binutil_unless_args[] = {
        "--plugin*", "-plugin*",                                     /* target-architecture plugins */
        "--version", "-v", "-V", "--help*",                          /* name the twin */
};

static const char *const binutil_unless_envs[] = {
        "LD_PRELOAD", "LD_AUDIT",
};

/* The gcc driver's private programs: started by the twin driver, never routed on their own. */
static const char *const gcc_helpers[] = { "cc1", "cc1plus", "collect2", "lto1", "lto-wrapper" };
/* Not linked from the root's gcc directory: programs, and the x86 plugin we copy instead. */
static const char *const gcc_private_skip[] = {
        "cc1", "cc1plus", "collect2", "lto1", "lto-wrapper", "liblto_plugin.so", "plugin",
        "g++-mapper-server", "specs", "include", "include-fixed",
};

static const struct {
        const char *name, *tooldir;
} binutils[] = {
        { "as", "as" }, { "ld.bfd", "ld" }, { "ar", "ar" }, { "ranlib", "ranlib" },
        { "strip", "strip" }, { "objcopy", "objcopy" }, { "nm", "nm" },
};

/* Host libraries: where DT_NEEDED names are looked up (Debian multiarch, merged /usr). */
static const char *const host_lib_dirs[] = {
        "lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64", "usr/lib",
};

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
        return n;
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
                        const char **ret_unless_arg, const char **ret_why) {
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
                        *ret_unless_arg = version_deltas[i].unless_arg;
                        *ret_why = version_deltas[i].why;
                        return 0;
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
        _cleanup_free_ char *text = strdup(dumped), *iprefix = NULL, *cxx = NULL;
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
        /* -isystem from *cc1plus comes after the user's -isystem and before the standard chain: the
         * native order of the C++ directories. */
        if (asprintf(&cxx, "%%{!nostdinc:%%{!nostdinc++:-isystem /usr/include/c++/%1$s -isystem "
                     "/usr/include/%2$s/c++/%1$s -isystem /usr/include/c++/%1$s/backward}}",
                     p->gcc_major, p->triple) < 0)
                return -ENOMEM;
        r = spec_edit(&text, "cc1plus", NULL, cxx);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(text);
        return 0;
}

typedef struct Buf {
        char *p;
        size_t n;
        int r;
} Buf;

static void _printf_(2, 3) buf_printf(Buf *b, const char *fmt, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;
        char *np;
        int k;

        if (b->r < 0)
                return;
        va_start(ap, fmt);
        k = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (k < 0 || !(np = realloc(b->p, b->n + (size_t) k + 1))) {
                b->r = -ENOMEM;
                return;
        }
        memcpy(np + b->n, s, (size_t) k + 1);
        b->p = np;
        b->n += (size_t) k;
}

static void rule_format(Buf *b, const AccelPlatform *p, const AccelRule *r) {
        const AccelTool *t = r->tool;
        bool driver = t->role == ACCEL_ROLE_DRIVER;
        const char *const *args = driver ? driver_unless_args : binutil_unless_args;
        const char *const *envs = driver ? driver_unless_envs : binutil_unless_envs;
        size_t n_args = driver ? ELEMENTSOF(driver_unless_args) : ELEMENTSOF(binutil_unless_args);
        size_t n_envs = driver ? ELEMENTSOF(driver_unless_envs) : ELEMENTSOF(binutil_unless_envs);

        buf_printf(b, "\n# /%s (%s) -> its twin /%s\n[route]\nplatform = linux/%s\nbuild-id = ", t->target,
                   t->package, t->host, p->arch);
        for (size_t i = 0; i < r->build_id_size; i++)
                buf_printf(b, "%02x", r->build_id[i]);
        buf_printf(b, "\nexec = " ACCEL_NATIVE_DIR "/%s\n", t->host);
        if (t->argv0[0])
                buf_printf(b, "argv0 = " ACCEL_NATIVE_DIR "/usr/bin/%s\n", t->argv0);
        for (size_t i = 0; i < n_args; i++)
                buf_printf(b, "unless-arg = %s\n", args[i]);
        if (r->extra_unless_arg)
                buf_printf(b, "# %s\nunless-arg = %s\n", r->extra_why ?: "", r->extra_unless_arg);
        for (size_t i = 0; i < n_envs; i++)
                buf_printf(b, "unless-env = %s\n", envs[i]);
}

int accel_routes_format(const AccelPlatform *p, const AccelRule *rules, size_t n, char **ret) {
        Buf b = {};

        buf_printf(&b, "# Written by `archway accel install` (docs/accel.md): native twins of this root's\n"
                   "# %s toolchain. Rebuilt on every install; edits are lost.\n", p->triple);
        for (size_t i = 0; i < n; i++)
                rule_format(&b, p, &rules[i]);
        if (b.r < 0) {
                free(b.p);
                return b.r;
        }
        *ret = b.p;
        return 0;
}

/* ---- files ------------------------------------------------------------------------------------- */

static int path_join(char *buf, size_t size, const char *a, const char *b) {
        size_t n = (size_t) snprintf(buf, size, "%s/%s", a, b[0] == '/' ? b + 1 : b);
        return n < size ? 0 : -ENAMETOOLONG;
}

static int mkdir_parents(const char *path) {
        char buf[PATH_MAX];
        size_t n = strlen(path);

        if (n >= sizeof(buf))
                return -ENAMETOOLONG;
        memcpy(buf, path, n + 1);
        for (char *s = buf + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = 0;
                if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        return 0;
}

/* Copy src (following symlinks) to dst, atomically, mode kept. */
static int copy_file(const char *src, const char *dst) {
        _cleanup_close_ int in = -EBADF, out = -EBADF;
        char tmp[PATH_MAX], buf[1 << 16];
        struct stat st;
        ssize_t k;
        int r;

        in = open(src, O_RDONLY | O_CLOEXEC);
        if (in < 0 || fstat(in, &st) < 0)
                return -errno;
        r = mkdir_parents(dst);
        if (r < 0)
                return r;
        if ((size_t) snprintf(tmp, sizeof(tmp), "%s.tmp~", dst) >= sizeof(tmp))
                return -ENAMETOOLONG;
        out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 07755);
        if (out < 0)
                return -errno;
        while ((k = read(in, buf, sizeof(buf))) > 0)
                if (write(out, buf, (size_t) k) != k)
                        return unlink(tmp), -EIO;
        if (k < 0 || fchmod(out, st.st_mode & 0755) < 0 || rename(tmp, dst) < 0) {
                r = -errno;
                (void) unlink(tmp);
                return r;
        }
        return 0;
}

static int write_file(const char *path, const char *text, struct stat *ret_st) {
        _cleanup_close_ int fd = -EBADF;
        char tmp[PATH_MAX];
        size_t n = strlen(text);

        if ((size_t) snprintf(tmp, sizeof(tmp), "%s.tmp~", path) >= sizeof(tmp))
                return -ENAMETOOLONG;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        if (write(fd, text, n) != (ssize_t) n || (ret_st && fstat(fd, ret_st) < 0) || rename(tmp, path) < 0) {
                int r = errno ? -errno : -EIO;
                (void) unlink(tmp);
                return r;
        }
        return 0;
}

static int link_replace(const char *from, const char *to) {
        int r = mkdir_parents(to);
        if (r < 0)
                return r;
        if (unlink(to) < 0 && errno != ENOENT)
                return -errno;
        return link(from, to) < 0 ? -errno : 0;
}

static int symlink_replace(const char *target, const char *at) {
        int r = mkdir_parents(at);
        if (r < 0)
                return r;
        if (unlink(at) < 0 && errno != ENOENT && errno != EISDIR)
                return -errno;
        return symlink(target, at) < 0 ? -errno : 0;
}

/* ---- shared libraries -------------------------------------------------------------------------- */

/* DT_NEEDED names of an ELF file, appended to *needed (deduplicated by the caller). */
static int elf_needed(const char *path, char ***needed) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        Elf *e;
        Elf_Scn *scn = NULL;
        int r = 0;

        if (fd < 0)
                return -errno;
        if (elf_version(EV_CURRENT) == EV_NONE || !(e = elf_begin(fd, ELF_C_READ, NULL)))
                return -EBADMSG;
        while ((scn = elf_nextscn(e, scn)) && r >= 0) {
                GElf_Shdr sh;
                Elf_Data *d;
                if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !(d = elf_getdata(scn, NULL)))
                        continue;
                for (size_t i = 0; sh.sh_entsize && i < sh.sh_size / sh.sh_entsize && r >= 0; i++) {
                        GElf_Dyn dyn;
                        const char *name;
                        if (!gelf_getdyn(d, (int) i, &dyn) || dyn.d_tag != DT_NEEDED)
                                continue;
                        name = elf_strptr(e, sh.sh_link, dyn.d_un.d_val);
                        if (name)
                                r = strv_extend(needed, name);
                }
        }
        elf_end(e);
        return r;
}

static bool strv_contains(char *const *l, const char *s) {
        for (; l && *l; l++)
                if (streq(*l, s))
                        return true;
        return false;
}

/* Copy every library the programs in todo need (transitively) into native/host-lib. */
static int copy_libraries(const char *host_root, const char *libdir, char **todo, size_t *ret_n) {
        _cleanup_strv_free_ char **done = NULL, **needed = NULL;
        char src[PATH_MAX], dst[PATH_MAX];
        size_t n = 0;
        int r;

        for (size_t i = 0; todo && todo[i]; i++) {
                r = elf_needed(todo[i], &needed);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; needed && needed[i]; i++) {
                bool found = false;
                if (strv_contains(done, needed[i]))
                        continue;
                for (size_t d = 0; d < ELEMENTSOF(host_lib_dirs) && !found; d++) {
                        char dir[PATH_MAX];
                        if (path_join(dir, sizeof(dir), host_root, host_lib_dirs[d]) < 0 ||
                            path_join(src, sizeof(src), dir, needed[i]) < 0)
                                return -ENAMETOOLONG;
                        found = access(src, R_OK) == 0;
                }
                if (!found)
                        return -ENOENT;
                if (path_join(dst, sizeof(dst), libdir, needed[i]) < 0)
                        return -ENAMETOOLONG;
                r = copy_file(src, dst);
                if (r < 0)
                        return r;
                r = strv_extend(&done, needed[i]);
                if (r >= 0)
                        r = elf_needed(src, &needed); /* appends: the loop reaches them */
                if (r < 0)
                        return r;
                n++;
        }
        *ret_n = n;
        return 0;
}

/* ---- install ----------------------------------------------------------------------------------- */

typedef struct Ctx {
        const AccelInstall *o;
        char native[PATH_MAX];     /* ROOT/.archway/native */
        char launcher[PATH_MAX];   /* NATIVE/libexec/archway-twin-launch: the hard-link source */
        char **programs;           /* copied host programs, for the library scan */
        AccelResult *res;
} Ctx;

static void _printf_(3, 4) note(char *buf, size_t size, const char *fmt, ...) {
        size_t n = strlen(buf);
        va_list ap;

        if (n >= size)
                return;
        va_start(ap, fmt);
        vsnprintf(buf + n, size - n, fmt, ap);
        va_end(ap);
}

/* Copy one host program to NATIVE/real/<path> and hard-link the launcher at NATIVE/<path>. */
static int twin_program(Ctx *c, const char *host_rel, const char *as_rel) {
        char src[PATH_MAX], real[PATH_MAX], rel[PATH_MAX], at[PATH_MAX];
        int r;

        if (path_join(src, sizeof(src), c->o->host_root, host_rel) < 0 ||
            path_join(rel, sizeof(rel), "real", as_rel) < 0 ||
            path_join(real, sizeof(real), c->native, rel) < 0 || path_join(at, sizeof(at), c->native, as_rel) < 0)
                return -ENAMETOOLONG;
        r = copy_file(src, real);
        if (r < 0)
                return r;
        r = link_replace(c->launcher, at);
        if (r < 0)
                return r;
        c->res->n_programs++;
        return strv_contains(c->programs, real) ? 0 : strv_extend(&c->programs, real);
}

/* The root's program: exists, and its build-id (the rule's key). Returns 1 found, 0 absent. */
static int target_identify(const Ctx *c, const AccelTool *t, AccelRule *rule) {
        char path[PATH_MAX];
        _cleanup_close_ int fd = -EBADF;
        ElfId id;

        if (path_join(path, sizeof(path), c->o->root, t->target) < 0)
                return -ENAMETOOLONG;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (elf_id_from_fd(fd, 0, &id) < 0 || id.build_id_size == 0)
                return -EBADMSG; /* a rule without identity could route a user's own program */
        memcpy(rule->build_id, id.build_id, id.build_id_size);
        rule->build_id_size = id.build_id_size;
        return 1;
}

static int read_text(const char *path, char **ret, size_t *ret_len) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");

        if (!f)
                return -errno;
        return read_full_stream(f, ret, ret_len);
}

/* The version a program states about itself: the text after marker up to ')' or NUL, e.g. gcc's
 * "(Debian 12.2.0-14+deb12u1)" or binutils' "(GNU Binutils for Debian) 2.40". */
static int binary_version(const char *path, const char *marker, char *ret, size_t size) {
        _cleanup_free_ char *text = NULL;
        const char *p, *e;
        size_t n;
        int r;

        r = read_text(path, &text, &n);
        if (r < 0)
                return r;
        p = memmem(text, n, marker, strlen(marker));
        if (!p)
                return -ESRCH;
        p += strlen(marker);
        for (e = p; e < text + n && *e && *e != ')' && *e != ' ' && *e != '\n'; e++)
                ;
        if ((size_t) (e - p) + 1 > size || e == p)
                return -ESRCH;
        memcpy(ret, p, (size_t) (e - p));
        ret[e - p] = 0;
        return 0;
}

static int dpkg_version(const char *root, const char *pkg, char *ret, size_t size) {
        _cleanup_free_ char *status = NULL;
        char path[PATH_MAX];
        size_t n;
        int r;

        if (path_join(path, sizeof(path), root, "var/lib/dpkg/status") < 0)
                return -ENAMETOOLONG;
        r = read_text(path, &status, &n);
        return r < 0 ? r : accel_dpkg_version(status, n, pkg, ret, size);
}

static int program_version(const char *root, const char *program, char *ret, size_t size) {
        static const char *const markers[] = { "(Debian ", "(GNU Binutils for Debian) " };
        char path[PATH_MAX];

        if (path_join(path, sizeof(path), root, program) < 0)
                return -ENAMETOOLONG;
        for (size_t i = 0; i < ELEMENTSOF(markers); i++)
                if (binary_version(path, markers[i], ret, size) >= 0)
                        return 0;
        return -ESRCH;
}

/* Versions of the tool's target package (in the root) and twin package (on the host). */
static int tool_versions(const Ctx *c, const AccelTool *t, AccelRule *rule) {
        char tv[128], hv[128];
        int r;

        /* Both sides from dpkg's records, else both from what the programs say (an extracted root,
         * mmdebstrap --variant=extract, has no dpkg records). */
        if ((dpkg_version(c->o->root, t->package, tv, sizeof(tv)) < 0 ||
             dpkg_version(c->o->host_root, t->host_package, hv, sizeof(hv)) < 0) &&
            (program_version(c->o->root, t->target, tv, sizeof(tv)) < 0 ||
             program_version(c->o->host_root, t->host, hv, sizeof(hv)) < 0)) {
                note(c->res->skipped_why, sizeof(c->res->skipped_why), "/%s: version unknown; ", t->target);
                return -ESRCH;
        }
        r = accel_version_check(t->source, hv, tv, &rule->extra_unless_arg, &rule->extra_why);
        if (r < 0)
                note(c->res->skipped_why, sizeof(c->res->skipped_why), "/%s: twin %s, target %s; ", t->target, hv, tv);
        else if (rule->extra_why && !strstr(c->res->version_notes, rule->extra_why))
                note(c->res->version_notes, sizeof(c->res->version_notes), "%s; ", rule->extra_why);
        return r;
}

/* The twin driver's private directory: specs, the root's own target files, include-fixed. */
static int gcc_private_dir(Ctx *c) {
        const AccelPlatform *p = c->o->platform;
        _cleanup_free_ char *specs = NULL;
        char dir[PATH_MAX], rootdir[PATH_MAX], rel[PATH_MAX], at[PATH_MAX], target[PATH_MAX];
        DIR *d;
        struct dirent *de;
        int r;

        snprintf(rel, sizeof(rel), "usr/lib/gcc-cross/%s/%s", p->triple, p->gcc_major);
        if (path_join(dir, sizeof(dir), c->native, rel) < 0)
                return -ENAMETOOLONG;
        snprintf(target, sizeof(target), "/usr/lib/gcc/%s/%s", p->triple, p->gcc_major);
        if (path_join(rootdir, sizeof(rootdir), c->o->root, target) < 0)
                return -ENAMETOOLONG;
        d = opendir(rootdir);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                bool skip = de->d_name[0] == '.';
                for (size_t i = 0; i < ELEMENTSOF(gcc_private_skip) && !skip; i++)
                        skip = streq(de->d_name, gcc_private_skip[i]);
                if (skip)
                        continue;
                char ln[PATH_MAX * 2];
                snprintf(ln, sizeof(ln), "%s/%s", target, de->d_name);
                if (path_join(at, sizeof(at), dir, de->d_name) < 0 || (r = symlink_replace(ln, at)) < 0) {
                        closedir(d);
                        return r < 0 ? r : -ENAMETOOLONG;
                }
        }
        closedir(d);
        /* The cross cc1 has no /usr/local/include; its include-fixed sits where the native one has it. */
        if (path_join(at, sizeof(at), dir, "include-fixed") < 0)
                return -ENAMETOOLONG;
        r = symlink_replace("/usr/local/include", at);
        if (r < 0)
                return r;
        snprintf(rel, sizeof(rel), "usr/lib/gcc-cross/%s/%s/liblto_plugin.so", p->triple, p->gcc_major);
        if (path_join(target, sizeof(target), c->o->host_root, rel) < 0 || path_join(at, sizeof(at), c->native, rel) < 0)
                return -ENAMETOOLONG;
        r = copy_file(target, at);
        if (r < 0 || (r = strv_extend(&c->programs, at)) < 0)
                return r;
        r = accel_specs_patch(c->o->specs, p, &specs);
        if (r < 0)
                return r;
        if (path_join(at, sizeof(at), dir, "specs") < 0)
                return -ENAMETOOLONG;
        return write_file(at, specs, NULL);
}

/* One tool: twin it when both sides have it. Returns 1 with a rule to write, 0 skipped/no rule. */
static int tool_install(Ctx *c, const AccelTool *t, AccelRule *rule) {
        const AccelPlatform *p = c->o->platform;
        char host[PATH_MAX], rel[PATH_MAX];
        int r;

        *rule = (AccelRule) { .tool = t };
        if (path_join(host, sizeof(host), c->o->host_root, t->host) < 0)
                return -ENAMETOOLONG;
        r = target_identify(c, t, rule);
        if (r < 0)
                return r;
        if (r == 0 || access(host, X_OK) < 0) {
                c->res->n_skipped++;
                note(c->res->skipped_why, sizeof(c->res->skipped_why), "/%s: %s; ", t->target,
                     r == 0 ? "not in the root" : "no host twin (install the cross package)");
                return 0;
        }
        /* Helpers come from the same source package as the driver that starts them: its check counts. */
        r = t->role == ACCEL_ROLE_HELPER ? 0 : tool_versions(c, t, rule);
        if (r < 0)
                return r == -ESRCH ? (c->res->n_skipped++, 0) : r;
        r = twin_program(c, t->host, t->host);
        if (r < 0)
                return r;
        if (t->argv0[0]) {
                /* gcc finds its prefix from argv[0]: a hard link of the launcher under that name, and
                 * the real program under the same name for the launcher to find. */
                snprintf(rel, sizeof(rel), "usr/bin/%s", t->argv0);
                r = twin_program(c, t->host, rel);
                if (r < 0)
                        return r;
        }
        if (t->tooldir[0]) {
                snprintf(rel, sizeof(rel), "usr/%s/bin/%s", p->triple, t->tooldir);
                r = twin_program(c, t->host, rel);
                if (r < 0)
                        return r;
                if (streq(t->tooldir, "ld")) {
                        snprintf(rel, sizeof(rel), "usr/%s/bin/ld.bfd", p->triple);
                        r = twin_program(c, t->host, rel);
                        if (r < 0)
                                return r;
                }
        }
        return t->role != ACCEL_ROLE_HELPER;
}

static int write_routes(const Ctx *c, const AccelRule *rules, size_t n) {
        _cleanup_free_ char *text = NULL, *idx = NULL;
        char conf_path[PATH_MAX], idx_path[PATH_MAX];
        struct stat st;
        size_t size;
        RoutesError err = {};
        int r;

        r = accel_routes_format(c->o->platform, rules, n, &text);
        if (r < 0)
                return r;
        if (path_join(conf_path, sizeof(conf_path), c->o->root, ACCEL_ROUTES_CONF) < 0 ||
            path_join(idx_path, sizeof(idx_path), c->o->root, ACCEL_ROUTES_IDX) < 0)
                return -ENAMETOOLONG;
        r = write_file(conf_path, text, &st);
        if (r < 0)
                return r;
        r = routes_compile(text, strlen(text), (uint64_t) st.st_size,
                           (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec, NULL, 0, &size, &err);
        if (r != -ENOBUFS && r < 0)
                return r;
        idx = malloc(size);
        if (!idx)
                return -ENOMEM;
        r = routes_compile(text, strlen(text), (uint64_t) st.st_size,
                           (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec, idx, size, &size, &err);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = -EBADF;
        char tmp[PATH_MAX + 8];
        snprintf(tmp, sizeof(tmp), "%s.tmp~", idx_path);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        if (write(fd, idx, size) != (ssize_t) size || rename(tmp, idx_path) < 0) {
                r = errno ? -errno : -EIO;
                (void) unlink(tmp);
                return r;
        }
        return 0;
}

static int install_base(Ctx *c) {
        char path[PATH_MAX], loader[PATH_MAX];
        int r;

        if (path_join(c->native, sizeof(c->native), c->o->root, ACCEL_NATIVE_DIR) < 0 ||
            path_join(c->launcher, sizeof(c->launcher), c->native, "libexec/archway-twin-launch") < 0)
                return -ENAMETOOLONG;
        r = copy_file(c->o->launcher, c->launcher);
        if (r < 0)
                return r;
        if (path_join(path, sizeof(path), c->native, "host-lib/" ACCEL_HOST_LOADER) < 0 ||
            path_join(loader, sizeof(loader), c->o->host_root, "lib64/" ACCEL_HOST_LOADER) < 0)
                return -ENAMETOOLONG;
        return copy_file(loader, path);
}

int accel_install(const AccelInstall *o, AccelResult *ret) {
        AccelTool tools[32];
        AccelRule rules[32];
        AccelResult res = {};
        Ctx c = { .o = o, .res = &res };
        char libdir[PATH_MAX];
        size_t n_tools, n_rules = 0;
        int r;

        n_tools = accel_tools(o->platform, tools, ELEMENTSOF(tools));
        r = install_base(&c);
        for (size_t i = 0; i < n_tools && r >= 0; i++) {
                r = tool_install(&c, &tools[i], &rules[n_rules]);
                if (r > 0)
                        n_rules++;
        }
        if (r >= 0 && n_rules == 0)
                r = -ESRCH;
        if (r >= 0)
                r = gcc_private_dir(&c);
        if (r >= 0 && path_join(libdir, sizeof(libdir), c.native, "host-lib") < 0)
                r = -ENAMETOOLONG;
        if (r >= 0)
                r = copy_libraries(o->host_root, libdir, c.programs, &res.n_libraries);
        if (r >= 0)
                r = write_routes(&c, rules, n_rules);
        strv_free(c.programs);
        if (r < 0)
                return r;
        res.n_rules = n_rules;
        *ret = res;
        return 0;
}

static int rm_rf_at(int dfd, const char *name) {
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (fd < 0)
                return unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        TAKE_FD(fd);
        while ((de = readdir(d)) && r >= 0)
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        r = rm_rf_at(dirfd(d), de->d_name);
        closedir(d);
        if (r >= 0 && unlinkat(dfd, name, AT_REMOVEDIR) < 0)
                r = -errno;
        return r;
}

int accel_remove(const char *root) {
        char path[PATH_MAX];
        int r;

        if (path_join(path, sizeof(path), root, ACCEL_NATIVE_DIR) < 0)
                return -ENAMETOOLONG;
        r = rm_rf_at(AT_FDCWD, path);
        if (r < 0)
                return r;
        for (const char *f = ACCEL_ROUTES_CONF; f; f = streq(f, ACCEL_ROUTES_CONF) ? ACCEL_ROUTES_IDX : NULL) {
                if (path_join(path, sizeof(path), root, f) < 0)
                        return -ENAMETOOLONG;
                if (unlink(path) < 0 && errno != ENOENT)
                        return -errno;
        }
        return 0;
}
