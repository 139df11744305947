/*
 * Logging in to the console: password (argon2id, checked on the thread
 * pool) and a TOTP code, each code accepted once; enrolment of the TOTP
 * app at the first login; logout; a reviewer's own settings.
 *
 * A failed login says the same thing, after the same work, whether the
 * account exists, is disabled, is slowed down or had a wrong password or
 * code; only the audit log and the account's counter know which.  After
 * [console] lockout_after failures in a row, each further one doubles the
 * time before the account may try again, up to lockout_max; a try within
 * that time is refused unchecked and not counted.  An admin can unlock
 * the account (tiplinectl reviewer unlock).
 *
 * The login form carries a token bound to a random cookie of its own, so
 * that no other site can log a browser in to an account of its choosing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <jansson.h>
#include <sodium.h>

#include "console.h"
#include "cookie.h"
#include "db_stmt.h"
#include "log.h"
#include "passwd.h"
#include "seal.h"
#include "totp.h"

#define LOGIN_NONCE_BYTES 16
#define LOGIN_MAX_USER    64
#define LOGIN_MAX_PASS    512 /* bytes; the policy counts characters */
#define LOGIN_MAX_QUEUED  8   /* password hashes waiting for a thread */

enum login_state {
	LOGIN_S_LOOKUP, /* the account's row */
	LOGIN_S_VERIFY, /* argon2id on the thread pool */
	LOGIN_S_RECORD, /* the code's step and the counters */
	LOGIN_S_SESSION /* the new session's row */
};

struct login {
	struct web_req *wr;
	struct console *co;
	enum login_state state;
	char username[LOGIN_MAX_USER + 1];
	char password[LOGIN_MAX_PASS + 1];
	size_t pwlen;
	char code[16];
	int reviewer; /* 0: no such account */
	char hash[PASSWD_HASH_MAX];
	uint8_t secret[TOTP_SECRET_BYTES];
	bool have_secret;
	bool enrolled;
	long long last_step;
	bool disabled;
	bool locked;
	bool ok;     /* the password matched */
	bool rehash; /* ...and newhash has the configured parameters */
	char newhash[PASSWD_HASH_MAX];
	long long step;
	uint8_t token[CONSOLE_TOKEN_BYTES];
	uint8_t token_hash[32];
	const char *why;  /* for the audit log: our own constants */
	const char *next; /* where to go after the login, or "" */
};

static void
login_free(void *p)
{
	struct login *l = p;

	sodium_memzero(l, sizeof(*l));
	free(l);
}

/* ---- the form ---- */

/* The login form's token: HMAC(per-start key, the cookie's nonce). */
static void
login_csrf(struct console *co, const uint8_t nonce[LOGIN_NONCE_BYTES],
    char out[CONSOLE_CSRF_HEX + 1])
{
	uint8_t mac[32];

	crypto_auth_hmacsha256(mac, nonce, LOGIN_NONCE_BYTES, co->login_key);
	sodium_bin2hex(out, CONSOLE_CSRF_HEX + 1, mac, sizeof(mac));
}

/* Answers with the login form; a new nonce cookie each time.  next: a
 * page to go back to after the login (console_next_ok), or NULL; kept:
 * what was typed into a form the session ended under, shown to copy
 * (it was not saved), or NULL; taken. */
static void
login_page(struct web_req *wr, int status, const char *username,
    const char *problem_id, const char *next, json_t *kept)
{
	struct console *co = console_of(wr);
	uint8_t nonce[LOGIN_NONCE_BYTES];
	char hex[LOGIN_NONCE_BYTES * 2 + 1], csrf[CONSOLE_CSRF_HEX + 1];
	char cookie[160];
	json_t *ctx;

	randombytes_buf(nonce, sizeof(nonce));
	sodium_bin2hex(hex, sizeof(hex), nonce, sizeof(nonce));
	login_csrf(co, nonce, csrf);
	snprintf(cookie, sizeof(cookie),
	    CONSOLE_LOGIN_COOKIE "=%s; Secure; HttpOnly; SameSite=Strict; "
	                         "Path=/",
	    hex);
	web_header(wr, "Set-Cookie", cookie);
	ctx = console_ctx(wr, "console.login.title");
	json_object_set_new(ctx, "csrf", json_string(csrf));
	json_object_set_new(ctx, "username",
	    json_string(username != NULL ? username : ""));
	if (problem_id != NULL)
		json_object_set_new(ctx, "problem",
		    json_string(i18n_get(wr->lang, problem_id)));
	if (next != NULL && next[0] != '\0')
		json_object_set_new(ctx, "next", json_string(next));
	if (kept != NULL && json_array_size(kept) > 0)
		json_object_set_new(ctx, "kept",
		    json_pack("{s:o}", "items", kept));
	else
		json_decref(kept);
	console_page(wr, status, "login", ctx);
}

