/*
 * tipline-intake: reads the configuration, checks the keys, starts the
 * listener and runs the event loop.  SIGTERM and SIGINT stop it gracefully
 * (no new connections, requests in flight finish, then exit 0); SIGHUP
 * reloads the certificate and reference data.  Exit status 2 means the
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
#include "intake.h"
#include "log.h"

static struct intake intake;
static struct event_base *base;
static struct daemon self;

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct cfg *cfg = arg;

	(void)what;
	if (sig == SIGHUP) {
		intake_reload(&intake);
		return;
	}
	if (intake.stopping)
		return;
	log_info("stopping");
#ifdef HAVE_SYSTEMD
	sd_notify(0, "STOPPING=1");
#endif
	daemon_grace(&self, cfg->intake_shutdown_grace_ms,
	    "shutdown grace period over, closing open requests");
	intake_stop(&intake);
}

int
main(int argc, char *argv[])
{
	const char *path = "conf/tipline.ini";
	static const int signums[] = { SIGTERM, SIGINT, SIGHUP };
	struct intake_keys keys;
	struct cfg cfg;
	struct tls *tls;
	char err[1024];
	bool check_only = false;

	/* Dates the tipster sees are Finnish dates. */
	setenv("TZ", "Europe/Helsinki", 1);
	tzset();
	if (daemon_configure(argc, argv, "tipline-intake", &path, &check_only,
	        &cfg) == -1)
		return 2;
	if (intake_keys_load(&keys, &cfg, err, sizeof(err)) == -1) {
		log_warnx("%s: [keys] %s", path, err);
		cfg_free(&cfg);
		return 2;
	}
	if ((tls = tls_new(cfg.intake_cert, cfg.intake_key, err,
	         sizeof(err))) == NULL) {
		log_warnx("%s: [intake] %s", path, err);
		cfg_free(&cfg);
		return 2;
	}
	if (check_only) {
		printf("configuration OK\n");
		sodium_memzero(&keys, sizeof(keys));
		tls_free(tls);
		cfg_free(&cfg);
		return 0;
	}
	base = daemon_base();
	intake_init(&intake, base, &cfg, tls, &keys);
	sodium_memzero(&keys, sizeof(keys));
	daemon_signals(&self, base, signums, (int)ARRAY_SIZE(signums),
	    signal_cb, &cfg);
#ifdef HAVE_SYSTEMD
	sd_notify(0, "READY=1");
#endif
	event_base_dispatch(base);
	log_info("stopped");
	intake_free(&intake);
	daemon_free(&self);
	event_base_free(base);
	tls_free(tls);
	cfg_free(&cfg);
	return 0;
}
