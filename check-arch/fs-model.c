/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "fs-model.h"
#include "macro.h"

/* The kernel's MAXSYMLINKS (include/linux/namei.h). */
#define SYMLINKS_MAX 40
/* A shebang line longer than the kernel's BINPRM_BUF_SIZE is cut there by the kernel too. */
#define SHEBANG_MAX 256

/* ---- scanning one layer ------------------------------------------------------------------------ */

static void entry_done(FsEntry *e) {
        free(e->path);
        free(e->link);
        free(e->shebang);
        if (e->elf) {
                free(e->elf->interp);
                isa_free(e->elf->isa);
        }
        free(e->elf);
}

void layer_scan_done(LayerScan *s) {
        for (size_t i = 0; i < s->n_entries; i++)
                entry_done(&s->entries[i]);
        free(s->entries);
        *s = (LayerScan) {};
}

static char *shebang_parse(const uint8_t *head, size_t size) {
        size_t n = size < SHEBANG_MAX ? size : SHEBANG_MAX, start = 2, end;

        while (start < n && (head[start] == ' ' || head[start] == '\t'))
                start++;
        for (end = start; end < n && head[end] != '\n' && head[end] != 0; end++)
                ;
        while (end > start && (head[end - 1] == ' ' || head[end - 1] == '\t' || head[end - 1] == '\r'))
                end--;
        return strndup((const char *) head + start, end - start);
}

/* ARM's variant lives in .ARM.attributes, near the end of the file: for ARM ELF files that fit in
 * LAYER_HEAD_MAX, read them whole and let libelf find the section (through a memfd). Bigger ones keep
 * the e_flags-based answer. */
static void elf_refine_arm(LayerReader *r, int64_t size, ElfId *id) {
        _cleanup_close_ int fd = -EBADF;
        const uint8_t *head;
        size_t n;
        ElfId full;

        if (id->machine != EM_ARM || size <= 0 || size > LAYER_HEAD_MAX)
                return;
        if (layer_reader_head_extend(r, (size_t) size, &head, &n) < 0 || n != (size_t) size)
                return;
        fd = memfd_create("check-arch-elf", MFD_CLOEXEC);
        if (fd < 0 || write(fd, head, n) != (ssize_t) n)
                return;
        if (elf_id_from_fd(fd, ELF_ID_SECTIONS, &full) >= 0) {
                id->arm_arch = full.arm_arch;
                id->float_abi = full.float_abi;
        }
}

static uint64_t read_uint(const uint8_t *p, size_t n, bool msb) {
        uint64_t v = 0;

        for (size_t i = 0; i < n; i++)
                v |= (uint64_t) p[msb ? i : n - 1 - i] << (8 * (n - 1 - i));
        return v;
}

/* Where PT_INTERP lies, from the program headers in head (elf_id_from_buffer() accepted them). */
static int elf_interp_locate(const uint8_t *head, size_t n, uint64_t *ret_offset, uint64_t *ret_size) {
        bool is64 = head[EI_CLASS] == ELFCLASS64, msb = head[EI_DATA] == ELFDATA2MSB;
        uint64_t phoff = is64 ? read_uint(head + 32, 8, msb) : read_uint(head + 28, 4, msb);
        size_t phent = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
        unsigned phnum = (unsigned) read_uint(head + (is64 ? 56 : 44), 2, msb);

        for (unsigned i = 0; i < phnum; i++) {
                const uint8_t *ph = head + phoff + (uint64_t) i * phent;

                if (phoff + (uint64_t) (i + 1) * phent > n)
                        return -EBADMSG;
                if (read_uint(ph, 4, msb) != PT_INTERP)
                        continue;
                *ret_offset = is64 ? read_uint(ph + 8, 8, msb) : read_uint(ph + 4, 4, msb);
                *ret_size = is64 ? read_uint(ph + 32, 8, msb) : read_uint(ph + 16, 4, msb);
                return 0;
        }
        return -ENOENT;
}

/* PT_INTERP beyond LAYER_HEAD_MAX (glibc's own libc.so.6): read just that range, skipping ahead. */
static int elf_read_far_interp(const LayerEntry *e, const uint8_t *head, size_t n, ElfId *id) {
        uint64_t off, size;
        int r;

        r = elf_interp_locate(head, n, &off, &size);
        if (r < 0)
                return r;
        if (size < 2 || size > ELF_INTERP_MAX)
                return -EBADMSG;
        r = layer_reader_read_at(e->reader, off, id->interp, (size_t) size);
        if (r < 0)
                return r;
        if (id->interp[size - 1] != 0)
                return -EBADMSG;
        return 0;
}

