/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* check-arch/fs-model.c: layers given as FsEntry arrays built by hand, stacked with fs_model_build(),
 * then asked what an unpacked image would show: later layers win, whiteouts and opaque directories
 * hide lower entries, a directory replaced by a file hides its old contents, fs_model_resolve()
 * follows symlinks (absolute, relative, 40 at most) and hardlinks, fs_model_find_prefix() finds
 * loaders. layer_scan_entry() is fed LayerEntry values by hand: shebangs, ELF heads, the budget. */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../check-arch/fs-model.h"
#include "macro.h"

/* ---- layers by hand ---------------------------------------------------------------------------- */

#define REG(p)     { .path = (char *) (p), .type = LAYER_ENTRY_REGULAR }
#define DIR_(p)    { .path = (char *) (p), .type = LAYER_ENTRY_DIRECTORY }
#define SYM(p, t)  { .path = (char *) (p), .link = (char *) (t), .type = LAYER_ENTRY_SYMLINK }
#define HARD(p, t) { .path = (char *) (p), .link = (char *) (t), .type = LAYER_ENTRY_HARDLINK }
#define WH(p)      { .path = (char *) (p), .type = LAYER_ENTRY_REGULAR, .whiteout = LAYER_WHITEOUT_FILE }
#define OPQ(p)     { .path = (char *) (p), .type = LAYER_ENTRY_REGULAR, .whiteout = LAYER_WHITEOUT_OPAQUE_DIR }

typedef struct Layer {
        FsEntry *entries;
        size_t n;
} Layer;
#define L(a) { (a), ELEMENTSOF(a) }

/* The scans point into the callers' arrays (string literals, never freed): the model only keeps
 * pointers. */
typedef struct Stack {
        LayerScan scans[8];
        FsModel *m;
} Stack;

static void stack_build(Stack *s, const Layer *layers, size_t n) {
        assert_true(n <= ELEMENTSOF(s->scans));
        for (size_t l = 0; l < n; l++) {
                for (size_t i = 0; i < layers[l].n; i++)
                        layers[l].entries[i].layer = (unsigned) l;
                s->scans[l] = (LayerScan) { .entries = layers[l].entries, .n_entries = layers[l].n,
                                            .n_alloc = layers[l].n, .layer = (unsigned) l };
        }
        assert_int_equal(fs_model_build(s->scans, n, &s->m), 0);
}
#define STACK(s, ...) do { \
                const Layer _l[] = { __VA_ARGS__ }; \
                stack_build((s), _l, ELEMENTSOF(_l)); \
        } while (0)

/* Resolve path; returns the error, *ret the entry (or NULL for a directory known only by its
 * contents) and, when want_path, checks the resolved path. */
static int resolve(Stack *s, const char *path, const FsEntry **ret, const char *want_path) {
        _cleanup_free_ char *got = NULL;
        const FsEntry *e = NULL;
        int r = fs_model_resolve(s->m, path, &e, &got);

        if (r >= 0 && want_path)
                assert_string_equal(got, want_path);
        if (ret)
                *ret = e;
        return r;
}

static bool visible(Stack *s, const char *path) {
        return resolve(s, path, NULL, NULL) == 0;
}

/* ---- stacking ---------------------------------------------------------------------------------- */

static void test_later_layers_win(void **state) {
        FsEntry l0[] = { DIR_("bin"), REG("bin/sh"), REG("etc/conf"), REG("etc/conf") };
        FsEntry l1[] = { REG("bin/sh"), REG("usr/bin/new") };
        Stack s = {};
        const FsEntry *e;

        STACK(&s, L(l0), L(l1));
        assert_int_equal(resolve(&s, "/bin/sh", &e, "bin/sh"), 0);
        assert_ptr_equal(e, &l1[0]);
        /* in one layer, the later entry of a path wins */
        assert_int_equal(resolve(&s, "etc/conf", &e, "etc/conf"), 0);
        assert_ptr_equal(e, &l0[3]);
        /* parents a tar does not list exist as directories */
        assert_int_equal(resolve(&s, "/usr/bin", &e, "usr/bin"), 0);
        assert_null(e);
        assert_int_equal(resolve(&s, "/", &e, ""), 0);
        assert_null(e);
        assert_int_equal(resolve(&s, "/nope", &e, NULL), -ENOENT);
        /* bin, bin/sh, etc, etc/conf, usr, usr/bin, usr/bin/new */
        assert_int_equal(fs_model_n_visible(s.m), 7);
        fs_model_free(s.m);
}

