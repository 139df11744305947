/*
 * tiplinectl reviewer: the console's accounts.  Passwords are hashed with
 * the console's argon2id parameters; TOTP secrets are sealed with the
 * deployment's public key, so that only the console can read them.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "cfg.h"
#include "ctl.h"
#include "i18n.h"
#include "keys.h"
#include "log.h"
#include "passwd.h"
#include "seal.h"
#include "text.h"
#include "totp.h"

/* ---------------------------------------------------------- reviewers */

#define CTL_PW_MAX 1024 /* longest line read by --password-stdin */

/* What `reviewer add` and the resets take from the command line. */
struct ctl_rv_opts {
	const char *name;
	const char *role;
	const char *department;
	bool password_stdin;
	bool enrolled;
};

static void
ctl_rv_usage(void)
{
	fprintf(stderr,
	    "usage: tiplinectl [-c file] reviewer command\n"
	    "commands:\n"
	    "  add USER --name NAME --role officer|national|admin\n"
	    "      [--department CODE] [--password-stdin] [--enrolled]\n"
	    "  disable USER | enable USER | unlock USER\n"
	    "  reset-password USER [--password-stdin]\n"
	    "  reset-totp USER\n"
	    "  list\n");
	exit(2);
}

/* The value of "--opt VALUE" or "--opt=VALUE" at argv[*i], or NULL if
 * argv[*i] is not that option. */
static const char *
ctl_rv_optval(int argc, char **argv, int *i, const char *opt)
{
	size_t n = strlen(opt);

	if (strncmp(argv[*i], opt, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		fprintf(stderr, "tiplinectl: %s needs a value\n", opt);
		ctl_rv_usage();
	}
	return argv[++*i];
}

/* Options after USER; only those in allowed ("n" name, "r" role, "d"
 * department, "p" password-stdin, "e" enrolled) are accepted. */
static void
ctl_rv_parse(int argc, char **argv, const char *allowed, struct ctl_rv_opts *o)
{
	const char *v;
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < argc; i++) {
		if (strchr(allowed, 'n') != NULL &&
		    (v = ctl_rv_optval(argc, argv, &i, "--name")) != NULL)
			o->name = v;
		else if (strchr(allowed, 'r') != NULL &&
		         (v = ctl_rv_optval(argc, argv, &i, "--role")) != NULL)
			o->role = v;
		else if (strchr(allowed, 'd') != NULL &&
		         (v = ctl_rv_optval(argc, argv, &i, "--department")) !=
		             NULL)
			o->department = v;
		else if (strchr(allowed, 'p') != NULL &&
		         strcmp(argv[i], "--password-stdin") == 0)
			o->password_stdin = true;
		else if (strchr(allowed, 'e') != NULL &&
		         strcmp(argv[i], "--enrolled") == 0)
			o->enrolled = true;
		else {
			fprintf(stderr, "tiplinectl: unknown option %s\n",
			    argv[i]);
			ctl_rv_usage();
		}
	}
}

/* The rule of the reviewer table's CHECK, so that a bad name is refused
 * with a message of ours. */
