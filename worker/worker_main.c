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
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>
#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "cfg.h"
#include "keys.h"
#include "log.h"
#include "metrics.h"
#include "queue.h"

static struct queue queue;
static struct event_base *base;
static struct event *grace_ev;

static void
usage(void)
{
	fprintf(stderr, "usage: tipline-worker [-n] [-c file]\n");
	exit(2);
}

static void
grace_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	log_warnx("shutdown grace period over; leases return the jobs");
	event_base_loopbreak(base);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct cfg *cfg = arg;
	struct timeval tv;

	(void)sig;
	(void)what;
	if (queue.stopping)
		return;
	log_info("stopping");
	tv.tv_sec = cfg->worker_shutdown_grace_ms / 1000;
	tv.tv_usec = (cfg->worker_shutdown_grace_ms % 1000) * 1000;
	grace_ev = evtimer_new(base, grace_cb, NULL);
	evtimer_add(grace_ev, &tv);
	queue_stop(&queue);
}

int
main(int argc, char *argv[])
{
	const char *path = "conf/tipline.ini";
	static const int signums[] = { SIGTERM, SIGINT };
	struct event *sigs[2];
	sigset_t mask;
	struct cfg cfg;
	struct queue_keys keys;
	char err[1024];
	int ch, check_only = 0, i;

	while ((ch = getopt(argc, argv, "c:n")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'n':
			check_only = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("tipline-worker", LOG_L_INFO);
	if (sodium_init() == -1)
		fatalx("sodium_init failed");
	if (cfg_load(path, &cfg, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return 2;
	}
	log_set_level((enum log_level)cfg.log_level);
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
	signal(SIGPIPE, SIG_IGN);
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	log_route_libevent();
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
	for (i = 0; i < (int)ARRAY_SIZE(signums); i++) {
		sigs[i] = evsignal_new(base, signums[i], signal_cb, &cfg);
		evsignal_add(sigs[i], NULL);
	}
	log_info("started: %lld jobs at once, batches of %lld, %d connections",
	    cfg.worker_jobs, cfg.worker_batch, QUEUE_CONNECTIONS);
#ifdef HAVE_SYSTEMD
	sd_notify(0, "READY=1");
#endif
	event_base_dispatch(base);
	metrics_stop();
	queue_free(&queue);
	log_info("stopped");
	/* Freeing the events restores the default actions: a late signal
	 * must not turn a clean exit into a kill.  Blocked, then ignored
	 * (which discards one pending). */
	sigemptyset(&mask);
	for (i = 0; i < (int)ARRAY_SIZE(signums); i++)
		sigaddset(&mask, signums[i]);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	for (i = 0; i < (int)ARRAY_SIZE(signums); i++) {
		event_free(sigs[i]);
		signal(signums[i], SIG_IGN);
	}
	if (grace_ev != NULL)
		event_free(grace_ev);
	event_base_free(base);
	cfg_free(&cfg);
	return 0;
}