/* Identify an ELF from its head, reading more when the program headers or PT_INTERP lie beyond it. */
static int elf_identify(const LayerEntry *e, ElfId *id) {
        const uint8_t *head = e->head;
        size_t n = e->head_size;
        int r;

        for (size_t want = 64 * 1024;; want *= 16) {
                r = elf_id_from_buffer(head, n, id);
                if (r >= 0 && !(id->dynamic && id->interp[0] == 0))
                        return 0;
                if (r >= 0)
                        return elf_read_far_interp(e, head, n, id);
                if ((r < 0 && r != -EBADMSG) || n >= (size_t) e->size || n >= LAYER_HEAD_MAX)
                        return r < 0 ? r : 0;
                r = layer_reader_head_extend(e->reader, want, &head, &n);
                if (r < 0)
                        return r;
        }
}

static int entry_fill_elf(const LayerEntry *e, FsEntry *f, const IsaWant *want) {
        ElfIsa *isa = NULL;
        ElfInfo *info;
        ElfId *id;
        int r;

        id = malloc(sizeof(ElfId));
        if (!id)
                return -ENOMEM;
        /* a file a CPU-level check asks about is read whole (isa-read.c), and identified from that */
        r = isa_identify_layer(want, e, id, &isa);
        if (r == 0) {
                r = elf_identify(e, id);
                if (r >= 0)
                        elf_refine_arm(e->reader, e->size, id);
        }
        if (r < 0) {
                free(id);
                f->elf_error = r;
                return r == -ENOMEM ? r : 0;
        }
        info = calloc(1, sizeof(ElfInfo));
        if (!info || (id->dynamic && !(info->interp = strdup(id->interp)))) {
                free(info);
                free(id);
                isa_free(isa);
                return -ENOMEM;
        }
        info->isa = isa;
        info->isa_error = want && want->any && !isa && isa_want_file(want, id) ? -EBADMSG : 0;
        info->id_small = *id;
        info->id_small.interp[0] = 0;
        info->has_platform = platform_from_elf(id, &info->platform) >= 0;
        free(id);
        f->elf = info;
        return 0;
}

/* What an entry costs in memory: itself, its strings, and its share of the model (a PathInfo and two
 * hash slots, the table being at most half full). */
static uint64_t entry_cost(const FsEntry *f) {
        uint64_t n = sizeof(FsEntry) + 64 + strlen(f->path) + 1;

        if (f->link)
                n += strlen(f->link) + 1;
        if (f->shebang)
                n += strlen(f->shebang) + 1;
        if (f->elf)
                n += sizeof(ElfInfo) + (f->elf->interp ? strlen(f->elf->interp) + 1 : 0);
        return n;
}

static int charge(LayerScan *s, const FsEntry *f) {
        if (!s->model_bytes)
                return 0;
        return atomic_fetch_add(s->model_bytes, entry_cost(f)) + entry_cost(f) > s->model_max ? -ENOBUFS : 0;
}

int layer_scan_entry(const LayerEntry *e, void *userdata) {
        LayerScan *s = userdata;
        FsEntry *f;
        int r;

        if (s->n_entries == s->n_alloc) {
                size_t n = s->n_alloc ? s->n_alloc * 2 : 256;
                FsEntry *m = realloc(s->entries, n * sizeof(FsEntry));
                if (!m)
                        return -ENOMEM;
                s->entries = m;
                s->n_alloc = n;
        }
        f = &s->entries[s->n_entries];
        *f = (FsEntry) { .type = e->type, .whiteout = e->whiteout, .layer = s->layer };
        if (!(f->path = strdup(e->path)) || (e->link_target && !(f->link = strdup(e->link_target)))) {
                entry_done(f);
                return -ENOMEM;
        }
        s->n_entries++;
        if (e->head_size >= 4 && memcmp(e->head, ELFMAG, SELFMAG) == 0) {
                r = entry_fill_elf(e, f, s->isa_want);
                if (r < 0)
                        return r;
        } else if (e->head_size >= 2 && e->head[0] == '#' && e->head[1] == '!' &&
                   !(f->shebang = shebang_parse(e->head, e->head_size)))
                return -ENOMEM;
        return charge(s, f);
}

/* ---- the model --------------------------------------------------------------------------------- */