static void
login_form(struct web_req *wr, int status, const char *username,
    const char *problem_id, const char *next)
{
	login_page(wr, status, username, problem_id, next, NULL);
}

void
console_login_get(struct web_req *wr)
{
	login_form(wr, 200, NULL, NULL, NULL);
}

void
console_login_again(struct web_req *wr)
{
	/* The free texts of the console's forms, as the case page labels
	 * them; choices (outcome, grounds) are quick to make again. */
	static const struct {
		const char *field, *label_id;
	} texts[] = {
		{ "note", "console.case.note" },
		{ "reason", "console.case.reason" },
		{ "other", "console.case.merge_other" },
	};
	struct form f;
	json_t *kept;
	const char *next = "", *v;
	char path[32];
	size_t i;

	rlog_info(wr, "session ended under a form; nothing done");
	/* Its pages are those of no session: no menu, no logout form. */
	if (wr->session_free != NULL)
		wr->session_free(wr->session);
	wr->session = NULL;
	wr->session_free = NULL;
	web_header(wr, "Set-Cookie",
	    CONSOLE_COOKIE "=; Secure; HttpOnly; SameSite=Strict; Path=/; "
	                   "Max-Age=0");
	if (console_form(wr, &f) == -1)
		return;
	if (strncmp(wr->route->path, "/case/", 6) == 0 && wr->args[0] != NULL) {
		snprintf(path, sizeof(path), "/case/%s", wr->args[0]);
		if (console_next_ok(path))
			next = path;
	} else if (console_next_ok(wr->route->path)) {
		next = wr->route->path;
	}
	kept = json_array();
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		v = console_field(wr, &f, texts[i].field);
		if (v[0] != '\0')
			json_array_append_new(kept,
			    json_pack("{s:s, s:s, s:s}", "field",
			        texts[i].field, "label",
			        i18n_get(wr->lang, texts[i].label_id), "text",
			        v));
	}
	login_page(wr, 403, NULL, "console.login.again", next, kept);
}

static bool
login_csrf_ok(struct web_req *wr, const struct form *f)
{
	const char *h = web_in_header(wr, "Cookie"), *errstr;
	const struct form_part *p = form_get(f, "csrf");
	uint8_t nonce[LOGIN_NONCE_BYTES];
	char want[CONSOLE_CSRF_HEX + 1];
	struct span v;
	size_t n;

	if (h == NULL || p == NULL || p->body.len != CONSOLE_CSRF_HEX ||
	    cookie_get(h, strlen(h), CONSOLE_LOGIN_COOKIE, &v, &errstr) != 1 ||
	    sodium_hex2bin(nonce, sizeof(nonce), (const char *)v.p, v.len, NULL,
	        &n, NULL) != 0 ||
	    n != sizeof(nonce))
		return false;
	login_csrf(console_of(wr), nonce, want);
	return sodium_memcmp(want, p->body.p, CONSOLE_CSRF_HEX) == 0;
}

/* ---- the steps ---- */

static void
login_refuse(struct login *l)
{
	struct console *co = l->co;
	struct web_req *wr = l->wr;
	char id[16], after[16], delay[24], max[24];
	const char *values[4];

	rlog_info(wr, "login refused: %s", l->why);
	/* A try refused because of the wait is not a failure: counting it
	 * would make the wait longer for each try, and a reviewer trying
	 * again too soon would never get in. */
	if (l->reviewer > 0 && !l->locked) {
		snprintf(id, sizeof(id), "%d", l->reviewer);
		snprintf(after, sizeof(after), "%lld",
		    co->cfg->console_lockout_after);
		snprintf(delay, sizeof(delay), "%.3f",
		    (double)co->cfg->console_lockout_delay_ms / 1000.0);
		snprintf(max, sizeof(max), "%.3f",
		    (double)co->cfg->console_lockout_max_ms / 1000.0);
		values[0] = id;
		values[1] = after;
		values[2] = delay;
		values[3] = max;
		if (db_send(co->db, STMT_CONSOLE_LOGIN_FAILED, 4, values, NULL,
		        NULL, NULL, NULL) == NULL)
			rlog_warnx(wr, "failed login not counted: no database");
	}
	console_audit(co, l->reviewer, "login_failed", 0,
	    json_pack("{s:s}", "why", l->why), NULL);
	login_form(wr, 403, l->username, "console.login.failed", l->next);
}