static void test_whiteouts(void **state) {
        FsEntry l0[] = { DIR_("a"), REG("a/f"), REG("a/g"), DIR_("d"), REG("d/x"), REG("d/sub/y"), REG("same") };
        FsEntry l1[] = { WH("a/f"), WH("d"), REG("same"), WH("same") };
        FsEntry l2[] = { REG("d/new") };
        Stack s = {};
        const FsEntry *e;

        STACK(&s, L(l0), L(l1), L(l2));
        /* a whited-out file, and a whited-out directory with everything below it */
        assert_false(visible(&s, "a/f"));
        assert_true(visible(&s, "a/g"));
        assert_false(visible(&s, "d/x"));
        assert_false(visible(&s, "d/sub"));
        assert_false(visible(&s, "d/sub/y"));
        /* a whiteout only hides lower layers: the same layer's entry stays */
        assert_int_equal(resolve(&s, "same", &e, NULL), 0);
        assert_ptr_equal(e, &l1[2]);
        /* a later layer makes d again, with only what it adds */
        assert_true(visible(&s, "d"));
        assert_true(visible(&s, "d/new"));
        fs_model_free(s.m);
}

static void test_opaque_dirs(void **state) {
        FsEntry l0[] = { DIR_("o"), REG("o/old"), REG("o/sub/deep"), REG("p/kept") };
        FsEntry l1[] = { DIR_("o"), OPQ("o"), REG("o/new") };
        FsEntry l2[] = { REG("o/later") };
        Stack s = {};
        const FsEntry *e;

        STACK(&s, L(l0), L(l1), L(l2));
        assert_false(visible(&s, "o/old"));
        assert_false(visible(&s, "o/sub"));
        assert_false(visible(&s, "o/sub/deep"));
        assert_true(visible(&s, "o/new"));
        assert_true(visible(&s, "o/later"));
        assert_true(visible(&s, "p/kept"));
        assert_int_equal(resolve(&s, "o", &e, NULL), 0);
        assert_ptr_equal(e, &l1[0]);
        fs_model_free(s.m);
}

/* An opaque marker at a layer's top (".wh..wh..opq", path "") hides nothing, as on overlayfs, which
 * does not honour the opaque xattr on a layer's root directory (checked with an overlay mount of two
 * lower layers on Linux 6.18: the lower layer's files stay). lib/layer-extract.c sets the xattr on
 * the root all the same, so archbuild's stack agrees. */
static void test_opaque_root_hides_nothing(void **state) {
        FsEntry l0[] = { REG("old"), REG("dir/old") };
        FsEntry l1[] = { OPQ(""), REG("new") };
        Stack s = {};

        STACK(&s, L(l0), L(l1));
        assert_true(visible(&s, "new"));
        assert_true(visible(&s, "old"));
        assert_true(visible(&s, "dir/old"));
        fs_model_free(s.m);
}

