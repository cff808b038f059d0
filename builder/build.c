/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "binfmt-probe.h"
#include "binfmt-table.h"
#include "build.h"
#include "copy.h"
#include "errbuf.h"
#include "file-util.h"
#include "foreign.h"
#include "log.h"
#include "progress.h"
#include "pull.h"
#include "sandbox.h"
#include "strv.h"
#include "twins.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The running state of one stage for one platform. */
typedef struct Stage {
        char *name;               /* "AS name" (lowercase), or NULL */
        Platform platform;        /* what it runs as: the target, or FROM --platform */
        StoreLayer *layers;
        size_t n_layers;
        OciConfig config;
        char **shell;
        char **args;              /* ARGs declared in this stage: "K=V", or "K" when unset */
        OciDigest chain;          /* cache chain: the base, then each layer step's key */
        bool cmd_in_stage;
} Stage;

typedef struct Build {
        const BuildOptions *opts;
        Platform target;
        unsigned index;           /* of target in opts->platforms: the progress display's lane */
        Stage *stages;
        size_t n_stages;
        char **global_args;
        char **auto_args;
        unsigned step, n_steps;
        char *emulator;
        BinfmtFlags emulator_flags;
        char **probed;            /* platforms whose emulation a probe proved in this build */
        char *twins;              /* native twins installed over twins_chain, or NULL */
        OciDigest twins_chain;
        char *hosts_file, *resolv_file;
} Build;

typedef int (*Handler)(Build *b, Stage *s, const DockerfileInstruction *i);

/* ---- small helpers --------------------------------------------------------------------------- */

static void stage_done(Stage *s) {
        free(s->name);
        free(s->layers);
        oci_config_done(&s->config);
        strv_free(s->shell);
        strv_free(s->args);
        *s = (Stage) {};
}

void build_result_done(BuildResult *r) {
        for (unsigned k = 0; k < r->n_manifests; k++)
                oci_descriptor_done(&r->manifests[k]);
        r->n_manifests = 0;
}

/* The progress display's hook (builder/progress.h): one event of this platform's build. */
static void report(Build *b, ProgressEventType type, const char *text, double seconds, uint64_t bytes) {
        ProgressEvent e = { .type = type, .step = b->step, .n_steps = b->n_steps, .text = text, .seconds = seconds,
                            .bytes = bytes };

        progress_report(b->opts->progress, b->index, &e);
}

static const char *pf(const Platform *p, char buf[static PLATFORM_STRING_MAX]) {
        return platform_to_string(p, buf);
}

/* "K=V" lookup in a strv; returns V, or "" for a bare "K" when allow_bare, else NULL. */
static const char *strv_env_get(char *const *l, const char *name, bool *ret_bare) {
        size_t n = strlen(name);

        if (ret_bare)
                *ret_bare = false;
        for (char *const *p = l; p && *p; p++) {
                if (!strneq(*p, name, n))
                        continue;
                if ((*p)[n] == '=')
                        return *p + n + 1;
                if ((*p)[n] == 0 && ret_bare) {
                        *ret_bare = true;
                        return NULL;
                }
        }
        return NULL;
}

/* Set "K=V" (or "K" when value is NULL) in *l, replacing an earlier K. */
static int strv_env_set(char ***l, const char *name, const char *value) {
        _cleanup_free_ char *pair = NULL;
        size_t n = strlen(name);

        if (value ? asprintf(&pair, "%s=%s", name, value) < 0 : !(pair = strdup(name)))
                return -ENOMEM;
        for (char **p = *l; p && *p; p++)
                if (strneq(*p, name, n) && ((*p)[n] == '=' || (*p)[n] == 0)) {
                        free(*p);
                        *p = TAKE_PTR(pair);
                        return 0;
                }
        return strv_extend(l, pair);
}

