/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "binfmt-entry.h"
#include "hexdecoct.h"
#include "macro.h"

/* fs/binfmt_misc.c, check_special_flags(): the letters, and what each implies. */
static const struct {
        char letter;
        BinfmtFlags flag, implies;
} binfmt_flags[] = {
        { 'P', BINFMT_PRESERVE_ARGV0, 0 },
        { 'O', BINFMT_OPEN_BINARY,    0 },
        { 'C', BINFMT_CREDENTIALS,    BINFMT_OPEN_BINARY },
        { 'F', BINFMT_FIX_BINARY,     0 },
};

/* Delimiters binfmt_entry_format() may pick: none can occur in an escaped magic or mask. */
static const char format_delimiters[] = ":|,;#!";

static BinfmtFlags flag_from_letter(char c) {
        for (size_t i = 0; i < ELEMENTSOF(binfmt_flags); i++)
                if (binfmt_flags[i].letter == c)
                        return binfmt_flags[i].flag | binfmt_flags[i].implies;
        return 0;
}

char binfmt_flag_letter(BinfmtFlags flag) {
        for (size_t i = 0; i < ELEMENTSOF(binfmt_flags); i++)
                if (binfmt_flags[i].flag == flag)
                        return binfmt_flags[i].letter;
        return 0;
}

const char *binfmt_flags_to_string(BinfmtFlags flags, char buf[static 5]) {
        char *p = buf;

        for (size_t i = 0; i < ELEMENTSOF(binfmt_flags); i++)
                if (flags & binfmt_flags[i].flag)
                        *p++ = binfmt_flags[i].letter;
        *p = '\0';
        return buf;
}

int binfmt_flags_from_string(const char *s, BinfmtFlags *ret) {
        BinfmtFlags flags = 0;

        for (; *s; s++) {
                BinfmtFlags f = flag_from_letter(*s);

                if (f == 0)
                        return -EINVAL;
                flags |= f;
        }
        *ret = flags;
        return 0;
}

bool binfmt_name_is_valid(const char *name) {
        size_t n = strlen(name);

        return n > 0 && n <= BINFMT_NAME_MAX && !streq(name, ".") && !streq(name, "..") &&
               !strchr(name, '/');
}

/* scanarg(): "\x" must be followed by two hex digits. */
static bool escapes_are_valid(const char *s, size_t len) {
        for (size_t i = 0; i < len; i++)
                if (s[i] == '\\' && i + 1 < len && s[i + 1] == 'x') {
                        if (i + 3 >= len || unhexchar(s[i + 2]) < 0 || unhexchar(s[i + 3]) < 0)
                                return false;
                        i += 3;
                }
        return true;
}

int binfmt_unescape(const char *s, size_t len, uint8_t *ret, size_t max) {
        size_t n = 0, i = 0;

        if (!escapes_are_valid(s, len))
                return -EINVAL;

        /* string_unescape() with UNESCAPE_HEX: "\xH[H]" is a byte, a backslash before anything else
         * stays, together with the byte after it. */
        while (i < len) {
                uint8_t byte;

                if (s[i] == '\\' && i + 1 < len) {
                        i++;
                        if (s[i] == 'x' && i + 1 < len && unhexchar(s[i + 1]) >= 0) {
                                byte = (uint8_t) unhexchar(s[i + 1]);
                                i += 2;
                                if (i < len && unhexchar(s[i]) >= 0)
                                        byte = (uint8_t) (byte << 4 | unhexchar(s[i++]));
                                if (n >= max)
                                        return -E2BIG;
                                ret[n++] = byte;
                                continue;
                        }
                        if (n >= max)
                                return -E2BIG;
                        ret[n++] = '\\';
                }
                if (n >= max)
                        return -E2BIG;
                ret[n++] = (uint8_t) s[i++];
        }
        return (int) n;
}