static void
login_on_session(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct login *l = wr->data;
	char hex[CONSOLE_TOKEN_BYTES * 2 + 1], cookie[200];

	if (l->state != LOGIN_S_SESSION)
		fatalx("%s: state %d", __func__, l->state);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		rlog_warnx(wr, "session not stored, sqlstate %s",
		    db_sqlstate(res));
		web_error(wr, 503);
		return;
	}
	console_audit(l->co, l->reviewer, "login", 0,
	    json_pack("{s:b}", "enrolling", !l->enrolled), NULL);
	rlog_info(wr, "logged in: reviewer %d", l->reviewer);
	sodium_bin2hex(hex, sizeof(hex), l->token, sizeof(l->token));
	snprintf(cookie, sizeof(cookie),
	    CONSOLE_COOKIE "=%s; Secure; HttpOnly; SameSite=Strict; Path=/",
	    hex);
	sodium_memzero(hex, sizeof(hex));
	web_header(wr, "Set-Cookie", cookie);
	sodium_memzero(cookie, sizeof(cookie));
	web_header(wr, "Set-Cookie",
	    CONSOLE_LOGIN_COOKIE "=; Secure; HttpOnly; SameSite=Strict; "
	                         "Path=/; Max-Age=0");
	web_redirect(wr, !l->enrolled         ? "/enrol"
	                 : l->next[0] != '\0' ? l->next
	                                      : "/");
}

static void
login_on_recorded(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct login *l = wr->data;
	struct console *co = l->co;
	char id[16], life[24];
	const char *values[4];
	int lengths[4] = { 32, 0, 0, 0 }, formats[4] = { 1, 0, 0, 0 };

	if (l->state != LOGIN_S_RECORD)
		fatalx("%s: state %d", __func__, l->state);
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		rlog_warnx(wr, "login not recorded, sqlstate %s",
		    db_sqlstate(res));
		web_error(wr, 503);
		return;
	}
	if (PQntuples(res) != 1) {
		/* The same code used twice at once, or a change under us. */
		l->why = "code already used";
		login_refuse(l);
		return;
	}
	snprintf(id, sizeof(id), "%d", l->reviewer);
	if (l->rehash) {
		values[0] = id;
		values[1] = l->newhash;
		if (db_send(co->db, STMT_CONSOLE_REHASH, 2, values, NULL, NULL,
		        NULL, NULL) == NULL)
			rlog_warnx(wr, "password not rehashed: no database");
	}
	/* A new token at every login. */
	randombytes_buf(l->token, sizeof(l->token));
	console_hash_token(l->token, l->token_hash);
	snprintf(life, sizeof(life), "%lld",
	    co->cfg->console_session_lifetime_ms / 1000);
	values[0] = (const char *)l->token_hash;
	values[1] = id;
	values[2] = l->enrolled ? "full" : "enrol";
	values[3] = life;
	l->state = LOGIN_S_SESSION;
	if (db_send(co->db, STMT_CONSOLE_SESSION_NEW, 4, values, lengths,
	        formats, login_on_session, wr) == NULL)
		login_on_session(wr, NULL);
}

/* On a pool thread: only l's own fields. */
static void
login_verify_work(void *arg)
{
	struct web_req *wr = arg;
	struct login *l = wr->data;
	const struct cfg *cfg = l->co->cfg;
	unsigned long long passes =
	    (unsigned long long)cfg->console_password_passes;
	size_t memory = (size_t)cfg->console_password_memory;

	if (l->reviewer == 0 || l->disabled || l->locked) {
		passwd_burn(passes, memory);
		return;
	}
	l->ok = passwd_verify(l->hash, l->password, l->pwlen);
	if (l->ok && passwd_needs_rehash(l->hash, passes, memory))
		l->rehash = passwd_hash(l->password, l->pwlen, passes, memory,
		                l->newhash) == 0;
}

