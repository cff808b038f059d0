/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Routing rules for the exec shim: which foreign programs run as a native command instead of under
 * QEMU. Two forms of the same rules:
 *
 *   routes.conf   text, written by people and by `archway accel` (docs/shim.md has the format):
 *                 [route] sections of "key = value" lines.
 *   routes.idx    the compiled index: one flat buffer of fixed-size records, hash buckets keyed by
 *                 GNU build-id and by exact path, a short list of glob rules, and a string table.
 *                 The shim mmaps it read-only and looks a program up without allocating.
 *
 * Everything here is pure: buffers in, buffers out, no I/O, no allocation, no logging. Every offset
 * read from an index is bounds-checked, so a corrupt index yields -EBADMSG, never a bad read. The
 * index uses the host's byte order (it is a cache of the text, written on the host that reads it);
 * its magic tells a foreign one apart. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "elf-id.h"
#include "sha256.h"

/* Per-rule bounds: a rule with more of one kind of line is refused at compile time. */
#define ROUTES_LIST_MAX 64
/* The shim refuses a bigger index; a few thousand rules fit in far less. */
#define ROUTES_INDEX_MAX (16u * 1024 * 1024)
/* A routes.conf larger than this is refused (the shim may compile a stale one on its stack). */
#define ROUTES_TEXT_MAX (256u * 1024)

typedef enum RouteKey {
        ROUTE_KEY_BUILD_ID, /* hashed by GNU build-id: symlink- and path-proof, the recommended key */
        ROUTE_KEY_PATH,     /* hashed by exact (lexically normalised) absolute path */
        ROUTE_KEY_GLOB,     /* path glob without build-id: scanned in file order */
        _ROUTE_KEY_MAX,
} RouteKey;

typedef struct RoutesError {
        unsigned line;       /* 1-based line of routes.conf, 0 when not about one line */
        const char *message; /* static string */
} RoutesError;

/* A substring of the text being parsed. */
typedef struct RouteText {
        const char *p;
        size_t n;
} RouteText;

/* One [route] section as parsed, pointing into the text. */
typedef struct RouteRuleSrc {
        unsigned line;                     /* of its "[route]" line */
        uint16_t machine;                  /* from platform= through lib/platform */
        uint8_t elf_class, elf_data;
        uint8_t mips_abi;                  /* ElfMipsAbi */
        RouteText path;                    /* exact path or glob; n == 0: any path */
        bool path_is_glob;
        uint8_t build_id[ELF_BUILD_ID_MAX];
        size_t build_id_size;              /* 0: none */
        uint8_t sha256[SHA256_DIGEST_SIZE];
        bool has_sha256;
        RouteText exec;                    /* the native command: absolute path */
        RouteText argv0;                   /* n == 0: exec */
        bool keep_argv0;                   /* keep-argv0 = yes: the program's own argv[0] */
        RouteText args[ROUTES_LIST_MAX];   /* arg=: before the program's arguments */
        unsigned n_args;
        RouteText post_args[ROUTES_LIST_MAX]; /* append-arg=: after them */
        unsigned n_post_args;
        RouteText unless_args[ROUTES_LIST_MAX]; /* unless-arg=GLOB */
        unsigned n_unless_args;
        RouteText unless_envs[ROUTES_LIST_MAX]; /* unless-env=NAME or NAME=GLOB */
        unsigned n_unless_envs;
        RouteText unless_env_dirs[ROUTES_LIST_MAX]; /* unless-env-dir=NAME: a ':' list naming a directory */
        unsigned n_unless_env_dirs;
} RouteRuleSrc;

typedef int (*RouteRuleFunc)(const RouteRuleSrc *rule, void *userdata);

/* Parse routes.conf text (len bytes, need not be NUL-terminated) and call f once per complete,
 * validated rule, in file order. A rule needs platform= and exec=, and at least one of path=,
 * build-id=; sha256= needs a path= (hashing every program would cost milliseconds per exec). Unknown
 * keys and sections are errors: a typo must not silently widen a rule.
 * Returns 0, -EINVAL with ret_error filled for a syntax or validation error, -E2BIG for text larger
 * than ROUTES_TEXT_MAX, or what f returned when negative (then parsing stops). */
int routes_parse(const char *text, size_t len, RouteRuleFunc f, void *userdata, RoutesError *ret_error);

/* Compile text into an index in out (size bytes). source_size and source_mtime_ns record which
 * routes.conf the index was made from, together with the SHA-256 of text, so the shim can tell a
 * stale index (routes_index_fresh()).
 * Returns 0 and the index size in *ret_size, -ENOBUFS when out is too small (*ret_size then holds the
 * size needed), or as routes_parse(). */
