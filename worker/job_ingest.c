/*
 * Ingest: read the tip's sealed description and link, unseal them on the
 * thread pool, compute the dedup keys the intake could not (it cannot read
 * what it stored), and call ingest_apply(), which matches, routes, stores
 * the keys and marks the job done in one transaction.
 *
 *   INGEST_S_FETCH   reading the tip
 *   INGEST_S_SHOTS   reading its sealed screenshots
 *   INGEST_S_KEYS    unsealing, reading screenshots' text (OCR) and
 *                    hashing on a pool thread
 *   INGEST_S_APPLY   ingest_apply() in flight
 *
 * Keys: HMAC(dedup key, canonical link); HMAC(dedup key, normalised text)
 * and its SimHash, but only for descriptions of at least [dedup]
 * min_words words, since short ones ("racist comment") match unrelated
 * tips.  Image keys (SHA-256, pHash) are in the attachment rows already.
 * Each screenshot's text is read with Tesseract (lib/ocr.c), stored sealed
 * for officers, and its SimHash (ocr_simhash()) is a near key: two shots
 * of one post on different phones share their words, not their pixels.
 * A screenshot whose text cannot be read in time still dedups by its
 * other keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "db_stmt.h"
#include "job_ingest.h"
#include "ocr.h"
#include "queue.h"
#include "seal.h"
#include "simhash.h"
#include "text.h"
#include "url.h"

enum ingest_state {
	INGEST_S_FETCH,
	INGEST_S_SHOTS,
	INGEST_S_KEYS,
	INGEST_S_APPLY,
};

#define INGEST_MAX_SHOTS 5

struct ingest_shot {
	int seq;
	unsigned char *sealed; /* the clean image, sealed (PQfreemem) */
	size_t sealed_len;
	bool has_hash;
	uint64_t hash;        /* ocr_simhash() of its text */
	uint8_t *sealed_text; /* the text, sealed (free) */
	size_t sealed_text_len;
};

struct ingest {
	struct job *job;
	enum ingest_state state;
	/* Sealed inputs, decoded from the query result. */
	unsigned char *sealed_desc;
	size_t sealed_desc_len;
	unsigned char *sealed_url;
	size_t sealed_url_len;
	/* Outputs of the thread. */
	const char *error; /* constant text, or NULL */
	bool has_link, has_text;
	uint8_t link_key[32];
	uint8_t text_key[32];
	uint64_t text_hash;
	struct ingest_shot shots[INGEST_MAX_SHOTS];
	int nshots;
	int nread; /* screenshots whose text was read */
};

static void
ingest_free(struct ingest *in)
{
	int i;

	for (i = 0; i < in->nshots; i++) {
		if (in->shots[i].sealed != NULL)
			PQfreemem(in->shots[i].sealed);
		free(in->shots[i].sealed_text);
	}
	if (in->sealed_desc != NULL)
		PQfreemem(in->sealed_desc);
	if (in->sealed_url != NULL)
		PQfreemem(in->sealed_url);
	sodium_memzero(in, sizeof(*in));
	free(in);
}

static void
ingest_on_applied(void *arg, PGresult *res)
{
	struct ingest *in = arg;
	struct job *j = in->job;
	char result[96];
	const char *state = db_sqlstate(res);
	int nshots = in->nshots, nread = in->nread;

	if (in->state != INGEST_S_APPLY)
		fatalx("%s: ingest in state %d", __func__, in->state);
	ingest_free(in);
	j->data = NULL;
	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK) {
		snprintf(result, sizeof(result), "case=%s shots=%d read=%d",
		    PQgetvalue(res, 0, 0), nshots, nread);
		job_done(j, result);
	} else if (strcmp(state, "55000") == 0)
		job_lost(j);
	else if (strcmp(state, "02000") == 0)
		job_failed(j, "tip is gone");
	else
		job_failed(j, res == NULL ? "database unavailable"
		                          : "ingest_apply failed");
}