/* Everything known about one path across all layers. */
typedef struct PathInfo {
        const char *path;
        const FsEntry *top;  /* the entry of the highest layer (later entries of a layer win) */
        int top_layer;       /* -1: only implied (an ancestor of some entry) */
        int implied_layer;   /* highest layer where a descendant implies this directory */
        int whiteout_layer;  /* highest layer that whites this path out, -1 */
        int opaque_layer;    /* highest layer that makes this directory opaque, -1 */
        int nondir_layer;    /* highest layer where this path is not a directory, -1 */
        bool visible;
} PathInfo;

struct FsModel {
        PathInfo *infos;
        size_t n_infos, n_alloc;
        size_t *slots;       /* open addressing: index + 1 into infos, 0 empty */
        size_t n_slots;      /* power of two */
        char **owned;        /* implied-directory path strings */
        size_t n_owned;
        size_t n_visible;
};

static uint64_t hash_path(const char *s, size_t n) {
        uint64_t h = 1469598103934665603ULL; /* FNV-1a */

        for (size_t i = 0; i < n; i++)
                h = (h ^ (uint8_t) s[i]) * 1099511628211ULL;
        return h;
}

static PathInfo *model_lookup(const FsModel *m, const char *path, size_t n) {
        for (size_t i = hash_path(path, n) & (m->n_slots - 1);; i = (i + 1) & (m->n_slots - 1)) {
                PathInfo *p;

                if (m->slots[i] == 0)
                        return NULL;
                p = &m->infos[m->slots[i] - 1];
                if (strlen(p->path) == n && memcmp(p->path, path, n) == 0)
                        return p;
        }
}

static int model_grow(FsModel *m) {
        size_t n = m->n_slots ? m->n_slots * 2 : 1024;
        size_t *slots = calloc(n, sizeof(size_t));

        if (!slots)
                return -ENOMEM;
        free(m->slots);
        m->slots = slots;
        m->n_slots = n;
        for (size_t k = 0; k < m->n_infos; k++) {
                size_t i = hash_path(m->infos[k].path, strlen(m->infos[k].path)) & (n - 1);
                while (slots[i])
                        i = (i + 1) & (n - 1);
                slots[i] = k + 1;
        }
        return 0;
}

/* The info for path[0..n), created when missing (path must then stay valid: it is referenced). */
static int model_get(FsModel *m, const char *path, size_t n, bool copy, PathInfo **ret) {
        PathInfo *p;
        char *owned;
        size_t i;

        p = m->n_slots ? model_lookup(m, path, n) : NULL;
        if (p) {
                *ret = p;
                return 0;
        }
        if ((m->n_infos + 1) * 2 > m->n_slots && model_grow(m) < 0)
                return -ENOMEM;
        if (m->n_infos == m->n_alloc) {
                size_t a = m->n_alloc ? m->n_alloc * 2 : 1024;
                PathInfo *infos = realloc(m->infos, a * sizeof(PathInfo));
                char **o = realloc(m->owned, a * sizeof(char *));
                if (infos)
                        m->infos = infos;
                if (o)
                        m->owned = o;
                if (!infos || !o)
                        return -ENOMEM;
                m->n_alloc = a;
        }
        if (copy) {
                owned = strndup(path, n);
                if (!owned)
                        return -ENOMEM;
                m->owned[m->n_owned++] = owned;
                path = owned;
        }
        m->infos[m->n_infos] = (PathInfo) { .path = path, .top_layer = -1, .implied_layer = -1,
                                            .whiteout_layer = -1, .opaque_layer = -1, .nondir_layer = -1 };
        for (i = hash_path(path, n) & (m->n_slots - 1); m->slots[i]; i = (i + 1) & (m->n_slots - 1))
                ;
        m->slots[i] = ++m->n_infos;
        *ret = &m->infos[m->n_infos - 1];
        return 0;
}

static int max_int(int a, int b) {
        return a > b ? a : b;
}

/* Every ancestor of a path is a directory in that layer, whether or not the tar lists it. */
static int model_imply_parents(FsModel *m, const char *path, int layer) {
        for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
                PathInfo *p;
                int r = model_get(m, path, (size_t) (s - path), true, &p);
                if (r < 0)
                        return r;
                p->implied_layer = max_int(p->implied_layer, layer);
        }
        return 0;
}

/* A hardlink names the file its target was when the link's layer was made: bind it now, as the
 * layers are added in order, so that a later layer deleting or replacing the target changes nothing.
 * A target deleted by then (a whiteout above its entry) or never seen leaves the link unbound. */
