/*
 * The connection pool.  Every connection is a small state machine driven
 * by one socket event and one timer:
 *
 *   DOWN --retry timer--> CONNECTING --PQconnectPoll OK--> PREPARING
 *   PREPARING --all statements prepared--> IDLE <--> BUSY
 *   any error --> DOWN (backoff doubles up to retry_max)
 *
 * Queries wait in one FIFO; an IDLE connection takes the head.  A query
 * whose deadline passes while queued gets a NULL result.  In flight, the
 * server aborts a statement itself a little before the deadline (each
 * connection sets statement_timeout), so that its owner learns for sure
 * that nothing was committed.  Should the deadline pass all the same (the
 * query waited in the queue first), the connection goes CANCELLING: a
 * cancel request is sent from a thread of its own, and the statement's
 * real result is awaited for DB_CANCEL_WAIT_MS more before the connection
 * is dropped.  A connection that was sent a cancel is not used again, as a
 * late cancel could hit its next query.  Idle connections keep a read
 * event so that notifications and a server that went away are noticed at
 * once.
 */
#include <sys/queue.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event_struct.h>

#include "db.h"
#include "log.h"

/* How long a cancelled statement's result is awaited.  PQcancel() itself
 * runs on a thread, so this bounds only the wait of the query's owner. */
#define DB_CANCEL_WAIT_MS      2000LL
/* statement_timeout is query_timeout less this, or less a quarter of it if
 * that is smaller: time for the server's answer to arrive. */
#define DB_STATEMENT_MARGIN_MS 1000LL

enum db_state {
	DB_C_DOWN,       /* waiting for the retry timer */
	DB_C_CONNECTING, /* PQconnectPoll in progress */
	DB_C_PREPARING,  /* sending statement next_stmt */
	DB_C_IDLE,       /* ready for a query */
	DB_C_BUSY,       /* a query in flight */
	DB_C_CANCELLING, /* deadline passed, cancel sent, awaiting result */
};

struct db_query {
	TAILQ_ENTRY(db_query) entry;
	struct db_pool *pool;
	size_t stmt;
	int nparams;
	char **values;
	int *lengths;
	int *formats;
	db_result_fn *fn;
	void *arg;
	uint64_t deadline;
	bool queued;
	bool sent; /* handed to a server: it may have run */
};

TAILQ_HEAD(db_queue, db_query);

struct db_conn {
	struct db_pool *pool;
	int id;
	enum db_state state;
	PGconn *pg;
	int fd;
	struct event ev;
	struct event timer;
	bool ev_set;
	/* PREPARING: statements 0..nstmts-1, then DB_STEP_SET, DB_STEP_LISTEN
	 * (counted from nstmts). */
	size_t next_stmt;
	struct db_query *cur;
	PGresult *res; /* result kept until the last one arrives */
	long long backoff_ms;
};

struct db_pool {
	struct event_base *base;
	struct db_pool_opts o;
	char *conninfo;
	struct db_conn *conns;
	struct db_queue queue;
	struct event sweep; /* deadlines of queued queries */
	struct event kick;  /* db_send()'s dispatch, from the event loop */
	long long statement_timeout_ms;
	int up;
	bool closing; /* db_pool_free() is running */
	bool unknown; /* see db_outcome_unknown() */
};

enum {
	DB_STEP_SET,
	DB_STEP_LISTEN,
	DB_STEPS
};

static void db_conn_start(struct db_conn *);
static void db_conn_down(struct db_conn *, const char *);
static void db_conn_cb(evutil_socket_t, short, void *);
static void db_dispatch(struct db_pool *);
static void db_conn_cancel(struct db_conn *);
static void db_conn_recycle(struct db_conn *);

static void
db_query_free(struct db_query *q)
{
	int i;

	if (q == NULL)
		return;
	for (i = 0; i < q->nparams; i++) {
		if (q->values[i] != NULL) {
			explicit_bzero(q->values[i],
			    q->lengths ? (size_t)q->lengths[i]
			               : strlen(q->values[i]));
			free(q->values[i]);
		}
	}
	free(q->values);
	free(q->lengths);
	free(q->formats);
	free(q);
}

