/*
 * Configuration from conf/tipline.ini.  Every key is one row of cfg_keys[]
 * with its type, default and limits; the shipped file documents every row
 * and a unit test keeps the two in step.  inih does the INI syntax; this
 * file checks every value and stops at the first problem, naming the file,
 * the line and the key.
 */
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "cfg.h"
#include "log.h"
#include "mail.h"
#include "text.h"

enum cfg_type {
	CFG_T_STR,
	CFG_T_PATH,
	CFG_T_PATH_OPT, /* a path, or empty for none */
	CFG_T_INT,
	CFG_T_SIZE,
	CFG_T_DURATION,
	CFG_T_LOGLEVEL,
	CFG_T_LISTEN,
	CFG_T_BOOL,
	CFG_T_HOST,     /* a host name or address for a URL, or empty */
	CFG_T_MAILADDR, /* an e-mail address, or empty */
	CFG_T_HTTPURL,  /* an http(s) address, or empty */
	CFG_T_STARTTLS, /* required or none */
	CFG_T_TEXT,     /* one line of printable text, at most max bytes */
	CFG_T_RATE,     /* N/s, N/min, N/h or N/d (N alone: a second), kept
	                 * as microseconds per token, min to max of those */
};

struct cfg_key {
	const char *section;
	const char *name;
	enum cfg_type type;
	size_t off;
	const char *def;
	long long min, max;
};

#define K(sec, name, type, field, def, min, max)                               \
	{                                                                      \
		sec, name, type, offsetof(struct cfg, field), def, min, max    \
	}

