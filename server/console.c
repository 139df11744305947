/*
 * tipline-console's routes, its session gate and what its pages share.
 *
 * Every route is in console_routes[] with what it needs: a session, a
 * CSRF token, the roles allowed.  The gate (console_gate) reads the
 * session cookie, looks the token's hash up in one statement that also
 * checks the idle timeout, the absolute lifetime, a disabled account and
 * a credential reset (and marks the session as seen), then checks the
 * route's roles and the form's CSRF token before the handler runs.  A
 * handler therefore never sees a request it should not answer; the SQL
 * of each case page and action checks the department again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>
#include <jansson.h>
#include <sodium.h>

#include "console.h"
#include "cookie.h"
#include "daemon.h"
#include "db_stmt.h"
#include "log.h"
#include "seal.h"
#include "text.h"

extern const struct asset console_templates[];
extern const struct asset console_static[];

static void console_static_file(struct web_req *);
static void console_healthz(struct web_req *);

static const struct web_route console_routes[] = {
	{ WEB_GET, "/login", console_login_get, 0, 0 },
	{ WEB_POST, "/login", console_login_post, 0, 0 },
	{ WEB_GET, "/enrol", console_enrol_get, WEB_SESSION | WEB_ENROL, 0 },
	{ WEB_GET, "/enrol/qr.svg", console_enrol_qr, WEB_SESSION | WEB_ENROL,
	    0 },
	{ WEB_POST, "/enrol", console_enrol_post,
	    WEB_SESSION | WEB_ENROL | WEB_CSRF, 0 },
	{ WEB_POST, "/logout", console_logout,
	    WEB_SESSION | WEB_ENROL | WEB_CSRF, 0 },
	{ WEB_GET, "/", console_home, WEB_SESSION, 0 },
	{ WEB_GET, "/settings", console_settings_get, WEB_SESSION, 0 },
	{ WEB_POST, "/settings", console_settings_post, WEB_SESSION | WEB_CSRF,
	    0 },
	{ WEB_POST, "/sessions/end-others", console_sessions_end,
	    WEB_SESSION | WEB_CSRF, 0 },
	{ WEB_GET, "/search", console_search, WEB_SESSION, ROLE_CASES },
	{ WEB_GET, "/case/*", console_case_get, WEB_SESSION | WEB_PATTERN,
	    ROLE_CASES },
	{ WEB_GET, "/case/*/shot/*/*", console_shot_get,
	    WEB_SESSION | WEB_PATTERN, ROLE_CASES },
	{ WEB_GET, "/case/*/notice", console_notice_get,
	    WEB_SESSION | WEB_PATTERN, ROLE_CASES },
	{ WEB_GET, "/case/*/notice.txt", console_notice_text,
	    WEB_SESSION | WEB_PATTERN, ROLE_CASES },
	{ WEB_POST, "/case/*/*", console_case_post,
	    WEB_SESSION | WEB_PATTERN | WEB_CSRF, ROLE_CASES },
	{ WEB_GET, "/stats", console_stats_get, WEB_SESSION, ROLE_CASES },
	{ WEB_GET, "/stats.csv", console_stats_csv, WEB_SESSION, ROLE_CASES },
	{ WEB_GET, "/stats.json", console_stats_json, WEB_SESSION, ROLE_CASES },
	{ WEB_GET, "/stats/bars.svg", console_stats_bars, WEB_SESSION,
	    ROLE_CASES },
	{ WEB_GET, "/stats/line.svg", console_stats_line, WEB_SESSION,
	    ROLE_CASES },
	{ WEB_GET, "/static/", console_static_file, WEB_PREFIX, 0 },
	{ WEB_GET, "/healthz", console_healthz, 0, 0 },
	{ 0, NULL, NULL, 0, 0 },
};

void
console_print_routes(void)
{
	const struct web_route *r;

	for (r = console_routes; r->path != NULL; r++)
		printf("%s%s %s%s%s%s%s%s%s\n",
		    r->methods & WEB_GET ? "GET" : "",
		    r->methods & WEB_POST ? "POST" : "", r->path,
		    r->flags & WEB_SESSION ? " session" : " public",
		    r->flags & WEB_CSRF ? " csrf" : "",
		    r->flags & WEB_ENROL ? " enrol" : "",
		    r->roles & ROLE_OFFICER ? " officer" : "",
		    r->roles & ROLE_NATIONAL ? " national" : "",
		    r->roles & ROLE_ADMIN ? " admin" : "");
}

