/*
 * The statistics in the console: the report of lib/stats_report.c for a
 * week, a month or a year (?period=2026-W47 | 2026-11 | 2026; the current
 * week without one), for every department (role national, which may pick
 * one with ?department=CODE) or the officer's own.  Answers:
 *
 *   GET /stats            the page: headline, charts, every table
 *   GET /stats.csv        the same numbers as CSV, then as JSON
 *   GET /stats.json
 *   GET /stats/bars.svg   tips by week, stacked by motive
 *   GET /stats/line.svg   the median time to a decision by week
 *
 * Each answer runs its statements one after another: the departments, the
 * report's rows, the weeks' rows.  Nothing here is tip content: the
 * rollup holds counts only, and each table hides what min_cell asks.
 * Views and downloads are audited (stats_view, stats_download).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "console.h"
#include "db_stmt.h"
#include "stats_chart.h"
#include "stats_report.h"

enum stats_out {
	STATS_OUT_PAGE,
	STATS_OUT_CSV,
	STATS_OUT_JSON,
	STATS_OUT_BARS,
	STATS_OUT_LINE,
};

struct stats_req {
	enum stats_out out;
	struct stats_period period;
	char period_name[16];
	char dept_code[32]; /* "" for all */
	int dept;           /* its id; 0 for all */
	struct stats_report *report;
	struct stats_trend *trend;
	json_t *model;
	json_t *depts; /* for the page's choice: [{code, name, selected}] */
};

static void
stats_req_free(void *p)
{
	struct stats_req *sr = p;

	stats_report_free(sr->report);
	stats_trend_free(sr->trend);
	json_decref(sr->model);
	json_decref(sr->depts);
	free(sr);
}

static bool
stats_failed(struct web_req *wr, PGresult *res)
{
	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK)
		return false;
	rlog_warnx(wr, "statistics failed, sqlstate %s", db_sqlstate(res));
	web_header(wr, "Retry-After", "10");
	web_error(wr, 503);
	return true;
}

static void stats_finish(struct web_req *);

static void
stats_on_trend(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct stats_req *sr = wr->data;

	if (stats_failed(wr, res))
		return;
	if (stats_trend_load(sr->trend, res) == -1) {
		web_error(wr, 500);
		return;
	}
	stats_finish(wr);
}

static void
stats_send_trend(struct web_req *wr)
{
	struct stats_req *sr = wr->data;
	char bufs[STATS_TREND_NPARAMS][16];
	const char *values[STATS_TREND_NPARAMS];

	stats_trend_params(sr->trend, sr->dept, bufs, values);
	if (db_send(console_of(wr)->db, STMT_CONSOLE_STATS_TREND,
	        STATS_TREND_NPARAMS, values, NULL, NULL, stats_on_trend,
	        wr) == NULL)
		stats_on_trend(wr, NULL);
}

static void
stats_on_report(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct stats_req *sr = wr->data;

	if (stats_failed(wr, res))
		return;
	if (stats_report_load(sr->report, res) == -1 ||
	    (sr->model = stats_report_build(sr->report)) == NULL) {
		web_error(wr, 500);
		return;
	}
	if (sr->out == STATS_OUT_PAGE)
		stats_send_trend(wr);
	else
		stats_finish(wr);
}

static void
stats_on_depts(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct stats_req *sr = wr->data;
	struct console_session *s = console_sess(wr);
	char bufs[STATS_REPORT_NPARAMS][16];
	const char *values[STATS_REPORT_NPARAMS];
	int col = 2 + (int)wr->lang;

	if (stats_failed(wr, res))
		return;
	sr->report = stats_report_new(&sr->period, wr->lang,
	    console_of(wr)->cfg->stats_min_cell,
	    console_of(wr)->cfg->stats_min_change);
	if (sr->out == STATS_OUT_PAGE || sr->out == STATS_OUT_BARS ||
	    sr->out == STATS_OUT_LINE)
		sr->trend = stats_trend_new(&sr->period, wr->lang,
		    console_of(wr)->cfg->stats_min_cell);
	if (sr->report == NULL || (sr->depts = json_array()) == NULL ||
	    (sr->trend == NULL &&
	        (sr->out == STATS_OUT_PAGE || sr->out == STATS_OUT_BARS ||
	            sr->out == STATS_OUT_LINE))) {
		web_error(wr, 503);
		return;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		int id = (int)strtol(PQgetvalue(res, i, 0), NULL, 10);
		const char *code = PQgetvalue(res, i, 1);
		bool mine = s->role == ROLE_NATIONAL
		                ? sr->dept_code[0] == '\0' ||
		                      strcmp(code, sr->dept_code) == 0
		                : id == s->department;

		json_array_append_new(sr->depts,
		    json_pack("{s:s, s:s, s:b}", "code", code, "name",
		        PQgetvalue(res, i, col), "selected",
		        sr->dept_code[0] != '\0' &&
		            strcmp(code, sr->dept_code) == 0));
		if (!mine)
			continue;
		if (s->role != ROLE_NATIONAL || sr->dept_code[0] != '\0')
			sr->dept = id;
		if (stats_report_department(sr->report, id, code,
		        PQgetvalue(res, i, col)) == -1 ||
		    (sr->trend != NULL &&
		        stats_trend_department(sr->trend, id) == -1)) {
			web_error(wr, 503);
			return;
		}
	}
	if (s->role == ROLE_NATIONAL && sr->dept_code[0] != '\0' &&
	    sr->dept == 0) {
		console_message(wr, 404, "console.stats.no_department");
		return;
	}
	if (sr->out == STATS_OUT_BARS || sr->out == STATS_OUT_LINE) {
		stats_send_trend(wr);
		return;
	}
	stats_report_params(sr->report, sr->dept, bufs, values);
	if (db_send(console_of(wr)->db, STMT_CONSOLE_STATS,
	        STATS_REPORT_NPARAMS, values, NULL, NULL, stats_on_report,
	        wr) == NULL)
		stats_on_report(wr, NULL);
}

