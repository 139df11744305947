/*
 * Delivery.  One query (deliver_pending) returns the cases whose
 * messages may not have reached all their tips yet, each with its
 * undelivered (message, tip) pairs: a new message, a tip that joined a
 * case with messages, a merge.  The worker opens each message once with
 * the private key and seals it to each tip's reply key, which only the
 * tip's receipt code can open again (lib/receipt.c); one statement
 * (deliver_store) stores the deliveries, marks e-mail notices due and
 * marks the cases read whole delivered, unless a new message came
 * meanwhile.  A full batch is followed at once by the next.  Storing is
 * idempotent: a batch lost to a crash is found again.  Nothing of the
 * messages is logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "db_stmt.h"
#include "job_deliver.h"
#include "queue.h"
#include "seal.h"

#define DELIVER_BATCH 200

struct deliver_batch {
	struct buf msgs, tips, sealed, cases, gens;
	int ncases, npairs;
};

static void
deliver_on_stored(void *arg, PGresult *res)
{
	struct queue *q = arg;
	bool full = q->deliver_full;

	q->delivering = false;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_warnx("storing deliveries failed, sqlstate %s",
		    db_sqlstate(res));
		return;
	}
	q->n_delivered += strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	log_debug("delivered %s messages", PQgetvalue(res, 0, 0));
	if (full && !q->stopping)
		job_deliver_tick(q);
}

/* The 32 bytes of a bytea in text form, or -1. */
static int
deliver_key(const char *hex, uint8_t out[32])
{
	size_t len;

	if (strncmp(hex, "\\x", 2) != 0 ||
	    sodium_hex2bin(out, 32, hex + 2, strlen(hex + 2), NULL, &len,
	        NULL) != 0 ||
	    len != 32)
		return -1;
	return 0;
}

/* One pair: the message (already opened) sealed to the tip's key. */
static void
deliver_pair(struct deliver_batch *b, const char *msg, const char *tip,
    const char *pk_hex, const uint8_t *plain, size_t plen)
{
	uint8_t pk[32], *box;

	if (deliver_key(pk_hex, pk) == -1 ||
	    (box = seal_box(pk, plain, plen)) == NULL) {
		/* The message's id leads to its case and so to the tip, which
		 * may have just joined it: named in debug lines only. */
		log_warnx("a tip's reply key is damaged; a message (%s) is not "
		          "delivered to it",
		    log_debugging() ? msg : "id in debug lines");
		return;
	}
	buf_printf(&b->msgs, "%s%s", b->npairs == 0 ? "" : ",", msg);
	buf_printf(&b->tips, "%s%s", b->npairs == 0 ? "" : ",", tip);
	buf_puts(&b->sealed, b->npairs == 0 ? "\"\\\\x" : ",\"\\\\x");
	buf_hex(&b->sealed, box, plen + SEAL_OVERHEAD);
	buf_puts(&b->sealed, "\"");
	free(box);
	b->npairs++;
}

static void
deliver_on_pending(void *arg, PGresult *res)
{
	struct queue *q = arg;
	struct deliver_batch b;
	const char *values[5], *msg, *last_msg = "";
	uint8_t *plain = NULL;
	size_t plen = 0;
	int i, rows;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		q->delivering = false;
		if (res != NULL)
			log_warnx("finding messages to deliver failed, "
			          "sqlstate %s",
			    db_sqlstate(res));
		return;
	}
	if ((rows = PQntuples(res)) == 0 || q->stopping) {
		q->delivering = false;
		return;
	}
	memset(&b, 0, sizeof(b));
	buf_init(&b.msgs, 0);
	buf_init(&b.tips, 0);
	buf_init(&b.sealed, 0);
	buf_init(&b.cases, 0);
	buf_init(&b.gens, 0);
	buf_puts(&b.msgs, "{");
	buf_puts(&b.tips, "{");
	buf_puts(&b.sealed, "{");
	buf_puts(&b.cases, "{");
	buf_puts(&b.gens, "{");
	q->deliver_full = rows >= DELIVER_BATCH;
	/* Rows come by case, then message. */
	for (i = 0; i < rows; i++) {
		const char *c = PQgetvalue(res, i, 0);
		bool last_of_case =
		    i + 1 == rows || strcmp(c, PQgetvalue(res, i + 1, 0)) != 0;

		if (!PQgetisnull(res, i, 2)) {
			msg = PQgetvalue(res, i, 2);
			if (strcmp(msg, last_msg) != 0) {
				if (plain != NULL)
					util_free_secret(plain, plen);
				plain =
				    seal_open_hex(q->public_key, q->secret_key,
				        PQgetvalue(res, i, 3), &plen);
				last_msg = msg;
				if (plain == NULL)
					log_warnx("a message (%s) does not "
					          "open",
					    log_debugging()
					        ? msg
					        : "id in debug lines");
			}
			if (plain != NULL)
				deliver_pair(&b, msg, PQgetvalue(res, i, 4),
				    PQgetvalue(res, i, 5), plain, plen);
		}
		/* A case read whole is delivered; the batch's last one may
		 * have been cut short when the batch is full. */
		if (last_of_case && !(i + 1 == rows && q->deliver_full)) {
			buf_printf(&b.cases, "%s%s", b.ncases == 0 ? "" : ",",
			    c);
			buf_printf(&b.gens, "%s%s", b.ncases == 0 ? "" : ",",
			    PQgetvalue(res, i, 1));
			b.ncases++;
		}
	}
	if (plain != NULL)
		util_free_secret(plain, plen);
	/* A full batch of which nothing could be delivered (keys or
	 * messages that do not open, all logged) waits for the next sweep
	 * instead of being read again at once. */
	if (b.npairs == 0 && b.ncases == 0)
		q->deliver_full = false;
	buf_puts(&b.msgs, "}");
	values[0] = buf_cstr(&b.msgs);
	buf_puts(&b.tips, "}");
	values[1] = buf_cstr(&b.tips);
	buf_puts(&b.sealed, "}");
	values[2] = buf_cstr(&b.sealed);
	buf_puts(&b.cases, "}");
	values[3] = buf_cstr(&b.cases);
	buf_puts(&b.gens, "}");
	values[4] = buf_cstr(&b.gens);
	if (b.msgs.err || b.tips.err || b.sealed.err || b.cases.err ||
	    b.gens.err ||
	    db_send(q->db, STMT_WORKER_DELIVER_STORE, 5, values, NULL, NULL,
	        deliver_on_stored, q) == NULL)
		q->delivering = false;
	buf_reset(&b.msgs);
	buf_reset(&b.tips);
	buf_reset(&b.sealed);
	buf_reset(&b.cases);
	buf_reset(&b.gens);
}

void
job_deliver_tick(struct queue *q)
{
	char limit[16];
	const char *values[1];

	if (q->delivering || q->stopping)
		return;
	snprintf(limit, sizeof(limit), "%d", DELIVER_BATCH);
	values[0] = limit;
	if (db_send(q->db, STMT_WORKER_DELIVER_PENDING, 1, values, NULL, NULL,
	        deliver_on_pending, q) != NULL)
		q->delivering = true;
}
