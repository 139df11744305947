/*
 * Ingest: unseal each tip on the thread pool, compute the dedup keys the
 * intake could not (it cannot read what it stored), and hand the tips to
 * ingest_batch(), which matches, routes, stores the keys and marks the
 * jobs done in one transaction.
 *
 * A tip moves through:
 *
 *   INGEST_S_SHOTS   its sealed screenshots are being read (one query for
 *                    the claim's tips that have any)
 *   INGEST_S_KEYS    unsealing, reading screenshots' text (OCR) and
 *                    hashing on a pool thread
 *   INGEST_S_READY   keys computed, waiting for the next batch
 *   INGEST_S_APPLY   in an ingest_batch() in flight
 *
 * Batching: the worker has one ingest_batch() in flight at a time, and
 * each takes every tip that became ready meanwhile (up to [worker]
 * batch).  Under load the batches fill up and the matching lock, the
 * round trips and the commit are paid once per batch; a lone tip is
 * applied at once.  A batch that fails (a lease passed on, a tip deleted,
 * a bad row) is applied again one tip at a time, so that one bad job
 * holds up no other and fails alone.
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
#include <sys/queue.h>

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
	INGEST_S_SHOTS,
	INGEST_S_KEYS,
	INGEST_S_READY,
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
	TAILQ_ENTRY(ingest) entry; /* in the ready list */
	int nattachments;
	/* Sealed inputs, decoded from the query results. */
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
	enum ocr_script script; /* the likely script, from the tip's page */
	int nread;              /* screenshots whose text was read */
	int nskipped;           /* not read: the tip's OCR time had run out */
};

TAILQ_HEAD(ingest_list, ingest);

/* The worker's ingest state: tips ready to apply, and whether a batch is
 * in flight. */
struct ingest_queue {
	struct ingest_list ready;
	int nready;
	bool applying;
	uint64_t nbatches; /* for the log */
};

/* One ingest_batch() call. */
struct ingest_batch {
	struct queue *q;
	bool applier; /* the worker's batch, not a lone retry */
	int n;
	struct ingest *items[];
};

static void ingest_kick(struct queue *);

static void
ingest_free_shots(struct ingest *in)
{
	int i;

	for (i = 0; i < in->nshots; i++) {
		if (in->shots[i].sealed != NULL)
			PQfreemem(in->shots[i].sealed);
		in->shots[i].sealed = NULL;
	}
}

static void
ingest_free(struct ingest *in)
{
	int i;

	ingest_free_shots(in);
	for (i = 0; i < in->nshots; i++)
		free(in->shots[i].sealed_text);
	if (in->sealed_desc != NULL)
		PQfreemem(in->sealed_desc);
	if (in->sealed_url != NULL)
		PQfreemem(in->sealed_url);
	in->job->data = NULL;
	sodium_memzero(in, sizeof(*in));
	free(in);
}

/* Ends one tip's job: frees its state, then reports. */
static void
ingest_failed(struct ingest *in, const char *why)
{
	struct job *j = in->job;

	ingest_free(in);
	job_failed(j, why);
}

static void
ingest_lost(struct ingest *in)
{
	struct job *j = in->job;

	ingest_free(in);
	job_lost(j);
}

static void
ingest_done(struct ingest *in, const char *case_id)
{
	struct job *j = in->job;
	char result[96];

	snprintf(result, sizeof(result), "case=%s shots=%d read=%d", case_id,
	    in->nshots, in->nread);
	ingest_free(in);
	job_done(j, result);
}

/* ---------------------------------------------------------------- apply */

static void
put_bytea(struct buf *b, const uint8_t *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;
	char two[2];

	if (p == NULL) {
		buf_puts(b, "NULL");
		return;
	}
	/* An element of a bytea[] in text form: "\\x..." */
	buf_puts(b, "\"\\\\x");
	for (i = 0; i < len; i++) {
		two[0] = hex[p[i] >> 4];
		two[1] = hex[p[i] & 15];
		buf_append(b, two, 2);
	}
	buf_puts(b, "\"");
}

enum {
	A_JOBS,
	A_ATTEMPTS,
	A_TIPS,
	A_LINKS,
	A_TEXTS,
	A_TEXT_HASHES,
	A_SHOT_TIP,
	A_SHOT_SEQ,
	A_SHOT_HASHES,
	A_SHOT_TEXTS,
	A_COUNT
};

static void ingest_on_batch(void *, PGresult *);

