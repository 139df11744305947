/*
 * Ingest: read the tip's sealed description and link, unseal them on the
 * thread pool, compute the dedup keys the intake could not (it cannot read
 * what it stored), and call ingest_apply(), which matches, routes, stores
 * the keys and marks the job done in one transaction.
 *
 *   INGEST_S_FETCH   reading the tip
 *   INGEST_S_KEYS    unsealing and hashing on a pool thread
 *   INGEST_S_APPLY   ingest_apply() in flight
 *
 * Keys: HMAC(dedup key, canonical link); HMAC(dedup key, normalised text)
 * and its SimHash, but only for descriptions of at least [dedup]
 * min_words words, since short ones ("racist comment") match unrelated
 * tips.  Image keys (SHA-256, pHash) are in the attachment rows already.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "db_stmt.h"
#include "job_ingest.h"
#include "queue.h"
#include "seal.h"
#include "simhash.h"
#include "text.h"
#include "url.h"

enum ingest_state {
	INGEST_S_FETCH,
	INGEST_S_KEYS,
	INGEST_S_APPLY,
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
};

static void
ingest_free(struct ingest *in)
{
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
	char result[64];
	const char *state = db_sqlstate(res);

	if (in->state != INGEST_S_APPLY)
		fatalx("%s: ingest in state %d", __func__, in->state);
	ingest_free(in);
	j->data = NULL;
	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK) {
		snprintf(result, sizeof(result), "case=%s",
		    PQgetvalue(res, 0, 0));
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
	const char *v[9];
	int len[9], fmt[9];
	char id[24], att[16], hash[24], win[24], it[8], tt[8];

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
	if (db_send(q->db, STMT_WORKER_APPLY, 9, v, len, fmt, ingest_on_applied,
	        in) == NULL)
		ingest_on_applied(in, NULL);
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
ingest_on_tip(void *arg, PGresult *res)
{
	struct ingest *in = arg;
	struct job *j = in->job;

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
	in->state = INGEST_S_KEYS;
	if (tpool_submit(j->q->tpool, ingest_keys_work, ingest_keys_done, in) ==
	    -1) {
		ingest_free(in);
		j->data = NULL;
		job_failed(j, "thread pool full");
	}
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