static void bind_hardlink(FsModel *m, FsEntry *e) {
        const PathInfo *t = model_lookup(m, e->link, strlen(e->link));
        const FsEntry *target;

        if (!t || !t->top || t->whiteout_layer > t->top_layer)
                return;
        target = t->top->type == LAYER_ENTRY_HARDLINK ? t->top->hardlink_to : t->top;
        if (target && target->type == LAYER_ENTRY_REGULAR)
                e->hardlink_to = target;
}

static int model_add(FsModel *m, FsEntry *e) {
        PathInfo *p;
        int r;

        if (e->type == LAYER_ENTRY_HARDLINK && e->link && e->whiteout == LAYER_WHITEOUT_NONE)
                bind_hardlink(m, e);
        r = model_get(m, e->path, strlen(e->path), false, &p);
        if (r < 0)
                return r;
        switch (e->whiteout) {
        case LAYER_WHITEOUT_FILE:
                p->whiteout_layer = max_int(p->whiteout_layer, (int) e->layer);
                break;
        case LAYER_WHITEOUT_OPAQUE_DIR:
                p->opaque_layer = max_int(p->opaque_layer, (int) e->layer);
                break;
        default:
                if ((int) e->layer >= p->top_layer) {
                        p->top = e;
                        p->top_layer = (int) e->layer;
                }
                if (e->type != LAYER_ENTRY_DIRECTORY)
                        p->nondir_layer = max_int(p->nondir_layer, (int) e->layer);
        }
        return model_imply_parents(m, e->path, (int) e->layer);
}

/* Whether a path last written in layer is hidden by something a higher layer did to an ancestor. */
static bool hidden_by_ancestor(const FsModel *m, const char *path, int layer) {
        for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
                const PathInfo *a = model_lookup(m, path, (size_t) (s - path));
                if (a && (a->whiteout_layer > layer || a->opaque_layer > layer || a->nondir_layer > layer))
                        return true;
        }
        return false;
}

static void model_settle(FsModel *m) {
        for (size_t i = 0; i < m->n_infos; i++) {
                PathInfo *p = &m->infos[i];
                int layer = max_int(p->top_layer, p->implied_layer);

                /* A whiteout of the same layer as the entry is not meaningful; the entry wins. */
                p->visible = layer >= 0 && p->whiteout_layer <= layer &&
                             !(p->top_layer < 0 && p->nondir_layer > p->implied_layer) &&
                             !hidden_by_ancestor(m, p->path, layer);
                if (p->visible && p->top && p->top_layer < p->implied_layer && p->top->type != LAYER_ENTRY_DIRECTORY)
                        p->top = NULL; /* a higher layer made it a directory again */
                m->n_visible += p->visible;
        }
}

int fs_model_build(LayerScan *scans, size_t n, FsModel **ret) {
        FsModel *m;
        int r = 0;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        r = model_grow(m);
        for (size_t l = 0; r >= 0 && l < n; l++)
                for (size_t i = 0; r >= 0 && i < scans[l].n_entries; i++)
                        r = model_add(m, &scans[l].entries[i]);
        if (r < 0) {
                fs_model_free(m);
                return r;
        }
        model_settle(m);
        *ret = m;
        return 0;
}

FsModel *fs_model_free(FsModel *m) {
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n_owned; i++)
                free(m->owned[i]);
        free(m->owned);
        free(m->infos);
        free(m->slots);
        free(m);
        return NULL;
}

size_t fs_model_n_visible(const FsModel *m) {
        return m->n_visible;
}

static int cmp_info_path(const void *a, const void *b) {
        return strcmp((*(const PathInfo * const *) a)->path, (*(const PathInfo * const *) b)->path);
}