/* Delivers a result (or NULL) to the query's owner and frees the query. */
static void
db_query_finish(struct db_query *q, PGresult *res)
{
	struct db_pool *pool = q->pool;
	bool was = pool->unknown;

	/* Kept across a callback that sends (and fails) other queries. */
	pool->unknown = res == NULL && q->sent;
	if (q->fn != NULL)
		q->fn(q->arg, res);
	pool->unknown = was;
	db_query_free(q);
}

static void
db_conn_arm(struct db_conn *c, short what)
{
	if (c->ev_set) {
		event_del(&c->ev);
		c->ev_set = false;
	}
	c->fd = PQsocket(c->pg);
	if (c->fd < 0)
		return;
	event_assign(&c->ev, c->pool->base, c->fd, what, db_conn_cb, c);
	event_add(&c->ev, NULL);
	c->ev_set = true;
}

static void
db_conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct db_conn *c = arg;

	(void)fd;
	(void)what;
	switch (c->state) {
	case DB_C_DOWN:
		db_conn_start(c);
		break;
	case DB_C_CONNECTING:
	case DB_C_PREPARING:
		db_conn_down(c, "connect timed out");
		break;
	case DB_C_BUSY:
		db_conn_cancel(c);
		break;
	case DB_C_CANCELLING:
		db_conn_down(c, "no answer after cancelling a query");
		break;
	case DB_C_IDLE:
		break;
	}
}

static void
db_timer_in(struct db_conn *c, long long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(&c->timer, &tv);
}

static void
db_conn_down(struct db_conn *c, const char *why)
{
	struct db_pool *pool = c->pool;
	struct db_query *q, *tmp;
	bool was_up = c->state == DB_C_IDLE || c->state == DB_C_BUSY ||
	              c->state == DB_C_CANCELLING;

	log_warnx("db: connection %d down: %s", c->id, why);
	if (c->ev_set) {
		event_del(&c->ev);
		c->ev_set = false;
	}
	evtimer_del(&c->timer);
	if (c->res != NULL) {
		PQclear(c->res);
		c->res = NULL;
	}
	if (c->pg != NULL) {
		PQfinish(c->pg);
		c->pg = NULL;
	}
	c->state = DB_C_DOWN;
	if (was_up)
		pool->up--;
	if (c->cur != NULL) {
		q = c->cur;
		c->cur = NULL;
		db_query_finish(q, NULL);
	}
	/* With no connection left, waiting queries fail now, not later. */
	if (pool->up == 0) {
		TAILQ_FOREACH_SAFE(q, &pool->queue, entry, tmp) {
			TAILQ_REMOVE(&pool->queue, q, entry);
			q->queued = false;
			db_query_finish(q, NULL);
		}
	}
	db_timer_in(c, c->backoff_ms);
	c->backoff_ms *= 2;
	if (c->backoff_ms > pool->o.retry_max_ms)
		c->backoff_ms = pool->o.retry_max_ms;
}

static void
db_conn_start(struct db_conn *c)
{
	c->pg = PQconnectStart(c->pool->conninfo);
	if (c->pg == NULL) {
		log_warnx("db: out of memory");
		c->state = DB_C_CONNECTING;
		db_conn_down(c, "PQconnectStart failed");
		return;
	}
	c->state = DB_C_CONNECTING;
	if (PQstatus(c->pg) == CONNECTION_BAD) {
		db_conn_down(c, "bad connection parameters");
		return;
	}
	db_timer_in(c, c->pool->o.connect_timeout_ms);
	db_conn_arm(c, EV_WRITE);
}

