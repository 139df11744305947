/*
 * tiplinectl stats: the national unit's figures for a week, a month or a
 * year, from the rollup the worker keeps (schema/0017_stats.sql), laid
 * out and suppressed by the same code as the console's statistics pages
 * (lib/stats_report.c).
 *
 *   stats [--week 2026-W47 | --month 2026-11 | --year 2026]
 *         [--department CODE] [--format table|csv|json] [--lang fi|sv|en]
 *
 * Without a period, the current ISO week in Finnish time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ctl.h"
#include "i18n.h"
#include "stats_report.h"

enum format {
	FORMAT_TABLE,
	FORMAT_CSV,
	FORMAT_JSON,
};

static int
stats_usage(void)
{
	fprintf(stderr, "usage: tiplinectl stats [--week 2026-W47 | --month "
	                "2026-11 | --year 2026]\n"
	                "       [--department CODE] [--format "
	                "table|csv|json] [--lang fi|sv|en]\n");
	return 2;
}

/* Today in Finnish time, as the rollup counts days. */
static int
stats_today(PGconn *pg, int32_t *day)
{
	PGresult *res = PQexec(pg, "SELECT stats_local_day(now()) - "
	                           "date '1970-01-01'");

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "tiplinectl: %s", PQerrorMessage(pg));
		PQclear(res);
		return -1;
	}
	*day = (int32_t)strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

/* Adds the departments to the report; the id of `code` (0 for all). */
static int
stats_departments(PGconn *pg, struct stats_report *r, const char *code,
    enum lang lang, int *id)
{
	PGresult *res = PQexecParams(pg, stats_departments_sql, 1, NULL,
	    (const char *[]){ NULL }, NULL, NULL, 0);
	int rv = -1;

	*id = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "tiplinectl: %s", PQerrorMessage(pg));
		goto done;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		int d = (int)strtol(PQgetvalue(res, i, 0), NULL, 10);

		if (code != NULL && strcmp(code, PQgetvalue(res, i, 1)) != 0)
			continue;
		if (stats_report_department(r, d, PQgetvalue(res, i, 1),
		        PQgetvalue(res, i, 2 + (int)lang)) == -1) {
			fprintf(stderr, "tiplinectl: out of memory\n");
			goto done;
		}
		if (code != NULL)
			*id = d;
	}
	if (code != NULL && *id == 0) {
		fprintf(stderr,
		    "tiplinectl: no department %s "
		    "(tiplinectl department list)\n",
		    code);
		goto done;
	}
	rv = 0;
done:
	PQclear(res);
	return rv;
}

int
ctl_stats(const struct cfg *cfg, int argc, char **argv)
{
	const char *period = NULL, *dept = NULL, *errstr;
	enum format format = FORMAT_TABLE;
	enum lang lang = LANG_FI;
	struct stats_period p;
	struct stats_report *r = NULL;
	char bufs[STATS_REPORT_NPARAMS][16];
	const char *values[STATS_REPORT_NPARAMS];
	PGconn *pg = NULL;
	PGresult *res = NULL;
	json_t *m = NULL;
	struct buf out;
	int i, id, rv = 1;

	for (i = 0; i < argc; i++) {
		const char *v;
		enum stats_span span;

		if ((v = ctl_optval(argc, argv, &i, "--week")) != NULL)
			span = STATS_WEEK;
		else if ((v = ctl_optval(argc, argv, &i, "--month")) != NULL)
			span = STATS_MONTH;
		else if ((v = ctl_optval(argc, argv, &i, "--year")) != NULL)
			span = STATS_YEAR;
		else if ((v = ctl_optval(argc, argv, &i, "--department"))) {
			dept = v;
			continue;
		} else if ((v = ctl_optval(argc, argv, &i, "--format"))) {
			if (strcmp(v, "table") == 0)
				format = FORMAT_TABLE;
			else if (strcmp(v, "csv") == 0)
				format = FORMAT_CSV;
			else if (strcmp(v, "json") == 0)
				format = FORMAT_JSON;
			else
				return stats_usage();
			continue;
		} else if ((v = ctl_optval(argc, argv, &i, "--lang"))) {
			if (i18n_from_code_n(v, strlen(v), LANG_STAFF_COUNT,
			        &lang) == -1)
				return stats_usage();
			continue;
		} else
			return stats_usage();
		if (period != NULL)
			return stats_usage();
		period = v;
		if (stats_period_parse(v, &p, &errstr) == -1) {
			fprintf(stderr, "tiplinectl: %s: %s\n", v, errstr);
			return 2;
		}
		if (p.span != span) {
			fprintf(stderr, "tiplinectl: %s is not a %s\n", v,
			    span == STATS_WEEK    ? "week (2026-W47)"
			    : span == STATS_MONTH ? "month (2026-11)"
			                          : "year (2026)");
			return 2;
		}
	}

	buf_init(&out, 0);
	if ((pg = ctl_connect(cfg)) == NULL)
		goto done;
	if (period == NULL) {
		int32_t today;

		if (stats_today(pg, &today) == -1)
			goto done;
		stats_period_of(STATS_WEEK, today, &p);
	}
	r = stats_report_new(&p, lang, cfg->stats_min_cell,
	    cfg->stats_min_change);
	if (r == NULL || stats_departments(pg, r, dept, lang, &id) == -1)
		goto done;
	stats_report_params(r, id, bufs, values);
	res = PQexecParams(pg, stats_report_sql, STATS_REPORT_NPARAMS, NULL,
	    values, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "tiplinectl: %s", PQerrorMessage(pg));
		goto done;
	}
	if (stats_report_load(r, res) == -1 ||
	    (m = stats_report_build(r)) == NULL) {
		fprintf(stderr, "tiplinectl: out of memory\n");
		goto done;
	}
	switch (format) {
	case FORMAT_TABLE:
		stats_report_text(m, &out);
		break;
	case FORMAT_CSV:
		stats_report_csv(m, &out);
		break;
	case FORMAT_JSON: {
		char *s = json_dumps(m, JSON_INDENT(1) | JSON_PRESERVE_ORDER);

		if (s == NULL) {
			out.err = true;
		} else {
			buf_puts(&out, s);
			buf_puts(&out, "\n");
			free(s);
		}
		break;
	}
	}
	if (out.err) {
		fprintf(stderr, "tiplinectl: out of memory\n");
		goto done;
	}
	if (fwrite(out.p, 1, out.len, stdout) != out.len || fflush(stdout)) {
		perror("tiplinectl: stdout");
		goto done;
	}
	rv = 0;
done:
	buf_reset(&out);
	json_decref(m);
	stats_report_free(r);
	PQclear(res);
	if (pg != NULL)
		PQfinish(pg);
	return rv;
}