void
console_hash_token(const uint8_t *token, uint8_t out[32])
{
	crypto_hash_sha256(out, token, CONSOLE_TOKEN_BYTES);
}

/* ---- pages ---- */

json_t *
console_ctx(struct web_req *wr, const char *title_id)
{
	struct console *co = console_of(wr);
	struct console_session *s = console_sess(wr);
	json_t *ctx;

	ctx = page_ctx(&co->pages, wr->lang, i18n_get(wr->lang, title_id));
	if (s != NULL && !s->enrolling) {
		json_object_set_new(ctx, "me",
		    json_pack("{s:s, s:s, s:s, s:b, s:b}", "name", s->name,
		        "username", s->username, "department",
		        s->department_name, "cases",
		        (s->role & ROLE_CASES) != 0, "admin",
		        s->role == ROLE_ADMIN));
	}
	if (s != NULL)
		json_object_set_new(ctx, "csrf", json_string(s->csrf));
	return ctx;
}

void
console_page(struct web_req *wr, int status, const char *tmpl, json_t *ctx)
{
	page_reply(&console_of(wr)->pages, wr, status, tmpl, ctx);
}

void
console_message(struct web_req *wr, int status, const char *msg_id)
{
	json_t *ctx = console_ctx(wr, "console.error.title");

	json_object_set_new(ctx, "message",
	    json_string(i18n_get(wr->lang, msg_id)));
	console_page(wr, status, "message", ctx);
}

static void
console_error(struct web_req *wr, int status)
{
	switch (status) {
	case 400:
		console_message(wr, status, "console.error.bad_request");
		break;
	case 403:
		console_message(wr, status, "console.error.forbidden");
		break;
	case 404:
		console_message(wr, status, "console.error.not_found");
		break;
	case 405:
		console_message(wr, status, "console.error.method");
		break;
	default:
		console_message(wr, status, "console.error.unavailable");
		break;
	}
}

static void
console_static_file(struct web_req *wr)
{
	page_static(&console_of(wr)->pages, wr, wr->path + strlen("/static/"));
}

static void
console_on_ping(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	bool ok = res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK;

	web_send_text(wr, ok ? 200 : 503, ok ? "ok" : "database unavailable");
}

static void
console_healthz(struct web_req *wr)
{
	if (db_send(console_of(wr)->db, STMT_CONSOLE_PING, 0, NULL, NULL, NULL,
	        console_on_ping, wr) == NULL)
		console_on_ping(wr, NULL);
}

/* ---- forms, times, sealed text ---- */

int
console_form(struct web_req *wr, struct form *f)
{
	struct form_limits lim = { 64, 1024 };
	const char *errstr;
	const uint8_t *body;
	size_t len;

	body = web_body(wr, &len);
	if (form_parse_urlencoded(body, len, &lim, &wr->arena, f, &errstr) <
	    0) {
		rlog_info(wr, "bad form: %s", errstr);
		web_error(wr, 400);
		return -1;
	}
	return 0;
}

const char *
console_field(struct web_req *wr, const struct form *f, const char *name)
{
	const struct form_part *p = form_get(f, name);
	const char *s;

	if (p == NULL)
		return "";
	s = arena_strndup(&wr->arena, p->body.p, p->body.len);
	return s != NULL ? s : "";
}

bool
console_next_ok(const char *path)
{
	size_t n;

	if (strcmp(path, "/") == 0 || strcmp(path, "/settings") == 0)
		return true;
	if (strncmp(path, "/case/", 6) != 0)
		return false;
	n = strspn(path + 6, "0123456789");
	return n >= 1 && n <= 18 && path[6 + n] == '\0';
}

