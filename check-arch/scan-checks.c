/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "binfmt-dir.h"
#include "scan-internal.h"
#include "strv.h"

/* The checks of one platform on a manifest's model: every ELF file, the loaders, the entrypoint, the
 * CPU level, and whether this host runs it. */

typedef struct CheckContext {
        PlatformResult *p;
        ManifestScan *m;
        const char *glibc_loader; /* a glibc loader found in the image, or NULL */
        const char *musl_loader;
} CheckContext;

static const char *libc_of_interp(const char *interp) {
        const char *base = strrchr(interp, '/');

        base = base ? base + 1 : interp;
        if (strneq(base, "ld-musl-", 8))
                return "musl";
        if (strneq(base, "ld-linux", 8) || strneq(base, "ld64.so", 7) || strneq(base, "ld.so", 5))
                return "glibc";
        return NULL;
}

static void layer_digests(const ManifestScan *m, Problem *q) {
        if (q->layer < 0 || (size_t) q->layer >= m->manifest.n_layers)
                return;
        q->layer_digest = m->manifest.layers[q->layer].digest;
        if ((size_t) q->layer < m->config.n_diff_ids)
                q->diff_id = m->config.diff_ids[q->layer];
}

static int check_loader(CheckContext *c, const FsEntry *e) {
        const char *want = libc_of_interp(e->elf->interp), *other;
        const FsEntry *loader;
        int r;

        r = fs_model_resolve(c->m->model, e->elf->interp, &loader, NULL);
        if (r >= 0 && loader && loader->type == LAYER_ENTRY_REGULAR)
                return 0;
        other = want && streq(want, "glibc") ? c->musl_loader : want && streq(want, "musl") ? c->glibc_loader : NULL;
        if (other)
                return add_problem(c->p, CHECK_LOADERS, e, NULL,
                                   "%s binary: its loader %s is missing; the image has %s's %s",
                                   want, e->elf->interp, streq(want, "glibc") ? "musl" : "glibc", other);
        return add_problem(c->p, CHECK_LOADERS, e, NULL, "loader %s%s%s%s is missing%s", e->elf->interp,
                           want ? " (" : "", want ?: "", want ? ")" : "",
                           r == -ELOOP ? " (symlink loop)" : "");
}

/* 3b: what the file needs of the CPU against the target's level or model (check-isa.c). */
static int check_elf_isa(CheckContext *c, const FsEntry *e, const char *have) {
        _cleanup_free_ char *msg = NULL;
        size_t before = c->p->n_problems;
        IsaProblem ip = {};
        int r;

        r = isa_problem_for(c->p, e->elf, &msg, &ip);
        if (r <= 0)
                return r;
        r = add_problem(c->p, CHECK_ISA, e, have, "%s", msg);
        if (r >= 0 && c->p->n_problems > before)
                isa_problem_attach(&ip, &c->p->problems[before]);
        isa_problem_done(&ip);
        return r;
}

static int check_elf_cb(const FsEntry *e, void *userdata) {
        CheckContext *c = userdata;
        char have[PLATFORM_STRING_MAX], want[PLATFORM_STRING_MAX];
        int r;

        c->p->n_elf++;
        platform_to_string(&c->p->target, want);
        if (!e->elf) {
                c->p->n_mismatched++;
                return add_problem(c->p, CHECK_DEEP_SCAN, e, NULL, "malformed ELF file, not %s", want);
        }
        if (!e->elf->has_platform) {
                c->p->n_mismatched++;
                return add_problem(c->p, CHECK_DEEP_SCAN, e, NULL, "ELF of an unknown platform (machine %u), not %s",
                                   e->elf->id_small.machine, want);
        }
        platform_to_string(&e->elf->platform, have);
        if (!platform_runs_on(&e->elf->platform, &c->p->target)) {
                c->p->n_mismatched++;
                r = add_problem(c->p, CHECK_DEEP_SCAN, e, have, "%s, not %s", have, want);
                if (r < 0)
                        return r;
                return 0;
        }
        r = check_elf_isa(c, e, have);
        if (r < 0)
                return r;
        return e->elf->interp ? check_loader(c, e) : 0;
}

