/*
 * tipline-worker: runs the job queue.  Run as many as you like against
 * one database.  SIGTERM and SIGINT stop claiming and exit once the jobs
 * in flight are finished (or after [worker] shutdown_grace, when the
 * leases bring them back to the queue); exit status 2 means the
 * configuration is wrong.
 */
#include <sys/queue.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <sodium.h>
#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "cfg.h"
#include "daemon.h"
#include "log.h"
#include "metrics.h"
#include "queue.h"

static struct queue queue;
static struct event_base *base;
static struct daemon self;

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct cfg *cfg = arg;

	(void)sig;
	(void)what;
	if (queue.stopping)
		return;
	log_info("stopping");
	daemon_grace(&self, cfg->worker_shutdown_grace_ms,
	    "shutdown grace period over; leases return the jobs");
	queue_stop(&queue);
}

int
main(int argc, char *argv[])
{
	const char *path = "conf/tipline.ini";
	static const int signums[] = { SIGTERM, SIGINT };
	struct queue_keys keys;
	struct cfg cfg;
	char err[1024];
	bool check_only = false;

	if (daemon_configure(argc, argv, "tipline-worker", &path, &check_only,
	        &cfg) == -1)
		return 2;
	if (queue_keys_load(&keys, &cfg, err, sizeof(err)) == -1) {
		log_warnx("%s: [keys] %s", path, err);
		cfg_free(&cfg);
		return 2;
	}
	if (check_only) {
		printf("configuration OK\n");
		sodium_memzero(&keys, sizeof(keys));
		cfg_free(&cfg);
		return 0;
	}
	base = daemon_base();
	queue_init(&queue, base, &cfg, &keys);
	sodium_memzero(&keys, sizeof(keys));
	if (metrics_start(base, cfg.worker_metrics, &queue, err, sizeof(err)) ==
	    -1) {
		log_warnx("%s: %s", path, err);
		queue_free(&queue);
		event_base_free(base);
		cfg_free(&cfg);
		return 2;
	}
	daemon_signals(&self, base, signums, (int)ARRAY_SIZE(signums),
	    signal_cb, &cfg);
	log_info("started: %lld jobs at once, batches of %lld, %d connections",
	    cfg.worker_jobs, cfg.worker_batch, QUEUE_CONNECTIONS);
#ifdef HAVE_SYSTEMD
	sd_notify(0, "READY=1");
#endif
	event_base_dispatch(base);
	metrics_stop();
	queue_free(&queue);
	log_info("stopped");
	daemon_free(&self);
	event_base_free(base);
	cfg_free(&cfg);
	return 0;
}
