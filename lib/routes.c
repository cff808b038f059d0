/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The shim's side of the routes: path globbing and normalisation, checking an index it found and
 * looking a program up in it. This file is the shim's hot path: no allocation, no I/O, no logging, and
 * every offset read from the index is bounds-checked. */
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "macro.h"
#include "routes-index.h"

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

int routes_index_fresh(const void *index, uint64_t size, int64_t mtime_ns, const void *text, size_t len) {
        const IndexHeader *h = header(index);
        uint8_t digest[SHA256_DIGEST_SIZE];
        Sha256 s;

        if (h->source_size != size)
                return 0;
        if (h->source_mtime_ns == mtime_ns)
                return 1;
        if (!text)
                return -ENODATA;
        if (len != size)
                return 0;
        sha256_init(&s);
        sha256_update(&s, text, len);
        sha256_final(&s, digest);
        return memcmp(digest, h->source_sha256, sizeof(digest)) == 0;
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

/* unless-env-dir: the first entry of a ':' list (an empty one is ".", as for gcc's LIBRARY_PATH) that
 * names an existing directory, or NULL. Entries too long for a path cannot name one. */
static const char *list_names_dir(const char *list, bool (*is_dir)(const char *path)) {
        char entry[PATH_MAX];

        for (const char *p = list;;) {
                const char *end = strchrnul(p, ':');
                size_t n = (size_t) (end - p);
                if (n == 0)
                        strcpy(entry, ".");
                else if (n < sizeof(entry)) {
                        memcpy(entry, p, n);
                        entry[n] = 0;
                }
                if ((n == 0 || n < sizeof(entry)) && (!is_dir || is_dir(entry)))
                        return p;
                if (!*end)
                        return NULL;
                p = end + 1;
        }
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
        for (uint32_t i = 0; i < ir->n_unless_env_dirs; i++) {
                const char *name = item_at(index, ir->unless_env_dirs, ir->n_unless_env_dirs, i), *v;
                if (!name)
                        return -EBADMSG;
                v = env_get(q->envp, name, strlen(name));
                if (v && list_names_dir(v, q->is_dir))
                        return *miss = (RouteMiss) { ir->line, "unless-env-dir", name }, 1;
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
        uint32_t hash = routes_key_hash(kind, key, n), next, steps = 0;

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
                .keep_argv0 = ir->keep_argv0,
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
