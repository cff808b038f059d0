/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Native twins installed into a root (accel_install(), accel_remove()): the host's cross tools and
 * the libraries they need copied under ROOT/.archway/native, the launcher linked beside them, and the
 * routes (routes.conf and its compiled index) that send the root's compilers there. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "accel.h"
#include "file-util.h"
#include "macro.h"
#include "openat-resolve.h"
#include "routes.h"
#include "strv.h"

/* Not linked from the root's gcc directory: programs, and the x86 plugin we copy instead. */
static const char *const gcc_private_skip[] = {
        "cc1", "cc1plus", "collect2", "lto1", "lto-wrapper", "liblto_plugin.so", "plugin",
        "g++-mapper-server", "specs", "include", "include-fixed",
};

/* Host libraries: where DT_NEEDED names are looked up (Debian multiarch, merged /usr). */
static const char *const host_lib_dirs[] = {
        "lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64", "usr/lib",
};

/* ---- files ------------------------------------------------------------------------------------- */

static int path_join(char *buf, size_t size, const char *a, const char *b) {
        size_t n = (size_t) snprintf(buf, size, "%s/%s", a, b[0] == '/' ? b + 1 : b);
        return n < size ? 0 : -ENAMETOOLONG;
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
        r = mkdir_parents(dst, 0755);
        if (r < 0)
                return r;
        if ((size_t) snprintf(tmp, sizeof(tmp), "%s.tmp~", dst) >= sizeof(tmp))
                return -ENAMETOOLONG;
        /* Never through what is there already (a symlink named after ours): made new, or refused. */
        if (unlink(tmp) < 0 && errno != ENOENT)
                return -errno;
        out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 07755);
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
        return write_file_atomic(AT_FDCWD, path, text, strlen(text), 0644, ret_st);
}

static int link_replace(const char *from, const char *to) {
        int r = mkdir_parents(to, 0755);
        if (r < 0)
                return r;
        if (unlink(to) < 0 && errno != ENOENT)
                return -errno;
        return link(from, to) < 0 ? -errno : 0;
}

