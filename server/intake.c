/*
 * Request handling of tipline-intake.  Routes are few and fixed (the
 * table intake_routes below):
 *
 *   GET /, /fi, /sv, /en   the tip form (/ picks a language from
 *                          Accept-Language)
 *   GET /static/NAME       built-in static files, cacheable
 *   GET /healthz           200 when the database answers, else 503
 *   GET /pow               a proof-of-work challenge for the form's script
 *                          (pow.h), as JSON; 404 with pow = no
 *   POST /tip              a tip (upload.c); GET /tip goes to the form
 *   GET, POST /status      a tip's state by receipt code (status.c)
 *   POST /status/followup  a tipster's follow-up (followup.c); GET goes
 *                          to /status
 *
 * The form without input is the same for everyone, so it is rendered once
 * per language and day and served from memory.  Nothing here reads the
 * peer's address, and no header value is ever logged.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <sodium.h>

#include "asset.h"
#include "client.h"
#include "daemon.h"
#include "db_stmt.h"
#include "intake.h"
#include "keys.h"
#include "log.h"
#include "pow.h"
#include "ratelimit.h"
#include "followup.h"
#include "status.h"
#include "upload.h"
#include "vocab.h"

extern const struct asset intake_templates[];
extern const struct asset intake_static[];

/* The form's script fetches its proof-of-work challenge from /pow. */
#define INTAKE_CSP WEB_CSP "; connect-src 'self'"

static void intake_load_munis(struct intake *);

void
intake_today(char day[11])
{
	time_t now = time(NULL);
	struct tm tm;

	/* TZ is Europe/Helsinki (set at startup); logs use UTC. */
	localtime_r(&now, &tm);
	strftime(day, 11, "%Y-%m-%d", &tm);
}

static void
intake_error(struct web_req *wr, int status)
{
	struct intake *in = wr->w->app;

	page_message(&in->pages, wr, status, "error.title",
	    status == 303 ? "error.back" : "error.not_found");
}

void
intake_upload_limits(struct intake *in, json_t *ctx)
{
	char size[32];

	json_object_set_new(ctx, "max_chars",
	    json_integer(in->cfg->max_description_chars));
	json_object_set_new(ctx, "max_files",
	    json_integer(in->cfg->files_per_tip));
	json_object_set_new(ctx, "max_followup_files",
	    json_integer(intake_followup_files(in)));
	if (in->cfg->max_file_bytes >= 1 << 20)
		snprintf(size, sizeof(size), "%lld MiB",
		    in->cfg->max_file_bytes >> 20);
	else
		snprintf(size, sizeof(size), "%lld KiB",
		    in->cfg->max_file_bytes >> 10);
	json_object_set_new(ctx, "max_file_size", json_string(size));
	json_object_set_new(ctx, "max_file_bytes",
	    json_integer(in->cfg->max_file_bytes));
}

size_t
intake_followup_files(const struct intake *in)
{
	return in->cfg->files_per_tip < INTAKE_FOLLOWUP_FILES
	           ? (size_t)in->cfg->files_per_tip
	           : INTAKE_FOLLOWUP_FILES;
}

