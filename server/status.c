/*
 * /status: a tipster enters the receipt code and sees that the tip
 * arrived, the hour it arrived, its state in plain words (with the
 * outcome once closed), every message the police sent them, and a form to
 * add a follow-up (followup.c) while that is still possible.
 *
 * A code is looked up only by HMAC(pepper, code) through
 * tip_status_full(); a right and a wrong code take the same path (one
 * query, one page), the stored hash is compared in constant time, and the
 * tip's reply key pair is derived from every code that parses, known or
 * not, before the query: the police's messages are sealed to it, and a
 * known code must not take longer for making it.  For the same reason
 * every lookup opens as many boxes as a code with STATUS_PAD_OPENS
 * messages does.  Lookups are limited per client (a keyed hash of its
 * address, never the address) and for the whole daemon (intake_allow()),
 * which with 85-bit codes makes guessing hopeless and leaves every other
 * tipster their own lookups while one client floods.  Codes are accepted
 * by POST only, so they stay out of URLs and browser history, and no page
 * with a code is cached.
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
#include "buf.h"
#include "db_stmt.h"
#include "form.h"
#include "intake.h"
#include "log.h"
#include "receipt.h"
#include "seal.h"
#include "status.h"
#include "text.h"

#define STATUS_MAX_MESSAGES 200 /* a tip's messages shown at most */
/* Boxes every lookup opens at least: a code with fewer messages (an
 * unknown code has none) opens made-up ones with its key too, so that
 * the time a lookup takes does not tell whether the code is known or how
 * many messages it has, up to this many. */
#define STATUS_PAD_OPENS    4
#define STATUS_PAD_BYTES    400 /* a made-up box: a short message's size */

struct status_req {
	struct intake *in;
	struct web_req *wr;
	uint64_t id;
	enum lang lang;
	int found_status;
	json_t *extra; /* merged into the page's context */
	uint8_t hash[RECEIPT_HASH_LEN];
	uint8_t reply_pk[RECEIPT_REPLY_PK_LEN];
	uint8_t reply_sk[RECEIPT_REPLY_SK_LEN];
	int opened; /* boxes opened, for STATUS_PAD_OPENS */
	char typed[STATUS_TYPED_MAX + 1];
};

static void
status_page(struct intake *in, struct web_req *wr, enum lang lang, int code,
    json_t *extra)
{
	json_t *ctx;

	wr->lang = lang;
	ctx = page_ctx(&in->pages, lang, i18n_get(lang, "status.title"));
	intake_upload_limits(in, ctx);
	if (extra != NULL)
		json_object_update(ctx, extra);
	page_reply(&in->pages, wr, code, "status", ctx);
}

void
status_reply(struct web_req *wr, enum lang lang, int code, json_t *extra)
{
	status_page(wr->w->app, wr, lang, code, extra);
	json_decref(extra);
}

