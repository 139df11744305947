/*
 * tipline-console: reads the configuration, loads the sealing key pair and
 * the certificate, starts the listener and runs the event loop.  SIGTERM
 * and SIGINT stop it gracefully; SIGHUP reloads the certificate.  Exit
 * status 2 means the configuration is wrong.  `-r` prints the route table
 * (what each path needs) and exits, for tests and for review.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "console.h"
#include "daemon.h"
#include "keys.h"
#include "log.h"

static struct console console;
static struct console_keys keys;
static struct tls *tls;
static bool started;

static int
console_main_prepare(struct cfg *cfg)
{
	char err[1024];

	/* Officers read Finnish times. */
	setenv("TZ", "Europe/Helsinki", 1);
	tzset();
	if (keys_load(cfg->key_public, 0, keys.public_key, err, sizeof(err)) ==
	        -1 ||
	    keys_load(cfg->key_secret, 1, keys.secret_key, err, sizeof(err)) ==
	        -1 ||
	    keys_load(cfg->key_search, 1, keys.search_key, err, sizeof(err)) ==
	        -1) {
		log_warnx("%s: [keys] %s", cfg->path, err);
		return -1;
	}
	if ((tls = tls_new(cfg->console_cert, cfg->console_key, err,
	         sizeof(err))) == NULL) {
		log_warnx("%s: [console] %s", cfg->path, err);
		return -1;
	}
	return 0;
}

static int
console_main_start(struct event_base *base, struct cfg *cfg)
{
	console_init(&console, base, cfg, tls, &keys);
	sodium_memzero(&keys, sizeof(keys));
	started = true;
	return 0;
}

static void
console_main_reload(void)
{
	console_reload(&console);
}

static void
console_main_stop(void)
{
	console_stop(&console);
}

static long long
console_main_grace(const struct cfg *cfg)
{
	return cfg->console_shutdown_grace_ms;
}

static void
console_main_finish(void)
{
	if (started)
		console_free(&console);
	sodium_memzero(&keys, sizeof(keys));
	tls_free(tls);
	tls = NULL;
}

int
main(int argc, char *argv[])
{
	static const struct daemon_ops ops = {
		.name = "tipline-console",
		.prepare = console_main_prepare,
		.start = console_main_start,
		.reload = console_main_reload,
		.stop = console_main_stop,
		.grace_ms = console_main_grace,
		.grace_msg =
		    "shutdown grace period over, closing open requests",
		.finish = console_main_finish,
	};

	if (argc == 2 && strcmp(argv[1], "-r") == 0) {
		console_print_routes();
		return 0;
	}
	return daemon_main(argc, argv, &ops);
}
