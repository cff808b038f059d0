/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* routes.conf text -> rules (routes_parse()) -> the index (routes_compile()): two passes over the rules,
 * the first to lay the index out, the second to write it. No allocation, like the lookup, so that the
 * shim may compile a stale index on its stack. */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "hexdecoct.h"
#include "macro.h"
#include "platform.h"
#include "routes-index.h"

/* ---- small helpers ----------------------------------------------------------------------------- */

static bool text_eq(RouteText t, const char *s) {
        return t.n == strlen(s) && memcmp(t.p, s, t.n) == 0;
}

static RouteText text_trim(const char *p, size_t n) {
        while (n > 0 && (*p == ' ' || *p == '\t'))
                p++, n--;
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
                n--;
        return (RouteText) { p, n };
}

/* Hex digits (no separators) into at most max bytes. Returns the byte count or -EINVAL. */
static int hex_parse(RouteText t, uint8_t *ret, size_t max) {
        if (t.n == 0 || t.n % 2 != 0 || t.n / 2 > max)
                return -EINVAL;
        for (size_t i = 0; i < t.n; i += 2) {
                int hi = unhexchar(t.p[i]), lo = unhexchar(t.p[i + 1]);
                if (hi < 0 || lo < 0)
                        return -EINVAL;
                ret[i / 2] = (uint8_t) (hi << 4 | lo);
        }
        return (int) (t.n / 2);
}

static bool has_glob_chars(RouteText t) {
        for (size_t i = 0; i < t.n; i++)
                if (t.p[i] == '*' || t.p[i] == '?' || t.p[i] == '[' || t.p[i] == '\\')
                        return true;
        return false;
}

static bool has_nul(RouteText t) {
        return memchr(t.p, 0, t.n) != NULL;
}

/* ---- the text parser --------------------------------------------------------------------------- */

typedef struct ParseState {
        RouteRuleSrc rule;
        bool in_rule, have_platform;
        RouteRuleFunc f;
        void *userdata;
} ParseState;

static int fail(RoutesError *e, unsigned line, const char *message) {
        if (e) {
                e->line = line;
                e->message = message;
        }
        return -EINVAL;
}

static int list_add(RouteText *list, unsigned *n, RouteText v) {
        if (*n >= ROUTES_LIST_MAX)
                return -E2BIG;
        list[(*n)++] = v;
        return 0;
}

static int set_platform(RouteRuleSrc *r, RouteText v) {
        char s[PLATFORM_STRING_MAX];
        const PlatformInfo *info;
        Platform p;

        if (v.n >= sizeof(s))
                return -EINVAL;
        memcpy(s, v.p, v.n);
        s[v.n] = 0;
        if (platform_parse(s, &p) < 0 || !(info = platform_info_lookup(&p)))
                return -EINVAL;
        r->machine = info->elf_machine;
        r->elf_class = info->elf_class;
        r->elf_data = info->elf_data;
        r->mips_abi = (uint8_t) info->mips_abi;
        return 0;
}