static bool
ctl_rv_username_ok(const char *u)
{
	size_t i, n = strlen(u);

	if (n < 2 || n > 64)
		return false;
	for (i = 0; i < n; i++) {
		char c = u[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			continue;
		if (i > 0 && (c == '.' || c == '_' || c == '-'))
			continue;
		return false;
	}
	return true;
}

/*
 * The new password into pw: the first line of standard input, or a random
 * one (4 groups of 5 base32 characters, 100 bits).  *generated says which.
 * Returns 0, 1 (failed) or 2 (refused by the policy, reason on stderr).
 */
static int
ctl_rv_password(bool from_stdin, char pw[CTL_PW_MAX], bool *generated)
{
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	uint8_t rnd[20];
	const char *reason;
	size_t len, i, o = 0;

	*generated = !from_stdin;
	if (from_stdin) {
		if (fgets(pw, CTL_PW_MAX, stdin) == NULL) {
			fprintf(stderr, "tiplinectl: no password on standard "
			                "input\n");
			return 2;
		}
		len = strlen(pw);
		if (len > 0 && pw[len - 1] == '\n')
			pw[--len] = '\0';
		else if (len == CTL_PW_MAX - 1) {
			fprintf(stderr, "tiplinectl: password refused: %s\n",
			    i18n_get(LANG_EN, "passwd.long"));
			return 2;
		}
		if (len > 0 && pw[len - 1] == '\r')
			pw[--len] = '\0';
	} else {
		randombytes_buf(rnd, sizeof(rnd));
		for (i = 0; i < sizeof(rnd); i++) {
			if (i > 0 && i % 5 == 0)
				pw[o++] = '-';
			pw[o++] = b32[rnd[i] & 31];
		}
		pw[o] = '\0';
		sodium_memzero(rnd, sizeof(rnd));
		len = o;
	}
	if ((reason = passwd_policy(pw, len)) != NULL) {
		fprintf(stderr, "tiplinectl: password refused: %s\n",
		    i18n_get(LANG_EN, reason));
		return 2;
	}
	return 0;
}

/* Hashes pw with the console's parameters into hash; 0 or 1. */
static int
ctl_rv_hash(const struct cfg *cfg, const char *pw, char hash[PASSWD_HASH_MAX])
{
	if (passwd_hash(pw, strlen(pw),
	        (unsigned long long)cfg->console_password_passes,
	        (size_t)cfg->console_password_memory, hash) == -1) {
		fprintf(stderr,
		    "tiplinectl: cannot hash the password "
		    "([console] password_memory too large for this machine?)\n");
		return 1;
	}
	return 0;
}

/* A new TOTP secret: sealed into *box (caller frees) and in base32 into
 * b32.  0 or 1. */
static int
ctl_rv_totp(const struct cfg *cfg, uint8_t **box, char b32[TOTP_BASE32_MAX])
{
	uint8_t pk[KEYS_BYTES], secret[TOTP_SECRET_BYTES];
	char err[1024];
	int rv = 1;

	*box = NULL;
	if (keys_load(cfg->key_public, 0, pk, err, sizeof(err)) == -1) {
		fprintf(stderr, "tiplinectl: [keys] %s\n", err);
		return 1;
	}
	totp_secret_new(secret);
	if (totp_base32(secret, sizeof(secret), b32, TOTP_BASE32_MAX) == -1 ||
	    (*box = seal_box(pk, secret, sizeof(secret))) == NULL)
		fprintf(stderr, "tiplinectl: cannot seal the TOTP secret\n");
	else
		rv = 0;
	sodium_memzero(secret, sizeof(secret));
	return rv;
}

/* Runs a statement whose result names the reviewer it changed (one row)
 * or none.  Returns 0, or 1 with the message printed. */
static int
ctl_rv_exec(PGconn *pg, const char *user, const char *sql, int nparams,
    const char *const *params, const int *lengths, const int *formats)
{
	PGresult *res;
	int rv = 0;

	res = PQexecParams(pg, sql, nparams, NULL, params, lengths, formats, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "tiplinectl: %s", PQerrorMessage(pg));
		rv = 1;
	} else if (PQntuples(res) == 0) {
		fprintf(stderr, "tiplinectl: no reviewer %s\n", user);
		rv = 1;
	}
	PQclear(res);
	return rv;
}

