/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Logging for programs. lib/ never logs: library functions return -errno and the program reports
 * once, at its boundary, naming the object. "%m" in a format expands to strerror(-error). */

#include "macro.h"

typedef enum LogLevel {
        LOG_LEVEL_ERROR,
        LOG_LEVEL_WARNING,
        LOG_LEVEL_NOTICE,
        LOG_LEVEL_INFO,
        LOG_LEVEL_DEBUG,
} LogLevel;

/* The prefix of each line ("binfmt: ..."); set once from main(). */
void log_set_program(const char *name);
void log_set_max_level(LogLevel level);
LogLevel log_get_max_level(void);

/* Prints one line to stderr if level is enabled. Returns -abs(error), or -EIO when error is 0 so that
 * "return log_error_errno(r, ...)" is always a failure. */
int log_full_errno(LogLevel level, int error, const char *format, ...) _printf_(3, 4);

#define log_error_errno(e, ...) log_full_errno(LOG_LEVEL_ERROR, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_LEVEL_WARNING, (e), __VA_ARGS__)
#define log_debug_errno(e, ...) log_full_errno(LOG_LEVEL_DEBUG, (e), __VA_ARGS__)
#define log_error(...) ((void) log_full_errno(LOG_LEVEL_ERROR, 0, __VA_ARGS__))
#define log_warning(...) ((void) log_full_errno(LOG_LEVEL_WARNING, 0, __VA_ARGS__))
#define log_notice(...) ((void) log_full_errno(LOG_LEVEL_NOTICE, 0, __VA_ARGS__))
#define log_info(...) ((void) log_full_errno(LOG_LEVEL_INFO, 0, __VA_ARGS__))
#define log_debug(...) ((void) log_full_errno(LOG_LEVEL_DEBUG, 0, __VA_ARGS__))
#define log_oom() log_error_errno(ENOMEM, "Out of memory.")
