/*
 * tiplinectl audit and department: verifying and listing the audit log's
 * hash chain (schema/0007_console.sql defines its encoding), and the
 * departments' deadlines.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "cfg.h"
#include "ctl.h"
#include "log.h"
#include "util.h"

/*
 * The audit log's hash chain, as schema/0007_console.sql defines it:
 * hash = SHA-256(prev_hash || enc(row)), enc(row) being seven fields, each
 * a 4-byte big-endian length and its bytes, or ff ff ff ff for NULL: id
 * (8 bytes), at (microseconds since the epoch, 8 bytes), reviewer_id (4
 * bytes), action, case_id (8 bytes), detail::text, sealed.  Integers are
 * big-endian two's complement.  Both sides must change together.
 */
#define AUDIT_HASH_BYTES crypto_hash_sha256_BYTES

struct audit_head {
	long long id;
	uint8_t hash[AUDIT_HASH_BYTES];
	int line;
};

static void
ctl_audit_field(crypto_hash_sha256_state *st, const void *p, size_t len,
    int isnull)
{
	uint8_t n[4];

	if (isnull) {
		memset(n, 0xff, sizeof(n));
		crypto_hash_sha256_update(st, n, sizeof(n));
		return;
	}
	n[0] = (uint8_t)(len >> 24);
	n[1] = (uint8_t)(len >> 16);
	n[2] = (uint8_t)(len >> 8);
	n[3] = (uint8_t)len;
	crypto_hash_sha256_update(st, n, sizeof(n));
	crypto_hash_sha256_update(st, p, len);
}

/* An integer field of nbytes (4 or 8), big-endian. */
static void
ctl_audit_int(crypto_hash_sha256_state *st, long long v, size_t nbytes,
    int isnull)
{
	uint8_t b[8];
	uint64_t u = (uint64_t)v;
	size_t i;

	for (i = 0; i < nbytes; i++)
		b[i] = (uint8_t)(u >> (8 * (nbytes - 1 - i)));
	ctl_audit_field(st, b, nbytes, isnull);
}

/* Hex text (no "\x") into out of exactly outlen bytes. */
static int
ctl_unhex(const char *hex, uint8_t *out, size_t outlen)
{
	size_t n;

	if (strlen(hex) != 2 * outlen)
		return -1;
	if (sodium_hex2bin(out, outlen, hex, 2 * outlen, NULL, &n, NULL) != 0 ||
	    n != outlen)
		return -1;
	return 0;
}