json_t *
intake_form_ctx(struct intake *in, enum lang lang, const char *today)
{
	json_t *ctx, *arr, *v;
	char id[64];
	size_t i;

	ctx = page_ctx(&in->pages, lang, i18n_get(lang, "form.title"));
	json_object_set_new(ctx, "today", json_string(today));
	intake_upload_limits(in, ctx);
	/* The proof-of-work field and its script, unless turned off. */
	json_object_set_new(ctx, "pow", json_boolean(in->cfg->intake_pow));
	/* Default choice: hear back through the receipt code. */
	json_object_set_new(ctx, "v", json_pack("{s:b}", "fb_receipt", 1));

	arr = json_array();
	for (i = 0; i < ARRAY_SIZE(vocab_platforms); i++) {
		const char *label = vocab_platform_names[i];

		if (label == NULL) {
			snprintf(id, sizeof(id), "form.platform.%s",
			    vocab_platforms[i]);
			label = i18n_get(lang, id);
		}
		json_array_append_new(arr,
		    json_pack("{s:s, s:s}", "value", vocab_platforms[i],
		        "label", label));
	}
	json_object_set_new(ctx, "platforms", arr);

	arr = json_array();
	for (i = 0; i < ARRAY_SIZE(vocab_motives); i++) {
		snprintf(id, sizeof(id), "form.motive.%s", vocab_motives[i]);
		json_array_append_new(arr,
		    json_pack("{s:s, s:s}", "value", vocab_motives[i], "label",
		        i18n_get(lang, id)));
	}
	json_object_set_new(ctx, "motives", arr);

	arr = json_array();
	for (i = 0; i < in->nmunis; i++) {
		const struct intake_muni *m = &in->munis[in->order[lang][i]];

		v = json_pack("{s:s, s:s}", "c", m->code, "n", m->name[lang]);
		json_array_append_new(arr, v);
	}
	json_object_set_new(ctx, "municipalities", arr);
	return ctx;
}

/* Renders the form without input for every language; a page already
 * being sent keeps its own reference to the old one. */
static int
intake_render_forms(struct intake *in, const char *today)
{
	struct page_blob *pb[LANG_COUNT];
	struct buf out;
	json_t *ctx;
	int i, rv = 0;

	for (i = 0; i < LANG_COUNT; i++) {
		ctx = intake_form_ctx(in, (enum lang)i, today);
		pb[i] = NULL;
		if (page_render(&in->pages, "form", ctx, (enum lang)i, &out) ==
		        -1 ||
		    (pb[i] = page_blob_new(&out)) == NULL)
			rv = -1;
		json_decref(ctx);
	}
	for (i = 0; i < LANG_COUNT; i++) {
		if (rv == 0) {
			page_blob_unref(in->form[i]);
			in->form[i] = pb[i];
		} else
			page_blob_unref(pb[i]);
	}
	if (rv == 0)
		memcpy(in->form_day, today, sizeof(in->form_day));
	return rv;
}

static int
intake_muni_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct intake_muni *)elem)->code);
}

const struct intake_muni *
intake_muni_find(struct intake *in, const char *code)
{
	if (in->nmunis == 0)
		return NULL;
	return bsearch(code, in->munis, in->nmunis, sizeof(in->munis[0]),
	    intake_muni_cmp);
}

static void
intake_form(struct web_req *wr)
{
	struct intake *in = wr->w->app;
	char today[11];

	if (in->nmunis == 0) {
		intake_load_munis(in);
		web_header(wr, "Retry-After", "10");
		page_message(&in->pages, wr, 503, "error.title",
		    "form.unavailable");
		return;
	}
	intake_today(today);
	if (strcmp(today, in->form_day) != 0 &&
	    intake_render_forms(in, today) == -1) {
		web_send_text(wr, 500, "internal error");
		return;
	}
	page_send_blob(wr, 200, in->form[wr->lang]);
}

/* GET /: the language the browser prefers. */
static void
intake_form_any(struct web_req *wr)
{
	web_header(wr, "Vary", "Accept-Language");
	intake_form(wr);
}

/* GET /fi, /sv, /en. */
static void
intake_form_lang(struct web_req *wr)
{
	if (i18n_from_code(wr->path + 1, 2, &wr->lang) == -1)
		fatalx("%s: route %s", __func__, wr->path);
	intake_form(wr);
}

static void
intake_static_file(struct web_req *wr)
{
	struct intake *in = wr->w->app;

	page_static(&in->pages, wr, wr->path + strlen("/static/"));
}

/* A reload of the answer page: the form is what they want. */
static void
intake_tip_get(struct web_req *wr)
{
	web_header(wr, "Location", "/");
	web_error(wr, 303);
}