/* One "key = value" line. Returns 0 or a static error message through *ret_msg and -EINVAL. */
static int rule_set(ParseState *st, RouteText key, RouteText v, const char **ret_msg) {
        RouteRuleSrc *r = &st->rule;
        int n;

        if (has_nul(v))
                return *ret_msg = "NUL byte in value", -EINVAL;
        if (text_eq(key, "arg"))
                return list_add(r->args, &r->n_args, v) < 0 ? (*ret_msg = "too many arg= lines", -EINVAL) : 0;
        if (text_eq(key, "append-arg"))
                return list_add(r->post_args, &r->n_post_args, v) < 0 ? (*ret_msg = "too many append-arg= lines", -EINVAL) : 0;
        if (v.n == 0)
                return *ret_msg = "empty value", -EINVAL;
        if (text_eq(key, "platform")) {
                if (set_platform(r, v) < 0)
                        return *ret_msg = "unknown platform", -EINVAL;
                st->have_platform = true;
        } else if (text_eq(key, "path")) {
                if (v.p[0] != '/')
                        return *ret_msg = "path= must be absolute", -EINVAL;
                r->path = v;
                r->path_is_glob = has_glob_chars(v);
        } else if (text_eq(key, "build-id")) {
                if ((n = hex_parse(v, r->build_id, sizeof(r->build_id))) < 0)
                        return *ret_msg = "build-id= must be hex digits (at most 64 bytes)", -EINVAL;
                r->build_id_size = (size_t) n;
        } else if (text_eq(key, "sha256")) {
                if (v.n != 2 * SHA256_DIGEST_SIZE || hex_parse(v, r->sha256, sizeof(r->sha256)) < 0)
                        return *ret_msg = "sha256= must be 64 hex digits", -EINVAL;
                r->has_sha256 = true;
        } else if (text_eq(key, "exec")) {
                if (v.p[0] != '/')
                        return *ret_msg = "exec= must be an absolute path", -EINVAL;
                r->exec = v;
        } else if (text_eq(key, "argv0"))
                r->argv0 = v;
        else if (text_eq(key, "keep-argv0")) {
                if (!text_eq(v, "yes"))
                        return *ret_msg = "keep-argv0= takes yes only", -EINVAL;
                r->keep_argv0 = true;
        }
        else if (text_eq(key, "unless-arg")) {
                if (list_add(r->unless_args, &r->n_unless_args, v) < 0)
                        return *ret_msg = "too many unless-arg= lines", -EINVAL;
        } else if (text_eq(key, "unless-env")) {
                if (v.p[0] == '=')
                        return *ret_msg = "unless-env= needs a variable name", -EINVAL;
                if (list_add(r->unless_envs, &r->n_unless_envs, v) < 0)
                        return *ret_msg = "too many unless-env= lines", -EINVAL;
        } else if (text_eq(key, "unless-env-dir")) {
                if (memchr(v.p, '=', v.n))
                        return *ret_msg = "unless-env-dir= takes a variable name only", -EINVAL;
                if (list_add(r->unless_env_dirs, &r->n_unless_env_dirs, v) < 0)
                        return *ret_msg = "too many unless-env-dir= lines", -EINVAL;
        } else
                return *ret_msg = "unknown key", -EINVAL;
        return 0;
}

static int rule_finish(ParseState *st, RoutesError *e) {
        const RouteRuleSrc *r = &st->rule;
        int k;

        if (!st->in_rule)
                return 0;
        st->in_rule = false;
        if (!st->have_platform)
                return fail(e, r->line, "route without platform=");
        if (r->exec.n == 0)
                return fail(e, r->line, "route without exec=");
        if (r->path.n == 0 && r->build_id_size == 0)
                return fail(e, r->line, "route needs path= or build-id=");
        if (r->has_sha256 && r->path.n == 0)
                return fail(e, r->line, "sha256= needs a path= too");
        k = st->f(r, st->userdata);
        return k < 0 ? k : 0;
}

static int parse_line(ParseState *st, RouteText l, unsigned line, RoutesError *e) {
        const char *eq, *msg = NULL;

        if (l.n == 0 || l.p[0] == '#' || l.p[0] == ';')
                return 0;
        if (l.p[0] == '[') {
                int r = rule_finish(st, e);
                if (r < 0)
                        return r;
                if (!text_eq(l, "[route]"))
                        return fail(e, line, "unknown section (only [route])");
                memset(&st->rule, 0, sizeof(st->rule));
                st->rule.line = line;
                st->in_rule = true;
                st->have_platform = false;
                return 0;
        }
        if (!st->in_rule)
                return fail(e, line, "setting outside a [route] section");
        eq = memchr(l.p, '=', l.n);
        if (!eq)
                return fail(e, line, "expected key = value");
        if (rule_set(st, text_trim(l.p, (size_t) (eq - l.p)),
                     text_trim(eq + 1, l.n - (size_t) (eq + 1 - l.p)), &msg) < 0)
                return fail(e, line, msg);
        return 0;
}