static void
login_verified(void *arg)
{
	struct web_req *wr = arg;
	struct login *l = wr->data;
	char id[16], step[24];
	const char *values[2];

	if (l->state != LOGIN_S_VERIFY)
		fatalx("%s: state %d", __func__, l->state);
	sodium_memzero(l->password, sizeof(l->password));
	if (l->reviewer == 0 || l->disabled || l->locked || !l->ok) {
		l->why = l->reviewer == 0 ? "unknown account"
		         : l->disabled    ? "disabled"
		         : l->locked      ? "slowed down"
		                          : "wrong password";
		login_refuse(l);
		return;
	}
	snprintf(id, sizeof(id), "%d", l->reviewer);
	values[0] = id;
	l->state = LOGIN_S_RECORD;
	if (!l->enrolled) {
		if (db_send(l->co->db, STMT_CONSOLE_LOGIN_PLAIN, 1, values,
		        NULL, NULL, login_on_recorded, wr) == NULL)
			login_on_recorded(wr, NULL);
		return;
	}
	l->step = l->have_secret ? totp_check(l->secret, sizeof(l->secret),
	                               l->code, time(NULL))
	                         : -1;
	if (l->step < 0 || l->step <= l->last_step) {
		l->why = l->step < 0 ? "wrong code" : "code already used";
		login_refuse(l);
		return;
	}
	snprintf(step, sizeof(step), "%lld", l->step);
	values[1] = step;
	if (db_send(l->co->db, STMT_CONSOLE_LOGIN_TOTP, 2, values, NULL, NULL,
	        login_on_recorded, wr) == NULL)
		login_on_recorded(wr, NULL);
}

/* Opens a sealed bytea (text form) into out; the number of bytes, or -1. */
static ssize_t
console_unseal_bin(struct console *co, const char *hex, uint8_t *out,
    size_t outlen)
{
	uint8_t *plain;
	size_t plen;
	ssize_t rv = -1;

	if ((plain = seal_open_hex(co->keys.public_key, co->keys.secret_key,
	         hex, &plen)) == NULL)
		return -1;
	if (plen <= outlen) {
		memcpy(out, plain, plen);
		rv = (ssize_t)plen;
	}
	util_free_secret(plain, plen);
	return rv;
}

static void
login_on_lookup(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct login *l = wr->data;

	if (l->state != LOGIN_S_LOOKUP)
		fatalx("%s: state %d", __func__, l->state);
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		rlog_warnx(wr, "login lookup failed, sqlstate %s",
		    db_sqlstate(res));
		web_header(wr, "Retry-After", "10");
		login_form(wr, 503, l->username, "console.error.unavailable",
		    l->next);
		return;
	}
	if (PQntuples(res) == 1) {
		l->reviewer = (int)db_ll(res, 0, 0);
		snprintf(l->hash, sizeof(l->hash), "%s", PQgetvalue(res, 0, 1));
		l->have_secret =
		    console_unseal_bin(l->co, PQgetvalue(res, 0, 2), l->secret,
		        sizeof(l->secret)) == TOTP_SECRET_BYTES;
		l->enrolled = PQgetvalue(res, 0, 3)[0] == 't';
		l->last_step = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
		l->disabled = PQgetvalue(res, 0, 5)[0] == 't';
		l->locked = PQgetvalue(res, 0, 6)[0] == 't';
	}
	l->state = LOGIN_S_VERIFY;
	if (tpool_submit(l->co->tpool, login_verify_work, login_verified, wr) ==
	    -1) {
		web_header(wr, "Retry-After", "10");
		login_form(wr, 503, l->username, "console.error.unavailable",
		    l->next);
	}
}