/* Sorted by section, then name (checked by tests/unit/test_cfg.c). */
static const struct cfg_key cfg_keys[] = {
	K("console", "audit_head_every", CFG_T_DURATION,
	    console_audit_head_every_ms, "5m", 1000, 86400000),
	K("console", "audit_head_file", CFG_T_PATH_OPT, console_audit_head_file,
	    "", 0, 0),
	K("console", "cert", CFG_T_PATH, console_cert, "console.crt", 0, 0),
	K("console", "db_user", CFG_T_STR, console_db_user, "tipline_console",
	    0, 0),
	K("console", "key", CFG_T_PATH, console_key, "console.key", 0, 0),
	K("console", "listen", CFG_T_LISTEN, console_listen, "127.0.0.1:8444",
	    0, 0),
	K("console", "lockout_after", CFG_T_INT, console_lockout_after, "5", 1,
	    100),
	K("console", "lockout_delay", CFG_T_DURATION, console_lockout_delay_ms,
	    "2s", 100, 3600000),
	K("console", "lockout_max", CFG_T_DURATION, console_lockout_max_ms,
	    "15m", 100, 86400000),
	K("console", "max_connections", CFG_T_INT, console_max_connections,
	    "128", 1, 100000),
	K("console", "max_header_bytes", CFG_T_SIZE, console_max_header_bytes,
	    "16K", 1024, 1 << 20),
	K("console", "password_memory", CFG_T_SIZE, console_password_memory,
	    "64M", 8 << 10, 4LL << 30),
	K("console", "password_passes", CFG_T_INT, console_password_passes, "2",
	    1, 20),
	K("console", "session_idle", CFG_T_DURATION, console_session_idle_ms,
	    "30m", 60000, 86400000),
	K("console", "session_lifetime", CFG_T_DURATION,
	    console_session_lifetime_ms, "12h", 60000, 7LL * 86400000),
	K("console", "shutdown_grace", CFG_T_DURATION,
	    console_shutdown_grace_ms, "10s", 0, 600000),
	K("console", "threads", CFG_T_INT, console_threads, "2", 1, 256),
	K("console", "timeout", CFG_T_DURATION, console_timeout_ms, "60s", 1000,
	    3600000),
	K("database", "admin_user", CFG_T_STR, db_admin_user, "", 0, 0),
	K("database", "connect_timeout", CFG_T_DURATION, db_connect_timeout_ms,
	    "5s", 100, 600000),
	K("database", "conninfo", CFG_T_STR, db_conninfo, "dbname=tipline", 0,
	    0),
	K("database", "pool_size", CFG_T_INT, db_pool_size, "4", 1, 64),
	K("database", "query_timeout", CFG_T_DURATION, db_query_timeout_ms,
	    "10s", 100, 600000),
	K("database", "retry_max", CFG_T_DURATION, db_retry_max_ms, "10s", 100,
	    600000),
	K("dedup", "image_threshold", CFG_T_INT, dedup_image_threshold, "7", 0,
	    11),
	K("dedup", "min_words", CFG_T_INT, dedup_min_words, "8", 1, 1000),
	K("dedup", "screenshot_threshold", CFG_T_INT,
	    dedup_screenshot_threshold, "12", 0, 15),
	K("dedup", "text_threshold", CFG_T_INT, dedup_text_threshold, "11", 0,
	    11),
	K("dedup", "window", CFG_T_DURATION, dedup_window_ms, "30d", 3600000,
	    366LL * 86400000),
	K("feedback", "email_backoff", CFG_T_DURATION,
	    feedback_email_backoff_ms, "60s", 1000, 86400000),
	K("feedback", "email_content", CFG_T_BOOL, feedback_email_content,
	    "false", 0, 0),
	K("feedback", "email_max_attempts", CFG_T_INT,
	    feedback_email_max_attempts, "8", 1, 20),
	K("feedback", "followup_days", CFG_T_INT, feedback_followup_days, "14",
	    0, 3650),
	K("feedback", "followups_per_day", CFG_T_INT,
	    feedback_followups_per_day, "5", 1, 1000),
	K("feedback", "status_url", CFG_T_HTTPURL, feedback_status_url, "", 0,
	    0),
	K("intake", "cert", CFG_T_PATH, intake_cert, "intake.crt", 0, 0),
	K("intake", "db_user", CFG_T_STR, intake_db_user, "tipline_intake", 0,
	    0),
	K("intake", "followup_burst", CFG_T_INT, intake_followup_burst, "50", 1,
	    1000000),
	K("intake", "followup_client_burst", CFG_T_INT,
	    intake_followup_client_burst, "5", 1, 1000000),
	K("intake", "followup_client_rate", CFG_T_RATE,
	    intake_followup_client_every_us, "10/h", 1, CFG_RATE_SLOWEST_US),
	K("intake", "followup_rate", CFG_T_RATE, intake_followup_every_us,
	    "2/s", 1, CFG_RATE_SLOWEST_US),
	K("intake", "handshake_timeout", CFG_T_DURATION, intake_handshake_ms,
	    "10s", 100, 600000),
	K("intake", "header_timeout", CFG_T_DURATION, intake_header_ms, "10s",
	    100, 600000),
	K("intake", "keepalive_timeout", CFG_T_DURATION, intake_keepalive_ms,
	    "15s", 100, 3600000),
	K("intake", "key", CFG_T_PATH, intake_key, "intake.key", 0, 0),
	K("intake", "listen", CFG_T_LISTEN, intake_listen, "127.0.0.1:8443", 0,
	    0),
	K("intake", "max_connections", CFG_T_INT, intake_max_connections,
	    "1024", 1, 100000),
	K("intake", "max_connections_per_client", CFG_T_INT,
	    intake_max_per_client, "32", 1, 100000),
	K("intake", "max_header_bytes", CFG_T_SIZE, intake_max_header_bytes,
	    "16K", 1024, 1 << 20),
	K("intake", "max_uploads", CFG_T_INT, intake_max_uploads, "32", 1,
	    10000),
	K("intake", "min_rate", CFG_T_SIZE, intake_min_rate, "4K", 16, 1 << 30),
	K("intake", "pow", CFG_T_BOOL, intake_pow, "yes", 0, 0),
	K("intake", "pow_bits", CFG_T_INT, intake_pow_bits, "16", 1, 32),
	K("intake", "shutdown_grace", CFG_T_DURATION, intake_shutdown_grace_ms,
	    "10s", 0, 600000),
	K("intake", "status_burst", CFG_T_INT, intake_status_burst, "50", 1,
	    1000000),
	K("intake", "status_client_burst", CFG_T_INT,
	    intake_status_client_burst, "10", 1, 1000000),
	K("intake", "status_client_rate", CFG_T_RATE,
	    intake_status_client_every_us, "1/min", 1, CFG_RATE_SLOWEST_US),
	K("intake", "status_rate", CFG_T_RATE, intake_status_every_us, "20/s",
	    1, CFG_RATE_SLOWEST_US),
	K("intake", "threads", CFG_T_INT, intake_threads, "2", 1, 256),
	K("intake", "timeout", CFG_T_DURATION, intake_timeout_ms, "60s", 1000,
	    3600000),
	K("intake", "tip_burst", CFG_T_INT, intake_tip_burst, "300", 1,
	    1000000),
	K("intake", "tip_client_burst", CFG_T_INT, intake_tip_client_burst,
	    "10", 1, 1000000),
	K("intake", "tip_client_rate", CFG_T_RATE, intake_tip_client_every_us,
	    "20/h", 1, CFG_RATE_SLOWEST_US),
	K("intake", "tip_pow_client_burst", CFG_T_INT,
	    intake_tip_pow_client_burst, "30", 1, 1000000),
	K("intake", "tip_pow_client_rate", CFG_T_RATE,
	    intake_tip_pow_client_every_us, "60/h", 1, CFG_RATE_SLOWEST_US),
	K("intake", "tip_rate", CFG_T_RATE, intake_tip_every_us, "2/s", 1,
	    CFG_RATE_SLOWEST_US),
	K("intake", "upload_memory", CFG_T_SIZE, intake_upload_memory, "256M",
	    1 << 20, 1LL << 40),
	K("keys", "dedup", CFG_T_PATH, key_dedup, "dedup.key", 0, 0),
	K("keys", "pepper", CFG_T_PATH, key_pepper, "receipt.pepper", 0, 0),
	K("keys", "public", CFG_T_PATH, key_public, "seal.pub", 0, 0),
	K("keys", "search", CFG_T_PATH, key_search, "search.key", 0, 0),
	K("keys", "secret", CFG_T_PATH, key_secret, "seal.key", 0, 0),
	K("limits", "files_per_tip", CFG_T_INT, files_per_tip, "5", 0,
	    CFG_MAX_FILES_PER_TIP),
	K("limits", "max_description_chars", CFG_T_INT, max_description_chars,
	    "10000", 100, 100000),
	K("limits", "max_file_bytes", CFG_T_SIZE, max_file_bytes, "10M", 1024,
	    64 << 20),
	K("limits", "max_pixels", CFG_T_INT, max_pixels, "40000000", 1000,
	    200000000),
	K("limits", "max_pixels_per_tip", CFG_T_INT, max_pixels_per_tip,
	    "60000000", 1000, 1000000000),
	K("log", "level", CFG_T_LOGLEVEL, log_level, "info", 0, 0),
	K("notifier", "email", CFG_T_MAILADDR, notifier_email, "", 0, 0),
	K("notifier", "name", CFG_T_TEXT, notifier_name, "Poliisi", 0, 200),
	K("privacy", "arrival_truncate", CFG_T_DURATION, arrival_truncate_ms,
	    "1h", 60000, 86400000),
	K("retention", "batch", CFG_T_INT, retention_batch, "500", 1, 100000),
	K("retention", "closed_cases", CFG_T_DURATION, retention_closed_ms,
	    "365d", 60000, 3650LL * 86400000),
	K("retention", "done_jobs", CFG_T_DURATION, retention_done_jobs_ms,
	    "7d", 60000, 3650LL * 86400000),
	K("retention", "purge_every", CFG_T_DURATION, retention_every_ms, "1h",
	    1000, 7LL * 86400000),
	K("smtp", "ca_file", CFG_T_PATH_OPT, smtp_ca_file, "", 0, 0),
	K("smtp", "from", CFG_T_MAILADDR, smtp_from, "", 0, 0),
	K("smtp", "host", CFG_T_HOST, smtp_host, "", 0, 0),
	K("smtp", "password_file", CFG_T_PATH_OPT, smtp_password_file, "", 0,
	    0),
	K("smtp", "port", CFG_T_INT, smtp_port, "587", 1, 65535),
	K("smtp", "starttls", CFG_T_STARTTLS, smtp_starttls, "required", 0, 0),
	K("smtp", "timeout", CFG_T_DURATION, smtp_timeout_ms, "30s", 1000,
	    600000),
	K("smtp", "user", CFG_T_STR, smtp_user, "", 0, 0),
	K("stats", "min_cell", CFG_T_INT, stats_min_cell, "5", 1, 1000),
	K("stats", "min_change", CFG_T_INT, stats_min_change, "20", 1, 100000),
	K("worker", "backoff", CFG_T_DURATION, worker_backoff_ms, "5s", 1000,
	    3600000),
	K("worker", "batch", CFG_T_INT, worker_batch, "64", 1, 1000),
	K("worker", "db_user", CFG_T_STR, worker_db_user, "tipline_worker", 0,
	    0),
	K("worker", "jobs", CFG_T_INT, worker_jobs, "256", 1, 10000),
	K("worker", "lease", CFG_T_DURATION, worker_lease_ms, "60s", 1000,
	    3600000),
	K("worker", "max_attempts", CFG_T_INT, worker_max_attempts, "5", 1,
	    100),
	K("worker", "metrics", CFG_T_STR, worker_metrics, "", 0, 0),
	K("worker", "ocr_time_limit", CFG_T_DURATION, worker_ocr_time_limit_ms,
	    "20s", 100, 600000),
	K("worker", "ocr_tip_time_limit", CFG_T_DURATION,
	    worker_ocr_tip_time_limit_ms, "30s", 0, 3600000),
	K("worker", "screenshots", CFG_T_INT, worker_screenshots, "16", 1,
	    1000),
	K("worker", "shutdown_grace", CFG_T_DURATION, worker_shutdown_grace_ms,
	    "30s", 0, 600000),
	K("worker", "sweep", CFG_T_DURATION, worker_sweep_ms, "5s", 100,
	    600000),
	K("worker", "threads", CFG_T_INT, worker_threads, "2", 1, 256),
};