static void
intake_on_ping(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct intake *in = wr->w->app;
	bool ok = res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK;

	/* Not ready until the form can be shown. */
	if (ok && in->nmunis == 0) {
		intake_load_munis(in);
		ok = false;
	}
	web_send_text(wr, ok ? 200 : 503, ok ? "ok" : "database unavailable");
}

static void
intake_healthz(struct web_req *wr)
{
	struct intake *in = wr->w->app;

	if (db_send(in->db, STMT_INTAKE_PING, 0, NULL, NULL, NULL,
	        intake_on_ping, wr) == NULL)
		intake_on_ping(wr, NULL);
}

static void
intake_on_munis(void *arg, PGresult *res)
{
	struct intake *in = arg;
	struct intake_muni *m;
	size_t i, j, k, n;
	enum lang sort_lang;

	in->munis_loading = false;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK ||
	    PQntuples(res) == 0) {
		log_warnx("loading municipalities failed, sqlstate %s",
		    db_sqlstate(res));
		return;
	}
	n = (size_t)PQntuples(res);
	m = xcalloc(n, sizeof(*m));
	for (i = 0; i < n; i++) {
		const char *fi = PQgetvalue(res, (int)i, 1);
		const char *sv = PQgetvalue(res, (int)i, 2);
		bool aland = strcmp(PQgetvalue(res, (int)i, 3), "aland") == 0;
		size_t len;

		snprintf(m[i].code, sizeof(m[i].code), "%s",
		    PQgetvalue(res, (int)i, 0));
		m[i].name[LANG_FI] = xstrdup(fi);
		m[i].name[LANG_SV] = xstrdup(sv);
		/* English: Åland's Swedish names, else Finnish with the
		 * Swedish one beside it where they differ. */
		if (aland || strcmp(fi, sv) == 0)
			m[i].name[LANG_EN] = xstrdup(aland ? sv : fi);
		else {
			len = strlen(fi) + strlen(sv) + 4;
			m[i].name[LANG_EN] = xmalloc(len);
			snprintf(m[i].name[LANG_EN], len, "%s (%s)", fi, sv);
		}
		/* The other languages read the names as English does. */
		for (k = LANG_STAFF_COUNT; k < LANG_COUNT; k++)
			m[i].name[k] = xstrdup(m[i].name[LANG_EN]);
	}
	for (k = 0; k < LANG_COUNT; k++) {
		free(in->order[k]);
		in->order[k] = xcalloc(n, sizeof(size_t));
		for (i = 0; i < n; i++)
			in->order[k][i] = i;
		/* Insertion sort: a few hundred names, once. */
		sort_lang = (enum lang)k;
		for (i = 1; i < n; i++) {
			size_t cur = in->order[k][i];

			for (j = i; j > 0 &&
			            i18n_collate(
			                m[in->order[k][j - 1]].name[sort_lang],
			                m[cur].name[sort_lang]) > 0;
			     j--)
				in->order[k][j] = in->order[k][j - 1];
			in->order[k][j] = cur;
		}
	}
	for (i = 0; i < in->nmunis; i++)
		for (k = 0; k < LANG_COUNT; k++)
			free(in->munis[i].name[k]);
	free(in->munis);
	in->munis = m;
	in->nmunis = n;
	in->form_day[0] = '\0';
	evtimer_del(&in->munis_timer);
	log_info("loaded %zu municipalities", n);
}

static void
intake_load_munis(struct intake *in)
{
	if (in->munis_loading)
		return;
	if (db_send(in->db, STMT_INTAKE_MUNICIPALITIES, 0, NULL, NULL, NULL,
	        intake_on_munis, in) != NULL)
		in->munis_loading = true;
}

static void
intake_stash_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	stash_expire(arg);
}

static void
intake_munis_tick(evutil_socket_t fd, short what, void *arg)
{
	struct intake *in = arg;

	(void)fd;
	(void)what;
	intake_load_munis(in);
}

