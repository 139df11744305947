/*
 * An asynchronous PostgreSQL connection pool on libevent.  Each connection
 * connects without blocking, prepares the program's named statements, and
 * then runs one query at a time from a shared queue.  A lost connection is
 * re-established with exponential backoff.  Callers never see a PGconn.
 */
#ifndef TL_DB_H
#define TL_DB_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "util.h"

/*
 * Called once per query with its result, or with NULL when the query could
 * not run (no connection, connection lost, deadline passed).  db.c clears
 * the result after the callback returns.  An error result means that the
 * statement did not commit; NULL may not (see db_outcome_unknown()).
 */
typedef void db_result_fn(void *arg, PGresult *res);
/* Called for each NOTIFY on a channel the pool listens on, with its
 * payload ("" if none). */
typedef void db_notify_fn(void *arg, const char *channel, const char *payload);

/*
 * The SQLSTATEs the programs tell apart, by their PostgreSQL names
 * (appendix "PostgreSQL Error Codes"), each with what gives it.  Compare
 * with db_sqlstate_is(), never with a literal.
 */
/* db_sqlstate() of a result without error. */
#define SQLSTATE_SUCCESSFUL_COMPLETION            "00000"
/* ingest_batch(): a tip of the batch is gone. */
#define SQLSTATE_NO_DATA                          "02000"
/* db_sqlstate() of no result: no connection, or it was lost. */
#define SQLSTATE_CONNECTION_FAILURE               "08006"
/* job_hold() (job_finish()), ingest_batch(): a job's lease ran out. */
#define SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE "55000"

struct db_stmt {
	const char *name;
	const char *sql;
	int nparams;
	/* Planned again for each execution's values (still prepared on
	 * connect, so that it is checked at start): for a statement whose
	 * best plan depends on them, where a cached generic plan can be a
	 * thousand times slower for some values. */
	bool replan;
};

struct db_pool_opts {
	const char *conninfo;
	const char *user; /* appended as user=..., may be NULL */
	int size;
	long long connect_timeout_ms;
	/* A query not answered within this gets a NULL result.  Each
	 * connection sets statement_timeout a little shorter (a quarter, at
	 * most a second), so that the server aborts a slow statement first
	 * and says so; after the deadline a cancel is sent. */
	long long query_timeout_ms;
	long long retry_max_ms;
	const struct db_stmt *stmts;
	size_t nstmts;
	const char *listen; /* channel to LISTEN on, or NULL */
	db_notify_fn *on_notify;
	void *notify_arg; /* also given to on_up */
	/* Called each time a connection becomes ready, or NULL. */
	void (*on_up)(void *notify_arg);
};

struct db_pool;
struct db_query;

/* Starts connecting at once.  Caller frees with db_pool_free(). */
struct db_pool *db_pool_new(struct event_base *, const struct db_pool_opts *);
/* Fails queries still queued (callback with NULL) and closes everything. */
void db_pool_free(struct db_pool *);

/*
 * Queues the statement (index into the program's table) with text or
 * binary parameters; lengths and formats may be NULL for all-text.  The
 * values are copied.  Returns a handle for db_cancel(), or NULL if the
 * pool has no connection up (the callback is then not called).
 */
TL_MUSTCHECK struct db_query *db_send(struct db_pool *, size_t stmt,
    int nparams, const char *const *values, const int *lengths,
    const int *formats, db_result_fn *fn, void *arg);
/* The callback of a pending query will not be called. */
void db_cancel(struct db_query *);

/*
 * Only within a result callback given NULL: true if the statement reached
 * a server and may have committed there (the connection broke, or no
 * result came after cancelling it); false if it never ran.
 */
bool db_outcome_unknown(const struct db_pool *);
/* Number of connections ready or busy. */
int db_pool_up(const struct db_pool *);
/* A column of a row as a number: 0 if NULL or not a number. */
long long db_ll(const PGresult *, int row, int col);
/* The SQLSTATE of an error result, SQLSTATE_SUCCESSFUL_COMPLETION if
 * none, SQLSTATE_CONNECTION_FAILURE for no result (NULL): safe to log. */
const char *db_sqlstate(const PGresult *);
/* The result (or its absence) has the SQLSTATE_... given. */
bool db_sqlstate_is(const PGresult *, const char *sqlstate);

#endif