void
console_login_post(struct web_req *wr)
{
	struct console *co = console_of(wr);
	const struct form_part *u, *p, *c;
	const char *values[1], *next;
	struct login *l;
	struct form f;
	size_t i, j;

	if (console_form(wr, &f) == -1)
		return;
	u = form_get(&f, "username");
	next = console_field(wr, &f, "next");
	if (!console_next_ok(next))
		next = "";
	if (!login_csrf_ok(wr, &f)) {
		login_form(wr, 403,
		    u != NULL && u->body.len <= LOGIN_MAX_USER
		        ? console_field(wr, &f, "username")
		        : "",
		    "console.login.expired", next);
		return;
	}
	/* Hashing takes the pool's threads for a fifth of a second each:
	 * past a short backlog, say "busy" at once rather than make every
	 * login (and everything else) wait. */
	if (tpool_pending(co->tpool) >= LOGIN_MAX_QUEUED) {
		rlog_info(wr, "login refused: %d hashes waiting",
		    tpool_pending(co->tpool));
		web_header(wr, "Retry-After", "5");
		login_form(wr, 503,
		    u != NULL && u->body.len <= LOGIN_MAX_USER
		        ? console_field(wr, &f, "username")
		        : "",
		    "console.login.busy", next);
		return;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		web_error(wr, 503);
		return;
	}
	wr->data = l;
	wr->data_free = login_free;
	l->wr = wr;
	l->co = co;
	l->state = LOGIN_S_LOOKUP;
	l->next = next;
	p = form_get(&f, "password");
	c = form_get(&f, "totp");
	if (u == NULL || u->body.len == 0 || u->body.len > LOGIN_MAX_USER ||
	    p == NULL || p->body.len == 0 || p->body.len > LOGIN_MAX_PASS) {
		login_form(wr, 422,
		    u != NULL && u->body.len <= LOGIN_MAX_USER
		        ? console_field(wr, &f, "username")
		        : "",
		    "console.login.missing", next);
		return;
	}
	/* Usernames are lower case; people type them as they like. */
	for (i = 0; i < u->body.len; i++) {
		char ch = (char)u->body.p[i];

		l->username[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
	}
	memcpy(l->password, p->body.p, p->body.len);
	l->pwlen = p->body.len;
	/* The code as apps show it, "123 456": digits only. */
	for (i = j = 0; c != NULL && i < c->body.len && j + 1 < sizeof(l->code);
	     i++)
		if (c->body.p[i] >= '0' && c->body.p[i] <= '9')
			l->code[j++] = (char)c->body.p[i];
	values[0] = l->username;
	if (db_send(co->db, STMT_CONSOLE_LOGIN_LOOKUP, 1, values, NULL, NULL,
	        login_on_lookup, wr) == NULL)
		login_on_lookup(wr, NULL);
}

/* ---- enrolment of the TOTP app ---- */

struct enrol {
	bool post;
	bool qr; /* the QR code's picture, not the page */
	char code[16];
	uint8_t secret[TOTP_SECRET_BYTES];
	long long step;
};

static void
enrol_page(struct web_req *wr, int status, const uint8_t *secret,
    const char *problem_id)
{
	struct console_session *s = console_sess(wr);
	char b32[TOTP_BASE32_MAX], grouped[TOTP_BASE32_MAX * 2];
	json_t *ctx;
	size_t i, j;

	(void)s;
	if (totp_base32(secret, TOTP_SECRET_BYTES, b32, sizeof(b32)) == -1) {
		web_error(wr, 500);
		return;
	}
	/* "ABCD EFGH ...": easier to type from the screen. */
	for (i = j = 0; b32[i] != '\0'; i++) {
		if (i > 0 && i % 4 == 0)
			grouped[j++] = ' ';
		grouped[j++] = b32[i];
	}
	grouped[j] = '\0';
	ctx = console_ctx(wr, "console.enrol.title");
	json_object_set_new(ctx, "secret", json_string(grouped));
	json_object_set_new(ctx, "username", json_string(s->username));
	if (problem_id != NULL)
		json_object_set_new(ctx, "problem",
		    json_string(i18n_get(wr->lang, problem_id)));
	sodium_memzero(b32, sizeof(b32));
	sodium_memzero(grouped, sizeof(grouped));
	console_page(wr, status, "enrol", ctx);
}

/* The QR code of the otpauth: URI, as a picture of its own (the page's
 * templates only ever escape). */
static void
enrol_qr(struct web_req *wr, const uint8_t *secret)
{
	struct console_session *s = console_sess(wr);
	struct evbuffer *body;
	char uri[512], *svg;

	if (totp_uri(secret, TOTP_SECRET_BYTES, s->username, uri,
	        sizeof(uri)) == -1 ||
	    (svg = totp_qr_svg(uri, i18n_get(wr->lang, "console.enrol.qr"))) ==
	        NULL) {
		sodium_memzero(uri, sizeof(uri));
		web_error(wr, 500);
		return;
	}
	sodium_memzero(uri, sizeof(uri));
	if ((body = evbuffer_new()) == NULL) {
		free(svg);
		web_error(wr, 503);
		return;
	}
	evbuffer_add(body, svg, strlen(svg));
	sodium_memzero(svg, strlen(svg));
	free(svg);
	web_header(wr, "Content-Type", "image/svg+xml");
	web_header(wr, "Content-Disposition", "inline");
	web_send(wr, 200, body);
	evbuffer_free(body);
}

static void
enrol_on_done(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct console_session *s = console_sess(wr);

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		rlog_warnx(wr, "enrolment not stored, sqlstate %s",
		    db_sqlstate(res));
		web_error(wr, 503);
		return;
	}
	if (PQntuples(res) != 1) {
		web_redirect(wr, "/login");
		return;
	}
	console_audit(console_of(wr), s->reviewer, "totp_enrolled", 0, NULL,
	    NULL);
	web_redirect(wr, "/");
}