#undef K

struct cfg_ctx {
	struct cfg *cfg;
	char *errbuf;
	size_t errlen;
	bool failed;
};

size_t
cfg_nkeys(void)
{
	return ARRAY_SIZE(cfg_keys);
}

const char *
cfg_key_section(size_t i)
{
	return cfg_keys[i].section;
}

const char *
cfg_key_name(size_t i)
{
	return cfg_keys[i].name;
}

static char *
cfg_resolve(const struct cfg *cfg, const char *value)
{
	char *out;
	size_t n;

	if (value[0] == '/' || cfg->dir == NULL || value[0] == '\0')
		return xstrdup(value);
	n = strlen(cfg->dir) + 1 + strlen(value) + 1;
	out = xmalloc(n);
	snprintf(out, n, "%s/%s", cfg->dir, value);
	return out;
}

/* host:port with a numeric port; host may be [v6]. */
static int
cfg_check_listen(const char *v, const char **errstr)
{
	const char *colon;
	long long port;

	if (v[0] == '[') {
		if ((colon = strstr(v, "]:")) == NULL) {
			*errstr = "invalid (use host:port or [v6]:port)";
			return -1;
		}
		colon++;
	} else if ((colon = strrchr(v, ':')) == NULL || colon == v) {
		*errstr = "invalid (use host:port)";
		return -1;
	}
	if (util_parse_ll(colon + 1, 1, 65535, &port, errstr) == -1) {
		*errstr = "invalid port (use 1-65535)";
		return -1;
	}
	return 0;
}

