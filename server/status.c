/*
 * /status: a tipster enters the receipt code and sees that the tip
 * arrived, the hour it arrived and its state.  A code is looked up only by
 * HMAC(pepper, code) through tip_status(); a right and a wrong code take
 * the same path (one query, one page) and the stored hash is compared in
 * constant time.  Lookups share one token bucket for the whole daemon
 * (there is no per-client limit: the daemon does not know who asks), which
 * with 85-bit codes makes guessing hopeless.  Codes are accepted by POST
 * only, so they stay out of URLs and browser history.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <sodium.h>

#include "arena.h"
#include "db_stmt.h"
#include "form.h"
#include "intake.h"
#include "log.h"
#include "receipt.h"
#include "status.h"
#include "text.h"

#define STATUS_BUCKET_MAX   50 /* lookups in a burst */
#define STATUS_BUCKET_PER_S 20 /* lookups a second, sustained */
#define STATUS_TYPED_MAX    64

struct status_req {
	struct intake *in;
	struct web_req *wr;
	uint64_t id;
	enum lang lang;
	uint8_t hash[RECEIPT_HASH_LEN];
	char typed[STATUS_TYPED_MAX + 1];
};

static void
status_page(struct intake *in, struct web_req *wr, enum lang lang, int code,
    json_t *extra)
{
	json_t *ctx;

	wr->lang = lang;
	ctx = page_ctx(&in->pages, lang, i18n_get(lang, "status.title"));
	if (extra != NULL)
		json_object_update(ctx, extra);
	page_reply(&in->pages, wr, code, "status", ctx);
}

static bool
status_take_token(struct intake *in)
{
	uint64_t now = util_now_ms();
	double add;

	add =
	    (double)(now - in->status_refill_ms) * STATUS_BUCKET_PER_S / 1000.0;
	in->status_tokens += add;
	if (in->status_tokens > STATUS_BUCKET_MAX)
		in->status_tokens = STATUS_BUCKET_MAX;
	in->status_refill_ms = now;
	if (in->status_tokens < 1.0)
		return false;
	in->status_tokens -= 1.0;
	return true;
}

/* "2026-11-24 14" as the tipster's language writes an hour. */
static void
status_format_hour(const char *iso, enum lang lang, char *out, size_t len)
{
	int y, m, d, h;

	if (sscanf(iso, "%d-%d-%d %d", &y, &m, &d, &h) != 4) {
		snprintf(out, len, "%s", iso);
		return;
	}
	switch (lang) {
	case LANG_FI:
		snprintf(out, len, "%d.%d.%d klo %02d.00–%02d.59", d, m, y, h,
		    h);
		break;
	case LANG_SV:
		snprintf(out, len, "%d.%d.%d kl. %02d.00–%02d.59", d, m, y, h,
		    h);
		break;
	case LANG_EN:
		snprintf(out, len, "%04d-%02d-%02d, %02d:00–%02d:59", y, m, d,
		    h, h);
		break;
	}
}

/* The row's hash (bytea in text form, "\\x" and hex) equals ours, compared
 * in constant time. */
static bool
status_hash_matches(PGresult *res, const uint8_t hash[RECEIPT_HASH_LEN])
{
	char hex[RECEIPT_HASH_LEN * 2 + 1];
	const char *v;

	if (PQntuples(res) != 1 ||
	    PQgetlength(res, 0, 0) != RECEIPT_HASH_LEN * 2 + 2)
		return false;
	v = PQgetvalue(res, 0, 0);
	if (v[0] != '\\' || v[1] != 'x')
		return false;
	sodium_bin2hex(hex, sizeof(hex), hash, RECEIPT_HASH_LEN);
	return sodium_memcmp(v + 2, hex, RECEIPT_HASH_LEN * 2) == 0;
}

