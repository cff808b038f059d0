/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file-util.h"
#include "macro.h"
#include "qemu-locate.h"

/* Place o for target in dir: 1 with *ret set when it holds an executable, 0 when not, -EINVAL, -ENOMEM. */
static int try_place(EmulatorOrigin o, const char *target, const char *dir, char **ret) {
        char path[PATH_MAX];
        int r = emulator_path(o, target, dir, path, sizeof(path));

        if (r == -EINVAL)
                return r;
        if (r < 0 || !is_executable_file(path))
                return 0;
        *ret = strdup(path);
        return *ret ? 1 : -ENOMEM;
}

/* Place o for target: the QEMU directory, each of the shims' directories, or a fixed place. */
static int try_origin(EmulatorOrigin o, const char *target, const char *qemu_dir, const char *const *shim_dirs,
                      char **ret) {
        int r = 0;

        switch (o) {
        case EMULATOR_FROM_SHIM:
                for (; r == 0 && shim_dirs && *shim_dirs; shim_dirs++)
                        r = try_place(o, target, *shim_dirs, ret);
                return r;
        case EMULATOR_FROM_DIR:
                return try_place(o, target, qemu_dir, ret);
        default:
                return try_place(o, target, NULL, ret);
        }
}

int emulator_locate(const char *target, const EmulatorOrigin *order, const char *qemu_dir,
                    const char *const *shim_dirs, char **ret_path, EmulatorOrigin *ret_origin) {
        for (; *order != _EMULATOR_ORIGIN_MAX; order++) {
                int r = try_origin(*order, target, qemu_dir, shim_dirs, ret_path);

                if (r < 0)
                        return r;
                if (r > 0) {
                        if (ret_origin)
                                *ret_origin = *order;
                        return 0;
                }
        }
        return -ENOENT;
}

/* Copy the value of "key=" lines into field (size bytes); -E2BIG when it does not fit. */
static int manifest_field(const char *line, size_t n, const char *key, char *field, size_t size) {
        size_t k = strlen(key);

        if (n <= k || !strneq(line, key, k) || line[k] != '=')
                return 0;
        if (n - k - 1 >= size)
                return -E2BIG;
        memcpy(field, line + k + 1, n - k - 1);
        field[n - k - 1] = 0;
        return 1;
}

int qemu_manifest_parse(const char *text, size_t len, QemuManifest *ret) {
        QemuManifest m = {};
        size_t pos = 0;

        while (pos < len) {
                const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
                size_t n = nl ? (size_t) (nl - line) : len - pos;
                int r;

                pos += n + 1;
                if ((r = manifest_field(line, n, "version", m.version, sizeof(m.version))) < 0 ||
                    (r = manifest_field(line, n, "qemu", m.qemu, sizeof(m.qemu))) < 0 ||
                    (r = manifest_field(line, n, "targets", m.targets, sizeof(m.targets))) < 0)
                        return r;
        }
        if (isempty(m.qemu))
                return -EBADMSG;
        *ret = m;
        return 0;
}

int qemu_manifest_read(const char *dir, QemuManifest *ret) {
        _cleanup_free_ char *path = NULL, *buf = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t len = 0;
        ssize_t k;

        if (asprintf(&path, "%s/manifest", dir) < 0)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        buf = malloc(QEMU_MANIFEST_MAX + 1);
        if (!buf)
                return -ENOMEM;
        while (len <= QEMU_MANIFEST_MAX && (k = read(fd, buf + len, QEMU_MANIFEST_MAX + 1 - len)) != 0) {
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                len += (size_t) k;
        }
        if (len > QEMU_MANIFEST_MAX)
                return -E2BIG;
        return qemu_manifest_parse(buf, len, ret);
}

bool qemu_manifest_has(const QemuManifest *m, const char *target) {
        size_t n = strlen(target);

        for (const char *p = m->targets; (p = strstr(p, target)); p += n)
                if ((p == m->targets || p[-1] == ' ') && (p[n] == 0 || p[n] == ' '))
                        return true;
        return false;
}

int qemu_version_text(const char *dir, bool with_debian, char *buf, size_t size) {
        QemuManifest m;
        char path[64];
        int n;

        if (qemu_manifest_read(dir, &m) == 0)
                n = snprintf(buf, size, "qemu: archway QEMU %s (Debian source %s) in %s: %s\n", m.qemu, m.version, dir,
                             m.targets);
        else
                n = snprintf(buf, size, "qemu: none in %s (make install, or the archway package)\n", dir);
        if (n < 0)
                return -ENOMEM;
        if (!with_debian || (size_t) n >= size)
                return 0;
        /* Debian's qemu-user-static ships qemu-aarch64-static with every version. */
        snprintf(path, sizeof(path), "%s/qemu-aarch64-static", QEMU_DEBIAN_DIR);
        if (is_executable_file(path))
                snprintf(buf + n, size - (size_t) n, "qemu fallback: Debian's qemu-user-static in %s, for targets ours "
                         "lacks (warned about when used)\n", QEMU_DEBIAN_DIR);
        else
                snprintf(buf + n, size - (size_t) n, "qemu fallback: none (Debian's qemu-user-static is not installed)\n");
        return 0;
}
