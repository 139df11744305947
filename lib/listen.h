/*
 * Accept errors without a flood: a guard on an evconnlistener (evhttp's
 * come from evhttp_bound_socket_get_listener()).  libevent's listener is
 * level-triggered, so a failing accept() is retried at once, for as long
 * as the connection waits in the backlog: out of file descriptors, that
 * is a busy loop and a log line each time.  The guard counts accept
 * errors and logs at most one line a second,
 *
 *	metrics: accept: Too many open files (N times in the last second)
 *
 * and on EMFILE, ENFILE, ENOBUFS and ENOMEM, which last until something
 * is closed, stops accepting for 100 ms and then tries again.  Other
 * errors belong to one connection and are only counted.  Connections that
 * come meanwhile wait in the kernel's backlog.
 *
 * Use:
 *
 *	lev = evhttp_bound_socket_get_listener(sock);
 *	if ((g = listen_guard_new(lev, "intake")) == NULL)
 *		... fail ...
 *	listen_guard_hold(g, true);	(instead of evconnlistener_disable())
 *	listen_guard_hold(g, false);	(instead of evconnlistener_enable())
 *	listen_guard_free(g);		(before the listener is freed)
 *
 * Guards live on the thread of the listener's event loop.
 */
#ifndef TL_LISTEN_H
#define TL_LISTEN_H

#include <stdbool.h>

#include <event2/listener.h>

#include "util.h"

struct listen_guard;

/*
 * Guards lev: sets its error callback (the listener's own user data
 * stays with its accept callback).  name, a constant such as "metrics",
 * starts each log line; it is not copied.  NULL if out of memory.
 * Caller frees with listen_guard_free() before lev is freed (evhttp_free()
 * and evhttp_del_accept_socket() free evhttp's listeners).
 */
TL_MUSTCHECK struct listen_guard *listen_guard_new(struct evconnlistener *lev,
    const char *name);

/*
 * The owner's own pause, such as at its connection limit: held, the
 * listener does not accept; released, it accepts again unless it is
 * backing off, in which case it does when the back-off ends.  An owner
 * whose listener is guarded enables and disables it only through this,
 * so that the end of a back-off cannot undo its pause.
 */
void listen_guard_hold(struct listen_guard *, bool held);

/* Logs the errors counted and not yet logged, removes the error callback
 * and frees; the listener is left as the owner last held it.  NULL is a
 * no-op. */
void listen_guard_free(struct listen_guard *);

#endif