static void
status_on_result(void *arg, PGresult *res)
{
	struct status_req *sr = arg;
	json_t *extra;
	char when[64], id[64];
	int code = 200;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		rlog_warnx(sr, "status lookup failed, sqlstate %s",
		    db_sqlstate(res));
		web_header(sr->wr, "Retry-After", "30");
		extra = json_pack("{s:s, s:s}", "problem",
		    i18n_get(sr->lang, "form.unavailable"), "typed", sr->typed);
		code = 503;
	} else if (status_hash_matches(res, sr->hash)) {
		status_format_hour(PQgetvalue(res, 0, 1), sr->lang, when,
		    sizeof(when));
		snprintf(id, sizeof(id), "status.state.%s",
		    PQgetvalue(res, 0, 2));
		extra = json_pack("{s:b, s:s, s:s}", "found", 1, "received_at",
		    when, "state",
		    i18n_get(sr->lang, id) ? i18n_get(sr->lang, id) : "");
	} else {
		extra = json_pack("{s:s, s:s}", "problem",
		    i18n_get(sr->lang, "status.not_found"), "typed", sr->typed);
		code = 404;
	}
	status_page(sr->in, sr->wr, sr->lang, code, extra);
	json_decref(extra);
	sodium_memzero(sr, sizeof(*sr));
	free(sr);
}

/* The message for a code that does not parse: a typo (a character no
 * code has, or a check digit that disagrees) or the wrong length. */
static const char *
status_problem(enum receipt_err err)
{
	switch (err) {
	case RECEIPT_E_CHAR:
	case RECEIPT_E_CHECK:
		return "status.typo";
	case RECEIPT_OK:
	case RECEIPT_E_EMPTY:
	case RECEIPT_E_LENGTH:
		break;
	}
	return "status.bad_length";
}

void
status_start(struct web_req *wr)
{
	struct intake *in = wr->w->app;
	enum lang lang = wr->lang;
	struct form_limits lim = { 16, 1024 };
	char digits[RECEIPT_DIGITS + 1];
	const struct form_part *p;
	struct status_req *sr;
	const char *errstr, *problem = NULL;
	struct form form;
	struct arena a;
	json_t *extra;
	size_t len, nchars;
	const uint8_t *data;
	enum lang l;
	const char *values[1];
	int lengths[1], formats[1] = { 1 };
	enum receipt_err rerr;
	int code = 422;

	if (wr->method != EVHTTP_REQ_POST) {
		status_page(in, wr, lang, 200, NULL);
		return;
	}
	if ((sr = calloc(1, sizeof(*sr))) == NULL) {
		web_send_text(wr, 503, "busy");
		return;
	}
	sr->in = in;
	sr->wr = wr;
	sr->id = wr->id;
	sr->lang = lang;
	arena_init(&a, 64 << 10);
	data = web_body(wr, &len);
	if (len > 4096 || (len > 0 && data == NULL) ||
	    form_parse_urlencoded(data, len, &lim, &a, &form, &errstr) < 0)
		problem = "status.typo";
	else {
		if ((p = form_get(&form, "lang")) != NULL &&
		    i18n_from_code((const char *)p->body.p, p->body.len, &l) ==
		        0)
			sr->lang = lang = l;
		p = form_get(&form, "code");
		if (p == NULL || p->body.len > STATUS_TYPED_MAX ||
		    !text_valid((const char *)p->body.p, p->body.len, &nchars))
			problem = "status.bad_length";
		else {
			memcpy(sr->typed, p->body.p, p->body.len);
			if (receipt_parse(sr->typed, p->body.len, digits,
			        &rerr) == -1)
				problem = status_problem(rerr);
		}
	}
	arena_reset(&a);
	if (problem == NULL && !status_take_token(in)) {
		web_header(wr, "Retry-After", "5");
		problem = "status.slow";
		code = 429;
	}
	if (problem != NULL) {
		extra = json_pack("{s:s, s:s}", "problem",
		    i18n_get(lang, problem), "typed", sr->typed);
		status_page(in, wr, lang, code, extra);
		json_decref(extra);
		sodium_memzero(sr, sizeof(*sr));
		free(sr);
		return;
	}
	receipt_hash(in->pepper, digits, sr->hash);
	sodium_memzero(digits, sizeof(digits));
	values[0] = (const char *)sr->hash;
	lengths[0] = RECEIPT_HASH_LEN;
	if (db_send(in->db, STMT_INTAKE_TIP_STATUS, 1, values, lengths, formats,
	        status_on_result, sr) == NULL)
		status_on_result(sr, NULL);
}
