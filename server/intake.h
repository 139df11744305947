/*
 * tipline-intake: the public HTTPS daemon.  It serves the tip form in
 * Finnish, Swedish and English, static files and a health check; it never
 * learns or writes down who is asking.
 */
#ifndef TL_INTAKE_H
#define TL_INTAKE_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "buf.h"
#include "cfg.h"
#include "db.h"
#include "http.h"
#include "i18n.h"
#include "tls.h"
#include "tmpl.h"
#include "tpool.h"

struct intake_muni {
	char code[4];
	char *name[LANG_COUNT];
};

struct intake {
	struct cfg *cfg;
	struct event_base *base;
	struct db_pool *db;
	struct tls *tls;
	struct http_listener http;
	struct tpool *tpool;
	struct tmpl_set *tmpl;
	char asset_version[17];

	/* Municipalities, loaded from the database once it is up. */
	struct intake_muni *munis;
	size_t nmunis;
	size_t *order[LANG_COUNT]; /* indexes sorted for each language */
	bool munis_loading;
	struct event munis_timer; /* retries until loaded */

	/* The form without any input, rendered once a day per language. */
	struct buf page[LANG_COUNT];
	char page_day[11];

	uint64_t next_req;
	int inflight;
	bool stopping;
};

/* Sets up templates, database pool and listener; exits on failure. */
void intake_init(struct intake *, struct event_base *, struct cfg *,
    struct tls *);
/* SIGHUP: reloads the certificate and the municipalities. */
void intake_reload(struct intake *);
/* Stops accepting; the loop ends when requests in flight are done. */
void intake_stop(struct intake *);
void intake_free(struct intake *);

#endif