int binfmt_entry_validate(const BinfmtEntry *e) {
        if (!binfmt_name_is_valid(e->name))
                return -EINVAL;
        if (isempty(e->interpreter) || strlen(e->interpreter) >= BINFMT_TEXT_MAX)
                return -EINVAL;
        if (e->flags & ~_BINFMT_FLAGS_ALL)
                return -EINVAL;

        switch (e->type) {
        case BINFMT_TYPE_MAGIC:
                if (e->size < 1 || e->size > BINFMT_BUF_SIZE || e->offset > BINFMT_BUF_SIZE - e->size)
                        return -EINVAL;
                return 0;
        case BINFMT_TYPE_EXTENSION:
                if (isempty(e->extension) || strchr(e->extension, '/'))
                        return -EINVAL;
                return 0;
        default:
                return -EINVAL;
        }
}

/* kstrtoint(s, 10): optional sign, decimal digits, one optional trailing newline, fits in int; the
 * kernel then refuses a negative offset. */
static int parse_offset(const char *s, unsigned *ret) {
        bool negative = false;
        unsigned long v = 0;
        const char *p = s;

        if (*p == '+' || *p == '-')
                negative = *p++ == '-';
        if (*p < '0' || *p > '9')
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
                v = v * 10 + (unsigned long) (*p - '0');
                if (v > INT_MAX)
                        return -EINVAL;
        }
        if (*p == '\n')
                p++;
        if (*p || (negative && v != 0))
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

/* The next field: from *p up to the delimiter (which the padding guarantees), NUL-terminated in place. */
static char *next_field(char **p, char del) {
        char *start = *p, *end = strchr(start, del);

        *end = '\0';
        *p = end + 1;
        return start;
}

static int parse_magic_fields(char **p, char del, BinfmtEntry *e) {
        char *offset = next_field(p, del), *magic, *mask;
        int n, m;

        if (*offset && parse_offset(offset, &e->offset) < 0)
                return -EINVAL;
        magic = next_field(p, del);
        mask = next_field(p, del);
        if (!*magic)
                return -EINVAL;

        n = binfmt_unescape(magic, strlen(magic), e->magic, sizeof(e->magic));
        if (n < 0)
                return -EINVAL;
        e->size = (size_t) n;
        e->has_mask = *mask;
        if (e->has_mask) {
                m = binfmt_unescape(mask, strlen(mask), e->mask, sizeof(e->mask));
                if (m != n)
                        return -EINVAL;
        }
        if (e->offset > BINFMT_BUF_SIZE - e->size)
                return -EINVAL;
        return 0;
}

static int parse_extension_fields(char **p, char del, BinfmtEntry *e) {
        const char *ext;

        (void) next_field(p, del); /* offset: ignored */
        ext = next_field(p, del);
        (void) next_field(p, del); /* mask: ignored */
        if (!*ext || strchr(ext, '/') || strlen(ext) >= sizeof(e->extension))
                return -EINVAL;
        strcpy(e->extension, ext);
        return 0;
}

static int parse_tail(char *p, const char *end, char del, BinfmtEntry *e) {
        const char *interp = next_field(&p, del);

        if (!*interp || strlen(interp) >= sizeof(e->interpreter))
                return -EINVAL;
        strcpy(e->interpreter, interp);

        for (BinfmtFlags f; (f = flag_from_letter(*p)); p++)
                e->flags |= f;
        if (*p == '\n')
                p++;
        return p == end ? 0 : -EINVAL;
}