void
console_format_time(const char *iso, char *out, size_t len)
{
	struct tm tm;
	time_t t;
	int y, mo, d, h, mi;

	/* The database answers in UTC ("2026-11-24 12:05:00+00"). */
	if (sscanf(iso, "%d-%d-%d %d:%d", &y, &mo, &d, &h, &mi) != 5) {
		snprintf(out, len, "%s", iso);
		return;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	t = timegm(&tm);
	localtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%d %H:%M", &tm);
}

const char *
console_unseal_text(struct web_req *wr, const char *hex)
{
	struct console *co = console_of(wr);
	uint8_t *plain;
	size_t plen;
	char *out = NULL;

	if ((plain = seal_open_hex(co->keys.public_key, co->keys.secret_key,
	         hex, &plen)) != NULL) {
		out = arena_strndup(&wr->arena, plain, plen);
		util_free_secret(plain, plen);
	}
	return out != NULL ? out : "";
}

const char *
console_excerpt_of(struct web_req *wr, const char *text)
{
	const char *out = NULL;
	struct buf b;

	buf_init(&b, 0);
	text_excerpt(text, strlen(text), TEXT_EXCERPT, &b);
	if (!b.err)
		out = arena_strndup(&wr->arena, b.p != NULL ? (char *)b.p : "",
		    b.len);
	buf_reset(&b);
	return out != NULL ? out : "";
}

const char *
console_excerpt(struct web_req *wr, const char *excerpt_hex,
    const char *sealed_hex)
{
	struct console *co = console_of(wr);
	uint8_t *plain;
	size_t plen;
	const char *out = NULL;

	if (excerpt_hex[0] == '\0')
		return console_excerpt_of(wr,
		    console_unseal_text(wr, sealed_hex));
	if ((plain = seal_secret_open_hex(co->keys.excerpt_key, excerpt_hex,
	         &plen)) != NULL) {
		out = arena_strndup(&wr->arena, plain, plen);
		util_free_secret(plain, plen);
	}
	return out != NULL ? out : "";
}

/* ---- the audit log ---- */

static void
console_on_audit(void *arg, PGresult *res)
{
	(void)arg;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK)
		log_warnx("audit append failed, sqlstate %s", db_sqlstate(res));
}

void
console_audit(struct console *co, int reviewer, const char *action,
    long long case_id, json_t *detail, const char *sealed_text)
{
	char rev[16], cid[24], *det = NULL;
	const char *values[5];
	int lengths[5], formats[5] = { 0, 0, 0, 0, 1 };
	uint8_t *sealed = NULL;
	size_t slen = 0;

	snprintf(rev, sizeof(rev), "%d", reviewer);
	snprintf(cid, sizeof(cid), "%lld", case_id);
	if (detail != NULL) {
		det = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(detail);
	}
	if (sealed_text != NULL) {
		slen = strlen(sealed_text);
		sealed = seal_box(co->keys.public_key, sealed_text, slen);
		slen += SEAL_OVERHEAD;
	}
	values[0] = reviewer > 0 ? rev : NULL;
	values[1] = action;
	values[2] = case_id > 0 ? cid : NULL;
	values[3] = det;
	values[4] = (const char *)sealed;
	lengths[4] = (int)slen;
	if (db_send(co->db, STMT_CONSOLE_AUDIT, 5, values, lengths, formats,
	        console_on_audit, co) == NULL)
		log_warnx("audit append failed: no database");
	free(det);
	if (sealed != NULL)
		util_free_secret(sealed, slen);
}

/* ---- the gate ---- */

static void
console_session_free(void *p)
{
	struct console_session *s = p;

	sodium_memzero(s, sizeof(*s));
	free(s);
}

static void
console_to_login(struct web_req *wr)
{
	web_header(wr, "Set-Cookie",
	    CONSOLE_COOKIE "=; Secure; HttpOnly; SameSite=Strict; Path=/; "
	                   "Max-Age=0");
	web_redirect(wr, "/login");
}