int routes_compile(const char *text, size_t len, uint64_t source_size, int64_t source_mtime_ns,
                   void *out, size_t size, size_t *ret_size, RoutesError *ret_error);

/* Check an index's header and tables (every bound a lookup relies on). Returns 0 or -EBADMSG. */
int routes_index_check(const void *index, size_t size);

/* The source stamp recorded by routes_compile(). Index must have passed routes_index_check(). */
void routes_index_source(const void *index, uint64_t *ret_size, int64_t *ret_mtime_ns);

/* Whether a checked index was compiled from the routes.conf at hand, which has size bytes and mtime
 * mtime_ns. A different size: stale. The recorded mtime to the nanosecond: fresh, without reading the
 * text. Otherwise (an image layer or tar keeps whole seconds, a copy sets a new mtime, a checkout
 * rewrites it) the content decides: pass the text (len bytes) to compare its SHA-256 with the one
 * recorded. Returns 1 fresh, 0 stale, -ENODATA when text is NULL and the content must decide. */
int routes_index_fresh(const void *index, uint64_t size, int64_t mtime_ns, const void *text, size_t len);

/* The number of rules in a checked index. */
unsigned routes_index_count(const void *index);

/* What the shim knows about the program being run. */
typedef struct RoutesQuery {
        uint16_t machine;
        uint8_t elf_class, elf_data, mips_abi;
        const char *path;          /* normalised absolute path (routes_path_normalise()), or NULL */
        const uint8_t *build_id;   /* NULL or build_id_size bytes */
        size_t build_id_size;
        char *const *args;         /* the program's arguments after argv[0] */
        size_t n_args;
        char *const *envp;         /* NULL-terminated */
        /* Content hash, computed only if a candidate rule asks for it. Returns 0 or -errno; a failure
         * makes such rules not apply. NULL: such rules never apply. */
        int (*sha256)(void *userdata, uint8_t ret[static SHA256_DIGEST_SIZE]);
        void *userdata;
        /* For unless-env-dir: is path (absolute, or relative to the cwd) an existing directory,
         * following symlinks as stat(2) does? NULL: any entry counts as one (the rule is vetoed). */
        bool (*is_dir)(const char *path);
} RoutesQuery;

/* The winning rule. Pointers point into the index. */
typedef struct RouteMatch {
        const void *index;
        unsigned rule;      /* number in file order */
        unsigned line;      /* in routes.conf */
        const char *exec;
        const char *argv0;  /* exec unless argv0= was given */
        bool keep_argv0;    /* keep-argv0 = yes: pass the program's own argv[0] instead */
        unsigned n_args, n_post_args;
} RouteMatch;

/* Why no rule applied, for ARCHWAY_SHIM_DEBUG: the last condition that vetoed a rule about this
 * program, else the last candidate whose path or sha256 differed. */
typedef struct RouteMiss {
        unsigned line;      /* 0: no candidate at all */
        const char *why;    /* static: "unless-arg", "unless-env", "unless-env-dir", "sha256", "path", "build-id" */
        const char *what;   /* the argument, variable or pattern concerned, or NULL */
} RouteMiss;

/* Find the first rule (in file order) of a checked index that applies to q: platform equal (variants
 * are not compared), build-id and path and sha256 equal where the rule names them, and no condition
 * vetoes it. Returns 1 with *ret filled, 0 when none applies (*ret_miss says why the last candidate
 * did not; may be NULL), -EBADMSG when the index is inconsistent. */
int routes_lookup(const void *index, size_t size, const RoutesQuery *q, RouteMatch *ret, RouteMiss *ret_miss);

/* The i-th arg= (before) or append-arg= (after) of a match; NULL when out of range. */
const char *routes_match_arg(const RouteMatch *m, unsigned i);
const char *routes_match_post_arg(const RouteMatch *m, unsigned i);

/* Shell-style glob: '*', '?', '[...]' with ranges and '!'/'^' negation, '\' escapes. With pathname,
 * '*', '?' and brackets never match '/' (fnmatch's FNM_PATHNAME). pattern has plen bytes. */
bool routes_glob_match(const char *pattern, size_t plen, const char *s, bool pathname);

/* Lexically normalise path into buf (size bytes): join a relative one to cwd, collapse "//" and "/./",
 * and resolve ".." without touching the filesystem. Returns the length, -EINVAL for a relative path
 * without cwd (or a relative cwd), -ENAMETOOLONG when it does not fit. */
int routes_path_normalise(const char *cwd, const char *path, char *buf, size_t size);
