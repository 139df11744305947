#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "daemon.h"
#include "log.h"

static void
daemon_options(int argc, char *argv[], const char *name, const char **path,
    bool *check_only)
{
	int ch;

	while ((ch = getopt(argc, argv, "c:n")) != -1) {
		switch (ch) {
		case 'c':
			*path = optarg;
			break;
		case 'n':
			*check_only = true;
			break;
		default:
			goto usage;
		}
	}
	if (optind == argc)
		return;
usage:
	fprintf(stderr,
	    "usage: %s [-n] [-c file]\n"
	    "  -c file  configuration (default conf/tipline.ini)\n"
	    "  -n       check the configuration and exit\n",
	    name);
	exit(2);
}

int
daemon_configure(int argc, char *argv[], const char *name, const char **path,
    bool *check_only, struct cfg *cfg)
{
	char err[1024];

	daemon_options(argc, argv, name, path, check_only);
	log_init(name, LOG_L_INFO);
	if (sodium_init() == -1)
		fatalx("sodium_init failed");
	if (cfg_load(*path, cfg, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	log_set_level((enum log_level)cfg->log_level);
	return 0;
}

struct event_base *
daemon_base(void)
{
	struct event_base *base;

	signal(SIGPIPE, SIG_IGN);
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	log_route_libevent();
	return base;
}

/*
 * Until the loop handles them, SIGTERM and SIGINT are only noted (and
 * SIGHUP ignored): a daemon told to stop while it starts stops as soon as
 * it has started, instead of dying half way.  libevent saves this action
 * and puts it back when its events are freed, so a signal that comes
 * late in a clean exit is only noted too.
 */
static volatile sig_atomic_t daemon_stop_asked;

static void
daemon_note_signal(int sig)
{
	if (sig != SIGHUP)
		daemon_stop_asked = 1;
}

static void
daemon_note_signals(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = daemon_note_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		if (sigaction(sigs[i], &sa, NULL) == -1)
			fatal("sigaction");
}

static void
daemon_signals(struct daemon *d, struct event_base *base, const int *sigs,
    int n, event_callback_fn cb, void *arg)
{
	int i;

	if (n > DAEMON_MAX_SIGNALS)
		fatalx("%s: %d signals", __func__, n);
	memset(d, 0, sizeof(*d));
	d->base = base;
	d->nsigs = n;
	for (i = 0; i < n; i++) {
		d->sigs[i] = sigs[i];
		if ((d->sigev[i] = evsignal_new(base, sigs[i], cb, arg)) ==
		        NULL ||
		    evsignal_add(d->sigev[i], NULL) == -1)
			fatalx("cannot handle signal %d", sigs[i]);
	}
}

static void
daemon_grace_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	log_warnx("%s", d->grace_msg);
	event_base_loopbreak(d->base);
}

void
daemon_grace(struct daemon *d, long long ms, const char *msg)
{
	struct timeval tv;

	if (d->grace != NULL)
		return;
	d->grace_msg = msg;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if ((d->grace = evtimer_new(d->base, daemon_grace_cb, d)) == NULL ||
	    evtimer_add(d->grace, &tv) == -1)
		fatalx("cannot start the shutdown grace timer");
}

void
daemon_free(struct daemon *d)
{
	int i;

	/* Each signal's action goes back to what it was before
	 * daemon_signals(): noted, not fatal. */
	for (i = 0; i < d->nsigs; i++)
		event_free(d->sigev[i]);
	if (d->grace != NULL)
		event_free(d->grace);
	memset(d, 0, sizeof(*d));
}

struct daemon_run {
	const struct daemon_ops *ops;
	struct cfg *cfg;
	struct daemon d;
	bool stopping;
};

static void
daemon_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon_run *run = arg;

	(void)what;
	if (sig == SIGHUP) {
		if (run->ops->reload != NULL)
			run->ops->reload();
		return;
	}
	if (run->stopping)
		return;
	run->stopping = true;
	log_info("stopping");
#ifdef HAVE_SYSTEMD
	sd_notify(0, "STOPPING=1");
#endif
	daemon_grace(&run->d, run->ops->grace_ms(run->cfg),
	    run->ops->grace_msg);
	run->ops->stop();
}

int
daemon_main(int argc, char *argv[], const struct daemon_ops *ops)
{
	static const int signums[] = { SIGTERM, SIGINT, SIGHUP };
	const char *path = "conf/tipline.ini";
	struct daemon_run run;
	struct event_base *base;
	struct cfg cfg;
	bool check_only = false;
	int rv = 2;

	memset(&run, 0, sizeof(run));
	run.ops = ops;
	run.cfg = &cfg;
	daemon_note_signals();
	if (daemon_configure(argc, argv, ops->name, &path, &check_only, &cfg) ==
	    -1)
		return 2;
	if (ops->prepare(&cfg) == -1) {
		ops->finish();
		cfg_free(&cfg);
		return 2;
	}
	if (check_only) {
		printf("configuration OK\n");
		ops->finish();
		cfg_free(&cfg);
		return 0;
	}
	base = daemon_base();
	if (ops->start(base, &cfg) == 0) {
		daemon_signals(&run.d, base, signums, (int)ARRAY_SIZE(signums),
		    daemon_signal_cb, &run);
		/* Asked to stop while starting: stop now. */
		if (daemon_stop_asked)
			daemon_signal_cb(SIGTERM, EV_SIGNAL, &run);
#ifdef HAVE_SYSTEMD
		sd_notify(0, "READY=1");
#endif
		event_base_dispatch(base);
		rv = 0;
	}
	ops->finish();
	log_info("stopped");
	daemon_free(&run.d);
	event_base_free(base);
	cfg_free(&cfg);
	return rv;
}

void
daemon_db_opts(struct db_pool_opts *o, const struct cfg *cfg, const char *user,
    const struct db_stmt *stmts, size_t nstmts)
{
	memset(o, 0, sizeof(*o));
	o->conninfo = cfg->db_conninfo;
	o->user = user;
	o->size = (int)cfg->db_pool_size;
	o->connect_timeout_ms = cfg->db_connect_timeout_ms;
	o->query_timeout_ms = cfg->db_query_timeout_ms;
	o->retry_max_ms = cfg->db_retry_max_ms;
	o->stmts = stmts;
	o->nstmts = nstmts;
}
