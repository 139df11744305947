/*
 * tiplinectl: the administrator's command line.
 *
 *   tiplinectl [-c file] migrate        apply new schema migrations
 *   tiplinectl [-c file] keygen         create missing key files (0600)
 *   tiplinectl [-c file] check-config   check the file, its keys and
 *                                       certificate
 *   tiplinectl [-c file] jobs           queue depth, oldest job, dead jobs
 *   tiplinectl [-c file] jobs retry ID  queue a dead job again
 *   tiplinectl [-c file] reviewer ...   the console's accounts: add,
 *                                       disable, enable, unlock,
 *                                       reset-password, reset-totp, list
 *                                       (ctl_reviewer.c)
 *   tiplinectl [-c file] audit verify [--head FILE]
 *                                       recompute the audit log's hash
 *                                       chain (and match logged heads)
 *   tiplinectl [-c file] audit [--case N] [--reviewer USERNAME] [--limit N]
 *                                       list audit rows, newest last
 *   tiplinectl [-c file] department list
 *   tiplinectl [-c file] department deadlines CODE [--ack DURATION]
 *                                       [--decide DURATION]
 *                                       (ctl_audit.c)
 *   tiplinectl [-c file] templates list [CODE] | show CODE TEMPLATE LANG |
 *                        set CODE TEMPLATE LANG FILE | reset CODE TEMPLATE LANG
 *                                       departments' feedback templates
 *                                       (ctl_templates.c)
 *   tiplinectl [-c file] stats [--week W | --month M | --year Y]
 *                        [--department CODE] [--format table|csv|json]
 *                        [--lang fi|sv|en]
 *                                       the published figures
 *                                       (ctl_stats.c)
 *
 * It talks to PostgreSQL synchronously as [database] admin_user, the role
 * that owns the schema.  Exit status: 0 done, 1 failed, 2 bad usage or
 * configuration.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "asset.h"
#include "cfg.h"
#include "ctl.h"
#include "i18n.h"
#include "keys.h"
#include "log.h"
#include "passwd.h"
#include "seal.h"
#include "text.h"
#include "tls.h"
#include "totp.h"

extern const struct asset ctl_migrations[];

const char *
ctl_optval(int argc, char **argv, int *i, const char *opt)
{
	if (strcmp(argv[*i], opt) != 0)
		return NULL;
	if (*i + 1 >= argc)
		ctl_usage();
	*i += 1;
	return argv[*i];
}

void
ctl_usage(void)
{
	fprintf(stderr, "usage: tiplinectl [-c file] command\n"
	                "commands:\n"
	                "  migrate          apply new schema migrations\n"
	                "  keygen           create missing key files\n"
	                "  check-config     check the configuration file\n"
	                "  jobs [retry ID]  the job queue\n"
	                "  reviewer ...     the console's accounts "
	                "(tiplinectl reviewer for help)\n"
	                "  audit verify [--head FILE]\n"
	                "  audit [--case N] [--reviewer USERNAME] [--limit N]\n"
	                "  department list\n"
	                "  department deadlines CODE [--ack DURATION] "
	                "[--decide DURATION]\n"
	                "  templates list [CODE]\n"
	                "  templates show|reset CODE TEMPLATE LANG\n"
	                "  templates set CODE TEMPLATE LANG FILE  (- for "
	                "stdin)\n"
	                "  stats [--week 2026-W47 | --month 2026-11 | --year "
	                "2026]\n"
	                "        [--department CODE] [--format "
	                "table|csv|json] [--lang fi|sv|en]\n");
	exit(2);
}

PGconn *
ctl_connect(const struct cfg *cfg)
{
	char conninfo[2048];
	PGconn *pg;

	if (cfg->db_admin_user[0] != '\0')
		snprintf(conninfo, sizeof(conninfo),
		    "%s user=%s fallback_application_name=tiplinectl",
		    cfg->db_conninfo, cfg->db_admin_user);
	else
		snprintf(conninfo, sizeof(conninfo),
		    "%s fallback_application_name=tiplinectl",
		    cfg->db_conninfo);
	pg = PQconnectdb(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "tiplinectl: cannot connect: %s",
		    PQerrorMessage(pg));
		PQfinish(pg);
		return NULL;
	}
	return pg;
}

int
ctl_exec(PGconn *pg, const char *sql)
{
	PGresult *res = PQexec(pg, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
	         PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "tiplinectl: %s", PQerrorMessage(pg));
	PQclear(res);
	return ok ? 0 : -1;
}

/* "0002_places.sql" -> 2; -1 if the name has no number. */
static long
ctl_migration_version(const char *name)
{
	char *end;
	long v = strtol(name, &end, 10);

	return (end == name || *end != '_') ? -1 : v;
}