static int
ctl_head_cmp(const void *a, const void *b)
{
	const struct audit_head *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * Reads the heads the console logged: every line holding "audit-head ID
 * HEXHASH" (from there to its end), other lines skipped, so that a log
 * file serves as well.  Returns the heads sorted by id (caller frees), or
 * NULL after saying why.
 */
static struct audit_head *
ctl_audit_heads(const char *path, size_t *np)
{
	struct audit_head *heads = NULL, *h;
	char *buf, *line, *next, *p, *end;
	const char *errstr;
	size_t len, n = 0, cap = 0;
	long long id;
	int lineno = 0;

	if ((buf = util_read_file(path, 256 << 20, &len)) == NULL) {
		fprintf(stderr, "tiplinectl: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((p = strstr(line, "audit-head ")) == NULL)
			continue;
		p += strlen("audit-head ");
		if ((end = strchr(p, ' ')) == NULL)
			goto bad;
		*end++ = '\0';
		if (*p < '0' || *p > '9' ||
		    util_parse_ll(p, 0, INT64_MAX, &id, &errstr) == -1)
			goto bad;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			if ((h = reallocarray(heads, cap, sizeof(*h))) ==
			    NULL) {
				fprintf(stderr, "tiplinectl: out of memory\n");
				goto fail;
			}
			heads = h;
		}
		heads[n].id = id;
		heads[n].line = lineno;
		if (ctl_unhex(end, heads[n].hash, AUDIT_HASH_BYTES) == -1)
			goto bad;
		n++;
	}
	if (n == 0) {
		fprintf(stderr, "tiplinectl: %s: no audit-head lines\n", path);
		goto fail;
	}
	free(buf);
	qsort(heads, n, sizeof(*heads), ctl_head_cmp);
	*np = n;
	return heads;
bad:
	fprintf(stderr, "tiplinectl: %s:%d: not \"audit-head ID HEXHASH\"\n",
	    path, lineno);
fail:
	free(heads);
	free(buf);
	return NULL;
}

/* Column col of a single-row result as an integer; -1 if it is not one. */
static int
ctl_col_ll(PGresult *res, int col, long long min, long long max, long long *out)
{
	const char *errstr;

	return util_parse_ll(PQgetvalue(res, 0, col), min, max, out, &errstr);
}

/*
 * Recomputes the chain row by row, reading the log in single-row mode so
 * that its size does not matter.  Exit status: 0 the chain holds (and
 * every head in headfile is on it), 1 it does not, 2 bad usage.
 */
static int
ctl_audit_verify(PGconn *pg, const char *headfile)
{
	crypto_hash_sha256_state st;
	uint8_t prev[AUDIT_HASH_BYTES] = { 0 }, h[AUDIT_HASH_BYTES];
	uint8_t stored_prev[AUDIT_HASH_BYTES], stored[AUDIT_HASH_BYTES];
	uint8_t *sealed = NULL;
	char hex[2 * AUDIT_HASH_BYTES + 1];
	struct audit_head *heads = NULL;
	size_t nheads = 0, k = 0, slen, sbin;
	PGresult *res;
	long long id, at, reviewer = 0, caseid = 0, expect = 1, nrows = 0;
	const char *detail, *bad = NULL;
	int rv = 1;

	if (headfile != NULL &&
	    (heads = ctl_audit_heads(headfile, &nheads)) == NULL)
		return 1;
	if (!PQsendQuery(pg,
	        "SELECT id, (extract(epoch FROM at) * 1000000)::bigint, "
	        "reviewer_id, action, case_id, detail::text, "
	        "encode(sealed, 'hex'), encode(prev_hash, 'hex'), "
	        "encode(hash, 'hex') FROM audit_log ORDER BY id") ||
	    !PQsetSingleRowMode(pg)) {
		fprintf(stderr, "tiplinectl: %s", PQerrorMessage(pg));
		free(heads);
		return 1;
	}
	/* Logged while the log was empty. */
	for (; k < nheads && heads[k].id == 0; k++)
		if (!sodium_is_zero(heads[k].hash, AUDIT_HASH_BYTES)) {
			bad = "a logged head names another hash";
			printf("audit chain broken at row 0: %s (%s line %d)\n",
			    bad, headfile, heads[k].line);
			break;
		}
	while ((res = PQgetResult(pg)) != NULL) {
		if (PQresultStatus(res) == PGRES_TUPLES_OK || bad != NULL) {
			PQclear(res);
			continue;
		}
		if (PQresultStatus(res) != PGRES_SINGLE_TUPLE) {
			fprintf(stderr, "tiplinectl: %s", PQerrorMessage(pg));
			bad = "";
			PQclear(res);
			continue;
		}
		if (ctl_col_ll(res, 0, 1, INT64_MAX, &id) == -1 ||
		    ctl_col_ll(res, 1, INT64_MIN, INT64_MAX, &at) == -1 ||
		    (!PQgetisnull(res, 0, 2) &&
		        ctl_col_ll(res, 2, INT32_MIN, INT32_MAX, &reviewer) ==
		            -1) ||
		    (!PQgetisnull(res, 0, 4) &&
		        ctl_col_ll(res, 4, INT64_MIN, INT64_MAX, &caseid) ==
		            -1) ||
		    ctl_unhex(PQgetvalue(res, 0, 7), stored_prev,
		        sizeof(stored_prev)) == -1 ||
		    ctl_unhex(PQgetvalue(res, 0, 8), stored, sizeof(stored)) ==
		        -1) {
			bad = "unreadable";
			id = expect;
		} else if (id != expect)
			bad = id > expect ? "rows before it are missing"
			                  : "out of sequence";
		else if (memcmp(stored_prev, prev, sizeof(prev)) != 0)
			bad = "its prev_hash is not the hash of the row before";
		if (bad != NULL) {
			PQclear(res);
			printf("audit chain broken at row %lld: %s\n", id, bad);
			continue;
		}
		slen = strlen(PQgetvalue(res, 0, 6)) / 2;
		free(sealed);
		if ((sealed = malloc(slen + 1)) == NULL)
			fatalx("out of memory");
		if (sodium_hex2bin(sealed, slen, PQgetvalue(res, 0, 6),
		        2 * slen, NULL, &sbin, NULL) != 0)
			sbin = 0;
		detail = PQgetvalue(res, 0, 5);
		crypto_hash_sha256_init(&st);
		crypto_hash_sha256_update(&st, prev, sizeof(prev));
		ctl_audit_int(&st, id, 8, 0);
		ctl_audit_int(&st, at, 8, 0);
		ctl_audit_int(&st, reviewer, 4, PQgetisnull(res, 0, 2));
		ctl_audit_field(&st, PQgetvalue(res, 0, 3),
		    (size_t)PQgetlength(res, 0, 3), 0);
		ctl_audit_int(&st, caseid, 8, PQgetisnull(res, 0, 4));
		ctl_audit_field(&st, detail, strlen(detail),
		    PQgetisnull(res, 0, 5));
		ctl_audit_field(&st, sealed, sbin, PQgetisnull(res, 0, 6));
		crypto_hash_sha256_final(&st, h);
		PQclear(res);
		if (memcmp(h, stored, sizeof(h)) != 0) {
			bad = "its hash does not match its content";
			printf("audit chain broken at row %lld: %s\n", id, bad);
			continue;
		}
		for (; k < nheads && heads[k].id <= id; k++) {
			if (heads[k].id == id &&
			    memcmp(heads[k].hash, h, sizeof(h)) == 0)
				continue;
			bad = "a logged head names another hash";
			printf("audit chain broken at row %lld: %s (%s line "
			       "%d)\n",
			    heads[k].id, bad, headfile, heads[k].line);
			break;
		}
		memcpy(prev, h, sizeof(prev));
		nrows++;
		expect = id + 1;
	}
	free(sealed);
	if (bad != NULL)
		goto done;
	if (k < nheads) {
		printf("audit chain broken after row %lld: %s line %d names "
		       "row %lld, which is not in the log\n",
		    expect - 1, headfile, heads[k].line, heads[k].id);
		goto done;
	}
	/* Rows deleted from the end leave no gap: the head tells. */
	res = PQexec(pg, "SELECT id, encode(hash, 'hex') FROM audit_head");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
	    ctl_col_ll(res, 0, 0, INT64_MAX, &id) == -1 ||
	    ctl_unhex(PQgetvalue(res, 0, 1), stored, sizeof(stored)) == -1) {
		printf("audit chain broken: audit_head is unreadable\n");
		PQclear(res);
		goto done;
	}
	PQclear(res);
	if (id != expect - 1 || memcmp(stored, prev, sizeof(prev)) != 0) {
		printf("audit chain broken after row %lld: audit_head names "
		       "row %lld\n",
		    expect - 1, id);
		goto done;
	}
	sodium_bin2hex(hex, sizeof(hex), prev, sizeof(prev));
	printf("audit chain OK: %lld rows, head %lld %s\n", nrows, expect - 1,
	    hex);
	rv = 0;
done:
	free(heads);
	return rv;
}

