/*
 * tipline-worker: runs the job queue.  Run as many as you like against
 * one database.  SIGTERM and SIGINT stop claiming and exit once the jobs
 * in flight are finished (or after [worker] shutdown_grace, when the
 * leases bring them back to the queue); exit status 2 means the
 * configuration is wrong.
 */
#include <sys/queue.h>

#include <sodium.h>

#include "cfg.h"
#include "daemon.h"
#include "job_email.h"
#include "log.h"
#include "metrics.h"
#include "ocr.h"
#include "queue.h"

static struct queue queue;
static struct queue_keys keys;
static bool started;

static int
worker_prepare(struct cfg *cfg)
{
	char err[1024];

	if (queue_keys_load(&keys, cfg, err, sizeof(err)) == -1) {
		log_warnx("%s: [keys] %s", cfg->path, err);
		return -1;
	}
	if (job_email_prepare(cfg, keys.smtp_password, err, sizeof(err)) ==
	    -1) {
		sodium_memzero(&keys, sizeof(keys));
		log_warnx("%s: %s", cfg->path, err);
		return -1;
	}
	/* Screenshots in a script without its model would be read as
	 * another and never meet their duplicates. */
	if (ocr_check_models(err, sizeof(err)) == -1) {
		sodium_memzero(&keys, sizeof(keys));
		log_warnx("%s", err);
		return -1;
	}
	return 0;
}

static int
worker_start(struct event_base *base, struct cfg *cfg)
{
	char err[1024];

	queue_init(&queue, base, cfg, &keys);
	sodium_memzero(&keys, sizeof(keys));
	started = true;
	if (metrics_start(base, cfg->worker_metrics, &queue, err,
	        sizeof(err)) == -1) {
		log_warnx("%s: %s", cfg->path, err);
		return -1;
	}
	log_info("started: %lld jobs at once, batches of %lld, %d connections",
	    cfg->worker_jobs, cfg->worker_batch, QUEUE_CONNECTIONS);
	return 0;
}

static void
worker_stop(void)
{
	queue_stop(&queue);
}

static long long
worker_grace(const struct cfg *cfg)
{
	return cfg->worker_shutdown_grace_ms;
}

static void
worker_finish(void)
{
	if (started) {
		metrics_stop();
		queue_free(&queue);
	}
	sodium_memzero(&keys, sizeof(keys));
}

int
main(int argc, char *argv[])
{
	static const struct daemon_ops ops = {
		.name = "tipline-worker",
		.prepare = worker_prepare,
		.start = worker_start,
		.stop = worker_stop,
		.grace_ms = worker_grace,
		.grace_msg =
		    "shutdown grace period over; leases return the jobs",
		.finish = worker_finish,
	};

	return daemon_main(argc, argv, &ops);
}
