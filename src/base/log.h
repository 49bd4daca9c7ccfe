/* log.h - human-readable log lines on stderr.
 *
 * One line per event: "2026-11-25T07:20:01.123Z info  message". Thread-safe: each line is
 * written with one call. The level is set once at start-up. */
#ifndef ASSISTD_LOG_H
#define ASSISTD_LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
/* Parses "debug", "info", "warn" or "error". Returns 0 or ERR_INVALID. */
int log_parse_level(const char *s, enum log_level *out);
bool log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