/* A step after the statements that this pool needs. */
static bool
db_step_needed(const struct db_pool *pool, size_t step)
{
	switch (step) {
	case DB_STEP_SET:
		return pool->statement_timeout_ms > 0;
	case DB_STEP_LISTEN:
		return pool->o.listen != NULL;
	default:
		return false;
	}
}

/* Sends the next PREPARE (or the SET, or the LISTEN), or goes IDLE when
 * done. */
static void
db_conn_prepare_next(struct db_conn *c)
{
	struct db_pool *pool = c->pool;
	const struct db_stmt *s;
	size_t n = pool->o.nstmts;
	char sql[128];
	int ok;

	while (c->next_stmt >= n && c->next_stmt < n + DB_STEPS &&
	       !db_step_needed(pool, c->next_stmt - n))
		c->next_stmt++;
	if (c->next_stmt < n) {
		s = &pool->o.stmts[c->next_stmt];
		ok = PQsendPrepare(c->pg, s->name, s->sql, s->nparams, NULL);
	} else if (c->next_stmt == n + DB_STEP_SET) {
		/* The server aborts a statement before the pool gives up on
		 * it: its owner then knows that nothing was committed. */
		snprintf(sql, sizeof(sql), "SET statement_timeout = %lld",
		    pool->statement_timeout_ms);
		ok = PQsendQuery(c->pg, sql);
	} else if (c->next_stmt == n + DB_STEP_LISTEN) {
		snprintf(sql, sizeof(sql), "LISTEN %s", pool->o.listen);
		ok = PQsendQuery(c->pg, sql);
	} else {
		evtimer_del(&c->timer);
		c->state = DB_C_IDLE;
		c->backoff_ms = 250;
		pool->up++;
		log_info("db: connection %d ready", c->id);
		db_conn_arm(c, EV_READ | EV_PERSIST);
		db_dispatch(pool);
		if (pool->o.on_up != NULL)
			pool->o.on_up(pool->o.notify_arg);
		return;
	}
	if (!ok) {
		db_conn_down(c, "could not send statement");
		return;
	}
	db_conn_arm(c, PQflush(c->pg) == 1 ? EV_READ | EV_WRITE : EV_READ);
}

static void
db_conn_notifies(struct db_conn *c)
{
	PGnotify *n;

	while ((n = PQnotifies(c->pg)) != NULL) {
		if (c->pool->o.on_notify != NULL)
			c->pool->o.on_notify(c->pool->o.notify_arg, n->relname,
			    n->extra != NULL ? n->extra : "");
		PQfreemem(n);
	}
}

/*
 * Reads what the server sent.  Returns 1 when all results of the current
 * command are in (kept in c->res), 0 to wait, -1 on a broken connection.
 */
static int
db_conn_read(struct db_conn *c)
{
	PGresult *r;

	if (!PQconsumeInput(c->pg))
		return -1;
	db_conn_notifies(c);
	while (!PQisBusy(c->pg)) {
		if ((r = PQgetResult(c->pg)) == NULL)
			return 1;
		/* Keep the first error, else the last result. */
		if (c->res == NULL ||
		    (PQresultStatus(c->res) != PGRES_FATAL_ERROR)) {
			if (c->res != NULL)
				PQclear(c->res);
			c->res = r;
		} else
			PQclear(r);
	}
	return 0;
}