int routes_parse(const char *text, size_t len, RouteRuleFunc f, void *userdata, RoutesError *ret_error) {
        ParseState st = { .f = f, .userdata = userdata };
        unsigned line = 0;
        int r;

        if (len > ROUTES_TEXT_MAX)
                return -E2BIG;
        for (size_t i = 0; i < len;) {
                const char *nl = memchr(text + i, '\n', len - i);
                size_t n = nl ? (size_t) (nl - (text + i)) : len - i;
                r = parse_line(&st, text_trim(text + i, n), ++line, ret_error);
                if (r < 0)
                        return r;
                i += n + 1;
        }
        return rule_finish(&st, ret_error);
}

/* ---- the compiler ------------------------------------------------------------------------------ */

typedef struct Compile {
        uint8_t *out;
        size_t size;            /* of out */
        bool emit;              /* pass 2: write */
        uint32_t n_rules, n_items, str_used, n_globs;
        IndexHeader h;          /* layout, known after pass 1 */
} Compile;

static uint32_t str_put(Compile *c, RouteText t) {
        uint32_t off = c->str_used;

        if (t.n == 0)
                return 0;
        if (c->emit) {
                memcpy(c->out + c->h.str_off + off, t.p, t.n);
                c->out[c->h.str_off + off + t.n] = 0;
        }
        c->str_used += (uint32_t) t.n + 1;
        return off;
}

static uint32_t list_put(Compile *c, const RouteText *list, unsigned n) {
        uint32_t first = c->n_items;

        for (unsigned i = 0; i < n; i++) {
                uint32_t s = list[i].n ? str_put(c, list[i]) : c->h.str_size - 1; /* the final NUL: "" */
                if (c->emit)
                        memcpy(c->out + c->h.items_off + 4 * (size_t) c->n_items, &s, 4);
                c->n_items++;
        }
        return first;
}

static int compile_rule(const RouteRuleSrc *r, void *userdata) {
        Compile *c = userdata;
        IndexRule ir = {
                .line = r->line,
                .machine = r->machine,
                .elf_class = r->elf_class,
                .elf_data = r->elf_data,
                .mips_abi = r->mips_abi,
                .build_id_size = (uint8_t) r->build_id_size,
                .has_sha256 = r->has_sha256,
                .keep_argv0 = r->keep_argv0,
        };

        memcpy(ir.build_id, r->build_id, r->build_id_size);
        memcpy(ir.sha256, r->sha256, sizeof(ir.sha256));
        ir.path = str_put(c, r->path);
        ir.exec = str_put(c, r->exec);
        ir.argv0 = str_put(c, r->argv0);
        ir.n_args = r->n_args;
        ir.args = list_put(c, r->args, r->n_args);
        ir.n_post_args = r->n_post_args;
        ir.post_args = list_put(c, r->post_args, r->n_post_args);
        ir.n_unless_args = r->n_unless_args;
        ir.unless_args = list_put(c, r->unless_args, r->n_unless_args);
        ir.n_unless_envs = r->n_unless_envs;
        ir.unless_envs = list_put(c, r->unless_envs, r->n_unless_envs);
        ir.n_unless_env_dirs = r->n_unless_env_dirs;
        ir.unless_env_dirs = list_put(c, r->unless_env_dirs, r->n_unless_env_dirs);
        if (r->build_id_size > 0) {
                ir.key = ROUTE_KEY_BUILD_ID;
                ir.key_hash = routes_key_hash(ir.key, r->build_id, r->build_id_size);
        } else if (!r->path_is_glob) {
                ir.key = ROUTE_KEY_PATH;
                ir.key_hash = routes_key_hash(ir.key, r->path.p, r->path.n);
        } else
                ir.key = ROUTE_KEY_GLOB;
        if (c->emit) {
                memcpy(c->out + c->h.rules_off + sizeof(IndexRule) * (size_t) c->n_rules, &ir, sizeof(ir));
                if (ir.key == ROUTE_KEY_GLOB)
                        memcpy(c->out + c->h.globs_off + 4 * (size_t) c->n_globs, &c->n_rules, 4);
        }
        if (ir.key == ROUTE_KEY_GLOB)
                c->n_globs++;
        c->n_rules++;
        return 0;
}

