/*
 * The HTTPS listener on evhttp: every accepted socket gets an OpenSSL
 * bufferevent from the current TLS context; size limits and timeouts are
 * set before the first byte is read.  Every answer carries the same strict
 * security headers, and pages are never cached.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "http.h"
#include "log.h"

/*
 * Open connections are counted through the SSL object each one owns: its
 * ex_data points to the listener, and OpenSSL calls http_ssl_free() when
 * libevent frees the connection.  At max_conns the listening socket stops
 * accepting (the kernel's backlog holds new ones) until one closes, so
 * memory is bounded by max_conns requests whatever clients send.
 */
static int http_ssl_idx = -1;

static void
http_ssl_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	struct http_listener *l = ptr;

	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (l == NULL)
		return;
	l->nconns--;
	if (l->paused && l->nconns < l->max_conns && l->sock != NULL) {
		evconnlistener_enable(
		    evhttp_bound_socket_get_listener(l->sock));
		l->paused = false;
	}
}

static struct bufferevent *
http_bev_cb(struct event_base *base, void *arg)
{
	struct http_listener *l = arg;
	struct bufferevent *bev;
	SSL *ssl;

	if ((ssl = tls_accept_new(l->tls)) == NULL)
		return NULL;
	SSL_set_ex_data(ssl, http_ssl_idx, l);
	if (++l->nconns >= l->max_conns && !l->paused && l->sock != NULL) {
		evconnlistener_disable(
		    evhttp_bound_socket_get_listener(l->sock));
		l->paused = true;
	}
	bev = bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	/* Browsers often close without close_notify: not an error. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

int
http_listen(struct http_listener *l, struct event_base *base, struct tls *tls,
    const struct http_opts *o, char *errbuf, size_t errlen)
{
	char host[256];
	const char *colon;
	long long port;
	const char *errstr;
	size_t hlen;
	struct timeval tv;
	int one;

	memset(l, 0, sizeof(*l));
	l->max_conns = o->max_connections > 0 ? o->max_connections : 256;
	if (http_ssl_idx == -1)
		http_ssl_idx =
		    SSL_get_ex_new_index(0, NULL, NULL, NULL, http_ssl_free);
	colon = strrchr(o->listen, ':');
	if (colon == NULL ||
	    util_parse_ll(colon + 1, 1, 65535, &port, &errstr) == -1) {
		snprintf(errbuf, errlen, "listen %s: bad address", o->listen);
		return -1;
	}
	hlen = (size_t)(colon - o->listen);
	if (o->listen[0] == '[' && hlen >= 2 && o->listen[hlen - 1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)hlen - 2,
		    o->listen + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)hlen, o->listen);
	if ((l->http = evhttp_new(base)) == NULL) {
		snprintf(errbuf, errlen, "evhttp_new failed");
		return -1;
	}
	l->tls = tls;
	evhttp_set_bevcb(l->http, http_bev_cb, l);
	evhttp_set_max_headers_size(l->http, (ev_ssize_t)o->max_header_bytes);
	evhttp_set_max_body_size(l->http, (ev_ssize_t)o->max_body_bytes);
	tv.tv_sec = o->timeout_ms / 1000;
	tv.tv_usec = (o->timeout_ms % 1000) * 1000;
	evhttp_set_timeout_tv(l->http, &tv);
	/* Every method reaches the handler, which answers 405 itself with
	 * the security headers; libevent's own refusals carry none. */
	evhttp_set_allowed_methods(l->http,
	    EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
	        EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
	        EVHTTP_REQ_TRACE | EVHTTP_REQ_PATCH);
	evhttp_set_default_content_type(l->http, "text/plain; charset=utf-8");
	l->sock =
	    evhttp_bind_socket_with_handle(l->http, host, (ev_uint16_t)port);
	if (l->sock == NULL) {
		snprintf(errbuf, errlen, "listen %s: cannot bind", o->listen);
		evhttp_free(l->http);
		l->http = NULL;
		return -1;
	}
	/* evhttp writes the head and the body separately: without this the
	 * body waits for the client's delayed ACK (about 40 ms).  Accepted
	 * sockets inherit it from the listening one. */
	one = 1;
	if (setsockopt(evhttp_bound_socket_get_fd(l->sock), IPPROTO_TCP,
	        TCP_NODELAY, &one, sizeof(one)) == -1)
		log_warn("listen %s: TCP_NODELAY", o->listen);
	return 0;
}

void
http_stop_accepting(struct http_listener *l)
{
	if (l->sock != NULL) {
		evhttp_del_accept_socket(l->http, l->sock);
		l->sock = NULL;
	}
}

void
http_free(struct http_listener *l)
{
	if (l->http != NULL)
		evhttp_free(l->http);
	l->http = NULL;
	l->sock = NULL;
}

void
http_security_headers(struct evhttp_request *req, const char *csp)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

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
