/*
 * Claiming and finishing jobs.  The worker wakes on LISTEN job_ready and
 * on a sweep timer (a notification sent while it was disconnected is
 * lost), claims with FOR UPDATE SKIP LOCKED under a lease, and hands each
 * job to the handler of its kind.  Any number of workers can share one
 * database: SKIP LOCKED keeps them off each other's jobs, the lease brings
 * back the jobs of a worker that died, and job_hold() in the handler's
 * final statement keeps a worker whose lease ran out from applying a
 * result twice.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "daemon.h"
#include "db_stmt.h"
#include "job_email.h"
#include "job_ingest.h"
#include "job_audit.h"
#include "job_stats.h"
#include "job_deliver.h"
#include "job_index.h"
#include "job_purge.h"
#include "keys.h"
#include "queue.h"
#include "seal.h"

static void queue_claim(struct queue *);

static void
job_free(struct job *j)
{
	struct queue *q = j->q;

	sodium_memzero(j, sizeof(*j));
	free(j);
	q->running--;
	if (q->stopping)
		queue_check_stopped(q);
	else
		queue_fill(q);
}

void
job_done(struct job *j, const char *result)
{
	j->q->n_done++;
	jlog_debug(j, "attempt=%d ms=%llu result=done %s", j->attempts,
	    (unsigned long long)(util_now_ms() - j->started_ms), result);
	job_free(j);
}

void
job_lost(struct job *j)
{
	j->q->n_lost++;
	jlog_warnx(j, "attempt=%d result=lost (lease passed on)", j->attempts);
	job_free(j);
}

static void
job_on_fail(void *arg, PGresult *res)
{
	struct job *j = arg;
	const char *state = "unknown";

	if (j->state != JOB_S_FINISH)
		fatalx("%s: job in state %d", __func__, j->state);
	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK &&
	    PQntuples(res) == 1)
		state = PQgetvalue(res, 0, 0);
	if (strcmp(state, "dead") == 0)
		j->q->n_dead++;
	jlog_warnx(j, "attempt=%d result=%s", j->attempts,
	    strcmp(state, "dead") == 0 ? "dead" : "retry");
	job_free(j);
}

void
job_failed(struct job *j, const char *why)
{
	struct queue *q = j->q;
	char id[24], att[24], max[24], backoff[24];
	const char *v[5];

	q->n_failed++;
	jlog_warnx(j, "attempt=%d ms=%llu failed: %s", j->attempts,
	    (unsigned long long)(util_now_ms() - j->started_ms), why);
	j->state = JOB_S_FINISH;
	snprintf(id, sizeof(id), "%lld", j->id);
	snprintf(att, sizeof(att), "%d", j->attempts);
	snprintf(max, sizeof(max), "%lld", q->cfg->worker_max_attempts);
	snprintf(backoff, sizeof(backoff), "%lld.%03lld",
	    q->cfg->worker_backoff_ms / 1000, q->cfg->worker_backoff_ms % 1000);
	v[0] = id;
	v[1] = att;
	v[2] = why;
	v[3] = max;
	v[4] = backoff;
	if (db_send(q->db, STMT_WORKER_FAIL, 5, v, NULL, NULL, job_on_fail,
	        j) == NULL)
		/* The lease runs out and the job comes back by itself. */
		job_on_fail(j, NULL);
}

static void
queue_start_job(struct queue *q, const PGresult *res, int r,
    struct job **ingest, int *rows, int *ningest)
{
	struct job *j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return; /* its lease brings it back */
	j->q = q;
	q->running++;
	j->id = strtoll(PQgetvalue(res, r, 0), NULL, 10);
	snprintf(j->kind, sizeof(j->kind), "%s", PQgetvalue(res, r, 1));
	snprintf(j->tip_id, sizeof(j->tip_id), "%s", PQgetvalue(res, r, 2));
	j->attempts = (int)strtol(PQgetvalue(res, r, 3), NULL, 10);
	j->state = JOB_S_RUN;
	j->started_ms = util_now_ms();
	if (strcmp(j->kind, "ingest") == 0 && j->tip_id[0] != '\0') {
		rows[*ningest] = r;
		ingest[(*ningest)++] = j;
	} else if (strcmp(j->kind, "purge") == 0)
		job_purge_start(j);
	else
		job_failed(j, "unknown job kind");
}