static int symlink_replace(const char *target, const char *at) {
        int r = mkdir_parents(at, 0755);
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
                /* A library's name, not a path: joined onto directories of the host and the tree. */
                if (strchr(needed[i], '/') || needed[i][0] == '.' || !needed[i][0])
                        return -EBADMSG;
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
        int root_fd, host_fd;      /* o->root and o->host_root: what is read from them resolves inside */
        char native[PATH_MAX];     /* ROOT/.archway/native */
        char launcher[PATH_MAX];   /* NATIVE/libexec/archway-twin-launch: the hard-link source */
        char **programs;           /* copied host programs, for the library scan */
        char compiler_dir[PATH_MAX]; /* a version-exact cc1/cc1plus/lto1 for the root's gcc, or "" */
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

/* Copy one host program (or from_path, when given) to NATIVE/real/<path> and hard-link the launcher at
 * NATIVE/<path>. */
static int twin_program_from(Ctx *c, const char *from_path, const char *host_rel, const char *as_rel) {
        char src[PATH_MAX], real[PATH_MAX], rel[PATH_MAX], at[PATH_MAX];
        int r;

        if ((from_path ? snprintf(src, sizeof(src), "%s", from_path) < 0 :
                         path_join(src, sizeof(src), c->o->host_root, host_rel) < 0) ||
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

static int twin_program(Ctx *c, const char *host_rel, const char *as_rel) {
        return twin_program_from(c, NULL, host_rel, as_rel);
}

/* Compilers' binaries are read whole to find their version strings; cc1 is about 30 MiB. */
#define TOOL_FILE_MAX (256u * 1024 * 1024)

/* path (absolute or not) below the tree of dir_fd, resolved as if that tree were "/": an absolute
 * symlink in the root is the root's own path, never the host's. Returns the fd or -errno. */
static int open_in(int dir_fd, const char *path, int flags) {
        while (*path == '/')
                path++;
        return openat_resolve(dir_fd, *path ? path : ".", flags, 0, RESOLVE_IN_ROOT);
}

/* A whole file of the tree of dir_fd (open_in()), at most TOOL_FILE_MAX bytes. */
static int read_in(int dir_fd, const char *path, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = open_in(dir_fd, path, O_RDONLY);

        return fd < 0 ? fd : read_fd(fd, TOOL_FILE_MAX, ret, ret_size);
}

/* The root's program: exists, and its build-id (the rule's key). Returns 1 found, 0 absent, -ELOOP
 * when it is a symlink (busybox's applets, alternatives): the file it leads to is another program
 * (the rule would route all of busybox), or this one under its own name, which has its own row.
 * The path resolves as inside the root, whatever its symlinks say. */
static int target_identify(const Ctx *c, const AccelTool *t, AccelRule *rule) {
        _cleanup_close_ int fd = open_in(c->root_fd, t->target, O_RDONLY | O_NOFOLLOW);
        ElfId id;

        if (fd == -ENOENT || fd == -ENOTDIR)
                return 0;
        if (fd < 0)
                return fd;
        if (elf_id_from_fd(fd, 0, &id) < 0 || id.build_id_size == 0)
                return -EBADMSG; /* a rule without identity could route a user's own program */
        memcpy(rule->build_id, id.build_id, id.build_id_size);
        rule->build_id_size = id.build_id_size;
        return 1;
}

/* The version a program states about itself: the text after marker up to ')' or NUL, e.g. gcc's
 * "(Debian 12.2.0-14+deb12u1)" or binutils' "(GNU Binutils for Debian) 2.40". */
static int binary_version(int dir_fd, const char *path, const char *marker, char *ret, size_t size) {
        _cleanup_free_ char *text = NULL;
        const char *p, *e;
        size_t n;
        int r;

        r = read_in(dir_fd, path, &text, &n);
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
        return accel_version_valid(ret) ? 0 : -EBADMSG;
}

static int dpkg_version(int dir_fd, const char *pkg, char *ret, size_t size) {
        _cleanup_free_ char *status = NULL;
        size_t n;
        int r;

        r = read_in(dir_fd, "var/lib/dpkg/status", &status, &n);
        if (r >= 0)
                r = accel_dpkg_version(status, n, pkg, ret, size);
        return r < 0 ? r : accel_version_valid(ret) ? 0 : -EBADMSG;
}

static int program_version(int dir_fd, const char *program, char *ret, size_t size) {
        static const char *const markers[] = { "(Debian ", "(GNU Binutils for Debian) " };

        for (size_t i = 0; i < ELEMENTSOF(markers); i++)
                if (binary_version(dir_fd, program, markers[i], ret, size) >= 0)
                        return 0;
        return -ESRCH;
}

/* The source version a package's changelog.Debian.gz (changelog.gz: a native package, dpkg) starts with
 * ("sed (4.9-1) unstable; ..."): what an extracted root without dpkg records still tells. */
static int changelog_version(int dir_fd, const char *pkg, char *ret, size_t size) {
        char path[PATH_MAX], line[256], *open_paren, *close_paren;
        gzFile f = NULL;
        bool ok;

        static const char *const names[] = { "changelog.Debian.gz", "changelog.gz" };

        for (size_t i = 0; i < ELEMENTSOF(names) && !f; i++) {
                int fd;

                if ((size_t) snprintf(path, sizeof(path), "usr/share/doc/%s/%s", pkg, names[i]) >= sizeof(path))
                        return -ENAMETOOLONG;
                fd = open_in(dir_fd, path, O_RDONLY);
                if (fd >= 0 && !(f = gzdopen(fd, "rb")))
                        close(fd);
        }
        if (!f)
                return -ENOENT;
        ok = gzgets(f, line, sizeof(line)) != NULL;
        gzclose(f);
        if (!ok || !(open_paren = strchr(line, '(')) || !(close_paren = strchr(open_paren, ')')) ||
            (size_t) (close_paren - open_paren) > size || close_paren == open_paren + 1)
                return -EBADMSG;
        memcpy(ret, open_paren + 1, (size_t) (close_paren - open_paren - 1));
        ret[close_paren - open_paren - 1] = 0;
        return accel_version_valid(ret) ? 0 : -EBADMSG;
}

/* A binary rebuild ("+b1") has the source version of its source: that is what decides behaviour. */
static void version_drop_binnmu(char *v) {
        char *b = strstr(v, "+b");

        if (b && b[2] && strspn(b + 2, "0123456789") == strlen(b + 2))
                *b = 0;
}

/* A package's version in the root: dpkg's records, else (an extracted root) its changelog. */
static int root_package_version(const Ctx *c, const char *pkg, char *ret, size_t size) {
        if (dpkg_version(c->root_fd, pkg, ret, size) >= 0)
                return 0;
        return changelog_version(c->root_fd, pkg, ret, size);
}

/* A package's source version in the root (dpkg's records, else its changelog: an extracted root) and
 * on the host (dpkg's records), binary rebuilds dropped. Returns 0 when they are equal, else -ESRCH
 * with the reason noted for the tool at path. */
static int package_versions_equal(const Ctx *c, const char *path, const char *pkg, const char *host_pkg) {
        char tv[128], hv[128];

        if (root_package_version(c, pkg, tv, sizeof(tv)) < 0 || dpkg_version(c->host_fd, host_pkg, hv, sizeof(hv)) < 0) {
                note(c->res->skipped_why, sizeof(c->res->skipped_why), "/%s: %s version unknown; ", path, pkg);
                return -ESRCH;
        }
        version_drop_binnmu(tv);
        version_drop_binnmu(hv);
        if (!streq(tv, hv)) {
                note(c->res->skipped_why, sizeof(c->res->skipped_why), "/%s: %s host %s, root %s; ", path, pkg, hv, tv);
                return -ESRCH;
        }
        return 0;
}

/* A tool built from the root's exact source version (scripts/build-twin-tools): its cache entry
 * <built>-<version>-<triple> with a manifest naming that version and recipe. The program's path into
 * ret_from. Returns 0, or -ESRCH (noted: which build is missing and how to make it). */
static int built_tool_find(const Ctx *c, const AccelTool *t, char *ret_from, size_t size) {
        _cleanup_free_ char *manifest = NULL;
        char tv[128], dir[PATH_MAX], path[PATH_MAX], want[160];
        size_t n;

        if (root_package_version(c, t->package, tv, sizeof(tv)) < 0) {
                note(c->res->skipped_why, sizeof(c->res->skipped_why), "/%s: %s version unknown; ", t->target, t->package);
                return -ESRCH;
        }
        version_drop_binnmu(tv);
        snprintf(want, sizeof(want), "\nversion=%s\n", tv);
        if (!c->o->tool_cache || (size_t) snprintf(dir, sizeof(dir), "%s/%s-%s-%s", c->o->tool_cache, t->built, tv,
                                                    c->o->platform->triple) >= sizeof(dir) ||
            path_join(path, sizeof(path), dir, "manifest") < 0 || read_file(path, 64 * 1024, &manifest, &n) < 0 ||
            !strstr(manifest, want) || !strstr(manifest, "\nrecipe=" ACCEL_TOOL_RECIPE "\n") ||
            path_join(ret_from, size, dir, strrchr(t->host, '/') + 1) < 0 || access(ret_from, X_OK) < 0) {
                note(c->res->skipped_why, sizeof(c->res->skipped_why),
                     "/%s: no %s built from %s %s in %s (scripts/build-twin-tools); ", t->target, t->built,
                     t->package, tv, c->o->tool_cache ?: "(no cache)");
                return -ESRCH;
        }
        note(c->res->built, sizeof(c->res->built), "/%s from %s; ", t->target, dir);
        return 0;
}

/* A build tool: the same Debian source version on both sides, its output libraries too; or, for a tool
 * that compiles the machine in, a build of the root's version (its path into ret_from). */
static int build_tool_version(const Ctx *c, const AccelTool *t, char *ret_from, size_t size) {
        const char *lib;
        int r;

        if (t->built[0])
                return built_tool_find(c, t, ret_from, size);
        r = package_versions_equal(c, t->target, t->package, t->host_package);
        for (size_t i = 0; r >= 0 && (lib = accel_tool_library(t, i)); i++)
                r = package_versions_equal(c, t->target, lib, lib);
        return r;
}

/* Versions of the tool's target package (in the root) and twin package (on the host). */
static int tool_versions(const Ctx *c, const AccelTool *t, AccelRule *rule, char *ret_from, size_t size) {
        char tv[128], hv[128];
        int r;

        if (t->role == ACCEL_ROLE_TOOL)
                return build_tool_version(c, t, ret_from, size);

        /* Both sides from dpkg's records, else both from what the programs say (an extracted root,
         * mmdebstrap --variant=extract, has no dpkg records). */
        if ((dpkg_version(c->root_fd, t->package, tv, sizeof(tv)) < 0 ||
             dpkg_version(c->host_fd, t->host_package, hv, sizeof(hv)) < 0) &&
            (program_version(c->root_fd, t->target, tv, sizeof(tv)) < 0 ||
             program_version(c->host_fd, t->host, hv, sizeof(hv)) < 0)) {
                note(c->res->skipped_why, sizeof(c->res->skipped_why), "/%s: version unknown; ", t->target);
                return -ESRCH;
        }
        r = accel_version_check(t->source, hv, tv, c->compiler_dir[0] && strneq(t->source, "gcc-", 4),
                                &rule->extra_unless_arg, &rule->extra_why);
        if (r < 0)
                note(c->res->skipped_why, sizeof(c->res->skipped_why), "/%s: twin %s, target %s; ", t->target, hv, tv);
        else if (rule->extra_why && !strstr(c->res->version_notes, rule->extra_why))
                note(c->res->version_notes, sizeof(c->res->version_notes), "%s; ", rule->extra_why);
        return r < 0 ? r : 0;
}

/* A twinned cc1plus gets its standard C++ directories from the launcher (accel_cxx_include_env()). */
static int cxx_include_env(const Ctx *c) {
        const AccelPlatform *p = c->o->platform;
        char rel[PATH_MAX], at[PATH_MAX], text[PATH_MAX];
        int r;

        snprintf(rel, sizeof(rel), "real/usr/lib/gcc-cross/%s/%s/cc1plus", p->triple, p->gcc_major);
        if (path_join(at, sizeof(at), c->native, rel) < 0)
                return -ENAMETOOLONG;
        if (access(at, F_OK) < 0)
                return 0; /* no cc1plus in the root, so none twinned */
        r = accel_cxx_include_env(p, text, sizeof(text));
        if (r < 0 || strlen(at) + strlen(".include-env") >= sizeof(at))
                return r < 0 ? r : -ENAMETOOLONG;
        strcat(at, ".include-env");
        return write_file(at, text, NULL);
}

/* The twin driver's private directory: specs, the root's own target files, include-fixed. */
static int gcc_private_dir(Ctx *c) {
        const AccelPlatform *p = c->o->platform;
        _cleanup_free_ char *specs = NULL;
        char dir[PATH_MAX], rel[PATH_MAX], at[PATH_MAX], target[PATH_MAX];
        DIR *d;
        struct dirent *de;
        int r, fd;

        snprintf(rel, sizeof(rel), "usr/lib/gcc-cross/%s/%s", p->triple, p->gcc_major);
        if (path_join(dir, sizeof(dir), c->native, rel) < 0)
                return -ENAMETOOLONG;
        snprintf(target, sizeof(target), "/usr/lib/gcc/%s/%s", p->triple, p->gcc_major);
        fd = open_in(c->root_fd, target, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
                return fd;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }
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
        r = write_file(at, specs, NULL);
        return r < 0 ? r : cxx_include_env(c);
}

/* The version-exact compiler's copy of a compiler-proper helper (into buf), or NULL: the host's. */
static const char *helper_override(const Ctx *c, const AccelTool *t, char *buf, size_t size) {
        const char *name = strrchr(t->host, '/') + 1;

        if (t->role != ACCEL_ROLE_HELPER || !c->compiler_dir[0])
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(accel_compiler_proper); i++)
                if (streq(name, accel_compiler_proper[i]))
                        return path_join(buf, size, c->compiler_dir, name) < 0 ? NULL : buf;
        return NULL;
}

/* The root's gcc version, and a compiler proper built from exactly it in o->compiler_cache: its
 * manifest says version=<that version> and it has every program of accel_compiler_proper. Sets
 * c->compiler_dir, or leaves it empty (then the host's cc1 & co. are used, with the table's
 * conditions). */
static void find_compiler_proper(Ctx *c) {
        const AccelPlatform *p = c->o->platform;
        _cleanup_free_ char *manifest = NULL;
        char pkg[64], driver[PATH_MAX], tv[128], name[256], dir[PATH_MAX], path[PATH_MAX], want[160];
        size_t n;

        c->compiler_dir[0] = 0;
        if (!c->o->compiler_cache)
                return;
        snprintf(pkg, sizeof(pkg), "gcc-%s", p->gcc_major);
        snprintf(driver, sizeof(driver), "usr/bin/%s-gcc-%s", p->triple, p->gcc_major);
        if (dpkg_version(c->root_fd, pkg, tv, sizeof(tv)) < 0 && program_version(c->root_fd, driver, tv, sizeof(tv)) < 0)
                return;
        if (accel_compiler_dir_name(tv, p, name, sizeof(name)) < 0 ||
            path_join(dir, sizeof(dir), c->o->compiler_cache, name) < 0 ||
            path_join(path, sizeof(path), dir, ACCEL_COMPILER_MANIFEST) < 0 ||
            read_file(path, 64 * 1024, &manifest, &n) < 0)
                return;
        snprintf(want, sizeof(want), "\nversion=%s\n", tv);
        /* The manifest starts with a comment line, so every key=value line follows a newline. */
        if (!strstr(manifest, want) || !strstr(manifest, "\nrecipe=" ACCEL_COMPILER_RECIPE "\n"))
                return;
        for (size_t i = 0; i < ELEMENTSOF(accel_compiler_proper); i++)
                if (path_join(path, sizeof(path), dir, accel_compiler_proper[i]) < 0 || access(path, X_OK) < 0)
                        return;
        snprintf(c->compiler_dir, sizeof(c->compiler_dir), "%s", dir);
        snprintf(c->res->compiler_proper, sizeof(c->res->compiler_proper), "%.300s (gcc-%s %.100s)", dir, p->gcc_major, tv);
}

/* A root with target code the tool would load in-process (bash's loadable builtins): 1 (noted), no twin. */
static int loadables_veto(Ctx *c, const AccelTool *t) {
        _cleanup_close_ int fd = open_in(c->root_fd, accel_tool_loadables_dir(t), O_PATH);

        if (fd < 0)
                return fd == -ENOENT || fd == -ENOTDIR ? 0 : fd;
        note(c->res->skipped_why, sizeof(c->res->skipped_why), "/%s: the root has /%s (target code it would load); ",
             t->target, accel_tool_loadables_dir(t));
        return 1;
}

/* One tool: twin it when both sides have it. Returns 1 with a rule to write, 0 skipped/no rule. */
static int tool_install(Ctx *c, const AccelTool *t, AccelRule *rule) {
        const AccelPlatform *p = c->o->platform;
        char host[PATH_MAX], rel[PATH_MAX], built[PATH_MAX] = "";
        int r;

        *rule = (AccelRule) { .tool = t };
        if (path_join(host, sizeof(host), c->o->host_root, t->host) < 0)
                return -ENAMETOOLONG;
        r = target_identify(c, t, rule);
        if (r == -ELOOP) {
                c->res->n_skipped++;
                note(c->res->skipped_why, sizeof(c->res->skipped_why), "/%s: a symlink in the root; ", t->target);
                return 0;
        }
        if (r < 0)
                return r;
        if (r == 0 || (!t->built[0] && access(host, X_OK) < 0)) {
                c->res->n_skipped++;
                note(c->res->skipped_why, sizeof(c->res->skipped_why), "/%s: %s; ", t->target,
                     r == 0 ? "not in the root" :
                     t->role == ACCEL_ROLE_TOOL ? "not on the host" : "no host twin (install the cross package)");
                return 0;
        }
        if (accel_tool_loadables_dir(t)) {
                r = loadables_veto(c, t);
                if (r != 0)
                        return r < 0 ? r : (c->res->n_skipped++, 0);
        }
        /* Helpers come from the same source package as the driver that starts them: its check counts. */
        r = t->role == ACCEL_ROLE_HELPER ? 0 : tool_versions(c, t, rule, built, sizeof(built));
        if (r < 0)
                return r == -ESRCH ? (c->res->n_skipped++, 0) : r;
        r = twin_program_from(c, built[0] ? built : helper_override(c, t, host, sizeof(host)), t->host, t->host);
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
        return write_file_atomic(AT_FDCWD, idx_path, idx, size, 0644, NULL);
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

/* "/.archway/native" -> "native": the name below /.archway. */
static const char *in_archway(const char *path) {
        return path + strlen("/.archway/");
}

/* What install writes under the root's /.archway (native/, the routes), removed from archway_fd
 * without following any symlink. */
static int remove_ours(int archway_fd) {
        int r = rm_rf_at(archway_fd, in_archway(ACCEL_NATIVE_DIR));

        if (r < 0)
                return r;
        for (const char *f = ACCEL_ROUTES_CONF; f; f = streq(f, ACCEL_ROUTES_CONF) ? ACCEL_ROUTES_IDX : NULL) {
                r = rm_rf_at(archway_fd, in_archway(f));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The root's /.archway as a directory fd, never through a symlink: an image, or a root from anywhere,
 * may carry /.archway or anything below it as a symlink that leads out of the root, and install
 * runs where the host's files are reachable. With create, a /.archway that is not a directory (a
 * symlink, a file) is replaced by one and what install rewrites is removed, so that every path it
 * then writes below is one it made. Returns the fd, or -ENOENT (without create: nothing of ours). */
static int archway_dir(int rootfd, bool create) {
        int fd, r;

        fd = openat(rootfd, ".archway", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && !create)
                return errno == ELOOP || errno == ENOTDIR ? -ENOENT : -errno;
        if (fd < 0) {
                if (errno != ENOENT && errno != ELOOP && errno != ENOTDIR)
                        return -errno;
                if (unlinkat(rootfd, ".archway", 0) < 0 && errno != ENOENT)
                        return -errno;
                if (mkdirat(rootfd, ".archway", 0755) < 0)
                        return -errno;
                fd = openat(rootfd, ".archway", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0)
                        return -errno;
        }
        r = create ? remove_ours(fd) : 0;
        if (r < 0) {
                close(fd);
                return r;
        }
        return fd;
}

int accel_install(const AccelInstall *o, AccelResult *ret) {
        _cleanup_free_ AccelTool *tools = calloc(ACCEL_TOOLS_MAX, sizeof(AccelTool));
        _cleanup_free_ AccelRule *rules = calloc(ACCEL_TOOLS_MAX, sizeof(AccelRule));
        _cleanup_close_ int archway_fd = -EBADF, root_fd = -EBADF, host_fd = -EBADF;
        AccelResult res = {};
        Ctx c = { .o = o, .res = &res };
        char libdir[PATH_MAX];
        size_t n_tools, n_rules = 0;
        int r;

        if (!tools || !rules)
                return -ENOMEM;
        root_fd = c.root_fd = open(o->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        host_fd = c.host_fd = open(o->host_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0 || host_fd < 0)
                return -errno;
        archway_fd = archway_dir(root_fd, true);
        if (archway_fd < 0)
                return archway_fd;
        n_tools = accel_tools(o->platform, tools, ACCEL_TOOLS_MAX);
        find_compiler_proper(&c);
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

int accel_remove(const char *root) {
        _cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC), fd = -EBADF;

        if (rootfd < 0)
                return -errno;
        fd = archway_dir(rootfd, false);
        if (fd == -ENOENT)
                return 0;
        return fd < 0 ? fd : remove_ours(fd);
}