/* The department's id for a role, or NULL (message printed, *rv set). */
static char *
ctl_rv_department(PGconn *pg, const struct ctl_rv_opts *o, int *rv)
{
	PGresult *res;
	const char *params[1];
	char *id = NULL;

	if (strcmp(o->role, "admin") == 0) {
		if (o->department != NULL) {
			fprintf(stderr, "tiplinectl: an admin has no "
			                "department\n");
			*rv = 2;
		}
		return NULL;
	}
	if (strcmp(o->role, "officer") == 0 && o->department == NULL) {
		fprintf(stderr, "tiplinectl: an officer needs --department "
		                "CODE\n");
		*rv = 2;
		return NULL;
	}
	params[0] = o->department;
	if (o->department != NULL)
		res = PQexecParams(pg,
		    "SELECT id, kind FROM department WHERE code = $1", 1, NULL,
		    params, NULL, NULL, 0);
	else
		res = PQexec(pg, "SELECT id, kind FROM department "
		                 "WHERE kind = 'national' ORDER BY id LIMIT 1");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "tiplinectl: %s", PQerrorMessage(pg));
		*rv = 1;
	} else if (PQntuples(res) == 0) {
		if (o->department != NULL)
			fprintf(stderr,
			    "tiplinectl: no department %s (see the code "
			    "column of the department table)\n",
			    o->department);
		else
			fprintf(stderr, "tiplinectl: no national "
			                "department\n");
		*rv = o->department != NULL ? 2 : 1;
	} else if (strcmp(o->role, "national") == 0 &&
	           strcmp(PQgetvalue(res, 0, 1), "national") != 0) {
		fprintf(stderr,
		    "tiplinectl: a national reviewer belongs to the "
		    "national department, not %s\n",
		    o->department);
		*rv = 2;
	} else
		id = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return id;
}

static int
ctl_rv_add(const struct cfg *cfg, PGconn *pg, const char *user, int argc,
    char **argv)
{
	struct ctl_rv_opts o;
	char pw[CTL_PW_MAX], hash[PASSWD_HASH_MAX], b32[TOTP_BASE32_MAX];
	char *dept = NULL;
	uint8_t *box = NULL;
	const char *params[7];
	int lengths[7] = { 0 }, formats[7] = { 0 };
	size_t nchars;
	bool generated;
	PGresult *res;
	int rv = 0;

	ctl_rv_parse(argc, argv, "nrdpe", &o);
	if (o.name == NULL || o.role == NULL) {
		fprintf(stderr, "tiplinectl: reviewer add needs --name and "
		                "--role\n");
		ctl_rv_usage();
	}
	if (strcmp(o.role, "officer") != 0 && strcmp(o.role, "national") != 0 &&
	    strcmp(o.role, "admin") != 0) {
		fprintf(stderr, "tiplinectl: --role is officer, national or "
		                "admin\n");
		return 2;
	}
	if (!text_valid(o.name, strlen(o.name), &nchars) || nchars < 1 ||
	    nchars > 200 || strpbrk(o.name, "\t\r\n") != NULL) {
		fprintf(stderr, "tiplinectl: --name must be 1 to 200 "
		                "characters of text on one line\n");
		return 2;
	}
	dept = ctl_rv_department(pg, &o, &rv);
	if (rv != 0)
		goto done;
	if ((rv = ctl_rv_password(o.password_stdin, pw, &generated)) != 0 ||
	    (rv = ctl_rv_hash(cfg, pw, hash)) != 0 ||
	    (rv = ctl_rv_totp(cfg, &box, b32)) != 0)
		goto done;
	params[0] = user;
	params[1] = o.name;
	params[2] = o.role;
	params[3] = dept;
	params[4] = hash;
	params[5] = (const char *)box;
	lengths[5] = TOTP_SECRET_BYTES + SEAL_OVERHEAD;
	formats[5] = 1;
	params[6] = o.enrolled ? "true" : "false";
	res = PQexecParams(pg,
	    "INSERT INTO reviewer (username, display_name, role, "
	    "department_id, password_hash, totp_sealed, totp_enrolled) "
	    "VALUES ($1, $2, $3, $4::smallint, $5, $6::bytea, $7::boolean)",
	    7, NULL, params, lengths, formats, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		if (state != NULL && strcmp(state, "23505") == 0)
			fprintf(stderr, "tiplinectl: reviewer %s exists\n",
			    user);
		else
			fprintf(stderr, "tiplinectl: %s", PQerrorMessage(pg));
		rv = 1;
	} else {
		printf("username: %s\n", user);
		if (generated)
			printf("password: %s\n", pw);
		printf("totp: %s\n", b32);
	}
	PQclear(res);
done:
	free(dept);
	free(box);
	sodium_memzero(pw, sizeof(pw));
	sodium_memzero(b32, sizeof(b32));
	return rv;
}