static void
queue_on_claim(void *arg, PGresult *res)
{
	struct queue *q = arg;
	struct job **ingest = NULL;
	int *rows = NULL, n, r, ningest = 0;

	if (!q->claiming)
		fatalx("%s: no claim in flight", __func__);
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_warnx("claiming jobs failed, sqlstate %s",
		    db_sqlstate(res));
		n = 0;
	} else
		n = PQntuples(res);
	/* Nothing due now, or the claim failed: wait for a notification or
	 * the sweep.  (Fewer than asked for may only mean that the
	 * screenshots' budget was reached.) */
	if (n == 0)
		q->idle = true;
	if (n > 0) {
		ingest = calloc((size_t)n, sizeof(*ingest));
		rows = calloc((size_t)n, sizeof(*rows));
		if (ingest == NULL || rows == NULL)
			fatalx("out of memory");
	}
	for (r = 0; r < n; r++)
		queue_start_job(q, res, r, ingest, rows, &ningest);
	job_ingest_start(ingest, rows, ningest, res);
	queue_note_peaks(q);
	free(ingest);
	free(rows);
	q->claiming = false;
	if (q->stopping)
		queue_check_stopped(q);
	else
		queue_fill(q);
}

static void
queue_claim(struct queue *q)
{
	char lease[24], max[24], size[24], shots[24];
	const char *v[4];
	long long room = q->cfg->worker_jobs - q->running;
	long long n = room < q->cfg->worker_batch ? room : q->cfg->worker_batch;

	snprintf(lease, sizeof(lease), "%lld.%03lld",
	    q->cfg->worker_lease_ms / 1000, q->cfg->worker_lease_ms % 1000);
	snprintf(max, sizeof(max), "%lld", q->cfg->worker_max_attempts);
	snprintf(size, sizeof(size), "%lld", n);
	snprintf(shots, sizeof(shots), "%lld",
	    q->cfg->worker_screenshots - q->shots);
	v[0] = lease;
	v[1] = max;
	v[2] = size;
	v[3] = shots;
	q->claiming = true;
	if (db_send(q->db, STMT_WORKER_CLAIM, 4, v, NULL, NULL, queue_on_claim,
	        q) == NULL) {
		q->claiming = false;
		q->idle = true;
	}
}

/* One claim at a time, while there is room for jobs and screenshots. */
void
queue_fill(struct queue *q)
{
	if (!q->stopping && !q->idle && !q->claiming &&
	    q->running < q->cfg->worker_jobs &&
	    q->shots < q->cfg->worker_screenshots && db_pool_up(q->db) > 0)
		queue_claim(q);
}

/* A NOTIFY job_ready or the sweep: there may be work again. */
static void
queue_wake(struct queue *q)
{
	q->idle = false;
	queue_fill(q);
}

/* deliver_store() says 'email' when it made notices due; the rest is
 * for jobs. */
static void
queue_on_notify(void *arg, const char *channel, const char *payload)
{
	(void)channel;
	if (strcmp(payload, "deliver") == 0)
		job_deliver_tick(arg);
	else if (strcmp(payload, "email") == 0)
		job_email_tick(arg);
	else
		queue_wake(arg);
}

static void
queue_purge_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	job_purge_schedule(arg);
}

static void
queue_on_up(void *arg)
{
	queue_wake(arg);
}

void
queue_note_peaks(struct queue *q)
{
	if (q->running > q->running_peak)
		q->running_peak = q->running;
	if (q->shots > q->shots_peak)
		q->shots_peak = q->shots;
}

/* Milliseconds from now to the next boundary of the arrival periods,
 * which tip_submit() counts from the epoch on the database's clock (the
 * same wall clock, within the clocks' drift). */
static long long
queue_to_boundary(const struct queue *q)
{
	struct timespec ts;
	long long period = q->cfg->arrival_truncate_ms, now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return period - now % period;
}

static void
queue_boundary_arm(struct queue *q)
{
	struct timeval tv;
	long long ms = queue_to_boundary(q);

	/* A timer that fires a little early still publishes at the
	 * boundary, within the clocks' drift. */
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	event_add(&q->boundary, &tv);
}

/* A period of arrival times ended: publish the counters as they are and
 * the period's peaks, and start the next period's peaks from what is in
 * flight now. */
static void
queue_boundary_cb(evutil_socket_t fd, short what, void *arg)
{
	struct queue *q = arg;
	struct queue_counts *p = &q->published;

	(void)fd;
	(void)what;
	p->done = q->n_done;
	p->failed = q->n_failed;
	p->dead = q->n_dead;
	p->lost = q->n_lost;
	p->batches = job_ingest_batches(q);
	p->email_sent = q->n_email_sent;
	p->email_retries = q->n_email_retries;
	p->email_failed = q->n_email_failed;
	p->delivered = q->n_delivered;
	p->running_peak = q->running_peak;
	p->shots_peak = q->shots_peak;
	q->running_peak = q->running;
	q->shots_peak = q->shots;
	queue_boundary_arm(q);
}

static void
queue_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	queue_wake(arg);
	job_index_tick(arg);
	job_deliver_tick(arg);
	job_email_tick(arg);
	job_audit_tick(arg);
	job_stats_tick(arg);
}

