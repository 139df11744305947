/*
 * POST /status/followup: a tipster adds text and screenshots to their
 * tip on /status, with the receipt code (a hidden field of the form the
 * found page shows).  Each is a struct followup that moves through
 * explicit states:
 *
 *   FOLLOWUP_S_SANITISE  screenshots being checked and re-encoded on the
 *                        thread pool (upload.c's machinery, as for a tip)
 *   FOLLOWUP_S_STORE     tip_followup_add() sent, waiting for its word
 *   FOLLOWUP_S_DONE      handed to status_show(), which answers
 *
 * Every answer is the /status page of the code again (status.c), so the
 * code stays usable without ever being in a URL: with "received" on
 * success, or with the reason and what was typed when refused (a refused
 * screenshot, 5 follow-ups in a day, the case closed too long ago).  The
 * text is sealed to the deployment's public key like a tip's description.
 * A follow-up has rate limits of its own, per client and for the daemon
 * (intake_allow()); one token pays for the whole request.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <jansson.h>
#include <sodium.h>

#include "arena.h"
#include "db_stmt.h"
#include "followup.h"
#include "form.h"
#include "intake.h"
#include "log.h"
#include "receipt.h"
#include "seal.h"
#include "status.h"
#include "text.h"
#include "upload.h"

#define FOLLOWUP_ARENA_BYTES (1 << 20)
#define FOLLOWUP_RETRY_AFTER "3600" /* the per-receipt limit: next hour */

enum followup_state {
	FOLLOWUP_S_SANITISE, /* screenshots on the thread pool */
	FOLLOWUP_S_STORE,    /* tip_followup_add() in flight */
	FOLLOWUP_S_DONE,     /* status_show() answers */
};

/* tip_followup_add()'s parameters (schema/0014_followup.sql). */
enum followup_param {
	FP_RECEIPT_HASH,
	FP_TRUNCATE_S,
	FP_FOLLOWUP_DAYS,
	FP_MAX_PER_DAY,
	FP_SEALED_TEXT,
	FP_MIMES,
	FP_WIDTHS,
	FP_HEIGHTS,
	FP_SHA256S,
	FP_PHASHES,
	FP_IMG1,
	FP_COUNT = FP_IMG1 + INTAKE_FOLLOWUP_FILES
};

struct followup {
	struct intake *in;
	struct web_req *wr; /* NULL once handed to status_show() */
	uint64_t id;
	enum followup_state state;
	enum lang lang;
	struct arena arena;
	struct form form;
	char typed[STATUS_TYPED_MAX + 1];
	char digits[RECEIPT_DIGITS + 1];
	const char *text;     /* the message, in the arena */
	const char *text_err; /* message id about it, or NULL */
	struct upload_files shots;
	bool counted; /* in in->uploads */
};

static void
followup_free(struct followup *fu)
{
	upload_files_free(&fu->shots);
	if (fu->text != NULL)
		sodium_memzero((char *)fu->text, strlen(fu->text));
	arena_reset(&fu->arena);
	if (fu->counted)
		fu->in->uploads--;
	sodium_memzero(fu, sizeof(*fu));
	free(fu);
}

/* The follow-up's part of the page: what was typed, and why it was not
 * taken.  Accepted screenshots go to the stash for the next try. */
static json_t *
followup_typed(struct followup *fu, const char *problem)
{
	json_t *f;

	f = json_pack("{s:s}", "text", fu->text != NULL ? fu->text : "");
	if (problem != NULL)
		json_object_set_new(f, "problem",
		    json_string(i18n_get(fu->lang, problem)));
	if (fu->text_err != NULL)
		json_object_set_new(f, "e_message",
		    json_string(i18n_get(fu->lang, fu->text_err)));
	if (fu->shots.err != NULL)
		json_object_set_new(f, "e_screenshot",
		    json_string(i18n_get(fu->lang, fu->shots.err)));
	upload_files_page(&fu->shots, fu->lang, f, NULL);
	return f;
}

/* Answers with the code's /status page; extra is merged into it.  Frees
 * fu. */
static void
followup_answer(struct followup *fu, int status, json_t *extra)
{
	struct web_req *wr = fu->wr;

	fu->wr = NULL;
	fu->state = FOLLOWUP_S_DONE;
	status_show(wr, fu->lang, fu->typed, fu->digits, status, extra);
	followup_free(fu);
}

/* Refused: the page again with the text, the kept screenshots and the
 * reason. */
static void
followup_refuse(struct followup *fu, int status, const char *problem)
{
	followup_answer(fu, status,
	    json_pack("{s:o}", "followup", followup_typed(fu, problem)));
}

