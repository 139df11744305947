/*
 * Request handling of tipline-intake.  Routes are few and fixed:
 *
 *   GET /, /fi, /sv, /en   the tip form (/ picks a language from
 *                          Accept-Language)
 *   GET /static/NAME       built-in static files, cacheable
 *   GET /healthz           200 when the database answers, else 503
 *   POST /tip, /status     not open yet (501, a page that says so)
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
#include "db_stmt.h"
#include "intake.h"
#include "keys.h"
#include "log.h"
#include "status.h"
#include "upload.h"

extern const struct asset intake_templates[];
extern const struct asset intake_static[];

/* A request waiting for the database. */
struct intake_req {
	struct intake *in;
	struct evhttp_request *req;
	uint64_t id;
};

const char *const intake_platforms[INTAKE_NPLATFORMS] = { "facebook",
	"instagram", "x", "tiktok", "youtube", "telegram", "discord", "reddit",
	"snapchat", "whatsapp", "suomi24", "ylilauta", "vauva", "news",
	"other" };

/* Brand names are the same in every language. */
static const char *const intake_platform_names[] = { "Facebook", "Instagram",
	"X (Twitter)", "TikTok", "YouTube", "Telegram", "Discord", "Reddit",
	"Snapchat", "WhatsApp", "Suomi24", "Ylilauta", "Vauva.fi", NULL, NULL };

const char *const intake_motives[INTAKE_NMOTIVES] = { "ethnic", "skin",
	"religion", "orientation", "gender", "disability", "other", "unknown" };

static const char *const intake_lang_labels[LANG_COUNT] = { "Suomeksi",
	"På svenska", "In English" };

static void intake_load_munis(struct intake *);

void
intake_done(struct intake *in)
{
	in->inflight--;
	if (in->stopping && in->inflight == 0)
		event_base_loopexit(in->base, NULL);
}

void
intake_today(char day[11])
{
	time_t now = time(NULL);
	struct tm tm;

	/* TZ is Europe/Helsinki (set at startup); logs use UTC. */
	localtime_r(&now, &tm);
	strftime(day, 11, "%Y-%m-%d", &tm);
}

/* The parts of the page context that every page has. */
json_t *
intake_page_ctx(struct intake *in, enum lang lang, const char *title)
{
	json_t *ctx, *langs;
	int i;

	ctx = json_object();
	json_object_set_new(ctx, "lang", json_string(i18n_code(lang)));
	json_object_set_new(ctx, "title", json_string(title));
	json_object_set_new(ctx, "asset_version",
	    json_string(in->asset_version));
	langs = json_array();
	for (i = 0; i < LANG_COUNT; i++)
		json_array_append_new(langs,
		    json_pack("{s:s, s:s, s:b}", "code",
		        i18n_code((enum lang)i), "label", intake_lang_labels[i],
		        "current", (enum lang)i == lang));
	json_object_set_new(ctx, "langs", langs);
	return ctx;
}

int
intake_render(struct intake *in, const char *tmpl, json_t *ctx, enum lang lang,
    struct buf *out)
{
	buf_init(out, 4 << 20);
	if (tmpl_render(in->tmpl, tmpl, ctx, lang, out) == -1) {
		log_warnx("render %s failed", tmpl);
		buf_reset(out);
		return -1;
	}
	return 0;
}

static void
intake_message(struct intake *in, struct evhttp_request *req, int status,
    enum lang lang, const char *title_id, const char *msg_id)
{
	struct buf out;
	json_t *ctx;

	ctx = intake_page_ctx(in, lang, i18n_get(lang, title_id));
	json_object_set_new(ctx, "message",
	    json_string(i18n_get(lang, msg_id)));
	http_security_headers(req, INTAKE_CSP);
	if (intake_render(in, "message", ctx, lang, &out) == -1)
		http_reply_text(req, 500, "internal error");
	else
		http_reply_html(req, status, &out);
	json_decref(ctx);
}

