/*
 * /metrics in Prometheus' text format: jobs done, failed, dead and lost,
 * ingest batches and e-mail notices sent, retried and given up since
 * start, and the most jobs running and screenshots unread at once, all as
 * they stood at the last boundary of the arrival periods ([privacy]
 * arrival_truncate), so that no scrape dates a tip; database connections
 * now.  Plain HTTP is acceptable only because the listener must be a
 * loopback address; the counters carry no tip data.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "job_ingest.h"
#include "listen.h"
#include "log.h"
#include "metrics.h"
#include "queue.h"

static struct evhttp *metrics_http;
/* Out of file descriptors, accept errors would flood the log. */
static struct listen_guard *metrics_guard;

static void
metrics_cb(struct evhttp_request *req, void *arg)
{
	struct queue *q = arg;
	const struct queue_counts *p = &q->published;
	struct evbuffer *b;
	const char *path = evhttp_request_get_uri(req);

	if (strcmp(path, "/metrics") != 0) {
		evhttp_send_error(req, 404, NULL);
		return;
	}
	if ((b = evbuffer_new()) == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	/* The counters and peaks as they stood at the last boundary of the
	 * arrival periods (queue.h, struct queue_counts): a scrape every
	 * second would otherwise date each tip. */
	evbuffer_add_printf(b,
	    "# HELP tipline_jobs_total Jobs finished since start, by result, "
	    "as counted at the last boundary of [privacy] arrival_truncate: "
	    "a counter that moved with each job would date each tip.\n"
	    "# TYPE tipline_jobs_total counter\n"
	    "tipline_jobs_total{result=\"done\"} %llu\n"
	    "tipline_jobs_total{result=\"failed\"} %llu\n"
	    "tipline_jobs_total{result=\"dead\"} %llu\n"
	    "tipline_jobs_total{result=\"lost\"} %llu\n"
	    "# HELP tipline_jobs_running The most jobs this worker had in "
	    "flight at once in the last whole period of [privacy] "
	    "arrival_truncate (jobs in flight now would date a tip).\n"
	    "# TYPE tipline_jobs_running gauge\n"
	    "tipline_jobs_running %d\n"
	    "# HELP tipline_screenshots_unread The most screenshots of jobs "
	    "in flight whose text was not read yet, at once, in the last "
	    "whole period of [privacy] arrival_truncate.\n"
	    "# TYPE tipline_screenshots_unread gauge\n"
	    "tipline_screenshots_unread %d\n"
	    "# HELP tipline_ingest_batches_total Batches of tips applied since "
	    "start, as counted at the last boundary of [privacy] "
	    "arrival_truncate.\n"
	    "# TYPE tipline_ingest_batches_total counter\n"
	    "tipline_ingest_batches_total %llu\n"
	    "# HELP tipline_db_connections Database connections up.\n"
	    "# TYPE tipline_db_connections gauge\n"
	    "tipline_db_connections %d\n"
	    "# HELP tipline_email_sent_total E-mail notices sent since start, "
	    "as counted at the last boundary of [privacy] arrival_truncate.\n"
	    "# TYPE tipline_email_sent_total counter\n"
	    "tipline_email_sent_total %llu\n"
	    "# HELP tipline_email_retries_total Failed tries at sending an "
	    "e-mail notice that will be tried again, as counted at the last "
	    "boundary of [privacy] arrival_truncate.\n"
	    "# TYPE tipline_email_retries_total counter\n"
	    "tipline_email_retries_total %llu\n"
	    "# HELP tipline_email_failed_total E-mail notices given up after "
	    "the last try (their addresses deleted), as counted at the last "
	    "boundary of [privacy] arrival_truncate.\n"
	    "# TYPE tipline_email_failed_total counter\n"
	    "tipline_email_failed_total %llu\n"
	    "# HELP tipline_messages_delivered_total The police's messages "
	    "delivered to tips since start, as counted at the last boundary "
	    "of [privacy] arrival_truncate (a tip joining a case with "
	    "messages receives them at once).\n"
	    "# TYPE tipline_messages_delivered_total counter\n"
	    "tipline_messages_delivered_total %llu\n",
	    (unsigned long long)p->done, (unsigned long long)p->failed,
	    (unsigned long long)p->dead, (unsigned long long)p->lost,
	    p->running_peak, p->shots_peak, (unsigned long long)p->batches,
	    db_pool_up(q->db), (unsigned long long)p->email_sent,
	    (unsigned long long)p->email_retries,
	    (unsigned long long)p->email_failed,
	    (unsigned long long)p->delivered);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4");
	evhttp_send_reply(req, 200, NULL, b);
	evbuffer_free(b);
}

int
metrics_start(struct event_base *base, const char *addr, struct queue *q,
    char *errbuf, size_t errlen)
{
	char host[64];
	const char *colon;
	long long port;
	const char *errstr;
	size_t hlen;
	struct evhttp_bound_socket *sock;

	if (addr == NULL || addr[0] == '\0')
		return 0;
	colon = strrchr(addr, ':');
	if (colon == NULL ||
	    util_parse_ll(colon + 1, 1, 65535, &port, &errstr) == -1) {
		snprintf(errbuf, errlen, "[worker] metrics: bad address");
		return -1;
	}
	hlen = (size_t)(colon - addr);
	if (addr[0] == '[' && hlen >= 2 && addr[hlen - 1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)hlen - 2, addr + 1);
	else
		snprintf(host, sizeof(host), "%.*s", (int)hlen, addr);
	if (strncmp(host, "127.", 4) != 0 && strcmp(host, "::1") != 0) {
		snprintf(errbuf, errlen,
		    "[worker] metrics: %s is not a loopback address", host);
		return -1;
	}
	if ((metrics_http = evhttp_new(base)) == NULL ||
	    (sock = evhttp_bind_socket_with_handle(metrics_http, host,
	         (ev_uint16_t)port)) == NULL) {
		snprintf(errbuf, errlen, "[worker] metrics: cannot bind %s",
		    addr);
		if (metrics_http != NULL)
			evhttp_free(metrics_http);
		metrics_http = NULL;
		return -1;
	}
	metrics_guard =
	    listen_guard_new(evhttp_bound_socket_get_listener(sock), "metrics");
	if (metrics_guard == NULL) {
		snprintf(errbuf, errlen, "[worker] metrics: out of memory");
		evhttp_free(metrics_http);
		metrics_http = NULL;
		return -1;
	}
	evhttp_set_allowed_methods(metrics_http, EVHTTP_REQ_GET);
	evhttp_set_timeout(metrics_http, 10);
	evhttp_set_max_headers_size(metrics_http, 8192);
	evhttp_set_max_body_size(metrics_http, 0);
	evhttp_set_gencb(metrics_http, metrics_cb, q);
	log_info("metrics on http://%s/metrics", addr);
	return 0;
}

void
metrics_stop(void)
{
	/* Before evhttp_free(), which frees the listener. */
	listen_guard_free(metrics_guard);
	metrics_guard = NULL;
	if (metrics_http != NULL)
		evhttp_free(metrics_http);
	metrics_http = NULL;
}