static void
intake_status(struct web_req *wr)
{
	const char *q = web_query(wr, "lang");
	enum lang lang;

	if (q != NULL && i18n_from_code(q, strlen(q), &lang) == 0)
		wr->lang = lang;
	status_start(wr);
}

static void
intake_tip(struct web_req *wr)
{
	upload_start(wr);
}

/* A reload of a follow-up's answer: the code is not kept, so /status. */
static void
intake_followup_get(struct web_req *wr)
{
	web_header(wr, "Location", "/status");
	web_error(wr, 303);
}

/* The zero bits a challenge asks for now: the base, and one more for each
 * quarter of the daemon's tip bucket in use, so that a flood costs more
 * as it drains the bucket. */
static unsigned
intake_pow_bits(struct intake *in)
{
	uint64_t used = ratelimit_global_used(in->limits[INTAKE_L_TIP],
	    util_now_ms() * 1000);
	uint64_t burst = (uint64_t)in->cfg->intake_tip_burst;
	unsigned bits = (unsigned)in->cfg->intake_pow_bits;

	bits += (unsigned)(used >= burst ? 4 : 4 * used / burst);
	return bits < POW_MAX_BITS ? bits : POW_MAX_BITS;
}

/* GET /pow: {"challenge", "bits", "expires_in"}, never cached. */
static void
intake_pow(struct web_req *wr)
{
	struct intake *in = wr->w->app;
	char challenge[POW_CHALLENGE_MAX];
	uint64_t now = (uint64_t)time(NULL);
	struct evbuffer *body;
	unsigned bits;
	json_t *j;
	char *s;

	if (!in->cfg->intake_pow) {
		web_error(wr, 404);
		return;
	}
	bits = intake_pow_bits(in);
	pow_challenge(in->pow_key, now, bits, challenge);
	j = json_pack("{s:s, s:i, s:I}", "challenge", challenge, "bits",
	    (int)bits, "expires_in",
	    (json_int_t)((pow_window(now) + 2) * POW_WINDOW_S - now));
	s = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(j);
	if (s == NULL || (body = evbuffer_new()) == NULL) {
		free(s);
		web_send_text(wr, 500, "internal error");
		return;
	}
	evbuffer_add(body, s, strlen(s));
	free(s);
	web_header(wr, "Content-Type", "application/json");
	web_send(wr, 200, body);
	evbuffer_free(body);
}

static const struct web_route intake_routes[] = {
	{ WEB_GET, "/", intake_form_any, 0, 0 },
	{ WEB_GET, "/fi", intake_form_lang, 0, 0 },
	{ WEB_GET, "/sv", intake_form_lang, 0, 0 },
	{ WEB_GET, "/en", intake_form_lang, 0, 0 },
	{ WEB_GET, "/ar", intake_form_lang, 0, 0 },
	{ WEB_GET, "/fa", intake_form_lang, 0, 0 },
	{ WEB_GET, "/so", intake_form_lang, 0, 0 },
	{ WEB_GET, "/ru", intake_form_lang, 0, 0 },
	{ WEB_GET, "/uk", intake_form_lang, 0, 0 },
	{ WEB_GET, "/et", intake_form_lang, 0, 0 },
	{ WEB_GET, "/se", intake_form_lang, 0, 0 },
	{ WEB_GET, "/healthz", intake_healthz, 0, 0 },
	{ WEB_GET, "/pow", intake_pow, 0, 0 },
	{ WEB_GET, "/static/", intake_static_file, WEB_PREFIX, 0 },
	{ WEB_POST, "/tip", intake_tip, WEB_FORM, 0 },
	{ WEB_GET, "/tip", intake_tip_get, 0, 0 },
	{ WEB_GET | WEB_POST, "/status", intake_status, 0, 0 },
	{ WEB_POST, "/status/followup", followup_start, WEB_FORM, 0 },
	{ WEB_GET, "/status/followup", intake_followup_get, 0, 0 },
	{ 0, NULL, NULL, 0, 0 },
};