/* The sessions of the reviewer a statement changed end with it: each
 * statement below is "WITH r AS (UPDATE ... RETURNING id)" and this. */
#define CTL_RV_END_SESSIONS                                                    \
	", s AS (DELETE FROM reviewer_session x USING r "                      \
	"WHERE x.reviewer_id = r.id) SELECT id FROM r"

static int
ctl_rv_reset_password(const struct cfg *cfg, PGconn *pg, const char *user,
    int argc, char **argv)
{
	struct ctl_rv_opts o;
	char pw[CTL_PW_MAX], hash[PASSWD_HASH_MAX];
	const char *params[2];
	bool generated;
	int rv;

	ctl_rv_parse(argc, argv, "p", &o);
	if ((rv = ctl_rv_password(o.password_stdin, pw, &generated)) != 0 ||
	    (rv = ctl_rv_hash(cfg, pw, hash)) != 0)
		goto done;
	params[0] = user;
	params[1] = hash;
	rv = ctl_rv_exec(pg, user,
	    "WITH r AS (UPDATE reviewer SET password_hash = $2, "
	    "failed_logins = 0, locked_until = NULL, "
	    "credentials_at = clock_timestamp() WHERE username = $1 "
	    "RETURNING id)" CTL_RV_END_SESSIONS,
	    2, params, NULL, NULL);
	if (rv == 0) {
		if (generated)
			printf("password: %s\n", pw);
		else
			printf("password of %s changed\n", user);
	}
done:
	sodium_memzero(pw, sizeof(pw));
	return rv;
}

static int
ctl_rv_reset_totp(const struct cfg *cfg, PGconn *pg, const char *user)
{
	char b32[TOTP_BASE32_MAX];
	uint8_t *box;
	const char *params[2];
	int lengths[2] = { 0, TOTP_SECRET_BYTES + SEAL_OVERHEAD };
	int formats[2] = { 0, 1 };
	int rv;

	if ((rv = ctl_rv_totp(cfg, &box, b32)) != 0)
		return rv;
	params[0] = user;
	params[1] = (const char *)box;
	rv = ctl_rv_exec(pg, user,
	    "WITH r AS (UPDATE reviewer SET totp_sealed = $2::bytea, "
	    "totp_enrolled = false, totp_last_step = 0, "
	    "credentials_at = clock_timestamp() WHERE username = $1 "
	    "RETURNING id)" CTL_RV_END_SESSIONS,
	    2, params, lengths, formats);
	if (rv == 0)
		printf("totp: %s\n", b32);
	free(box);
	sodium_memzero(b32, sizeof(b32));
	return rv;
}

/* Pads to width in characters (UTF-8 code points), not bytes. */
static void
ctl_rv_cell(const char *s, size_t width)
{
	size_t n = 0;
	const char *p;

	for (p = s; *p != '\0'; p++)
		if (((unsigned char)*p & 0xc0) != 0x80)
			n++;
	printf("%s%*s", s, (int)(width > n ? width - n : 0), "");
}

static int
ctl_rv_list(PGconn *pg)
{
	static const char *head[] = { "username", "name", "role", "department",
		"enrolled", "disabled", "locked until" };
	size_t w[ARRAY_SIZE(head)], n;
	PGresult *res;
	const char *p;
	int i, j;

	res = PQexec(pg,
	    "SELECT r.username, r.display_name, r.role, "
	    "coalesce(d.code, '-'), "
	    "CASE WHEN r.totp_enrolled THEN 'yes' ELSE 'no' END, "
	    "CASE WHEN r.disabled THEN 'yes' ELSE 'no' END, "
	    "CASE WHEN r.locked_until > now() THEN "
	    "to_char(r.locked_until AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD HH24:MI:SS \"UTC\"') ELSE '-' END "
	    "FROM reviewer r LEFT JOIN department d ON d.id = r.department_id "
	    "ORDER BY r.username");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "tiplinectl: %s", PQerrorMessage(pg));
		PQclear(res);
		return 1;
	}
	for (j = 0; j < (int)ARRAY_SIZE(head); j++) {
		w[j] = strlen(head[j]);
		for (i = 0; i < PQntuples(res); i++) {
			n = 0;
			for (p = PQgetvalue(res, i, j); *p != '\0'; p++)
				if (((unsigned char)*p & 0xc0) != 0x80)
					n++;
			if (n > w[j])
				w[j] = n;
		}
	}
	for (j = 0; j < (int)ARRAY_SIZE(head); j++) {
		if (j + 1 < (int)ARRAY_SIZE(head)) {
			ctl_rv_cell(head[j], w[j]);
			printf("  ");
		} else
			printf("%s\n", head[j]);
	}
	for (i = 0; i < PQntuples(res); i++)
		for (j = 0; j < (int)ARRAY_SIZE(head); j++) {
			if (j + 1 < (int)ARRAY_SIZE(head)) {
				ctl_rv_cell(PQgetvalue(res, i, j), w[j]);
				printf("  ");
			} else
				printf("%s\n", PQgetvalue(res, i, j));
		}
	PQclear(res);
	return 0;
}

