/*
 * A guard on an evconnlistener against accept errors: it counts them,
 * logs at most one line a second, and on errors that last until
 * something is closed (out of file descriptors or memory) stops
 * accepting for a while instead of retrying in a busy loop.
 *
 * libevent calls the error callback with the listener's user data, which
 * belongs to its accept callback (evhttp's), so a guard is found by its
 * listener in a list: a process has a few listeners at most.
 */
#include <sys/queue.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "listen.h"
#include "log.h"

/*
 * How long accepting stops after an error that lasts.  Each time it
 * resumes, libevent accepts until accept() fails, so with more clients
 * waiting than descriptors free every pause ends in an error and the
 * next pause, while connections are still taken up as descriptors come
 * free: the pause is short and fixed, not doubled, so that these wait
 * at most this long.  Ten tries a second cost nothing.
 */
#define LISTEN_BACKOFF_MS 100

struct listen_guard {
	LIST_ENTRY(listen_guard) entry;
	struct evconnlistener *lev;
	const char *name;
	struct event backoff; /* ends a back-off */
	struct event flush;   /* logs the errors counted since the last line */
	bool held;            /* by the owner (listen_guard_hold()) */
	bool backing_off;     /* disabled by us until backoff fires */
	unsigned long nerr;   /* errors since the last line */
	int err;              /* the last of them */
};

static LIST_HEAD(, listen_guard) listen_guards = LIST_HEAD_INITIALIZER(
    listen_guards);

/* Errors that no retry can cure until a descriptor or memory is freed. */
static bool
listen_lasting_error(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS ||
	       err == ENOMEM;
}

static void
listen_log_counted(struct listen_guard *g)
{
	log_warnx("%s: accept: %s (%lu %s in the last second)", g->name,
	    strerror(g->err), g->nerr, g->nerr == 1 ? "time" : "times");
	g->nerr = 0;
}

/* A second after a line: the errors that came since, if any, in one more
 * line, a second after which the next may follow.  After a quiet second
 * the next error is logged as it comes. */
static void
listen_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct listen_guard *g = arg;
	struct timeval sec = { 1, 0 };

	(void)fd;
	(void)what;
	if (g->nerr == 0)
		return;
	listen_log_counted(g);
	if (evtimer_add(&g->flush, &sec) == -1)
		log_warnx("%s: accept: cannot arm the log timer", g->name);
}

static void
listen_count(struct listen_guard *g, int err)
{
	struct timeval sec = { 1, 0 };

	g->err = err;
	if (evtimer_pending(&g->flush, NULL)) {
		g->nerr++;
		return;
	}
	log_warnx("%s: accept: %s", g->name, strerror(err));
	if (evtimer_add(&g->flush, &sec) == -1)
		log_warnx("%s: accept: cannot arm the log timer", g->name);
}

static void
listen_backoff_cb(evutil_socket_t fd, short what, void *arg)
{
	struct listen_guard *g = arg;

	(void)fd;
	(void)what;
	g->backing_off = false;
	if (!g->held)
		evconnlistener_enable(g->lev);
}

static void
listen_back_off(struct listen_guard *g)
{
	struct timeval tv = { 0, LISTEN_BACKOFF_MS * 1000 };

	if (g->backing_off)
		return;
	/* Without the timer the listener would stay off: retry instead. */
	if (evtimer_add(&g->backoff, &tv) == -1)
		return;
	evconnlistener_disable(g->lev);
	g->backing_off = true;
}

static void
listen_error_cb(struct evconnlistener *lev, void *arg)
{
	int err = EVUTIL_SOCKET_ERROR();
	struct listen_guard *g;

	(void)arg; /* the accept callback's */
	LIST_FOREACH(g, &listen_guards, entry)
		if (g->lev == lev)
			break;
	if (g == NULL)
		fatalx("%s: a listener without its guard", __func__);
	if (listen_lasting_error(err))
		listen_back_off(g);
	listen_count(g, err);
}

struct listen_guard *
listen_guard_new(struct evconnlistener *lev, const char *name)
{
	struct event_base *base = evconnlistener_get_base(lev);
	struct listen_guard *g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	g->lev = lev;
	g->name = name;
	evtimer_assign(&g->backoff, base, listen_backoff_cb, g);
	evtimer_assign(&g->flush, base, listen_flush_cb, g);
	LIST_INSERT_HEAD(&listen_guards, g, entry);
	evconnlistener_set_error_cb(lev, listen_error_cb);
	return g;
}

void
listen_guard_hold(struct listen_guard *g, bool held)
{
	g->held = held;
	if (held)
		evconnlistener_disable(g->lev);
	else if (!g->backing_off)
		evconnlistener_enable(g->lev);
}

void
listen_guard_free(struct listen_guard *g)
{
	if (g == NULL)
		return;
	if (g->nerr > 0)
		listen_log_counted(g);
	evtimer_del(&g->flush);
	evtimer_del(&g->backoff);
	if (g->backing_off && !g->held)
		evconnlistener_enable(g->lev);
	evconnlistener_set_error_cb(g->lev, NULL);
	LIST_REMOVE(g, entry);
	free(g);
}
