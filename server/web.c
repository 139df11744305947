/*
 * The shared web layer: routing by a table, the request struct with its
 * arena, the close callback, the gate for routes that need a session, and
 * the one function that answers (web_send), which adds the security
 * headers to every answer of every daemon.
 *
 * libevent keeps an evhttp_request alive while its handler has not
 * answered, even if the client went away (it is then detached from its
 * connection, and answering it only frees it).  We still clear wr->req in
 * the connection's close callback, so that a late answer is never even
 * attempted and a handler can stop early (wr->on_gone).
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "client.h"
#include "web.h"

static void
web_close_cb(struct evhttp_connection *evcon, void *arg)
{
	struct web_req *wr = arg;

	evhttp_connection_set_closecb(evcon, NULL, NULL);
	if (wr == NULL || wr->req == NULL)
		return;
	/* Detached by libevent: nobody else will free it. */
	if (evhttp_request_get_connection(wr->req) == NULL)
		evhttp_request_free(wr->req);
	wr->req = NULL;
	rlog_debug(wr, "client went away");
	if (wr->on_gone != NULL)
		wr->on_gone(wr);
}

uint64_t
web_client(const struct web_req *wr)
{
	struct evhttp_connection *evcon;
	const struct sockaddr *sa = NULL;
	socklen_t len = 0;

	/* The only read of a client's address in the daemons (see
	 * tests/lint/no-peer.sh): it goes straight into the keyed hash,
	 * which is all that leaves this function, and is copied nowhere. */
	if (wr->req != NULL &&
	    (evcon = evhttp_request_get_connection(wr->req)) != NULL &&
	    (sa = evhttp_connection_get_addr(evcon)) != NULL) {
		if (sa->sa_family == AF_INET)
			len = sizeof(struct sockaddr_in);
		else if (sa->sa_family == AF_INET6)
			len = sizeof(struct sockaddr_in6);
	}
	return client_key(len > 0 ? sa : NULL, len);
}

static void
web_req_free(struct web_req *wr)
{
	struct web *w = wr->w;

	if (wr->data_free != NULL && wr->data != NULL)
		wr->data_free(wr->data);
	if (wr->session_free != NULL && wr->session != NULL)
		wr->session_free(wr->session);
	arena_reset(&wr->arena);
	free(wr);
	w->inflight--;
	if (w->stopping && w->inflight == 0)
		event_base_loopexit(w->base, NULL);
}

void
web_header(struct web_req *wr, const char *name, const char *value)
{
	if (wr->req != NULL)
		evhttp_add_header(evhttp_request_get_output_headers(wr->req),
		    name, value);
}

const char *
web_in_header(struct web_req *wr, const char *name)
{
	if (wr->req == NULL)
		return NULL;
	return evhttp_find_header(evhttp_request_get_input_headers(wr->req),
	    name);
}

const uint8_t *
web_body(struct web_req *wr, size_t *len)
{
	struct evbuffer *b;

	*len = 0;
	if (wr->req == NULL)
		return NULL;
	b = evhttp_request_get_input_buffer(wr->req);
	if ((*len = evbuffer_get_length(b)) == 0)
		return NULL;
	return evbuffer_pullup(b, -1);
}

const char *
web_query(struct web_req *wr, const char *name)
{
	const struct evhttp_uri *uri;
	struct evkeyvalq q;
	const char *query, *v;
	char *out = NULL;

	if (wr->req == NULL ||
	    (uri = evhttp_request_get_evhttp_uri(wr->req)) == NULL ||
	    (query = evhttp_uri_get_query(uri)) == NULL)
		return NULL;
	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(query, &q) == 0 &&
	    (v = evhttp_find_header(&q, name)) != NULL)
		out = arena_strndup(&wr->arena, v, strlen(v));
	evhttp_clear_headers(&q);
	return out;
}

void
web_send(struct web_req *wr, int status, struct evbuffer *body)
{
	struct evkeyvalq *h;

	if (wr->state == WEB_S_ANSWERED)
		fatalx("%s: req=%llu answered twice", __func__,
		    (unsigned long long)wr->id);
	wr->state = WEB_S_ANSWERED;
	if (wr->req != NULL) {
		h = evhttp_request_get_output_headers(wr->req);
		http_security_headers(wr->req, wr->w->csp);
		if (evhttp_find_header(h, "Cache-Control") == NULL)
			evhttp_add_header(h, "Cache-Control", "no-store");
		evhttp_connection_set_closecb(
		    evhttp_request_get_connection(wr->req), NULL, NULL);
		evhttp_send_reply(wr->req, status, NULL, body);
		wr->req = NULL;
	}
	web_req_free(wr);
}

void
web_send_html(struct web_req *wr, int status, struct buf *out)
{
	struct evbuffer *body = evbuffer_new();

	web_header(wr, "Content-Type", "text/html; charset=utf-8");
	web_header(wr, "Content-Language", i18n_code(wr->lang));
	if (body != NULL && out->p != NULL)
		evbuffer_add(body, out->p, out->len);
	buf_reset(out);
	web_send(wr, body != NULL ? status : 500, body);
	if (body != NULL)
		evbuffer_free(body);
}

void
web_send_text(struct web_req *wr, int status, const char *text)
{
	struct evbuffer *body = evbuffer_new();

	web_header(wr, "Content-Type", "text/plain; charset=utf-8");
	if (body != NULL)
		evbuffer_add_printf(body, "%s\n", text);
	web_send(wr, status, body);
	if (body != NULL)
		evbuffer_free(body);
}

void
web_redirect(struct web_req *wr, const char *location)
{
	web_header(wr, "Location", location);
	web_send_text(wr, 303, location);
}