static void test_dir_replaced_by_file(void **state) {
        FsEntry l0[] = { DIR_("d"), REG("d/x"), DIR_("d/sub"), REG("d/sub/y") };
        FsEntry l1[] = { REG("d") };
        FsEntry l2[] = { REG("d/z") };
        Stack s = {};
        const FsEntry *e;

        /* two layers: d is a file, what was below it is gone */
        STACK(&s, L(l0), L(l1));
        assert_int_equal(resolve(&s, "d", &e, "d"), 0);
        assert_ptr_equal(e, &l1[0]);
        assert_int_equal(resolve(&s, "d/x", &e, NULL), -ENOTDIR);
        assert_false(visible(&s, "d/sub/y"));
        fs_model_free(s.m);

        /* a third makes d a directory again: only its own entries are in it */
        s = (Stack) {};
        STACK(&s, L(l0), L(l1), L(l2));
        assert_int_equal(resolve(&s, "d", &e, "d"), 0);
        assert_null(e); /* a directory, known only by its contents */
        assert_true(visible(&s, "d/z"));
        assert_false(visible(&s, "d/x"));
        assert_false(visible(&s, "d/sub"));
        fs_model_free(s.m);
}

/* ---- resolving --------------------------------------------------------------------------------- */

static void test_resolve_symlinks(void **state) {
        FsEntry l0[] = {
                DIR_("usr"), DIR_("usr/lib"), REG("usr/lib/libc.so.6"),
                SYM("lib", "usr/lib"),                        /* relative */
                SYM("lib64", "/usr/lib"),                     /* absolute */
                SYM("usr/lib/ld.so", "../../lib/libc.so.6"),  /* relative, up, through another link */
                SYM("usr/lib/up", "../../../../usr/lib"),     /* ".." clamped at the root */
                REG("bin/dash"), SYM("bin/sh", "dash"),
                SYM("bin/root", "/"),
                SYM("dangling", "nowhere"),
                SYM("loop-a", "loop-b"), SYM("loop-b", "loop-a"),
                SYM("self", "self/x"),
        };
        Stack s = {};
        const FsEntry *e;

        STACK(&s, L(l0));
        assert_int_equal(resolve(&s, "/lib/libc.so.6", &e, "usr/lib/libc.so.6"), 0);
        assert_ptr_equal(e, &l0[2]);
        assert_int_equal(resolve(&s, "/lib64/libc.so.6", &e, "usr/lib/libc.so.6"), 0);
        assert_ptr_equal(e, &l0[2]);
        /* ".." after a link is the link target's parent, as the kernel takes it: usr/lib64 is not there */
        assert_int_equal(resolve(&s, "lib64/../lib64/libc.so.6", &e, NULL), -ENOENT);
        assert_int_equal(resolve(&s, "lib64/../lib/libc.so.6", &e, "usr/lib/libc.so.6"), 0);
        assert_int_equal(resolve(&s, "/usr/lib/ld.so", &e, "usr/lib/libc.so.6"), 0);
        assert_ptr_equal(e, &l0[2]);
        assert_int_equal(resolve(&s, "/usr/lib/up/libc.so.6", &e, "usr/lib/libc.so.6"), 0);
        /* the last component is followed too */
        assert_int_equal(resolve(&s, "/bin/sh", &e, "bin/dash"), 0);
        assert_ptr_equal(e, &l0[7]);
        assert_int_equal(resolve(&s, "/bin/root/bin/sh", &e, "bin/dash"), 0);
        assert_int_equal(resolve(&s, "/bin/root", &e, ""), 0);
        assert_null(e);
        /* ".." at the root stays at the root, as after a chroot */
        assert_int_equal(resolve(&s, "/../../bin/dash", &e, "bin/dash"), 0);
        /* failures */
        assert_int_equal(resolve(&s, "/dangling", &e, NULL), -ENOENT);
        assert_int_equal(resolve(&s, "/loop-a", &e, NULL), -ELOOP);
        assert_int_equal(resolve(&s, "/self", &e, NULL), -ELOOP);
        assert_int_equal(resolve(&s, "/bin/dash/x", &e, NULL), -ENOTDIR);
        assert_int_equal(resolve(&s, "/bin/sh/x", &e, NULL), -ENOTDIR);
        fs_model_free(s.m);
}

/* Regression (found by this test, fixed): check-arch/fs-model.c, fs_model_resolve() and
 * resolve_walk() remove ".." lexically (layer_path_resolve_link() on the whole path first, and on
 * each link target joined to its directory), where the kernel applies ".." to the directory a
 * symlink led to. With lib -> usr/lib, the kernel resolves "/lib/../bin/sh" to usr/bin/sh, the model
 * to bin/sh; a link "x" -> "lib/../sbin/tool" likewise. */
