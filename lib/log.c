/*
 * Leveled logging to stderr.  Under systemd (JOURNAL_STREAM set) each line
 * starts with a syslog priority "<N>" so journald files it at the right
 * level and the timestamp is journald's; otherwise lines carry a UTC time.
 * libevent's own messages are routed here so that nothing bypasses it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "log.h"

static const char *log_prog = "tipline";
static enum log_level log_min = LOG_L_INFO;
static int log_journal;

static const char *const log_names[] = { "error", "warn", "info", "debug" };
static const int log_prio[] = { 3, 4, 6, 7 };

void
log_init(const char *prog, enum log_level level)
{
	log_prog = prog;
	log_min = level;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
}

void
log_set_level(enum log_level level)
{
	log_min = level;
}

bool
log_debugging(void)
{
	return log_min >= LOG_L_DEBUG;
}

int
log_level_parse(const char *s)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(log_names); i++)
		if (strcmp(s, log_names[i]) == 0)
			return (int)i;
	return -1;
}

static void TL_PRINTF(3, 0) log_vwrite(enum log_level level, const char *errmsg,
    const char *fmt, va_list ap)
{
	char msg[1024], stamp[32];
	struct tm tm;
	time_t now;

	if (level > log_min)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_journal) {
		fprintf(stderr, "<%d>%s%s%s\n", log_prio[level], msg,
		    errmsg ? ": " : "", errmsg ? errmsg : "");
		return;
	}
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s %s[%s] %s%s%s\n", stamp, log_prog, log_names[level],
	    msg, errmsg ? ": " : "", errmsg ? errmsg : "");
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_L_WARN, strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_L_WARN, NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_L_INFO, NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_L_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_L_ERR, strerror(saved), fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_L_ERR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

static void
log_libevent_cb(int severity, const char *msg)
{
	/* libevent's debug messages can name peers: never pass them on. */
	if (severity >= EVENT_LOG_WARN)
		log_warnx("libevent: %s", msg);
}

void
log_route_libevent(void)
{
	event_set_log_callback(log_libevent_cb);
}