/* A host name, an IPv4 address or a bracketed IPv6 address: what may
 * stand between "smtp://" and ":port" with no other meaning in a URL. */
static int
cfg_check_host(const char *v, const char **errstr)
{
	size_t i, len = strlen(v);
	bool v6 = len > 2 && v[0] == '[' && v[len - 1] == ']';

	for (i = v6 ? 1 : 0; i < (v6 ? len - 1 : len); i++)
		if (!(isalnum((unsigned char)v[i]) || v[i] == '.' ||
		        v[i] == '-' || (v6 && v[i] == ':'))) {
			*errstr = "invalid (a host name or address, no port)";
			return -1;
		}
	return 0;
}

static int
cfg_check_mailaddr(const char *v, const char **errstr)
{
	if (v[0] != '\0' && !mail_addr_ok(v)) {
		*errstr = "invalid (a plain address: name@example.fi)";
		return -1;
	}
	return 0;
}

/* One line that a page or a notice can show as it is: UTF-8 without
 * control characters, at most max bytes. */
static int
cfg_check_line(const char *v, long long max, const char **errstr)
{
	const unsigned char *p;
	size_t nchars;

	if ((long long)strlen(v) > max) {
		*errstr = "too long";
		return -1;
	}
	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			*errstr = "control character";
			return -1;
		}
	}
	if (!text_valid(v, strlen(v), &nchars)) {
		*errstr = "not UTF-8";
		return -1;
	}
	return 0;
}