int fs_model_foreach_elf(FsModel *m, int (*cb)(const FsEntry *e, void *userdata), void *userdata) {
        _cleanup_free_ const PathInfo **l = NULL;
        size_t n = 0;
        int r;

        l = calloc(m->n_infos + 1, sizeof(PathInfo *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_infos; i++)
                if (m->infos[i].visible && m->infos[i].top && m->infos[i].top->type == LAYER_ENTRY_REGULAR &&
                    (m->infos[i].top->elf || m->infos[i].top->elf_error < 0))
                        l[n++] = &m->infos[i];
        qsort(l, n, sizeof(PathInfo *), cmp_info_path);
        for (size_t i = 0; i < n; i++) {
                r = cb(l[i]->top, userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- lookups ----------------------------------------------------------------------------------- */

static const PathInfo *visible_lookup(const FsModel *m, const char *path, size_t n) {
        const PathInfo *p = model_lookup(m, path, n);

        return p && p->visible ? p : NULL;
}

static bool info_is_dir(const PathInfo *p) {
        return !p->top || p->top->type == LAYER_ENTRY_DIRECTORY;
}

/* The next component of *todo (leading '/' skipped) into c[0..n), *todo moved past it. */
static void next_component(const char **todo, const char **c, size_t *n) {
        *todo += strspn(*todo, "/");
        *c = *todo;
        *n = strcspn(*todo, "/");
        *todo += *n;
}

/* done (a resolved directory, "" for the root) with one more component, or its parent for "..". */
static int step(char **done, const char *c, size_t n) {
        char *next = NULL;

        if (n == 2 && strneq(c, "..", 2)) {
                char *slash = strrchr(*done, '/');
                (*done)[slash ? (size_t) (slash - *done) : 0] = 0; /* clamped at the root */
                return 0;
        }
        if (asprintf(&next, "%s%s%.*s", *done, **done ? "/" : "", (int) n, c) < 0)
                return -ENOMEM;
        free(*done);
        *done = next;
        return 0;
}

/* Resolve path as the kernel would after a chroot into the image: component by component, a symlink
 * replaced by its target (from the root when absolute, else from the link's directory) and ".." taken
 * against what has been resolved so far, not lexically. */
static int resolve_walk(FsModel *m, const char *path, char **ret_path, const PathInfo **ret) {
        _cleanup_free_ char *done = strdup(""), *todo_buf = strdup(path);
        const char *todo = todo_buf, *c;
        const PathInfo *p = NULL;
        unsigned links = 0;
        size_t n;
        int r;

        if (!done || !todo_buf)
                return -ENOMEM;
        for (;;) {
                next_component(&todo, &c, &n);
                if (n == 0)
                        break;
                if (n == 1 && c[0] == '.')
                        continue;
                if (p && !info_is_dir(p))
                        return -ENOTDIR;
                r = step(&done, c, n);
                if (r < 0)
                        return r;
                p = done[0] ? visible_lookup(m, done, strlen(done)) : NULL;
                if (done[0] && !p)
                        return -ENOENT;
                if (p && p->top && p->top->type == LAYER_ENTRY_SYMLINK) {
                        char *rest = NULL;
                        if (++links > SYMLINKS_MAX)
                                return -ELOOP;
                        if (asprintf(&rest, "%s%s", p->top->link, todo) < 0)
                                return -ENOMEM;
                        free(todo_buf);
                        todo = todo_buf = rest;
                        /* the link's directory, or the root for an absolute target */
                        r = step(&done, "..", 2);
                        if (r < 0)
                                return r;
                        if (p->top->link[0] == '/')
                                done[0] = 0;
                        p = done[0] ? visible_lookup(m, done, strlen(done)) : NULL;
                }
        }
        *ret = p;
        if (ret_path)
                *ret_path = TAKE_PTR(done);
        return 0;
}

int fs_model_resolve(FsModel *m, const char *path, const FsEntry **ret, char **ret_path) {
        _cleanup_free_ char *p = NULL;
        const PathInfo *info = NULL;
        int r;

        r = resolve_walk(m, path, &p, &info);
        if (r < 0)
                return r;
        if (info && info->top && info->top->type == LAYER_ENTRY_HARDLINK) {
                /* what the link named when its layer was made (fs_model_build), whatever came later */
                if (!info->top->hardlink_to)
                        return -ENOENT;
                *ret = info->top->hardlink_to;
        } else
                *ret = info ? info->top : NULL;
        if (ret_path)
                *ret_path = TAKE_PTR(p);
        return 0;
}

int fs_model_find_prefix(FsModel *m, const char *dir, const char *prefix, char **ret_path) {
        size_t dl = strlen(dir), pl = strlen(prefix);
        const char *best = NULL;

        for (size_t i = 0; i < m->n_infos; i++) {
                const PathInfo *p = &m->infos[i];

                if (!p->visible || !p->top || p->top->type == LAYER_ENTRY_DIRECTORY)
                        continue;
                if (!strneq(p->path, dir, dl) || p->path[dl] != '/' || strchr(p->path + dl + 1, '/') ||
                    !strneq(p->path + dl + 1, prefix, pl))
                        continue;
                if (!best || strcmp(p->path, best) < 0)
                        best = p->path;
        }
        if (!best)
                return -ENOENT;
        *ret_path = strdup(best);
        return *ret_path ? 0 : -ENOMEM;
}