static void test_resolve_dotdot_after_symlink(void **state) {
        FsEntry l0[] = {
                DIR_("usr"), DIR_("usr/lib"), REG("usr/bin/sh"), REG("usr/sbin/tool"),
                SYM("lib", "usr/lib"),
                REG("bin/sh"), REG("sbin/tool"),
                SYM("x", "lib/../sbin/tool"),
        };
        Stack s = {};
        const FsEntry *e1 = NULL, *e2 = NULL;
        int r1, r2;

        STACK(&s, L(l0));
        r1 = resolve(&s, "/lib/../bin/sh", &e1, NULL);
        r2 = resolve(&s, "/x", &e2, NULL);
        fs_model_free(s.m);
        assert_int_equal(r1, 0);
        assert_ptr_equal(e1, &l0[2]);
        assert_int_equal(r2, 0);
        assert_ptr_equal(e2, &l0[3]);
}

/* 40 symlinks in a row resolve, 41 do not (the kernel's MAXSYMLINKS). */
static void test_resolve_symlink_limit(void **state) {
        static char names[41][8];
        FsEntry l0[42];
        Stack s = {};
        const FsEntry *e;

        /* s0 -> s1 -> ... -> s40 -> f: 41 links from s0, 40 from s1 */
        for (int i = 0; i <= 40; i++)
                snprintf(names[i], sizeof(names[i]), "s%d", i);
        for (int i = 0; i < 40; i++)
                l0[i] = (FsEntry) SYM(names[i], names[i + 1]);
        l0[40] = (FsEntry) SYM(names[40], "f");
        l0[41] = (FsEntry) REG("f");
        STACK(&s, L(l0));
        assert_int_equal(resolve(&s, "s1", &e, "f"), 0);
        assert_ptr_equal(e, &l0[41]);
        assert_int_equal(resolve(&s, "/s0", &e, NULL), -ELOOP);
        fs_model_free(s.m);
}

static void test_resolve_hardlinks(void **state) {
        FsEntry l0[] = { REG("bin/a"), HARD("bin/b", "bin/a"), HARD("bin/dangling", "bin/none"),
                         SYM("bin/c", "b") };
        Stack s = {};
        const FsEntry *e;

        STACK(&s, L(l0));
        /* a hardlink resolves to its target's entry; the path stays its own */
        assert_int_equal(resolve(&s, "/bin/b", &e, "bin/b"), 0);
        assert_ptr_equal(e, &l0[0]);
        assert_int_equal(resolve(&s, "/bin/c", &e, "bin/b"), 0);
        assert_ptr_equal(e, &l0[0]);
        assert_int_equal(resolve(&s, "/bin/dangling", &e, NULL), -ENOENT);
        fs_model_free(s.m);
}

/* Regression (found by this test, fixed): check-arch/fs-model.c, fs_model_resolve() resolves a hardlink by
 * looking its target path up in the final model. But a hardlink is the same inode as its target at
 * the time of its layer: when a later layer deletes the target (rm /usr/bin/perl5.36.0, keeping
 * /usr/bin/perl) the link is still a file, and when a later layer replaces the target with another
 * file the link keeps the old content. Today the first gives -ENOENT for a path the image has, the
 * second the other file's entry. */
static void test_resolve_hardlink_outlives_target(void **state) {
        FsEntry l0[] = { REG("bin/a"), HARD("bin/b", "bin/a") };
        FsEntry deleted[] = { WH("bin/a") };
        FsEntry replaced[] = { REG("bin/a") };
        Stack s = {};
        const FsEntry *e1 = NULL, *e2 = NULL;
        int r1, r2;

        /* everything is freed before the assertions */
        STACK(&s, L(l0), L(deleted));
        r1 = resolve(&s, "/bin/b", &e1, NULL);
        fs_model_free(s.m);
        s = (Stack) {};
        STACK(&s, L(l0), L(replaced));
        r2 = resolve(&s, "/bin/b", &e2, NULL);
        fs_model_free(s.m);
        assert_int_equal(r1, 0);
        assert_ptr_equal(e1, &l0[0]);
        assert_int_equal(r2, 0);
        assert_ptr_equal(e2, &l0[0]);
}