int
queue_keys_load(struct queue_keys *k, const struct cfg *cfg, char *err,
    size_t errlen)
{
	if (keys_load(cfg->key_public, 0, k->public_key, err, errlen) == -1 ||
	    keys_load(cfg->key_secret, 1, k->secret_key, err, errlen) == -1 ||
	    keys_load(cfg->key_dedup, 1, k->dedup_key, err, errlen) == -1 ||
	    keys_load(cfg->key_search, 1, k->search_key, err, errlen) == -1) {
		sodium_memzero(k, sizeof(*k));
		return -1;
	}
	return 0;
}

void
queue_init(struct queue *q, struct event_base *base, struct cfg *cfg,
    const struct queue_keys *keys)
{
	struct db_pool_opts o;
	struct timeval tv;

	memset(q, 0, sizeof(*q));
	q->cfg = cfg;
	q->base = base;
	memcpy(q->public_key, keys->public_key, sizeof(q->public_key));
	memcpy(q->secret_key, keys->secret_key, sizeof(q->secret_key));
	memcpy(q->dedup_key, keys->dedup_key, sizeof(q->dedup_key));
	memcpy(q->search_key, keys->search_key, sizeof(q->search_key));
	seal_subkey(q->secret_key, SEAL_CTX_EXCERPT, q->excerpt_key);
	daemon_db_opts(&o, cfg, cfg->worker_db_user, db_stmts_worker,
	    STMT_WORKER_COUNT);
	/* Claims, the batch being applied, and the rest (screenshots,
	 * failures, lone retries, purges, indexing); queries wait for a
	 * free one. */
	o.size = QUEUE_CONNECTIONS;
	o.listen = "job_ready";
	o.on_notify = queue_on_notify;
	o.on_up = queue_on_up;
	o.notify_arg = q;
	q->db = db_pool_new(base, &o);
	q->tpool = tpool_new(base, (int)cfg->worker_threads);
	job_ingest_init(q);
	job_email_init(q, keys->smtp_password);
	event_assign(&q->sweep, base, -1, EV_PERSIST, queue_sweep_cb, q);
	tv.tv_sec = cfg->worker_sweep_ms / 1000;
	tv.tv_usec = (cfg->worker_sweep_ms % 1000) * 1000;
	event_add(&q->sweep, &tv);
	event_assign(&q->purge, base, -1, EV_PERSIST, queue_purge_cb, q);
	tv.tv_sec = cfg->retention_every_ms / 1000;
	tv.tv_usec = (cfg->retention_every_ms % 1000) * 1000;
	event_add(&q->purge, &tv);
	evtimer_assign(&q->boundary, base, queue_boundary_cb, q);
	queue_boundary_arm(q);
}

void
queue_stop(struct queue *q)
{
	q->stopping = true;
	event_del(&q->sweep);
	event_del(&q->purge);
	event_del(&q->boundary);
	job_email_stop(q);
	queue_check_stopped(q);
}

void
queue_check_stopped(struct queue *q)
{
	if (q->stopping && q->running == 0 && !q->claiming &&
	    !job_email_busy(q))
		event_base_loopexit(q->base, NULL);
}

void
queue_free(struct queue *q)
{
	event_del(&q->sweep);
	event_del(&q->purge);
	event_del(&q->boundary);
	job_email_cancel(q);
	tpool_free(q->tpool);
	db_pool_free(q->db);
	job_email_free(q);
	job_ingest_free(q);
	sodium_memzero(q->secret_key, sizeof(q->secret_key));
	sodium_memzero(q->dedup_key, sizeof(q->dedup_key));
	sodium_memzero(q->search_key, sizeof(q->search_key));
	sodium_memzero(q->excerpt_key, sizeof(q->excerpt_key));
	/* At the default level what was published: counters of this moment
	 * would date the tips that came since the last boundary. */
	log_debug("jobs done %llu, failed %llu, dead %llu, lost %llu",
	    (unsigned long long)q->n_done, (unsigned long long)q->n_failed,
	    (unsigned long long)q->n_dead, (unsigned long long)q->n_lost);
	log_debug("e-mail notices sent %llu, tries failed %llu, given up %llu",
	    (unsigned long long)q->n_email_sent,
	    (unsigned long long)(q->n_email_retries + q->n_email_failed),
	    (unsigned long long)q->n_email_failed);
	log_info("at the last arrival boundary: jobs done %llu, failed %llu, "
	         "dead %llu, lost %llu",
	    (unsigned long long)q->published.done,
	    (unsigned long long)q->published.failed,
	    (unsigned long long)q->published.dead,
	    (unsigned long long)q->published.lost);
	log_info("at the last arrival boundary: e-mail notices sent %llu, "
	         "tries failed %llu, given up %llu",
	    (unsigned long long)q->published.email_sent,
	    (unsigned long long)(q->published.email_retries +
	                         q->published.email_failed),
	    (unsigned long long)q->published.email_failed);
}
