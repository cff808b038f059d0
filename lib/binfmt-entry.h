/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One binfmt_misc rule as a value: the register string ":name:type:offset:magic:mask:interpreter:flags"
 * built and parsed exactly as the kernel's fs/binfmt_misc.c (create_entry(), scanarg(),
 * check_special_flags()) does, the status file an entry shows (entry_status()), and the kernel's
 * matching rule (check_file()). Pure: no I/O, no allocation. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* fs/binfmt_misc.c: MAX_REGISTER_LENGTH; a register write is 11..1920 bytes. */
#define BINFMT_REGISTER_MIN 11
#define BINFMT_REGISTER_MAX 1920
/* include/uapi/linux/binfmts.h: BINPRM_BUF_SIZE (256 since Linux 5.1, 128 before): offset + size of
 * the magic must fit in the first BINPRM_BUF_SIZE bytes of the file. */
#define BINFMT_BUF_SIZE 256
/* The name becomes a dentry in the binfmt_misc root; simple_lookup() refuses more than NAME_MAX. */
#define BINFMT_NAME_MAX 255
/* Text fields (interpreter, extension) cannot be longer than the register string that carries them. */
#define BINFMT_TEXT_MAX BINFMT_REGISTER_MAX

typedef enum BinfmtFlags {
        BINFMT_PRESERVE_ARGV0 = 1 << 0, /* P */
        BINFMT_OPEN_BINARY    = 1 << 1, /* O: pass the binary as an fd (AT_EXECFD) */
        BINFMT_CREDENTIALS    = 1 << 2, /* C: credentials from the binary (setuid!); implies O */
        BINFMT_FIX_BINARY     = 1 << 3, /* F: open the interpreter now; works in chroots/containers */
        _BINFMT_FLAGS_ALL     = (1 << 4) - 1,
} BinfmtFlags;

typedef enum BinfmtType {
        BINFMT_TYPE_MAGIC,     /* 'M' */
        BINFMT_TYPE_EXTENSION, /* 'E' */
        _BINFMT_TYPE_MAX,
        _BINFMT_TYPE_INVALID = -EINVAL,
} BinfmtType;

typedef struct BinfmtEntry {
        char name[BINFMT_NAME_MAX + 1];
        BinfmtType type;
        bool enabled;     /* from a status file; a registered entry starts enabled */
        unsigned offset;  /* magic only */
        size_t size;      /* magic only: bytes in magic[] and mask[] */
        uint8_t magic[BINFMT_BUF_SIZE];
        uint8_t mask[BINFMT_BUF_SIZE];
        bool has_mask;    /* the kernel keeps "no mask" distinct from an all-0xff mask */
        char extension[BINFMT_TEXT_MAX]; /* extension only, without the dot */
        char interpreter[BINFMT_TEXT_MAX];
        BinfmtFlags flags;
} BinfmtEntry;

/* Whether name is acceptable to the kernel: non-empty, not "." or "..", no '/', at most
 * BINFMT_NAME_MAX bytes. */
bool binfmt_name_is_valid(const char *name);

/* Check an entry as create_entry() would check the register string made from it: name, type,
 * 1 <= size <= BINFMT_BUF_SIZE and offset + size <= BINFMT_BUF_SIZE for magic, a non-empty extension
 * without '/', a non-empty interpreter, known flags. Returns 0 or -EINVAL. */
int binfmt_entry_validate(const BinfmtEntry *e);

/* Parse a register string of len bytes (the whole write, optionally ending in one '\n') the way
 * create_entry() does: the first byte is the delimiter, \xHH escapes in magic and mask, C implies O.
 * Stricter than the kernel only where the kernel silently truncates: a raw NUL byte is refused.
 * Returns 0, or -EINVAL. */
int binfmt_entry_parse(const char *s, size_t len, BinfmtEntry *ret);

/* Format e as a register string into buf (size bytes, NUL-terminated). Every magic and mask byte is
 * written as \xHH; the delimiter is ':' unless a text field contains one, then the first of "|,;#!"
 * that none contains. Returns the length (BINFMT_REGISTER_MIN..BINFMT_REGISTER_MAX), -EINVAL for an
 * invalid entry or when no delimiter fits, -E2BIG when the string would exceed the kernel's limit,
 * -ENOBUFS when buf is too small. */
int binfmt_entry_format(const BinfmtEntry *e, char *buf, size_t size);

/* Parse what reading /proc/sys/fs/binfmt_misc/NAME returns (entry_status()):
 *   enabled|disabled \n interpreter PATH \n flags: POCF \n (offset N \n magic HEX [\n mask HEX] |
 *   extension .EXT) \n
 * Returns 0 or -EBADMSG. name is copied into the result (-EINVAL if invalid). */
int binfmt_entry_parse_status(const char *name, const char *text, size_t len, BinfmtEntry *ret);

/* Whether the kernel would hand a file to this entry: check_file() against the first bytes of the file
 * (buf, size; bytes past size count as zero, as in the kernel's zero-filled bprm->buf), or for an
 * extension entry against the text after the last '.' of path (may be NULL). Disabled entries never
 * match. */
bool binfmt_entry_matches(const BinfmtEntry *e, const void *buf, size_t size, const char *path);

/* Whether a and b select the same files: same type, offset, size, and magic & mask and mask byte for
 * byte (an absent mask counts as all 0xff), or the same extension. */
bool binfmt_entry_same_match(const BinfmtEntry *a, const BinfmtEntry *b);

/* Whether a and b are the same rule: same match, interpreter and flags (name and enabled are not
 * compared). */
bool binfmt_entry_equal(const BinfmtEntry *a, const BinfmtEntry *b);

/* Flags as the kernel prints them, in the order P, O, C, F, into buf (5 bytes); returns buf. */
const char *binfmt_flags_to_string(BinfmtFlags flags, char buf[static 5]);

/* Parse a flag string ("F", "PF", "POCF"; "" is no flags); C implies O as in the kernel. Returns 0 or
 * -EINVAL for any other letter. */
int binfmt_flags_from_string(const char *s, BinfmtFlags *ret);

/* The letter of a single flag ('P', 'O', 'C', 'F'), or 0. */
char binfmt_flag_letter(BinfmtFlags flag);

/* Decode a string with \xHH escapes (other bytes literal) as the kernel's string_unescape_inplace
 * (UNESCAPE_HEX) after scanarg() accepted it: "\x" must be followed by two hex digits. Writes at most
 * max bytes. Returns the byte count, -EINVAL for a bad escape, -E2BIG when it does not fit. */
int binfmt_unescape(const char *s, size_t len, uint8_t *ret, size_t max);