/* "?period=...&department=..." for a link to period p. */
static void
stats_query(const struct stats_req *sr, const struct stats_period *p, char *out,
    size_t len)
{
	char name[16];

	stats_period_name(p, name, sizeof(name));
	snprintf(out, len, "?period=%s%s%s", name,
	    sr->dept_code[0] != '\0' ? "&department=" : "", sr->dept_code);
}

/* The forms that pick a week, a month or a year, the one shown filled
 * in; a year's input is a number. */
static void
stats_pickers(struct web_req *wr, const struct stats_req *sr, json_t *ctx)
{
	static const struct {
		const char *id, *type, *label;
		enum stats_span span;
	} kinds[] = {
		{ "week", "week", "console.stats.week", STATS_WEEK },
		{ "month", "month", "console.stats.month", STATS_MONTH },
		{ "year", "number", "console.stats.year", STATS_YEAR },
	};
	json_t *a = json_array(), *p;
	char year[8];

	snprintf(year, sizeof(year), "%d", sr->period.year);
	for (size_t i = 0; a != NULL && i < ARRAY_SIZE(kinds); i++) {
		p = json_pack("{s:s, s:s, s:s}", "id", kinds[i].id, "type",
		    kinds[i].type, "label", i18n_get(wr->lang, kinds[i].label));
		if (p == NULL)
			continue;
		if (kinds[i].span == STATS_YEAR) {
			json_object_set_new(p, "value", json_string(year));
			json_object_set_new(p, "min", json_string("2000"));
			json_object_set_new(p, "max", json_string("2999"));
		} else if (kinds[i].span == sr->period.span) {
			json_object_set_new(p, "value",
			    json_string(sr->period_name));
		}
		json_array_append_new(a, p);
	}
	json_object_set_new(ctx, "pickers", a);
}

static void
stats_page(struct web_req *wr)
{
	struct stats_req *sr = wr->data;
	struct console_session *s = console_sess(wr);
	json_t *ctx = console_ctx(wr, "console.stats.title");
	json_t *trend = stats_trend_build(sr->trend);
	struct stats_period prev, next, year;
	char q[128];

	if (trend == NULL) {
		json_decref(ctx);
		web_error(wr, 500);
		return;
	}
	stats_period_prev(&sr->period, &prev);
	stats_period_of(sr->period.span, sr->period.end, &next);
	json_object_set(ctx, "report", sr->model);
	/* The two charts, each with its table: one block of the template. */
	json_object_set_new(ctx, "charts",
	    json_pack("[{s:s, s:s, s:b, s:O}, {s:s, s:s, s:b, s:O}]", "id",
	        "trend-motives", "svg", "bars", "with_total", 1, "t",
	        json_object_get(trend, "motives"), "id", "trend-decide", "svg",
	        "line", "with_total", 0, "t",
	        json_object_get(trend, "decide")));
	json_decref(trend);
	json_object_set_new(ctx, "period", json_string(sr->period_name));
	stats_pickers(wr, sr, ctx);
	if (s->role == ROLE_NATIONAL) {
		json_object_set_new(ctx, "national", json_true());
		json_object_set(ctx, "departments", sr->depts);
	}
	json_object_set_new(ctx, "department_code", json_string(sr->dept_code));
	/* Links keep the department; the template escapes the "&". */
	stats_query(sr, &sr->period, q, sizeof(q));
	json_object_set_new(ctx, "query", json_string(q));
	stats_query(sr, &prev, q, sizeof(q));
	json_object_set_new(ctx, "prev_query", json_string(q));
	stats_query(sr, &next, q, sizeof(q));
	json_object_set_new(ctx, "next_query", json_string(q));
	if (stats_period_year_before(&sr->period, &year) == 0) {
		stats_query(sr, &year, q, sizeof(q));
		json_object_set_new(ctx, "year_query", json_string(q));
	}
	console_page(wr, 200, "stats", ctx);
}

