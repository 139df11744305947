/*
 * What the daemons' main() functions share: the command line (-c file,
 * -n to check the configuration), loading the configuration, the event
 * base, signal events on the loop, the shutdown grace timer, and a clean
 * exit.  daemon_main() is the whole main() of a daemon, given its
 * operations.
 */
#ifndef TL_DAEMON_H
#define TL_DAEMON_H

#include <stdbool.h>

#include <event2/event.h>

#include "cfg.h"
#include "db.h"

#define DAEMON_MAX_SIGNALS 4

struct daemon {
	struct event_base *base;
	int sigs[DAEMON_MAX_SIGNALS];
	struct event *sigev[DAEMON_MAX_SIGNALS];
	int nsigs;
	struct event *grace;
	const char *grace_msg;
};

/*
 * Parses argv (-c file, -n; usage and exit 2 on anything else), starts
 * logging as name, initialises libsodium, loads the configuration and
 * sets its log level.  Returns 0, or -1 having logged what is wrong with
 * the configuration (the daemon then exits 2).
 */
int daemon_configure(int argc, char *argv[], const char *name,
    const char **path, bool *check_only, struct cfg *);
/* The event loop's base, with SIGPIPE ignored and libevent's own
 * messages in the log. */
struct event_base *daemon_base(void);
/* After ms, logs msg and ends the loop: the jobs or requests still in
 * flight are given up. */
void daemon_grace(struct daemon *, long long ms, const char *msg);
/* Frees the events.  Signals that come after are ignored: a late SIGTERM
 * must not turn a clean exit into a kill. */
void daemon_free(struct daemon *);

/* Pool options from [database]: the program's role and statements. */
void daemon_db_opts(struct db_pool_opts *, const struct cfg *, const char *user,
    const struct db_stmt *stmts, size_t nstmts);

/* A daemon's part of main(); every function gets the loaded config. */
struct daemon_ops {
	const char *name; /* "tipline-intake" */
	/* What -n checks besides the file (keys, certificates) and keeps
	 * for start(); -1 having logged what is wrong (exit 2). */
	int (*prepare)(struct cfg *);
	/* Starts serving on base; -1 having logged (exit 2). */
	int (*start)(struct event_base *, struct cfg *);
	/* SIGHUP, or NULL to ignore it. */
	void (*reload)(void);
	/* SIGTERM/SIGINT: stop taking work; the loop ends when the work in
	 * flight is done, or after grace_ms. */
	void (*stop)(void);
	long long (*grace_ms)(const struct cfg *);
	const char *grace_msg;
	/* After the loop, and after -n: frees what prepare() and start()
	 * made (start() may not have run). */
	void (*finish)(void);
};

/* Runs the daemon: 0 after a clean stop, 2 on a configuration error. */
int daemon_main(int argc, char *argv[], const struct daemon_ops *);

#endif
