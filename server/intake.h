/*
 * tipline-intake: the public HTTPS daemon.  It serves the tip form in
 * Finnish, Swedish and English, static files and a health check; it never
 * writes down who is asking.  Its rate limits know a client only by a
 * keyed hash of its address, under a key replaced every hour.
 */
#ifndef TL_INTAKE_H
#define TL_INTAKE_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/event_struct.h>
#include <jansson.h>

#include "cfg.h"
#include "db.h"
#include "i18n.h"
#include "log.h"
#include "page.h"
#include "tls.h"
#include "tpool.h"
#include "web.h"

struct ratelimit;
struct pow_seen;
struct stash_entry;
TAILQ_HEAD(stash_list, stash_entry);

struct intake_muni {
	char code[4];
	char *name[LANG_COUNT];
};

/* The kinds of request with rate limits of their own. */
enum intake_limit {
	INTAKE_L_TIP,      /* POST /tip */
	INTAKE_L_STATUS,   /* a /status lookup */
	INTAKE_L_FOLLOWUP, /* POST /status/followup */
	INTAKE_L_COUNT
};

struct intake {
	struct cfg *cfg;
	struct event_base *base;
	struct db_pool *db;
	struct tls *tls;
	struct web web;
	struct page_set pages;
	struct tpool *tpool;

	/* Municipalities, loaded from the database once it is up. */
	struct intake_muni *munis;
	size_t nmunis;
	size_t *order[LANG_COUNT]; /* indexes sorted for each language */
	bool munis_loading;
	struct event munis_timer; /* retries until loaded */

	/* The form without any input, rendered once a day per language;
	 * answers hold references, so replacing it frees nothing in use. */
	struct page_blob *form[LANG_COUNT];
	char form_day[11];

	/* Keys: the public sealing key and the receipt codes' HMAC key. */
	uint8_t public_key[32];
	uint8_t pepper[32];

	/* Accepted screenshots kept for a tipster's next try (upload.c). */
	struct stash_list stash;
	size_t stash_bytes;
	struct event stash_timer;

	/* Rate limits per client and for the daemon, one set per kind of
	 * request (intake_allow()), made under client key epoch
	 * limits_epoch. */
	struct ratelimit *limits[INTAKE_L_COUNT];
	uint64_t limits_epoch;
	/* Tips with a proof of work (pow.h): their own bucket per client
	 * (its global bucket never runs dry: limits[INTAKE_L_TIP]'s is the
	 * one that counts), the challenges used, and the challenges' key. */
	struct ratelimit *pow_limit;
	struct pow_seen *pow_seen;
	uint8_t pow_key[32];

	int uploads; /* POST /tip and /status/followup in progress */
	bool stopping;
};

/*
 * Takes one request of the kind from wr's client and from the daemon's
 * bucket.  false: refused, and *retry_s is the wait in whole seconds (at
 * least 1), for Retry-After.
 */
TL_MUSTCHECK bool intake_allow(struct intake *, struct web_req *,
    enum intake_limit, unsigned long long *retry_s);

/*
 * intake_allow() for POST /tip with the form's pow field (len bytes, may
 * be 0): a good solution not used before takes from the proof-of-work
 * bucket of the client, else (or if that one is empty) the plain one.
 * Either way the daemon's tip bucket counts it.  A bad or used solution
 * is as none.
 */
TL_MUSTCHECK bool intake_allow_tip(struct intake *, struct web_req *,
    const uint8_t *pow, size_t len, unsigned long long *retry_s);

/* The message id's text with {minutes} replaced by retry_s in whole
 * minutes, rounded up. */
json_t *intake_wait_text(enum lang, const char *id, unsigned long long retry_s);

/* Screenshots a follow-up may bring: three, or fewer if a tip may. */
#define INTAKE_FOLLOWUP_FILES 3
size_t intake_followup_files(const struct intake *);
/* Sets the limits a page with an upload shows: max_chars, max_files,
 * max_followup_files, max_file_size (text), max_file_bytes. */
void intake_upload_limits(struct intake *, json_t *ctx);
/* The form's context without input: lists of platforms, motives and
 * municipalities (fresh copies the caller may mark). */
json_t *intake_form_ctx(struct intake *, enum lang, const char *today);
/* Today's date in Finland, YYYY-MM-DD. */
void intake_today(char day[11]);
/* A municipality by official code, or NULL. */
const struct intake_muni *intake_muni_find(struct intake *, const char *);
/* Sets up templates, database pool and listener; exits on failure. */
/* The keys the intake holds, loaded by main() so that a bad key file ends
 * the start with a clear message.  Never the private sealing key, nor the
 * dedup key: the worker computes every dedup key. */
struct intake_keys {
	uint8_t public_key[32];
	uint8_t pepper[32];
};

int intake_keys_load(struct intake_keys *, const struct cfg *, char *err,
    size_t errlen);
void intake_init(struct intake *, struct event_base *, struct cfg *,
    struct tls *, const struct intake_keys *);
/* SIGHUP: reloads the certificate and the municipalities. */
void intake_reload(struct intake *);
/* Stops accepting; the loop ends when requests in flight are done. */
void intake_stop(struct intake *);
void intake_free(struct intake *);

#endif
