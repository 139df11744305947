/*
 * The statistics' rollup, folded on the sweep: see job_stats.h.  One
 * statement folds up to STATS_FOLD_MAX deltas in one transaction; a full
 * batch is followed by the next at once, so a backlog (a migration's
 * counts of everything stored before it) drains without waiting for
 * sweeps.
 */
#include <stdio.h>
#include <stdlib.h>

#include "db_stmt.h"
#include "job_stats.h"
#include "queue.h"

#define STATS_FOLD_MAX 20000

static void
stats_on_done(void *arg, PGresult *res)
{
	struct queue *q = arg;
	long n;

	q->folding = false;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		if (res != NULL)
			log_warnx("folding statistics failed, sqlstate %s",
			    db_sqlstate(res));
		return;
	}
	n = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	if (n >= STATS_FOLD_MAX)
		job_stats_tick(q);
}

void
job_stats_tick(struct queue *q)
{
	char max[16];
	const char *values[1];

	if (q->folding || q->stopping)
		return;
	snprintf(max, sizeof(max), "%d", STATS_FOLD_MAX);
	values[0] = max;
	if (db_send(q->db, STMT_WORKER_STATS_FOLD, 1, values, NULL, NULL,
	        stats_on_done, q) != NULL)
		q->folding = true;
}