static void test_find_prefix(void **state) {
        FsEntry l0[] = {
                DIR_("lib"),
                REG("lib/ld-musl-x86_64.so.1"),
                REG("lib/ld-musl-aarch64.so.1"),
                DIR_("lib/ld-musl-dir"),                          /* a directory: not a loader */
                REG("lib/sub/ld-musl-deeper"),                    /* not directly in lib */
                REG("lib64/ld-linux-x86-64.so.2"),
                REG("libx/ld-musl-other"),                        /* "lib" is a prefix of "libx" */
                SYM("lib/ld-linux-armhf.so.3", "arm-linux-gnueabihf/ld-linux-armhf.so.3"),
        };
        FsEntry l1[] = { WH("lib/ld-musl-aarch64.so.1") };
        Stack s = {};
        char *p = NULL;

        STACK(&s, L(l0));
        /* the first in byte order */
        assert_int_equal(fs_model_find_prefix(s.m, "lib", "ld-musl-", &p), 0);
        assert_string_equal(p, "lib/ld-musl-aarch64.so.1");
        free(p);
        assert_int_equal(fs_model_find_prefix(s.m, "lib64", "ld-linux", &p), 0);
        assert_string_equal(p, "lib64/ld-linux-x86-64.so.2");
        free(p);
        /* symlinks count: loaders are often links */
        assert_int_equal(fs_model_find_prefix(s.m, "lib", "ld-linux", &p), 0);
        assert_string_equal(p, "lib/ld-linux-armhf.so.3");
        free(p);
        assert_int_equal(fs_model_find_prefix(s.m, "lib", "ld-nothing", &p), -ENOENT);
        assert_int_equal(fs_model_find_prefix(s.m, "usr/lib", "ld-", &p), -ENOENT);
        fs_model_free(s.m);

        /* a whited-out loader is not found */
        s = (Stack) {};
        STACK(&s, L(l0), L(l1));
        assert_int_equal(fs_model_find_prefix(s.m, "lib", "ld-musl-", &p), 0);
        assert_string_equal(p, "lib/ld-musl-x86_64.so.1");
        free(p);
        fs_model_free(s.m);
}

typedef struct Visited {
        const char *paths[8];
        size_t n;
} Visited;

static int visit_elf(const FsEntry *e, void *userdata) {
        Visited *v = userdata;

        assert_true(v->n < ELEMENTSOF(v->paths));
        v->paths[v->n++] = e->path;
        return 0;
}

static int visit_stop(const FsEntry *e, void *userdata) {
        return -ECANCELED;
}

static void test_foreach_elf(void **state) {
        ElfInfo info = {};
        FsEntry l0[] = { REG("z/elf"), REG("b/elf"), REG("a/elf"), REG("c/bad"), REG("d/text"), REG("e/hard") };
        FsEntry l1[] = { WH("b/elf") };
        Visited v = {};
        Stack s = {};

        l0[0].elf = l0[1].elf = l0[2].elf = &info;
        l0[3].elf_error = -EBADMSG; /* starts like ELF, malformed: the checks want to say so */
        STACK(&s, L(l0), L(l1));
        assert_int_equal(fs_model_foreach_elf(s.m, visit_elf, &v), 0);
        assert_int_equal(v.n, 3);
        assert_string_equal(v.paths[0], "a/elf");
        assert_string_equal(v.paths[1], "c/bad");
        assert_string_equal(v.paths[2], "z/elf");
        assert_int_equal(fs_model_foreach_elf(s.m, visit_stop, NULL), -ECANCELED);
        fs_model_free(s.m);
}

/* ---- scanning entries ------------------------------------------------------------------------- */