static void
ingest_apply(struct ingest *in)
{
	struct job *j = in->job;
	struct queue *q = j->q;
	const char *v[12];
	int len[12], fmt[12];
	char id[24], att[16], hash[24], win[24], it[8], tt[8], st[8];
	char num[32], *hex;
	struct buf hashes, texts;
	int i;

	in->state = INGEST_S_APPLY;
	memset(len, 0, sizeof(len));
	memset(fmt, 0, sizeof(fmt));
	snprintf(id, sizeof(id), "%lld", j->id);
	snprintf(att, sizeof(att), "%d", j->attempts);
	snprintf(hash, sizeof(hash), "%lld", (long long)(int64_t)in->text_hash);
	snprintf(win, sizeof(win), "%lld", q->cfg->dedup_window_ms / 1000);
	snprintf(it, sizeof(it), "%lld", q->cfg->dedup_image_threshold);
	snprintf(tt, sizeof(tt), "%lld", q->cfg->dedup_text_threshold);
	v[0] = id;
	v[1] = att;
	v[2] = j->tip_id;
	v[3] = in->has_link ? (const char *)in->link_key : NULL;
	len[3] = 32;
	fmt[3] = 1;
	v[4] = in->has_text ? (const char *)in->text_key : NULL;
	len[4] = 32;
	fmt[4] = 1;
	v[5] = in->has_text ? hash : NULL;
	v[6] = win;
	v[7] = it;
	v[8] = tt;
	/* Arrays in PostgreSQL's text form: {h1,NULL,...} and
	 * {"\\x...",NULL,...}, one element per screenshot, in seq order. */
	buf_init(&hashes, 0);
	buf_init(&texts, 0);
	buf_puts(&hashes, "{");
	buf_puts(&texts, "{");
	for (i = 0; i < in->nshots; i++) {
		const struct ingest_shot *sh = &in->shots[i];

		buf_puts(&hashes, i ? "," : "");
		buf_puts(&texts, i ? "," : "");
		if (sh->has_hash) {
			snprintf(num, sizeof(num), "%lld",
			    (long long)(int64_t)sh->hash);
			buf_puts(&hashes, num);
		} else
			buf_puts(&hashes, "NULL");
		if (sh->sealed_text != NULL &&
		    (hex = malloc(sh->sealed_text_len * 2 + 1)) != NULL) {
			sodium_bin2hex(hex, sh->sealed_text_len * 2 + 1,
			    sh->sealed_text, sh->sealed_text_len);
			buf_puts(&texts, "\"\\\\x");
			buf_puts(&texts, hex);
			buf_puts(&texts, "\"");
			free(hex);
		} else
			buf_puts(&texts, "NULL");
	}
	buf_puts(&hashes, "}");
	buf_puts(&texts, "}");
	snprintf(st, sizeof(st), "%lld", q->cfg->dedup_screenshot_threshold);
	v[9] = buf_cstr(&hashes);
	v[10] = buf_cstr(&texts);
	v[11] = st;
	if (v[9] == NULL || v[10] == NULL ||
	    db_send(q->db, STMT_WORKER_APPLY, 12, v, len, fmt,
	        ingest_on_applied, in) == NULL)
		ingest_on_applied(in, NULL);
	buf_reset(&hashes);
	buf_reset(&texts);
}

/* On a pool thread: reads each screenshot's text, keeps it sealed and its
 * SimHash.  Failures leave that screenshot without a text key. */
static void
ingest_read_shots(struct ingest *in)
{
	struct queue *q = in->job->q;
	struct ingest_shot *sh;
	const char *errstr;
	uint8_t *img;
	size_t img_len, nwords;
	char *text;
	int i;

	for (i = 0; i < in->nshots; i++) {
		sh = &in->shots[i];
		img = seal_open(q->public_key, q->secret_key, sh->sealed,
		    sh->sealed_len, &img_len);
		if (img == NULL)
			continue;
		if (ocr_image(img, img_len,
		        (long)q->cfg->worker_ocr_time_limit_ms, &text,
		        &errstr) == 0) {
			in->nread++;
			sh->hash = ocr_simhash(text, strlen(text), q->dedup_key,
			    &nwords);
			sh->has_hash =
			    nwords >= (size_t)q->cfg->dedup_min_words;
			if (text[0] != '\0') {
				sh->sealed_text =
				    seal_box(q->public_key, text, strlen(text));
				if (sh->sealed_text != NULL)
					sh->sealed_text_len =
					    strlen(text) + SEAL_OVERHEAD;
			}
			util_free_secret(text, strlen(text));
		}
		util_free_secret(img, img_len);
	}
}