static int
ctl_migrate(const struct cfg *cfg)
{
	const struct asset *m;
	PGconn *pg;
	PGresult *res;
	long current, v, prev = 0;
	char ver[32];
	const char *params[2];
	int applied = 0;

	for (m = ctl_migrations; m->name != NULL; m++) {
		v = ctl_migration_version(m->name);
		if (v <= prev)
			fatalx("migration %s is out of order", m->name);
		prev = v;
	}
	if ((pg = ctl_connect(cfg)) == NULL)
		return 1;
	if (ctl_exec(pg, "SET client_min_messages = warning") == -1 ||
	    ctl_exec(pg, "SELECT pg_advisory_lock(7436977)") == -1 ||
	    ctl_exec(pg,
	        "CREATE TABLE IF NOT EXISTS schema_version ("
	        "version integer PRIMARY KEY, name text NOT NULL, "
	        "applied_at timestamptz NOT NULL DEFAULT now())") == -1)
		goto fail;
	res =
	    PQexec(pg, "SELECT coalesce(max(version), 0) FROM schema_version");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "tiplinectl: %s", PQerrorMessage(pg));
		PQclear(res);
		goto fail;
	}
	current = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	for (m = ctl_migrations; m->name != NULL; m++) {
		v = ctl_migration_version(m->name);
		if (v <= current)
			continue;
		if (ctl_exec(pg, "BEGIN") == -1)
			goto fail;
		if (ctl_exec(pg, (const char *)m->data) == -1) {
			fprintf(stderr,
			    "tiplinectl: migration %s failed, "
			    "nothing of it was applied\n",
			    m->name);
			ctl_exec(pg, "ROLLBACK");
			goto fail;
		}
		snprintf(ver, sizeof(ver), "%ld", v);
		params[0] = ver;
		params[1] = m->name;
		res = PQexecParams(pg,
		    "INSERT INTO schema_version (version, name) "
		    "VALUES ($1, $2)",
		    2, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			fprintf(stderr, "tiplinectl: %s", PQerrorMessage(pg));
			PQclear(res);
			ctl_exec(pg, "ROLLBACK");
			goto fail;
		}
		PQclear(res);
		if (ctl_exec(pg, "COMMIT") == -1)
			goto fail;
		printf("applied %s\n", m->name);
		applied++;
		current = v;
	}
	if (applied == 0)
		printf("schema is up to date (version %ld)\n", current);
	PQfinish(pg);
	return 0;
fail:
	PQfinish(pg);
	return 1;
}