static void
followup_on_stored(void *arg, PGresult *res)
{
	struct followup *fu = arg;
	const char *word;

	if (fu->state != FOLLOWUP_S_STORE)
		fatalx("%s: follow-up in state %d", __func__, fu->state);
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK ||
	    PQntuples(res) != 1) {
		rlog_warnx(fu, "storing the follow-up failed, sqlstate %s",
		    db_sqlstate(res));
		web_header(fu->wr, "Retry-After", "30");
		followup_refuse(fu, 503, "status.followup.failed");
		return;
	}
	word = PQgetvalue(res, 0, 0);
	/* At debug only: a log line's time is exact, and a follow-up's
	 * arrival is kept to the hour. */
	if (strcmp(word, "ok") == 0) {
		rlog_debug(fu, "stored follow-up: %zu files", fu->shots.nfiles);
		followup_answer(fu, 200,
		    json_pack("{s:s}", "notice",
		        i18n_get(fu->lang, "status.followup.received")));
	} else if (strcmp(word, "slow") == 0) {
		rlog_debug(fu, "follow-up refused: per-receipt limit");
		web_header(fu->wr, "Retry-After", FOLLOWUP_RETRY_AFTER);
		followup_refuse(fu, 429, "status.followup.slow");
	} else if (strcmp(word, "closed") == 0) {
		rlog_debug(fu, "follow-up refused: closed");
		followup_refuse(fu, 409, NULL);
	} else {
		/* "unknown": the page says the code was not found. */
		followup_refuse(fu, 404, NULL);
	}
}

static void
followup_store(struct followup *fu)
{
	struct intake *in = fu->in;
	const char *values[FP_COUNT] = { NULL };
	int lengths[FP_COUNT] = { 0 }, formats[FP_COUNT] = { 0 };
	uint8_t rhash[RECEIPT_HASH_LEN], *sealed = NULL;
	char truncate[24], days[24], per_day[24];
	struct upload_arrays arr;
	size_t i, slen = 0, len = strlen(fu->text);
	struct db_query *q = NULL;

	fu->state = FOLLOWUP_S_STORE;
	if (len > 0) {
		if ((sealed = seal_box(in->public_key, fu->text, len)) ==
		    NULL) {
			rlog_warnx(fu, "sealing failed");
			followup_refuse(fu, 503, "status.followup.failed");
			return;
		}
		slen = len + SEAL_OVERHEAD;
	}
	receipt_hash(in->pepper, fu->digits, rhash);
	snprintf(truncate, sizeof(truncate), "%lld",
	    in->cfg->arrival_truncate_ms / 1000);
	snprintf(days, sizeof(days), "%lld", in->cfg->feedback_followup_days);
	snprintf(per_day, sizeof(per_day), "%lld",
	    in->cfg->feedback_followups_per_day);
	upload_files_arrays(&fu->shots, &arr);

	values[FP_RECEIPT_HASH] = (const char *)rhash;
	lengths[FP_RECEIPT_HASH] = RECEIPT_HASH_LEN;
	formats[FP_RECEIPT_HASH] = 1;
	values[FP_TRUNCATE_S] = truncate;
	values[FP_FOLLOWUP_DAYS] = days;
	values[FP_MAX_PER_DAY] = per_day;
	if (sealed != NULL) {
		values[FP_SEALED_TEXT] = (const char *)sealed;
		lengths[FP_SEALED_TEXT] = (int)slen;
		formats[FP_SEALED_TEXT] = 1;
	}
	values[FP_MIMES] = buf_cstr(&arr.mimes);
	values[FP_WIDTHS] = buf_cstr(&arr.widths);
	values[FP_HEIGHTS] = buf_cstr(&arr.heights);
	values[FP_SHA256S] = buf_cstr(&arr.shas);
	values[FP_PHASHES] = buf_cstr(&arr.phashes);
	for (i = 0; i < fu->shots.nfiles && i < INTAKE_FOLLOWUP_FILES; i++) {
		values[FP_IMG1 + i] = (const char *)fu->shots.files[i].sealed;
		lengths[FP_IMG1 + i] = (int)fu->shots.files[i].sealed_len;
		formats[FP_IMG1 + i] = 1;
	}
	if (!arr.err)
		q = db_send(in->db, STMT_INTAKE_FOLLOWUP_ADD, FP_COUNT, values,
		    lengths, formats, followup_on_stored, fu);
	upload_arrays_reset(&arr);
	if (sealed != NULL)
		util_free_secret(sealed, slen);
	sodium_memzero(rhash, sizeof(rhash));
	if (q == NULL) {
		rlog_warnx(fu, "database unavailable, follow-up not stored");
		web_header(fu->wr, "Retry-After", "30");
		followup_refuse(fu, 503, "status.followup.failed");
	}
}

