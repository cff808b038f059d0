/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zstd.h>

#include "tar-fixture.h"

static la_ssize_t buf_write(struct archive *a, void *userdata, const void *data, size_t n) {
        Buf *b = userdata;

        b->data = realloc(b->data, b->size + n);
        assert_non_null(b->data);
        memcpy(b->data + b->size, data, n);
        b->size += n;
        return (la_ssize_t) n;
}

void tar_add(struct archive *a, const Ent *x) {
        struct archive_entry *e = archive_entry_new();
        size_t size = x->size ?: x->data ? strlen(x->data) : 0;

        archive_entry_set_pathname(e, x->name);
        archive_entry_set_filetype(e, (unsigned) x->type);
        archive_entry_set_perm(e, x->mode);
        archive_entry_set_uid(e, TAR_OWNER);
        archive_entry_set_gid(e, TAR_OWNER);
        archive_entry_set_mtime(e, TAR_MTIME, 0);
        if (x->type == AE_IFLNK)
                archive_entry_set_symlink(e, x->link);
        else if (x->link)
                archive_entry_set_hardlink(e, x->link);
        archive_entry_set_size(e, x->type == AE_IFREG && !x->link ? (la_int64_t) size : 0);
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        if (size > 0 && !x->link)
                assert_int_equal(archive_write_data(a, x->data, size), (la_ssize_t) size);
        archive_entry_free(e);
}

static Buf zstd_of(Buf plain) {
        /* libarchive's zstd writer is not dependable across builds; libzstd directly is */
        Buf z = { .data = malloc(ZSTD_compressBound(plain.size)) };

        assert_non_null(z.data);
        z.size = ZSTD_compress(z.data, ZSTD_compressBound(plain.size), plain.data, plain.size, 3);
        assert_false(ZSTD_isError(z.size));
        free(plain.data);
        return z;
}

struct archive *tar_open(Buf *b, OciCompression c) {
        struct archive *a = archive_write_new();

        assert_non_null(a);
        assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
        if (c == OCI_COMPRESSION_GZIP)
                assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
        assert_int_equal(archive_write_open(a, b, NULL, buf_write, NULL), ARCHIVE_OK);
        return a;
}

Buf tar_close(struct archive *a, Buf *b, OciCompression c) {
        assert_int_equal(archive_write_close(a), ARCHIVE_OK);
        archive_write_free(a);
        return c == OCI_COMPRESSION_ZSTD ? zstd_of(*b) : *b;
}

Buf tar_make(const Ent *ents, size_t n, OciCompression c) {
        Buf b = {};
        struct archive *a = tar_open(&b, c);

        for (size_t i = 0; i < n; i++)
                tar_add(a, &ents[i]);
        return tar_close(a, &b, c);
}

Buf tar_make_sparse(const char *name, int64_t size) {
        static uint8_t chunk[64 * 1024];
        Buf b = {};
        struct archive *a = tar_open(&b, OCI_COMPRESSION_NONE);
        struct archive_entry *e = archive_entry_new();

        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, size);
        archive_entry_sparse_add_entry(e, size - 4096, 4096);
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        /* the writer takes the whole file and drops the holes */
        for (int64_t off = 0; off < size; off += (int64_t) sizeof(chunk)) {
                memset(chunk, off + (int64_t) sizeof(chunk) == size ? 'S' : 0, sizeof(chunk));
                assert_int_equal(archive_write_data(a, chunk, sizeof(chunk)), (la_ssize_t) sizeof(chunk));
        }
        archive_entry_free(e);
        return tar_close(a, &b, OCI_COMPRESSION_NONE);
}