/* Sends ingest_batch() for b's tips, as arrays in text form. */
static void
ingest_send(struct ingest_batch *b)
{
	const struct cfg *cfg = b->q->cfg;
	struct buf a[A_COUNT];
	const char *v[A_COUNT + 4];
	char win[24], it[24], tt[24], st[24];
	bool ok = true;
	int i, k, s, nshots = 0;

	for (k = 0; k < A_COUNT; k++) {
		buf_init(&a[k], 0);
		buf_puts(&a[k], "{");
	}
	for (i = 0; i < b->n; i++) {
		const struct ingest *in = b->items[i];
		const char *sep = i ? "," : "";

		for (k = A_JOBS; k <= A_TEXT_HASHES; k++)
			buf_puts(&a[k], sep);
		buf_printf(&a[A_JOBS], "%lld", in->job->id);
		buf_printf(&a[A_ATTEMPTS], "%d", in->job->attempts);
		buf_puts(&a[A_TIPS], in->job->tip_id);
		put_bytea(&a[A_LINKS], in->has_link ? in->link_key : NULL, 32);
		put_bytea(&a[A_TEXTS], in->has_text ? in->text_key : NULL, 32);
		if (in->has_text)
			buf_printf(&a[A_TEXT_HASHES], "%lld",
			    (long long)(int64_t)in->text_hash);
		else
			buf_puts(&a[A_TEXT_HASHES], "NULL");
		for (s = 0; s < in->nshots; s++) {
			const struct ingest_shot *sh = &in->shots[s];
			const char *ssep = nshots++ ? "," : "";

			for (k = A_SHOT_TIP; k <= A_SHOT_TEXTS; k++)
				buf_puts(&a[k], ssep);
			buf_printf(&a[A_SHOT_TIP], "%d", i + 1);
			buf_printf(&a[A_SHOT_SEQ], "%d", sh->seq);
			if (sh->has_hash)
				buf_printf(&a[A_SHOT_HASHES], "%lld",
				    (long long)(int64_t)sh->hash);
			else
				buf_puts(&a[A_SHOT_HASHES], "NULL");
			put_bytea(&a[A_SHOT_TEXTS], sh->sealed_text,
			    sh->sealed_text_len);
		}
	}
	for (k = 0; k < A_COUNT; k++) {
		buf_puts(&a[k], "}");
		if ((v[k] = buf_cstr(&a[k])) == NULL)
			ok = false;
	}
	snprintf(win, sizeof(win), "%lld", cfg->dedup_window_ms / 1000);
	snprintf(it, sizeof(it), "%lld", cfg->dedup_image_threshold);
	snprintf(tt, sizeof(tt), "%lld", cfg->dedup_text_threshold);
	snprintf(st, sizeof(st), "%lld", cfg->dedup_screenshot_threshold);
	v[A_COUNT] = win;
	v[A_COUNT + 1] = it;
	v[A_COUNT + 2] = tt;
	v[A_COUNT + 3] = st;
	for (i = 0; i < b->n; i++)
		b->items[i]->state = INGEST_S_APPLY;
	if (!ok || db_send(b->q->db, STMT_WORKER_APPLY, A_COUNT + 4, v, NULL,
	               NULL, ingest_on_batch, b) == NULL)
		ingest_on_batch(b, NULL);
	for (k = 0; k < A_COUNT; k++)
		buf_reset(&a[k]);
}

static struct ingest_batch *
ingest_batch_new(struct queue *q, int n)
{
	struct ingest_batch *b;

	if ((b = calloc(1, sizeof(*b) + (size_t)n * sizeof(b->items[0]))) ==
	    NULL)
		return NULL;
	b->q = q;
	return b;
}

/* One tip alone, after its batch failed. */
static void
ingest_send_alone(struct ingest *in)
{
	struct ingest_batch *b;

	if ((b = ingest_batch_new(in->job->q, 1)) == NULL) {
		ingest_failed(in, "out of memory");
		return;
	}
	b->items[b->n++] = in;
	ingest_send(b);
}

static void
ingest_on_batch(void *arg, PGresult *res)
{
	struct ingest_batch *b = arg;
	struct queue *q = b->q;
	const char *state = db_sqlstate(res);
	bool alone = b->n == 1, ok;
	int i, r;

	for (i = 0; i < b->n; i++)
		if (b->items[i]->state != INGEST_S_APPLY)
			fatalx("%s: ingest in state %d", __func__,
			    b->items[i]->state);
	ok = res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK &&
	     PQntuples(res) == b->n;
	if (ok) {
		/* Rows in the batch's order; checked, not assumed. */
		for (r = 0; r < b->n && ok; r++)
			ok = strtoll(PQgetvalue(res, r, 0), NULL, 10) ==
			     b->items[r]->job->id;
		if (!ok)
			fatalx("ingest_batch answered out of order");
		for (r = 0; r < b->n; r++)
			ingest_done(b->items[r], PQgetvalue(res, r, 1));
	} else if (!alone) {
		/* Debug: a batch is applied as its tips arrive. */
		log_debug("a batch of %d failed (sqlstate %s): applying its "
		          "tips one by one",
		    b->n, state);
		for (i = 0; i < b->n; i++)
			ingest_send_alone(b->items[i]);
	} else if (db_sqlstate_is(res,
	               SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE))
		ingest_lost(b->items[0]);
	else if (db_sqlstate_is(res, SQLSTATE_NO_DATA))
		ingest_failed(b->items[0], "tip is gone");
	else
		ingest_failed(b->items[0], res == NULL ? "database unavailable"
		                                       : "ingest_batch failed");
	if (b->applier) {
		q->ingest->applying = false;
		free(b);
		ingest_kick(q);
	} else
		free(b);
}

