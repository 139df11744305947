/*
 * Purge: purge_batch() deletes at most [retention] batch rows of each
 * kind per call, in its own transaction; the job calls it until nothing
 * is left, then job_finish() marks it done.  Deleting is idempotent, so a
 * purge cut short by a crash just runs again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_stmt.h"
#include "job_purge.h"
#include "queue.h"

struct purge {
	struct job *job;
	long long deleted;
	int batches;
};

static void purge_next(struct purge *);

static void
purge_on_finished(void *arg, PGresult *res)
{
	struct purge *p = arg;
	struct job *j = p->job;
	char result[64];

	snprintf(result, sizeof(result), "deleted=%lld batches=%d", p->deleted,
	    p->batches);
	free(p);
	j->data = NULL;
	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK)
		job_done(j, result);
	else if (db_sqlstate_is(res, SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE))
		job_lost(j);
	else
		job_failed(j, "finishing the purge failed");
}

static void
purge_on_batch(void *arg, PGresult *res)
{
	struct purge *p = arg;
	struct job *j = p->job;
	char id[24], att[24];
	const char *v[2];
	long long n;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		free(p);
		j->data = NULL;
		job_failed(j, "purge batch failed");
		return;
	}
	n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	p->deleted += n;
	p->batches++;
	if (n > 0 && !j->q->stopping) {
		purge_next(p);
		return;
	}
	snprintf(id, sizeof(id), "%lld", j->id);
	snprintf(att, sizeof(att), "%d", j->attempts);
	v[0] = id;
	v[1] = att;
	if (db_send(j->q->db, STMT_WORKER_FINISH, 2, v, NULL, NULL,
	        purge_on_finished, p) == NULL)
		purge_on_finished(p, NULL);
}

static void
purge_next(struct purge *p)
{
	struct cfg *cfg = p->job->q->cfg;
	char keep[24], jobs[24], batch[24];
	const char *v[3];

	snprintf(keep, sizeof(keep), "%lld", cfg->retention_closed_ms / 1000);
	snprintf(jobs, sizeof(jobs), "%lld",
	    cfg->retention_done_jobs_ms / 1000);
	snprintf(batch, sizeof(batch), "%lld", cfg->retention_batch);
	v[0] = keep;
	v[1] = jobs;
	v[2] = batch;
	if (db_send(p->job->q->db, STMT_WORKER_PURGE_BATCH, 3, v, NULL, NULL,
	        purge_on_batch, p) == NULL)
		purge_on_batch(p, NULL);
}

void
job_purge_start(struct job *j)
{
	struct purge *p;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		job_failed(j, "out of memory");
		return;
	}
	p->job = j;
	j->data = p;
	purge_next(p);
}

static void
purge_on_scheduled(void *arg, PGresult *res)
{
	(void)arg;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK)
		log_warnx("queueing a purge failed, sqlstate %s",
		    db_sqlstate(res));
}

void
job_purge_schedule(struct queue *q)
{
	if (db_send(q->db, STMT_WORKER_PURGE_SCHEDULE, 0, NULL, NULL, NULL,
	        purge_on_scheduled, q) == NULL)
		log_warnx("queueing a purge failed: database unavailable");
}