static int
ctl_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static int
ctl_keygen(const struct cfg *cfg)
{
	uint8_t pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
	uint8_t k[KEYS_BYTES];
	const char *hmacs[3] = { cfg->key_pepper, cfg->key_dedup,
		cfg->key_search };
	char err[1024];
	int pub = ctl_exists(cfg->key_public),
	    sec = ctl_exists(cfg->key_secret);
	int i, made = 0;

	if (pub != sec) {
		fprintf(stderr,
		    "tiplinectl: only one of %s and %s exists; "
		    "move it away to make a new pair\n",
		    cfg->key_public, cfg->key_secret);
		return 1;
	}
	if (!pub) {
		crypto_box_keypair(pk, sk);
		if (keys_write(cfg->key_secret, sk, 0600, err, sizeof(err)) ==
		        -1 ||
		    keys_write(cfg->key_public, pk, 0644, err, sizeof(err)) ==
		        -1) {
			sodium_memzero(sk, sizeof(sk));
			fprintf(stderr, "tiplinectl: %s\n", err);
			return 1;
		}
		sodium_memzero(sk, sizeof(sk));
		printf("wrote %s and %s\n", cfg->key_public, cfg->key_secret);
		made++;
	}
	for (i = 0; i < 3; i++) {
		if (ctl_exists(hmacs[i]))
			continue;
		randombytes_buf(k, sizeof(k));
		if (keys_write(hmacs[i], k, 0600, err, sizeof(err)) == -1) {
			sodium_memzero(k, sizeof(k));
			fprintf(stderr, "tiplinectl: %s\n", err);
			return 1;
		}
		printf("wrote %s\n", hmacs[i]);
		made++;
	}
	sodium_memzero(k, sizeof(k));
	if (made == 0)
		printf("all keys exist, nothing written\n");
	return 0;
}

static int
ctl_jobs(const struct cfg *cfg, int argc, char **argv)
{
	PGconn *pg;
	PGresult *res;
	const char *params[1];
	int i, rv = 0;

	if ((pg = ctl_connect(cfg)) == NULL)
		return 1;
	if (argc == 2 && strcmp(argv[0], "retry") == 0) {
		params[0] = argv[1];
		res = PQexecParams(pg,
		    "UPDATE job SET state = 'queued', attempts = 0, "
		    "run_after = now(), locked_until = NULL "
		    "WHERE id = $1::bigint AND state = 'dead' RETURNING id",
		    1, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			fprintf(stderr, "tiplinectl: %s", PQerrorMessage(pg));
			rv = 1;
		} else if (PQntuples(res) == 0) {
			fprintf(stderr, "tiplinectl: no dead job %s\n",
			    argv[1]);
			rv = 1;
		} else {
			PQclear(PQexec(pg, "NOTIFY job_ready"));
			printf("job %s queued again\n", argv[1]);
		}
		PQclear(res);
		PQfinish(pg);
		return rv;
	}
	if (argc != 0) {
		PQfinish(pg);
		ctl_usage();
	}
	res =
	    PQexec(pg, "SELECT kind, count(*) FILTER (WHERE state = 'queued'), "
	               "coalesce(extract(epoch FROM now() - min(run_after) "
	               "FILTER (WHERE state = 'queued'))::bigint, 0), "
	               "count(*) FILTER (WHERE state = 'dead'), "
	               "count(*) FILTER (WHERE state = 'done') "
	               "FROM job GROUP BY kind ORDER BY kind");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "tiplinectl: %s", PQerrorMessage(pg));
		PQclear(res);
		PQfinish(pg);
		return 1;
	}
	printf("%-10s %8s %12s %6s %8s\n", "kind", "queued", "oldest (s)",
	    "dead", "done");
	for (i = 0; i < PQntuples(res); i++)
		printf("%-10s %8s %12s %6s %8s\n", PQgetvalue(res, i, 0),
		    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
		    PQgetvalue(res, i, 3), PQgetvalue(res, i, 4));
	PQclear(res);
	res = PQexec(pg, "SELECT id, kind, attempts, coalesce(last_error, '') "
	                 "FROM job WHERE state = 'dead' ORDER BY id LIMIT 100");
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0) {
		printf("\ndead jobs (tiplinectl jobs retry ID):\n");
		for (i = 0; i < PQntuples(res); i++)
			printf("  %s %s after %s attempts: %s\n",
			    PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
			    PQgetvalue(res, i, 2), PQgetvalue(res, i, 3));
	}
	PQclear(res);
	PQfinish(pg);
	return 0;
}

/* The file parses; the keys and the certificate it names load.  The keys
 * only the worker reads (the private sealing key, the dedup key) are
 * checked where they exist: the intake's machine has neither. */