int binfmt_entry_parse(const char *s, size_t len, BinfmtEntry *ret) {
        /* Like the kernel, pad with 8 delimiters so that every field search finds one. */
        char buf[BINFMT_REGISTER_MAX + 9], *p, *name, del;
        BinfmtEntry e = { .enabled = true };
        int r;

        if (len < BINFMT_REGISTER_MIN || len > BINFMT_REGISTER_MAX || memchr(s, '\0', len))
                return -EINVAL;
        memcpy(buf, s, len);
        del = buf[0];
        memset(buf + len, del, 8);
        buf[len + 8] = '\0';

        p = buf + 1;
        name = next_field(&p, del);
        if (!binfmt_name_is_valid(name))
                return -EINVAL;
        strcpy(e.name, name);

        switch (*p++) {
        case 'M':
                e.type = BINFMT_TYPE_MAGIC;
                break;
        case 'E':
                e.type = BINFMT_TYPE_EXTENSION;
                break;
        default:
                return -EINVAL;
        }
        if (*p++ != del)
                return -EINVAL;

        r = e.type == BINFMT_TYPE_MAGIC ? parse_magic_fields(&p, del, &e) : parse_extension_fields(&p, del, &e);
        if (r < 0)
                return r;
        /* Fields that ran into the padding end past the string: the kernel then fails the end check. */
        if (p > buf + len + 1)
                return -EINVAL;
        r = parse_tail(p, buf + len, del, &e);
        if (r < 0)
                return r;

        *ret = e;
        return 0;
}

static char pick_delimiter(const BinfmtEntry *e) {
        for (const char *d = format_delimiters; *d; d++)
                if (!strchr(e->name, *d) && !strchr(e->interpreter, *d) &&
                    (e->type != BINFMT_TYPE_EXTENSION || !strchr(e->extension, *d)))
                        return *d;
        return 0;
}

static void append_hex(char **p, const uint8_t *bytes, size_t n) {
        for (size_t i = 0; i < n; i++)
                *p += sprintf(*p, "\\x%02x", bytes[i]);
}

int binfmt_entry_format(const BinfmtEntry *e, char *buf, size_t size) {
        /* Escaped magic and mask take 4 bytes a byte: bounded well above the register limit. */
        char tmp[2 * BINFMT_TEXT_MAX + 8 * BINFMT_BUF_SIZE + BINFMT_NAME_MAX + 64], *p = tmp, flags[5];
        char del;
        size_t n;

        if (binfmt_entry_validate(e) < 0)
                return -EINVAL;
        del = pick_delimiter(e);
        if (!del)
                return -EINVAL;

        p += sprintf(p, "%c%s%c", del, e->name, del);
        if (e->type == BINFMT_TYPE_MAGIC) {
                p += sprintf(p, "M%c%u%c", del, e->offset, del);
                append_hex(&p, e->magic, e->size);
                *p++ = del;
                if (e->has_mask)
                        append_hex(&p, e->mask, e->size);
        } else
                p += sprintf(p, "E%c%c%s%c", del, del, e->extension, del);
        p += sprintf(p, "%c%s%c%s", del, e->interpreter, del, binfmt_flags_to_string(e->flags, flags));

        n = (size_t) (p - tmp);
        if (n > BINFMT_REGISTER_MAX)
                return -E2BIG;
        if (n + 1 > size)
                return -ENOBUFS;
        memcpy(buf, tmp, n + 1);
        return (int) n;
}

/* One "key value" line of a status file; returns the value or NULL. */
static const char *status_value(const char *line, const char *key) {
        size_t k = strlen(key);

        return strneq(line, key, k) ? line + k : NULL;
}

static int parse_hex_bytes(const char *s, uint8_t *ret, size_t max, size_t *ret_n) {
        size_t len = strlen(s);

        if (len == 0 || len % 2 != 0 || len / 2 > max)
                return -EBADMSG;
        for (size_t i = 0; i < len / 2; i++) {
                int hi = unhexchar(s[2 * i]), lo = unhexchar(s[2 * i + 1]);

                if (hi < 0 || lo < 0)
                        return -EBADMSG;
                ret[i] = (uint8_t) (hi << 4 | lo);
        }
        *ret_n = len / 2;
        return 0;
}