json_t *
intake_form_ctx(struct intake *in, enum lang lang, const char *today)
{
	json_t *ctx, *arr, *v;
	char id[64];
	size_t i;

	ctx = intake_page_ctx(in, lang, i18n_get(lang, "form.title"));
	json_object_set_new(ctx, "today", json_string(today));
	json_object_set_new(ctx, "max_chars",
	    json_integer(in->cfg->max_description_chars));
	json_object_set_new(ctx, "max_files",
	    json_integer(in->cfg->files_per_tip));
	if (in->cfg->max_file_bytes >= 1 << 20)
		snprintf(id, sizeof(id), "%lld MiB",
		    in->cfg->max_file_bytes >> 20);
	else
		snprintf(id, sizeof(id), "%lld KiB",
		    in->cfg->max_file_bytes >> 10);
	json_object_set_new(ctx, "max_file_size", json_string(id));
	json_object_set_new(ctx, "max_file_bytes",
	    json_integer(in->cfg->max_file_bytes));
	/* Default choice: hear back through the receipt code. */
	json_object_set_new(ctx, "v", json_pack("{s:b}", "fb_receipt", 1));

	arr = json_array();
	for (i = 0; i < ARRAY_SIZE(intake_platforms); i++) {
		const char *label = intake_platform_names[i];

		if (label == NULL) {
			snprintf(id, sizeof(id), "form.platform.%s",
			    intake_platforms[i]);
			label = i18n_get(lang, id);
		}
		json_array_append_new(arr,
		    json_pack("{s:s, s:s}", "value", intake_platforms[i],
		        "label", label));
	}
	json_object_set_new(ctx, "platforms", arr);

	arr = json_array();
	for (i = 0; i < ARRAY_SIZE(intake_motives); i++) {
		snprintf(id, sizeof(id), "form.motive.%s", intake_motives[i]);
		json_array_append_new(arr,
		    json_pack("{s:s, s:s}", "value", intake_motives[i], "label",
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

/* Renders the form without input into in->page[lang]. */
static int
intake_render_form(struct intake *in, enum lang lang, const char *today)
{
	json_t *ctx = intake_form_ctx(in, lang, today);
	int rv;

	buf_reset(&in->page[lang]);
	rv = intake_render(in, "form", ctx, lang, &in->page[lang]);
	json_decref(ctx);
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
intake_form(struct intake *in, struct evhttp_request *req, enum lang lang)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *body;
	char today[11];
	int i;

	if (in->nmunis == 0) {
		intake_load_munis(in);
		evhttp_add_header(h, "Retry-After", "10");
		intake_message(in, req, 503, lang, "error.title",
		    "form.unavailable");
		return;
	}
	intake_today(today);
	if (strcmp(today, in->page_day) != 0) {
		for (i = 0; i < LANG_COUNT; i++)
			if (intake_render_form(in, (enum lang)i, today) == -1) {
				http_reply_text(req, 500, "internal error");
				in->page_day[0] = '\0';
				return;
			}
		memcpy(in->page_day, today, sizeof(today));
	}
	http_security_headers(req, INTAKE_CSP);
	evhttp_add_header(h, "Content-Type", "text/html; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "Content-Language", i18n_code(lang));
	if ((body = evbuffer_new()) == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	evbuffer_add_reference(body, in->page[lang].p, in->page[lang].len, NULL,
	    NULL);
	evhttp_send_reply(req, 200, NULL, body);
	evbuffer_free(body);
}

static const char *
intake_content_type(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot == NULL)
		return "application/octet-stream";
	if (strcmp(dot, ".css") == 0)
		return "text/css; charset=utf-8";
	if (strcmp(dot, ".js") == 0)
		return "text/javascript; charset=utf-8";
	if (strcmp(dot, ".png") == 0)
		return "image/png";
	if (strcmp(dot, ".svg") == 0)
		return "image/svg+xml";
	return "application/octet-stream";
}

static void
intake_static_file(struct intake *in, struct evhttp_request *req,
    const char *name, enum lang lang)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *body;
	const struct asset *a;
	const char *inm;
	char etag[24];

	for (a = intake_static; a->name != NULL; a++)
		if (strcmp(a->name, name) == 0)
			break;
	if (a->name == NULL) {
		intake_message(in, req, 404, lang, "error.title",
		    "error.not_found");
		return;
	}
	snprintf(etag, sizeof(etag), "\"%s\"", in->asset_version);
	http_security_headers(req, INTAKE_CSP);
	evhttp_add_header(h, "ETag", etag);
	evhttp_add_header(h, "Cache-Control", "public, max-age=86400");
	inm = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "If-None-Match");
	if (inm != NULL && strstr(inm, etag) != NULL) {
		evhttp_send_reply(req, 304, NULL, NULL);
		return;
	}
	evhttp_add_header(h, "Content-Type", intake_content_type(name));
	if ((body = evbuffer_new()) == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	evbuffer_add_reference(body, a->data, a->len, NULL, NULL);
	evhttp_send_reply(req, 200, NULL, body);
	evbuffer_free(body);
}

static void
intake_on_ping(void *arg, PGresult *res)
{
	struct intake_req *ir = arg;
	bool ok = res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK;

	/* Not ready until the form can be shown. */
	if (ok && ir->in->nmunis == 0) {
		intake_load_munis(ir->in);
		ok = false;
	}

	http_security_headers(ir->req, INTAKE_CSP);
	http_reply_text(ir->req, ok ? 200 : 503,
	    ok ? "ok" : "database unavailable");
	intake_done(ir->in);
	free(ir);
}

static void
intake_healthz(struct intake *in, struct evhttp_request *req)
{
	struct intake_req *ir;

	if ((ir = calloc(1, sizeof(*ir))) == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	ir->in = in;
	ir->req = req;
	ir->id = ++in->next_req;
	in->inflight++;
	if (db_send(in->db, STMT_INTAKE_PING, 0, NULL, NULL, NULL,
	        intake_on_ping, ir) == NULL)
		intake_on_ping(ir, NULL);
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
	in->page_day[0] = '\0';
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

/* ?lang=xx in the query, else the given language. */
static enum lang
intake_query_lang(struct evhttp_request *req, enum lang lang)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *q = uri ? evhttp_uri_get_query(uri) : NULL;
	const char *p;
	enum lang l;

	if (q != NULL && (p = strstr(q, "lang=")) != NULL &&
	    (p == q || p[-1] == '&') && strlen(p + 5) >= 2 &&
	    (p[7] == '\0' || p[7] == '&') && i18n_from_code(p + 5, 2, &l) == 0)
		return l;
	return lang;
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
intake_route(struct evhttp_request *req, void *arg)
{
	struct intake *in = arg;
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	const char *al;
	enum lang lang;
	char *path;

	al = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Accept-Language");
	lang = i18n_negotiate(al);
	if ((path = http_path(req)) == NULL) {
		intake_message(in, req, 400, lang, "error.title",
		    "error.not_found");
		return;
	}
	if (method == EVHTTP_REQ_POST) {
		if (strcmp(path, "/tip") == 0)
			upload_start(in, req);
		else if (strcmp(path, "/status") == 0)
			status_start(in, req, lang);
		else
			intake_message(in, req, 405, lang, "error.title",
			    "error.not_found");
		free(path);
		return;
	}
	if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD, POST");
		intake_message(in, req, 405, lang, "error.title",
		    "error.not_found");
		free(path);
		return;
	}
	if (strcmp(path, "/") == 0) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Vary", "Accept-Language");
		intake_form(in, req, lang);
	} else if (strlen(path) == 3 && path[0] == '/' &&
	           i18n_from_code(path + 1, 2, &lang) == 0)
		intake_form(in, req, lang);
	else if (strcmp(path, "/healthz") == 0)
		intake_healthz(in, req);
	else if (strncmp(path, "/static/", 8) == 0)
		intake_static_file(in, req, path + 8, lang);
	else if (strcmp(path, "/status") == 0)
		status_start(in, req, intake_query_lang(req, lang));
	else if (strcmp(path, "/tip") == 0) {
		/* A reload of the answer page: the form is what they want. */
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Location", "/");
		intake_message(in, req, 303, lang, "error.title", "error.back");
	} else
		intake_message(in, req, 404, lang, "error.title",
		    "error.not_found");
	free(path);
}

static void
intake_on_db_notify(void *arg, const char *channel)
{
	(void)arg;
	(void)channel;
}

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

void
intake_init(struct intake *in, struct event_base *base, struct cfg *cfg,
    struct tls *tls, const struct intake_keys *keys)
{
	struct db_pool_opts dbo;
	struct http_opts ho;
	const struct asset *a;
	char err[512];
	uint64_t h = 1469598103934665603ULL;
	size_t i;
	int k;

	memset(in, 0, sizeof(*in));
	in->cfg = cfg;
	in->base = base;
	in->tls = tls;
	for (k = 0; k < LANG_COUNT; k++)
		buf_init(&in->page[k], 0);

	in->tmpl = tmpl_set_new();
	for (a = intake_templates; a->name != NULL; a++) {
		char name[64];

		/* "form.html" is the template "form". */
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(a->name, "."),
		    a->name);
		if (tmpl_add(in->tmpl, name, (const char *)a->data, a->len, err,
		        sizeof(err)) == -1)
			fatalx("%s", err);
	}
	if (tmpl_check(in->tmpl, err, sizeof(err)) == -1)
		fatalx("%s", err);
	/* Static files change only with the binary: one version for all. */
	for (a = intake_static; a->name != NULL; a++)
		for (i = 0; i < a->len; i++)
			h = (h ^ a->data[i]) * 1099511628211ULL;
	snprintf(in->asset_version, sizeof(in->asset_version), "%016llx",
	    (unsigned long long)h);

	memset(&dbo, 0, sizeof(dbo));
	dbo.conninfo = cfg->db_conninfo;
	dbo.user = cfg->intake_db_user;
	dbo.size = (int)cfg->db_pool_size;
	dbo.connect_timeout_ms = cfg->db_connect_timeout_ms;
	dbo.query_timeout_ms = cfg->db_query_timeout_ms;
	dbo.retry_max_ms = cfg->db_retry_max_ms;
	dbo.stmts = db_stmts_intake;
	dbo.nstmts = STMT_INTAKE_COUNT;
	dbo.on_notify = intake_on_db_notify;
	in->db = db_pool_new(base, &dbo);
	memcpy(in->public_key, keys->public_key, sizeof(in->public_key));
	memcpy(in->pepper, keys->pepper, sizeof(in->pepper));
	TAILQ_INIT(&in->stash);
	in->status_tokens = 50;
	in->status_refill_ms = util_now_ms();
	event_assign(&in->stash_timer, base, -1, EV_PERSIST, intake_stash_tick,
	    in);
	{
		struct timeval tv = { 60, 0 };

		event_add(&in->stash_timer, &tv);
	}
	in->tpool = tpool_new(base, (int)cfg->intake_threads);
	event_assign(&in->munis_timer, base, -1, EV_PERSIST, intake_munis_tick,
	    in);
	{
		struct timeval tv = { 0, 500 * 1000 };

		event_add(&in->munis_timer, &tv);
	}

	memset(&ho, 0, sizeof(ho));
	ho.listen = cfg->intake_listen;
	ho.max_header_bytes = cfg->intake_max_header_bytes;
	ho.max_body_bytes = cfg_max_body_bytes(cfg);
	ho.timeout_ms = cfg->intake_timeout_ms;
	ho.max_connections = (int)cfg->intake_max_connections;
	ho.csp = INTAKE_CSP;
	if (http_listen(&in->http, base, tls, &ho, err, sizeof(err)) == -1)
		fatalx("%s", err);
	evhttp_set_gencb(in->http.http, intake_route, in);
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
	http_stop_accepting(&in->http);
	if (in->inflight == 0)
		event_base_loopexit(in->base, NULL);
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
	http_free(&in->http);
	event_del(&in->munis_timer);
	event_del(&in->stash_timer);
	stash_free_all(in);
	sodium_memzero(in->pepper, sizeof(in->pepper));
	tmpl_set_free(in->tmpl);
	for (i = 0; i < in->nmunis; i++)
		for (k = 0; k < LANG_COUNT; k++)
			free(in->munis[i].name[k]);
	free(in->munis);
	for (k = 0; k < LANG_COUNT; k++) {
		free(in->order[k]);
		buf_reset(&in->page[k]);
	}
}
