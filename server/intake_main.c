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
#include <unistd.h>

#include <event2/event.h>
#include <sodium.h>
#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "cfg.h"
#include "intake.h"
#include "keys.h"
#include "log.h"

static struct intake intake;
static struct event_base *base;
static struct event *grace_ev;

static void
usage(void)
{
	fprintf(stderr, "usage: tipline-intake [-n] [-c file]\n"
	                "  -c file  configuration (default conf/tipline.ini)\n"
	                "  -n       check the configuration and exit\n");
	exit(2);
}

static void
grace_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	log_warnx("shutdown grace period over, closing open requests");
	event_base_loopbreak(base);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct cfg *cfg = arg;
	struct timeval tv;

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
	tv.tv_sec = cfg->intake_shutdown_grace_ms / 1000;
	tv.tv_usec = (cfg->intake_shutdown_grace_ms % 1000) * 1000;
	grace_ev = evtimer_new(base, grace_cb, NULL);
	evtimer_add(grace_ev, &tv);
	intake_stop(&intake);
}

int
main(int argc, char *argv[])
{
	const char *path = "conf/tipline.ini";
	struct event *sigs[4];
	struct intake_keys keys;
	sigset_t mask;
	struct cfg cfg;
	struct tls *tls;
	char err[1024];
	int ch, check_only = 0, i;
	static const int signums[] = { SIGTERM, SIGINT, SIGHUP };

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
	log_init("tipline-intake", LOG_L_INFO);
	/* Dates the tipster sees are Finnish dates. */
	setenv("TZ", "Europe/Helsinki", 1);
	tzset();
	if (sodium_init() == -1)
		fatalx("sodium_init failed");
	if (cfg_load(path, &cfg, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return 2;
	}
	log_set_level((enum log_level)cfg.log_level);
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
	signal(SIGPIPE, SIG_IGN);
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	log_route_libevent();
	intake_init(&intake, base, &cfg, tls, &keys);
	sodium_memzero(&keys, sizeof(keys));
	for (i = 0; i < (int)ARRAY_SIZE(signums); i++) {
		sigs[i] = evsignal_new(base, signums[i], signal_cb, &cfg);
		evsignal_add(sigs[i], NULL);
	}
#ifdef HAVE_SYSTEMD
	sd_notify(0, "READY=1");
#endif
	event_base_dispatch(base);
	log_info("stopped");
	intake_free(&intake);
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
	tls_free(tls);
	cfg_free(&cfg);
	return 0;
}