static int strv_from_list(const char *const *items, char ***ret) {
        for (; *items; items++) {
                int r = strv_extend(ret, *items);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Log a failure of instruction i: "Dockerfile:LINE: [platform] INSTR: message". */
/* The instruction as messages quote it: whole when short, else its start and "...", so that the
 * message that follows is seen even after a 100 KB instruction. */
#define INSTRUCTION_QUOTE_MAX 160
static const char *quote_instruction(const DockerfileInstruction *i, char buf[static INSTRUCTION_QUOTE_MAX + 4]) {
        if (strlen(i->original) <= INSTRUCTION_QUOTE_MAX)
                return i->original;
        snprintf(buf, INSTRUCTION_QUOTE_MAX + 4, "%.*s...", INSTRUCTION_QUOTE_MAX, i->original);
        return buf;
}

_printf_(4, 5) static int step_fail(Build *b, const DockerfileInstruction *i, int r, const char *format, ...) {
        char msg[2048], buf[PLATFORM_STRING_MAX], q[INSTRUCTION_QUOTE_MAX + 4];
        va_list ap;

        va_start(ap, format);
        errbuf_setv(msg, sizeof(msg), r, format, ap);
        va_end(ap);
        log_error("%s:%u: [%s] %s: %s", b->opts->dockerfile_name, i->line, pf(&b->target, buf), quote_instruction(i, q),
                  msg);
        return r < 0 ? r : -EIO;
}

/* ---- variables ------------------------------------------------------------------------------- */

typedef struct Scope {
        Build *b;
        Stage *s;       /* NULL: FROM lines (global and automatic args only) */
} Scope;

static const char *scope_lookup(const char *name, void *userdata) {
        Scope *sc = userdata;
        const char *v;
        bool bare;

        if (sc->s) {
                if ((v = oci_config_getenv(&sc->s->config, name)))
                        return v;
                return strv_env_get(sc->s->args, name, &bare);
        }
        if ((v = strv_env_get(sc->b->global_args, name, &bare)) || bare)
                return v;
        return strv_env_get(sc->b->auto_args, name, NULL);
}

/* The expander of a scope, with the store's bounds. */
static DockerfileExpander expander(Build *b, Scope *sc) {
        const Limits *l = &b->opts->store->limits;

        return (DockerfileExpander) {
                .escape = b->opts->dockerfile->escape, .lookup = scope_lookup, .userdata = sc,
                .max_depth = (unsigned) l->value[LIMIT_EXPANSION_DEPTH],
                .max_bytes = (size_t) l->value[LIMIT_EXPANSION_BYTES],
        };
}

static int expand_word(Build *b, Stage *s, const DockerfileInstruction *i, const char *text, char **ret) {
        Scope sc = { b, s };
        DockerfileExpander x = expander(b, &sc);
        ErrorDetail err = {};
        int r = dockerfile_expand_word(text, &x, ret, &err);

        return r < 0 ? step_fail(b, i, r, "%s", err.message[0] ? err.message : "expansion failed") : 0;
}

static int expand_words(Build *b, Stage *s, const DockerfileInstruction *i, char ***ret) {
        Scope sc = { b, s };
        DockerfileExpander x = expander(b, &sc);
        ErrorDetail err = {};
        int r;

        if (i->json) {
                /* The JSON form is expanded element by element, never split. */
                _cleanup_strv_free_ char **out = NULL;
                for (char **a = i->argv; *a; a++) {
                        _cleanup_free_ char *w = NULL;
                        if ((r = expand_word(b, s, i, *a, &w)) < 0 || (r = strv_extend(&out, w)) < 0)
                                return r;
                }
                *ret = TAKE_PTR(out);
                return 0;
        }
        r = dockerfile_expand_words(i->args, &x, ret, &err);
        return r < 0 ? step_fail(b, i, r, "%s", err.message) : 0;
}

static const char *build_arg(const Build *b, const char *name, bool *ret_given) {
        const char *v;
        bool bare;

        *ret_given = false;
        v = strv_env_get(b->opts->build_args, name, &bare);
        if (v || bare)
                *ret_given = true;
        if (bare)
                return getenv(name);
        return v;
}

static int auto_args_init(Build *b) {
        char buf[PLATFORM_STRING_MAX];
        Platform host;
        int r;

        r = platform_host(&host);
        if (r < 0)
                return r;
        const char *const vals[][2] = {
                { "TARGETPLATFORM", pf(&b->target, buf) },
                { "TARGETOS", b->target.os }, { "TARGETARCH", b->target.arch }, { "TARGETVARIANT", b->target.variant },
        };
        for (size_t k = 0; k < ELEMENTSOF(vals); k++)
                if ((r = strv_env_set(&b->auto_args, vals[k][0], vals[k][1])) < 0)
                        return r;
        const char *const hvals[][2] = {
                { "BUILDPLATFORM", pf(&host, buf) },
                { "BUILDOS", host.os }, { "BUILDARCH", host.arch }, { "BUILDVARIANT", host.variant },
        };
        for (size_t k = 0; k < ELEMENTSOF(hvals); k++)
                if ((r = strv_env_set(&b->auto_args, hvals[k][0], hvals[k][1])) < 0)
                        return r;
        return 0;
}

/* The KEY=VALUE words of ARG, ENV or LABEL, substituted in the current scope; a bad word fails the
 * step with the parser's message. */
static int split_pairs(Build *b, Stage *s, const DockerfileInstruction *i, char ***ret) {
        Scope sc = { b, s };
        DockerfileExpander x = expander(b, &sc);
        ErrorDetail err = {};
        int r;

        r = dockerfile_split_pairs(i, &x, ret, &err);
        return r < 0 ? step_fail(b, i, r, "%s", err.message) : 0;
}

/* ARG in the global scope (before the first FROM) or in a stage. */
static int declare_args(Build *b, Stage *s, const DockerfileInstruction *i) {
        _cleanup_strv_free_ char **pairs = NULL;
        int r;

        r = split_pairs(b, s, i, &pairs);
        if (r < 0)
                return r;
        for (char **p = pairs; *p; p++) {
                char *eq = strchr(*p, '=');
                const char *value, *name = *p;
                bool given, bare;

                if (eq)
                        *eq = 0;
                value = build_arg(b, name, &given);
                if (!given && s && (value = strv_env_get(b->global_args, name, &bare)))
                        given = true;
                if (!given && s)
                        value = strv_env_get(b->auto_args, name, NULL), given = value != NULL;
                if (!given)
                        value = eq ? eq + 1 : NULL;
                r = strv_env_set(s ? &s->args : &b->global_args, name, value);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- history and config ---------------------------------------------------------------------- */

static char *created_now(const Build *b) {
        time_t t = b->opts->layer.source_date_epoch >= 0 ? (time_t) b->opts->layer.source_date_epoch : time(NULL);
        char buf[64];
        struct tm tm;

        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
        return strdup(buf);
}

static int add_history(Build *b, Stage *s, const DockerfileInstruction *i, bool empty_layer) {
        OciHistory *t = reallocarray(s->config.history, s->config.n_history + 1, sizeof(*t));

        if (!t)
                return -ENOMEM;
        s->config.history = t;
        t[s->config.n_history] = (OciHistory) {
                .created = created_now(b),
                .created_by = strdup(i->original),
                .comment = strdup("archbuild"),
                .empty_layer = empty_layer,
        };
        s->config.n_history++;
        return 0;
}

static int append_layer(Build *b, Stage *s, const DockerfileInstruction *i, const StoreLayer *l, const OciDigest *key) {
        StoreLayer *t = reallocarray(s->layers, s->n_layers + 1, sizeof(*t));

        if (!t)
                return -ENOMEM;
        s->layers = t;
        t[s->n_layers++] = *l;
        s->chain = *key;
        return add_history(b, s, i, false);
}

/* ---- step cache keys ------------------------------------------------------------------------- */

static int hash_strs(OciHasher *h, const char *tag, char *const *l) {
        int r = oci_hasher_update(h, tag, strlen(tag) + 1);
        for (char *const *p = l; r >= 0 && p && *p; p++)
                r = oci_hasher_update(h, *p, strlen(*p) + 1);
        return r < 0 ? r : oci_hasher_update(h, "\n", 1);
}

static int key_begin(const Build *b, const Stage *s, const char *kind, OciHasher **ret) {
        char buf[PLATFORM_STRING_MAX];
        const char *head[] = { "archbuild-cache-v1", s->chain.str, pf(&s->platform, buf), kind,
                               oci_layer_media_type(b->opts->layer.compression), NULL };
        int r = oci_hasher_new(ret);

        return r < 0 ? r : hash_strs(*ret, "head", (char **) head);
}

/* ---- layer steps ----------------------------------------------------------------------------- */

typedef struct StepDirs {
        char *dir, *upper, *work, *merged, *from_merged;
        char **lowers, **from_lowers;
} StepDirs;

static void step_dirs_done(StepDirs *d) {
        if (d->dir)
                (void) rm_rf(d->dir);
        free(d->dir), free(d->upper), free(d->work), free(d->merged), free(d->from_merged);
        strv_free(d->lowers);
        strv_free(d->from_lowers);
        *d = (StepDirs) {};
}

static int lowers_of(Build *b, const Stage *s, char ***ret) {
        Store *st = b->opts->store;
        char *p = NULL;
        int r;

        /* Oldest first: a layer's hardlinks may name files of the layers below it. */
        for (size_t k = 0; k < s->n_layers; k++) {
                r = store_ensure_layer(st, s->layers, k, NULL, NULL);
                if (r < 0)
                        return r;
        }
        for (size_t k = s->n_layers; k > 0; k--) {
                r = store_layer_path(st, &s->layers[k - 1].diff_id, &p);
                if (r >= 0)
                        r = strv_extend(ret, p);
                free(p);
                if (r < 0)
                        return r;
        }
        if (s->n_layers == 0) {
                if (asprintf(&p, "%s/empty", st->path) < 0)
                        return -ENOMEM;
                r = strv_extend(ret, p);
                free(p);
                return r;
        }
        return 0;
}

static int step_dirs_make(Build *b, const Stage *s, const Stage *from, StepDirs *d) {
        int r = store_mkdtemp(b->opts->store, "step", &d->dir);

        if (r < 0)
                return r;
        if (asprintf(&d->upper, "%s/upper", d->dir) < 0 || asprintf(&d->work, "%s/work", d->dir) < 0 ||
            asprintf(&d->merged, "%s/merged", d->dir) < 0 || asprintf(&d->from_merged, "%s/from", d->dir) < 0)
                return -ENOMEM;
        if (mkdir(d->upper, 0755) < 0 || mkdir(d->work, 0700) < 0 || mkdir(d->merged, 0755) < 0 ||
            mkdir(d->from_merged, 0755) < 0)
                return negative_errno();
        r = lowers_of(b, s, &d->lowers);
        if (r >= 0 && from)
                r = lowers_of(b, from, &d->from_lowers);
        return r;
}

/* Remove what the sandbox created only to mount over, so it is not part of the layer. */
static void remove_stubs(const char *upper, unsigned stubs) {
        static const struct {
                SandboxStub bit;
                const char *path;
                bool dir;
        } order[] = {
                { SANDBOX_STUB_RESOLV_CONF, "etc/resolv.conf", false },
                { SANDBOX_STUB_HOSTS, "etc/hosts", false },
                { SANDBOX_STUB_ETC, "etc", true },
                { SANDBOX_STUB_PROC, "proc", true },
                { SANDBOX_STUB_DEV, "dev", true },
                { SANDBOX_STUB_SYS, "sys", true },
        };
        char p[4096];

        for (size_t k = 0; k < ELEMENTSOF(order); k++) {
                if (!(stubs & order[k].bit))
                        continue;
                snprintf(p, sizeof(p), "%s/%s", upper, order[k].path);
                if (order[k].dir)
                        (void) rmdir(p);
                else {
                        struct stat st;
                        if (lstat(p, &st) >= 0 && S_ISREG(st.st_mode) && st.st_size == 0)
                                (void) unlink(p);
                }
        }
        /* /etc copied up only because a stub was made in it: gone again if nothing else is there. */
        if (stubs & (SANDBOX_STUB_RESOLV_CONF | SANDBOX_STUB_HOSTS)) {
                snprintf(p, sizeof(p), "%s/etc", upper);
                (void) rmdir(p);
        }
}

static int check_foreign(Build *b, Stage *s, const DockerfileInstruction *i, const char *tree) {
        ForeignElf *l = NULL;
        char a[PLATFORM_STRING_MAX], t[PLATFORM_STRING_MAX], q[INSTRUCTION_QUOTE_MAX + 4];
        int n = foreign_scan_tree(tree, &s->platform, &l);

        if (n <= 0)
                return n;
        for (int k = 0; k < n; k++) {
                const char *what = l[k].unknown ? foreign_elf_what(&l[k]) : pf(&l[k].platform, a);
                if (b->opts->allow_foreign)
                        log_warning("%s:%u: [%s] %s: %s is %s (%s), not %s, continuing (--allow-foreign-binaries)",
                                    b->opts->dockerfile_name, i->line, pf(&b->target, t), quote_instruction(i, q), l[k].path, what,
                                    l[k].detail, t);
                else
                        log_error("%s:%u: [%s] %s: %s is %s (%s), not %s", b->opts->dockerfile_name, i->line,
                                  pf(&s->platform, t), quote_instruction(i, q), l[k].path, what, l[k].detail, t);
        }
        foreign_elfs_free(l, (size_t) n);
        if (b->opts->allow_foreign)
                return 0;
        log_error("Step produced %d foreign ELF file%s; use --allow-foreign-binaries to downgrade this to a warning.",
                  n, n == 1 ? "" : "s");
        return -ENOEXEC;
}

/* Turn a finished upper directory into a stored layer, add it to the stage and the cache. */
static int commit_upper(Build *b, Stage *s, const DockerfileInstruction *i, StepDirs *d, const OciDigest *key) {
        _cleanup_close_ int fd = open(d->upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        LayerWriteResult res;
        StoreLayer l = {};
        int r;

        if (fd < 0)
                return negative_errno();
        r = check_foreign(b, s, i, d->upper);
        if (r < 0)
                return r;
        r = layer_write_tree(fd, &b->opts->layer, b->opts->store->layout, &res);
        if (r < 0)
                return step_fail(b, i, r, "Failed to write the layer: %m");
        report(b, PROGRESS_WRITTEN, NULL, 0, res.size);
        l.digest = res.digest;
        l.diff_id = res.diff_id;
        l.size = res.size;
        snprintf(l.media_type, sizeof(l.media_type), "%s", res.media_type);
        r = store_adopt_layer(b->opts->store, d->upper, &l.diff_id);
        if (r < 0)
                return step_fail(b, i, r, "Failed to store the layer: %m");
        (void) store_cache_put(b->opts->store, key, &l, false);
        return append_layer(b, s, i, &l, key);
}

static bool cache_hit(Build *b, Stage *s, const DockerfileInstruction *i, const OciDigest *key) {
        StoreLayer l;
        bool empty;

        if (b->opts->no_cache || store_cache_get(b->opts->store, key, &l, &empty) < 0 || empty)
                return false;
        return append_layer(b, s, i, &l, key) >= 0;
}

/* ---- RUN ------------------------------------------------------------------------------------- */

static int run_env(Build *b, Stage *s, char ***ret) {
        _cleanup_strv_free_ char **env = NULL;
        int r;

        r = strv_copy(s->config.env, &env);
        if (r < 0)
                return r;
        /* ARG values are in the environment of RUN (not in the image); ENV wins over ARG. */
        for (char **a = s->args; a && *a; a++) {
                char *eq = strchr(*a, '=');
                if (!eq)
                        continue;
                _cleanup_free_ char *name = strndup(*a, eq - *a);
                if (!name)
                        return -ENOMEM;
                if (!oci_config_getenv(&s->config, name) && (r = strv_extend(&env, *a)) < 0)
                        return r;
        }
        if (!strv_env_get(env, "PATH", NULL) && (r = strv_extend(&env, "PATH=" DEFAULT_PATH)) < 0)
                return r;
        *ret = TAKE_PTR(env);
        return 0;
}

static int run_argv(Stage *s, const DockerfileInstruction *i, char ***ret) {
        _cleanup_strv_free_ char **argv = NULL;
        int r;

        if (i->json)
                return strv_copy(i->argv, ret);
        r = strv_copy(s->shell, &argv);
        if (r >= 0)
                r = strv_extend(&argv, i->args);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(argv);
        return 0;
}

static int find_emulator(Build *b, Stage *s, const DockerfileInstruction *i) {
        char buf[PLATFORM_STRING_MAX];
        int r;

        if (b->emulator)
                return 0;
        r = emulator_find(&s->platform, b->opts->emulator_mode, &b->emulator, &b->emulator_flags);
        if (r == -EOPNOTSUPP)
                return step_fail(b, i, r, "%s has no QEMU linux-user target; it cannot be emulated", pf(&s->platform, buf));
        if (r < 0)
                return step_fail(b, i, r, "no emulator for %s is installed: install Debian's qemu-user-static, run 'make qemu', "
                                 "or build the archway shim", pf(&s->platform, buf));
        log_debug("Emulating %s with %s", pf(&s->platform, buf), b->emulator);
        return 0;
}

/* Before the first RUN of a foreign platform: write the platform's probe program into the step
 * directory, for the sandbox to run once the emulator is registered. *ret stays NULL when this
 * platform was proved already or has no probe program. */
static int probe_prepare(Build *b, const Stage *s, const StepDirs *d, char **ret) {
        const BinfmtTarget *rows[8];
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        char buf[PLATFORM_STRING_MAX];
        const unsigned char *elf = NULL;
        size_t size = 0;

        for (char **p = b->probed; p && *p; p++)
                if (streq(*p, pf(&s->platform, buf)))
                        return 0;
        if (binfmt_targets_for_platform(&s->platform, rows, ELEMENTSOF(rows)) > 0)
                elf = binfmt_probe_program(rows[0]->name, &size);
        if (!elf)
                return 0;
        if (asprintf(&path, "%s/probe", d->dir) < 0)
                return -ENOMEM;
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
        if (fd < 0)
                return negative_errno();
        if (write(fd, elf, size) != (ssize_t) size)
                return errno > 0 ? -errno : -EIO;
        *ret = TAKE_PTR(path);
        return 0;
}

static void drop_twins(Build *b) {
        char *slash;

        if (!b->twins)
                return;
        slash = strrchr(b->twins, '/');
        *slash = 0;
        (void) rm_rf(b->twins);
        free(b->twins);
        b->twins = NULL;
        b->twins_chain = (OciDigest) {};
}

/* Native twins (lib/accel) for a foreign RUN through the shim: installed over the stage's current
 * layers (once per layer chain, since the root's tools decide what is twinned) and stacked on top
 * of the step's lowers. An optimisation only: when they cannot be had the step runs emulated. */
static int accel_prepare(Build *b, Stage *s, const DockerfileInstruction *i, StepDirs *d) {
        char why[TWINS_ERROR_MAX], buf[PLATFORM_STRING_MAX];
        char *tree = NULL;
        int r;

        if (!emulator_is_shim(b->emulator))
                return 0;
        if (!b->twins || !oci_digest_equal(&b->twins_chain, &s->chain)) {
                drop_twins(b);
                r = twins_install(b->opts->store, &s->platform, d->lowers, &tree, why);
                if (r <= 0) {
                        if (r < 0)
                                log_warning("%s:%u: [%s] native twins could not be installed, running emulated: %s",
                                            b->opts->dockerfile_name, i->line, pf(&s->platform, buf), why);
                        else
                                log_debug("No native twins for %s: %s", pf(&s->platform, buf), why);
                        return 0;
                }
                b->twins = tree;
                b->twins_chain = s->chain;
                fprintf(stderr, "#%u/%u native twins installed for %s\n", b->step, b->n_steps, pf(&s->platform, buf));
        }
        /* ======== lib/accel call site: the twins' tree is the topmost lower of this step ======== */
        _cleanup_strv_free_ char **l = NULL;
        if ((r = strv_extend(&l, b->twins)) < 0)
                return r;
        for (char **p = d->lowers; p && *p; p++)
                if ((r = strv_extend(&l, *p)) < 0)
                        return r;
        strv_free(d->lowers);
        d->lowers = TAKE_PTR(l);
        return 0;
}

static int handle_run(Build *b, Stage *s, const DockerfileInstruction *i) {
        _cleanup_strv_free_ char **argv = NULL, **env = NULL;
        _cleanup_(oci_hasher_freep) OciHasher *h = NULL;
        _cleanup_(step_dirs_done) StepDirs d = {};
        _cleanup_free_ char *probe = NULL;
        char pbuf[PLATFORM_STRING_MAX];
        const char *ctx[] = { s->config.user ?: "", s->config.working_dir ?: "/", b->opts->network_host ? "host" : "none", NULL };
        bool emulate = emulator_needed(&s->platform);
        OciDigest key;
        int status, r;

        if ((r = run_argv(s, i, &argv)) < 0 || (r = run_env(b, s, &env)) < 0)
                return r;
        if ((r = key_begin(b, s, "RUN", &h)) < 0 || (r = hash_strs(h, "argv", argv)) < 0 ||
            (r = hash_strs(h, "env", env)) < 0 || (r = hash_strs(h, "ctx", (char **) ctx)) < 0 ||
            (r = oci_hasher_final(h, &key)) < 0)
                return r;
        if (cache_hit(b, s, i, &key))
                return 1;
        if (emulate && (r = find_emulator(b, s, i)) < 0)
                return r;
        r = step_dirs_make(b, s, NULL, &d);
        if (r < 0)
                return step_fail(b, i, r, "Failed to prepare the step directory: %m");
        if (emulate && (r = probe_prepare(b, s, &d, &probe)) < 0)
                return step_fail(b, i, r, "Failed to write the emulation probe: %m");
        if (emulate && !b->opts->no_accel && (r = accel_prepare(b, s, i, &d)) < 0)
                return r;
        /* After the cache key: where the shim says what ran native (twins_step_report() below). */
        if (emulate && b->twins && (r = strv_extend(&env, "ARCHWAY_ACCEL_LOG=" TWINS_ACCEL_LOG)) < 0)
                return r;

        SandboxRun run = {
                .root = { .lowers = d.lowers, .n_lowers = strv_length(d.lowers), .upper = d.upper, .work = d.work,
                          .merged = d.merged },
                .argv = argv, .env = env, .cwd = s->config.working_dir ?: "/", .user = s->config.user,
                .network_host = b->opts->network_host,
                .etc_hosts = b->hosts_file, .etc_resolv = b->resolv_file,
                .platform = &s->platform, .emulator = emulate ? b->emulator : NULL,
                .emulator_flags = b->emulator_flags, .probe = probe,
        };
        r = sandbox_run(&run, &status);
        if (r < 0)
                return step_fail(b, i, r, "%s", run.error[0] ? run.error : "the sandbox failed");
        if (probe) {
                fprintf(stderr, "#%u/%u emulation of %s verified by a probe (%s)\n", b->step, b->n_steps,
                        pf(&s->platform, pbuf), b->emulator);
                if ((r = strv_extend(&b->probed, pbuf)) < 0)
                        return r;
        }
        if (emulate && b->twins) {
                char line[1024];
                if (twins_step_report(d.upper, line, sizeof(line)) > 0)
                        fprintf(stderr, "#%u/%u native twins: %s\n", b->step, b->n_steps, line);
        }
        if (status != 0)
                return step_fail(b, i, -EIO, "the command exited with status %d", status);
        remove_stubs(d.upper, run.stubs);
        return commit_upper(b, s, i, &d, &key);
}

/* ---- COPY / ADD ------------------------------------------------------------------------------ */

static int stage_from_image(Build *b, Stage *s, const DockerfileInstruction *i, const char *image);

static Stage *find_stage(Build *b, const char *name) {
        char *end;
        unsigned long idx = strtoul(name, &end, 10);

        if (!*end && end != name && idx < b->n_stages)
                return &b->stages[idx];
        for (size_t k = 0; k < b->n_stages; k++)
                if (b->stages[k].name && strcasecmp(b->stages[k].name, name) == 0)
                        return &b->stages[k];
        return NULL;
}

static int join_workdir(const Stage *s, const char *path, char **ret) {
        const char *wd = s->config.working_dir ?: "/";
        bool slash = path[0] && path[strlen(path) - 1] == '/';

        if (path[0] == '/')
                return (*ret = strdup(path)) ? 0 : -ENOMEM;
        return asprintf(ret, "%s%s%s%s", wd, streq(wd, "/") ? "" : "/", streq(path, ".") ? "" : path,
                        slash ? "" : "") < 0 ? -ENOMEM : 0;
}

static int copy_key(Build *b, Stage *s, const DockerfileInstruction *i, const CopySpec *spec, const Stage *from,
                    OciDigest *ret) {
        _cleanup_(oci_hasher_freep) OciHasher *h = NULL;
        _cleanup_free_ char *missing = NULL;
        char mode[32];
        const char *ctx[] = { spec->dest, spec->chown ?: "", mode, spec->add ? "add" : "copy",
                              from ? from->chain.str : "context", NULL };
        int r;

        snprintf(mode, sizeof(mode), "%o", spec->has_chmod ? (unsigned) spec->chmod : 0u);
        if ((r = key_begin(b, s, "COPY", &h)) < 0 || (r = hash_strs(h, "ctx", (char **) ctx)) < 0 ||
            (r = hash_strs(h, "src", spec->sources)) < 0)
                return r;
        if (!from) {
                r = copy_hash_context(spec, h, &missing);
                if (r == -ENOENT && missing)
                        return step_fail(b, i, r, "%s: no such file or directory in the build context", missing);
                if (r < 0)
                        return step_fail(b, i, r, "Failed to read the build context: %m");
        }
        return oci_hasher_final(h, ret);
}

static int parse_chmod(const char *s, mode_t *ret) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 8);
        if (isempty(s) || *end || errno || v > 07777)
                return -EINVAL;
        *ret = (mode_t) v;
        return 0;
}

static int handle_copy(Build *b, Stage *s, const DockerfileInstruction *i) {
        _cleanup_strv_free_ char **words = NULL, **ignore = NULL;
        _cleanup_free_ char *dest = NULL, *chown = NULL, *chmod_s = NULL, *from_name = NULL;
        _cleanup_close_ int ctx_fd = -EBADF;
        _cleanup_(step_dirs_done) StepDirs d = {};
        _cleanup_(stage_done) Stage from_image = {};
        char error[SANDBOX_ERROR_MAX];
        const Stage *from = NULL;
        CopySpec spec = { .context_fd = -1, .add = i->type == DOCKERFILE_ADD };
        size_t n;
        OciDigest key;
        int r;

        if ((r = expand_words(b, s, i, &words)) < 0)
                return r;
        n = strv_length(words);
        if (n < 2)
                return step_fail(b, i, -EINVAL, "needs a source and a destination");
        r = join_workdir(s, words[n - 1], &dest);
        if (r < 0)
                return r;
        free(words[n - 1]);
        words[n - 1] = NULL;
        spec.sources = words;
        spec.dest = dest;
        spec.dest_is_dir = dest[strlen(dest) - 1] == '/' || n > 2;
        if (dockerfile_instruction_flag(i, "chown") &&
            (r = expand_word(b, s, i, dockerfile_instruction_flag(i, "chown"), &chown)) < 0)
                return r;
        spec.chown = chown;
        if (dockerfile_instruction_flag(i, "chmod")) {
                if ((r = expand_word(b, s, i, dockerfile_instruction_flag(i, "chmod"), &chmod_s)) < 0)
                        return r;
                if (parse_chmod(chmod_s, &spec.chmod) < 0)
                        return step_fail(b, i, -EINVAL, "--chmod=%s: only octal modes are supported", chmod_s);
                spec.has_chmod = true;
        }
        if (dockerfile_instruction_flag(i, "from")) {
                if ((r = expand_word(b, s, i, dockerfile_instruction_flag(i, "from"), &from_name)) < 0)
                        return r;
                from = find_stage(b, from_name);
                if (from == s)
                        return step_fail(b, i, -ELOOP, "--from=%s: a stage cannot copy from itself", from_name);
                if (!from) {
                        /* Not a stage: an image, for this stage's platform (as BuildKit does). */
                        from_image.platform = s->platform;
                        if ((r = stage_from_image(b, &from_image, i, from_name)) < 0)
                                return r;
                        from = &from_image;
                }
                spec.keep_owner = true;
        } else {
                for (char **w = words; *w; w++)
                        if (spec.add && strstr(*w, "://"))
                                return step_fail(b, i, -EOPNOTSUPP, "ADD of URLs is not supported (%s)", *w);
                ctx_fd = open(b->opts->context, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (ctx_fd < 0)
                        return step_fail(b, i, -errno, "Failed to open the build context %s: %m", b->opts->context);
                spec.context_fd = ctx_fd;
                r = copy_read_dockerignore(ctx_fd, b->opts->store->limits.value[LIMIT_DOCKERFILE_BYTES], &ignore);
                if (r == -EXDEV || r == -ELOOP)
                        return step_fail(b, i, r, ".dockerignore is a symlink that leads out of the build context");
                if (r == -EFBIG)
                        return step_fail(b, i, r, ".dockerignore is larger than the dockerfile-bytes limit");
                if (r < 0)
                        return step_fail(b, i, r, "Failed to read .dockerignore: %m");
                spec.ignore = ignore;
        }
        r = copy_key(b, s, i, &spec, from, &key);
        if (r < 0)
                return r;
        if (cache_hit(b, s, i, &key))
                return 1;
        r = step_dirs_make(b, s, from, &d);
        if (r < 0)
                return step_fail(b, i, r, "Failed to prepare the step directory: %m");
        SandboxRootfs root = { .lowers = d.lowers, .n_lowers = strv_length(d.lowers), .upper = d.upper, .work = d.work,
                               .merged = d.merged };
        SandboxRootfs from_root = { .lowers = d.from_lowers, .n_lowers = strv_length(d.from_lowers),
                                    .merged = d.from_merged };
        r = sandbox_call(&root, from ? &from_root : NULL, copy_run, &spec, error);
        if (r < 0)
                return step_fail(b, i, r, "%s", error[0] ? error : "copy failed");
        return commit_upper(b, s, i, &d, &key);
}

/* ---- instructions that only change the config ------------------------------------------------ */

static int handle_arg(Build *b, Stage *s, const DockerfileInstruction *i) {
        return declare_args(b, s, i);
}

static int handle_env(Build *b, Stage *s, const DockerfileInstruction *i) {
        _cleanup_strv_free_ char **pairs = NULL;
        int r;

        r = split_pairs(b, s, i, &pairs);
        if (r < 0)
                return r;
        for (char **p = pairs; *p; p++) {
                char *eq = strchr(*p, '=');
                *eq = 0;
                if ((r = strv_env_set(&s->config.env, *p, eq + 1)) < 0)
                        return r;
        }
        return 0;
}

static int handle_label(Build *b, Stage *s, const DockerfileInstruction *i) {
        _cleanup_strv_free_ char **pairs = NULL;
        int r;

        r = split_pairs(b, s, i, &pairs);
        if (r < 0)
                return r;
        if (!s->config.labels && !(s->config.labels = json_object_new_object()))
                return -ENOMEM;
        for (char **p = pairs; *p; p++) {
                char *eq = strchr(*p, '=');
                *eq = 0;
                json_object_object_add(s->config.labels, *p, json_object_new_string(eq + 1));
        }
        return 0;
}

static int add_unique(char ***l, const char *s) {
        for (char **p = *l; p && *p; p++)
                if (streq(*p, s))
                        return 0;
        return strv_extend(l, s);
}

static int handle_expose(Build *b, Stage *s, const DockerfileInstruction *i) {
        _cleanup_strv_free_ char **words = NULL;
        int r;

        if ((r = expand_words(b, s, i, &words)) < 0)
                return r;
        for (char **w = words; *w; w++) {
                _cleanup_free_ char *port = NULL;
                if (asprintf(&port, "%s%s", *w, strchr(*w, '/') ? "" : "/tcp") < 0)
                        return -ENOMEM;
                if ((r = add_unique(&s->config.exposed_ports, port)) < 0)
                        return r;
        }
        return 0;
}

static int handle_volume(Build *b, Stage *s, const DockerfileInstruction *i) {
        _cleanup_strv_free_ char **words = NULL;
        int r;

        if ((r = expand_words(b, s, i, &words)) < 0)
                return r;
        for (char **w = words; *w; w++)
                if ((r = add_unique(&s->config.volumes, *w)) < 0)
                        return r;
        return 0;
}

static int set_string(Build *b, Stage *s, const DockerfileInstruction *i, char **field) {
        _cleanup_free_ char *v = NULL;
        int r = expand_word(b, s, i, i->args, &v);

        if (r < 0)
                return r;
        free(*field);
        *field = TAKE_PTR(v);
        return 0;
}

static int handle_user(Build *b, Stage *s, const DockerfileInstruction *i) {
        return set_string(b, s, i, &s->config.user);
}

static int handle_stopsignal(Build *b, Stage *s, const DockerfileInstruction *i) {
        return set_string(b, s, i, &s->config.stop_signal);
}

/* Lexically clean an absolute path: no "//", ".", ".." (clamped at "/"). */
static void path_clean(char *p) {
        char *out = p, *s = p;

        while (*s) {
                while (*s == '/')
                        s++;
                char *end = s + strcspn(s, "/");
                size_t n = (size_t) (end - s);
                if (n == 0 || (n == 1 && s[0] == '.')) {
                } else if (n == 2 && s[0] == '.' && s[1] == '.') {
                        while (out > p && *--out != '/')
                                ;
                } else {
                        *out++ = '/';
                        memmove(out, s, n);
                        out += n;
                }
                s = end;
        }
        if (out == p)
                *out++ = '/';
        *out = 0;
}

static int handle_workdir(Build *b, Stage *s, const DockerfileInstruction *i) {
        _cleanup_free_ char *v = NULL;
        char *p = NULL;
        int r = expand_word(b, s, i, i->args, &v);

        if (r < 0)
                return r;
        if (v[0] == '/')
                r = asprintf(&p, "%s", v);
        else
                r = asprintf(&p, "%s/%s", s->config.working_dir ?: "/", v);
        if (r < 0)
                return -ENOMEM;
        path_clean(p);
        free(s->config.working_dir);
        s->config.working_dir = p;
        return 0;
}

static int command_of(Stage *s, const DockerfileInstruction *i, char ***ret) {
        if (i->json)
                return strv_copy(i->argv, ret);
        return run_argv(s, i, ret);
}

static int handle_cmd(Build *b, Stage *s, const DockerfileInstruction *i) {
        strv_free(s->config.cmd);
        s->config.cmd = NULL;
        s->cmd_in_stage = true;
        return command_of(s, i, &s->config.cmd);
}

static int handle_entrypoint(Build *b, Stage *s, const DockerfileInstruction *i) {
        /* As docker: a new ENTRYPOINT drops a CMD inherited from the base. */
        if (!s->cmd_in_stage) {
                strv_free(s->config.cmd);
                s->config.cmd = NULL;
        }
        strv_free(s->config.entrypoint);
        s->config.entrypoint = NULL;
        return command_of(s, i, &s->config.entrypoint);
}

static int handle_shell(Build *b, Stage *s, const DockerfileInstruction *i) {
        strv_free(s->shell);
        s->shell = NULL;
        return strv_copy(i->argv, &s->shell);
}

static const Handler handlers[_DOCKERFILE_INSTRUCTION_MAX] = {
        [DOCKERFILE_ARG]        = handle_arg,
        [DOCKERFILE_ENV]        = handle_env,
        [DOCKERFILE_RUN]        = handle_run,
        [DOCKERFILE_COPY]       = handle_copy,
        [DOCKERFILE_ADD]        = handle_copy,
        [DOCKERFILE_WORKDIR]    = handle_workdir,
        [DOCKERFILE_USER]       = handle_user,
        [DOCKERFILE_LABEL]      = handle_label,
        [DOCKERFILE_EXPOSE]     = handle_expose,
        [DOCKERFILE_VOLUME]     = handle_volume,
        [DOCKERFILE_ENTRYPOINT] = handle_entrypoint,
        [DOCKERFILE_CMD]        = handle_cmd,
        [DOCKERFILE_SHELL]      = handle_shell,
        [DOCKERFILE_STOPSIGNAL] = handle_stopsignal,
};

/* ---- FROM ------------------------------------------------------------------------------------ */

/* Unpack the base's layers into the store, oldest first, each checked against its digest and diff_id;
 * together they may not unpack to more than the image-bytes limit. */
static int unpack_base(Build *b, const DockerfileInstruction *i, Stage *s, const char *image, size_t n) {
        Store *st = b->opts->store;
        uint64_t total = 0;

        for (size_t k = 0; k < n; k++) {
                LayerReadResult res = {};
                ErrorDetail err = {};
                int r = store_ensure_layer(st, s->layers, k, &res, &err);
                if (r < 0)
                        return step_fail(b, i, r, "Failed to unpack the base image %s: %s", image,
                                         error_detail_or(&err, strerror(-r)));
                total += res.stream.tar_bytes;
                if (total > st->limits.value[LIMIT_IMAGE_BYTES])
                        return step_fail(b, i, -EFBIG, "Failed to unpack the base image %s: its layers unpack to more "
                                         "bytes than the image-bytes limit", image);
        }
        return 0;
}

/* What a pull fetched, as the manifest counts it: config and layer blobs. */
static uint64_t manifest_bytes(const OciManifest *m) {
        uint64_t n = m->config.size > 0 ? (uint64_t) m->config.size : 0;

        for (size_t k = 0; k < m->n_layers; k++)
                n += m->layers[k].size > 0 ? (uint64_t) m->layers[k].size : 0;
        return n;
}

static int stage_from_image(Build *b, Stage *s, const DockerfileInstruction *i, const char *image) {
        _cleanup_(oci_manifest_done) OciManifest m = {};
        _cleanup_free_ char *others = NULL;
        char buf[PLATFORM_STRING_MAX], have[PLATFORM_STRING_MAX];
        int r;

        r = store_find_image(b->opts->store, image, &s->platform, &m, &s->config, &others);
        if ((r == -ENOENT || r == -ENXIO || b->opts->pull) && pull_is_remote(image)) {
                ErrorDetail err = {};

                oci_manifest_done(&m);
                oci_config_done(&s->config);
                free(others);
                others = NULL;
                report(b, PROGRESS_PULL, image, 0, 0);
                r = pull_image(b->opts->store, image, &s->platform, b->opts->insecure, &err);
                if (r < 0)
                        return step_fail(b, i, r, "%s", error_detail_or(&err, strerror(-r)));
                r = store_find_image(b->opts->store, image, &s->platform, &m, &s->config, &others);
                if (r >= 0)
                        report(b, PROGRESS_PULLED, NULL, 0, manifest_bytes(&m));
        }
        if (r == -ENXIO)
                return step_fail(b, i, r, "the base image %s has no %s variant (it has: %s); a base of another platform is "
                                 "never used in its place", image, pf(&s->platform, buf), others);
        if (r == -ENOENT)
                return step_fail(b, i, r, "the base image %s is not in the store %s: create it with 'archbuild import' "
                                 "(see scripts/make-base-image), build it first, or name its registry "
                                 "(HOST[:PORT]/REPO:TAG)", image, b->opts->store->path);
        if (r < 0)
                return step_fail(b, i, r, "Failed to read the base image %s: %m", image);
        if (!platform_equal(&s->config.platform, &s->platform))
                return step_fail(b, i, -EMEDIUMTYPE, "the base image %s for %s has a config for %s", image,
                                 pf(&s->platform, buf), pf(&s->config.platform, have));
        if (m.n_layers != s->config.n_diff_ids)
                return step_fail(b, i, -EBADMSG, "the base image %s has %zu layers but %zu diff_ids", image, m.n_layers,
                                 s->config.n_diff_ids);
        s->layers = calloc(m.n_layers ?: 1, sizeof(StoreLayer));
        if (!s->layers)
                return -ENOMEM;
        for (size_t k = 0; k < m.n_layers; k++) {
                StoreLayer *l = &s->layers[k];
                l->digest = m.layers[k].digest;
                l->diff_id = s->config.diff_ids[k];
                l->size = (uint64_t) m.layers[k].size;
                snprintf(l->media_type, sizeof(l->media_type), "%s", m.layers[k].media_type);
        }
        r = unpack_base(b, i, s, image, m.n_layers);
        if (r < 0)
                return r;
        s->n_layers = m.n_layers;
        /* The base's rootfs and history are rebuilt from s->layers at the end. */
        free(s->config.diff_ids);
        s->config.diff_ids = NULL;
        s->config.n_diff_ids = 0;
        /* The base is identified by its config (which names every layer by diff_id). */
        s->chain = m.config.digest;
        return 0;
}

static int stage_copy(Stage *s, const Stage *src) {
        _cleanup_free_ char *cbuf = NULL;
        size_t n;
        int r;

        /* Deep copy through JSON: the config type has a serialiser and a parser already. */
        r = oci_config_to_json(&src->config, &cbuf, &n);
        if (r >= 0)
                r = oci_config_parse(cbuf, n, &s->config);
        if (r < 0)
                return r;
        s->layers = calloc(src->n_layers ?: 1, sizeof(StoreLayer));
        if (!s->layers)
                return -ENOMEM;
        memcpy(s->layers, src->layers, src->n_layers * sizeof(StoreLayer));
        s->n_layers = src->n_layers;
        s->chain = src->chain;
        free(s->config.diff_ids);
        s->config.diff_ids = NULL;
        s->config.n_diff_ids = 0;
        return strv_copy(src->shell, &s->shell);
}

static int handle_from(Build *b, const DockerfileInstruction *i, Stage *s) {
        _cleanup_free_ char *text = NULL, *image = NULL, *plat = NULL;
        const char *image_word, *as_name = NULL;
        static const char *const sh[] = { "/bin/sh", "-c", NULL };
        const Stage *src;
        int r;

        /* "image [AS name]" */
        text = strdup(i->args);
        if (!text)
                return -ENOMEM;
        image_word = strtok(text, " \t");
        if (strtok(NULL, " \t"))
                as_name = strtok(NULL, " \t");
        if (as_name && !(s->name = strdup(as_name)))
                return -ENOMEM;

        s->platform = b->target;
        if (dockerfile_instruction_flag(i, "platform")) {
                r = expand_word(b, NULL, i, dockerfile_instruction_flag(i, "platform"), &plat);
                if (r < 0)
                        return r;
                if (platform_parse(plat, &s->platform) < 0)
                        return step_fail(b, i, -EINVAL, "--platform=%s: not a platform", plat);
        }
        r = expand_word(b, NULL, i, image_word, &image);
        if (r < 0)
                return r;
        if ((src = find_stage(b, image)) && src != s && strcasecmp(image, "scratch") != 0)
                r = stage_copy(s, src);
        else if (streq(image, "scratch")) {
                s->config.platform = s->platform;
                r = oci_digest_buffer("scratch", 7, &s->chain);
        } else
                r = stage_from_image(b, s, i, image);
        if (r < 0)
                return r;
        if (!s->shell && (r = strv_from_list(sh, &s->shell)) < 0)
                return r;
        if (!oci_config_getenv(&s->config, "PATH") && (r = strv_env_set(&s->config.env, "PATH", DEFAULT_PATH)) < 0)
                return r;
        s->config.platform = s->platform;
        return 0;
}

/* ---- the stage loop -------------------------------------------------------------------------- */

static double now_sec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int run_instruction(Build *b, Stage *s, const DockerfileInstruction *i) {
        char q[INSTRUCTION_QUOTE_MAX + 4];
        double t0 = now_sec();
        int r;

        b->step++;
        report(b, PROGRESS_STEP, quote_instruction(i, q), 0, 0);
        if (i->type == DOCKERFILE_FROM)
                r = handle_from(b, i, s);
        else {
                r = handlers[i->type](b, s, i);
                if (r >= 0 && i->type != DOCKERFILE_RUN && i->type != DOCKERFILE_COPY && i->type != DOCKERFILE_ADD)
                        r = add_history(b, s, i, true);
        }
        if (r < 0)
                return r;
        if (r == 1)
                report(b, PROGRESS_CACHED, NULL, 0, 0);
        else if (i->type == DOCKERFILE_RUN || i->type == DOCKERFILE_COPY || i->type == DOCKERFILE_ADD)
                report(b, PROGRESS_DONE, NULL, now_sec() - t0, 0);
        return 0;
}

static int finish_image(Build *b, Stage *s, OciDescriptor *ret) {
        OciDigest *ids = calloc(s->n_layers ?: 1, sizeof(OciDigest));
        int r;

        if (!ids)
                return -ENOMEM;
        for (size_t k = 0; k < s->n_layers; k++)
                ids[k] = s->layers[k].diff_id;
        free(s->config.diff_ids);
        s->config.diff_ids = ids;
        s->config.n_diff_ids = s->n_layers;
        free(s->config.created);
        s->config.created = created_now(b);
        s->config.platform = s->platform;
        r = store_write_image(b->opts->store, &s->config, s->layers, s->n_layers, ret);
        if (r < 0)
                return log_error_errno(r, "Failed to write the image for %s: %m", s->platform.arch);
        return 0;
}

/* The index of the last instruction of the target stage (or of the file). */
static size_t last_instruction(const Build *b, int *ret_error) {
        const Dockerfile *df = b->opts->dockerfile;
        bool in_target = false;

        *ret_error = 0;
        if (!b->opts->target)
                return df->n_instructions;
        for (size_t k = 0; k < df->n_instructions; k++) {
                const DockerfileInstruction *i = &df->instructions[k];
                if (i->type != DOCKERFILE_FROM)
                        continue;
                if (in_target)
                        return k;
                const char *as = i->args + strcspn(i->args, " \t");
                as += strspn(as, " \t");
                if (*as) {
                        as += 2;
                        as += strspn(as, " \t");
                        in_target = strcasecmp(as, b->opts->target) == 0;
                }
        }
        if (in_target)
                return df->n_instructions;
        *ret_error = log_error_errno(ENOENT, "--target %s: no stage of that name", b->opts->target);
        return 0;
}

static int build_platform(Build *b, OciDescriptor *ret) {
        const Dockerfile *df = b->opts->dockerfile;
        Stage *cur = NULL;
        size_t end;
        int r;

        end = last_instruction(b, &r);
        if (r < 0)
                return r;
        for (size_t k = 0; k < end; k++) {
                const DockerfileInstruction *i = &df->instructions[k];

                if (i->type == DOCKERFILE_FROM) {
                        Stage *t = reallocarray(b->stages, b->n_stages + 1, sizeof(Stage));
                        if (!t)
                                return log_oom();
                        b->stages = t;
                        cur = &b->stages[b->n_stages++];
                        *cur = (Stage) {};
                } else if (!cur) {
                        r = declare_args(b, NULL, i);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = run_instruction(b, cur, i);
                if (r < 0)
                        return r;
        }
        return finish_image(b, cur, ret);
}

static int write_etc_files(Build *b) {
        static const char hosts[] = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
        _cleanup_free_ char *dir = NULL;
        FILE *f;
        int r;

        r = store_mkdtemp(b->opts->store, "etc", &dir);
        if (r < 0)
                return r;
        if (asprintf(&b->hosts_file, "%s/hosts", dir) < 0 || asprintf(&b->resolv_file, "%s/resolv.conf", dir) < 0)
                return -ENOMEM;
        if (!(f = fopen(b->hosts_file, "we")))
                return negative_errno();
        fputs(hosts, f);
        fclose(f);
        /* With the host's network the host's resolvers apply; without, there is nothing to reach. */
        if (!(f = fopen(b->resolv_file, "we")))
                return negative_errno();
        if (b->opts->network_host) {
                FILE *in = fopen("/etc/resolv.conf", "re");
                char line[512];
                while (in && fgets(line, sizeof(line), in))
                        fputs(line, f);
                if (in)
                        fclose(in);
        }
        fclose(f);
        return 0;
}

static void build_done(Build *b) {
        for (size_t k = 0; k < b->n_stages; k++)
                stage_done(&b->stages[k]);
        free(b->stages);
        strv_free(b->global_args);
        strv_free(b->auto_args);
        strv_free(b->probed);
        drop_twins(b);
        free(b->emulator);
        if (b->hosts_file) {
                char *slash = strrchr(b->hosts_file, '/');
                *slash = 0;
                (void) rm_rf(b->hosts_file);
        }
        free(b->hosts_file);
        free(b->resolv_file);
        *b = (Build) {};
}

/* Build platform k of opts in this process. */
static int build_one(const BuildOptions *opts, unsigned k, OciDescriptor *ret) {
        _cleanup_(build_done) Build b = { .opts = opts, .target = opts->platforms[k], .index = k };
        double t0 = now_sec();
        int r;

        b.n_steps = (unsigned) opts->dockerfile->n_instructions;
        if ((r = auto_args_init(&b)) < 0 || (r = write_etc_files(&b)) < 0)
                return log_error_errno(r, "Failed to prepare the build: %m");
        r = build_platform(&b, ret);
        if (r < 0)
                return r;
        report(&b, PROGRESS_BUILT, ret->digest.str, now_sec() - t0, 0);
        return 0;
}

/* ---- platforms in parallel ------------------------------------------------------------------- */

/* One platform built by a forked worker. Its stdout and stderr come through pipes and are passed on
 * line by line (prefixed with the platform unless the line names it already), so the output of two
 * platforms never interleaves within a line; the manifest descriptor comes back as JSON on a third
 * pipe. The workers share nothing but the store, whose writers are safe against concurrent builds
 * (blobs and cache records through temporaries and rename, layer trees renamed with
 * RENAME_NOREPLACE, index.json under index.lock). The result keeps the order of --platform,
 * so the index does not depend on which platform finishes first. */
typedef struct Worker {
        pid_t pid;
        char *tmp;              /* the worker's own directory for store_mkdtemp(), removed after it */
        int fds[3];             /* read ends: stdout, stderr, result; -1 when at EOF */
        char line[2][4096];     /* a partial line per output stream */
        size_t n_line[2];
        char *result;           /* the descriptor's JSON */
        size_t n_result;
        int status;             /* waitpid status */
} Worker;

/* A complete line of worker p's stdout (k 0) or stderr (k 1) goes to the progress display, which
 * prints it (plain: prefixed with the platform) or takes the event it carries. */
static void worker_flush(Progress *progress, Worker *w, unsigned p, unsigned k) {
        if (w->n_line[k] == 0)
                return;
        w->line[k][w->n_line[k]] = 0;
        progress_line(progress, p, k == 0, w->line[k]);
        w->n_line[k] = 0;
}

/* Read what fd k of worker w (platform p) has; returns false at EOF (or an error). */
static bool worker_read(Progress *progress, Worker *w, unsigned p, unsigned k) {
        char buf[4096];
        ssize_t n = read(w->fds[k], buf, sizeof(buf));

        if (n < 0 && errno == EINTR)
                return true;
        if (n <= 0)
                return false;
        if (k == 2) {
                char *t = realloc(w->result, w->n_result + (size_t) n + 1);
                if (!t)
                        return false;
                w->result = t;
                memcpy(t + w->n_result, buf, (size_t) n);
                w->n_result += (size_t) n;
                t[w->n_result] = 0;
                return true;
        }
        for (ssize_t j = 0; j < n; j++) {
                w->line[k][w->n_line[k]++] = buf[j];
                if (buf[j] == '\n' || w->n_line[k] == sizeof(w->line[k]) - 1)
                        worker_flush(progress, w, p, k);
        }
        return true;
}

/* In the worker: build, report, exit. Never returns. */
__attribute__((noreturn)) static void worker_main(const BuildOptions *opts, unsigned p, char *tmp, int out[3][2]) {
        _cleanup_(oci_descriptor_done) OciDescriptor d = {};
        json_object *o = NULL;
        const char *text;
        int r;

        (void) prctl(PR_SET_PDEATHSIG, SIGKILL); /* and the sandbox's processes follow this one */
        if (getppid() == 1)
                _exit(EXIT_FAILURE);
        if (dup2(out[0][1], STDOUT_FILENO) < 0 || dup2(out[1][1], STDERR_FILENO) < 0)
                _exit(EXIT_FAILURE);
        for (unsigned k = 0; k < 2; k++)
                close(out[k][1]);
        /* What a worker killed mid-step leaves in its directories goes with them (build_parallel). */
        opts->store->tmp = tmp;
        progress_become_worker(opts->progress);
        r = build_one(opts, p, &d);
        if (r >= 0 && oci_descriptor_to_json(&d, &o) >= 0) {
                text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
                r = loop_write(out[2][1], text, strlen(text));
                json_object_put(o);
        } else if (r >= 0)
                r = log_oom();
        fflush(stdout);
        fflush(stderr);
        _exit(r < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
}

static int worker_start(const BuildOptions *opts, unsigned p, Worker *w) {
        int out[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
        int r = 0;

        r = store_mkdtemp(opts->store, "worker", &w->tmp);
        for (unsigned k = 0; k < 3 && r >= 0; k++)
                if (pipe2(out[k], O_CLOEXEC) < 0)
                        r = negative_errno();
        if (r >= 0) {
                fflush(stdout);
                fflush(stderr);
                w->pid = fork();
                if (w->pid < 0)
                        r = negative_errno();
                else if (w->pid == 0)
                        worker_main(opts, p, w->tmp, out);
        }
        for (unsigned k = 0; k < 3; k++) {
                if (out[k][1] >= 0)
                        close(out[k][1]);
                w->fds[k] = out[k][0];
                if (r < 0 && out[k][0] >= 0)
                        close(out[k][0]), w->fds[k] = -1;
        }
        return r;
}

static int build_parallel(const BuildOptions *opts, unsigned jobs, BuildResult *result) {
        Worker w[BUILD_PLATFORMS_MAX] = {};
        char prefix[BUILD_PLATFORMS_MAX][PLATFORM_STRING_MAX + 2];
        unsigned started = 0, running = 0;
        int r = 0;

        for (unsigned p = 0; p < opts->n_platforms; p++) {
                char buf[PLATFORM_STRING_MAX];
                snprintf(prefix[p], sizeof(prefix[p]), "[%s]", platform_to_string(&opts->platforms[p], buf));
                w[p] = (Worker) { .fds = { -1, -1, -1 } };
        }
        while (running > 0 || (started < opts->n_platforms && r >= 0)) {
                struct pollfd pfd[BUILD_PLATFORMS_MAX * 3];
                unsigned owner[BUILD_PLATFORMS_MAX * 3], n = 0;

                while (r >= 0 && running < jobs && started < opts->n_platforms) {
                        r = worker_start(opts, started, &w[started]);
                        if (r < 0) {
                                log_error_errno(r, "Failed to start the build of %s: %m", prefix[started]);
                                for (unsigned q = 0; q < started; q++)
                                        if (w[q].pid > 0)
                                                (void) kill(w[q].pid, SIGTERM);
                                break;
                        }
                        started++, running++;
                }
                for (unsigned p = 0; p < started; p++)
                        for (unsigned k = 0; k < 3; k++)
                                if (w[p].fds[k] >= 0) {
                                        pfd[n] = (struct pollfd) { .fd = w[p].fds[k], .events = POLLIN };
                                        owner[n++] = p * 3 + k;
                                }
                if (n == 0)
                        break;
                if (poll(pfd, n, progress_timeout(opts->progress)) < 0) {
                        if (errno == EINTR)
                                continue;
                        r = log_error_errno(errno, "poll: %m");
                        break;
                }
                progress_tick(opts->progress);
                for (unsigned j = 0; j < n; j++) {
                        Worker *x = &w[owner[j] / 3];
                        unsigned k = owner[j] % 3, p = owner[j] / 3;

                        if (!pfd[j].revents || worker_read(opts->progress, x, p, k))
                                continue;
                        if (k < 2)
                                worker_flush(opts->progress, x, p, k);
                        close(x->fds[k]);
                        x->fds[k] = -1;
                        if (x->fds[0] >= 0 || x->fds[1] >= 0 || x->fds[2] >= 0)
                                continue;
                        /* All three at EOF: the worker is done. */
                        while (waitpid(x->pid, &x->status, 0) < 0 && errno == EINTR)
                                ;
                        x->pid = 0;
                        (void) rm_rf(x->tmp);
                        running--;
                        progress_finish(opts->progress, p, !(WIFEXITED(x->status) && WEXITSTATUS(x->status) == 0));
                        if (r >= 0 && !(WIFEXITED(x->status) && WEXITSTATUS(x->status) == 0)) {
                                r = -EIO;
                                /* Stop the others, as the sequential build stops at the first failure. */
                                for (unsigned q = 0; q < started; q++)
                                        if (w[q].pid > 0)
                                                (void) kill(w[q].pid, SIGTERM);
                        }
                }
        }
        for (unsigned p = 0; p < started && r >= 0; p++) {
                json_object *o = w[p].result ? json_tokener_parse(w[p].result) : NULL;
                r = o ? oci_descriptor_from_json(o, &result->manifests[p]) : -EBADMSG;
                json_object_put(o);
                if (r < 0)
                        log_error_errno(r, "Failed to read the result of %s: %m", prefix[p]);
                else
                        result->n_manifests = p + 1;
        }
        for (unsigned p = 0; p < opts->n_platforms; p++) {
                for (unsigned k = 0; k < 3; k++)
                        if (w[p].fds[k] >= 0)
                                close(w[p].fds[k]);
                if (w[p].pid > 0) {
                        (void) kill(w[p].pid, SIGKILL);
                        (void) waitpid(w[p].pid, NULL, 0);
                }
                if (w[p].tmp)
                        (void) rm_rf(w[p].tmp);
                free(w[p].tmp);
                free(w[p].result);
        }
        return r;
}

int build_run(const BuildOptions *opts, BuildResult *ret) {
        BuildResult result = {};
        unsigned jobs = opts->jobs;
        int r = 0;

        if (jobs == 0) {
                long n = sysconf(_SC_NPROCESSORS_ONLN);
                jobs = n > 0 ? (unsigned) n : 1;
        }
        if (jobs > opts->n_platforms)
                jobs = opts->n_platforms;
        /* tty and quiet own the terminal: the steps' output comes through the workers' pipes. */
        if (jobs > 1 || progress_needs_workers(opts->progress))
                r = build_parallel(opts, jobs, &result);
        else
                for (unsigned p = 0; p < opts->n_platforms && r >= 0; p++) {
                        r = build_one(opts, p, &result.manifests[p]);
                        if (r >= 0)
                                result.n_manifests++;
                }
        if (r < 0) {
                build_result_done(&result);
                return r;
        }
        *ret = result;
        return 0;
}
