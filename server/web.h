/*
 * The web layer every HTTPS daemon of Tipline stands on: one listener,
 * one route table, one request struct, one way to answer.
 *
 * A request is a struct web_req from the moment its head has arrived
 * (lib/http.c) until its answer is sent.  Routing happens then, so that a
 * wrong path is answered before any body is read.  Handlers that wait (for
 * the database, for the thread pool) keep the web_req and answer later; if
 * the client goes away first, wr->req is cleared, and the late answer is
 * dropped instead of being written to a closed connection.  Every answer goes
 * through web_send(), which adds the security headers the daemon chose
 * (CSP, HSTS, nosniff, no framing, no referrer, no caching unless a
 * handler says otherwise), so that no handler can forget them.
 */
#ifndef TL_WEB_H
#define TL_WEB_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/buffer.h>

#include <sys/queue.h>

#include "arena.h"
#include "form.h"
#include "buf.h"
#include "http.h"
#include "i18n.h"
#include "log.h"
#include "util.h"

/* Request-scoped logging: "req=N" and our own constant text only. */
#define rlog_warnx(r, fmt, ...)                                                \
	log_warnx("req=%llu " fmt, (unsigned long long)(r)->id, ##__VA_ARGS__)
#define rlog_info(r, fmt, ...)                                                 \
	log_info("req=%llu " fmt, (unsigned long long)(r)->id, ##__VA_ARGS__)
#define rlog_debug(r, fmt, ...)                                                \
	log_debug("req=%llu " fmt, (unsigned long long)(r)->id, ##__VA_ARGS__)

#define WEB_ARENA_BYTES (1 << 20)

/* Every daemon's pages: our own files only, no inline script or style,
 * no framing, forms posting to ourselves. */
#define WEB_CSP                                                                \
	"default-src 'none'; style-src 'self'; img-src 'self'; "               \
	"script-src 'self'; form-action 'self'; frame-ancestors 'none'; "      \
	"base-uri 'none'"

struct web;
struct web_req;

typedef void web_handler_fn(struct web_req *);

/* What a route needs before its handler runs. */
enum web_flag {
	WEB_PREFIX = 1 << 0,  /* path is a prefix ("/static/") */
	WEB_SESSION = 1 << 1, /* a logged-in session (see web_opts.gate) */
	WEB_CSRF = 1 << 2,    /* the form's csrf field matches the session */
	WEB_ENROL = 1 << 3,   /* also open to a session that must enrol */
	WEB_PATTERN = 1 << 4, /* each "*" segment matches one segment */
	WEB_FORM = 1 << 5,    /* a multipart body is read as it comes */
};

#define WEB_MAX_ARGS 4

/* Methods a route takes; GET includes HEAD. */
enum web_method {
	WEB_GET = 1 << 0,
	WEB_POST = 1 << 1,
};

struct web_route {
	unsigned methods;   /* enum web_method */
	const char *path;   /* exact, or a prefix with WEB_PREFIX */
	web_handler_fn *fn; /* called once the route's needs are met */
	unsigned flags;     /* enum web_flag */
	unsigned roles;     /* bit per role of the daemon's; 0: any */
};

/*
 * Runs before the handler of a route with WEB_SESSION: looks up the
 * session (asynchronously if it must), checks wr->route's roles and, for
 * WEB_CSRF, the token; then calls web_run(wr) or answers itself (a
 * redirect to the login, 403).  NULL: the daemon has no sessions.
 */
typedef void web_gate_fn(struct web_req *);
/* Answers 404 and friends in the daemon's own look. */
typedef void web_error_fn(struct web_req *, int status);

struct web_opts {
	struct http_opts http;
	const struct web_route *routes; /* ends with a NULL path */
	web_gate_fn *gate;
	web_error_fn *error;
	void *app; /* the daemon's state, as wr->w->app */
	/* The daemon's languages: the first nlangs of enum lang (0 means
	 * LANG_STAFF_COUNT). */
	int nlangs;
	/* Multipart bodies of WEB_FORM routes (web_form.c): file bytes all
	 * requests hold at once, one file's limit, files kept per request,
	 * and the whole body's limit. */
	size_t form_memory;
	long long form_file_max;
	int form_files;
	long long form_body_max;
	/* Under this many bytes a second, an upload is crawling: when the
	 * memory is full, it gives way to a faster one. */
	long long form_crawl;
};

struct web_form;

struct web {
	struct event_base *base;
	struct http_listener http;
	const struct web_route *routes;
	web_gate_fn *gate;
	web_error_fn *error;
	const char *csp;
	void *app;
	int nlangs;
	TAILQ_HEAD(, web_form) forms; /* being read */
	size_t form_held;             /* file bytes they hold */
	size_t o_form_memory;
	long long o_form_file_max;
	int o_form_files;
	long long o_form_body_max;
	uint64_t o_form_crawl;
	uint64_t next_id;
	int inflight; /* requests not yet answered */
	bool stopping;
};

enum web_req_state {
	WEB_S_BODY,     /* the body is still coming */
	WEB_S_GATE,     /* waiting for the gate (session lookup) */
	WEB_S_HANDLER,  /* the handler owns it */
	WEB_S_ANSWERED, /* web_send() ran; about to be freed */
};

struct web_req {
	struct web *w;
	struct http_req *req; /* NULL once the client is gone */
	uint64_t id;
	enum web_req_state state;
	enum lang lang;
	enum http_verb method;
	uint64_t client;       /* keyed hash of the client's address (http.h) */
	const char *query;     /* the raw query string, or NULL */
	struct web_form *form; /* a WEB_FORM body being read, or NULL */
	const struct web_route *route;
	char *path;                     /* percent-decoded, in the arena */
	const char *args[WEB_MAX_ARGS]; /* what a pattern's "*"s matched */
	struct arena arena;             /* everything of this request */
	void *data;                     /* the handler's own state */
	void (*data_free)(void *);      /* called on data by web_send() */
	void *session;                  /* the gate's, freed by session_free */
	void (*session_free)(void *);
	/* Called when the client goes away before the answer; the handler
	 * then cleans up whatever it started (wr->req is already NULL). */
	void (*on_gone)(struct web_req *);
};

/* Binds and starts serving; -1 with err set. */
TL_MUSTCHECK int web_init(struct web *, struct event_base *, struct tls *,
    const struct web_opts *, char *err, size_t errlen);
/* Stops accepting; the loop exits when requests in flight are answered. */
void web_stop(struct web *);
void web_free(struct web *);

/* Runs the route's handler (the gate calls this when it is satisfied). */
void web_run(struct web_req *);

/* The one way to answer: adds the security headers and Cache-Control:
 * no-store (unless the handler set Cache-Control), sends body (may be
 * NULL), frees wr.  Safe when the client is gone: then only frees. */
void web_send(struct web_req *, int status, struct evbuffer *body);
/* Answers with the bytes of out (out is reset), as HTML. */
void web_send_html(struct web_req *, int status, struct buf *out);
/* Plain text, with a newline. */
void web_send_text(struct web_req *, int status, const char *);
/* 303 See Other to a path of ours. */
void web_redirect(struct web_req *, const char *location);
/* Answers with the daemon's error page. */
void web_error(struct web_req *, int status);

void web_header(struct web_req *, const char *name, const char *value);
/* A request header, or NULL. */
const char *web_in_header(struct web_req *, const char *name);
/* The request's body (pulled up into one piece), or NULL if empty. */
const uint8_t *web_body(struct web_req *, size_t *len);
/* The value of name=... in the query string, decoded, in the arena; NULL
 * if absent or bad. */
const char *web_query(struct web_req *, const char *name);

/* The client, for per-client limits: a keyed hash of its address that
 * changes every hour, never the address. */
static inline uint64_t
web_client(const struct web_req *wr)
{
	return wr->client;
}

/* true once the client has gone away. */
static inline bool
web_gone(const struct web_req *wr)
{
	return wr->req == NULL;
}

/* WEB_FORM routes (web_form.c).  Starts reading a multipart body as it
 * comes; other bodies stay buffered. */
void web_form_begin(struct web_req *);
/* The form read, once the body is in: 0, or -1 with *errstr.  Its spans
 * live as long as wr.  A part over a limit has truncated set. */
TL_MUSTCHECK int web_form_result(struct web_req *, struct form *,
    const char **errstr);
/* File bytes were dropped: the daemon's or the client's share of memory
 * for uploads was full. */
bool web_form_busy(const struct web_req *);
/* Frees what the form holds (web_send does). */
void web_form_done(struct web_req *);

/* For tests of the route table: the i-th route, NULL past the end. */
const struct web_route *web_route_at(const struct web *, size_t i);

#endif
