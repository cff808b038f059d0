/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* archshim_run(): identify the program binfmt_misc handed us, then route it (native command), emulate
 * it (the engine starts QEMU) or explain in one line why neither can work.
 *
 * Cost on the hot path, a static program with no routes configured: getauxval, one open+pread+fstat
 * of the program (or pread+fstat of AT_EXECFD), one failed open per routes.idx location, and the
 * execve of QEMU. No heap, no stdio: messages are formatted on the stack and written with one
 * write(2). Any failure inside routing falls back to QEMU, which is always correct. */

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "platform.h"
#include "qemu-cpu.h"
#include "routes.h"
#include "shim.h"

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif

#ifndef ARCHWAY_SYSCONFDIR
#define ARCHWAY_SYSCONFDIR "/etc"
#endif

/* Where routes come from, most specific first. "/" is the root the program runs in: inside a chroot
 * or container both paths are that root's files, which is the point of the in-root one. */
static const struct {
        const char *idx, *conf;
} route_sources[] = {
        { "/.archway/routes.idx",                   "/.archway/routes.conf" },
        { ARCHWAY_SYSCONFDIR "/archway/routes.idx", ARCHWAY_SYSCONFDIR "/archway/routes.conf" },
};

/* ---- messages ---------------------------------------------------------------------------------- */

static void say(const char *prefix, const char *fmt, va_list ap) {
        char line[2 * PATH_MAX + 512];
        size_t n = strlen(prefix);
        int k;

        memcpy(line, prefix, n);
        k = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
        if (k < 0)
                return;
        n += (size_t) k < sizeof(line) - n - 1 ? (size_t) k : sizeof(line) - n - 2;
        line[n++] = '\n';
        (void) !write(STDERR_FILENO, line, n);
}

int shim_fail(int status, const char *fmt, ...) {
        va_list ap;
        int saved = errno;

        va_start(ap, fmt);
        errno = saved;
        say("archshim: ", fmt, ap);
        va_end(ap);
        return status;
}

void shim_warn(const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        say("archshim: warning: ", fmt, ap);
        va_end(ap);
}

/* fmt into line (cut to fit) with a newline; returns its length, or -1. */
static int line_vformat(char *line, size_t size, const char *fmt, va_list ap) {
        int k = vsnprintf(line, size - 1, fmt, ap);

        if (k < 0)
                return -1;
        if ((size_t) k > size - 2)
                k = (int) size - 2;
        line[k++] = '\n';
        return k;
}

void shim_print(const char *fmt, ...) {
        char line[2 * PATH_MAX + 512];
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = line_vformat(line, sizeof(line), fmt, ap);
        va_end(ap);
        if (k > 0)
                (void) !write(STDOUT_FILENO, line, (size_t) k);
}

void shim_debug(const ShimEnv *env, const char *fmt, ...) {
        va_list ap;

        if (!env || !env->debug)
                return;
        va_start(ap, fmt);
        say("archshim[debug]: ", fmt, ap);
        va_end(ap);
}

/* ARCHWAY_ACCEL_LOG: one line per program that a rule was about, "twinned PATH EXEC" or "emulated PATH
 * WHY WHAT", tab-separated, appended with one write(2) (O_APPEND: lines of concurrent processes do not
 * interleave). `archway accel report` sums a build's lines up. Failures do not stop the program: it is
 * a report; ARCHWAY_SHIM_DEBUG=1 names them. */