/* On a pool thread: touches only in and the keys, read-only. */
static void
ingest_keys_work(void *arg)
{
	struct ingest *in = arg;
	struct queue *q = in->job->q;
	uint8_t *desc = NULL, *link = NULL;
	size_t desc_len = 0, link_len = 0, nwords;
	char canon[URL_MAX_BYTES + 1];
	const char *errstr;
	struct buf norm;
	ssize_t n;

	desc = seal_open(q->public_key, q->secret_key, in->sealed_desc,
	    in->sealed_desc_len, &desc_len);
	if (desc == NULL) {
		in->error = "cannot unseal the description";
		return;
	}
	buf_init(&norm, 0);
	text_normalise((const char *)desc, desc_len, &norm);
	if (norm.err) {
		in->error = "out of memory";
		goto done;
	}
	in->text_hash =
	    simhash_text((const char *)norm.p, norm.len, q->dedup_key, &nwords);
	if (nwords >= (size_t)q->cfg->dedup_min_words) {
		seal_hmac(q->dedup_key, norm.p, norm.len, in->text_key);
		in->has_text = true;
	}
	if (in->sealed_url != NULL) {
		link = seal_open(q->public_key, q->secret_key, in->sealed_url,
		    in->sealed_url_len, &link_len);
		if (link == NULL) {
			in->error = "cannot unseal the link";
			goto done;
		}
		n = url_canonical((const char *)link, link_len, canon,
		    sizeof(canon), &errstr);
		if (n >= 0) {
			seal_hmac(q->dedup_key, canon, (size_t)n, in->link_key);
			in->has_link = true;
		}
		sodium_memzero(canon, sizeof(canon));
	}
	ingest_read_shots(in);
done:
	buf_reset(&norm);
	util_free_secret(desc, desc_len);
	util_free_secret(link, link_len);
}

static void
ingest_keys_done(void *arg)
{
	struct ingest *in = arg;
	struct job *j = in->job;

	if (in->state != INGEST_S_KEYS)
		fatalx("%s: ingest in state %d", __func__, in->state);
	if (in->error != NULL) {
		const char *why = in->error;

		ingest_free(in);
		j->data = NULL;
		job_failed(j, why);
		return;
	}
	ingest_apply(in);
}

static void
ingest_on_shots(void *arg, PGresult *res)
{
	struct ingest *in = arg;
	struct job *j = in->job;
	int i;

	if (in->state != INGEST_S_SHOTS)
		fatalx("%s: ingest in state %d", __func__, in->state);
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK ||
	    PQntuples(res) > INGEST_MAX_SHOTS) {
		ingest_free(in);
		j->data = NULL;
		job_failed(j, "reading the screenshots failed");
		return;
	}
	for (i = 0; i < PQntuples(res); i++) {
		struct ingest_shot *sh = &in->shots[i];

		sh->seq = (int)strtol(PQgetvalue(res, i, 0), NULL, 10);
		sh->sealed = PQunescapeBytea(
		    (const unsigned char *)PQgetvalue(res, i, 1),
		    &sh->sealed_len);
		in->nshots++;
		if (sh->sealed == NULL || sh->seq != i + 1) {
			ingest_free(in);
			j->data = NULL;
			job_failed(j, "bad screenshot rows");
			return;
		}
	}
	in->state = INGEST_S_KEYS;
	if (tpool_submit(j->q->tpool, ingest_keys_work, ingest_keys_done, in) ==
	    -1) {
		ingest_free(in);
		j->data = NULL;
		job_failed(j, "thread pool full");
	}
}

static void
ingest_on_tip(void *arg, PGresult *res)
{
	struct ingest *in = arg;
	struct job *j = in->job;
	const char *v[1];

	if (in->state != INGEST_S_FETCH)
		fatalx("%s: ingest in state %d", __func__, in->state);
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK ||
	    PQntuples(res) != 1) {
		ingest_free(in);
		j->data = NULL;
		if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK)
			job_failed(j, "tip is gone");
		else
			job_failed(j, "reading the tip failed");
		return;
	}
	in->sealed_desc = PQunescapeBytea(
	    (const unsigned char *)PQgetvalue(res, 0, 0), &in->sealed_desc_len);
	if (!PQgetisnull(res, 0, 1))
		in->sealed_url = PQunescapeBytea(
		    (const unsigned char *)PQgetvalue(res, 0, 1),
		    &in->sealed_url_len);
	if (in->sealed_desc == NULL ||
	    (!PQgetisnull(res, 0, 1) && in->sealed_url == NULL)) {
		ingest_free(in);
		j->data = NULL;
		job_failed(j, "out of memory");
		return;
	}
	in->state = INGEST_S_SHOTS;
	v[0] = j->tip_id;
	if (db_send(j->q->db, STMT_WORKER_SHOTS, 1, v, NULL, NULL,
	        ingest_on_shots, in) == NULL)
		ingest_on_shots(in, NULL);
}

void
job_ingest_start(struct job *j)
{
	struct ingest *in;
	const char *v[1];

	if ((in = calloc(1, sizeof(*in))) == NULL) {
		job_failed(j, "out of memory");
		return;
	}
	in->job = j;
	in->state = INGEST_S_FETCH;
	j->data = in;
	v[0] = j->tip_id;
	if (db_send(j->q->db, STMT_WORKER_TIP, 1, v, NULL, NULL, ingest_on_tip,
	        in) == NULL)
		ingest_on_tip(in, NULL);
}