/* Sends the tips that are ready as one batch, unless one is in flight. */
static void
ingest_kick(struct queue *q)
{
	struct ingest_queue *iq = q->ingest;
	struct ingest_batch *b;
	struct ingest *in;
	int n;

	if (iq->applying || iq->nready == 0)
		return;
	n = iq->nready < q->cfg->worker_batch ? iq->nready
	                                      : (int)q->cfg->worker_batch;
	if ((b = ingest_batch_new(q, n)) == NULL)
		return; /* tried again when the next tip is ready */
	b->applier = true;
	while (b->n < n) {
		in = TAILQ_FIRST(&iq->ready);
		TAILQ_REMOVE(&iq->ready, in, entry);
		iq->nready--;
		b->items[b->n++] = in;
	}
	iq->applying = true;
	iq->nbatches++;
	ingest_send(b);
}

/* ------------------------------------------------------------------ keys */

/*
 * On a pool thread: reads each screenshot's text, keeps it sealed and its
 * SimHash.  Failures leave that screenshot without a text key.  The tip's
 * screenshots share [worker] ocr_tip_time_limit, so five large ones take
 * no more than one budget: each is read with what is left of it (at most
 * ocr_time_limit), and once it is spent the rest are not read.  Past the
 * budget by at most one page layout analysis, which cannot be cut short.
 */