static void
console_on_session(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct console *co = console_of(wr);
	struct console_session *s = wr->session;
	const struct form_part *p;
	struct form f;
	const char *role;
	uint8_t mac[32];

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		rlog_warnx(wr, "session lookup failed, sqlstate %s",
		    db_sqlstate(res));
		web_header(wr, "Retry-After", "10");
		web_error(wr, 503);
		return;
	}
	if (PQntuples(res) != 1) {
		/* The session ended (idle, or signed out elsewhere) while a
		 * form was being filled in: nothing is done, but what was
		 * typed is not lost. */
		if ((wr->route->flags & WEB_CSRF) &&
		    wr->route->fn != console_logout)
			console_login_again(wr);
		else
			console_to_login(wr);
		return;
	}
	s->reviewer = (int)db_ll(res, 0, 0);
	snprintf(s->username, sizeof(s->username), "%s", PQgetvalue(res, 0, 1));
	snprintf(s->name, sizeof(s->name), "%s", PQgetvalue(res, 0, 2));
	role = PQgetvalue(res, 0, 3);
	s->role = strcmp(role, "officer") == 0    ? ROLE_OFFICER
	          : strcmp(role, "national") == 0 ? ROLE_NATIONAL
	                                          : ROLE_ADMIN;
	s->department = (int)db_ll(res, 0, 4);
	s->enrolling = strcmp(PQgetvalue(res, 0, 5), "enrol") == 0;
	s->reveal_images = PQgetvalue(res, 0, 6)[0] == 't';
	snprintf(s->department_name, sizeof(s->department_name), "%s",
	    PQgetvalue(res, 0, 7 + (int)wr->lang));
	/* The form's token: derived from the session's secret token, so
	 * only the session's own pages can carry it. */
	crypto_auth_hmacsha256(mac, (const uint8_t *)"csrf", 4, s->token);
	sodium_bin2hex(s->csrf, sizeof(s->csrf), mac, sizeof(mac));

	if (s->enrolling && !(wr->route->flags & WEB_ENROL)) {
		web_redirect(wr, "/enrol");
		return;
	}
	if (wr->route->roles != 0 && !(wr->route->roles & s->role)) {
		rlog_info(wr, "refused: role");
		console_audit(co, s->reviewer, "denied", 0,
		    json_pack("{s:s}", "route", wr->route->path), NULL);
		web_error(wr, 403);
		return;
	}
	if (wr->route->flags & WEB_CSRF) {
		if (console_form(wr, &f) == -1)
			return;
		p = form_get(&f, "csrf");
		if (p == NULL || p->body.len != CONSOLE_CSRF_HEX ||
		    sodium_memcmp(p->body.p, s->csrf, CONSOLE_CSRF_HEX) != 0) {
			/* A form from a page of an earlier session of this
			 * browser: shown again with what was typed. */
			rlog_info(wr, "refused: CSRF token");
			if (wr->route->fn == console_case_post)
				console_case_refused(wr);
			else if (wr->route->fn == console_settings_post)
				console_settings_refused(wr);
			else
				console_message(wr, 403, "console.error.csrf");
			return;
		}
	}
	web_run(wr);
}

static void
console_gate(struct web_req *wr)
{
	struct console *co = console_of(wr);
	struct console_session *s;
	const char *h = web_in_header(wr, "Cookie"), *errstr;
	char idle[24];
	const char *values[2];
	int lengths[2] = { 32, 0 }, formats[2] = { 1, 0 };
	struct span v;
	size_t n;

	if (h == NULL ||
	    cookie_get(h, strlen(h), CONSOLE_COOKIE, &v, &errstr) != 1 ||
	    v.len != CONSOLE_TOKEN_BYTES * 2) {
		console_to_login(wr);
		return;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		web_error(wr, 503);
		return;
	}
	wr->session = s;
	wr->session_free = console_session_free;
	if (sodium_hex2bin(s->token, sizeof(s->token), (const char *)v.p, v.len,
	        NULL, &n, NULL) != 0 ||
	    n != CONSOLE_TOKEN_BYTES) {
		console_to_login(wr);
		return;
	}
	console_hash_token(s->token, s->token_hash);
	snprintf(idle, sizeof(idle), "%lld",
	    co->cfg->console_session_idle_ms / 1000);
	values[0] = (const char *)s->token_hash;
	values[1] = idle;
	if (db_send(co->db, STMT_CONSOLE_SESSION, 2, values, lengths, formats,
	        console_on_session, wr) == NULL)
		console_on_session(wr, NULL);
}

/* ---- the chain's head, written out of the database ---- */