static void
enrol_on_secret(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct console_session *s = console_sess(wr);
	struct enrol *e = wr->data;
	char id[16], step[24];
	const char *values[3];
	int lengths[3] = { 0, 0, 32 }, formats[3] = { 0, 0, 1 };

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK ||
	    PQntuples(res) != 1) {
		web_error(wr, 503);
		return;
	}
	if (PQgetvalue(res, 0, 1)[0] == 't') {
		/* Enrolled in another session meanwhile: log in again. */
		web_redirect(wr, "/login");
		return;
	}
	if (console_unseal_bin(console_of(wr), PQgetvalue(res, 0, 0), e->secret,
	        sizeof(e->secret)) != TOTP_SECRET_BYTES) {
		rlog_warnx(wr, "TOTP secret does not open with our key");
		web_error(wr, 500);
		return;
	}
	if (e->qr) {
		enrol_qr(wr, e->secret);
		return;
	}
	if (!e->post) {
		enrol_page(wr, 200, e->secret, NULL);
		return;
	}
	e->step = totp_check(e->secret, sizeof(e->secret), e->code, time(NULL));
	if (e->step < 0) {
		enrol_page(wr, 422, e->secret, "console.enrol.wrong");
		return;
	}
	snprintf(id, sizeof(id), "%d", s->reviewer);
	snprintf(step, sizeof(step), "%lld", e->step);
	values[0] = id;
	values[1] = step;
	values[2] = (const char *)s->token_hash;
	if (db_send(console_of(wr)->db, STMT_CONSOLE_ENROL, 3, values, lengths,
	        formats, enrol_on_done, wr) == NULL)
		enrol_on_done(wr, NULL);
}

static void
enrol_free(void *p)
{
	struct enrol *e = p;

	sodium_memzero(e, sizeof(*e));
	free(e);
}

static void
enrol_start(struct web_req *wr, bool post, bool qr)
{
	struct console_session *s = console_sess(wr);
	const struct form_part *c;
	struct enrol *e;
	struct form f;
	char id[16];
	const char *values[1];
	size_t i, j;

	if (!s->enrolling) {
		web_redirect(wr, "/");
		return;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		web_error(wr, 503);
		return;
	}
	wr->data = e;
	wr->data_free = enrol_free;
	e->post = post;
	e->qr = qr;
	if (post) {
		if (console_form(wr, &f) == -1)
			return;
		c = form_get(&f, "totp");
		for (i = j = 0;
		     c != NULL && i < c->body.len && j + 1 < sizeof(e->code);
		     i++)
			if (c->body.p[i] >= '0' && c->body.p[i] <= '9')
				e->code[j++] = (char)c->body.p[i];
	}
	snprintf(id, sizeof(id), "%d", s->reviewer);
	values[0] = id;
	if (db_send(console_of(wr)->db, STMT_CONSOLE_TOTP_SECRET, 1, values,
	        NULL, NULL, enrol_on_secret, wr) == NULL)
		enrol_on_secret(wr, NULL);
}

void
console_enrol_get(struct web_req *wr)
{
	enrol_start(wr, false, false);
}