int
intake_keys_load(struct intake_keys *k, const struct cfg *cfg, char *err,
    size_t errlen)
{
	if (keys_load(cfg->key_public, 0, k->public_key, err, errlen) == -1 ||
	    keys_load(cfg->key_pepper, 1, k->pepper, err, errlen) == -1) {
		sodium_memzero(k, sizeof(*k));
		return -1;
	}
	return 0;
}

/* The buckets of each kind: per client, then the daemon's. */
static void
intake_limits_new(struct intake *in)
{
	const struct cfg *c = in->cfg;
	const long long v[INTAKE_L_COUNT][4] = {
		[INTAKE_L_TIP] = { c->intake_tip_client_every_us,
		    c->intake_tip_client_burst, c->intake_tip_every_us,
		    c->intake_tip_burst },
		[INTAKE_L_STATUS] = { c->intake_status_client_every_us,
		    c->intake_status_client_burst, c->intake_status_every_us,
		    c->intake_status_burst },
		[INTAKE_L_FOLLOWUP] = { c->intake_followup_client_every_us,
		    c->intake_followup_client_burst,
		    c->intake_followup_every_us, c->intake_followup_burst },
	};
	struct ratelimit_rate client, global, endless = { 1, 1ULL << 62 };
	size_t need, slots = 1024;
	int k;

	for (k = 0; k < INTAKE_L_COUNT; k++) {
		client = (struct ratelimit_rate){ (uint64_t)v[k][0],
			(uint64_t)v[k][1] };
		global = (struct ratelimit_rate){ (uint64_t)v[k][2],
			(uint64_t)v[k][3] };
		in->limits[k] = ratelimit_new(&client, &global,
		    ratelimit_slots(&client, &global));
		if (in->limits[k] == NULL)
			fatalx("%s: out of memory", __func__);
	}

	/* Tips with a proof of work: the per-client bucket here, the daemon's
	 * in limits[INTAKE_L_TIP], whose rate bounds the table as it does the
	 * plain one. */
	global = (struct ratelimit_rate){ (uint64_t)c->intake_tip_every_us,
		(uint64_t)c->intake_tip_burst };
	client = (struct ratelimit_rate){
		(uint64_t)c->intake_tip_pow_client_every_us,
		(uint64_t)c->intake_tip_pow_client_burst
	};
	in->pow_limit =
	    ratelimit_new(&client, &endless, ratelimit_slots(&client, &global));
	/* Challenges used stay until two windows are over: no more than the
	 * daemon's tip bucket gives in that time, twice that for room. */
	need = (size_t)global.burst +
	       (size_t)(2 * POW_WINDOW_S * 1000000ULL / global.every_us);
	while (slots < RATELIMIT_MAX_SLOTS && slots < 2 * need)
		slots <<= 1;
	in->pow_seen = pow_seen_new(slots);
	if (in->pow_limit == NULL || in->pow_seen == NULL)
		fatalx("%s: out of memory", __func__);
	in->limits_epoch = client_epoch();
}

/* The client key's key was replaced: the buckets' keys match nobody any
 * more.  Forget them (each client starts full once an hour). */
static void
intake_limits_epoch(struct intake *in)
{
	int k;

	if (client_epoch() == in->limits_epoch)
		return;
	for (k = 0; k < INTAKE_L_COUNT; k++)
		ratelimit_forget(in->limits[k]);
	ratelimit_forget(in->pow_limit);
	in->limits_epoch = client_epoch();
}

static void
intake_retry(uint64_t retry_us, unsigned long long *retry_s)
{
	*retry_s = (retry_us + 999999) / 1000000;
	if (*retry_s == 0)
		*retry_s = 1;
}

