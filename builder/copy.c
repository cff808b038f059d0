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
#include "errbuf.h"
#include "file-util.h"
#include "openat-resolve.h"
#include "macro.h"
#include "strv.h"

static int open_in_root(int root_fd, const char *rel, int flags) {
        return openat_resolve(root_fd, isempty(rel) ? "." : rel, flags, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

/* ---- .dockerignore --------------------------------------------------------------------------- */

int copy_read_dockerignore(int context_fd, uint64_t max_bytes, char ***ret) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_strv_free_ char **l = NULL;
        char line[4096];
        struct stat st;
        int r;

        /* Beneath the context: a .dockerignore that is a symlink out of it is not read (-EXDEV). */
        fd = openat_resolve(context_fd, ".dockerignore", O_RDONLY | O_NOCTTY, 0, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
        if (fd == -ENOENT) {
                *ret = NULL;
                return 0;
        }
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EBADF;
        if ((uint64_t) st.st_size > max_bytes)
                return -EFBIG;
        f = fdopen(TAKE_FD(fd), "re");
        if (!f)
                return negative_errno();
        while (fgets(line, sizeof(line), f)) {
                char *s = line, *neg = "";
                size_t n;

                s[strcspn(s, "\r\n")] = 0;
                s += strspn(s, " \t");
                if (!*s || *s == '#')
                        continue;
                if (*s == '!')
                        neg = "!", s++;
                while (strneq(s, "./", 2) || *s == '/')
                        s += *s == '/' ? 1 : 2;
                n = strlen(s);
                while (n > 1 && s[n - 1] == '/')
                        s[--n] = 0;
                char *p = NULL;
                if (asprintf(&p, "%s%s", neg, s) < 0)
                        return -ENOMEM;
                r = strv_extend(&l, p);
                free(p);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* fnmatch where "**" also spans directories: try the pattern as-is with FNM_PATHNAME, and where it
 * has "**", without (so '*' crosses '/'). */
static bool pattern_match(const char *pattern, const char *path) {
        if (fnmatch(pattern, path, FNM_PATHNAME) == 0)
                return true;
        if (strstr(pattern, "**")) {
                if (fnmatch(pattern, path, 0) == 0)
                        return true;
                /* "**\/x" also matches "x" at the top. */
                if (strneq(pattern, "**/", 3) && fnmatch(pattern + 3, path, FNM_PATHNAME) == 0)
                        return true;
        }
        return false;
}

static bool matches_or_parent(const char *pattern, const char *rel) {
        char buf[PATH_MAX];

        snprintf(buf, sizeof(buf), "%s", rel);
        for (;;) {
                if (pattern_match(pattern, buf))
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

/* ---- matching sources ------------------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Expand one source pattern under the directory src_fd into relative paths (sorted), through the
 * fd's /proc path (the caller's root may already be elsewhere). A pattern without glob characters
 * matches itself if it exists. Returns the count (0: nothing matched) or -errno. */
static int match_sources(int src_fd, const char *pattern, char *const *ignore, char ***ret) {
        _cleanup_strv_free_ char **out = NULL;
        char prefix[64], full[PATH_MAX];
        glob_t g = {};
        size_t plen;
        int r;

        while (*pattern == '/')
                pattern++;
        plen = (size_t) snprintf(prefix, sizeof(prefix), "/proc/self/fd/%d/", src_fd);
        if ((size_t) snprintf(full, sizeof(full), "%s%s", prefix, isempty(pattern) ? "." : pattern) >= sizeof(full))
                return -ENAMETOOLONG;
        r = glob(full, GLOB_NOSORT, NULL, &g);
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
                const char *rel = g.gl_pathv[k] + plen;
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

/* Visit rel and, for a directory, everything below it in sorted order; dest is where rel goes. */
static int walk(int src_root, const char *rel, const char *dest, char *const *ignore, bool top, VisitFunc f,
                void *userdata) {
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
        r = f(src_root, rel, &st, dest, userdata);
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
                        r = walk(src_root, crel, cdest, ignore, false, f, userdata);
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
                        r = walk(spec->context_fd, *m, "", spec->ignore, true, hash_visit, h);
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
        char *error;
        size_t error_size;
} CopyState;

static int mkdir_parents(const char *path) {
        char p[PATH_MAX];

        snprintf(p, sizeof(p), "%s", path);
        for (char *s = p + 1; (s = strchr(s, '/')); s++) {
                *s = 0;
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return negative_errno();
                *s = '/';
        }
        return 0;
}

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
                return errbuf_set(c->error, c->error_size, in, "Failed to open source %s: %m", rel);
        (void) unlink(dest);
        out = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
                return errbuf_set(c->error, c->error_size, errno, "Failed to create %s: %m", dest);
        while (left > 0) {
                ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t) left, 0);
                if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP || errno == ENOSYS))
                        n = sendfile(out, in, NULL, (size_t) left);
                if (n <= 0)
                        return errbuf_set(c->error, c->error_size, n < 0 ? errno : EIO, "Failed to copy %s: %m", rel);
                left -= n;
        }
        apply_meta(c, out, dest, st, false);
        return 0;
}

static int copy_visit(int src_root, const char *rel, const struct stat *st, const char *dest, void *userdata) {
        CopyState *c = userdata;
        int r;

        r = mkdir_parents(dest);
        if (r < 0)
                return errbuf_set(c->error, c->error_size, r, "Failed to create the parents of %s: %m", dest);
        if (S_ISDIR(st->st_mode)) {
                _cleanup_close_ int fd = -EBADF;
                if (mkdir(dest, 0755) < 0 && errno != EEXIST)
                        return errbuf_set(c->error, c->error_size, errno, "Failed to create %s: %m", dest);
                fd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        return errbuf_set(c->error, c->error_size, errno,
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
                        return errbuf_set(c->error, c->error_size, errno, "Failed to read link %s: %m", rel);
                target[n] = 0;
                (void) unlink(dest);
                if (symlink(target, dest) < 0)
                        return errbuf_set(c->error, c->error_size, errno, "Failed to create link %s: %m", dest);
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
                return errbuf_set(c->error, c->error_size, fd, "Failed to open %s: %m", rel);
        in = archive_read_new();
        archive_read_support_filter_all(in);
        archive_read_support_format_tar(in);
        if (archive_read_open_fd(in, fd, 64 * 1024) != ARCHIVE_OK ||
            archive_read_next_header(in, &e) != ARCHIVE_OK) {
                archive_read_free(in);
                return 1;
        }
        if (mkdir_parents(dir) < 0 || (mkdir(dir, 0755) < 0 && errno != EEXIST) || chdir(dir) < 0) {
                archive_read_free(in);
                return errbuf_set(c->error, c->error_size, errno, "Failed to create %s: %m", dir);
        }
        out = archive_write_disk_new();
        archive_write_disk_set_options(out, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                                                    ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                    ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
        do {
                if (archive_write_header(out, e) < ARCHIVE_OK) {
                        r = errbuf_set(c->error, c->error_size, EBADMSG, "Failed to unpack %s from %s: %s",
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
                r = errbuf_set(c->error, c->error_size, EBADMSG,
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
                return errbuf_set(c->error, c->error_size, ENOENT,
                        "--chown: unable to find user %s in the image", user);
        if (group) {
                if (lookup_id("/etc/group", group, &gid) < 0)
                        return errbuf_set(c->error, c->error_size, ENOENT,
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
                return errbuf_set(c->error, c->error_size, fd < 0 ? fd : errno, "Failed to stat source %s: %m", rel);
        if (S_ISDIR(st.st_mode))
                /* A directory's contents go into the destination. */
                return walk(src_root, rel, dest_root, c->spec->ignore, true, copy_visit, c);
        if (c->spec->add && S_ISREG(st.st_mode)) {
                int r = try_unpack(c, src_root, rel, dest_root);
                if (r <= 0)
                        return r;
        }
        base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
        if (c->spec->dest_is_dir) {
                if (join(dest_root, base, dest, sizeof(dest)) < 0)
                        return errbuf_set(c->error, c->error_size, ENAMETOOLONG, "Destination too long");
        } else {
                struct stat dst;
                /* An existing directory as destination takes the file inside. */
                if (stat(dest_root, &dst) >= 0 && S_ISDIR(dst.st_mode))
                        join(dest_root, base, dest, sizeof(dest));
                else
                        snprintf(dest, sizeof(dest), "%s", dest_root);
        }
        return walk(src_root, rel, dest, c->spec->ignore, true, copy_visit, c);
}

int copy_run(int root_fd, int from_fd, void *userdata, char *error, size_t error_size) {
        const CopySpec *spec = userdata;
        CopyState c = { .spec = spec, .error = error, .error_size = error_size };
        int src = from_fd >= 0 ? from_fd : spec->context_fd;
        _cleanup_strv_free_ char **all = NULL;
        int r;

        /* Match everything before chroot: glob reads through /proc/self/fd. */
        for (char **s = spec->sources; *s; s++) {
                _cleanup_strv_free_ char **m = NULL;
                r = match_sources(src, *s, from_fd >= 0 ? NULL : spec->ignore, &m);
                if (r < 0)
                        return errbuf_set(error, error_size, r, "Failed to match %s: %m", *s);
                if (r == 0)
                        return errbuf_set(error, error_size, ENOENT, "%s: no such file or directory in the %s", *s,
                                          from_fd >= 0 ? "source stage" : "build context");
                for (char **x = m; *x; x++)
                        if ((r = strv_extend(&all, *x)) < 0)
                                return r;
        }
        if (fchdir(root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0)
                return errbuf_set(error, error_size, errno, "Failed to enter the step's root: %m");
        r = resolve_chown(&c);
        if (r < 0)
                return r;
        if (spec->dest_is_dir && mkdir_parents(spec->dest) >= 0)
                (void) mkdir(spec->dest, 0755);
        for (char **s = all; s && *s; s++) {
                r = copy_one_source(&c, src, *s, spec->dest);
                if (r < 0)
                        return r;
        }
        return 0;
}