void
console_enrol_qr(struct web_req *wr)
{
	enrol_start(wr, false, true);
}

void
console_enrol_post(struct web_req *wr)
{
	enrol_start(wr, true, false);
}

/* ---- logout, settings, other sessions ---- */

static void
logout_on_done(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct console_session *s = console_sess(wr);

	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		web_error(wr, 503);
		return;
	}
	console_audit(console_of(wr), s->reviewer, "logout", 0, NULL, NULL);
	web_header(wr, "Set-Cookie",
	    CONSOLE_COOKIE "=; Secure; HttpOnly; SameSite=Strict; Path=/; "
	                   "Max-Age=0");
	web_redirect(wr, "/login");
}

void
console_logout(struct web_req *wr)
{
	struct console_session *s = console_sess(wr);
	const char *values[1] = { (const char *)s->token_hash };
	int lengths[1] = { 32 }, formats[1] = { 1 };

	if (db_send(console_of(wr)->db, STMT_CONSOLE_SESSION_END, 1, values,
	        lengths, formats, logout_on_done, wr) == NULL)
		logout_on_done(wr, NULL);
}

static void
settings_page(struct web_req *wr, int status, bool reveal,
    const char *notice_id, const char *problem_id)
{
	json_t *ctx = console_ctx(wr, "console.settings.title");

	json_object_set_new(ctx, "reveal", json_boolean(reveal));
	if (notice_id != NULL)
		json_object_set_new(ctx, "notice",
		    json_string(i18n_get(wr->lang, notice_id)));
	if (problem_id != NULL)
		json_object_set_new(ctx, "problem",
		    json_string(i18n_get(wr->lang, problem_id)));
	console_page(wr, status, "settings", ctx);
}

void
console_settings_get(struct web_req *wr)
{
	const char *done = web_query(wr, "done");

	settings_page(wr, 200, console_sess(wr)->reveal_images,
	    done == NULL                 ? NULL
	    : strcmp(done, "saved") == 0 ? "console.settings.saved"
	    : strcmp(done, "ended") == 0 ? "console.settings.ended"
	                                 : NULL,
	    NULL);
}

void
console_settings_refused(struct web_req *wr)
{
	struct form f;

	if (console_form(wr, &f) == -1)
		return;
	settings_page(wr, 403,
	    strcmp(console_field(wr, &f, "reveal"), "1") == 0, NULL,
	    "console.error.refused");
}

static void
settings_on_done(void *arg, PGresult *res)
{
	struct web_req *wr = arg;

	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		web_error(wr, 503);
		return;
	}
	web_redirect(wr, "/settings?done=saved");
}

void
console_settings_post(struct web_req *wr)
{
	struct console_session *s = console_sess(wr);
	const char *values[2];
	struct form f;
	char id[16];

	if (console_form(wr, &f) == -1)
		return;
	snprintf(id, sizeof(id), "%d", s->reviewer);
	values[0] = id;
	values[1] = strcmp(console_field(wr, &f, "reveal"), "1") == 0 ? "true"
	                                                              : "false";
	if (db_send(console_of(wr)->db, STMT_CONSOLE_SETTINGS, 2, values, NULL,
	        NULL, settings_on_done, wr) == NULL)
		settings_on_done(wr, NULL);
}

static void
sessions_on_ended(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct console_session *s = console_sess(wr);

	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		web_error(wr, 503);
		return;
	}
	console_audit(console_of(wr), s->reviewer, "sessions_ended", 0,
	    json_pack("{s:i}", "ended",
	        (int)strtol(PQcmdTuples(res), NULL, 10)),
	    NULL);
	web_redirect(wr, "/settings?done=ended");
}

void
console_sessions_end(struct web_req *wr)
{
	struct console_session *s = console_sess(wr);
	const char *values[2];
	int lengths[2] = { 0, 32 }, formats[2] = { 0, 1 };
	char id[16];

	snprintf(id, sizeof(id), "%d", s->reviewer);
	values[0] = id;
	values[1] = (const char *)s->token_hash;
	if (db_send(console_of(wr)->db, STMT_CONSOLE_SESSION_END_OTHERS, 2,
	        values, lengths, formats, sessions_on_ended, wr) == NULL)
		sessions_on_ended(wr, NULL);
}