void
web_error(struct web_req *wr, int status)
{
	if (wr->w->error != NULL)
		wr->w->error(wr, status);
	else
		web_send_text(wr, status, "error");
}

void
web_run(struct web_req *wr)
{
	wr->state = WEB_S_HANDLER;
	wr->route->fn(wr);
}

/* "/case/N/shot" against the pattern "/case/STAR/shot": each STAR
 * takes one non-empty segment, copied to wr->args when capturing. */
static bool
web_pattern_matches(struct web_req *wr, const char *pat, const char *path,
    bool capture)
{
	size_t n = 0, len;

	while (*pat != '\0' && *path != '\0') {
		if (pat[0] == '*' && (pat[1] == '/' || pat[1] == '\0')) {
			len = strcspn(path, "/");
			if (len == 0 || n == WEB_MAX_ARGS)
				return false;
			if (capture && (wr->args[n] = arena_strndup(&wr->arena,
			                    path, len)) == NULL)
				return false;
			n++;
			path += len;
			pat++;
			continue;
		}
		if (*pat != *path)
			return false;
		pat++;
		path++;
	}
	return *pat == '\0' && *path == '\0';
}

static bool
web_path_matches(struct web_req *wr, const struct web_route *r,
    const char *path, bool capture)
{
	if (r->flags & WEB_PREFIX)
		return strncmp(path, r->path, strlen(r->path)) == 0;
	if (r->flags & WEB_PATTERN)
		return web_pattern_matches(wr, r->path, path, capture);
	return strcmp(path, r->path) == 0;
}

static unsigned
web_method_bit(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET:
	case EVHTTP_REQ_HEAD:
		return WEB_GET;
	case EVHTTP_REQ_POST:
		return WEB_POST;
	default:
		return 0;
	}
}

/* Finds the route; on a path that exists for other methods only, fills
 * allow ("GET, HEAD, POST") and returns NULL. */
static const struct web_route *
web_find(struct web_req *wr, unsigned *allowed)
{
	const struct web_route *r;
	unsigned bit = web_method_bit(wr->method);

	*allowed = 0;
	for (r = wr->w->routes; r->path != NULL; r++) {
		if (!web_path_matches(wr, r, wr->path, false))
			continue;
		if (r->methods & bit)
			return web_path_matches(wr, r, wr->path, true) ? r
			                                               : NULL;
		*allowed |= r->methods;
	}
	return NULL;
}

static void
web_dispatch(struct evhttp_request *req, void *arg)
{
	struct web *w = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *raw;
	struct web_req *wr;
	unsigned allowed;
	size_t len;
	char *path;

	if ((wr = calloc(1, sizeof(*wr))) == NULL) {
		evhttp_send_error(req, 503, NULL);
		return;
	}
	wr->w = w;
	wr->req = req;
	wr->id = ++w->next_id;
	wr->method = evhttp_request_get_command(req);
	wr->state = WEB_S_GATE;
	arena_init(&wr->arena, WEB_ARENA_BYTES);
	w->inflight++;
	evhttp_connection_set_closecb(evhttp_request_get_connection(req),
	    web_close_cb, wr);
	wr->lang =
	    i18n_negotiate(web_in_header(wr, "Accept-Language"), w->nlangs);

	raw = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	path = raw != NULL ? evhttp_uridecode(raw, 0, &len) : NULL;
	if (path == NULL || path[0] != '/' || strlen(path) != len ||
	    (wr->path = arena_strndup(&wr->arena, path, strlen(path))) ==
	        NULL) {
		/* Undecodable, or a NUL byte in it. */
		free(path);
		web_error(wr, 400);
		return;
	}
	free(path);
	if ((wr->route = web_find(wr, &allowed)) == NULL) {
		if (allowed != 0) {
			web_header(wr, "Allow",
			    allowed == WEB_GET    ? "GET, HEAD"
			    : allowed == WEB_POST ? "POST"
			                          : "GET, HEAD, POST");
			web_error(wr, 405);
		} else
			web_error(wr, 404);
		return;
	}
	if ((wr->route->flags & WEB_SESSION) && w->gate != NULL)
		w->gate(wr);
	else
		web_run(wr);
}

int
web_init(struct web *w, struct event_base *base, struct tls *tls,
    const struct web_opts *o, char *err, size_t errlen)
{
	const struct web_route *r;

	memset(w, 0, sizeof(*w));
	w->base = base;
	w->routes = o->routes;
	w->gate = o->gate;
	w->error = o->error;
	w->csp = o->http.csp;
	w->app = o->app;
	w->nlangs = o->nlangs > 0 && o->nlangs <= LANG_COUNT ? o->nlangs
	                                                     : LANG_STAFF_COUNT;
	for (r = w->routes; r->path != NULL; r++)
		if ((r->flags & (WEB_CSRF | WEB_ENROL)) &&
		    !(r->flags & WEB_SESSION))
			fatalx("route %s: CSRF without a session", r->path);
	if (http_listen(&w->http, base, tls, &o->http, err, errlen) == -1)
		return -1;
	evhttp_set_gencb(w->http.http, web_dispatch, w);
	return 0;
}

void
web_stop(struct web *w)
{
	w->stopping = true;
	http_stop_accepting(&w->http);
	if (w->inflight == 0)
		event_base_loopexit(w->base, NULL);
}

void
web_free(struct web *w)
{
	http_free(&w->http);
}

const struct web_route *
web_route_at(const struct web *w, size_t i)
{
	size_t n;

	for (n = 0; w->routes[n].path != NULL; n++)
		if (n == i)
			return &w->routes[n];
	return NULL;
}
