/*
 * The shared web layer: routing by a table, the request struct with its
 * arena, the gate for routes that need a session, and the one function
 * that answers (web_send), which adds the security headers to every answer
 * of every daemon, the errors lib/http.c finds included.
 *
 * A web_req is made when a request's head has arrived; its route is found
 * then, so that a wrong path or method is answered without reading the
 * body.  lib/http.c calls web_done() when the body is in, and web_gone()
 * if the client leaves first; then wr->req is cleared at once, so that a
 * late answer is never even attempted and a handler can stop early
 * (wr->on_gone).
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "client.h"
#include "web.h"

static void
web_req_free(struct web_req *wr)
{
	struct web *w = wr->w;

	if (wr->data_free != NULL && wr->data != NULL)
		wr->data_free(wr->data);
	web_form_done(wr);
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
		evhttp_add_header(&wr->req->out, name, value);
}

const char *
web_in_header(struct web_req *wr, const char *name)
{
	if (wr->req == NULL)
		return NULL;
	return http_in_header(wr->req, name);
}

const uint8_t *
web_body(struct web_req *wr, size_t *len)
{
	struct evbuffer *b;

	*len = 0;
	if (wr->req == NULL)
		return NULL;
	b = wr->req->body;
	if ((*len = evbuffer_get_length(b)) == 0)
		return NULL;
	return evbuffer_pullup(b, -1);
}

const char *
web_query(struct web_req *wr, const char *name)
{
	struct evkeyvalq q;
	const char *v;
	char *out = NULL;

	if (wr->query == NULL)
		return NULL;
	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(wr->query, &q) == 0 &&
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
		h = &wr->req->out;
		http_security_headers(h, wr->w->csp);
		if (evhttp_find_header(h, "Cache-Control") == NULL)
			evhttp_add_header(h, "Cache-Control", "no-store");
		wr->req->data = NULL;
		http_reply(wr->req, status, body);
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
web_method_bit(enum http_verb m)
{
	switch (m) {
	case HTTP_V_GET:
	case HTTP_V_HEAD:
		return WEB_GET;
	case HTTP_V_POST:
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

/* A web_req for an http_req, or NULL (then the request is answered). */
static struct web_req *
web_req_new(struct web *w, struct http_req *req)
{
	struct web_req *wr;

	if ((wr = calloc(1, sizeof(*wr))) == NULL) {
		http_reply(req, 503, NULL);
		return NULL;
	}
	wr->w = w;
	wr->req = req;
	wr->id = ++w->next_id;
	wr->method = req->verb;
	wr->client = req->client;
	wr->state = WEB_S_BODY;
	arena_init(&wr->arena, WEB_ARENA_BYTES);
	w->inflight++;
	req->data = wr;
	wr->lang =
	    i18n_negotiate(web_in_header(wr, "Accept-Language"), w->nlangs);
	return wr;
}

/* The head is in: route it now. */
static void
web_head(struct http_req *req)
{
	struct web *w = req->l->app.arg;
	struct evhttp_uri *uri;
	const char *raw, *query;
	struct web_req *wr;
	unsigned allowed;
	size_t len;
	char *path;

	if ((wr = web_req_new(w, req)) == NULL)
		return;
	uri =
	    evhttp_uri_parse_with_flags(req->target, EVHTTP_URI_NONCONFORMANT);
	raw = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	path = raw != NULL ? evhttp_uridecode(raw, 0, &len) : NULL;
	query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	if (query != NULL)
		wr->query = arena_strndup(&wr->arena, query, strlen(query));
	if (uri != NULL)
		evhttp_uri_free(uri);
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
	if (wr->route->flags & WEB_FORM)
		web_form_begin(wr);
}

/* The body is in too. */
static void
web_done(struct http_req *req)
{
	struct web_req *wr = req->data;
	struct web *w = wr->w;

	wr->state = WEB_S_GATE;
	if ((wr->route->flags & WEB_SESSION) && w->gate != NULL)
		w->gate(wr);
	else
		web_run(wr);
}

static void
web_gone_cb(struct http_req *req)
{
	struct web_req *wr = req->data;

	req->data = NULL;
	http_reply(req, 0, NULL); /* only frees it */
	if (wr == NULL)
		return;
	wr->req = NULL;
	rlog_debug(wr, "client went away");
	if (wr->state == WEB_S_BODY) {
		/* No handler has it yet. */
		wr->state = WEB_S_ANSWERED;
		web_req_free(wr);
		return;
	}
	if (wr->on_gone != NULL)
		wr->on_gone(wr);
}

/* An error lib/http.c found: answered in the daemon's look, with the
 * security headers. */
static void
web_error_cb(struct http_req *req, int status)
{
	struct web *w = req->l->app.arg;
	struct web_req *wr = req->data;

	if (wr == NULL && (wr = web_req_new(w, req)) == NULL)
		return;
	web_error(wr, status);
}

int
web_init(struct web *w, struct event_base *base, struct tls *tls,
    const struct web_opts *o, char *err, size_t errlen)
{
	const struct web_route *r;
	struct http_app app;

	memset(w, 0, sizeof(*w));
	w->base = base;
	w->routes = o->routes;
	w->gate = o->gate;
	w->error = o->error;
	w->csp = o->http.csp;
	w->app = o->app;
	TAILQ_INIT(&w->forms);
	w->o_form_memory = o->form_memory > 0 ? o->form_memory : 64 << 20;
	w->o_form_file_max = o->form_file_max > 0 ? o->form_file_max : 1 << 20;
	w->o_form_files = o->form_files;
	w->o_form_body_max =
	    o->form_body_max > 0 ? o->form_body_max : o->http.max_body_bytes;
	w->o_form_crawl = o->form_crawl > 0 ? (uint64_t)o->form_crawl : 16384;
	w->nlangs = o->nlangs > 0 && o->nlangs <= LANG_COUNT ? o->nlangs
	                                                     : LANG_STAFF_COUNT;
	for (r = w->routes; r->path != NULL; r++)
		if ((r->flags & (WEB_CSRF | WEB_ENROL)) &&
		    !(r->flags & WEB_SESSION))
			fatalx("route %s: CSRF without a session", r->path);
	app.head = web_head;
	app.done = web_done;
	app.gone = web_gone_cb;
	app.error = web_error_cb;
	app.arg = w;
	return http_listen(&w->http, base, tls, &o->http, &app, err, errlen);
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
