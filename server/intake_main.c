/*
 * tipline-intake: reads the configuration, checks the keys, starts the
 * listener and runs the event loop.  SIGTERM and SIGINT stop it gracefully
 * (no new connections, requests in flight finish, then exit 0); SIGHUP
 * reloads the certificate and reference data.  Exit status 2 means the
 * configuration is wrong.
 */
#include <stdlib.h>

#include <sodium.h>

#include "daemon.h"
#include "intake.h"
#include "log.h"

static struct intake intake;
static struct intake_keys keys;
static struct tls *tls;
static bool started;

static int
intake_main_prepare(struct cfg *cfg)
{
	char err[1024];

	/* Dates the tipster sees are Finnish dates. */
	setenv("TZ", "Europe/Helsinki", 1);
	tzset();
	if (intake_keys_load(&keys, cfg, err, sizeof(err)) == -1) {
		log_warnx("%s: [keys] %s", cfg->path, err);
		return -1;
	}
	if ((tls = tls_new(cfg->intake_cert, cfg->intake_key, err,
	         sizeof(err))) == NULL) {
		log_warnx("%s: [intake] %s", cfg->path, err);
		return -1;
	}
	return 0;
}

static int
intake_main_start(struct event_base *base, struct cfg *cfg)
{
	intake_init(&intake, base, cfg, tls, &keys);
	sodium_memzero(&keys, sizeof(keys));
	started = true;
	return 0;
}

static void
intake_main_reload(void)
{
	intake_reload(&intake);
}

static void
intake_main_stop(void)
{
	intake_stop(&intake);
}

static long long
intake_main_grace(const struct cfg *cfg)
{
	return cfg->intake_shutdown_grace_ms;
}

static void
intake_main_finish(void)
{
	if (started)
		intake_free(&intake);
	sodium_memzero(&keys, sizeof(keys));
	tls_free(tls);
	tls = NULL;
}

int
main(int argc, char *argv[])
{
	static const struct daemon_ops ops = {
		.name = "tipline-intake",
		.prepare = intake_main_prepare,
		.start = intake_main_start,
		.reload = intake_main_reload,
		.stop = intake_main_stop,
		.grace_ms = intake_main_grace,
		.grace_msg =
		    "shutdown grace period over, closing open requests",
		.finish = intake_main_finish,
	};

	return daemon_main(argc, argv, &ops);
}
