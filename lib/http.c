/*
 * The HTTPS listener.  A connection lives through phases, each with its
 * own deadline on one timer:
 *
 *   HANDSHAKE  TLS handshake, from accept          handshake_ms
 *   HEAD       request line and headers            head_ms (from the first
 *              (and the wait for the first one)    byte; from the handshake
 *                                                  for the first request)
 *   BODY       the body                            min_rate over each window
 *                                                  of HTTP_RATE_WINDOW_MS,
 *                                                  after a grace
 *   HANDLER    the application has the request     none here
 *   WRITING    the answer is being sent            timeout_ms + len/min_rate
 *   IDLE       kept alive, no request yet          idle_ms
 *
 * A deadline is not an idle timer that each byte resets: a client that
 * sends its head one byte every few seconds is closed at head_ms all the
 * same.  Connections are listed oldest first; when all max_connections
 * slots are taken, the oldest IDLE one gives its slot to the new one, then
 * the oldest still in HANDSHAKE or HEAD, then the one whose body comes
 * slowest if that is under HTTP_CRAWL_FACTOR x min_rate; if none can, the
 * new one is closed.  A client (a keyed hash of its address) that already
 * holds max_per_client connections first gives up its own oldest idle
 * one, or the new one is closed.  So accepting never stops, and memory is
 * bounded by max_connections x (head + buffered body + TLS buffers).  Out
 * of descriptors, lib/listen.c pauses accepting for a moment and logs once
 * a second.
 *
 * http-parser does the parsing; its callbacks only collect and pause, and
 * everything the application sees happens in conn_parse()'s loop.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <http_parser.h>

#include "client.h"
#include "http.h"
#include "listen.h"
#include "log.h"

/* A connection reads at most this much ahead of the parser. */
#define HTTP_READ_HIGH (256 << 10)

enum http_phase {
	P_HANDSHAKE,
	P_HEAD,
	P_BODY,
	P_HANDLER,
	P_WRITING,
	P_IDLE,
	P_LINGER,
};

/* What the parser's callbacks saw, for conn_parse() to act on. */
enum http_event {
	E_NONE,
	E_HEAD,     /* headers complete */
	E_DONE,     /* message complete */
	E_TOO_BIG,  /* buffered body over the limit */
	E_HEAD_BIG, /* head over max_header_bytes */
	E_BAD,      /* a header libevent would not take */
	E_STOP,     /* the streaming handler stopped reading */
};

struct http_conn {
	TAILQ_ENTRY(http_conn) entry;
	struct http_listener *l;
	struct bufferevent *bev;
	struct event *timer;
	enum http_phase phase;
	uint64_t client;
	http_parser parser;
	struct http_req *req; /* the request being read or handled */
	enum http_event ev;
	/* The head being read: target, then name/value pairs. */
	char *head;
	size_t head_len, head_cap;
	size_t field_off, value_off; /* of the pair being read */
	enum {
		H_URL,
		H_FIELD,
		H_VALUE,
		H_DONE /* trailers of a chunked body are ignored */
	} hstate;
	int nheaders;
	bool bodyless; /* the request has no body at all */
	bool app_has;  /* app->head has seen the request */
	/* Body accounting, for the rate. */
	int64_t window_ms; /* start of the window being measured */
	int64_t body_ms;   /* start of the body */
	uint64_t body_bytes, window_bytes;
	bool answered; /* the request was answered before its end */
	bool keep_alive;
	bool msg_done; /* the request was read to its end */
	bool linger;   /* answered early: what the client still sends is
	                * read and dropped, so that it gets the answer */
	uint64_t linger_bytes;
};

static void conn_free(struct http_conn *);
static void conn_parse(struct http_conn *);

static void
conn_deadline(struct http_conn *c, int64_t ms)
{
	struct timeval tv;

	if (ms < 1)
		ms = 1;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	evtimer_add(c->timer, &tv);
}

static void
conn_phase(struct http_conn *c, enum http_phase p, int64_t deadline_ms)
{
	c->phase = p;
	if (deadline_ms > 0)
		conn_deadline(c, deadline_ms);
	else
		evtimer_del(c->timer);
}