bool
intake_allow(struct intake *in, struct web_req *wr, enum intake_limit kind,
    unsigned long long *retry_s)
{
	uint64_t key = web_client(wr), retry_us = 0;

	intake_limits_epoch(in);
	if (ratelimit_take(in->limits[kind], key, util_now_ms() * 1000,
	        &retry_us))
		return true;
	intake_retry(retry_us, retry_s);
	return false;
}

/* Whether a good, unused solution pays for this tip: then it is used,
 * and the client's proof-of-work bucket and the daemon's tip bucket have
 * given a token each.  Otherwise nothing is taken; *retry_us is set if
 * the proof-of-work bucket was empty. */
static bool
intake_allow_pow(struct intake *in, struct web_req *wr, const uint8_t *sol,
    size_t len, uint64_t now_us, uint64_t *retry_us)
{
	struct ratelimit *tips = in->limits[INTAKE_L_TIP];
	uint64_t now_s = (uint64_t)time(NULL), id, window, unused;
	enum pow_verdict v;

	if (!in->cfg->intake_pow || len == 0)
		return false;
	v = pow_check(in->pow_key, now_s, (unsigned)in->cfg->intake_pow_bits,
	    sol, len, &id, &window);
	if (v != POW_OK) {
		rlog_debug(wr, "proof of work not taken: %s",
		    v == POW_MALFORMED ? "malformed"
		    : v == POW_FORGED  ? "not ours"
		    : v == POW_EXPIRED ? "expired"
		                       : "too weak");
		return false;
	}
	if (pow_seen_add(in->pow_seen, id, window, now_s) == -1) {
		rlog_debug(wr, "proof of work not taken: used before");
		return false;
	}
	/* Both buckets or neither: the daemon's is looked at first, and
	 * nothing runs between the two takes. */
	if (ratelimit_global_used(tips, now_us) >=
	        (uint64_t)in->cfg->intake_tip_burst ||
	    !ratelimit_take(in->pow_limit, web_client(wr), now_us, retry_us)) {
		pow_seen_remove(in->pow_seen, id);
		return false;
	}
	if (!ratelimit_take_global(tips, now_us, &unused))
		fatalx("%s: the tip bucket ran dry", __func__);
	return true;
}

bool
intake_allow_tip(struct intake *in, struct web_req *wr, const uint8_t *pow,
    size_t len, unsigned long long *retry_s)
{
	uint64_t now_us = util_now_ms() * 1000, retry_us = 0, pow_retry = 0;

	intake_limits_epoch(in);
	if (intake_allow_pow(in, wr, pow, len, now_us, &pow_retry)) {
		rlog_debug(wr, "tip paid with a proof of work");
		return true;
	}
	if (ratelimit_take(in->limits[INTAKE_L_TIP], web_client(wr), now_us,
	        &retry_us))
		return true;
	/* The sooner of the two buckets the client may use. */
	if (pow_retry != 0 && pow_retry < retry_us)
		retry_us = pow_retry;
	intake_retry(retry_us, retry_s);
	return false;
}

json_t *
intake_wait_text(enum lang lang, const char *id, unsigned long long retry_s)
{
	const char *text = i18n_get(lang, id), *at;
	char out[1024];

	at = strstr(text, "{minutes}");
	if (at == NULL || snprintf(out, sizeof(out), "%.*s%llu%s",
	                      (int)(at - text), text, (retry_s + 59) / 60,
	                      at + strlen("{minutes}")) >= (int)sizeof(out))
		return json_string(text);
	return json_string(out);
}

void
intake_init(struct intake *in, struct event_base *base, struct cfg *cfg,
    struct tls *tls, const struct intake_keys *keys)
{
	struct db_pool_opts dbo;
	struct web_opts wo;
	struct timeval tv;
	char err[512];

	memset(in, 0, sizeof(*in));
	in->cfg = cfg;
	in->base = base;
	in->tls = tls;
	page_init(&in->pages, intake_templates, intake_static);