static void
status_req_free(struct status_req *sr)
{
	json_decref(sr->extra);
	sodium_memzero(sr, sizeof(*sr));
	free(sr);
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

/* A message's text as paragraphs (split at blank lines) of lines: the
 * template puts a <br> before every line but the first. */
static json_t *
status_paras(const char *text, size_t len)
{
	json_t *paras = json_array(), *lines = NULL;
	size_t i = 0, n;

	while (i < len) {
		n = strcspn(text + i, "\n");
		if (i + n > len)
			n = len - i;
		/* A line of spaces only ends a paragraph. */
		if (strspn(text + i, " \t\r") >= n) {
			lines = NULL;
		} else {
			if (lines == NULL) {
				lines = json_array();
				json_array_append_new(paras,
				    json_pack("{s:o}", "lines", lines));
			}
			while (n > 0 && text[i + n - 1] == '\r')
				n--;
			json_array_append_new(lines,
			    json_pack("{s:s%, s:b}", "t", text + i, n, "br",
			        json_array_size(lines) > 0));
		}
		i += strcspn(text + i, "\n") + 1;
	}
	return paras;
}

/* The police's messages, oldest first: days ("2026-11-24,...") and boxes
 * (hex, comma-separated, in the same order) opened with the reply key. */
static json_t *
status_messages(struct status_req *sr, const char *days, const char *boxes,
    const char *langs)
{
	json_t *arr = json_array();
	char day[16], shown[32];
	uint8_t *bin, *plain;
	size_t dn, bn, ln, blen, plen, nchars;
	enum lang ml;
	char note[32];
	json_t *m;
	int n = 0;

	while (*days != '\0' && *boxes != '\0' && n < STATUS_MAX_MESSAGES) {
		dn = strcspn(days, ",");
		bn = strcspn(boxes, ",");
		ln = strcspn(langs, ",");
		if (i18n_from_code(langs, ln, &ml) == -1)
			ml = sr->lang;
		snprintf(day, sizeof(day), "%.*s", (int)dn, days);
		plain = NULL;
		if ((bin = malloc(bn / 2 + 1)) != NULL &&
		    sodium_hex2bin(bin, bn / 2 + 1, boxes, bn, NULL, &blen,
		        NULL) == 0)
			plain = seal_open(sr->reply_pk, sr->reply_sk, bin, blen,
			    &plen);
		free(bin);
		sr->opened++;
		if (plain == NULL || !text_valid((char *)plain, plen, &nchars))
			rlog_warnx(sr, "a message does not open");
		else {
			i18n_day(day, sr->lang, shown, sizeof(shown));
			m = json_pack("{s:I, s:s, s:s, s:o, s:s, s:s}", "n",
			    (json_int_t)++n, "day", shown, "iso", day, "paras",
			    status_paras((char *)plain, plen), "mlang",
			    i18n_code(ml), "mdir", i18n_dir(ml));
			/* An officer writes in Finnish, Swedish or English when
			 * no template fits; the tipster is told which. */
			snprintf(note, sizeof(note), "status.message.in.%s",
			    i18n_code(ml));
			if (ml != sr->lang && ml < LANG_STAFF_COUNT)
				json_object_set_new(m, "in_lang",
				    json_string(i18n_get(sr->lang, note)));
			json_array_append_new(arr, m);
		}
		if (plain != NULL)
			util_free_secret(plain, plen);
		days += dn + (days[dn] == ',');
		boxes += bn + (boxes[bn] == ',');
		langs += ln + (langs[ln] == ',');
	}
	return arr;
}

/* The three steps of a tip, the current one marked. */
static json_t *
status_steps(enum lang lang, const char *state)
{
	static const char *const steps[] = { "received", "in_review",
		"closed" };
	json_t *arr = json_array();
	char id[64];
	size_t i, cur = 0;

	for (i = 0; i < ARRAY_SIZE(steps); i++)
		if (strcmp(state, steps[i]) == 0)
			cur = i;
	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		snprintf(id, sizeof(id), "status.step.%s", steps[i]);
		json_array_append_new(arr,
		    json_pack("{s:s, s:b, s:b}", "label", i18n_get(lang, id),
		        "current", i == cur, "done", i < cur));
	}
	return arr;
}

/* The found page's context: row 0 of tip_status_full() as the statement
 * gives it. */
static json_t *
status_found(struct status_req *sr, PGresult *res)
{
	struct intake *in = sr->in;
	const char *state = PQgetvalue(res, 0, 2);
	const char *outcome = PQgetvalue(res, 0, 3);
	const char *offences = PQgetvalue(res, 0, 4);
	const char *closed = PQgetvalue(res, 0, 5);
	json_t *page;
	char when[64], id[64];

	i18n_hour(PQgetvalue(res, 0, 1), sr->lang, when, sizeof(when));
	snprintf(id, sizeof(id), "status.state.%s", state);
	page = json_pack("{s:b, s:s, s:s, s:o, s:s, s:o}", "found", 1,
	    "received_at", when, "state",
	    i18n_get(sr->lang, id) != NULL ? i18n_get(sr->lang, id) : "",
	    "steps", status_steps(sr->lang, state), "code", sr->typed,
	    "messages",
	    status_messages(sr, PQgetvalue(res, 0, 7), PQgetvalue(res, 0, 8),
	        PQgetvalue(res, 0, 9)));
	if (outcome[0] != '\0') {
		snprintf(id, sizeof(id), "status.outcome.%s", outcome);
		if (i18n_get(sr->lang, id) != NULL)
			json_object_set_new(page, "outcome",
			    json_string(i18n_get(sr->lang, id)));
	}
	if (closed[0] != '\0') {
		i18n_day(closed, sr->lang, when, sizeof(when));
		json_object_set_new(page, "closed_on", json_string(when));
	}
	/* Defamation (RL 24:9) is investigated only on the victim's own
	 * complaint: say how to make one. */
	snprintf(id, sizeof(id), ",%s,", offences);
	json_object_set_new(page, "defamation",
	    json_boolean(strstr(id, ",defamation,") != NULL));
	json_object_set_new(page, "followup_form",
	    json_boolean(PQgetvalue(res, 0, 6)[0] == 't'));
	json_object_set_new(page, "followup_closed",
	    json_boolean(PQgetvalue(res, 0, 6)[0] != 't'));
	json_object_set_new(page, "followup_days",
	    json_integer(in->cfg->feedback_followup_days));
	return page;
}

/* Opens made-up boxes up to STATUS_PAD_OPENS; each fails, after the same
 * X25519 as a real one. */
static void
status_pad(struct status_req *sr)
{
	uint8_t box[STATUS_PAD_BYTES], *plain;
	size_t plen;

	for (; sr->opened < STATUS_PAD_OPENS; sr->opened++) {
		randombytes_buf(box, sizeof(box));
		plain = seal_open(sr->reply_pk, sr->reply_sk, box, sizeof(box),
		    &plen);
		if (plain != NULL)
			util_free_secret(plain, plen);
	}
}