static struct http_req *
req_new(struct http_conn *c)
{
	struct http_req *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->conn = c;
	r->l = c->l;
	r->client = c->client;
	r->verb = HTTP_V_OTHER;
	TAILQ_INIT(&r->in);
	TAILQ_INIT(&r->out);
	if ((r->body = evbuffer_new()) == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

static void
req_free(struct http_req *r)
{
	evhttp_clear_headers(&r->in);
	evhttp_clear_headers(&r->out);
	evbuffer_free(r->body);
	free((char *)r->target);
	free(r);
}

/* The head buffer: target, NUL, then name NUL value NUL pairs. */
static int
head_add(struct http_conn *c, const char *at, size_t len)
{
	size_t need = c->head_len + len + 1, cap;
	char *p;

	if (need > (size_t)c->l->o.max_header_bytes) {
		c->ev = E_HEAD_BIG;
		return -1;
	}
	if (need > c->head_cap) {
		cap = c->head_cap ? c->head_cap : 512;
		while (cap < need)
			cap *= 2;
		if ((p = realloc(c->head, cap)) == NULL) {
			c->ev = E_HEAD_BIG;
			return -1;
		}
		c->head = p;
		c->head_cap = cap;
	}
	memcpy(c->head + c->head_len, at, len);
	c->head_len += len;
	c->head[c->head_len] = '\0';
	return 0;
}

/* Ends the string being collected (the NUL is already there). */
static void
head_end(struct http_conn *c)
{
	c->head_len++;
}

/* The pair just read goes into req->in. */
static int
head_pair(struct http_conn *c)
{
	head_end(c);
	if (++c->nheaders > HTTP_MAX_HEADERS) {
		c->ev = E_HEAD_BIG;
		return -1;
	}
	if (evhttp_add_header(&c->req->in, c->head + c->field_off,
	        c->head + c->value_off) == -1) {
		c->ev = E_BAD;
		return -1;
	}
	return 0;
}

static int
on_message_begin(http_parser *p)
{
	struct http_conn *c = p->data;

	c->head_len = 0;
	c->hstate = H_URL;
	c->nheaders = 0;
	c->body_bytes = 0;
	c->answered = false;
	c->msg_done = false;
	c->app_has = false;
	if (c->req == NULL && (c->req = req_new(c)) == NULL)
		return -1;
	if (c->phase == P_IDLE)
		conn_phase(c, P_HEAD, c->l->o.head_ms);
	return 0;
}

static int
on_url(http_parser *p, const char *at, size_t len)
{
	return head_add(p->data, at, len);
}

/* http-parser may hand a name or a value over in pieces, and gives an
 * empty value as one empty piece. */
static int
on_header_field(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;

	if (c->hstate == H_DONE)
		return 0;
	if (c->hstate == H_VALUE && head_pair(c) == -1)
		return -1;
	if (c->hstate != H_FIELD) {
		if (c->hstate == H_URL)
			head_end(c);
		c->field_off = c->head_len;
		c->hstate = H_FIELD;
	}
	return head_add(c, at, len);
}

static int
on_header_value(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;

	if (c->hstate == H_DONE)
		return 0;
	if (c->hstate == H_FIELD) {
		head_end(c);
		c->value_off = c->head_len;
		c->hstate = H_VALUE;
	}
	return head_add(c, at, len);
}

static int
on_headers_complete(http_parser *p)
{
	struct http_conn *c = p->data;
	struct http_req *r = c->req;

	if (c->hstate == H_VALUE && head_pair(c) == -1)
		return -1;
	c->hstate = H_DONE;
	if ((r->target = strdup(c->head != NULL ? c->head : "")) == NULL)
		return -1;
	switch (p->method) {
	case HTTP_GET:
		r->verb = HTTP_V_GET;
		break;
	case HTTP_HEAD:
		r->verb = HTTP_V_HEAD;
		break;
	case HTTP_POST:
		r->verb = HTTP_V_POST;
		break;
	default:
		r->verb = HTTP_V_OTHER;
		break;
	}
	c->ev = E_HEAD;
	http_parser_pause(p, 1);
	return 0;
}

static int
on_body(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;
	struct http_req *r = c->req;

	c->body_bytes += len;
	c->window_bytes += len;
	if (r == NULL || c->answered)
		return 0; /* answered early: the rest is dropped */
	if (r->streaming) {
		if (r->body_fn(r, (const uint8_t *)at, len) == -1) {
			c->ev = E_STOP;
			return -1;
		}
	} else if (evbuffer_get_length(r->body) + len >
	               (size_t)c->l->o.max_body_bytes ||
	           evbuffer_add(r->body, at, len) == -1) {
		c->ev = E_TOO_BIG;
		return -1;
	}
	return 0;
}

static int
on_message_complete(http_parser *p)
{
	struct http_conn *c = p->data;

	c->msg_done = true;
	c->ev = E_DONE;
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings http_settings = {
	.on_message_begin = on_message_begin,
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

/* Answers an error this layer found, through the application, and closes
 * after it. */
static void
conn_error(struct http_conn *c, int status)
{
	struct http_req *r = c->req;

	if (r == NULL && (r = c->req = req_new(c)) == NULL) {
		conn_free(c);
		return;
	}
	r->close = true;
	c->keep_alive = false;
	c->answered = true;
	conn_phase(c, P_HANDLER, 0);
	bufferevent_disable(c->bev, EV_READ);
	c->l->app.error(r, status);
}

static void
conn_head(struct http_conn *c)
{
	struct http_req *r = c->req;
	const char *expect;

	c->keep_alive = http_should_keep_alive(&c->parser) != 0;
	r->close = !c->keep_alive;
	c->bodyless = !(c->parser.flags & F_CHUNKED) &&
	              (!(c->parser.flags & F_CONTENTLENGTH) ||
	                  c->parser.content_length == 0);
	/* The first window starts after the grace, and counts what came
	 * during it. */
	c->body_ms = util_now_ms();
	c->window_ms = c->body_ms + HTTP_BODY_GRACE_MS;
	c->window_bytes = 0;
	conn_phase(c, P_BODY, HTTP_BODY_GRACE_MS + HTTP_RATE_WINDOW_MS);
	c->app_has = true;
	c->l->app.head(r);
	if (c->req == NULL || c->answered)
		return;
	/* A declared length over the limit is refused before it comes. */
	if (!r->streaming && (c->parser.flags & F_CONTENTLENGTH) &&
	    c->parser.content_length > (uint64_t)c->l->o.max_body_bytes) {
		conn_error(c, 413);
		return;
	}
	/* The body is wanted: a client that waits for it to be, is told. */
	expect = http_in_header(r, "Expect");
	if (expect != NULL && strcasecmp(expect, "100-continue") == 0 &&
	    c->parser.http_minor >= 1)
		bufferevent_write(c->bev, "HTTP/1.1 100 Continue\r\n\r\n", 25);
}

static void
conn_done(struct http_conn *c)
{
	struct http_req *r = c->req;

	conn_phase(c, P_HANDLER, 0);
	if (c->answered)
		return;
	c->l->app.done(r);
}

/* Feeds what has arrived to the parser, acting on each event it pauses
 * at; stops when the application has the request, or at an error. */
static void
conn_parse(struct http_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer_iovec v;
	enum http_errno err;
	enum http_event ev;
	size_t n;

	while (c->phase == P_HEAD || c->phase == P_IDLE || c->phase == P_BODY) {
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1 || v.iov_len == 0)
			return;
		c->ev = E_NONE;
		n = http_parser_execute(&c->parser, &http_settings, v.iov_base,
		    v.iov_len);
		evbuffer_drain(in, n);
		err = HTTP_PARSER_ERRNO(&c->parser);
		ev = c->ev;
		if (err == HPE_PAUSED) {
			http_parser_pause(&c->parser, 0);
			if (ev == E_HEAD)
				conn_head(c);
			else if (ev == E_DONE)
				conn_done(c);
			continue;
		}
		if (err == HPE_OK)
			continue;
		if (c->phase != P_HEAD && c->phase != P_BODY && ev == E_NONE) {
			/* Garbage instead of a next request. */
			conn_free(c);
			return;
		}
		switch (ev) {
		case E_TOO_BIG:
			conn_error(c, 413);
			break;
		case E_HEAD_BIG:
			conn_error(c, 431);
			break;
		case E_STOP:
			/* The handler stopped the body: it answers now. */
			bufferevent_disable(c->bev, EV_READ);
			c->keep_alive = false;
			c->req->close = true;
			conn_phase(c, P_HANDLER, 0);
			c->l->app.done(c->req);
			break;
		default:
			conn_error(c, err == HPE_HEADER_OVERFLOW ? 431 : 400);
			break;
		}
		return;
	}
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct http_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t n;

	if (!c->linger) {
		conn_parse(c);
		return;
	}
	/* Closing with unread bytes would reset the connection, and the
	 * client could lose the answer before reading it. */
	n = evbuffer_get_length(in);
	evbuffer_drain(in, n);
	c->linger_bytes += n;
	if (c->linger_bytes > HTTP_LINGER_BYTES)
		conn_free(c);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct http_conn *c = arg;

	(void)bev;
	if (c->phase != P_WRITING)
		return;
	if (c->linger) {
		conn_phase(c, P_LINGER, HTTP_LINGER_MS);
		return;
	}
	if (!c->keep_alive) {
		conn_free(c);
		return;
	}
	http_parser_init(&c->parser, HTTP_REQUEST);
	c->parser.data = c;
	/* An idle connection keeps nothing of its last request. */
	free(c->head);
	c->head = NULL;
	c->head_len = c->head_cap = 0;
	conn_phase(c, P_IDLE, c->l->o.idle_ms);
	bufferevent_enable(c->bev, EV_READ);
	conn_parse(c); /* a pipelined request may be waiting */
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct http_conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		/* Handshake done: the first request's head is due. */
		conn_phase(c, P_HEAD, c->l->o.head_ms);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		conn_free(c);
}

static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;
	int64_t now;

	(void)fd;
	(void)what;
	/* A body is measured window by window: min_rate over each one, so
	 * that bytes sent early buy no silence later. */
	if (c->phase == P_BODY) {
		now = util_now_ms();
		if (c->window_bytes * 1000 >=
		    (uint64_t)c->l->o.min_rate *
		        (uint64_t)(now - c->window_ms)) {
			c->window_ms = now;
			c->window_bytes = 0;
			conn_deadline(c, HTTP_RATE_WINDOW_MS);
			return;
		}
	}
	/* Too slow: closed without an answer, which a client this slow
	 * would not read either. */
	c->l->timedout++;
	if (c->phase != P_HANDLER)
		conn_free(c);
}

/* The application gets to know, then forgets the connection. */
static void
conn_free(struct http_conn *c)
{
	struct http_listener *l = c->l;
	struct http_req *r = c->req;

	c->req = NULL;
	if (r != NULL) {
		r->conn = NULL;
		if (c->app_has)
			l->app.gone(r);
		else
			req_free(r);
	}
	TAILQ_REMOVE(&l->conns, c, entry);
	l->nconns--;
	event_free(c->timer);
	bufferevent_free(c->bev);
	free(c->head);
	free(c);
}

/* Makes room for one more connection of client; false: none can be had. */
static bool
http_make_room(struct http_listener *l, uint64_t client)
{
	struct http_conn *c, *idle = NULL, *slow = NULL, *own_idle = NULL;
	struct http_conn *crawl = NULL;
	uint64_t rate, crawl_rate = UINT64_MAX;
	int64_t now = util_now_ms();
	int mine = 0;

	TAILQ_FOREACH(c, &l->conns, entry) {
		if (c->client == client) {
			mine++;
			if (own_idle == NULL && c->phase == P_IDLE)
				own_idle = c;
		}
		if (idle == NULL && c->phase == P_IDLE)
			idle = c;
		if (slow == NULL &&
		    (c->phase == P_HANDSHAKE || c->phase == P_HEAD))
			slow = c;
		/* The body coming slowest, if it is near the least allowed. */
		if (c->phase == P_BODY &&
		    now - c->body_ms > HTTP_BODY_GRACE_MS) {
			rate =
			    c->body_bytes * 1000 / (uint64_t)(now - c->body_ms);
			if (rate <
			        HTTP_CRAWL_FACTOR * (uint64_t)l->o.min_rate &&
			    rate < crawl_rate) {
				crawl = c;
				crawl_rate = rate;
			}
		}
	}
	if (mine >= l->o.max_per_client) {
		if (own_idle == NULL) {
			l->refused++;
			return false;
		}
		conn_free(own_idle);
		l->evicted++;
		return true;
	}
	if (l->nconns < l->o.max_connections)
		return true;
	if ((c = idle != NULL ? idle : slow != NULL ? slow : crawl) == NULL) {
		l->refused++;
		return false;
	}
	conn_free(c);
	l->evicted++;
	return true;
}

static void
http_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct http_listener *l = arg;
	struct http_conn *c;
	/* The address is hashed here and never kept (lib/client.h). */
	uint64_t client = client_key(sa, (socklen_t)salen);
	SSL *ssl;

	(void)lev;
	if (!http_make_room(l, client) || (c = calloc(1, sizeof(*c))) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	c->l = l;
	c->client = client;
	if ((ssl = tls_accept_new(l->tls)) == NULL) {
		free(c);
		evutil_closesocket(fd);
		return;
	}
	c->bev = bufferevent_openssl_socket_new(l->base, fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (c->bev == NULL) {
		/* libevent may have freed the SSL and closed the socket on its
		 * way out, or not: leaking them is safer than freeing twice. */
		free(c);
		return;
	}
	if ((c->timer = evtimer_new(l->base, conn_timer_cb, c)) == NULL) {
		bufferevent_free(c->bev);
		free(c);
		return;
	}
	/* Browsers often close without close_notify: not an error. */
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	bufferevent_setwatermark(c->bev, EV_READ, 0, HTTP_READ_HIGH);
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb,
	    c);
	http_parser_init(&c->parser, HTTP_REQUEST);
	c->parser.data = c;
	TAILQ_INSERT_TAIL(&l->conns, c, entry);
	l->nconns++;
	conn_phase(c, P_HANDSHAKE, l->o.handshake_ms);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

/* Enough descriptors for max_connections, if the hard limit allows. */
static void
http_raise_nofile(long long want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= (rlim_t)want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > (rlim_t)want
	                  ? (rlim_t)want
	                  : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur < (rlim_t)want)
		log_warnx("open files limited to %llu: fewer than "
		          "max_connections can be open",
		    (unsigned long long)rl.rlim_cur);
}

int
http_listen(struct http_listener *l, struct event_base *base, struct tls *tls,
    const struct http_opts *o, const struct http_app *app, char *errbuf,
    size_t errlen)
{
	struct evutil_addrinfo hints, *ai = NULL;
	char host[256], port[8];
	const char *colon, *errstr;
	long long portnum;
	size_t hlen;
	evutil_socket_t fd;
	int one = 1;

	memset(l, 0, sizeof(*l));
	TAILQ_INIT(&l->conns);
	l->base = base;
	l->tls = tls;
	l->app = *app;
	l->o = *o;
	if (l->o.max_connections <= 0)
		l->o.max_connections = 256;
	if (l->o.max_per_client <= 0)
		l->o.max_per_client = HTTP_DEFAULT_PER_CLIENT;
	if (l->o.handshake_ms <= 0)
		l->o.handshake_ms = HTTP_DEFAULT_HANDSHAKE_MS;
	if (l->o.head_ms <= 0)
		l->o.head_ms = HTTP_DEFAULT_HEAD_MS;
	if (l->o.idle_ms <= 0)
		l->o.idle_ms = HTTP_DEFAULT_IDLE_MS;
	if (l->o.min_rate <= 0)
		l->o.min_rate = HTTP_DEFAULT_MIN_RATE;
	if (l->o.timeout_ms <= 0)
		l->o.timeout_ms = 60000;
	if (l->o.max_header_bytes <= 0)
		l->o.max_header_bytes = 16 << 10;
	/* The parser's own limit is global; ours is per head, below it. */
	http_parser_set_max_header_size((uint32_t)l->o.max_header_bytes + 1024);
	http_raise_nofile(l->o.max_connections + 128);

	colon = strrchr(o->listen, ':');
	if (colon == NULL ||
	    util_parse_ll(colon + 1, 1, 65535, &portnum, &errstr) == -1) {
		snprintf(errbuf, errlen, "listen %s: bad address", o->listen);
		return -1;
	}
	hlen = (size_t)(colon - o->listen);
	if (o->listen[0] == '[' && hlen >= 2 && o->listen[hlen - 1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)hlen - 2,
		    o->listen + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)hlen, o->listen);
	snprintf(port, sizeof(port), "%lld", portnum);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags =
	    EVUTIL_AI_PASSIVE | EVUTIL_AI_NUMERICHOST | EVUTIL_AI_NUMERICSERV;
	if (evutil_getaddrinfo(host, port, &hints, &ai) != 0 || ai == NULL) {
		snprintf(errbuf, errlen, "listen %s: bad address", o->listen);
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, ai->ai_addr, (socklen_t)ai->ai_addrlen) == -1) {
		snprintf(errbuf, errlen, "listen %s: cannot bind: %s",
		    o->listen, strerror(errno));
		if (fd != -1)
			close(fd);
		evutil_freeaddrinfo(ai);
		return -1;
	}
	evutil_freeaddrinfo(ai);
	/* The head and the body are written separately: without this the
	 * body waits for the client's delayed ACK (about 40 ms).  Accepted
	 * sockets inherit it from the listening one. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		log_warn("listen %s: TCP_NODELAY", o->listen);
	l->lev = evconnlistener_new(base, http_accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 511, fd);
	if (l->lev == NULL) {
		snprintf(errbuf, errlen, "listen %s: cannot listen", o->listen);
		close(fd);
		return -1;
	}
	if ((l->guard = listen_guard_new(l->lev, "listen")) == NULL) {
		snprintf(errbuf, errlen, "listen %s: out of memory", o->listen);
		evconnlistener_free(l->lev);
		l->lev = NULL;
		return -1;
	}
	return 0;
}

void
http_stop_accepting(struct http_listener *l)
{
	struct http_conn *c, *next;

	if (l->lev != NULL) {
		listen_guard_free(l->guard);
		l->guard = NULL;
		evconnlistener_free(l->lev);
		l->lev = NULL;
	}
	/* Nobody waits for what idle connections might still send. */
	for (c = TAILQ_FIRST(&l->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->phase == P_IDLE || c->phase == P_HANDSHAKE ||
		    (c->phase == P_HEAD && c->parser.nread == 0))
			conn_free(c);
	}
}