/* The rows of one case or one reviewer, or all, the newest limit. */
static int
ctl_audit_list(PGconn *pg, const char *caseid, const char *user,
    const char *limit)
{
	const char *params[3] = { caseid, user, limit };
	PGresult *res;
	int i;

	if (user != NULL) {
		res = PQexecParams(pg,
		    "SELECT 1 FROM reviewer WHERE username = $1", 1, NULL,
		    &user, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK ||
		    PQntuples(res) != 1) {
			fprintf(stderr, "tiplinectl: no reviewer %s\n", user);
			PQclear(res);
			return 1;
		}
		PQclear(res);
	}
	res = PQexecParams(pg,
	    "SELECT x.id, to_char(x.at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), coalesce(r.username, '-'), "
	    "x.action, coalesce(x.case_id::text, '-'), "
	    "coalesce(x.detail::text, '') FROM ("
	    " SELECT a.id, a.at, a.reviewer_id, a.action, a.case_id, a.detail"
	    " FROM audit_log a"
	    " WHERE ($1::bigint IS NULL OR a.case_id = $1::bigint)"
	    " AND ($2::text IS NULL OR a.reviewer_id = (SELECT r.id FROM "
	    " reviewer r WHERE r.username = $2::text))"
	    " ORDER BY a.id DESC LIMIT $3::integer) x "
	    "LEFT JOIN reviewer r ON r.id = x.reviewer_id ORDER BY x.id",
	    3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "tiplinectl: %s", PQerrorMessage(pg));
		PQclear(res);
		return 1;
	}
	for (i = 0; i < PQntuples(res); i++)
		printf("%s %s %s %s %s %s\n", PQgetvalue(res, i, 0),
		    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
		    PQgetvalue(res, i, 3), PQgetvalue(res, i, 4),
		    PQgetvalue(res, i, 5));
	PQclear(res);
	return 0;
}