/* http:// or https:// and printable ASCII without spaces or quotes: it is
 * put into e-mail as it is. */
static int
cfg_check_httpurl(const char *v, const char **errstr)
{
	size_t i;

	if (v[0] == '\0')
		return 0;
	if (strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0) {
		*errstr = "invalid (an address starting with https://)";
		return -1;
	}
	for (i = 0; v[i] != '\0'; i++)
		if (v[i] <= ' ' || v[i] > '~' || strchr("\"'<>\\`", v[i])) {
			*errstr = "invalid (no spaces, quotes or <>)";
			return -1;
		}
	return 0;
}

/* A rate as microseconds per token: "N/s", "N/min", "N/h", "N/d", or "N"
 * for N a second; the result between min and max. */
static int
cfg_parse_rate(const char *v, long long min, long long max, long long *out,
    const char **errstr)
{
	static const struct {
		const char *unit;
		long long us;
	} units[] = { { "", 1000000LL }, { "/s", 1000000LL },
		{ "/min", 60000000LL }, { "/h", 3600000000LL },
		{ "/d", 86400000000LL } };
	long long n, per;
	char *end;
	size_t i;

	if (!isdigit((unsigned char)v[0])) {
		*errstr = "invalid (use N/s, N/min, N/h or N/d)";
		return -1;
	}
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno == ERANGE) {
		*errstr = "too fast";
		return -1;
	}
	v = end;
	for (i = 0; i < ARRAY_SIZE(units); i++)
		if (strcmp(v, units[i].unit) == 0)
			break;
	if (i == ARRAY_SIZE(units)) {
		*errstr = "invalid unit (use N/s, N/min, N/h or N/d)";
		return -1;
	}
	if (n == 0 || (per = units[i].us / n) > max) {
		*errstr = "too slow";
		return -1;
	}
	if (per < min) {
		*errstr = "too fast";
		return -1;
	}
	*out = per;
	return 0;
}