/* Find a loader of each libc in the usual directories (through symlinks such as /lib -> usr/lib). */
static void find_loaders(FsModel *model, char **glibc, char **musl) {
        static const char * const dirs[] = { "/lib", "/lib64", "/usr/lib", "/usr/lib64" };

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_free_ char *dir = NULL;
                const FsEntry *e;

                if (fs_model_resolve(model, dirs[i], &e, &dir) < 0)
                        continue;
                if (!*musl)
                        (void) fs_model_find_prefix(model, dir, "ld-musl-", musl);
                if (!*glibc)
                        (void) fs_model_find_prefix(model, dir, "ld-linux", glibc);
        }
}

/* argv[0] as the runtime finds it: through PATH when it has no '/', else from WorkingDir. */
static int entrypoint_lookup(ManifestScan *m, const char *argv0, const FsEntry **ret, char **ret_path) {
        const char *path_env = oci_config_getenv(&m->config, "PATH") ?: DEFAULT_PATH;
        _cleanup_free_ char *copy = NULL;
        char *save = NULL;

        if (strchr(argv0, '/')) {
                _cleanup_free_ char *full = NULL;
                if (asprintf(&full, "%s/%s", argv0[0] == '/' ? "" : m->config.working_dir ?: "", argv0) < 0)
                        return -ENOMEM;
                return fs_model_resolve(m->model, full, ret, ret_path);
        }
        copy = strdup(path_env);
        if (!copy)
                return -ENOMEM;
        for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                _cleanup_free_ char *full = NULL;
                const FsEntry *e;
                char *resolved;

                if (asprintf(&full, "%s/%s", dir, argv0) < 0)
                        return -ENOMEM;
                if (fs_model_resolve(m->model, full, &e, &resolved) >= 0 && e && e->type == LAYER_ENTRY_REGULAR) {
                        *ret = e;
                        *ret_path = resolved;
                        return 0;
                }
        }
        return -ENOENT;
}

static int check_entry_program(CheckContext *c, const char *argv0, const FsEntry *e, const char *resolved) {
        char have[PLATFORM_STRING_MAX], want[PLATFORM_STRING_MAX];

        platform_to_string(&c->p->target, want);
        if (!e->elf || !e->elf->has_platform)
                return add_problem(c->p, CHECK_ENTRYPOINT, e, NULL, "%s -> /%s is not a runnable ELF for %s", argv0,
                                   resolved, want);
        platform_to_string(&e->elf->platform, have);
        if (!platform_runs_on(&e->elf->platform, &c->p->target))
                return add_problem(c->p, CHECK_ENTRYPOINT, e, have, "%s -> /%s is %s, not %s", argv0, resolved,
                                   have, want);
        c->p->state[CHECK_ENTRYPOINT] = CHECK_OK;
        return set_detail(c->p, CHECK_ENTRYPOINT, "%s -> /%s (%s)", argv0, resolved, have);
}