static void
db_conn_cb(evutil_socket_t fd, short what, void *arg)
{
	struct db_conn *c = arg;
	struct db_query *q;
	PGresult *res;
	int rv;

	(void)fd;
	switch (c->state) {
	case DB_C_CONNECTING:
		switch (PQconnectPoll(c->pg)) {
		case PGRES_POLLING_READING:
			db_conn_arm(c, EV_READ);
			return;
		case PGRES_POLLING_WRITING:
			db_conn_arm(c, EV_WRITE);
			return;
		case PGRES_POLLING_OK:
			if (PQsetnonblocking(c->pg, 1) != 0) {
				db_conn_down(c, "PQsetnonblocking failed");
				return;
			}
			c->state = DB_C_PREPARING;
			c->next_stmt = 0;
			db_conn_prepare_next(c);
			return;
		default:
			db_conn_down(c, "connect failed");
			return;
		}
	case DB_C_PREPARING:
	case DB_C_BUSY:
	case DB_C_CANCELLING:
		if ((what & EV_WRITE) && PQflush(c->pg) == -1) {
			db_conn_down(c, "write failed");
			return;
		}
		if ((rv = db_conn_read(c)) == -1) {
			db_conn_down(c, "read failed");
			return;
		}
		if (rv == 0) {
			db_conn_arm(c,
			    PQflush(c->pg) == 1 ? EV_READ | EV_WRITE : EV_READ);
			return;
		}
		res = c->res;
		c->res = NULL;
		if (c->state == DB_C_PREPARING) {
			rv = res != NULL &&
			     PQresultStatus(res) == PGRES_COMMAND_OK;
			if (!rv)
				log_warnx("db: preparing step %zu failed, "
				          "sqlstate %s",
				    c->next_stmt, db_sqlstate(res));
			PQclear(res);
			if (!rv) {
				db_conn_down(c, "prepare failed");
				return;
			}
			c->next_stmt++;
			db_conn_prepare_next(c);
			return;
		}
		evtimer_del(&c->timer);
		q = c->cur;
		c->cur = NULL;
		if (c->state == DB_C_CANCELLING)
			db_conn_recycle(c);
		else {
			c->state = DB_C_IDLE;
			db_conn_arm(c, EV_READ | EV_PERSIST);
		}
		db_query_finish(q, res);
		PQclear(res);
		db_dispatch(c->pool);
		return;
	case DB_C_IDLE:
		if (db_conn_read(c) == -1 || PQstatus(c->pg) != CONNECTION_OK) {
			db_conn_down(c, "server closed the connection");
			return;
		}
		if (c->res != NULL) {
			PQclear(c->res);
			c->res = NULL;
		}
		return;
	case DB_C_DOWN:
		return;
	}
}

/* Runs on a thread of its own: PQcancel() blocks until the server has
 * the request.  Its outcome shows in the query's result, so it is not
 * logged (log_* belong to the event loop's thread). */
static void *
db_cancel_main(void *arg)
{
	PGcancel *cn = arg;
	char err[256];

	(void)PQcancel(cn, err, sizeof(err));
	PQfreeCancel(cn);
	return NULL;
}

/*
 * The deadline of the query in flight passed: asks the server to cancel
 * it and waits DB_CANCEL_WAIT_MS for its result, which says whether it
 * committed.  Dropping the connection at once would leave that unknown.
 */
