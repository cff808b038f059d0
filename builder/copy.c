/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "copy.h"
#include "error-detail.h"
#include "file-util.h"
#include "openat-resolve.h"
#include "macro.h"
#include "strv.h"

static int open_in_root(int root_fd, const char *rel, int flags) {
        return openat_resolve(root_fd, isempty(rel) ? "." : rel, flags, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

/* ---- .dockerignore --------------------------------------------------------------------------- */

/* One line of .dockerignore as docker's reader (moby/patternmatcher/ignorefile) takes it: blanks
 * trimmed (also after '!'), the path cleaned as Go's filepath.Clean does, a leading '/' dropped.
 * Returns 0 with *ret NULL for a comment or a blank line. */
static int ignore_line(const char *line, size_t n, char **ret) {
        _cleanup_free_ char *raw = strndup(line, n), *clean = NULL;
        char *s;
        bool neg;
        int r;

        if (!raw)
                return -ENOMEM;
        s = raw + strspn(raw, " \t\r");
        if (*s == '#' || !*s) {
                *ret = NULL;
                return 0;
        }
        for (size_t k = strlen(s); k > 0 && strchr(" \t\r", s[k - 1]); k--)
                s[k - 1] = 0;
        neg = *s == '!';
        if (neg)
                s += 1 + strspn(s + 1, " \t");
        r = path_clean(s, &clean);
        if (r < 0)
                return r;
        return asprintf(ret, "%s%s", neg ? "!" : "", clean[0] == '/' && clean[1] ? clean + 1 : clean) < 0 ? -ENOMEM : 0;
}

int copy_read_dockerignore(int context_fd, uint64_t max_bytes, char ***ret) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *text = NULL;
        _cleanup_strv_free_ char **l = NULL;
        size_t size;
        int r;

        /* Beneath the context: a .dockerignore that is a symlink out of it is not read (-EXDEV). */
        fd = openat_resolve(context_fd, ".dockerignore", O_RDONLY | O_NOCTTY, 0, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
        if (fd == -ENOENT) {
                *ret = NULL;
                return 0;
        }
        if (fd < 0)
                return fd;
        r = read_fd(fd, (size_t) max_bytes, &text, &size);
        if (r < 0)
                return r;
        for (const char *p = text; p < text + size;) {
                size_t n = strcspn(p, "\n");
                char *pattern = NULL;

                r = ignore_line(p, n, &pattern);
                if (r >= 0 && pattern)
                        r = strv_consume(&l, pattern);
                if (r < 0)
                        return r;
                p += n + (p[n] == '\n');
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* A .dockerignore pattern as moby/patternmatcher compiles it to a regular expression: '*' is any run
 * of characters but '/', '?' one character but '/', [...] a class, "**" followed by '/' any run of
 * directories (none too), any other "**" any run of characters, a backslash escapes the next
 * character. */
typedef enum IgnoreTokenKind { TOK_CHAR, TOK_ANY, TOK_CLASS, TOK_STAR, TOK_DSTAR, TOK_DSTAR_SLASH } IgnoreTokenKind;

typedef struct IgnoreToken {
        IgnoreTokenKind kind;
        char c;                 /* TOK_CHAR */
        const char *class;      /* TOK_CLASS: "[...]" in the pattern */
        size_t class_len;
} IgnoreToken;

static size_t ignore_tokenize(const char *p, IgnoreToken *t) {
        size_t n = 0;

        while (*p) {
                if (p[0] == '*' && p[1] == '*') {
                        p += 2;
                        t[n++] = (IgnoreToken) { .kind = *p == '/' ? TOK_DSTAR_SLASH : TOK_DSTAR };
                        p += *p == '/';
                } else if (*p == '*')
                        t[n++] = (IgnoreToken) { .kind = TOK_STAR }, p++;
                else if (*p == '?')
                        t[n++] = (IgnoreToken) { .kind = TOK_ANY }, p++;
                else if (*p == '[' && strchr(p + 1, ']')) {
                        const char *end = strchr(p + (p[1] == ']' ? 2 : 1), ']') ?: strchr(p + 1, ']');
                        t[n++] = (IgnoreToken) { .kind = TOK_CLASS, .class = p, .class_len = (size_t) (end - p + 1) };
                        p = end + 1;
                } else {
                        if (*p == '\\' && p[1])
                                p++;
                        t[n++] = (IgnoreToken) { .kind = TOK_CHAR, .c = *p++ };
                }
        }
        return n;
}

static bool class_match(const IgnoreToken *t, char c) {
        char pat[PATH_MAX], str[2] = { c, 0 };

        if (t->class_len >= sizeof(pat))
                return false;
        memcpy(pat, t->class, t->class_len);
        pat[t->class_len] = 0;
        return c != '/' && fnmatch(pat, str, 0) == 0;
}

/* One token against s[j..]: next[] is what the rest of the pattern matches from each position. */
static void token_row(const IgnoreToken *t, const char *s, size_t len, const bool *next, bool *cur) {
        bool slash_then = false;

        cur[len] = (t->kind == TOK_STAR || t->kind == TOK_DSTAR || t->kind == TOK_DSTAR_SLASH) && next[len];
        for (size_t j = len; j-- > 0;) {
                char c = s[j];
                switch (t->kind) {
                case TOK_CHAR:  cur[j] = c == t->c && next[j + 1]; break;
                case TOK_ANY:   cur[j] = c != '/' && next[j + 1]; break;
                case TOK_CLASS: cur[j] = class_match(t, c) && next[j + 1]; break;
                case TOK_STAR:  cur[j] = next[j] || (c != '/' && cur[j + 1]); break;
                case TOK_DSTAR: cur[j] = next[j] || cur[j + 1]; break;
                case TOK_DSTAR_SLASH:
                        slash_then = (c == '/' && next[j + 1]) || slash_then;
                        cur[j] = next[j] || slash_then;
                        break;
                }
        }
}

/* Whether the whole of s matches pattern. Dynamic programming over (token, position): time is the
 * product of the two lengths, whatever the pattern, so a hostile .dockerignore cannot make it
 * backtrack exponentially. */
static bool ignore_match(const char *pattern, const char *s) {
        size_t len = strlen(s), n;
        _cleanup_free_ IgnoreToken *t = NULL;
        _cleanup_free_ bool *a = NULL, *b = NULL;

        t = malloc((strlen(pattern) + 1) * sizeof(IgnoreToken));
        a = calloc(len + 1, sizeof(bool));
        b = calloc(len + 1, sizeof(bool));
        if (!t || !a || !b)
                return false;
        n = ignore_tokenize(pattern, t);
        a[len] = true; /* the empty pattern matches only the end */
        for (size_t i = n; i-- > 0;) {
                token_row(&t[i], s, len, a, b);
                bool *swap = a;
                a = b;
                b = swap;
        }
        return a[0];
}

static bool matches_or_parent(const char *pattern, const char *rel) {
        char buf[PATH_MAX];

        snprintf(buf, sizeof(buf), "%s", rel);
        for (;;) {
                if (ignore_match(pattern, buf))
                        return true;
                char *slash = strrchr(buf, '/');
                if (!slash)
                        return false;
                *slash = 0;
        }
}

bool copy_is_ignored(char *const *patterns, const char *rel) {
        bool ignored = false;

        for (char *const *p = patterns; p && *p; p++) {
                bool neg = (*p)[0] == '!';
                if (matches_or_parent(*p + neg, rel))
                        ignored = !neg;
        }
        return ignored;
}

/* Whether some pattern re-includes ("!..."): then an excluded directory is still walked, as docker
 * does, for the files an exception takes back. */
static bool has_exceptions(char *const *patterns) {
        for (char *const *p = patterns; p && *p; p++)
                if ((*p)[0] == '!')
                        return true;
        return false;
}

/* ---- matching sources ------------------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* glob()'s directory and stat functions (GLOB_ALTDIRFUNC) for a tree someone else wrote: every path
 * resolves inside the tree of glob_root_fd, as the copy itself does (RESOLVE_IN_ROOT), so a symlink
 * in it never lists or probes the host's directories. glob() has no user data: the fd is here. */
static __thread int glob_root_fd = -EBADF;

static void *glob_opendir(const char *path) {
        int fd = openat_resolve(glob_root_fd, path, O_RDONLY | O_DIRECTORY, 0, RESOLVE_IN_ROOT);
        DIR *d;

        if (fd < 0) {
                errno = -fd;
                return NULL;
        }
        d = fdopendir(fd);
        if (!d)
                close(fd);
        return d;
}

static struct dirent *glob_readdir(void *d) {
        return readdir(d);
}

static void glob_closedir(void *d) {
        closedir(d);
}

static int glob_stat_flags(const char *path, struct stat *st, int flags) {
        _cleanup_close_ int fd = openat_resolve(glob_root_fd, path, O_PATH | flags, 0, RESOLVE_IN_ROOT);

        if (fd < 0) {
                errno = -fd;
                return -1;
        }
        return fstat(fd, st);
}

static int glob_stat(const char *path, struct stat *st) {
        return glob_stat_flags(path, st, 0);
}

static int glob_lstat(const char *path, struct stat *st) {
        return glob_stat_flags(path, st, O_NOFOLLOW);
}

/* Expand one source pattern under the directory src_fd into relative paths (sorted), resolved inside
 * that tree. A pattern without glob characters matches itself if it exists. Returns the count (0:
 * nothing matched) or -errno. */
static int match_sources(int src_fd, const char *pattern, char *const *ignore, char ***ret) {
        _cleanup_strv_free_ char **out = NULL;
        glob_t g = {
                .gl_opendir = glob_opendir,
                .gl_readdir = glob_readdir,
                .gl_closedir = glob_closedir,
                .gl_stat = glob_stat,
                .gl_lstat = glob_lstat,
        };
        int r;

        while (*pattern == '/')
                pattern++;
        glob_root_fd = src_fd;
        r = glob(isempty(pattern) ? "." : pattern, GLOB_NOSORT | GLOB_ALTDIRFUNC, NULL, &g);
        glob_root_fd = -EBADF;
        if (r == GLOB_NOMATCH) {
                globfree(&g);
                *ret = NULL;
                return 0;
        }
        if (r != 0) {
                globfree(&g);
                return -EIO;
        }
        for (size_t k = 0; k < g.gl_pathc; k++) {
                const char *rel = g.gl_pathv[k];
                if (streq(rel, "."))
                        rel = "";
                if (!isempty(rel) && copy_is_ignored(ignore, rel))
                        continue;
                if ((r = strv_extend(&out, rel)) < 0) {
                        globfree(&g);
                        return r;
                }
        }
        globfree(&g);
        if (out)
                qsort(out, strv_length(out), sizeof(char *), cmp_str);
        r = (int) strv_length(out);
        *ret = TAKE_PTR(out);
        return r;
}

/* ---- walking a source tree ------------------------------------------------------------------- */

typedef int (*VisitFunc)(int src_root, const char *rel, const struct stat *st, const char *dest, void *userdata);

static int join(const char *a, const char *b, char *buf, size_t size) {
        if ((size_t) snprintf(buf, size, "%s%s%s", a, (isempty(a) || isempty(b)) ? "" : "/", b) >= size)
                return -ENAMETOOLONG;
        return 0;
}

/* Visit rel (unless visit is false: an excluded directory walked for its exceptions) and, for a
 * directory, everything below it in sorted order; dest is where rel goes. */
static int walk(int src_root, const char *rel, const char *dest, char *const *ignore, bool top, bool visit,
                VisitFunc f, void *userdata) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        char **names = NULL;
        size_t n = 0;
        int r;

        /* Top-level sources are followed if they are symlinks (as docker build does); below, links
         * are copied as links. */
        fd = open_in_root(src_root, rel, O_PATH | (top ? 0 : O_NOFOLLOW));
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        r = visit ? f(src_root, rel, &st, dest, userdata) : 0;
        if (r < 0 || !S_ISDIR(st.st_mode))
                return r;

        {
                _cleanup_close_ int dfd = open_in_root(src_root, rel, O_RDONLY | O_DIRECTORY);
                DIR *d;
                struct dirent *de;

                if (dfd < 0)
                        return dfd;
                d = fdopendir(TAKE_FD(dfd));
                if (!d)
                        return negative_errno();
                while ((de = readdir(d))) {
                        char **t;
                        if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                                continue;
                        t = reallocarray(names, n + 1, sizeof(char *));
                        if (!t)
                                break;
                        names = t;
                        if (!(names[n] = strdup(de->d_name)))
                                break;
                        n++;
                }
                closedir(d);
        }
        qsort(names, n, sizeof(char *), cmp_str);
        for (size_t k = 0; k < n; k++) {
                char crel[PATH_MAX], cdest[PATH_MAX];
                if (r >= 0)
                        r = join(rel, names[k], crel, sizeof(crel));
                if (r >= 0)
                        r = join(dest, names[k], cdest, sizeof(cdest));
                if (r >= 0 && !copy_is_ignored(ignore, crel))
                        r = walk(src_root, crel, cdest, ignore, false, true, f, userdata);
                else if (r >= 0 && has_exceptions(ignore))
                        r = walk(src_root, crel, cdest, ignore, false, false, f, userdata);
                free(names[k]);
        }
        free(names);
        return r;
}

/* ---- hashing (the cache key of a COPY from the context) -------------------------------------- */

static int hash_visit(int src_root, const char *rel, const struct stat *st, const char *dest, void *userdata) {
        OciHasher *h = userdata;
        char head[PATH_MAX + 64];
        int n, r;

        n = snprintf(head, sizeof(head), "%s\n%s\n%o\n%lld\n", rel, dest, (unsigned) st->st_mode, (long long) st->st_size);
        r = oci_hasher_update(h, head, (size_t) n + 1);
        if (r < 0 || S_ISDIR(st->st_mode))
                return r;
        if (S_ISLNK(st->st_mode)) {
                char target[PATH_MAX];
                _cleanup_close_ int dfd = -EBADF;
                ssize_t k;
                /* rel itself is the link (not followed below the top). */
                char *slash = strrchr(rel, '/');
                _cleanup_free_ char *dir = slash ? strndup(rel, slash - rel) : strdup("");
                dfd = dir ? open_in_root(src_root, dir, O_PATH | O_DIRECTORY) : -ENOMEM;
                if (dfd < 0)
                        return dfd;
                k = readlinkat(dfd, slash ? slash + 1 : rel, target, sizeof(target));
                return k < 0 ? negative_errno() : oci_hasher_update(h, target, (size_t) k);
        }
        if (S_ISREG(st->st_mode)) {
                _cleanup_close_ int fd = open_in_root(src_root, rel, O_RDONLY);
                char buf[64 * 1024];
                ssize_t k;

                if (fd < 0)
                        return fd;
                while ((k = read(fd, buf, sizeof(buf))) > 0)
                        if ((r = oci_hasher_update(h, buf, (size_t) k)) < 0)
                                return r;
                if (k < 0)
                        return negative_errno();
        }
        return 0;
}

int copy_hash_context(const CopySpec *spec, OciHasher *h, char **ret_missing) {
        int r;

        for (char **s = spec->sources; *s; s++) {
                _cleanup_strv_free_ char **matches = NULL;

                r = match_sources(spec->context_fd, *s, spec->ignore, &matches);
                if (r < 0)
                        return r;
                if (r == 0) {
                        *ret_missing = strdup(*s);
                        return -ENOENT;
                }
                for (char **m = matches; *m; m++) {
                        r = walk(spec->context_fd, *m, "", spec->ignore, true, true, hash_visit, h);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* ---- copying (inside the sandbox child, chrooted into the step's root) ----------------------- */

/* uid/gid of name in the image's /etc/passwd or /etc/group (field 3), or a number. */
static int lookup_id(const char *file, const char *name, unsigned *ret) {
        _cleanup_fclose_ FILE *f = NULL;
        char line[1024], *end;
        unsigned long v;

        errno = 0;
        v = strtoul(name, &end, 10);
        if (!isempty(name) && !*end && errno == 0) {
                *ret = (unsigned) v;
                return 0;
        }
        f = fopen(file, "re");
        if (!f)
                return -ENOENT;
        while (fgets(line, sizeof(line), f)) {
                char *save = NULL, *n = strtok_r(line, ":", &save);
                if (!n || !streq(n, name))
                        continue;
                (void) strtok_r(NULL, ":", &save);
                char *id = strtok_r(NULL, ":", &save);
                if (!id)
                        return -EBADMSG;
                *ret = (unsigned) strtoul(id, NULL, 10);
                return 0;
        }
        return -ENOENT;
}

typedef struct CopyState {
        const CopySpec *spec;
        bool chown;
        uid_t uid;
        gid_t gid;
        ErrorDetail *err;
} CopyState;

static void apply_meta(const CopyState *c, int fd, const char *dest, const struct stat *st, bool link) {
        uid_t uid = c->chown ? c->uid : c->spec->keep_owner ? st->st_uid : 0;
        gid_t gid = c->chown ? c->gid : c->spec->keep_owner ? st->st_gid : 0;
        struct timespec ts[2] = { st->st_mtim, st->st_mtim };

        if (link) {
                (void) lchown(dest, uid, gid);
                (void) utimensat(AT_FDCWD, dest, ts, AT_SYMLINK_NOFOLLOW);
                return;
        }
        (void) fchown(fd, uid, gid);
        (void) fchmod(fd, c->spec->has_chmod ? c->spec->chmod : st->st_mode & 07777);
        (void) futimens(fd, ts);
}

static int copy_regular(CopyState *c, int src_root, const char *rel, const struct stat *st, const char *dest) {
        _cleanup_close_ int in = open_in_root(src_root, rel, O_RDONLY), out = -EBADF;
        off_t left = st->st_size;

        if (in < 0)
                return error_detail_set(c->err, in, "Failed to open source %s: %m", rel);
        (void) unlink(dest);
        out = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
                return error_detail_set(c->err, errno, "Failed to create %s: %m", dest);
        while (left > 0) {
                ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t) left, 0);
                if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP || errno == ENOSYS))
                        n = sendfile(out, in, NULL, (size_t) left);
                if (n <= 0)
                        return error_detail_set(c->err, n < 0 ? errno : EIO, "Failed to copy %s: %m", rel);
                left -= n;
        }
        apply_meta(c, out, dest, st, false);
        return 0;
}

static int copy_visit(int src_root, const char *rel, const struct stat *st, const char *dest, void *userdata) {
        CopyState *c = userdata;
        int r;

        r = mkdir_parents(dest, 0755);
        if (r < 0)
                return error_detail_set(c->err, r, "Failed to create the parents of %s: %m", dest);
        if (S_ISDIR(st->st_mode)) {
                _cleanup_close_ int fd = -EBADF;
                if (mkdir(dest, 0755) < 0 && errno != EEXIST)
                        return error_detail_set(c->err, errno, "Failed to create %s: %m", dest);
                fd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        return error_detail_set(c->err, errno,
                                "Failed to open %s (not a directory?): %m", dest);
                apply_meta(c, fd, dest, st, false);
                return 0;
        }
        if (S_ISREG(st->st_mode))
                return copy_regular(c, src_root, rel, st, dest);
        if (S_ISLNK(st->st_mode)) {
                char target[PATH_MAX], *slash = strrchr(rel, '/');
                _cleanup_free_ char *dir = slash ? strndup(rel, slash - rel) : strdup("");
                _cleanup_close_ int dfd = dir ? open_in_root(src_root, dir, O_PATH | O_DIRECTORY) : -ENOMEM;
                ssize_t n = dfd < 0 ? -1 : readlinkat(dfd, slash ? slash + 1 : rel, target, sizeof(target) - 1);
                if (n < 0)
                        return error_detail_set(c->err, errno, "Failed to read link %s: %m", rel);
                target[n] = 0;
                (void) unlink(dest);
                if (symlink(target, dest) < 0)
                        return error_detail_set(c->err, errno, "Failed to create link %s: %m", dest);
                apply_meta(c, -1, dest, st, true);
                return 0;
        }
        return 0; /* devices, fifos and sockets are not copied */
}

/* ADD of a local archive: unpack it into dir (securely, relative to dir). Returns 1 when src is not
 * an archive (copy it instead), 0 when unpacked, or -errno. */
static int try_unpack(CopyState *c, int src_root, const char *rel, const char *dir) {
        _cleanup_close_ int fd = open_in_root(src_root, rel, O_RDONLY);
        struct archive *in, *out;
        struct archive_entry *e;
        int ar, r = 0;

        if (fd < 0)
                return error_detail_set(c->err, fd, "Failed to open %s: %m", rel);
        in = archive_read_new();
        archive_read_support_filter_all(in);
        archive_read_support_format_tar(in);
        if (archive_read_open_fd(in, fd, 64 * 1024) != ARCHIVE_OK ||
            archive_read_next_header(in, &e) != ARCHIVE_OK) {
                archive_read_free(in);
                return 1;
        }
        if (mkdir_parents(dir, 0755) < 0 || (mkdir(dir, 0755) < 0 && errno != EEXIST) || chdir(dir) < 0) {
                archive_read_free(in);
                return error_detail_set(c->err, errno, "Failed to create %s: %m", dir);
        }
        out = archive_write_disk_new();
        archive_write_disk_set_options(out, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                                                    ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
        do {
                if (archive_write_header(out, e) < ARCHIVE_OK) {
                        r = error_detail_set(c->err, EBADMSG, "Failed to unpack %s from %s: %s",
                                       archive_entry_pathname(e), rel, archive_error_string(out));
                        break;
                }
                const void *buf;
                size_t size;
                la_int64_t off;
                while ((ar = archive_read_data_block(in, &buf, &size, &off)) == ARCHIVE_OK)
                        archive_write_data_block(out, buf, size, off);
                archive_write_finish_entry(out);
        } while ((ar = archive_read_next_header(in, &e)) == ARCHIVE_OK);
        if (r == 0 && ar != ARCHIVE_EOF)
                r = error_detail_set(c->err, EBADMSG,
                        "Failed to read archive %s: %s", rel, archive_error_string(in));
        archive_write_close(out);
        archive_write_free(out);
        archive_read_free(in);
        (void) chdir("/");
        return r;
}

static int resolve_chown(CopyState *c) {
        _cleanup_free_ char *user = NULL;
        char *group;
        unsigned uid = 0, gid = 0;

        if (!c->spec->chown)
                return 0;
        user = strdup(c->spec->chown);
        if (!user)
                return -ENOMEM;
        if ((group = strchr(user, ':')))
                *group++ = 0;
        if (lookup_id("/etc/passwd", user, &uid) < 0)
                return error_detail_set(c->err, ENOENT,
                        "--chown: unable to find user %s in the image", user);
        if (group) {
                if (lookup_id("/etc/group", group, &gid) < 0)
                        return error_detail_set(c->err, ENOENT,
                                "--chown: unable to find group %s in the image", group);
        } else
                gid = uid; /* docker: a lone user means the same-numbered group */
        c->chown = true;
        c->uid = uid;
        c->gid = gid;
        return 0;
}

static int copy_one_source(CopyState *c, int src_root, const char *rel, const char *dest_root) {
        char dest[PATH_MAX];
        struct stat st;
        _cleanup_close_ int fd = open_in_root(src_root, rel, O_PATH);
        const char *base;

        if (fd < 0 || fstat(fd, &st) < 0)
                return error_detail_set(c->err, fd < 0 ? fd : errno, "Failed to stat source %s: %m", rel);
        if (S_ISDIR(st.st_mode))
                /* A directory's contents go into the destination. */
                return walk(src_root, rel, dest_root, c->spec->ignore, true, true, copy_visit, c);
        if (c->spec->add && S_ISREG(st.st_mode)) {
                int r = try_unpack(c, src_root, rel, dest_root);
                if (r <= 0)
                        return r;
        }
        base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
        if (c->spec->dest_is_dir) {
                if (join(dest_root, base, dest, sizeof(dest)) < 0)
                        return error_detail_set(c->err, ENAMETOOLONG, "Destination too long");
        } else {
                struct stat dst;
                /* An existing directory as destination takes the file inside. */
                if (stat(dest_root, &dst) >= 0 && S_ISDIR(dst.st_mode))
                        join(dest_root, base, dest, sizeof(dest));
                else
                        snprintf(dest, sizeof(dest), "%s", dest_root);
        }
        return walk(src_root, rel, dest, c->spec->ignore, true, true, copy_visit, c);
}

int copy_run(int root_fd, int from_fd, void *userdata, ErrorDetail *err) {
        const CopySpec *spec = userdata;
        CopyState c = { .spec = spec, .err = err };
        int src = from_fd >= 0 ? from_fd : spec->context_fd;
        _cleanup_strv_free_ char **all = NULL;
        int r;

        /* Match everything before chroot: glob reads through /proc/self/fd. */
        for (char **s = spec->sources; *s; s++) {
                _cleanup_strv_free_ char **m = NULL;
                r = match_sources(src, *s, from_fd >= 0 ? NULL : spec->ignore, &m);
                if (r < 0)
                        return error_detail_set(err, r, "Failed to match %s: %m", *s);
                if (r == 0)
                        return error_detail_set(err, ENOENT, "%s: no such file or directory in the %s", *s,
                                          from_fd >= 0 ? "source stage" : "build context");
                for (char **x = m; *x; x++)
                        if ((r = strv_extend(&all, *x)) < 0)
                                return r;
        }
        if (fchdir(root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0)
                return error_detail_set(err, errno, "Failed to enter the step's root: %m");
        r = resolve_chown(&c);
        if (r < 0)
                return r;
        if (spec->dest_is_dir && mkdir_parents(spec->dest, 0755) >= 0)
                (void) mkdir(spec->dest, 0755);
        for (char **s = all; s && *s; s++) {
                r = copy_one_source(&c, src, *s, spec->dest);
                if (r < 0)
                        return r;
        }
        return 0;
}