int
ctl_reviewer(const struct cfg *cfg, int argc, char **argv)
{
	const char *cmd, *user, *params[1];
	PGconn *pg;
	int rv;

	if (argc < 1)
		ctl_rv_usage();
	cmd = argv[0];
	if (strcmp(cmd, "list") == 0) {
		if (argc != 1)
			ctl_rv_usage();
		if ((pg = ctl_connect(cfg)) == NULL)
			return 1;
		rv = ctl_rv_list(pg);
		PQfinish(pg);
		return rv;
	}
	if (argc < 2 || argv[1][0] == '-')
		ctl_rv_usage();
	user = argv[1];
	if (strcmp(cmd, "add") != 0 && strcmp(cmd, "disable") != 0 &&
	    strcmp(cmd, "enable") != 0 && strcmp(cmd, "unlock") != 0 &&
	    strcmp(cmd, "reset-password") != 0 &&
	    strcmp(cmd, "reset-totp") != 0)
		ctl_rv_usage();
	if ((strcmp(cmd, "reset-password") != 0 && strcmp(cmd, "add") != 0) &&
	    argc != 2)
		ctl_rv_usage();
	if (!ctl_rv_username_ok(user)) {
		fprintf(stderr,
		    "tiplinectl: a username is 2 to 64 of a-z, 0-9, '.', "
		    "'_' and '-', starting with a letter or digit\n");
		return 2;
	}
	if ((pg = ctl_connect(cfg)) == NULL)
		return 1;
	params[0] = user;
	if (strcmp(cmd, "add") == 0)
		rv = ctl_rv_add(cfg, pg, user, argc - 2, argv + 2);
	else if (strcmp(cmd, "reset-password") == 0)
		rv = ctl_rv_reset_password(cfg, pg, user, argc - 2, argv + 2);
	else if (strcmp(cmd, "reset-totp") == 0)
		rv = ctl_rv_reset_totp(cfg, pg, user);
	else if (strcmp(cmd, "disable") == 0) {
		rv = ctl_rv_exec(pg, user,
		    "WITH r AS (UPDATE reviewer SET disabled = true, "
		    "credentials_at = clock_timestamp() WHERE username = $1 "
		    "RETURNING id)" CTL_RV_END_SESSIONS,
		    1, params, NULL, NULL);
		if (rv == 0)
			printf("reviewer %s disabled\n", user);
	} else if (strcmp(cmd, "enable") == 0) {
		rv = ctl_rv_exec(pg, user,
		    "UPDATE reviewer SET disabled = false "
		    "WHERE username = $1 RETURNING id",
		    1, params, NULL, NULL);
		if (rv == 0)
			printf("reviewer %s enabled\n", user);
	} else {
		rv = ctl_rv_exec(pg, user,
		    "UPDATE reviewer SET failed_logins = 0, "
		    "locked_until = NULL WHERE username = $1 RETURNING id",
		    1, params, NULL, NULL);
		if (rv == 0)
			printf("reviewer %s unlocked\n", user);
	}
	PQfinish(pg);
	return rv;
}
