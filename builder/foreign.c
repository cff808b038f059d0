/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf-id.h"
#include "elf-isa.h"
#include "foreign.h"
#include "isa-check.h"
#include "macro.h"

typedef struct Scan {
        const Platform *target;
        IsaTarget isa;     /* the CPU level the target's variant names, if any */
        ForeignElf *list;
        size_t n;
        char path[4096];   /* layer path of the directory being walked, "" for the root */
} Scan;

const char *foreign_elf_what(const ForeignElf *e) {
        return e->malformed ? "a malformed ELF" : "an ELF of an unknown machine";
}

/* One offender: p is what it is built for, or NULL for an unknown machine (kind 1) or a malformed ELF
 * (kind 2). */
static int record(Scan *s, const char *name, const Platform *p, const char *detail, int kind) {
        ForeignElf *t = reallocarray(s->list, s->n + 1, sizeof(*t));

        if (!t)
                return -ENOMEM;
        s->list = t;
        t[s->n] = (ForeignElf) { .unknown = kind > 0, .malformed = kind == 2 };
        if (p)
                t[s->n].platform = *p;
        snprintf(t[s->n].detail, sizeof(t[s->n].detail), "%s", detail);
        if (asprintf(&t[s->n].path, "%s/%s", s->path, name) < 0)
                return -ENOMEM;
        s->n++;
        return 0;
}

/* The file must not need more of the CPU than the target's level (the whole file is mapped, up to
 * ELF_ISA_FILE_MAX). A file that cannot be analysed is not judged here, like a malformed ELF. */
static int check_isa(Scan *s, const char *name, int fd, const ElfId *id, const Platform *p) {
        _cleanup_free_ char *why = NULL;
        ElfIsa isa;
        struct stat st;
        size_t n;
        void *m;
        int r;

        if (!s->isa.active || elf_isa_arch(id) != s->isa.arch || fstat(fd, &st) < 0 || st.st_size <= 0)
                return 0;
        n = (uint64_t) st.st_size > ELF_ISA_FILE_MAX ? ELF_ISA_FILE_MAX : (size_t) st.st_size;
        m = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED)
                return 0;
        r = elf_isa_analyze(m, n, (uint64_t) st.st_size, id,
                            &(ElfIsaOptions) { .have_targets = true, .targets_have = s->isa.have }, &isa);
        (void) munmap(m, n);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;
        if (isa_target_missing(&s->isa, &isa))
                r = isa_target_explain(&s->isa, &isa, &why);
        elf_isa_done(&isa);
        if (r < 0)
                return r;
        return why ? record(s, name, p, why, 0) : 0;
}

static int check_file(Scan *s, int dirfd, const char *name) {
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        unsigned char magic[4];
        Platform p;
        ElfId id;
        int r;

        if (fd < 0 || pread(fd, magic, sizeof(magic), 0) != sizeof(magic) || memcmp(magic, ELFMAG, SELFMAG) != 0)
                return 0;
        r = elf_id_from_fd(fd, ELF_ID_SECTIONS, &id);
        if (r < 0)
                /* Section headers do not matter to the kernel (packed binaries mangle them): judge the
                 * file by what execve() reads. */
                r = elf_id_from_fd(fd, 0, &id);
        if (r == -EBADMSG)
                /* e.g. a PT_INTERP without its terminating NUL: the kernel refuses to run it */
                return record(s, name, NULL, "the kernel will not run it", 2);
        if (r < 0)
                return 0;
        if (id.kind == ELF_KIND_RELOCATABLE || id.kind == ELF_KIND_CORE || id.kind == ELF_KIND_OTHER)
                return 0;
        if (platform_from_elf(&id, &p) < 0)
                return record(s, name, NULL, "unknown machine", 1);
        if (!platform_runs_on(&p, s->target))
                return record(s, name, &p, elf_kind_to_string(id.kind) ?: "elf", 0);
        return check_isa(s, name, fd, &id, &p);
}

/* Walk the directory fd (consumed), staying on its filesystem and never following symlinks. */
static int scan_dir(Scan *s, int fd) {
        DIR *d = fdopendir(fd);
        struct dirent *de;
        struct stat root, st;
        int r = 0;

        if (!d) {
                r = negative_errno();
                close(fd);
                return r;
        }
        if (fstat(dirfd(d), &root) < 0)
                r = negative_errno();
        while (r >= 0 && (de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (S_ISREG(st.st_mode) && st.st_size >= 52)
                        r = check_file(s, dirfd(d), de->d_name);
                else if (S_ISDIR(st.st_mode) && st.st_dev == root.st_dev) {
                        size_t len = strlen(s->path);
                        int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub < 0)
                                continue;
                        if ((size_t) snprintf(s->path + len, sizeof(s->path) - len, "/%s", de->d_name) >= sizeof(s->path) - len) {
                                close(sub);
                                r = -ENAMETOOLONG;
                                break;
                        }
                        r = scan_dir(s, sub);
                        s->path[len] = 0;
                }
        }
        closedir(d);
        return r;
}

void foreign_elfs_free(ForeignElf *l, size_t n) {
        for (size_t k = 0; k < n; k++)
                free(l[k].path);
        free(l);
}

int foreign_scan_tree(const char *tree, const Platform *target, ForeignElf **ret) {
        Scan s = { .target = target };
        int fd, r;

        isa_target_from_platform(target, &s.isa);
        fd = open(tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        r = scan_dir(&s, fd);
        if (r < 0) {
                foreign_elfs_free(s.list, s.n);
                return r;
        }
        *ret = s.list;
        return (int) s.n;
}