static uint32_t align8(uint32_t x) {
        return (x + 7u) & ~7u;
}

/* Lay the tables out from pass 1's counts. Returns the total size, or 0 when over the limit. */
static size_t layout(Compile *c) {
        IndexHeader *h = &c->h;
        uint64_t total;

        h->n_rules = c->n_rules;
        h->n_buckets = 1;
        while (h->n_buckets < 2 * c->n_rules)
                h->n_buckets <<= 1;
        h->n_globs = c->n_globs;
        h->n_items = c->n_items;
        h->str_size = c->str_used + 1; /* + the shared "" at the end, for empty arguments */
        total = align8(sizeof(IndexHeader));
        h->rules_off = (uint32_t) total;
        total += (uint64_t) sizeof(IndexRule) * h->n_rules;
        h->buckets_off = (uint32_t) total;
        total += 4ull * h->n_buckets;
        h->globs_off = (uint32_t) total;
        total += 4ull * h->n_globs;
        h->items_off = (uint32_t) total;
        total += 4ull * h->n_items;
        h->str_off = (uint32_t) total;
        total += h->str_size;
        if (total > ROUTES_INDEX_MAX)
                return 0;
        h->total_size = (uint32_t) total;
        return (size_t) total;
}

static void buckets_fill(Compile *c) {
        uint8_t *rules = c->out + c->h.rules_off;
        uint32_t *buckets = (uint32_t *) (void *) (c->out + c->h.buckets_off);

        /* Backwards, so each chain runs in file order. */
        for (uint32_t i = c->h.n_rules; i-- > 0;) {
                IndexRule ir;
                uint32_t b;
                memcpy(&ir, rules + sizeof(IndexRule) * (size_t) i, sizeof(ir));
                if (ir.key == ROUTE_KEY_GLOB)
                        continue;
                b = ir.key_hash & (c->h.n_buckets - 1);
                ir.next = buckets[b];
                buckets[b] = i + 1;
                memcpy(rules + sizeof(IndexRule) * (size_t) i, &ir, sizeof(ir));
        }
}

int routes_compile(const char *text, size_t len, uint64_t source_size, int64_t source_mtime_ns,
                   void *out, size_t size, size_t *ret_size, RoutesError *ret_error) {
        Compile c = { .out = out, .size = size };
        Sha256 sha;
        size_t total;
        int r;

        /* str_off starts at 1: offset 0 is the shared "none". */
        c.str_used = 1;
        r = routes_parse(text, len, compile_rule, &c, ret_error);
        if (r < 0)
                return r;
        total = layout(&c);
        if (total == 0)
                return fail(ret_error, 0, "index would exceed ROUTES_INDEX_MAX"), -E2BIG;
        *ret_size = total;
        if (total > size || ((uintptr_t) out & 7) != 0)
                return -ENOBUFS;

        memset(out, 0, total);
        c.emit = true;
        c.n_rules = c.n_items = c.n_globs = 0;
        c.str_used = 1;
        r = routes_parse(text, len, compile_rule, &c, ret_error);
        if (r < 0)
                return r;
        buckets_fill(&c);
        memcpy(c.h.magic, ROUTES_MAGIC, sizeof(c.h.magic));
        c.h.header_size = sizeof(IndexHeader);
        c.h.rule_size = sizeof(IndexRule);
        c.h.source_size = source_size;
        c.h.source_mtime_ns = source_mtime_ns;
        sha256_init(&sha);
        sha256_update(&sha, text, len);
        sha256_final(&sha, c.h.source_sha256);
        memcpy(out, &c.h, sizeof(c.h));
        return 0;
}