static int parse_status_line(const char *line, BinfmtEntry *e, unsigned *seen) {
        const char *v;
        size_t n;

        if (streq(line, "enabled") || streq(line, "disabled")) {
                e->enabled = streq(line, "enabled");
                *seen |= 1;
        } else if ((v = status_value(line, "interpreter "))) {
                if (!*v || strlen(v) >= sizeof(e->interpreter))
                        return -EBADMSG;
                strcpy(e->interpreter, v);
                *seen |= 2;
        } else if ((v = status_value(line, "flags: "))) {
                if (binfmt_flags_from_string(v, &e->flags) < 0)
                        return -EBADMSG;
        } else if ((v = status_value(line, "offset "))) {
                if (parse_offset(v, &e->offset) < 0)
                        return -EBADMSG;
        } else if ((v = status_value(line, "magic "))) {
                if (parse_hex_bytes(v, e->magic, sizeof(e->magic), &e->size) < 0)
                        return -EBADMSG;
                e->type = BINFMT_TYPE_MAGIC;
                *seen |= 4;
        } else if ((v = status_value(line, "mask "))) {
                if (parse_hex_bytes(v, e->mask, sizeof(e->mask), &n) < 0 || n != e->size)
                        return -EBADMSG;
                e->has_mask = true;
        } else if ((v = status_value(line, "extension ."))) {
                if (!*v || strlen(v) >= sizeof(e->extension))
                        return -EBADMSG;
                strcpy(e->extension, v);
                e->type = BINFMT_TYPE_EXTENSION;
                *seen |= 4;
        } else if (!streq(line, "flags:")) /* no flags: "flags: " may lose its space to a strip */
                return -EBADMSG;
        return 0;
}

int binfmt_entry_parse_status(const char *name, const char *text, size_t len, BinfmtEntry *ret) {
        BinfmtEntry e = { .type = _BINFMT_TYPE_INVALID };
        unsigned seen = 0;
        char line[BINFMT_TEXT_MAX + 32];

        if (!binfmt_name_is_valid(name))
                return -EINVAL;
        strcpy(e.name, name);

        for (size_t i = 0; i < len;) {
                const char *nl = memchr(text + i, '\n', len - i);
                size_t n = (nl ? (size_t) (nl - text) : len) - i;

                if (n >= sizeof(line) || memchr(text + i, '\0', n))
                        return -EBADMSG;
                memcpy(line, text + i, n);
                line[n] = '\0';
                i += n + 1;
                if (n > 0 && parse_status_line(line, &e, &seen) < 0)
                        return -EBADMSG;
        }
        if (seen != 7)
                return -EBADMSG;
        *ret = e;
        return 0;
}

bool binfmt_entry_matches(const BinfmtEntry *e, const void *buf, size_t size, const char *path) {
        const uint8_t *b = buf;

        if (!e->enabled)
                return false;

        if (e->type == BINFMT_TYPE_EXTENSION) {
                const char *dot = path ? strrchr(path, '.') : NULL;

                return dot && streq(dot + 1, e->extension);
        }

        for (size_t j = 0; j < e->size; j++) {
                size_t at = e->offset + j;
                uint8_t c = at < size ? b[at] : 0;
                uint8_t m = e->has_mask ? e->mask[j] : 0xff;

                if ((c ^ e->magic[j]) & m)
                        return false;
        }
        return true;
}

bool binfmt_entry_same_match(const BinfmtEntry *a, const BinfmtEntry *b) {
        if (a->type != b->type)
                return false;
        if (a->type == BINFMT_TYPE_EXTENSION)
                return streq(a->extension, b->extension);
        if (a->offset != b->offset || a->size != b->size)
                return false;
        for (size_t j = 0; j < a->size; j++) {
                uint8_t ma = a->has_mask ? a->mask[j] : 0xff, mb = b->has_mask ? b->mask[j] : 0xff;

                if (ma != mb || (a->magic[j] & ma) != (b->magic[j] & mb))
                        return false;
        }
        return true;
}

bool binfmt_entry_equal(const BinfmtEntry *a, const BinfmtEntry *b) {
        return binfmt_entry_same_match(a, b) && a->flags == b->flags &&
               streq(a->interpreter, b->interpreter);
}
