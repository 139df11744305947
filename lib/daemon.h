/*
 * What the daemons' main() functions share: the command line (-c file,
 * -n to check the configuration), signal events on the loop, the shutdown
 * grace timer, and a clean exit.
 */
#ifndef TL_DAEMON_H
#define TL_DAEMON_H

#include <stdbool.h>

#include <event2/event.h>

#define DAEMON_MAX_SIGNALS 4

struct daemon {
	struct event_base *base;
	int sigs[DAEMON_MAX_SIGNALS];
	struct event *sigev[DAEMON_MAX_SIGNALS];
	int nsigs;
	struct event *grace;
	const char *grace_msg;
};

/* Parses argv; prints usage and exits 2 on anything else. */
void daemon_options(int argc, char *argv[], const char *name, const char **path,
    bool *check_only);
/* Calls cb(sig, EV_SIGNAL, arg) on the loop for each of sigs. */
void daemon_signals(struct daemon *, struct event_base *, const int *sigs,
    int n, event_callback_fn cb, void *arg);
/* After ms, logs msg and ends the loop: the jobs or requests still in
 * flight are given up. */
void daemon_grace(struct daemon *, long long ms, const char *msg);
/* Frees the events.  Signals that come after are ignored: a late SIGTERM
 * must not turn a clean exit into a kill. */
void daemon_free(struct daemon *);

#endif
