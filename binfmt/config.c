/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The configuration: /etc/archway/binfmt.conf and /etc/archway/binfmt.d/\*.conf, "key = value" lines:
 *
 *   binfmt-dir = /proc/sys/fs/binfmt_misc
 *   emulator = auto | archway | debian | shim
 *   qemu-dir = /opt/qemu/bin
 *   shim = /usr/local/libexec/archway/archshim
 *   flags = F                      default flags; P is added when the emulator supports it
 *   arch = arm64 riscv64 linux/arm/v7
 *   arch = linux/386 flags=FC      per-arch flags (C: see binfmt(1) about setuid programs)
 *   arch = installed               every target of our installed QEMU (its manifest) but the host's
 *                                  family; what the Debian package and `make install` configure
 *
 * '#' starts a comment. Later lines and later files override earlier ones; "arch" lines add up. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "binfmt.h"
#include "log.h"
#include "macro.h"
#include "platform.h"

#define CONFIG_FILE_MAX (64 * 1024)

static const char *const emulator_sources[_SOURCE_MAX] = {
        [SOURCE_QEMU_DIR] = "qemu-dir",
        [SOURCE_ARCHWAY] = "archway",
        [SOURCE_DEBIAN] = "debian",
        [SOURCE_SHIM] = "shim",
        [SOURCE_FOREIGN] = "foreign",
};

const char *emulator_source_to_string(EmulatorSource s) {
        return s < _SOURCE_MAX ? emulator_sources[s] : NULL;
}

void settings_init(Settings *s) {
        *s = (Settings) { .emulator = EMULATOR_AUTO, .flags = BINFMT_FIX_BINARY };
        strcpy(s->binfmt_dir, "/proc/sys/fs/binfmt_misc");
        strcpy(s->shim_path, SHIM_PATH_DEFAULT);
}

int arch_resolve(const char *name, const BinfmtTarget **ret, size_t max) {
        const BinfmtTarget *t = binfmt_target_lookup(name);
        Platform p;
        size_t n;

        if (max == 0)
                return -E2BIG;
        if (t) {
                ret[0] = t;
                return 1;
        }
        if (platform_parse(name, &p) < 0)
                return -EINVAL;
        n = binfmt_targets_for_platform(&p, ret, max);
        return n > 0 ? (int) n : -EINVAL;
}

int settings_add_arch(Settings *s, const char *name, BinfmtFlags flags, bool flags_set) {
        const BinfmtTarget *targets[8];
        int n = arch_resolve(name, targets, ELEMENTSOF(targets));

        if (n < 0)
                return n;
        for (int i = 0; i < n; i++) {
                ArchSetting *a = NULL;

                for (size_t j = 0; j < s->n_arches; j++)
                        if (s->arches[j].target == targets[i])
                                a = &s->arches[j];
                if (!a) {
                        if (s->n_arches >= ELEMENTSOF(s->arches))
                                return -E2BIG;
                        a = &s->arches[s->n_arches++];
                }
                *a = (ArchSetting) { .target = targets[i], .flags = flags, .flags_set = flags_set };
        }
        return 0;
}

static int set_path(char *field, size_t size, const char *value) {
        if (value[0] != '/' || strlen(value) >= size)
                return -EINVAL;
        strcpy(field, value);
        return 0;
}

/* "arch = NAME... [flags=LETTERS]": names separated by spaces or commas. */
static int parse_arch_value(char *value, Settings *s) {
        BinfmtFlags flags = 0;
        bool flags_set = false;
        char *save = NULL, *names[ARCHES_MAX];
        size_t n = 0;

        for (char *w = strtok_r(value, " \t,", &save); w; w = strtok_r(NULL, " \t,", &save)) {
                if (strneq(w, "flags=", 6)) {
                        if (binfmt_flags_from_string(w + 6, &flags) < 0)
                                return -EINVAL;
                        flags_set = true;
                } else if (n < ELEMENTSOF(names))
                        names[n++] = w;
                else
                        return -E2BIG;
        }
        if (n == 0)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                int r = 0;

                if (streq(names[i], "installed")) {
                        s->arch_installed = true;
                        s->installed_flags = flags;
                        s->installed_flags_set = flags_set;
                } else
                        r = streq(names[i], "all") ? -EINVAL : settings_add_arch(s, names[i], flags, flags_set);
                if (r < 0)
                        return r;
        }
        s->have_arches = true;
        return 0;
}

static int parse_assignment(const char *key, char *value, Settings *s) {
        if (streq(key, "binfmt-dir"))
                return set_path(s->binfmt_dir, sizeof(s->binfmt_dir), value);
        if (streq(key, "qemu-dir"))
                return set_path(s->qemu_dir, sizeof(s->qemu_dir), value);
        if (streq(key, "shim"))
                return set_path(s->shim_path, sizeof(s->shim_path), value);
        if (streq(key, "emulator")) {
                EmulatorMode k = emulator_mode_from_string(value);

                if (k < 0)
                        return -EINVAL;
                s->emulator = k;
                return 0;
        }
        if (streq(key, "flags")) {
                if (binfmt_flags_from_string(value, &s->flags) < 0)
                        return -EINVAL;
                s->flags_set = true;
                return 0;
        }
        if (streq(key, "arch"))
                return parse_arch_value(value, s);
        return -EINVAL;
}