static int
ctl_check(const char *path, const struct cfg *cfg)
{
	uint8_t k[KEYS_BYTES];
	char err[1024];
	struct tls *tls;
	int rv = 0;

	if (keys_load(cfg->key_public, 0, k, err, sizeof(err)) == -1 ||
	    keys_load(cfg->key_pepper, 1, k, err, sizeof(err)) == -1 ||
	    (ctl_exists(cfg->key_dedup) &&
	        keys_load(cfg->key_dedup, 1, k, err, sizeof(err)) == -1) ||
	    (ctl_exists(cfg->key_secret) &&
	        keys_load(cfg->key_secret, 1, k, err, sizeof(err)) == -1) ||
	    (ctl_exists(cfg->key_search) &&
	        keys_load(cfg->key_search, 1, k, err, sizeof(err)) == -1)) {
		fprintf(stderr, "tiplinectl: %s: [keys] %s\n", path, err);
		rv = 2;
	} else if ((tls = tls_new(cfg->intake_cert, cfg->intake_key, err,
	                sizeof(err))) == NULL) {
		fprintf(stderr, "tiplinectl: %s: [intake] %s\n", path, err);
		rv = 2;
	} else {
		tls_free(tls);
		tls = NULL;
		/* The console's pair, where this host has one. */
		if (ctl_exists(cfg->console_cert) &&
		    (tls = tls_new(cfg->console_cert, cfg->console_key, err,
		         sizeof(err))) == NULL) {
			fprintf(stderr, "tiplinectl: %s: [console] %s\n", path,
			    err);
			rv = 2;
		} else {
			tls_free(tls);
			printf("configuration OK\n");
		}
	}
	sodium_memzero(k, sizeof(k));
	return rv;
}

int
main(int argc, char *argv[])
{
	const char *path = "conf/tipline.ini";
	struct cfg cfg;
	char err[1024];
	int ch, rv = 2;

	/* "+": options end at the command, whose own options follow it. */
	while ((ch = getopt(argc, argv, "+c:")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		default:
			ctl_usage();
		}
	}
	if (optind + 1 > argc)
		ctl_usage();
	if (optind + 1 != argc && strcmp(argv[optind], "jobs") != 0 &&
	    strcmp(argv[optind], "reviewer") != 0 &&
	    strcmp(argv[optind], "audit") != 0 &&
	    strcmp(argv[optind], "department") != 0 &&
	    strcmp(argv[optind], "templates") != 0 &&
	    strcmp(argv[optind], "stats") != 0)
		ctl_usage();
	log_init("tiplinectl", LOG_L_WARN);
	if (sodium_init() == -1)
		fatalx("sodium_init failed");
	if (cfg_load(path, &cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "tiplinectl: %s\n", err);
		return 2;
	}
	if (strcmp(argv[optind], "check-config") == 0)
		rv = ctl_check(path, &cfg);
	else if (strcmp(argv[optind], "migrate") == 0)
		rv = ctl_migrate(&cfg);
	else if (strcmp(argv[optind], "keygen") == 0)
		rv = ctl_keygen(&cfg);
	else if (strcmp(argv[optind], "jobs") == 0)
		rv = ctl_jobs(&cfg, argc - optind - 1, argv + optind + 1);
	else if (strcmp(argv[optind], "reviewer") == 0)
		rv = ctl_reviewer(&cfg, argc - optind - 1, argv + optind + 1);
	else if (strcmp(argv[optind], "audit") == 0)
		rv = ctl_audit(&cfg, argc - optind - 1, argv + optind + 1);
	else if (strcmp(argv[optind], "department") == 0)
		rv = ctl_department(&cfg, argc - optind - 1, argv + optind + 1);
	else if (strcmp(argv[optind], "templates") == 0)
		rv = ctl_templates(&cfg, argc - optind - 1, argv + optind + 1);
	else if (strcmp(argv[optind], "stats") == 0)
		rv = ctl_stats(&cfg, argc - optind - 1, argv + optind + 1);
	else {
		cfg_free(&cfg);
		ctl_usage();
	}
	cfg_free(&cfg);
	return rv;
}