static void
db_conn_cancel(struct db_conn *c)
{
	PGcancel *cn;
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, old;
	int rv;

	if ((cn = PQgetCancel(c->pg)) == NULL) {
		db_conn_down(c, "query deadline passed");
		return;
	}
	/* Signals stay with the event loop's thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rv = pthread_create(&t, &attr, db_cancel_main, cn);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rv != 0) {
		PQfreeCancel(cn);
		db_conn_down(c, "query deadline passed, no thread to cancel");
		return;
	}
	log_warnx("db: connection %d: query deadline passed, cancelling",
	    c->id);
	c->state = DB_C_CANCELLING;
	db_timer_in(c, DB_CANCEL_WAIT_MS);
}

/* A connection that was sent a cancel starts afresh: the request may
 * still reach its backend, and must not hit the next query. */
static void
db_conn_recycle(struct db_conn *c)
{
	log_info("db: connection %d reconnects after a cancel", c->id);
	if (c->ev_set) {
		event_del(&c->ev);
		c->ev_set = false;
	}
	evtimer_del(&c->timer);
	PQfinish(c->pg);
	c->pg = NULL;
	c->state = DB_C_DOWN;
	c->pool->up--;
	db_conn_start(c);
}

static void
db_conn_run(struct db_conn *c, struct db_query *q)
{
	struct db_pool *pool = c->pool;
	const struct db_stmt *s = &pool->o.stmts[q->stmt];
	uint64_t now = util_now_ms();
	int ok;

	c->cur = q;
	c->state = DB_C_BUSY;
	if (s->replan)
		ok = PQsendQueryParams(c->pg, s->sql, q->nparams, NULL,
		    (const char *const *)q->values, q->lengths, q->formats, 0);
	else
		ok = PQsendQueryPrepared(c->pg, s->name, q->nparams,
		    (const char *const *)q->values, q->lengths, q->formats, 0);
	if (!ok) {
		db_conn_down(c, "could not send query");
		return;
	}
	/* From here on the server may run it, even if this end never hears
	 * back.  (A failed send left it without its Sync: never committed.) */
	q->sent = true;
	db_timer_in(c, q->deadline > now ? (long long)(q->deadline - now) : 1);
	db_conn_arm(c, PQflush(c->pg) == 1 ? EV_READ | EV_WRITE : EV_READ);
}

static void
db_dispatch(struct db_pool *pool)
{
	struct db_query *q;
	int i;

	for (i = 0; i < pool->o.size && !TAILQ_EMPTY(&pool->queue); i++) {
		if (pool->conns[i].state != DB_C_IDLE)
			continue;
		q = TAILQ_FIRST(&pool->queue);
		TAILQ_REMOVE(&pool->queue, q, entry);
		q->queued = false;
		db_conn_run(&pool->conns[i], q);
	}
}

static void
db_kick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	db_dispatch(arg);
}

static void
db_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct db_pool *pool = arg;
	struct db_query *q, *tmp;
	uint64_t now = util_now_ms();

	(void)fd;
	(void)what;
	TAILQ_FOREACH_SAFE(q, &pool->queue, entry, tmp) {
		if (q->deadline > now)
			continue;
		TAILQ_REMOVE(&pool->queue, q, entry);
		q->queued = false;
		db_query_finish(q, NULL);
	}
}

struct db_pool *
db_pool_new(struct event_base *base, const struct db_pool_opts *o)
{
	struct db_pool *pool;
	struct timeval tv = { 0, 100 * 1000 };
	size_t n;
	int i;

	pool = xcalloc(1, sizeof(*pool));
	pool->base = base;
	pool->o = *o;
	pool->statement_timeout_ms =
	    o->query_timeout_ms -
	    (o->query_timeout_ms / 4 < DB_STATEMENT_MARGIN_MS
	            ? o->query_timeout_ms / 4
	            : DB_STATEMENT_MARGIN_MS);
	n = strlen(o->conninfo) + 64 + (o->user ? strlen(o->user) : 0);
	pool->conninfo = xmalloc(n);
	/* fallback_application_name keeps pg_stat_activity readable. */
	if (o->user != NULL && o->user[0] != '\0')
		snprintf(pool->conninfo, n,
		    "%s user=%s "
		    "fallback_application_name=tipline",
		    o->conninfo, o->user);
	else
		snprintf(pool->conninfo, n,
		    "%s fallback_application_name=tipline", o->conninfo);
	TAILQ_INIT(&pool->queue);
	pool->conns = xcalloc((size_t)o->size, sizeof(*pool->conns));
	event_assign(&pool->sweep, base, -1, EV_PERSIST, db_sweep_cb, pool);
	event_add(&pool->sweep, &tv);
	event_assign(&pool->kick, base, -1, 0, db_kick_cb, pool);
	for (i = 0; i < o->size; i++) {
		struct db_conn *c = &pool->conns[i];

		c->pool = pool;
		c->id = i;
		c->fd = -1;
		c->backoff_ms = 250;
		evtimer_assign(&c->timer, base, db_conn_timer_cb, c);
		db_conn_start(c);
	}
	return pool;
}