static void
stats_finish(struct web_req *wr)
{
	struct stats_req *sr = wr->data;
	struct evbuffer *body;
	struct buf b;
	char disp[96];
	const char *type = "text/csv; charset=utf-8";

	if (sr->out == STATS_OUT_PAGE) {
		stats_page(wr);
		return;
	}
	buf_init(&b, 16 << 20);
	switch (sr->out) {
	case STATS_OUT_CSV:
		stats_report_csv(sr->model, &b);
		break;
	case STATS_OUT_JSON: {
		char *s =
		    json_dumps(sr->model, JSON_INDENT(1) | JSON_PRESERVE_ORDER);

		type = "application/json";
		if (s == NULL) {
			b.err = true;
			break;
		}
		buf_puts(&b, s);
		buf_puts(&b, "\n");
		free(s);
		break;
	}
	default: {
		json_t *t = stats_trend_build(sr->trend);

		type = "image/svg+xml";
		if (t == NULL) {
			b.err = true;
			break;
		}
		if (sr->out == STATS_OUT_BARS)
			stats_chart_bars(json_object_get(t, "bars"), &b);
		else
			stats_chart_line(json_object_get(t, "line"), &b);
		json_decref(t);
		break;
	}
	}
	if (b.err || (body = evbuffer_new()) == NULL) {
		buf_reset(&b);
		web_error(wr, 500);
		return;
	}
	evbuffer_add(body, b.p, b.len);
	buf_reset(&b);
	web_header(wr, "Content-Type", type);
	if (sr->out == STATS_OUT_CSV || sr->out == STATS_OUT_JSON) {
		snprintf(disp, sizeof(disp),
		    "attachment; filename=\"tipline-%s%s%s.%s\"",
		    sr->period_name, sr->dept_code[0] != '\0' ? "-" : "",
		    sr->dept_code, sr->out == STATS_OUT_CSV ? "csv" : "json");
		web_header(wr, "Content-Disposition", disp);
	}
	web_send(wr, 200, body);
	evbuffer_free(body);
}

static void
stats_start(struct web_req *wr, enum stats_out out)
{
	struct stats_req *sr;
	const char *period = web_query(wr, "period");
	const char *dept = web_query(wr, "department");
	const char *errstr;
	const char *values[1] = { NULL };

	if ((sr = calloc(1, sizeof(*sr))) == NULL) {
		web_error(wr, 503);
		return;
	}
	wr->data = sr;
	wr->data_free = stats_req_free;
	sr->out = out;
	if (period == NULL || period[0] == '\0')
		stats_period_of(STATS_WEEK, stats_finnish_day(time(NULL)),
		    &sr->period);
	else if (stats_period_parse(period, &sr->period, &errstr) == -1) {
		console_message(wr, 400, "console.stats.bad_period");
		return;
	}
	stats_period_name(&sr->period, sr->period_name,
	    sizeof(sr->period_name));
	/* Only the national unit chooses; an officer sees their own. */
	if (console_sess(wr)->role == ROLE_NATIONAL && dept != NULL &&
	    dept[0] != '\0') {
		if (strlen(dept) >= sizeof(sr->dept_code) ||
		    strspn(dept, "abcdefghijklmnopqrstuvwxyz-") !=
		        strlen(dept)) {
			console_message(wr, 404, "console.stats.no_department");
			return;
		}
		snprintf(sr->dept_code, sizeof(sr->dept_code), "%s", dept);
	}
	/* Every view and download is in the audit log, as the footer says;
	 * a chart's image comes with its page. */
	if (out != STATS_OUT_BARS && out != STATS_OUT_LINE)
		console_audit(console_of(wr), console_sess(wr)->reviewer,
		    out == STATS_OUT_PAGE ? "stats_view" : "stats_download", 0,
		    json_pack("{s:s, s:s, s:s}", "period", sr->period_name,
		        "department",
		        sr->dept_code[0] != '\0' ? sr->dept_code
		        : console_sess(wr)->role == ROLE_NATIONAL ? "all"
		                                                  : "own",
		        "format",
		        out == STATS_OUT_PAGE  ? "html"
		        : out == STATS_OUT_CSV ? "csv"
		                               : "json"),
		    NULL);
	if (db_send(console_of(wr)->db, STMT_CONSOLE_STATS_DEPTS, 1, values,
	        NULL, NULL, stats_on_depts, wr) == NULL)
		stats_on_depts(wr, NULL);
}

void
console_stats_get(struct web_req *wr)
{
	stats_start(wr, STATS_OUT_PAGE);
}

void
console_stats_csv(struct web_req *wr)
{
	stats_start(wr, STATS_OUT_CSV);
}

void
console_stats_json(struct web_req *wr)
{
	stats_start(wr, STATS_OUT_JSON);
}

void
console_stats_bars(struct web_req *wr)
{
	stats_start(wr, STATS_OUT_BARS);
}

void
console_stats_line(struct web_req *wr)
{
	stats_start(wr, STATS_OUT_LINE);
}
