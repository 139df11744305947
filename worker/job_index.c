/*
 * Indexing for search.  On each sweep, one query finds up to
 * INDEX_BATCH tips that are in a case but not indexed yet (through a
 * partial index, from where the last batch ended: no scan, and no
 * reading again the entries of tips just indexed, which only a vacuum
 * removes) and returns each one's sealed texts: the
 * description, link, place and the screenshots' read text.  The worker
 * opens them, turns them into tokens and stores them with one statement
 * that also marks the tips indexed and stores each one's excerpt for the
 * console's lists (the description's first characters, in a secret-key
 * box: schema/0011_excerpt.sql).  A full batch is followed at once by
 * the next, so old tips are indexed quickly after an upgrade; a batch
 * lost to a crash is simply found again.  Nothing of the text is logged
 * or stored in clear.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "db_stmt.h"
#include "job_index.h"
#include "queue.h"
#include "search.h"
#include "seal.h"
#include "text.h"

#define INDEX_BATCH 200

/* The excerpt of a description, in its box, as hex appended to b. */
static void
index_excerpt(struct queue *q, const uint8_t *plain, size_t plen, struct buf *b)
{
	struct buf e;
	uint8_t *box;
	size_t blen;

	buf_init(&e, 0);
	text_excerpt((const char *)plain, plen, TEXT_EXCERPT, &e);
	if (!e.err &&
	    (box = seal_secret(q->excerpt_key,
	         e.p != NULL ? (const void *)e.p : "", e.len, &blen)) != NULL) {
		buf_hex(b, box, blen);
		free(box);
	}
	buf_reset(&e); /* wipes */
}

/* Opens one sealed bytea (text form) and adds its tokens to t, and for a
 * description its excerpt to ex. */
static void
index_add(struct queue *q, const char *kind, const char *hex, int32_t *t,
    size_t *n, struct buf *ex)
{
	uint8_t *plain;
	size_t plen;

	if ((plain = seal_open_hex(q->public_key, q->secret_key, hex, &plen)) ==
	    NULL)
		return;
	*n += search_tokens((const char *)plain, plen, q->search_key, t + *n,
	    SEARCH_MAX_TOKENS - *n);
	if (kind[0] == 'd')
		index_excerpt(q, plain, plen, ex);
	util_free_secret(plain, plen);
}

static int
index_cmp(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return x < y ? -1 : x > y;
}

/* One tip's tokens as an array literal, "{1,-5,7}". */
static void
index_literal(struct buf *b, int32_t *t, size_t n)
{
	size_t i;

	qsort(t, n, sizeof(*t), index_cmp);
	buf_puts(b, "\"{");
	for (i = 0; i < n; i++)
		if (i == 0 || t[i] != t[i - 1])
			buf_printf(b, "%s%d", i == 0 ? "" : ",", (int)t[i]);
	buf_puts(b, "}\"");
}

static void
index_on_stored(void *arg, PGresult *res)
{
	struct queue *q = arg;
	bool full = q->index_full;

	q->indexing = false;
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		log_warnx("storing search tokens failed, sqlstate %s",
		    db_sqlstate(res));
		return;
	}
	log_debug("indexed %s tips", PQcmdTuples(res));
	if (full && !q->stopping)
		job_index_tick(q);
}

static void
index_on_pending(void *arg, PGresult *res)
{
	struct queue *q = arg;
	struct buf ids, toks, exs;
	int32_t *t;
	size_t n = 0;
	int i, rows, tips = 0;
	const char *values[3];

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		q->indexing = false;
		if (res != NULL)
			log_warnx("finding tips to index failed, sqlstate %s",
			    db_sqlstate(res));
		return;
	}
	if ((rows = PQntuples(res)) == 0) {
		/* Past the last one: the next sweep starts from the first
		 * again (a tip may have joined its case meanwhile). */
		q->index_after[0] = '\0';
		q->indexing = false;
		return;
	}
	if (q->stopping ||
	    (t = calloc(SEARCH_MAX_TOKENS, sizeof(*t))) == NULL) {
		q->indexing = false;
		return;
	}
	snprintf(q->index_after, sizeof(q->index_after), "%s",
	    PQgetvalue(res, rows - 1, 0));
	buf_init(&ids, 0);
	buf_init(&toks, 0);
	buf_init(&exs, 0);
	buf_puts(&ids, "{");
	buf_puts(&toks, "{");
	buf_puts(&exs, "{\"");
	/* Rows come grouped by tip; an excerpt is hex, "" if none. */
	for (i = 0; i < rows; i++) {
		index_add(q, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), t,
		    &n, &exs);
		if (i + 1 < rows && strcmp(PQgetvalue(res, i, 0),
		                        PQgetvalue(res, i + 1, 0)) == 0)
			continue;
		buf_printf(&ids, "%s%s", tips == 0 ? "" : ",",
		    PQgetvalue(res, i, 0));
		if (tips > 0)
			buf_puts(&toks, ",");
		index_literal(&toks, t, n);
		buf_puts(&exs, i + 1 < rows ? "\",\"" : "\"}");
		tips++;
		n = 0;
	}
	buf_puts(&ids, "}");
	buf_puts(&toks, "}");
	free(t);
	q->index_full = tips >= INDEX_BATCH;
	values[0] = buf_cstr(&ids);
	values[1] = buf_cstr(&toks);
	values[2] = buf_cstr(&exs);
	if (ids.err || toks.err || exs.err ||
	    db_send(q->db, STMT_WORKER_INDEX_STORE, 3, values, NULL, NULL,
	        index_on_stored, q) == NULL)
		q->indexing = false;
	buf_reset(&ids);
	buf_reset(&toks);
	buf_reset(&exs);
}

void
job_index_tick(struct queue *q)
{
	char limit[16];
	const char *values[2];

	if (q->indexing || q->stopping)
		return;
	snprintf(limit, sizeof(limit), "%d", INDEX_BATCH);
	values[0] = limit;
	values[1] = q->index_after[0] != '\0'
	                ? q->index_after
	                : "00000000-0000-0000-0000-000000000000";
	if (db_send(q->db, STMT_WORKER_INDEX_PENDING, 2, values, NULL, NULL,
	        index_on_pending, q) != NULL)
		q->indexing = true;
}
