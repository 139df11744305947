/*
 * HTTP on evhttp over TLS: the listener, the security headers every answer
 * carries, and replies.  Nothing here ever reads the peer's address.
 */
#ifndef TL_HTTP_H
#define TL_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/http.h>

#include "buf.h"
#include "tls.h"
#include "util.h"

struct http_opts {
	const char *listen; /* host:port */
	long long max_header_bytes;
	long long max_body_bytes;
	long long timeout_ms;
	int max_connections; /* past this, accepting pauses */
	/* script-src, form-action etc. are 'self'; this is the whole CSP. */
	const char *csp;
};

struct http_listener {
	struct evhttp *http;
	struct evhttp_bound_socket *sock;
	struct tls *tls;
	int nconns;    /* open connections */
	int max_conns; /* accepting pauses at this many */
	bool paused;   /* the listener is disabled for now */
};

/* Binds and configures; -1 with errbuf set on failure. */
TL_MUSTCHECK int http_listen(struct http_listener *, struct event_base *,
    struct tls *, const struct http_opts *, char *errbuf, size_t errlen);
/* Stops accepting new connections; open ones carry on. */
void http_stop_accepting(struct http_listener *);
void http_free(struct http_listener *);

/* The headers every answer gets: CSP, HSTS, no sniffing, no referrer. */
void http_security_headers(struct evhttp_request *, const char *csp);

#endif