void
db_pool_free(struct db_pool *pool)
{
	struct db_query *q;
	int i;

	if (pool == NULL)
		return;
	/* Callbacks of the queries failed below may try to send more: with
	 * no connection up, db_send() refuses them at once. */
	pool->up = 0;
	pool->closing = true;
	while ((q = TAILQ_FIRST(&pool->queue)) != NULL) {
		TAILQ_REMOVE(&pool->queue, q, entry);
		db_query_finish(q, NULL);
	}
	for (i = 0; i < pool->o.size; i++) {
		struct db_conn *c = &pool->conns[i];
		struct db_query *cur = c->cur;

		if (c->ev_set)
			event_del(&c->ev);
		evtimer_del(&c->timer);
		c->cur = NULL;
		if (cur != NULL)
			db_query_finish(cur, NULL);
		if (c->res != NULL)
			PQclear(c->res);
		if (c->pg != NULL)
			PQfinish(c->pg);
	}
	event_del(&pool->sweep);
	event_del(&pool->kick);
	free(pool->conns);
	free(pool->conninfo);
	free(pool);
}

struct db_query *
db_send(struct db_pool *pool, size_t stmt, int nparams,
    const char *const *values, const int *lengths, const int *formats,
    db_result_fn *fn, void *arg)
{
	struct db_query *q;
	size_t len;
	int i;

	if (stmt >= pool->o.nstmts || nparams != pool->o.stmts[stmt].nparams)
		fatalx("%s: statement %zu called with %d parameters", __func__,
		    stmt, nparams);
	if (pool->up == 0 || pool->closing)
		return NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->pool = pool;
	q->stmt = stmt;
	q->fn = fn;
	q->arg = arg;
	q->deadline = util_now_ms() + (uint64_t)pool->o.query_timeout_ms;
	if (nparams > 0) {
		q->values = calloc((size_t)nparams, sizeof(char *));
		q->lengths = calloc((size_t)nparams, sizeof(int));
		q->formats = calloc((size_t)nparams, sizeof(int));
		if (q->values == NULL || q->lengths == NULL ||
		    q->formats == NULL)
			goto fail;
		q->nparams = nparams;
		for (i = 0; i < nparams; i++) {
			q->formats[i] = formats ? formats[i] : 0;
			if (values[i] == NULL)
				continue;
			len = q->formats[i] == 1 ? (size_t)lengths[i]
			                         : strlen(values[i]);
			if ((q->values[i] = malloc(len + 1)) == NULL)
				goto fail;
			memcpy(q->values[i], values[i], len);
			q->values[i][len] = '\0';
			q->lengths[i] = (int)len;
		}
	}
	TAILQ_INSERT_TAIL(&pool->queue, q, entry);
	q->queued = true;
	/* Not db_dispatch() here: a send that fails calls back at once, and
	 * the caller would get a freed handle after its callback had run. */
	event_active(&pool->kick, EV_TIMEOUT, 1);
	return q;
fail:
	db_query_free(q);
	return NULL;
}

void
db_cancel(struct db_query *q)
{
	if (q != NULL)
		q->fn = NULL;
}

bool
db_outcome_unknown(const struct db_pool *pool)
{
	return pool->unknown;
}

int
db_pool_up(const struct db_pool *pool)
{
	return pool->up;
}

const char *
db_sqlstate(const PGresult *res)
{
	const char *s;

	if (res == NULL)
		return SQLSTATE_CONNECTION_FAILURE;
	s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	return s ? s : SQLSTATE_SUCCESSFUL_COMPLETION;
}

bool
db_sqlstate_is(const PGresult *res, const char *sqlstate)
{
	return strcmp(db_sqlstate(res), sqlstate) == 0;
}

long long
db_ll(const PGresult *res, int row, int col)
{
	const char *v;
	char *end;
	long long n;

	if (PQgetisnull(res, row, col))
		return 0;
	v = PQgetvalue(res, row, col);
	n = strtoll(v, &end, 10);
	return end == v ? 0 : n;
}
