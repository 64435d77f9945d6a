/*
 * log.h - timestamped log lines in Redis's format:
 *   "<pid>:M 04 Dec 2026 20:40:00.123 * message"
 * Levels: LOG_DEBUG '.', LOG_VERBOSE '-', LOG_NOTICE '*', LOG_WARNING '#'.
 */
#ifndef WEIR_LOG_H
#define WEIR_LOG_H

enum { LOG_DEBUG, LOG_VERBOSE, LOG_NOTICE, LOG_WARNING, LOG_NOTHING };

/* path NULL or "" logs to stdout.  Returns -1 if the file cannot be opened. */
int log_open(const char *path, int level);
void log_set_level(int level);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