int
ctl_audit(const struct cfg *cfg, int argc, char **argv)
{
	const char *head = NULL, *caseid = NULL, *user = NULL, *limit = "50";
	const char *v, *errstr;
	long long n;
	PGconn *pg;
	int i, verify = argc > 0 && strcmp(argv[0], "verify") == 0, rv;

	for (i = verify; i < argc; i++) {
		if (verify && (v = ctl_optval(argc, argv, &i, "--head")))
			head = v;
		else if (!verify && (v = ctl_optval(argc, argv, &i, "--case")))
			caseid = v;
		else if (!verify &&
		         (v = ctl_optval(argc, argv, &i, "--reviewer")))
			user = v;
		else if (!verify && (v = ctl_optval(argc, argv, &i, "--limit")))
			limit = v;
		else
			ctl_usage();
	}
	if ((caseid != NULL &&
	        util_parse_ll(caseid, 1, INT64_MAX, &n, &errstr) == -1) ||
	    util_parse_ll(limit, 1, 1000000, &n, &errstr) == -1) {
		fprintf(stderr, "tiplinectl: --case or --limit: %s\n", errstr);
		return 2;
	}
	if ((pg = ctl_connect(cfg)) == NULL)
		return 1;
	if (ctl_exec(pg, "SET client_encoding = 'UTF8'") == -1) {
		PQfinish(pg);
		return 1;
	}
	if (verify)
		rv = ctl_audit_verify(pg, head);
	else
		rv = ctl_audit_list(pg, caseid, user, limit);
	PQfinish(pg);
	return rv;
}

/* Seconds as the shortest of "3d", "36h", "90m", "45s". */
static void
ctl_duration(char *buf, size_t size, long long s)
{
	if (s % 86400 == 0)
		snprintf(buf, size, "%lldd", s / 86400);
	else if (s % 3600 == 0)
		snprintf(buf, size, "%lldh", s / 3600);
	else if (s % 60 == 0)
		snprintf(buf, size, "%lldm", s / 60);
	else
		snprintf(buf, size, "%llds", s);
}

