/*
 * The worker's job queue on PostgreSQL.  One job_claim() at a time leases
 * up to [worker] batch due jobs, while fewer than [worker] jobs run and
 * fewer than [worker] screenshots wait for their text to be read.  Each
 * claimed job is a struct job that moves through explicit states:
 *
 *   JOB_S_RUN     the kind's handler is working (database, threads)
 *   JOB_S_FINISH  job_fail() sent after an error
 *
 * A job's effect and its "done" are one transaction (the handler's last
 * statement), so a worker killed at any point leaves the job queued, and
 * after its lease another worker runs it again from the start.
 */
#ifndef TL_QUEUE_H
#define TL_QUEUE_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "cfg.h"
#include "db.h"
#include "job_email.h"
#include "log.h"
#include "tpool.h"

/*
 * A job's id points at its tip (job.tip_id) and its kind says whether it
 * is a tip's ingest: a line naming the job at the moment it runs dates the
 * tip's arrival more precisely than tip.received_at ([privacy]
 * arrival_truncate).  Lines about one job are therefore debug lines, and
 * warnings about one job name only its kind unless debug lines are on.
 */
#define jlog_debug(j, fmt, ...)                                                \
	log_debug("job=%lld kind=%s " fmt, (j)->id, (j)->kind, ##__VA_ARGS__)
#define jlog_warnx(j, fmt, ...)                                                \
	do {                                                                   \
		if (log_debugging())                                           \
			log_warnx("job=%lld kind=%s " fmt, (j)->id, (j)->kind, \
			    ##__VA_ARGS__);                                    \
		else                                                           \
			log_warnx("kind=%s " fmt, (j)->kind, ##__VA_ARGS__);   \
	} while (0)

/* Connections of a worker's pool. */
#define QUEUE_CONNECTIONS 4

enum job_state {
	JOB_S_RUN,    /* the handler has it */
	JOB_S_FINISH, /* job_fail() in flight */
};

struct queue;

/*
 * What the metrics endpoint and the log show of the counters below.  A
 * counter read at any moment would date each tip: the jobs done go up
 * seconds after a tip arrives.  These are the counters as they stood at
 * the last boundary of [privacy] arrival_truncate (the periods tip
 * arrival times are truncated to, on the same wall clock), and the most
 * jobs and unread screenshots in flight at once during the period that
 * ended there.
 */
struct queue_counts {
	uint64_t done, failed, dead, lost;
	uint64_t batches;
	uint64_t email_sent, email_retries, email_failed;
	uint64_t delivered;
	int running_peak, shots_peak;
};

struct job {
	struct queue *q;
	enum job_state state;
	long long id;
	char kind[32];
	char tip_id[40];
	int attempts;
	uint64_t started_ms;
	void *data; /* the handler's */
};

struct queue {
	struct cfg *cfg;
	struct event_base *base;
	struct db_pool *db;
	struct tpool *tpool;
	uint8_t public_key[32];
	uint8_t secret_key[32];
	uint8_t dedup_key[32];
	uint8_t search_key[32];
	uint8_t excerpt_key[32]; /* seal_subkey(secret_key, SEAL_CTX_EXCERPT) */
	bool auditing;           /* follow-ups being audited */
	bool folding;            /* statistics being folded */
	bool delivering;         /* a batch of deliveries in flight */
	bool deliver_full;       /* ...and it was full: more wait */
	bool indexing;           /* a batch of search tokens in flight */
	bool index_full;         /* ...and it was full: more wait */
	char index_after[37];    /* the last tip indexed; "" from the start */
	int running;             /* jobs in any state */
	int shots;               /* screenshots of running jobs not read yet */
	bool claiming;           /* job_claim() in flight */
	bool idle;               /* the last claim found nothing */
	bool stopping;
	struct event sweep;
	struct event purge;    /* queues a purge job */
	struct event boundary; /* publishes the counters */
	struct ingest_queue *ingest;
	struct email_queue *email; /* job_email.c's */
	/* Counters for the log and the metrics endpoint. */
	uint64_t n_done, n_failed, n_dead, n_lost;
	/* E-mail notices sent, failed tries to be retried, and given up
	 * (their addresses deleted unsent). */
	uint64_t n_email_sent, n_email_retries, n_email_failed;
	/* The police's messages sealed to tips' reply keys. */
	uint64_t n_delivered;
	/* The most jobs and unread screenshots at once in this period. */
	int running_peak, shots_peak;
	/* The counters at the last boundary: what may be shown. */
	struct queue_counts published;
};

/* The worker's keys, loaded by main() so that a bad key file ends the
 * start with a clear message. */
struct queue_keys {
	uint8_t public_key[32];
	uint8_t secret_key[32];
	uint8_t dedup_key[32];
	uint8_t search_key[32];
	char smtp_password[EMAIL_MAX_PASSWORD + 1]; /* "" for none */
};

int queue_keys_load(struct queue_keys *, const struct cfg *, char *err,
    size_t errlen);
void queue_init(struct queue *, struct event_base *, struct cfg *,
    const struct queue_keys *);
/* Claims jobs if there is room and work may be due. */
void queue_fill(struct queue *);
/* Stops claiming; the loop ends when running jobs and the e-mail batch
 * in flight are finished. */
void queue_stop(struct queue *);
/* While stopping: ends the loop if nothing is in flight any more. */
void queue_check_stopped(struct queue *);
void queue_free(struct queue *);

/* Notes the jobs and screenshots in flight for the period's peaks. */
void queue_note_peaks(struct queue *);

/* For handlers: the job succeeded (its last statement marked it done). */
void job_done(struct job *, const char *result);
/* The job failed with a constant message (never content); it is retried
 * with backoff or parked as dead. */
void job_failed(struct job *, const char *why);
/* The job's lease passed to another worker: drop it quietly. */
void job_lost(struct job *);

#endif