static void accel_log(const ShimEnv *env, const char *fmt, ...) {
        char line[2 * PATH_MAX + 256];
        va_list ap;
        int fd, k;

        if (!env->accel_log)
                return;
        va_start(ap, fmt);
        k = line_vformat(line, sizeof(line), fmt, ap);
        va_end(ap);
        if (k < 0)
                return;
        fd = open(env->accel_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
        /* Never a message without debug (a compiler's stderr is read by configure scripts); with it, the
         * one place that tells why a log stays empty: e.g. a path in BuildKit's read-only /.archway
         * mount (docs/accel.md, "The accel log under BuildKit"). */
        if (fd < 0 || write(fd, line, (size_t) k) != k)
                shim_debug(env, "ARCHWAY_ACCEL_LOG %s: cannot append: %s", env->accel_log, strerror(errno));
        if (fd >= 0)
                (void) close(fd);
}

/* ---- reading and identifying ------------------------------------------------------------------- */

typedef struct Program {
        int fd;                 /* AT_EXECFD or our own O_CLOEXEC fd */
        bool own_fd;
        uint8_t buf[SHIM_READ_SIZE];
        size_t n;               /* bytes in buf */
        ElfId id;
        const PlatformInfo *row;
        char platform[PLATFORM_STRING_MAX];
        char what[96];          /* "static", "dynamic", plus ABI words */
} Program;

static int program_open(const ShimInvocation *inv, Program *p) {
        ssize_t n;

        if (inv->execfd >= 0) {
                p->fd = inv->execfd;
                p->own_fd = false;
        } else {
                p->fd = open(inv->path, O_RDONLY | O_CLOEXEC);
                if (p->fd < 0)
                        return shim_fail(SHIM_EXIT_CANNOT_RUN, "cannot read %s: %m (register with flag O to run "
                                         "programs you may execute but not read)", inv->path);
                p->own_fd = true;
        }
        do
                n = pread(p->fd, p->buf, sizeof(p->buf), 0);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return shim_fail(SHIM_EXIT_CANNOT_RUN, "cannot read %s: %m", inv->path);
        p->n = (size_t) n;
        return 0;
}

static void program_close(Program *p) {
        if (p->own_fd && p->fd >= 0)
                (void) close(p->fd);
        p->fd = -EBADF;
}

static uint64_t file_size(int fd) {
        struct stat st;
        return fstat(fd, &st) < 0 ? UINT64_MAX : (uint64_t) st.st_size;
}

static int identify_failed(const ShimInvocation *inv, Program *p, int r) {
        if (r == -ENOEXEC)
                return shim_fail(SHIM_EXIT_CANNOT_RUN, "%s is not an ELF file (binfmt_misc entry with a wrong magic?)",
                                 inv->path);
        /* We read all there is when the read came short: then EBADMSG means the headers run past the
         * end of the file, i.e. it was cut off (an interrupted download or copy). */
        if (p->n < sizeof(p->buf))
                return shim_fail(SHIM_EXIT_CANNOT_RUN, "%s is truncated (%zu bytes): its ELF headers run past "
                                 "the end of the file", inv->path, p->n);
        return shim_fail(SHIM_EXIT_CANNOT_RUN, "%s is a malformed ELF file (bad header or program header table)",
                         inv->path);
}

static void program_describe(Program *p) {
        const ElfId *id = &p->id;
        const char *abi = "";

        if (id->machine == EM_ARM && id->float_abi != ELF_FLOAT_ABI_UNKNOWN)
                abi = id->float_abi == ELF_FLOAT_ABI_SOFT ? "soft-float, " : "hard-float, ";
        else if (id->machine == EM_MIPS)
                abi = id->mips_abi == ELF_MIPS_ABI_N32 ? "MIPS n32, " :
                      id->mips_abi == ELF_MIPS_ABI_O32 ? "MIPS o32, " : "MIPS n64, ";
        snprintf(p->what, sizeof(p->what), "%s%s", abi, id->dynamic ? "dynamic" : "static");
}

/* Identify: ELF, a platform we know, not cut short. Returns 0 or an exit status (> 0). */
static int program_identify(const ShimInvocation *inv, Program *p) {
        uint64_t need, have;
        Platform pl;
        int r;

        r = elf_id_from_buffer(p->buf, p->n, &p->id);
        if (r < 0)
                return identify_failed(inv, p, r);
        p->row = platform_info_from_elf(&p->id);
        if (!p->row) {
                char line[PATH_MAX + 512];
                shim_unknown_explain(inv->path, &p->id, line, sizeof(line));
                return shim_fail(SHIM_EXIT_CANNOT_RUN, "%s", line);
        }
        platform_from_info(p->row, &pl);
        platform_to_string(&pl, p->platform);
        program_describe(p);
        need = shim_elf_file_extent(p->buf, p->n);
        if (need > p->n && need > (have = file_size(p->fd)))
                return shim_fail(SHIM_EXIT_CANNOT_RUN, "%s is truncated: %" PRIu64 " bytes, but its segments "
                                 "need %" PRIu64 " (an interrupted download or copy?)", inv->path, have, need);
        return 0;
}

/* ---- routing ----------------------------------------------------------------------------------- */

typedef struct Mapped {
        void *p;
        size_t size;
} Mapped;

static void mapped_release(Mapped *m) {
        if (m->p)
                (void) munmap(m->p, m->size);
        *m = (Mapped) {};
}

/* Root-owned and writable by nobody else: the only rules trusted under AT_SECURE. */
static bool trusted(const struct stat *st) {
        return st->st_uid == 0 && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

/* Whether conf (if it exists) is not the text the index was compiled from. Its size and mtime decide
 * when they match the index; else its content does (an image layer keeps whole-second mtimes), read
 * through a mapping: no heap on this path. */
static bool conf_changed(const void *index, const char *conf, const ShimEnv *env) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        void *text;
        int64_t mtime;
        int r;

        fd = open(conf, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || fstat(fd, &st) < 0)
                return false; /* no conf beside it: the index stands alone */
        mtime = (int64_t) st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
        r = routes_index_fresh(index, (uint64_t) st.st_size, mtime, NULL, 0);
        if (r != -ENODATA)
                return r == 0;
        if (!S_ISREG(st.st_mode) || st.st_size <= 0 || (uint64_t) st.st_size > ROUTES_TEXT_MAX)
                return true;
        text = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (text == MAP_FAILED)
                return true;
        r = routes_index_fresh(index, (uint64_t) st.st_size, mtime, text, (size_t) st.st_size);
        (void) munmap(text, (size_t) st.st_size);
        shim_debug(env, "routes %s: mtime differs from the index's, content %s", conf, r > 0 ? "identical" : "differs");
        return r <= 0;
}

/* Map idx if it exists, is sane and is not older than its conf. Returns 1 mapped, 0 none. */
static int index_map(const char *idx, const char *conf, const ShimInvocation *inv, const ShimEnv *env, Mapped *ret) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        void *p;

        fd = open(idx, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                if (errno != ENOENT)
                        shim_debug(env, "routes %s: %m, ignoring", idx);
                else if (env->debug && conf && access(conf, F_OK) == 0)
                        shim_debug(env, "routes %s exists but was never compiled: run archshim --compile-routes %s",
                                   conf, conf);
                return 0;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 || (uint64_t) st.st_size > ROUTES_INDEX_MAX)
                return shim_debug(env, "routes %s: not a regular file of sane size, ignoring", idx), 0;
        if (inv->secure && !trusted(&st))
                return shim_debug(env, "routes %s: not root-owned, ignored for a setuid program", idx), 0;
        p = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED)
                return shim_debug(env, "routes %s: mmap: %m, ignoring", idx), 0;
        *ret = (Mapped) { p, (size_t) st.st_size };
        if (routes_index_check(p, ret->size) < 0) {
                mapped_release(ret);
                return shim_debug(env, "routes %s: corrupt or foreign index, ignoring", idx), 0;
        }
        if (conf && conf_changed(p, conf, env)) {
                mapped_release(ret);
                return shim_debug(env, "routes %s is stale (%s changed): ignoring it until "
                                  "archshim --compile-routes %s", idx, conf, conf), 0;
        }
        return 1;
}