	daemon_db_opts(&dbo, cfg, cfg->intake_db_user, db_stmts_intake,
	    STMT_INTAKE_COUNT);
	in->db = db_pool_new(base, &dbo);
	memcpy(in->public_key, keys->public_key, sizeof(in->public_key));
	memcpy(in->pepper, keys->pepper, sizeof(in->pepper));
	pow_key(in->pepper, in->pow_key);
	TAILQ_INIT(&in->stash);
	intake_limits_new(in);
	in->tpool = tpool_new(base, (int)cfg->intake_threads);
	event_assign(&in->stash_timer, base, -1, EV_PERSIST, intake_stash_tick,
	    in);
	tv = (struct timeval){ 60, 0 };
	event_add(&in->stash_timer, &tv);
	event_assign(&in->munis_timer, base, -1, EV_PERSIST, intake_munis_tick,
	    in);
	tv = (struct timeval){ 0, 500 * 1000 };
	event_add(&in->munis_timer, &tv);

	memset(&wo, 0, sizeof(wo));
	wo.http.listen = cfg->intake_listen;
	wo.http.max_header_bytes = cfg->intake_max_header_bytes;
	/* Tips and follow-ups with screenshots are read as they come (WEB_FORM,
	 * web_form.c); only other bodies are buffered, and they are small. */
	wo.http.max_body_bytes = 1 << 20;
	wo.form_memory = (size_t)cfg->intake_upload_memory;
	wo.form_file_max = cfg->max_file_bytes;
	wo.form_files = (int)cfg->files_per_tip;
	wo.form_body_max = 2 * cfg_max_body_bytes(cfg);
	wo.form_crawl = HTTP_CRAWL_FACTOR * cfg->intake_min_rate;
	wo.http.timeout_ms = cfg->intake_timeout_ms;
	wo.http.max_connections = (int)cfg->intake_max_connections;
	wo.http.max_per_client = (int)cfg->intake_max_per_client;
	wo.http.handshake_ms = cfg->intake_handshake_ms;
	wo.http.head_ms = cfg->intake_header_ms;
	wo.http.idle_ms = cfg->intake_keepalive_ms;
	wo.http.min_rate = cfg->intake_min_rate;
	wo.http.csp = INTAKE_CSP;
	wo.routes = intake_routes;
	wo.nlangs = LANG_COUNT;
	wo.error = intake_error;
	wo.app = in;
	if (web_init(&in->web, base, tls, &wo, err, sizeof(err)) == -1)
		fatalx("%s", err);
	log_info("listening on %s", cfg->intake_listen);
}

void
intake_reload(struct intake *in)
{
	char err[512];

	if (tls_reload(in->tls, err, sizeof(err)) == -1)
		log_warnx("certificate not reloaded: %s", err);
	else
		log_info("certificate reloaded");
	intake_load_munis(in);
}

void
intake_stop(struct intake *in)
{
	in->stopping = true;
	web_stop(&in->web);
}

void
intake_free(struct intake *in)
{
	size_t i;
	int k;

	/* Work in flight finishes first: thread results may queue a query,
	 * and a failed query answers its request, which must still exist. */
	tpool_free(in->tpool);
	db_pool_free(in->db);
	web_free(&in->web);
	event_del(&in->munis_timer);
	event_del(&in->stash_timer);
	stash_free_all(in);
	for (k = 0; k < INTAKE_L_COUNT; k++)
		ratelimit_free(in->limits[k]);
	ratelimit_free(in->pow_limit);
	pow_seen_free(in->pow_seen);
	sodium_memzero(in->pepper, sizeof(in->pepper));
	sodium_memzero(in->pow_key, sizeof(in->pow_key));
	page_free(&in->pages);
	for (i = 0; i < in->nmunis; i++)
		for (k = 0; k < LANG_COUNT; k++)
			free(in->munis[i].name[k]);
	free(in->munis);
	for (k = 0; k < LANG_COUNT; k++) {
		free(in->order[k]);
		page_blob_unref(in->form[k]);
	}
}
