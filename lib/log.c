/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <string.h>

#include "log.h"

static const char *program = "archway";
static LogLevel max_level = LOG_LEVEL_INFO;

void log_set_program(const char *name) {
        const char *slash = strrchr(name, '/');

        program = slash ? slash + 1 : name;
}

void log_set_max_level(LogLevel level) {
        max_level = level;
}

LogLevel log_get_max_level(void) {
        return max_level;
}

int log_full_errno(LogLevel level, int error, const char *format, ...) {
        int r = error > 0 ? -error : error;
        va_list ap;

        if (level <= max_level) {
                /* vfprintf's %m reads errno: make it name this error, not whatever happened last. */
                int saved = errno;
                char line[4096];

                errno = -r;
                va_start(ap, format);
                vsnprintf(line, sizeof(line), format, ap);
                va_end(ap);
                errno = saved;
                fprintf(stderr, "%s: %s\n", program, line);
        }
        return r < 0 ? r : -EIO;
}