void
http_free(struct http_listener *l)
{
	struct http_conn *c;

	http_stop_accepting(l);
	while ((c = TAILQ_FIRST(&l->conns)) != NULL)
		conn_free(c);
}

void
http_req_stream(struct http_req *r,
    int (*fn)(struct http_req *, const uint8_t *, size_t))
{
	r->streaming = true;
	r->body_fn = fn;
}

const char *
http_in_header(struct http_req *r, const char *name)
{
	return evhttp_find_header(&r->in, name);
}

static const char *
http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Found";
	case 303:
		return "See Other";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 413:
		return "Content Too Large";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Content";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return status < 400 ? "OK" : "Error";
	}
}

void
http_reply(struct http_req *r, int status, struct evbuffer *body)
{
	struct http_conn *c = r->conn;
	struct evbuffer *out;
	struct evkeyval *h;
	size_t len = body != NULL ? evbuffer_get_length(body) : 0;
	bool nobody = r->verb == HTTP_V_HEAD || status == 204 || status == 304;

	if (c == NULL) {
		req_free(r);
		return;
	}
	c->req = NULL;
	c->answered = true;
	/* The body was not all read: the connection cannot be reused, and
	 * what is still coming is read and dropped for a while. */
	if (!c->msg_done && !c->bodyless) {
		r->close = true;
		c->linger = true;
	}
	if (r->close || c->l->lev == NULL)
		c->keep_alive = false;
	out = bufferevent_get_output(c->bev);
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n", status,
	    http_reason(status));
	TAILQ_FOREACH(h, &r->out, next)
		evbuffer_add_printf(out, "%s: %s\r\n", h->key, h->value);
	if (status != 204 && status != 304)
		evbuffer_add_printf(out, "Content-Length: %zu\r\n", len);
	evbuffer_add_printf(out, "%s\r\n",
	    c->keep_alive ? "" : "Connection: close\r\n");
	if (!nobody && len > 0)
		evbuffer_add_buffer(out, body);
	req_free(r);
	conn_phase(c, P_WRITING,
	    c->l->o.timeout_ms +
	        (int64_t)(len * 1000 / (size_t)c->l->o.min_rate));
	if (!c->keep_alive && !c->linger)
		bufferevent_disable(c->bev, EV_READ);
	else
		bufferevent_enable(c->bev, EV_READ);
}

void
http_security_headers(struct evkeyvalq *h, const char *csp)
{
	evhttp_add_header(h, "Content-Security-Policy", csp);
	evhttp_add_header(h, "Strict-Transport-Security",
	    "max-age=63072000; includeSubDomains");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Permissions-Policy",
	    "camera=(), microphone=(), geolocation=(), interest-cohort=()");
	evhttp_add_header(h, "Cross-Origin-Opener-Policy", "same-origin");
	evhttp_add_header(h, "Cross-Origin-Resource-Policy", "same-origin");
}
