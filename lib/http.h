/*
 * HTTP/1.1 over TLS on libevent bufferevents, for a public listener that
 * must survive hostile clients.  Requests are parsed by http-parser
 * (Debian's libhttp-parser), which refuses conflicting lengths; everything
 * around it is here: every phase of a connection has a deadline (the TLS
 * handshake, the request head, the body at a minimum rate, the answer, the
 * wait between kept-alive requests), each client may hold only so many
 * connections, and when all slots are taken the idle and the slowest
 * connections give theirs up, so that accepting never stops.
 *
 * A client is known only by a keyed hash of its address (lib/client.h);
 * the address itself is never kept.  Every answer, including the errors
 * this layer finds itself, goes through the application's callbacks, so
 * that it carries the same security headers as a page.
 */
#ifndef TL_HTTP_H
#define TL_HTTP_H

#include <sys/queue.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "tls.h"
#include "util.h"

struct http_opts {
	const char *listen; /* host:port */
	long long max_header_bytes;
	/* A buffered body's limit; a streamed one is the handler's to
	 * bound (http_req_stream). */
	long long max_body_bytes;
	/* Time to take an answer (plus its length at min_rate). */
	long long timeout_ms;
	long long handshake_ms; /* TLS handshake, from accept */
	long long head_ms;      /* a request head, from its first byte */
	long long idle_ms;      /* wait for a kept-alive connection's next */
	long long min_rate;     /* bytes/s a body and an answer keep up */
	int max_connections;    /* open at most; then the idle give way */
	int max_per_client;     /* open at most from one address */
	/* script-src, form-action etc. are 'self'; this is the whole CSP. */
	const char *csp;
};

/* Defaults for http_opts fields left 0. */
#define HTTP_DEFAULT_HANDSHAKE_MS 10000
#define HTTP_DEFAULT_HEAD_MS      10000
#define HTTP_DEFAULT_IDLE_MS      15000
#define HTTP_DEFAULT_MIN_RATE     4096
#define HTTP_DEFAULT_PER_CLIENT   32
/* A body's first bytes may come this late before min_rate applies; then
 * each window must bring min_rate x its length. */
#define HTTP_BODY_GRACE_MS        5000
#define HTTP_RATE_WINDOW_MS       10000
/* A request answered before its body ended: the rest is read and dropped
 * for at most this long, and this much, before the connection closes. */
#define HTTP_LINGER_MS            5000
/* Headers a request may have. */
#define HTTP_MAX_HEADERS          100
/* When every slot is taken, a body coming at under this many times
 * min_rate may lose its slot to a new connection. */
#define HTTP_CRAWL_FACTOR         4
#define HTTP_LINGER_BYTES         (4 << 20)

enum http_verb {
	HTTP_V_GET,
	HTTP_V_HEAD,
	HTTP_V_POST,
	HTTP_V_OTHER,
};

struct http_conn;
struct http_listener;
struct listen_guard;

struct http_req {
	struct http_conn *conn; /* NULL once the client has gone */
	struct http_listener *l;
	enum http_verb verb;
	const char *target;   /* the request-target as sent; NULL if unparsed */
	struct evkeyvalq in;  /* request headers */
	struct evkeyvalq out; /* answer headers */
	struct evbuffer *body; /* the buffered body */
	uint64_t client;       /* keyed hash of the client's address */
	bool close;            /* close the connection after the answer */
	bool streaming;        /* body bytes go to app->body */
	int (*body_fn)(struct http_req *, const uint8_t *, size_t);
	void *data; /* the application's */
};

/* What the application does with requests; every function is called on
 * the event loop, never from inside the parser. */
struct http_app {
	/* The head is complete.  Answer now (http_reply), or let the body
	 * come: buffered up to max_body_bytes, or streamed after
	 * http_req_stream(). */
	void (*head)(struct http_req *);
	/* The whole request is here (not called if answered already). */
	void (*done)(struct http_req *);
	/* The client went away before the answer: req->conn is NULL, and the
	 * application still answers (http_reply only frees then). */
	void (*gone)(struct http_req *);
	/* Answers an error found here: 400 (malformed, conflicting lengths),
	 * 408 (too slow), 413 (body too large), 431 (head too large), 503.
	 * req->target may be NULL. */
	void (*error)(struct http_req *, int status);
	void *arg;
};

struct http_listener {
	struct event_base *base;
	struct evconnlistener *lev;
	struct tls *tls;
	struct http_app app;
	struct http_opts o;
	TAILQ_HEAD(, http_conn) conns; /* oldest first */
	int nconns;
	uint64_t evicted;  /* connections closed to make room */
	uint64_t refused;  /* closed at once: the client had its share */
	uint64_t timedout; /* closed at a deadline */
	struct listen_guard *guard; /* accept errors (lib/listen.h) */
};

/* Binds and starts accepting; -1 with errbuf set on failure. */
TL_MUSTCHECK int http_listen(struct http_listener *, struct event_base *,
    struct tls *, const struct http_opts *, const struct http_app *,
    char *errbuf, size_t errlen);
/* Stops accepting new connections; open ones carry on. */
void http_stop_accepting(struct http_listener *);
/* Closes every connection and the listener. */
void http_free(struct http_listener *);

/* In app->head: the body's bytes go to fn as they arrive, instead of being
 * buffered; fn returns -1 to stop reading (then answer). */
void http_req_stream(struct http_req *,
    int (*fn)(struct http_req *, const uint8_t *, size_t));
/* Answers: status line, the out headers, Content-Length (also for HEAD,
 * which gets no body), then body (may be NULL).  Frees req. */
void http_reply(struct http_req *, int status, struct evbuffer *body);
/* A request header, or NULL. */
const char *http_in_header(struct http_req *, const char *name);

/* The headers every answer gets: CSP, HSTS, no sniffing, no referrer. */
void http_security_headers(struct evkeyvalq *, const char *csp);

#endif
