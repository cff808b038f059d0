/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "hexdecoct.h"
#include "platform.h"
#include "routes.h"

/* ---- the index layout -------------------------------------------------------------------------- */

#define ROUTES_MAGIC "ARWRTE1\n"

typedef struct IndexHeader {
        char magic[8];
        uint32_t header_size, rule_size, total_size;
        uint32_t n_rules, n_buckets, n_globs, n_items, str_size;
        uint32_t rules_off, buckets_off, globs_off, items_off, str_off;
        uint32_t reserved;
        uint64_t source_size;
        int64_t source_mtime_ns;
} IndexHeader;

/* One rule. Strings are offsets into the string table, whose byte 0 is NUL ("none"); lists are
 * (first, count) ranges of the items table, whose entries are string offsets. */
typedef struct IndexRule {
        uint32_t line;
        uint32_t key_hash;
        uint32_t next;          /* rule number + 1 of the next one in the same bucket; 0 ends */
        uint16_t machine;
        uint8_t elf_class, elf_data, mips_abi;
        uint8_t key;            /* RouteKey */
        uint8_t build_id_size;
        uint8_t has_sha256;
        uint8_t build_id[ELF_BUILD_ID_MAX];
        uint8_t sha256[SHA256_DIGEST_SIZE];
        uint32_t path, exec, argv0;
        uint32_t args, n_args, post_args, n_post_args;
        uint32_t unless_args, n_unless_args, unless_envs, n_unless_envs;
} IndexRule;

/* ---- small helpers ----------------------------------------------------------------------------- */

/* FNV-1a, 32 bits: keys are short (a path, 20 bytes of build-id); any decent spread will do. The key
 * kind is mixed in so a path can never collide with a build-id on purpose. */
static uint32_t key_hash(uint8_t kind, const void *p, size_t n) {
        const uint8_t *b = p;
        uint32_t h = 2166136261u ^ kind;

        for (size_t i = 0; i < n; i++)
                h = (h ^ b[i]) * 16777619u;
        return h;
}

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

/* ---- glob and path ----------------------------------------------------------------------------- */

/* Match one bracket expression at pattern[*i] (just past '[') against c. Returns 1 match, 0 no match,
 * -1 when the bracket is not closed (then '[' is an ordinary character). Advances *i past ']'. */
static int bracket_match(const char *pat, size_t plen, size_t *i, char c, bool pathname) {
        size_t j = *i;
        bool negate = false, matched = false;

        if (j < plen && (pat[j] == '!' || pat[j] == '^'))
                negate = true, j++;
        for (bool first = true; j < plen && (first || pat[j] != ']'); first = false) {
                char lo = pat[j], hi;
                if (lo == '\\' && j + 1 < plen)
                        lo = pat[++j];
                j++;
                hi = lo;
                if (j + 1 < plen && pat[j] == '-' && pat[j + 1] != ']') {
                        hi = pat[j + 1];
                        if (hi == '\\' && j + 2 < plen)
                                hi = pat[++j + 1];
                        j += 2;
                }
                if ((unsigned char) c >= (unsigned char) lo && (unsigned char) c <= (unsigned char) hi)
                        matched = true;
        }
        if (j >= plen)
                return -1;
        *i = j + 1;
        if (pathname && c == '/')
                return 0;
        return matched != negate;
}

bool routes_glob_match(const char *pat, size_t plen, const char *s, bool pathname) {
        size_t pi = 0, si = 0, star_p = SIZE_MAX, star_s = 0;

        for (;;) {
                if (pi < plen) {
                        char pc = pat[pi];
                        if (pc == '*') {
                                star_p = ++pi;
                                star_s = si;
                                continue;
                        }
                        if (s[si] != 0) {
                                if (pc == '?' && !(pathname && s[si] == '/')) {
                                        pi++, si++;
                                        continue;
                                }
                                if (pc == '[') {
                                        size_t j = pi + 1;
                                        int r = bracket_match(pat, plen, &j, s[si], pathname);
                                        if (r > 0) {
                                                pi = j, si++;
                                                continue;
                                        }
                                        if (r < 0 && s[si] == '[') {
                                                pi++, si++;
                                                continue;
                                        }
                                } else if (pc != '?') {
                                        if (pc == '\\' && pi + 1 < plen)
                                                pc = pat[++pi];
                                        if (pc == s[si]) {
                                                pi++, si++;
                                                continue;
                                        }
                                }
                        }
                } else if (s[si] == 0)
                        return true;
                /* Mismatch: let the last '*' swallow one more character, unless it may not. */
                if (star_p == SIZE_MAX || s[star_s] == 0 || (pathname && s[star_s] == '/'))
                        return false;
                pi = star_p;
                si = ++star_s;
        }
}