static int check_entrypoint(CheckContext *c) {
        char **argv = c->m->config.entrypoint && c->m->config.entrypoint[0] ? c->m->config.entrypoint : c->m->config.cmd;
        _cleanup_free_ char *resolved = NULL, *interp = NULL;
        const FsEntry *e;
        int r;

        if (!argv || !argv[0]) {
                c->p->state[CHECK_ENTRYPOINT] = CHECK_SKIPPED;
                return set_detail(c->p, CHECK_ENTRYPOINT, "no Entrypoint or Cmd");
        }
        r = entrypoint_lookup(c->m, argv[0], &e, &resolved);
        if (r < 0 || !e || e->type != LAYER_ENTRY_REGULAR)
                return add_problem(c->p, CHECK_ENTRYPOINT, NULL, NULL, "%s: %s", argv[0],
                                   r == -ELOOP ? "symlink loop" : "not found in the image");
        if (e->shebang) {
                /* a script: the interpreter must run (one level, as the kernel allows for #!) */
                const FsEntry *ie;
                size_t n = strcspn(e->shebang, " \t");

                interp = strndup(e->shebang, n);
                if (!interp)
                        return -ENOMEM;
                r = fs_model_resolve(c->m->model, interp, &ie, NULL);
                if (r < 0 || !ie || ie->type != LAYER_ENTRY_REGULAR)
                        return add_problem(c->p, CHECK_ENTRYPOINT, e, NULL, "%s: interpreter %s not found", argv[0], interp);
                return check_entry_program(c, interp, ie, ie->path);
        }
        return check_entry_program(c, argv[0], e, resolved);
}

/* Build the start of an ELF header for a platform, as binfmt_misc would see it. */
static size_t elf_header_for(const PlatformInfo *info, uint8_t buf[static 64]) {
        memset(buf, 0, 64);
        memcpy(buf, ELFMAG, SELFMAG);
        buf[EI_CLASS] = info->elf_class;
        buf[EI_DATA] = info->elf_data;
        buf[EI_VERSION] = EV_CURRENT;
        if (info->elf_data == ELFDATA2LSB) {
                buf[16] = ET_EXEC;
                buf[18] = (uint8_t) info->elf_machine;
                buf[19] = (uint8_t) (info->elf_machine >> 8);
        } else {
                buf[17] = ET_EXEC;
                buf[18] = (uint8_t) (info->elf_machine >> 8);
                buf[19] = (uint8_t) info->elf_machine;
        }
        return 64;
}

static bool entry_matches(const BinfmtEntry *e, const uint8_t *hdr, size_t n) {
        if (e->type != BINFMT_TYPE_MAGIC || !e->enabled || e->offset + e->size > n)
                return false;
        for (size_t i = 0; i < e->size; i++) {
                uint8_t m = e->has_mask ? e->mask[i] : 0xff;
                if ((hdr[e->offset + i] ^ e->magic[i]) & m)
                        return false;
        }
        return true;
}

/* 5: natively, or through an enabled binfmt_misc entry whose magic matches an ELF header of the
 * platform and whose interpreter exists. Read-only; informational. */
int check_host(PlatformResult *p, const char *binfmt_path) {
        const PlatformInfo *info = platform_info_lookup(&p->target);
        _cleanup_close_ int dirfd = -EBADF;
        char **names = NULL;
        char hs[PLATFORM_STRING_MAX];
        Platform host;
        uint8_t hdr[64];
        int r, n;

        p->state[CHECK_HOST] = CHECK_INFO;
        if (platform_host(&host) >= 0 && platform_runs_on(&p->target, &host))
                return set_detail(p, CHECK_HOST, "native (%s)", platform_to_string(&host, hs));
        if (!info)
                return set_detail(p, CHECK_HOST, "not runnable here: no table row for this platform");
        r = binfmt_dir_open(binfmt_path ?: BINFMT_DIR_DEFAULT, &dirfd);
        if (r < 0)
                return set_detail(p, CHECK_HOST, "not native, and %s: %s", binfmt_path ?: BINFMT_DIR_DEFAULT,
                                  r == -EMEDIUMTYPE ? "binfmt_misc is not mounted" : strerror(-r));
        n = binfmt_dir_list(dirfd, &names);
        elf_header_for(info, hdr);
        for (int i = 0; i < n; i++) {
                BinfmtEntry e;

                if (binfmt_dir_read_entry(dirfd, names[i], &e) < 0 || !entry_matches(&e, hdr, sizeof(hdr)))
                        continue;
                r = access(e.interpreter, X_OK) >= 0 || (e.flags & BINFMT_FIX_BINARY);
                r = set_detail(p, CHECK_HOST, "emulated: binfmt_misc entry '%s' -> %s%s", names[i], e.interpreter,
                               r ? "" : " (interpreter missing!)");
                binfmt_names_free(names);
                return r;
        }
        if (n >= 0)
                binfmt_names_free(names);
        return set_detail(p, CHECK_HOST, "not runnable here: not native and no enabled binfmt_misc entry matches");
}