/* Every screenshot is done: refuse, or store. */
static void
followup_on_sanitised(void *arg)
{
	struct followup *fu = arg;

	if (fu->state != FOLLOWUP_S_SANITISE)
		fatalx("%s: follow-up in state %d", __func__, fu->state);
	if (upload_files_failed(&fu->shots)) {
		rlog_warnx(fu, "screenshot work failed");
		followup_refuse(fu, 503, "err.busy");
		return;
	}
	if (fu->text_err != NULL || upload_files_refused(&fu->shots)) {
		/* Debug: the corrected form usually follows within a minute. */
		rlog_debug(fu, "follow-up refused: form has errors");
		followup_refuse(fu, fu->shots.too_big ? 413 : 422,
		    "status.followup.fix");
		return;
	}
	followup_store(fu);
}

/* Reads the code; NULL, or the message id of what is wrong with it. */
static const char *
followup_code(struct followup *fu)
{
	const struct form_part *p = form_get(&fu->form, "code");
	enum receipt_err rerr;
	size_t nchars;

	if (p == NULL || p->body.len > STATUS_TYPED_MAX ||
	    !text_valid((const char *)p->body.p, p->body.len, &nchars))
		return "status.bad_length";
	memcpy(fu->typed, p->body.p, p->body.len);
	fu->typed[p->body.len] = '\0';
	if (receipt_parse(fu->typed, p->body.len, fu->digits, &rerr) == -1)
		return status_problem(rerr);
	return NULL;
}

void
followup_start(struct web_req *wr)
{
	struct intake *in = wr->w->app;
	const struct form_part *p;
	const char *errstr, *problem;
	struct followup *fu;
	unsigned long long retry_s;
	char retry[24];
	size_t nchars;
	enum lang lang;

	if ((fu = calloc(1, sizeof(*fu))) == NULL) {
		web_send_text(wr, 503, "busy");
		return;
	}
	fu->in = in;
	fu->wr = wr;
	fu->id = wr->id;
	fu->lang = wr->lang;
	fu->shots.in = in;
	arena_init(&fu->arena, FOLLOWUP_ARENA_BYTES);
	if (upload_body_parse(wr, &fu->arena, &fu->form, &errstr) == -1) {
		rlog_info(fu, "bad request: %s", errstr);
		status_reply(wr, fu->lang, 400,
		    json_pack("{s:s}", "problem",
		        i18n_get(fu->lang, "err.bad_request")));
		followup_free(fu);
		return;
	}
	if ((p = form_get(&fu->form, "lang")) != NULL &&
	    i18n_from_code((const char *)p->body.p, p->body.len, &lang) == 0)
		fu->lang = lang;
	fu->text = upload_form_text(&fu->form, "message", &fu->arena, &nchars,
	    &fu->text_err);
	if (fu->text == NULL) {
		status_reply(wr, fu->lang, 503,
		    json_pack("{s:s}", "problem",
		        i18n_get(fu->lang, "err.busy")));
		followup_free(fu);
		return;
	}
	if (nchars > (size_t)in->cfg->max_description_chars)
		fu->text_err = "status.followup.long";
	/* The code came from the page's own hidden field: one that does not
	 * parse was not typed by the tipster. */
	if ((problem = followup_code(fu)) != NULL) {
		status_reply(wr, fu->lang, 422,
		    json_pack("{s:s, s:s}", "problem",
		        i18n_get(fu->lang, problem), "typed", fu->typed));
		followup_free(fu);
		return;
	}
	if (!intake_allow(in, wr, INTAKE_L_FOLLOWUP, &retry_s)) {
		snprintf(retry, sizeof(retry), "%llu", retry_s);
		web_header(wr, "Retry-After", retry);
		status_reply(wr, fu->lang, 429,
		    json_pack("{s:s, s:s, s:b, s:o}", "problem",
		        i18n_get(fu->lang, "status.slow"), "code", fu->typed,
		        "followup_form", 1, "followup",
		        followup_typed(fu, NULL)));
		followup_free(fu);
		return;
	}
	upload_files_collect(&fu->shots, &fu->form, &fu->arena,
	    intake_followup_files(in));
	fu->counted = true;
	if (++in->uploads > in->cfg->intake_max_uploads) {
		rlog_info(fu, "busy: %d uploads in progress", in->uploads - 1);
		followup_refuse(fu, 503, "err.busy");
		return;
	}
	if (fu->text_err == NULL && fu->shots.err == NULL &&
	    fu->shots.nfiles == 0 &&
	    fu->text[strspn(fu->text, " \t\r\n")] == '\0') {
		fu->text_err = "status.followup.empty";
		followup_refuse(fu, 422, "status.followup.empty");
		return;
	}
	/* Sanitise even when the text has errors, so that good screenshots
	 * are kept for the next try. */
	fu->state = FOLLOWUP_S_SANITISE;
	upload_files_start(&fu->shots, followup_on_sanitised, fu);
}