static void
console_on_audit_head(void *arg, PGresult *res)
{
	struct console *co = arg;
	const char *id, *hash;
	char head[sizeof(co->audit_head)];
	FILE *f;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK ||
	    PQntuples(res) != 1)
		return;
	id = PQgetvalue(res, 0, 0);
	hash = PQgetvalue(res, 0, 1);
	/* Only a new head: a quiet night is not a page of log lines. */
	snprintf(head, sizeof(head), "%s %s", id, hash);
	if (strcmp(head, co->audit_head) == 0)
		return;
	snprintf(co->audit_head, sizeof(co->audit_head), "%s", head);
	log_info("audit-head %s", head);
	if (co->cfg->console_audit_head_file[0] == '\0')
		return;
	/* Not written: tried again at the next tick. */
	if ((f = fopen(co->cfg->console_audit_head_file, "a")) == NULL) {
		log_warn("%s", co->cfg->console_audit_head_file);
		co->audit_head[0] = '\0';
		return;
	}
	fprintf(f, "audit-head %s\n", head);
	if (fclose(f) == EOF) {
		log_warn("%s", co->cfg->console_audit_head_file);
		co->audit_head[0] = '\0';
	}
}

static void
console_audit_tick(evutil_socket_t fd, short what, void *arg)
{
	struct console *co = arg;

	(void)fd;
	(void)what;
	if (db_send(co->db, STMT_CONSOLE_AUDIT_HEAD, 0, NULL, NULL, NULL,
	        console_on_audit_head, co) == NULL)
		log_warnx("audit head not written: no database");
}

/* ---- life ---- */

void
console_init(struct console *co, struct event_base *base, struct cfg *cfg,
    struct tls *tls, const struct console_keys *keys)
{
	struct db_pool_opts dbo;
	struct web_opts wo;
	struct timeval tv;
	char err[512];

	memset(co, 0, sizeof(*co));
	co->cfg = cfg;
	co->base = base;
	co->tls = tls;
	co->keys = *keys;
	seal_subkey(co->keys.secret_key, SEAL_CTX_EXCERPT,
	    co->keys.excerpt_key);
	randombytes_buf(co->login_key, sizeof(co->login_key));
	page_init(&co->pages, console_templates, console_static);

	daemon_db_opts(&dbo, cfg, cfg->console_db_user, db_stmts_console,
	    STMT_CONSOLE_COUNT);
	co->db = db_pool_new(base, &dbo);
	/* Hashing takes a fifth of a second a login: at nice 10, so that
	 * pages keep their pace while logins queue; opening a case's boxes
	 * is what a page waits for, at normal priority. */
	co->tpool = tpool_new_nice(base, (int)cfg->console_threads, 10);
	co->open_pool = tpool_new(base, (int)cfg->console_threads);
	event_assign(&co->audit_timer, base, -1, EV_PERSIST, console_audit_tick,
	    co);
	tv.tv_sec = cfg->console_audit_head_every_ms / 1000;
	tv.tv_usec = (cfg->console_audit_head_every_ms % 1000) * 1000;
	event_add(&co->audit_timer, &tv);

	memset(&wo, 0, sizeof(wo));
	wo.http.listen = cfg->console_listen;
	wo.http.max_header_bytes = cfg->console_max_header_bytes;
	wo.http.max_body_bytes = 256 << 10;
	wo.http.timeout_ms = cfg->console_timeout_ms;
	wo.http.max_connections = (int)cfg->console_max_connections;
	/* Officers may all come through one address (the police network's
	 * NAT or VPN): no share per client on the console. */
	wo.http.max_per_client = (int)cfg->console_max_connections;
	wo.http.csp = WEB_CSP;
	wo.routes = console_routes;
	wo.nlangs = LANG_STAFF_COUNT;
	wo.gate = console_gate;
	wo.error = console_error;
	wo.app = co;
	if (web_init(&co->web, base, tls, &wo, err, sizeof(err)) == -1)
		fatalx("%s", err);
	log_info("listening on %s", cfg->console_listen);
}

void
console_reload(struct console *co)
{
	char err[512];

	if (tls_reload(co->tls, err, sizeof(err)) == -1)
		log_warnx("certificate not reloaded: %s", err);
	else
		log_info("certificate reloaded");
}

void
console_stop(struct console *co)
{
	co->stopping = true;
	web_stop(&co->web);
}

void
console_free(struct console *co)
{
	tpool_free(co->tpool);
	tpool_free(co->open_pool);
	db_pool_free(co->db);
	web_free(&co->web);
	event_del(&co->audit_timer);
	page_free(&co->pages);
	sodium_memzero(&co->keys, sizeof(co->keys));
	sodium_memzero(co->login_key, sizeof(co->login_key));
}