static int check_context(CheckContext *c, const ScanImageOptions *o) {
        _cleanup_free_ char *glibc = NULL, *musl = NULL;
        char t[PLATFORM_STRING_MAX], have[PLATFORM_STRING_MAX];
        int r;

        c->p->has_config = c->m->have_config;
        c->p->config_platform = c->m->config.platform;
        platform_to_string(&c->m->config.platform, have);
        if (!platform_runs_on(&c->m->config.platform, &c->p->target)) {
                c->p->state[CHECK_CONFIG] = CHECK_FAIL;
                r = set_detail(c->p, CHECK_CONFIG, "config says %s, not %s", have, platform_to_string(&c->p->target, t));
        } else {
                c->p->state[CHECK_CONFIG] = CHECK_OK;
                r = set_detail(c->p, CHECK_CONFIG, "%s", have);
        }
        if (r < 0)
                return r;
        if (o->quick || !c->m->model) {
                c->p->state[CHECK_ENTRYPOINT] = c->p->state[CHECK_DEEP_SCAN] = c->p->state[CHECK_LOADERS] = CHECK_SKIPPED;
                c->p->state[CHECK_ISA] = CHECK_SKIPPED;
                return 0;
        }
        find_loaders(c->m->model, &glibc, &musl);
        c->glibc_loader = glibc;
        c->musl_loader = musl;
        c->p->state[CHECK_DEEP_SCAN] = c->p->state[CHECK_LOADERS] = CHECK_OK;
        c->p->state[CHECK_ISA] = c->p->isa.active ? CHECK_OK : CHECK_SKIPPED;
        r = check_entrypoint(c);
        if (r >= 0)
                r = fs_model_foreach_elf(c->m->model, check_elf_cb, c);
        if (r >= 0)
                r = isa_check_detail(c->p);
        for (size_t i = 0; r >= 0 && i < c->p->n_problems; i++)
                layer_digests(c->m, &c->p->problems[i]);
        if (r >= 0)
                r = set_detail(c->p, CHECK_DEEP_SCAN, "%u ELF file%s, %u mismatched", c->p->n_elf,
                               c->p->n_elf == 1 ? "" : "s", c->p->n_mismatched);
        if (r >= 0 && c->p->state[CHECK_LOADERS] == CHECK_FAIL) {
                size_t n = c->p->n_problems_dropped;
                for (size_t i = 0; i < c->p->n_problems; i++)
                        n += c->p->problems[i].check == CHECK_LOADERS;
                r = set_detail(c->p, CHECK_LOADERS, "%zu dynamic ELF file%s without %s loader", n, n == 1 ? "" : "s",
                               n == 1 ? "its" : "their");
        }
        if (r >= 0 && c->p->state[CHECK_LOADERS] == CHECK_OK)
                r = set_detail(c->p, CHECK_LOADERS, "%s%s%s%s%s", glibc ? "glibc /" : "", glibc ?: "",
                               glibc && musl ? ", " : "", musl ? "musl /" : "",
                               !glibc && !musl ? "no dynamic loader in the image" : "");
        if (r >= 0 && musl && c->p->detail[CHECK_LOADERS]) {
                char *s;
                if (asprintf(&s, "%s%s", c->p->detail[CHECK_LOADERS], musl) >= 0) {
                        free(c->p->detail[CHECK_LOADERS]);
                        c->p->detail[CHECK_LOADERS] = s;
                }
        }
        return r;
}

int check_platform(PlatformResult *p, ManifestScan *m, const ScanImageOptions *o) {
        CheckContext c = { .p = p, .m = m };

        return check_context(&c, o);
}