static int
ctl_department_list(PGconn *pg)
{
	PGresult *res;
	char ack[32], decide[32];
	long long a, d;
	const char *errstr;
	int i;

	res = PQexec(pg, "SELECT code, extract(epoch FROM ack_within)::bigint, "
	                 "extract(epoch FROM decide_within)::bigint, name_fi, "
	                 "name_sv, name_en FROM department ORDER BY id");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "tiplinectl: %s", PQerrorMessage(pg));
		PQclear(res);
		return 1;
	}
	printf("%-16s %6s %6s  %s\n", "code", "ack", "decide",
	    "names (fi / sv / en)");
	for (i = 0; i < PQntuples(res); i++) {
		if (util_parse_ll(PQgetvalue(res, i, 1), 0, INT64_MAX, &a,
		        &errstr) == -1 ||
		    util_parse_ll(PQgetvalue(res, i, 2), 0, INT64_MAX, &d,
		        &errstr) == -1)
			a = d = 0;
		ctl_duration(ack, sizeof(ack), a);
		ctl_duration(decide, sizeof(decide), d);
		printf("%-16s %6s %6s  %s / %s / %s\n", PQgetvalue(res, i, 0),
		    ack, decide, PQgetvalue(res, i, 3), PQgetvalue(res, i, 4),
		    PQgetvalue(res, i, 5));
	}
	PQclear(res);
	return 0;
}

/* Sets a department's deadlines: [--ack DURATION] [--decide DURATION]. */
static int
ctl_department_deadlines(PGconn *pg, const char *code, int argc, char **argv)
{
	const char *ack = NULL, *decide = NULL, *v, *errstr, *params[3];
	char ackms[32], decidems[32];
	long long ms;
	PGresult *res;
	int i, rv = 0;

	for (i = 0; i < argc; i++) {
		if ((v = ctl_optval(argc, argv, &i, "--ack")))
			ack = v;
		else if ((v = ctl_optval(argc, argv, &i, "--decide")))
			decide = v;
		else
			ctl_usage();
	}
	if (ack == NULL && decide == NULL)
		ctl_usage();
	/* From a minute to ten years. */
	params[0] = code;
	params[1] = params[2] = NULL;
	if (ack != NULL) {
		if (util_parse_duration_ms(ack, 60 * 1000,
		        3650 * 86400LL * 1000, &ms, &errstr) == -1) {
			fprintf(stderr, "tiplinectl: --ack: %s\n", errstr);
			return 2;
		}
		snprintf(ackms, sizeof(ackms), "%lld", ms);
		params[1] = ackms;
	}
	if (decide != NULL) {
		if (util_parse_duration_ms(decide, 60 * 1000,
		        3650 * 86400LL * 1000, &ms, &errstr) == -1) {
			fprintf(stderr, "tiplinectl: --decide: %s\n", errstr);
			return 2;
		}
		snprintf(decidems, sizeof(decidems), "%lld", ms);
		params[2] = decidems;
	}
	res = PQexecParams(pg,
	    "UPDATE department SET "
	    "ack_within = coalesce($2::bigint * interval '1 millisecond', "
	    "ack_within), "
	    "decide_within = coalesce($3::bigint * interval '1 millisecond', "
	    "decide_within) WHERE code = $1 RETURNING code",
	    3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "tiplinectl: %s", PQerrorMessage(pg));
		rv = 1;
	} else if (PQntuples(res) != 1) {
		fprintf(stderr, "tiplinectl: no department %s\n", code);
		rv = 1;
	} else
		printf("department %s: deadlines set\n", code);
	PQclear(res);
	return rv;
}

int
ctl_department(const struct cfg *cfg, int argc, char **argv)
{
	PGconn *pg;
	int rv;

	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		if ((pg = ctl_connect(cfg)) == NULL)
			return 1;
		rv = ctl_department_list(pg);
	} else if (argc >= 2 && strcmp(argv[0], "deadlines") == 0) {
		if ((pg = ctl_connect(cfg)) == NULL)
			return 1;
		rv = ctl_department_deadlines(pg, argv[1], argc - 2, argv + 2);
	} else
		ctl_usage();
	PQfinish(pg);
	return rv;
}