/* The checks of the string types that have one. */
static int
cfg_check_text(enum cfg_type t, const char *v, const char **errstr)
{
	switch (t) {
	case CFG_T_LISTEN:
		return cfg_check_listen(v, errstr);
	case CFG_T_HOST:
		return cfg_check_host(v, errstr);
	case CFG_T_MAILADDR:
		return cfg_check_mailaddr(v, errstr);
	case CFG_T_HTTPURL:
		return cfg_check_httpurl(v, errstr);
	default:
		return 0;
	}
}

static int
cfg_set(struct cfg *cfg, const struct cfg_key *k, const char *value,
    const char **errstr)
{
	char **sp = (char **)((char *)cfg + k->off);
	long long *lp = (long long *)((char *)cfg + k->off);
	int *ip = (int *)((char *)cfg + k->off);
	bool *bp = (bool *)((char *)cfg + k->off);
	long long v;
	int lvl;

	switch (k->type) {
	case CFG_T_LISTEN:
	case CFG_T_HOST:
	case CFG_T_MAILADDR:
	case CFG_T_HTTPURL:
		if (cfg_check_text(k->type, value, errstr) == -1)
			return -1;
		/* FALLTHROUGH */
	case CFG_T_STR:
		free(*sp);
		*sp = xstrdup(value);
		return 0;
	case CFG_T_TEXT:
		if (cfg_check_line(value, k->max, errstr) == -1)
			return -1;
		free(*sp);
		*sp = xstrdup(value);
		return 0;
	case CFG_T_PATH:
		if (value[0] == '\0') {
			*errstr = "empty path";
			return -1;
		}
		/* FALLTHROUGH */
	case CFG_T_PATH_OPT:
		free(*sp);
		*sp = cfg_resolve(cfg, value);
		return 0;
	case CFG_T_INT:
		if (util_parse_ll(value, k->min, k->max, &v, errstr) == -1)
			return -1;
		*lp = v;
		return 0;
	case CFG_T_SIZE:
		if (util_parse_size(value, k->min, k->max, &v, errstr) == -1)
			return -1;
		*lp = v;
		return 0;
	case CFG_T_DURATION:
		if (util_parse_duration_ms(value, k->min, k->max, &v, errstr) ==
		    -1)
			return -1;
		*lp = v;
		return 0;
	case CFG_T_RATE:
		if (cfg_parse_rate(value, k->min, k->max, &v, errstr) == -1)
			return -1;
		*lp = v;
		return 0;
	case CFG_T_LOGLEVEL:
		if ((lvl = log_level_parse(value)) == -1) {
			*errstr = "invalid (use error, warn, info or debug)";
			return -1;
		}
		*ip = lvl;
		return 0;
	case CFG_T_BOOL:
		return util_parse_bool(value, bp, errstr);
	case CFG_T_STARTTLS:
		if (strcmp(value, "required") == 0)
			*bp = true;
		else if (strcmp(value, "none") == 0)
			*bp = false;
		else {
			*errstr = "invalid (use required or none)";
			return -1;
		}
		return 0;
	}
	fatalx("%s: bad key type", __func__);
}

static const struct cfg_key *
cfg_find(const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cfg_keys); i++)
		if (strcmp(cfg_keys[i].section, section) == 0 &&
		    strcmp(cfg_keys[i].name, name) == 0)
			return &cfg_keys[i];
	return NULL;
}

static bool
cfg_section_known(const char *section)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cfg_keys); i++)
		if (strcmp(cfg_keys[i].section, section) == 0)
			return true;
	return false;
}