static LayerEntry entry(const char *path, const void *head, size_t head_size) {
        return (LayerEntry) { .path = path, .type = LAYER_ENTRY_REGULAR, .mode = 0755, .size = (int64_t) head_size,
                              .head = head, .head_size = head_size };
}

static void test_scan_shebangs(void **state) {
        static const struct {
                const char *head;
                const char *shebang;
        } rows[] = {
                { "#!/bin/sh\necho\n",                 "/bin/sh" },
                { "#!  /usr/bin/env  python3 \r\nx",   "/usr/bin/env  python3" },
                { "#!\t/bin/bash -e",                  "/bin/bash -e" },
                { "#!",                                "" },
                { "# not a shebang\n",                 NULL },
                { "plain text",                        NULL },
        };
        LayerScan s = {};
        char long_head[400];

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                LayerEntry e = entry("f", rows[i].head, strlen(rows[i].head));
                assert_int_equal(layer_scan_entry(&e, &s), 0);
                assert_int_equal(s.n_entries, i + 1);
                assert_string_equal(s.entries[i].path, "f");
                assert_null(s.entries[i].elf);
                if (rows[i].shebang)
                        assert_string_equal(s.entries[i].shebang, rows[i].shebang);
                else
                        assert_null(s.entries[i].shebang);
        }
        /* a line longer than the kernel reads is cut where the kernel cuts it */
        memset(long_head, 'x', sizeof(long_head));
        memcpy(long_head, "#!/", 3);
        {
                LayerEntry e = entry("long", long_head, sizeof(long_head));
                assert_int_equal(layer_scan_entry(&e, &s), 0);
                assert_int_equal(strlen(s.entries[s.n_entries - 1].shebang), 256 - 2);
        }
        layer_scan_done(&s);
        assert_int_equal(s.n_entries, 0);
        assert_null(s.entries);
}

/* A static x86_64 executable's head, or with interp a dynamic one: an ELF header, PT_INTERP (when
 * interp) and PT_LOAD, then the interpreter's name. */
static size_t make_elf(uint8_t *buf, size_t size, const char *interp) {
        Elf64_Ehdr *h = (Elf64_Ehdr *) buf;
        Elf64_Phdr *ph = (Elf64_Phdr *) (buf + sizeof(*h));
        size_t n = 0, end;

        memset(buf, 0, size);
        memcpy(h->e_ident, ELFMAG, SELFMAG);
        h->e_ident[EI_CLASS] = ELFCLASS64;
        h->e_ident[EI_DATA] = ELFDATA2LSB;
        h->e_ident[EI_VERSION] = EV_CURRENT;
        h->e_type = ET_EXEC;
        h->e_machine = EM_X86_64;
        h->e_version = EV_CURRENT;
        h->e_entry = 0x401000;
        h->e_phoff = sizeof(*h);
        h->e_ehsize = sizeof(*h);
        h->e_phentsize = sizeof(Elf64_Phdr);
        end = sizeof(*h) + 2 * sizeof(Elf64_Phdr);
        if (interp) {
                ph[n++] = (Elf64_Phdr) { .p_type = PT_INTERP, .p_offset = end, .p_filesz = strlen(interp) + 1,
                                         .p_memsz = strlen(interp) + 1, .p_flags = PF_R, .p_align = 1 };
                memcpy(buf + end, interp, strlen(interp) + 1);
        }
        ph[n++] = (Elf64_Phdr) { .p_type = PT_LOAD, .p_vaddr = 0x400000, .p_filesz = 0x1000, .p_memsz = 0x1000,
                                 .p_flags = PF_R | PF_X, .p_align = 0x1000 };
        h->e_phnum = (Elf64_Half) n;
        assert_true(end + 64 <= size);
        return end + 64;
}