static void
status_on_result(void *arg, PGresult *res)
{
	struct status_req *sr = arg;
	json_t *page;
	int code = sr->found_status;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		rlog_warnx(sr, "status lookup failed, sqlstate %s",
		    db_sqlstate(res));
		web_header(sr->wr, "Retry-After", "30");
		page = json_pack("{s:s, s:s}", "problem",
		    i18n_get(sr->lang, "form.unavailable"), "typed", sr->typed);
		/* A follow-up's text stays on the page, to send again. */
		if (sr->extra != NULL &&
		    json_object_get(sr->extra, "followup") != NULL) {
			json_object_set_new(page, "followup_form", json_true());
			json_object_set_new(page, "code",
			    json_string(sr->typed));
		}
		code = 503;
	} else if (status_hash_matches(res, sr->hash))
		page = status_found(sr, res);
	else {
		page = json_pack("{s:s, s:s}", "problem",
		    i18n_get(sr->lang, "status.not_found"), "typed", sr->typed);
		code = 404;
	}
	status_pad(sr);
	if (sr->extra != NULL)
		json_object_update(page, sr->extra);
	status_page(sr->in, sr->wr, sr->lang, code, page);
	json_decref(page);
	status_req_free(sr);
}

void
status_show(struct web_req *wr, enum lang lang, const char *typed,
    const char digits[RECEIPT_DIGITS + 1], int found_status, json_t *extra)
{
	struct intake *in = wr->w->app;
	struct status_req *sr;
	const char *values[2];
	int lengths[2], formats[2] = { 1, 0 };
	char days[24];

	if ((sr = calloc(1, sizeof(*sr))) == NULL) {
		json_decref(extra);
		web_send_text(wr, 503, "busy");
		return;
	}
	sr->in = in;
	sr->wr = wr;
	sr->id = wr->id;
	sr->lang = lang;
	sr->found_status = found_status;
	sr->extra = extra;
	snprintf(sr->typed, sizeof(sr->typed), "%s", typed);
	receipt_hash(in->pepper, digits, sr->hash);
	/* For every code, known or not: see the top of the file. */
	receipt_reply_keys(in->pepper, digits, sr->reply_pk, sr->reply_sk);
	snprintf(days, sizeof(days), "%lld", in->cfg->feedback_followup_days);
	values[0] = (const char *)sr->hash;
	lengths[0] = RECEIPT_HASH_LEN;
	values[1] = days;
	lengths[1] = 0;
	if (db_send(in->db, STMT_INTAKE_TIP_STATUS, 2, values, lengths, formats,
	        status_on_result, sr) == NULL)
		status_on_result(sr, NULL);
}

const char *
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
	char typed[STATUS_TYPED_MAX + 1] = "";
	const struct form_part *p;
	const char *errstr, *problem = NULL;
	struct form form;
	struct arena a;
	json_t *extra;
	size_t len, nchars;
	const uint8_t *data;
	enum lang l;
	enum receipt_err rerr;
	unsigned long long retry_s;
	char retry[24];
	int code = 422;

	if (wr->method != HTTP_V_POST) {
		status_page(in, wr, lang, 200, NULL);
		return;
	}
	arena_init(&a, 64 << 10);
	data = web_body(wr, &len);
	if (len > 4096 || (len > 0 && data == NULL) ||
	    form_parse_urlencoded(data, len, &lim, &a, &form, &errstr) < 0)
		problem = "status.typo";
	else {
		if ((p = form_get(&form, "lang")) != NULL &&
		    i18n_from_code((const char *)p->body.p, p->body.len, &l) ==
		        0)
			lang = l;
		p = form_get(&form, "code");
		if (p == NULL || p->body.len > STATUS_TYPED_MAX ||
		    !text_valid((const char *)p->body.p, p->body.len, &nchars))
			problem = "status.bad_length";
		else {
			memcpy(typed, p->body.p, p->body.len);
			typed[p->body.len] = '\0';
			if (receipt_parse(typed, p->body.len, digits, &rerr) ==
			    -1)
				problem = status_problem(rerr);
		}
	}
	arena_reset(&a);
	if (problem == NULL &&
	    !intake_allow(in, wr, INTAKE_L_STATUS, &retry_s)) {
		snprintf(retry, sizeof(retry), "%llu", retry_s);
		web_header(wr, "Retry-After", retry);
		problem = "status.slow";
		code = 429;
	}
	if (problem != NULL) {
		extra = json_pack("{s:s, s:s}", "problem",
		    i18n_get(lang, problem), "typed", typed);
		status_page(in, wr, lang, code, extra);
		json_decref(extra);
	} else
		status_show(wr, lang, typed, digits, 200, NULL);
	sodium_memzero(digits, sizeof(digits));
	sodium_memzero(typed, sizeof(typed));
}