/* inih handler: returns 0 to make ini_parse_string() report this line. */
static int
cfg_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct cfg_ctx *ctx = user;
	const struct cfg_key *k;
	const char *errstr = NULL;

	if (ctx->failed)
		return 0;
	if ((k = cfg_find(section, name)) == NULL) {
		snprintf(ctx->errbuf, ctx->errlen, "[%s] %s: %s", section, name,
		    cfg_section_known(section) ? "unknown key"
		                               : "unknown section");
		ctx->failed = true;
		return 0;
	}
	if (cfg_set(ctx->cfg, k, value, &errstr) == -1) {
		if (k->type == CFG_T_INT || k->type == CFG_T_SIZE ||
		    k->type == CFG_T_DURATION)
			snprintf(ctx->errbuf, ctx->errlen,
			    "[%s] %s: %s (allowed %lld to %lld%s)", section,
			    name, errstr, k->min, k->max,
			    k->type == CFG_T_DURATION ? " ms"
			    : k->type == CFG_T_SIZE   ? " bytes"
			                              : "");
		else
			snprintf(ctx->errbuf, ctx->errlen, "[%s] %s: %s",
			    section, name, errstr);
		ctx->failed = true;
		return 0;
	}
	return 1;
}

void
cfg_defaults(struct cfg *cfg, const char *path)
{
	const char *errstr;
	char *tmp;
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->path = xstrdup(path);
	tmp = xstrdup(path);
	cfg->dir = xstrdup(dirname(tmp));
	free(tmp);
	for (i = 0; i < ARRAY_SIZE(cfg_keys); i++)
		if (cfg_set(cfg, &cfg_keys[i], cfg_keys[i].def, &errstr) == -1)
			fatalx("%s: bad default for %s.%s: %s", __func__,
			    cfg_keys[i].section, cfg_keys[i].name, errstr);
}

int
cfg_parse(const char *text, const char *path, struct cfg *cfg, char *errbuf,
    size_t errlen)
{
	struct cfg_ctx ctx = { cfg, errbuf, errlen, false };
	char tmp[512];
	int line;

	cfg_defaults(cfg, path);
	ini_stop_on_first_error = true;
	errbuf[0] = '\0';
	line = ini_parse_string(text, cfg_handler, &ctx);
	if (line == 0)
		return 0;
	if (ctx.failed) {
		snprintf(tmp, sizeof(tmp), "%s", errbuf);
		snprintf(errbuf, errlen, "%s:%d: %s", path, line, tmp);
	} else
		snprintf(errbuf, errlen,
		    "%s:%d: syntax error (expected [section] or key = value)",
		    path, line);
	cfg_free(cfg);
	return -1;
}

int
cfg_load(const char *path, struct cfg *cfg, char *errbuf, size_t errlen)
{
	char *text;
	int rv;

	if ((text = util_read_file(path, 1 << 20, NULL)) == NULL) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		memset(cfg, 0, sizeof(*cfg));
		return -1;
	}
	rv = cfg_parse(text, path, cfg, errbuf, errlen);
	free(text);
	return rv;
}

void
cfg_free(struct cfg *cfg)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cfg_keys); i++) {
		if (cfg_keys[i].type == CFG_T_STR ||
		    cfg_keys[i].type == CFG_T_TEXT ||
		    cfg_keys[i].type == CFG_T_PATH ||
		    cfg_keys[i].type == CFG_T_PATH_OPT ||
		    cfg_keys[i].type == CFG_T_LISTEN ||
		    cfg_keys[i].type == CFG_T_HOST ||
		    cfg_keys[i].type == CFG_T_MAILADDR ||
		    cfg_keys[i].type == CFG_T_HTTPURL) {
			char **sp = (char **)((char *)cfg + cfg_keys[i].off);
			free(*sp);
			*sp = NULL;
		}
	}
	free(cfg->path);
	free(cfg->dir);
	cfg->path = cfg->dir = NULL;
}

long long
cfg_max_body_bytes(const struct cfg *cfg)
{
	/* Files, then 4 bytes per character of text fields and 64 KiB for
	 * the other fields and multipart framing. */
	return cfg->files_per_tip * cfg->max_file_bytes +
	       cfg->max_description_chars * 4 + (64 << 10);
}
