/*
 * Logging to stderr (journald reads it under systemd) with levels, in the
 * manner of OpenBSD httpd.  Callers log only our own constants, counters and
 * enum names: never an address, a header, tip content or a SQL parameter.
 */
#ifndef TL_LOG_H
#define TL_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#include "util.h"

enum log_level {
	LOG_L_ERR,
	LOG_L_WARN,
	LOG_L_INFO,
	LOG_L_DEBUG,
};

/* Sets the program name and lowest level that is written. */
void log_init(const char *, enum log_level);
void log_set_level(enum log_level);
/* Whether debug lines are written: lines that may name a tip's job, case
 * or request, and so date a tip, are written only then. */
bool log_debugging(void);
/* Parses "error", "warn", "info", "debug"; -1 if unknown. */
int log_level_parse(const char *);
/* Routes libevent's messages into ours (warnings and errors only). */
void log_route_libevent(void);

void log_warn(const char *, ...) TL_PRINTF(1, 2);
void log_warnx(const char *, ...) TL_PRINTF(1, 2);
void log_info(const char *, ...) TL_PRINTF(1, 2);
void log_debug(const char *, ...) TL_PRINTF(1, 2);
TL_NORETURN void fatal(const char *, ...) TL_PRINTF(1, 2);
TL_NORETURN void fatalx(const char *, ...) TL_PRINTF(1, 2);

#endif