static void test_scan_elf(void **state) {
        uint8_t head[512], bad[64];
        LayerScan s = {};
        LayerEntry e;
        size_t n;

        n = make_elf(head, sizeof(head), NULL);
        e = entry("bin/static", head, n);
        assert_int_equal(layer_scan_entry(&e, &s), 0);
        assert_non_null(s.entries[0].elf);
        assert_null(s.entries[0].elf->interp);
        assert_true(s.entries[0].elf->has_platform);
        assert_string_equal(s.entries[0].elf->platform.arch, "amd64");
        assert_string_equal(s.entries[0].elf->platform.os, "linux");

        n = make_elf(head, sizeof(head), "/lib/ld-musl-x86_64.so.1");
        e = entry("bin/dynamic", head, n);
        assert_int_equal(layer_scan_entry(&e, &s), 0);
        assert_non_null(s.entries[1].elf);
        assert_string_equal(s.entries[1].elf->interp, "/lib/ld-musl-x86_64.so.1");
        assert_int_equal(s.entries[1].elf->id_small.interp[0], 0);

        /* the magic, then garbage: kept as an entry with its error, not a failure of the scan */
        memset(bad, 0xee, sizeof(bad));
        memcpy(bad, ELFMAG, SELFMAG);
        e = entry("bin/broken", bad, sizeof(bad));
        assert_int_equal(layer_scan_entry(&e, &s), 0);
        assert_null(s.entries[2].elf);
        assert_true(s.entries[2].elf_error < 0);
        layer_scan_done(&s);
}

/* The model's memory budget, shared by the scans of one image: what each entry costs is charged,
 * and the entry that goes over is refused with -ENOBUFS. */
static void test_scan_budget(void **state) {
        const uint64_t cost = sizeof(FsEntry) + 64 + strlen("f1") + 1; /* as fs-model.c counts */
        _Atomic uint64_t used = 0;
        LayerScan a = { .model_bytes = &used, .model_max = 2 * cost },
                  b = { .model_bytes = &used, .model_max = 2 * cost, .layer = 1 };
        LayerScan unbounded = {};
        LayerEntry e1 = entry("f1", "x", 1), e2 = entry("f2", "x", 1), e3 = entry("f3", "x", 1);

        assert_int_equal(layer_scan_entry(&e1, &a), 0);
        assert_int_equal(layer_scan_entry(&e2, &b), 0);
        assert_int_equal(used, 2 * cost);
        /* the budget is the image's, not the layer's */
        assert_int_equal(layer_scan_entry(&e3, &a), -ENOBUFS);
        assert_int_equal(layer_scan_entry(&e3, &b), -ENOBUFS);
        /* strings count: a link target makes an entry dearer */
        used = 0;
        {
                LayerEntry l = { .path = "f1", .type = LAYER_ENTRY_SYMLINK, .link_target = "t" };
                LayerScan c = { .model_bytes = &used, .model_max = cost };
                assert_int_equal(layer_scan_entry(&l, &c), -ENOBUFS);
                layer_scan_done(&c);
        }
        /* no budget: no bound */
        for (int i = 0; i < 1000; i++)
                assert_int_equal(layer_scan_entry(&e1, &unbounded), 0);
        assert_int_equal(unbounded.n_entries, 1000);
        layer_scan_done(&a);
        layer_scan_done(&b);
        layer_scan_done(&unbounded);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_later_layers_win),
                cmocka_unit_test(test_whiteouts),
                cmocka_unit_test(test_opaque_dirs),
                cmocka_unit_test(test_opaque_root_hides_nothing),
                cmocka_unit_test(test_dir_replaced_by_file),
                cmocka_unit_test(test_resolve_symlinks),
                cmocka_unit_test(test_resolve_dotdot_after_symlink),
                cmocka_unit_test(test_resolve_symlink_limit),
                cmocka_unit_test(test_resolve_hardlinks),
                cmocka_unit_test(test_resolve_hardlink_outlives_target),
                cmocka_unit_test(test_find_prefix),
                cmocka_unit_test(test_foreach_elf),
                cmocka_unit_test(test_scan_shebangs),
                cmocka_unit_test(test_scan_elf),
                cmocka_unit_test(test_scan_budget),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