static void
ingest_read_shots(struct ingest *in)
{
	struct queue *q = in->job->q;
	long long budget = q->cfg->worker_ocr_tip_time_limit_ms, left, limit;
	uint64_t t0 = util_now_ms();
	struct ingest_shot *sh;
	const char *errstr;
	uint8_t *img;
	size_t img_len, nwords;
	char *text;
	int i;

	for (i = 0; i < in->nshots; i++) {
		sh = &in->shots[i];
		left = budget - (long long)(util_now_ms() - t0);
		if (left <= 0) {
			in->nskipped = in->nshots - i;
			break;
		}
		limit = q->cfg->worker_ocr_time_limit_ms;
		if (limit > left)
			limit = left;
		img = seal_open(q->public_key, q->secret_key, sh->sealed,
		    sh->sealed_len, &img_len);
		if (img == NULL)
			continue;
		if (ocr_image(img, img_len, (long)limit, in->script, &text,
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
	ingest_free_shots(in);
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
	struct queue *q = in->job->q;

	if (in->state != INGEST_S_KEYS)
		fatalx("%s: ingest in state %d", __func__, in->state);
	q->shots -= in->nattachments;
	if (in->nskipped > 0)
		log_debug("job=%lld kind=%s OCR time of the tip ran out: %d of "
		          "%d screenshots not read",
		    in->job->id, in->job->kind, in->nskipped, in->nshots);
	if (in->error != NULL) {
		ingest_failed(in, in->error);
		queue_fill(q);
		return;
	}
	in->state = INGEST_S_READY;
	TAILQ_INSERT_TAIL(&q->ingest->ready, in, entry);
	q->ingest->nready++;
	ingest_kick(q);
	queue_fill(q);
}

static void
ingest_keys(struct ingest *in)
{
	struct queue *q = in->job->q;

	in->state = INGEST_S_KEYS;
	if (tpool_submit(q->tpool, ingest_keys_work, ingest_keys_done, in) ==
	    -1) {
		q->shots -= in->nattachments;
		ingest_failed(in, "thread pool full");
	}
}

/* ----------------------------------------------------------------- start */

/* The claim's tips that have screenshots, waiting for them. */
struct ingest_fetch {
	int n;
	struct ingest *items[];
};

static void
ingest_on_shots(void *arg, PGresult *res)
{
	struct ingest_fetch *f = arg;
	struct ingest *in;
	struct ingest_shot *sh;
	int i, r, k;
	bool ok = res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK;

	/* Rows: the tip's index in f, seq, sealed; ordered by both. */
	for (r = 0; ok && r < PQntuples(res); r++) {
		k = (int)strtol(PQgetvalue(res, r, 0), NULL, 10) - 1;
		if (k < 0 || k >= f->n || f->items[k] == NULL)
			continue;
		in = f->items[k];
		if (in->nshots == INGEST_MAX_SHOTS) {
			f->items[k] = NULL;
			in->job->q->shots -= in->nattachments;
			ingest_failed(in, "bad screenshot rows");
			continue;
		}
		sh = &in->shots[in->nshots++];
		sh->seq = (int)strtol(PQgetvalue(res, r, 1), NULL, 10);
		in->script = ocr_script_of_lang(PQgetvalue(res, r, 3));
		sh->sealed = PQunescapeBytea(
		    (const unsigned char *)PQgetvalue(res, r, 2),
		    &sh->sealed_len);
		if (sh->sealed == NULL || sh->seq != in->nshots) {
			f->items[k] = NULL;
			in->job->q->shots -= in->nattachments;
			ingest_failed(in, "bad screenshot rows");
		}
	}
	for (i = 0; i < f->n; i++) {
		if ((in = f->items[i]) == NULL)
			continue;
		if (!ok) {
			in->job->q->shots -= in->nattachments;
			ingest_failed(in, "reading the screenshots failed");
		} else if (in->nshots != in->nattachments) {
			in->job->q->shots -= in->nattachments;
			ingest_failed(in, "bad screenshot rows");
		} else
			ingest_keys(in);
	}
	free(f);
}

void
job_ingest_start(struct job **jobs, const int *rows, int n, const PGresult *res)
{
	struct ingest_fetch *f;
	struct ingest *in;
	struct queue *q;
	struct buf ids;
	const char *v[1];
	int i, r;

	if (n == 0)
		return;
	q = jobs[0]->q;
	f = calloc(1, sizeof(*f) + (size_t)n * sizeof(f->items[0]));
	buf_init(&ids, 0);
	buf_puts(&ids, "{");
	for (i = 0; i < n; i++) {
		struct job *j = jobs[i];

		r = rows[i];
		if ((in = calloc(1, sizeof(*in))) == NULL) {
			job_failed(j, "out of memory");
			continue;
		}
		in->job = j;
		j->data = in;
		in->nattachments = (int)strtol(PQgetvalue(res, r, 6), NULL, 10);
		q->shots += in->nattachments;
		if (PQgetisnull(res, r, 4)) {
			/* The claim's join found no tip. */
			q->shots -= in->nattachments;
			ingest_failed(in, "tip is gone");
			continue;
		}
		in->sealed_desc = PQunescapeBytea(
		    (const unsigned char *)PQgetvalue(res, r, 4),
		    &in->sealed_desc_len);
		if (!PQgetisnull(res, r, 5))
			in->sealed_url = PQunescapeBytea(
			    (const unsigned char *)PQgetvalue(res, r, 5),
			    &in->sealed_url_len);
		if (in->sealed_desc == NULL ||
		    (!PQgetisnull(res, r, 5) && in->sealed_url == NULL) ||
		    in->nattachments < 0 ||
		    in->nattachments > INGEST_MAX_SHOTS) {
			q->shots -= in->nattachments;
			ingest_failed(in, "bad tip row");
			continue;
		}
		if (in->nattachments == 0) {
			ingest_keys(in);
			continue;
		}
		if (f == NULL) {
			q->shots -= in->nattachments;
			ingest_failed(in, "out of memory");
			continue;
		}
		in->state = INGEST_S_SHOTS;
		buf_puts(&ids, f->n ? "," : "");
		buf_puts(&ids, j->tip_id);
		f->items[f->n++] = in;
	}
	buf_puts(&ids, "}");
	if (f != NULL && f->n > 0) {
		v[0] = buf_cstr(&ids);
		if (v[0] == NULL || db_send(q->db, STMT_WORKER_SHOTS, 1, v,
		                        NULL, NULL, ingest_on_shots, f) == NULL)
			ingest_on_shots(f, NULL);
	} else
		free(f);
	buf_reset(&ids);
}

void
job_ingest_init(struct queue *q)
{
	if ((q->ingest = calloc(1, sizeof(*q->ingest))) == NULL)
		fatalx("out of memory");
	TAILQ_INIT(&q->ingest->ready);
}

uint64_t
job_ingest_batches(const struct queue *q)
{
	return q->ingest != NULL ? q->ingest->nbatches : 0;
}

void
job_ingest_free(struct queue *q)
{
	if (q->ingest == NULL)
		return;
	log_debug("ingest batches %llu",
	    (unsigned long long)q->ingest->nbatches);
	log_info("at the last arrival boundary: ingest batches %llu",
	    (unsigned long long)q->published.batches);
	free(q->ingest);
	q->ingest = NULL;
}
