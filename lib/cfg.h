/*
 * The configuration: one table of keys (section, name, type, default,
 * limits) read from an INI file with inih.  Relative paths are resolved
 * against the directory of the file.  Errors name the file, line and key.
 */
#ifndef TL_CFG_H
#define TL_CFG_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/*
 * Screenshots a tip may have at most: the largest [limits] files_per_tip,
 * the size of the intake's arrays of them, and the number of images
 * tip_submit() takes (schema/0008_intake_keys.sql checks the same).
 */
#define CFG_MAX_FILES_PER_TIP 5
/* The slowest rate a limit may have: one a day, in microseconds. */
#define CFG_RATE_SLOWEST_US   (86400LL * 1000000)

struct cfg {
	char *path; /* the file read, for messages */
	char *dir;  /* its directory, for relative paths */

	/* [console] */
	char *console_listen;
	char *console_cert;
	char *console_key;
	char *console_db_user;
	long long console_threads;
	long long console_max_connections;
	long long console_max_header_bytes;
	long long console_timeout_ms;
	long long console_shutdown_grace_ms;
	long long console_session_idle_ms;
	long long console_session_lifetime_ms;
	long long console_password_memory;
	long long console_password_passes;
	long long console_lockout_after;
	long long console_lockout_delay_ms;
	long long console_lockout_max_ms;
	char *console_audit_head_file; /* "" for none */
	long long console_audit_head_every_ms;

	/* [log] */
	int log_level;

	/* [notifier]: who the platform notices come from; "" if unset */
	char *notifier_email;
	char *notifier_name;

	/* [database] */
	char *db_conninfo;
	char *db_admin_user;
	long long db_pool_size;
	long long db_connect_timeout_ms;
	long long db_query_timeout_ms;
	long long db_retry_max_ms;

	/* [feedback] */
	long long feedback_followup_days;
	long long feedback_followups_per_day;

	/* [intake] */
	char *intake_listen;
	char *intake_cert;
	char *intake_key;
	char *intake_db_user;
	long long intake_threads;
	long long intake_max_connections;
	long long intake_max_uploads;
	long long intake_max_header_bytes;
	long long intake_timeout_ms;
	long long intake_handshake_ms;   /* TLS handshake */
	long long intake_header_ms;      /* a request head */
	long long intake_keepalive_ms;   /* between kept-alive requests */
	long long intake_min_rate;       /* bytes/s of a body, an answer */
	long long intake_max_per_client; /* connections from one client */
	long long intake_upload_memory;  /* screenshot bytes being received */
	long long intake_shutdown_grace_ms;
	/* Rate limits: tokens at once (burst) and microseconds per new token
	 * (every_us), for the whole daemon and for each client. */
	long long intake_status_burst;
	long long intake_status_every_us;
	long long intake_status_client_burst;
	long long intake_status_client_every_us;
	long long intake_tip_burst;
	long long intake_tip_every_us;
	long long intake_tip_client_burst;
	long long intake_tip_client_every_us;
	/* A tip with a proof of work (server/pow.h) takes from a bucket of
	 * its own per client; pow_bits zero bits at the least. */
	bool intake_pow;
	long long intake_pow_bits;
	long long intake_tip_pow_client_burst;
	long long intake_tip_pow_client_every_us;
	long long intake_followup_burst;
	long long intake_followup_every_us;
	long long intake_followup_client_burst;
	long long intake_followup_client_every_us;

	/* [retention] */
	long long retention_closed_ms;
	long long retention_done_jobs_ms;
	long long retention_every_ms;
	long long retention_batch;

	/* [smtp] */
	char *smtp_host; /* "" : no e-mail is sent */
	long long smtp_port;
	char *smtp_user;
	char *smtp_password_file; /* "" for none */
	char *smtp_from;
	bool smtp_starttls; /* required (true) or none */
	char *smtp_ca_file; /* "" : the system's */
	long long smtp_timeout_ms;
	long long stats_min_cell;   /* counts under it are not published */
	long long stats_min_change; /* no change in % where a count is under */

	/* [worker] */
	char *worker_db_user;
	long long worker_jobs;
	long long worker_batch;
	long long worker_screenshots;
	long long worker_threads;
	long long worker_lease_ms;
	long long worker_max_attempts;
	long long worker_ocr_time_limit_ms;
	long long worker_ocr_tip_time_limit_ms; /* all of a tip's screenshots */
	char *worker_metrics;
	long long worker_backoff_ms;
	long long worker_sweep_ms;
	long long worker_shutdown_grace_ms;

	/* [feedback] */
	char *feedback_status_url; /* "" when no e-mail is sent */
	bool feedback_email_content;
	long long feedback_email_max_attempts;
	long long feedback_email_backoff_ms;

	/* [dedup] */
	long long dedup_window_ms;
	long long dedup_image_threshold;
	long long dedup_text_threshold;
	long long dedup_min_words;
	long long dedup_screenshot_threshold;

	/* [limits] */
	long long files_per_tip;
	long long max_file_bytes;
	long long max_pixels;         /* one screenshot's */
	long long max_pixels_per_tip; /* a tip's screenshots together */
	long long max_description_chars;

	/* [keys] */
	char *key_public;
	char *key_secret;
	char *key_pepper;
	char *key_dedup;
	char *key_search;

	/* [privacy] */
	long long arrival_truncate_ms;
};

/*
 * Parses INI text; path names the file in messages and anchors relative
 * paths.  On error fills errbuf with "file:line: [section] key: reason".
 * Caller frees the result with cfg_free().
 */
TL_MUSTCHECK int cfg_parse(const char *text, const char *path, struct cfg *,
    char *errbuf, size_t errlen);
/* Reads and parses a file. */
TL_MUSTCHECK int cfg_load(const char *path, struct cfg *, char *errbuf,
    size_t errlen);
void cfg_free(struct cfg *);

/* Sets every key to its default; used by cfg_parse() first. */
void cfg_defaults(struct cfg *, const char *path);

/* For the unit test of the key table: number of keys, and the i-th key's
 * "section.name". */
size_t cfg_nkeys(void);
const char *cfg_key_section(size_t);
const char *cfg_key_name(size_t);

/* Maximum body of a tip: files, text fields and multipart overhead. */
long long cfg_max_body_bytes(const struct cfg *);

#endif