int routes_path_normalise(const char *cwd, const char *path, char *buf, size_t size) {
        size_t n = 0;
        const char *parts[2] = { NULL, path };

        if (!path || size < 2)
                return -EINVAL;
        if (path[0] != '/') {
                if (!cwd || cwd[0] != '/')
                        return -EINVAL;
                parts[0] = cwd;
        }
        buf[n++] = '/';
        for (unsigned k = 0; k < 2; k++) {
                const char *p = parts[k];
                while (p && *p) {
                        const char *e;
                        size_t len;
                        while (*p == '/')
                                p++;
                        e = strchrnul(p, '/');
                        len = (size_t) (e - p);
                        if (len == 0 || (len == 1 && p[0] == '.')) {
                                /* nothing */
                        } else if (len == 2 && p[0] == '.' && p[1] == '.') {
                                while (n > 1 && buf[n - 1] != '/')
                                        n--;
                                if (n > 1)
                                        n--; /* the slash before the dropped component */
                        } else {
                                if (n + (n > 1) + len + 1 > size)
                                        return -ENAMETOOLONG;
                                if (n > 1)
                                        buf[n++] = '/';
                                memcpy(buf + n, p, len);
                                n += len;
                        }
                        p = e;
                }
        }
        buf[n] = 0;
        return (int) n;
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
        else if (text_eq(key, "unless-arg")) {
                if (list_add(r->unless_args, &r->n_unless_args, v) < 0)
                        return *ret_msg = "too many unless-arg= lines", -EINVAL;
        } else if (text_eq(key, "unless-env")) {
                if (v.p[0] == '=')
                        return *ret_msg = "unless-env= needs a variable name", -EINVAL;
                if (list_add(r->unless_envs, &r->n_unless_envs, v) < 0)
                        return *ret_msg = "too many unless-env= lines", -EINVAL;
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
        if (r->build_id_size > 0) {
                ir.key = ROUTE_KEY_BUILD_ID;
                ir.key_hash = key_hash(ir.key, r->build_id, r->build_id_size);
        } else if (!r->path_is_glob) {
                ir.key = ROUTE_KEY_PATH;
                ir.key_hash = key_hash(ir.key, r->path.p, r->path.n);
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
        memcpy(out, &c.h, sizeof(c.h));
        return 0;
}

/* ---- reading an index -------------------------------------------------------------------------- */

static const IndexHeader *header(const void *index) {
        return index;
}

static bool range_ok(uint64_t off, uint64_t count, uint64_t elem, uint64_t total) {
        return off <= total && count * elem <= total - off;
}

int routes_index_check(const void *index, size_t size) {
        const IndexHeader *h = index;

        if (!index || size < sizeof(IndexHeader) || size > ROUTES_INDEX_MAX || ((uintptr_t) index & 7) != 0)
                return -EBADMSG;
        if (memcmp(h->magic, ROUTES_MAGIC, sizeof(h->magic)) != 0 || h->header_size != sizeof(IndexHeader) ||
            h->rule_size != sizeof(IndexRule) || h->total_size != size)
                return -EBADMSG;
        if (h->n_buckets == 0 || (h->n_buckets & (h->n_buckets - 1)) != 0 || h->n_globs > h->n_rules ||
            h->str_size == 0)
                return -EBADMSG;
        if ((h->rules_off | h->buckets_off | h->globs_off | h->items_off) & 3)
                return -EBADMSG;
        if (!range_ok(h->rules_off, h->n_rules, sizeof(IndexRule), size) ||
            !range_ok(h->buckets_off, h->n_buckets, 4, size) || !range_ok(h->globs_off, h->n_globs, 4, size) ||
            !range_ok(h->items_off, h->n_items, 4, size) || !range_ok(h->str_off, h->str_size, 1, size))
                return -EBADMSG;
        /* Every string ends inside the table because the table does. */
        if (((const char *) index)[h->str_off + h->str_size - 1] != 0)
                return -EBADMSG;
        return 0;
}

void routes_index_source(const void *index, uint64_t *ret_size, int64_t *ret_mtime_ns) {
        *ret_size = header(index)->source_size;
        *ret_mtime_ns = header(index)->source_mtime_ns;
}

unsigned routes_index_count(const void *index) {
        return header(index)->n_rules;
}

static const IndexRule *rule_at(const void *index, uint32_t i) {
        const IndexHeader *h = index;
        if (i >= h->n_rules)
                return NULL;
        return (const IndexRule *) (const void *) ((const uint8_t *) index + h->rules_off + sizeof(IndexRule) * (size_t) i);
}

static const char *str_at(const void *index, uint32_t off) {
        const IndexHeader *h = index;
        if (off >= h->str_size)
                return NULL;
        return (const char *) index + h->str_off + off;
}

static const char *item_at(const void *index, uint32_t first, uint32_t count, uint32_t i) {
        const IndexHeader *h = index;
        uint32_t off;

        if (i >= count || first > h->n_items || count > h->n_items - first)
                return NULL;
        memcpy(&off, (const uint8_t *) index + h->items_off + 4 * ((size_t) first + i), 4);
        return str_at(index, off);
}

static const char *env_get(char *const *envp, const char *name, size_t n) {
        for (; envp && *envp; envp++)
                if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
                        return *envp + n + 1;
        return NULL;
}

/* The conditions: does anything veto the rule? Returns 1 vetoed (miss filled), 0 not, -EBADMSG. */
static int rule_vetoed(const void *index, const IndexRule *ir, const RoutesQuery *q, RouteMiss *miss) {
        for (uint32_t i = 0; i < ir->n_unless_args; i++) {
                const char *pat = item_at(index, ir->unless_args, ir->n_unless_args, i);
                if (!pat)
                        return -EBADMSG;
                for (size_t a = 0; a < q->n_args; a++)
                        if (routes_glob_match(pat, strlen(pat), q->args[a], false))
                                return *miss = (RouteMiss) { ir->line, "unless-arg", q->args[a] }, 1;
        }
        for (uint32_t i = 0; i < ir->n_unless_envs; i++) {
                const char *cond = item_at(index, ir->unless_envs, ir->n_unless_envs, i), *eq, *v;
                if (!cond)
                        return -EBADMSG;
                eq = strchrnul(cond, '=');
                v = env_get(q->envp, cond, (size_t) (eq - cond));
                if (v && (!*eq || routes_glob_match(eq + 1, strlen(eq + 1), v, false)))
                        return *miss = (RouteMiss) { ir->line, "unless-env", cond }, 1;
        }
        return 0;
}

/* A rule about another program says less than a condition that vetoed this one: keep the veto. */
static void miss_identity(RouteMiss *miss, unsigned line, const char *why, const char *what) {
        if (miss->line == 0 || !strneq(miss->why, "unless-", 7))
                *miss = (RouteMiss) { line, why, what };
}

typedef struct LookupState {
        bool sha_done;
        int sha_r;
        uint8_t sha[SHA256_DIGEST_SIZE];
} LookupState;

/* Identity checks: platform, build-id, path, sha256. Returns 1 when the rule is about this program. */
static int rule_is_for(const void *index, const IndexRule *ir, const RoutesQuery *q, LookupState *st,
                       RouteMiss *miss) {
        const char *path;

        if (ir->machine != q->machine || ir->elf_class != q->elf_class || ir->elf_data != q->elf_data ||
            (ir->machine == EM_MIPS && ir->mips_abi != q->mips_abi))
                return 0;
        if (ir->build_id_size > ELF_BUILD_ID_MAX)
                return -EBADMSG;
        if (ir->build_id_size > 0 && (ir->build_id_size != q->build_id_size ||
                                      memcmp(ir->build_id, q->build_id, ir->build_id_size) != 0))
                return 0;
        if (!(path = str_at(index, ir->path)))
                return -EBADMSG;
        if (*path) {
                /* An exact path has no glob characters, so matching it as a glob is equality. */
                if (!q->path || !routes_glob_match(path, strlen(path), q->path, true))
                        return miss_identity(miss, ir->line, "path", path), 0;
        }
        if (ir->has_sha256) {
                if (!st->sha_done) {
                        st->sha_r = q->sha256 ? q->sha256(q->userdata, st->sha) : -ENOSYS;
                        st->sha_done = true;
                }
                if (st->sha_r < 0 || memcmp(st->sha, ir->sha256, SHA256_DIGEST_SIZE) != 0)
                        return miss_identity(miss, ir->line, "sha256", NULL), 0;
        }
        return 1;
}

static int consider(const void *index, uint32_t i, const RoutesQuery *q, LookupState *st, uint32_t *best,
                    RouteMiss *miss) {
        const IndexRule *ir = rule_at(index, i);
        int r;

        if (!ir)
                return -EBADMSG;
        if (i >= *best)
                return 0; /* an earlier rule already won */
        r = rule_is_for(index, ir, q, st, miss);
        if (r <= 0)
                return r;
        r = rule_vetoed(index, ir, q, miss);
        if (r < 0)
                return r;
        if (r == 0)
                *best = i;
        return 0;
}

static int chain_walk(const void *index, uint8_t kind, const void *key, size_t n, const RoutesQuery *q,
                      LookupState *st, uint32_t *best, RouteMiss *miss) {
        const IndexHeader *h = index;
        uint32_t hash = key_hash(kind, key, n), next, steps = 0;

        memcpy(&next, (const uint8_t *) index + h->buckets_off + 4 * (size_t) (hash & (h->n_buckets - 1)), 4);
        while (next != 0) {
                const IndexRule *ir = rule_at(index, next - 1);
                int r;
                if (!ir || ++steps > h->n_rules)
                        return -EBADMSG; /* out of range, or a loop */
                if (ir->key == kind && ir->key_hash == hash) {
                        r = consider(index, next - 1, q, st, best, miss);
                        if (r < 0)
                                return r;
                }
                next = ir->next;
        }
        return 0;
}

int routes_lookup(const void *index, size_t size, const RoutesQuery *q, RouteMatch *ret, RouteMiss *ret_miss) {
        const IndexHeader *h = index;
        LookupState st = {};
        RouteMiss miss = {};
        uint32_t best = UINT32_MAX;
        const IndexRule *ir;
        int r;

        if (routes_index_check(index, size) < 0)
                return -EBADMSG;
        if (q->build_id_size > 0) {
                r = chain_walk(index, ROUTE_KEY_BUILD_ID, q->build_id, q->build_id_size, q, &st, &best, &miss);
                if (r < 0)
                        return r;
        }
        if (q->path) {
                r = chain_walk(index, ROUTE_KEY_PATH, q->path, strlen(q->path), q, &st, &best, &miss);
                if (r < 0)
                        return r;
        }
        for (uint32_t g = 0; g < h->n_globs; g++) {
                uint32_t i;
                memcpy(&i, (const uint8_t *) index + h->globs_off + 4 * (size_t) g, 4);
                if (i > best)
                        break; /* globs are in file order: nothing later can win */
                r = consider(index, i, q, &st, &best, &miss);
                if (r < 0)
                        return r;
        }
        if (best == UINT32_MAX) {
                if (ret_miss)
                        *ret_miss = miss;
                return 0;
        }
        ir = rule_at(index, best);
        *ret = (RouteMatch) {
                .index = index,
                .rule = best,
                .line = ir->line,
                .exec = str_at(index, ir->exec),
                .argv0 = ir->argv0 ? str_at(index, ir->argv0) : str_at(index, ir->exec),
                .n_args = ir->n_args,
                .n_post_args = ir->n_post_args,
        };
        if (!ret->exec || !ret->argv0 || !*ret->exec)
                return -EBADMSG;
        return 1;
}

const char *routes_match_arg(const RouteMatch *m, unsigned i) {
        const IndexRule *ir = rule_at(m->index, m->rule);
        return ir ? item_at(m->index, ir->args, ir->n_args, i) : NULL;
}

const char *routes_match_post_arg(const RouteMatch *m, unsigned i) {
        const IndexRule *ir = rule_at(m->index, m->rule);
        return ir ? item_at(m->index, ir->post_args, ir->n_post_args, i) : NULL;
}