/* The program's path as rules see it, computed once and only when an index exists. */
typedef struct ProgramPath {
        bool done;
        const char *norm;       /* NULL when it cannot be had (no cwd, too long) */
        char buf[PATH_MAX];
} ProgramPath;

/* Paths in rules are absolute and lexical: join a relative one to the cwd, never resolve symlinks
 * (rules that must survive symlinks key on build-id). */
static const char *program_path(const ShimInvocation *inv, ProgramPath *pp) {
        char cwd[PATH_MAX];

        if (pp->done)
                return pp->norm;
        pp->done = true;
        if (inv->path[0] != '/' && !getcwd(cwd, sizeof(cwd)))
                return NULL;
        if (routes_path_normalise(inv->path[0] == '/' ? NULL : cwd, inv->path, pp->buf, sizeof(pp->buf)) >= 0)
                pp->norm = pp->buf;
        return pp->norm;
}

static bool path_is_dir(const char *path) {
        struct stat st;
        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int sha256_of_program(void *userdata, uint8_t ret[static SHA256_DIGEST_SIZE]) {
        return sha256_fd(*(int *) userdata, ret);
}

/* execve the native command of a match. Returns only when it could not start (-errno). */
static int native_exec(const ShimEngine *engine, const ShimInvocation *inv, const ShimEnv *env,
                       const RouteMatch *m, char **argv_buf, size_t max, char **envp) {
        const char *pre[ROUTES_LIST_MAX], *post[ROUTES_LIST_MAX];
        int n;

        for (unsigned i = 0; i < m->n_args && i < ROUTES_LIST_MAX; i++)
                pre[i] = routes_match_arg(m, i) ?: "";
        for (unsigned i = 0; i < m->n_post_args && i < ROUTES_LIST_MAX; i++)
                post[i] = routes_match_post_arg(m, i) ?: "";
        n = shim_native_argv(m->keep_argv0 ? inv->argv0 : m->argv0, pre, MIN(m->n_args, ROUTES_LIST_MAX), inv->args, (size_t) inv->n_args,
                             post, MIN(m->n_post_args, ROUTES_LIST_MAX), argv_buf, max);
        if (n < 0)
                return n;
        shim_debug(env, "route line %u: exec %s", m->line, m->exec);
        if (engine->dry_run) {
                if (engine->dry_run == 1)
                        shim_print("route: line %u: %s (%d arguments)", m->line, m->exec, n);
                return 0;
        }
        /* The kernel's AT_EXECFD is not close-on-exec; the native tool has no use for it. Kept open
         * (flag restored) if the exec fails and QEMU takes over. */
        if (inv->execfd >= 0)
                (void) fcntl(inv->execfd, F_SETFD, FD_CLOEXEC);
        execve(m->exec, argv_buf, envp);
        n = -errno;
        if (inv->execfd >= 0)
                (void) fcntl(inv->execfd, F_SETFD, 0);
        return n;
}

/* What one index said about a program, in increasing order of news (route() keeps the most). */
typedef enum RouteOutcome {
        ROUTE_NO_INDEX,         /* no index there */
        ROUTE_NO_RULE,          /* an index, but no rule names this program */
        ROUTE_DECLINED,         /* a rule's condition (or its exec) failed: logged */
        ROUTE_RAN,              /* a dry run that would have run the match (a real one does not return) */
} RouteOutcome;

/* Look the program up in one index and run the match. Returns only if nothing ran. */
static RouteOutcome route_source(const ShimEngine *engine, const char *idx, const char *conf,
                                 const ShimInvocation *inv, const ShimEnv *env, Program *p, ProgramPath *pp,
                                 char **argv_buf, size_t max, char **envp) {
        Mapped m = {};
        RoutesQuery q = {
                .machine = p->id.machine,
                .elf_class = p->id.elf_class,
                .elf_data = p->id.data,
                .mips_abi = (uint8_t) p->id.mips_abi,
                .build_id = p->id.build_id,
                .build_id_size = p->id.build_id_size,
                .args = inv->args,
                .n_args = (size_t) inv->n_args,
                .envp = envp,
                .sha256 = sha256_of_program,
                .userdata = &p->fd,
                .is_dir = path_is_dir,
        };
        RouteOutcome outcome = ROUTE_NO_RULE;
        RouteMatch match;
        RouteMiss miss = {};
        int r;

        if (index_map(idx, conf, inv, env, &m) <= 0)
                return ROUTE_NO_INDEX;
        q.path = program_path(inv, pp);
        r = routes_lookup(m.p, m.size, &q, &match, &miss);
        if (r < 0)
                shim_debug(env, "routes %s: inconsistent index, ignoring", idx);
        else if (r == 0 && miss.line > 0) {
                outcome = ROUTE_DECLINED;
                shim_debug(env, "routes %s line %u does not apply: %s%s%s", idx, miss.line, miss.why,
                           miss.what ? " " : "", miss.what ?: "");
                accel_log(env, "emulated\t%s\t%s %s", q.path ?: inv->path, miss.why, miss.what ?: "");
        } else if (r > 0) {
                if (!engine->dry_run)
                        accel_log(env, "twinned\t%s\t%s", q.path ?: inv->path, match.exec);
                r = native_exec(engine, inv, env, &match, argv_buf, max, envp);
                if (r == 0) {
                        mapped_release(&m);
                        return ROUTE_RAN;
                }
                shim_fail(0, "route %s line %u: cannot run %s: %s; emulating instead", idx, match.line, match.exec,
                          strerror(-r));
                accel_log(env, "emulated\t%s\texec-failed %s", q.path ?: inv->path, match.exec);
                outcome = ROUTE_DECLINED;
        }
        mapped_release(&m);
        return outcome;
}

static bool route(const ShimEngine *engine, const ShimInvocation *inv, const ShimEnv *env, Program *p,
                  char **argv_buf, size_t max, char **envp) {
        RouteOutcome o = ROUTE_NO_INDEX;
        ProgramPath pp = {};

        if (env->mode && streq(env->mode, "qemu"))
                return shim_debug(env, "ARCHWAY_SHIM=qemu: routes skipped"), false;
        if (env->routes)
                o = route_source(engine, env->routes, NULL, inv, env, p, &pp, argv_buf, max, envp);
        for (size_t i = 0; i < ELEMENTSOF(route_sources) && o != ROUTE_RAN; i++) {
                RouteOutcome k = route_source(engine, route_sources[i].idx, route_sources[i].conf, inv, env, p, &pp,
                                              argv_buf, max, envp);
                o = k > o ? k : o;
        }
        /* A root with twins, a program none of them is for: the report's "emulated without a twin". */
        if (o == ROUTE_NO_RULE && !engine->dry_run)
                accel_log(env, "emulated\t%s\tno-rule", program_path(inv, &pp) ?: inv->path);
        return o == ROUTE_RAN;
}

/* ---- emulation --------------------------------------------------------------------------------- */

static bool path_exists(const char *path) {
        struct stat st;
        return stat(path, &st) == 0;
}

/* QEMU looks for PT_INTERP under its -L prefix (QEMU_LD_PREFIX) first, then in the root. */
static bool loader_exists(const char *interp, const ShimEnv *env) {
        char buf[2 * PATH_MAX];

        if (env->ld_prefix && (size_t) snprintf(buf, sizeof(buf), "%s%s", env->ld_prefix, interp) < sizeof(buf) &&
            path_exists(buf))
                return true;
        return path_exists(interp);
}

/* ARCHWAY_QEMU_DIR replaces the exec engine's search list. */
static bool env_qemu_dir_used(const ShimEngine *engine, const ShimPlan *plan) {
        return !engine->in_process && plan->env->qemu_dir;
}

static int emulate(const ShimEngine *engine, ShimPlan *plan, Program *p, char **argv_buf, size_t max, char **envp) {
        const ShimInvocation *inv = plan->inv;
        const char *arch = p->row->oci_arch, *where = engine->search_description;
        int r;

        if (engine->target && !streq(engine->target, plan->target))
                return shim_fail(SHIM_EXIT_CANNOT_RUN, "%s is %s (%s), but this emulator runs only %s programs: "
                                 "the binfmt_misc entry's magic is wrong", inv->path, p->platform, p->what, engine->target);
        shim_debug(plan->env, "%s: %s (%s) -> qemu-%s via %s engine%s%s", inv->path, p->platform, p->what,
                   plan->target, engine->name, plan->cpu ? ", -cpu " : "", plan->cpu ?: "");
        if (engine->in_process)
                program_close(p);
        r = engine->run_qemu(engine, plan, argv_buf, max, envp);
        if (r >= 0)
                return r;
        if (env_qemu_dir_used(engine, plan))
                where = plan->env->qemu_dir;
        /* binfmt_misc names our registered path in argv[0]; when even that is not visible, we run in
         * another root than the one we were registered from (flag F pinned us): a container. */
        if (r == -ENOENT && !engine->in_process && inv->interp[0] == '/' && !path_exists(inv->interp))
                return shim_fail(SHIM_EXIT_NOT_FOUND, "%s is %s (%s) but no emulator for %s is reachable in this "
                                 "root (a container or chroot: looked for qemu-%s in %s); register the linked "
                                 "shim, which carries QEMU: binfmt --install %s --shim", inv->path, p->platform,
                                 p->what, p->platform, plan->target, where, arch);
        if (r == -ENOENT && p->id.dynamic)
                return shim_fail(SHIM_EXIT_NOT_FOUND, "%s is %s (%s, needs %s) but no emulator for %s is installed "
                                 "(looked for qemu-%s in %s); run: binfmt --install %s", inv->path, p->platform,
                                 p->what, p->id.interp[0] ? p->id.interp : "an ELF loader", p->platform, plan->target,
                                 where, arch);
        if (r == -ENOENT)
                return shim_fail(SHIM_EXIT_NOT_FOUND, "%s is %s (%s) but no emulator for %s is installed "
                                 "(looked for qemu-%s in %s); run: binfmt --install %s", inv->path, p->platform,
                                 p->what, p->platform, plan->target, where, arch);
        if (r == -EPERM && inv->secure)
                return shim_fail(SHIM_EXIT_CANNOT_RUN, "%s is setuid/setgid and /proc is not mounted here: it can "
                                 "only be handed to QEMU as /proc/self/fd/%d; use the linked shim (qemu-%s-archway)",
                                 inv->path, inv->execfd, plan->target);
        errno = -r;
        return shim_fail(SHIM_EXIT_CANNOT_RUN, "cannot start qemu-%s for %s: %m", plan->target, inv->path);
}

/* What stops emulation before QEMU is even tried: the ELF loader not in this root, or a platform QEMU
 * has no target for. Returns 0 or an exit status. */
static int emulation_blocked(const ShimInvocation *inv, const ShimEnv *env, const Program *p) {
        if (p->id.dynamic && p->id.interp[0] && !loader_exists(p->id.interp, env)) {
                char line[2 * PATH_MAX];
                shim_loader_explain(inv->path, &p->id, p->platform, path_exists, line, sizeof(line));
                return shim_fail(SHIM_EXIT_NOT_FOUND, "%s", line);
        }
        if (!p->row->qemu_target)
                return shim_fail(SHIM_EXIT_NOT_FOUND, "%s is %s, which QEMU cannot emulate", inv->path, p->platform);
        return 0;
}

static void explain_program(const ShimInvocation *inv, const Program *p) {
        shim_print("program: %s: %s (%s%s%s)%s", inv->path, p->platform, p->what, p->id.dynamic ? ", needs " : "",
                   p->id.dynamic ? p->id.interp : "", p->id.build_id_size ? ", build-id present" : "");
}

/* Route or emulate an identified program. Returns an exit status (when it returns at all). */
static int run_identified(int argc, char **argv, char **envp, const ShimEngine *engine, const ShimInvocation *inv,
                          const ShimEnv *env, Program *p) {
        /* Room for the program's argv plus what we add: one array on the stack, bounded by the
         * kernel's own limit on argv (it fit on the stack once already). */
        size_t max = (size_t) argc + SHIM_EXTRA_ARGS_MAX;
        char *argv_buf[max];
        ShimPlan plan;
        int r;

        if (route(engine, inv, env, p, argv_buf, max, envp))
                return 0; /* only a dry run returns from a route */
        r = emulation_blocked(inv, env, p);
        if (r > 0)
                return r;
        plan = (ShimPlan) {
                .argc = argc,
                .argv = argv,
                .inv = inv,
                .env = env,
                .target = p->row->qemu_target,
                /* QEMU reads QEMU_CPU itself and a -cpu we add would override it: NULL when it is set
                 * (env->qemu_cpu is NULL under AT_SECURE, where QEMU_* were removed). */
                .cpu = qemu_cpu_arg(p->row->qemu_target, env->qemu_cpu),
        };
        return emulate(engine, &plan, p, argv_buf, max, envp);
}

int archshim_run_aux(int argc, char **argv, char **envp, const ShimEngine *engine, const ShimAux *aux) {
        ShimInvocation inv;
        ShimEnv env;
        Program p = { .fd = -EBADF };
        int r;

        if (shim_invocation_parse(argc, argv, aux->at_flags, aux->have_execfd, aux->execfd, aux->secure, &inv) < 0)
                return shim_fail(SHIM_EXIT_CANNOT_RUN, "no program to run: archshim is started by binfmt_misc "
                                 "(see archshim(8), or archshim --help)");
        shim_env_parse(envp, aux->secure, &env);
        if (aux->secure)
                (void) shim_env_drop_qemu(envp);

        r = program_open(&inv, &p);
        if (r == 0)
                r = program_identify(&inv, &p);
        if (r == 0) {
                if (engine->dry_run == 1)
                        explain_program(&inv, &p);
                r = run_identified(argc, argv, envp, engine, &inv, &env, &p);
        }
        program_close(&p);
        return r;
}

int archshim_run(int argc, char **argv, char **envp, const ShimEngine *engine) {
        ShimAux aux = { .secure = getauxval(AT_SECURE) != 0, .at_flags = getauxval(AT_FLAGS) };
        unsigned long fd;

        errno = 0;
        fd = getauxval(AT_EXECFD);
        aux.have_execfd = !(fd == 0 && errno == ENOENT);
        aux.execfd = (long) fd;
        return archshim_run_aux(argc, argv, envp, engine, &aux);
}