static char *strip(char *s) {
        char *end;

        s += strspn(s, " \t");
        end = s + strlen(s);
        while (end > s && strchr(" \t\r", end[-1]))
                *--end = '\0';
        return s;
}

static int parse_line(char *line, Settings *s) {
        char *hash = strchr(line, '#'), *eq, *key;

        if (hash)
                *hash = '\0';
        line = strip(line);
        if (!*line)
                return 0;
        eq = strchr(line, '=');
        if (!eq)
                return -EINVAL;
        *eq = '\0';
        key = strip(line);
        return parse_assignment(key, strip(eq + 1), s);
}

int config_parse(const char *text, size_t len, Settings *s, unsigned *ret_line) {
        unsigned lineno = 0;
        char line[4096 + 64];

        for (size_t i = 0; i < len;) {
                const char *nl = memchr(text + i, '\n', len - i);
                size_t n = (nl ? (size_t) (nl - text) : len) - i;
                int r;

                lineno++;
                if (n >= sizeof(line) || memchr(text + i, '\0', n)) {
                        *ret_line = lineno;
                        return -EINVAL;
                }
                memcpy(line, text + i, n);
                line[n] = '\0';
                i += n + 1;
                r = parse_line(line, s);
                if (r < 0) {
                        *ret_line = lineno;
                        return -EINVAL;
                }
        }
        return 0;
}

static int config_load_file(const char *path, bool optional, Settings *s) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        unsigned line = 0;
        int r;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                if (optional && errno == ENOENT)
                        return 0;
                return log_error_errno(errno, "Failed to open configuration '%s': %m", path);
        }
        buf = malloc(CONFIG_FILE_MAX);
        if (!buf)
                return log_oom();
        for (ssize_t n; len < CONFIG_FILE_MAX && (n = read(fd, buf + len, CONFIG_FILE_MAX - len)) != 0; len += (size_t) n)
                if (n < 0)
                        return log_error_errno(errno, "Failed to read '%s': %m", path);
        if (len == CONFIG_FILE_MAX)
                return log_error_errno(EFBIG, "%s: larger than %d bytes", path, CONFIG_FILE_MAX);

        r = config_parse(buf, len, s, &line);
        if (r < 0)
                return log_error_errno(r, "%s:%u: invalid line (see binfmt(1), CONFIGURATION)", path, line);
        return 0;
}

static int filter_conf(const struct dirent *de) {
        size_t n = strlen(de->d_name);

        return de->d_name[0] != '.' && n > 5 && streq(de->d_name + n - 5, ".conf");
}

static int config_load_dir(const char *dir, bool optional, Settings *s) {
        struct dirent **list = NULL;
        int n, r = 0;

        n = scandir(dir, &list, filter_conf, alphasort);
        if (n < 0) {
                if (optional && (errno == ENOENT || errno == ENOTDIR))
                        return 0;
                return log_error_errno(errno, "Failed to read configuration directory '%s': %m", dir);
        }
        for (int i = 0; i < n; i++) {
                char path[8192];

                if (r >= 0) {
                        snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
                        r = config_load_file(path, false, s);
                }
                free(list[i]);
        }
        free(list);
        return r;
}

int settings_expand_installed(Settings *s, const char *dir) {
        QemuManifest m;
        char *save = NULL;
        int r;

        if (!s->arch_installed)
                return 0;
        r = qemu_manifest_read(dir, &m);
        if (r < 0)
                return log_error_errno(r, "'arch = installed': no QEMU manifest in %s (make install, or install the "
                                       "archway package): %m", dir);
        for (char *t = strtok_r(m.targets, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
                const BinfmtTarget *rows[8];
                int n = arch_resolve(t, rows, ELEMENTSOF(rows));

                for (int i = 0; i < n; i++) {
                        bool listed = false;

                        for (size_t j = 0; j < s->n_arches; j++)
                                listed = listed || s->arches[j].target == rows[i];
                        if (listed)
                                continue;
                        if (s->n_arches >= ELEMENTSOF(s->arches))
                                return log_error_errno(E2BIG, "Too many architectures configured.");
                        s->arches[s->n_arches++] = (ArchSetting) { .target = rows[i], .flags = s->installed_flags,
                                                                  .flags_set = s->installed_flags_set, .implicit = true };
                }
        }
        return 0;
}

int config_load(const char *path, Settings *s) {
        struct stat st;
        int r;

        if (!path) {
                r = config_load_file(CONFIG_FILE_DEFAULT, true, s);
                if (r < 0)
                        return r;
                return config_load_dir(CONFIG_DIR_DEFAULT, true, s);
        }
        if (stat(path, &st) < 0)
                return log_error_errno(errno, "Failed to access configuration '%s': %m", path);
        return S_ISDIR(st.st_mode) ? config_load_dir(path, false, s) : config_load_file(path, false, s);
}
