/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The extractor run on layers built in memory, and the checks on what it wrote: shared by the unit
 * tests of lib/layer-extract. */

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "extract-fixture.h"
#include "file-util.h"
#include "macro.h"

/* A layer of every kind of entry: directories with and without "./", a file whose parent is not
 * listed, an empty file, relative and absolute symlinks, a hardlink. */
const Ent basic[8] = {
        DIR_("./usr/", 0755),
        DIR_("./usr/bin/", 0711),
        FILE_("./usr/bin/tool", 0750, "#!/bin/sh\necho tool\n"),
        FILE_("etc/conf", 0600, "key=value\n"),  /* no "./", parent not listed */
        FILE_("./empty", 0644, ""),
        LINK_("./usr/bin/link", "tool"),
        LINK_("./abs", "/etc/conf"),
        HARD_("./usr/bin/hard", "./usr/bin/tool"),
};

ErrorDetail extract_err;

int extract(const Buf *b, const char *root, const LayerExtractOptions *o, LayerReadResult *res) {
        int fd = memfd_create("layer", MFD_CLOEXEC), r;

        assert_true(fd >= 0);
        assert_int_equal(loop_write(fd, b->data, b->size), 0);
        assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
        extract_err = (ErrorDetail) {};
        r = layer_extract_fd(fd, root, o, res, &extract_err);
        close(fd);
        /* every failure says why */
        if (r < 0)
                assert_true(extract_err.message[0] != 0);
        return r;
}

/* The same, expecting failure; returns the error and frees b. */
int extract_fails(Buf b, const char *root, const LayerExtractOptions *o) {
        LayerReadResult res;
        int r = extract(&b, root, o, &res);

        free(b.data);
        assert_true(r < 0);
        return r;
}

char *scratch(void) {
        char *d = strdup("/tmp/archway-extract-XXXXXX");

        assert_non_null(d);
        assert_non_null(mkdtemp(d));
        return d;
}

char *join(const char *root, const char *rel) {
        char *p;

        assert_true(asprintf(&p, "%s/%s", root, rel) > 0);
        return p;
}

void assert_file(const char *root, const char *rel, const char *content, mode_t mode) {
        _cleanup_free_ char *p = join(root, rel), *back = NULL;
        struct stat st;
        size_t n;

        assert_int_equal(lstat(p, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 07777, mode);
        assert_int_equal(read_file(p, 1 << 20, &back, &n), 0);
        assert_int_equal(n, strlen(content));
        assert_string_equal(back, content);
}

bool exists(const char *root, const char *rel) {
        _cleanup_free_ char *p = join(root, rel);
        struct stat st;

        return lstat(p, &st) == 0;
}

bool is_overlay_whiteout(const char *root, const char *rel) {
        _cleanup_free_ char *p = join(root, rel);
        struct stat st;

        return lstat(p, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

/* Whether the file system under dir takes user.* xattrs (ext4, btrfs, tmpfs >= 6.6 do). */
bool user_xattrs_work(const char *dir) {
        if (setxattr(dir, "user.archway-test", "1", 1, 0) < 0)
                return false;
        (void) removexattr(dir, "user.archway-test");
        return true;
}

void assert_opaque(const char *root, const char *rel) {
        _cleanup_free_ char *p = join(root, rel);
        char v[8];

        assert_int_equal(lgetxattr(p, "user.overlay.opaque", v, sizeof(v)), 1);
        assert_int_equal(v[0], 'y');
}
