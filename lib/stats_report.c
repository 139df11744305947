/*
 * The statistics report: see stats_report.h.  The rollup's rows are kept
 * as they come and indexed by period, department, dimension and value;
 * stats_report_build() lays each section out from a table of definitions
 * (which dimension, which rows and columns, whether the rows add up),
 * suppresses every count table with stats_suppress() and writes the
 * model.  Values that are not counts (quantiles of handling times, tips
 * per case, days to removal) are hidden where they rest on fewer than
 * min_cell cases, since a median of two cases tells about each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_report.h"
#include "vocab.h"

struct raw {
	enum stats_which which;
	int dept;
	char *dim;
	char *val;
	int64_t n;
};

struct dept {
	int id;
	char *code;
	char *name;
};

struct stats_report {
	struct stats_period period;
	struct stats_period prev;
	struct stats_period year_before;
	bool has_year_before;
	enum lang lang;
	int64_t min_cell;
	int64_t min_change;
	struct dept *depts;
	size_t ndepts;
	struct raw *raw;
	size_t nraw;
	size_t capraw;
	json_t *index; /* "which|dept|dim|val" and "which|*|dim|val": sums */
};

/* ------------------------------------------------------------ vocabulary */

static const char *const motive_cols[] = { "ethnic", "skin", "religion",
	"orientation", "gender", "disability", "other", "unknown", "none" };
static const char *const channel_cols[] = { "online", "place", "both" };
static const char *const platform_cols[] = { "facebook", "instagram", "x",
	"tiktok", "youtube", "telegram", "discord", "reddit", "snapchat",
	"whatsapp", "suomi24", "ylilauta", "vauva", "news", "other", "none" };
/* The order of enum lang (lib/i18n.h). */
static const char *const lang_cols[] = { "fi", "sv", "en", "ar", "fa", "so",
	"ru", "uk", "et", "se" };
static const char *const feedback_cols[] = { "none", "receipt", "email" };
static const char *const joined_cols[] = { "new", "link", "image", "image_near",
	"text", "text_near", "screenshot_text" };
static const char *const status_cols[] = { "new", "in_progress", "closed" };
static const char *const hate_cols[] = { "yes", "no" };
static const char *const ground_cols[] = { "ethnic", "skin", "religion",
	"orientation", "gender", "disability", "other", "none" };
static const char *const offence_cols[] = { "agitation", "defamation", "menace",
	"assault", "discrimination", "other", "none" };
static const char *const bias_rows[] = { "racism", "religion", "lgbti",
	"disability", "other" };
static const char *const odihr_cols[] = { "violence", "threat", "other" };
static const char *const apart_cols[] = { "agitation", "defamation",
	"discrimination" };
static const char *const decision_cols[] = { "removed", "restricted", "refused",
	"pending" };
static const char *const hours_cols[] = { "ack_p50", "ack_p90", "decide_p50",
	"decide_p90" };
/* "Asked" is tips_feedback's receipt and email: not a column of its own
 * here, where it could be hidden while that table shows it. */
static const char *const asked_cols[] = { "received", "followups" };
static const char *const per_case_cols[] = { "tips_per_case" };
static const char *const removal_cols[] = { "removal_p50" };

enum sec_kind {
	SEC_DEPT,     /* departments x values of dim */
	SEC_PAIR,     /* rows x columns, dim's values "row:column" */
	SEC_NOTICE,   /* platforms x decisions, and those still pending */
	SEC_FEEDBACK, /* departments x asked, received, follow-ups */
	SEC_HOURS,    /* departments x quantiles of ack_h and decide_h */
	SEC_PER_CASE, /* departments x tips per case */
	SEC_REMOVAL,  /* platforms x median days to removal */
};

#define LIST(a) a, sizeof(a) / sizeof((a)[0])

struct sec_def {
	const char *id;
	const char *level;
	enum sec_kind kind;
	const char *dim;
	const char *const *cols;
	size_t ncols;
	const char *col_msg; /* message id prefix of the columns' labels */
	const char *const *rows;
	size_t nrows;
	const char *row_msg;
};

static const struct sec_def sections[] = {
	{ "tips_motive", "tips", SEC_DEPT, "motive", LIST(motive_cols),
	    "form.motive.", NULL, 0, NULL },
	{ "tips_channel", "tips", SEC_DEPT, "channel", LIST(channel_cols),
	    "console.channel.", NULL, 0, NULL },
	{ "tips_platform", "tips", SEC_DEPT, "platform", LIST(platform_cols),
	    NULL, NULL, 0, NULL },
	{ "tips_lang", "tips", SEC_DEPT, "lang", LIST(lang_cols),
	    "console.lang.", NULL, 0, NULL },
	{ "tips_feedback", "tips", SEC_DEPT, "feedback", LIST(feedback_cols),
	    "console.feedback.", NULL, 0, NULL },
	{ "tips_joined", "tips", SEC_DEPT, "joined", LIST(joined_cols),
	    "stats.joined.", NULL, 0, NULL },
	{ "feedback", "tips", SEC_FEEDBACK, NULL, LIST(asked_cols),
	    "stats.col.", NULL, 0, NULL },
	{ "cases_status", "cases", SEC_DEPT, "status", LIST(status_cols),
	    "console.status.", NULL, 0, NULL },
	{ "cases_outcome", "cases", SEC_DEPT, "outcome", vocab_outcomes,
	    VOCAB_NOUTCOMES, "console.outcome.", NULL, 0, NULL },
	{ "tips_per_case", "cases", SEC_PER_CASE, NULL, LIST(per_case_cols),
	    "stats.col.", NULL, 0, NULL },
	{ "handling_time", "cases", SEC_HOURS, NULL, LIST(hours_cols),
	    "stats.col.", NULL, 0, NULL },
	{ "classified_hate", "classified", SEC_DEPT, "hate", LIST(hate_cols),
	    "stats.hate.", NULL, 0, NULL },
	{ "classified_ground", "classified", SEC_DEPT, "ground",
	    LIST(ground_cols), "form.motive.", NULL, 0, NULL },
	{ "classified_offence", "classified", SEC_DEPT, "offence",
	    LIST(offence_cols), "console.offence.", NULL, 0, NULL },
	{ "polamk", "classified", SEC_PAIR, "ground_offence",
	    LIST(offence_cols), "console.offence.", LIST(ground_cols),
	    "form.motive." },
	{ "odihr", "classified", SEC_PAIR, "odihr", LIST(odihr_cols),
	    "stats.type.", LIST(bias_rows), "stats.bias." },
	{ "odihr_apart", "classified", SEC_PAIR, "odihr", LIST(apart_cols),
	    "console.offence.", LIST(bias_rows), "stats.bias." },
	{ "notices", "notices", SEC_NOTICE, "decision", LIST(decision_cols),
	    "stats.decision.", platform_cols, VOCAB_NPLATFORMS, NULL },
	{ "removal_time", "notices", SEC_REMOVAL, "removal_d",
	    LIST(removal_cols), "stats.col.", platform_cols, VOCAB_NPLATFORMS,
	    NULL },
};

/* ------------------------------------------------------------ input */

struct stats_report *
stats_report_new(const struct stats_period *p, enum lang lang, int64_t min_cell,
    int64_t min_change)
{
	struct stats_report *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->period = *p;
	stats_period_prev(p, &r->prev);
	r->has_year_before = stats_period_year_before(p, &r->year_before) == 0;
	r->lang = lang;
	r->min_cell = min_cell < 1 ? 1 : min_cell;
	r->min_change = min_change;
	if ((r->index = json_object()) == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

void
stats_report_free(struct stats_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->ndepts; i++) {
		free(r->depts[i].code);
		free(r->depts[i].name);
	}
	free(r->depts);
	for (size_t i = 0; i < r->nraw; i++) {
		free(r->raw[i].dim);
		free(r->raw[i].val);
	}
	free(r->raw);
	json_decref(r->index);
	free(r);
}

int
stats_report_department(struct stats_report *r, int id, const char *code,
    const char *name)
{
	struct dept *d = realloc(r->depts, (r->ndepts + 1) * sizeof(*d));

	if (d == NULL)
		return -1;
	r->depts = d;
	d = &r->depts[r->ndepts];
	d->id = id;
	d->code = strdup(code);
	d->name = strdup(name);
	if (d->code == NULL || d->name == NULL) {
		free(d->code);
		free(d->name);
		return -1;
	}
	r->ndepts++;
	return 0;
}

static void
key(char *out, size_t len, enum stats_which w, int dept, const char *dim,
    const char *val)
{
	if (dept < 0)
		snprintf(out, len, "%d|*|%s|%s", (int)w, dim, val);
	else
		snprintf(out, len, "%d|%d|%s|%s", (int)w, dept, dim, val);
}

/* The count for a department (or all, dept < 0); 0 when none came. */
static int64_t
get(const struct stats_report *r, enum stats_which w, int dept, const char *dim,
    const char *val)
{
	char k[128];
	json_t *v;

	key(k, sizeof(k), w, dept, dim, val);
	v = json_object_get(r->index, k);
	return v == NULL ? 0 : json_integer_value(v);
}

static int
bump(struct stats_report *r, const char *k, int64_t n)
{
	json_t *v = json_object_get(r->index, k);

	if (v != NULL)
		return json_integer_set(v, json_integer_value(v) + n);
	return json_object_set_new(r->index, k, json_integer(n));
}

int
stats_report_add(struct stats_report *r, enum stats_which w, int dept,
    const char *dim, const char *val, int64_t n)
{
	char k[128];
	struct raw *x;

	if (strlen(dim) > 32 || strlen(val) > 64)
		return -1;
	if (r->nraw == r->capraw) {
		size_t cap = r->capraw == 0 ? 256 : r->capraw * 2;

		x = realloc(r->raw, cap * sizeof(*x));
		if (x == NULL)
			return -1;
		r->raw = x;
		r->capraw = cap;
	}
	x = &r->raw[r->nraw];
	x->which = w;
	x->dept = dept;
	x->n = n;
	x->dim = strdup(dim);
	x->val = strdup(val);
	if (x->dim == NULL || x->val == NULL) {
		free(x->dim);
		free(x->val);
		return -1;
	}
	r->nraw++;
	key(k, sizeof(k), w, dept, dim, val);
	if (bump(r, k, n) == -1)
		return -1;
	key(k, sizeof(k), w, -1, dim, val);
	return bump(r, k, n);
}

/* ------------------------------------------------------------ SQL */

const char stats_report_sql[] =
    "SELECT w, department_id, dim, val, sum(n)::bigint FROM ("
    "SELECT 0 AS w, department_id, dim, val, n FROM stats_day "
    "WHERE day >= $1::date AND day < $2::date "
    "UNION ALL "
    "SELECT 1, department_id, dim, val, n FROM stats_day "
    "WHERE day >= $3::date AND day < $4::date "
    "AND dim IN ('tips', 'cases', 'hate', 'notice') "
    "UNION ALL "
    "SELECT 2, department_id, dim, val, n FROM stats_day "
    "WHERE day >= $5::date AND day < $6::date "
    "AND dim IN ('tips', 'cases', 'hate', 'notice')) s "
    "WHERE $7::smallint IS NULL OR department_id = $7::smallint "
    "GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0";

const char stats_departments_sql[] =
    "SELECT id, code, name_fi, name_sv, name_en FROM department "
    "WHERE $1::smallint IS NULL OR id = $1::smallint ORDER BY id";

void
stats_report_params(const struct stats_report *r, int department,
    char bufs[STATS_REPORT_NPARAMS][16],
    const char *values[STATS_REPORT_NPARAMS])
{
	const struct stats_period *p[3] = { &r->period, &r->prev,
		&r->year_before };

	for (int i = 0; i < 3; i++) {
		stats_day_str(p[i]->first, bufs[2 * i]);
		stats_day_str(i == 2 && !r->has_year_before ? p[i]->first
		                                            : p[i]->end,
		    bufs[2 * i + 1]);
	}
	snprintf(bufs[6], 16, "%d", department);
	for (int i = 0; i < STATS_REPORT_NPARAMS; i++)
		values[i] = bufs[i];
	if (department <= 0)
		values[6] = NULL;
}

int
stats_report_load(struct stats_report *r, const PGresult *res)
{
	for (int i = 0; i < PQntuples(res); i++) {
		long w = strtol(PQgetvalue(res, i, 0), NULL, 10);

		if (w < STATS_NOW || w > STATS_YEAR_BEFORE)
			return -1;
		if (stats_report_add(r, (enum stats_which)w,
		        (int)strtol(PQgetvalue(res, i, 1), NULL, 10),
		        PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
		        strtoll(PQgetvalue(res, i, 4), NULL, 10)) == -1)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ labels */

static const char *
msg(const struct stats_report *r, const char *id)
{
	const char *s = i18n_get(r->lang, id);

	return s != NULL ? s : id;
}

static const char *
label(const struct stats_report *r, const char *prefix, const char *k)
{
	char id[96];
	const char *s;
	int i;

	if (strcmp(k, "none") == 0)
		return msg(r, "stats.none");
	if (prefix == NULL) { /* platforms: brand names, or messages */
		i = vocab_find(vocab_platforms, VOCAB_NPLATFORMS, k, strlen(k));
		if (i >= 0 && vocab_platform_names[i] != NULL)
			return vocab_platform_names[i];
		prefix = "form.platform.";
	}
	snprintf(id, sizeof(id), "%s%s", prefix, k);
	s = i18n_get(r->lang, id);
	return s != NULL ? s : k;
}

/* ------------------------------------------------------------ model */

static json_t *
count_cell(int64_t n, bool hidden)
{
	char s[24];

	if (hidden)
		return json_pack("{s:n, s:s}", "n", "text", "..");
	snprintf(s, sizeof(s), "%lld", (long long)n);
	return json_pack("{s:I, s:s}", "n", (json_int_t)n, "text", s);
}

/* A value resting on `base` cases, with `decimals` shown; hidden when the
 * base is under min_cell, and absent (null, "–") when there is none. */
static json_t *
value_cell(const struct stats_report *r, double v, int64_t base, int decimals)
{
	char s[32];

	if (base <= 0 || v < 0)
		return json_pack("{s:n, s:s}", "n", "text", "–");
	if (base < r->min_cell)
		return json_pack("{s:n, s:s}", "n", "text", "..");
	snprintf(s, sizeof(s), "%.*f", decimals, v);
	return json_pack("{s:f, s:s}", "n", v, "text", s);
}

static json_t *
columns(const struct stats_report *r, const struct sec_def *d)
{
	json_t *a = json_array();

	for (size_t c = 0; a != NULL && c < d->ncols; c++)
		json_array_append_new(a,
		    json_pack("{s:s, s:s}", "key", d->cols[c], "label",
		        label(r, d->col_msg, d->cols[c])));
	return a;
}

/* Rows are departments, or d->rows. */
static size_t
nrows(const struct stats_report *r, const struct sec_def *d)
{
	return d->rows != NULL ? d->nrows : r->ndepts;
}

static json_t *
row_head(const struct stats_report *r, const struct sec_def *d, size_t i)
{
	if (d->rows != NULL)
		return json_pack("{s:s, s:s}", "key", d->rows[i], "label",
		    label(r, d->row_msg, d->rows[i]));
	return json_pack("{s:s, s:s}", "key", r->depts[i].code, "label",
	    r->depts[i].name);
}

static int64_t
count_of(const struct stats_report *r, const struct sec_def *d, size_t i,
    size_t c)
{
	char v[96];
	int64_t n;

	switch (d->kind) {
	case SEC_DEPT:
		return get(r, STATS_NOW, r->depts[i].id, d->dim, d->cols[c]);
	case SEC_PAIR:
		snprintf(v, sizeof(v), "%s:%s", d->rows[i], d->cols[c]);
		return get(r, STATS_NOW, -1, d->dim, v);
	case SEC_NOTICE:
		if (strcmp(d->cols[c], "pending") != 0) {
			snprintf(v, sizeof(v), "%s:%s", d->rows[i], d->cols[c]);
			return get(r, STATS_NOW, -1, d->dim, v);
		}
		n = get(r, STATS_NOW, -1, "notice", d->rows[i]);
		for (size_t k = 0; k < c; k++) {
			snprintf(v, sizeof(v), "%s:%s", d->rows[i], d->cols[k]);
			n -= get(r, STATS_NOW, -1, d->dim, v);
		}
		return n < 0 ? 0 : n;
	case SEC_FEEDBACK:
		return get(r, STATS_NOW, r->depts[i].id,
		    c == 0 ? "fb_received" : "followup", "");
	default:
		return 0;
	}
}

/* A section of counts: laid out, totalled, suppressed, written. */
static json_t *
count_section(const struct stats_report *r, const struct sec_def *d, json_t *s)
{
	struct stats_table t;
	size_t R = nrows(r, d), C = d->ncols;
	bool rows_add = d->kind != SEC_FEEDBACK;
	json_t *rows, *tot;

	if (stats_table_init(&t, (int)R, (int)C, rows_add) == -1)
		return NULL;
	for (size_t i = 0; i < R; i++)
		for (size_t c = 0; c < C; c++)
			*stats_cell(&t, (int)i, (int)c) = count_of(r, d, i, c);
	stats_table_total(&t);
	stats_suppress(&t, r->min_cell);

	rows = json_array();
	for (size_t i = 0; rows != NULL && i <= R; i++) {
		json_t *cells = json_array(), *row;

		for (size_t c = 0; cells != NULL && c < C; c++)
			json_array_append_new(cells,
			    count_cell(*stats_cell(&t, (int)i, (int)c),
			        stats_hidden(&t, (int)i, (int)c)));
		row = i < R ? row_head(r, d, i) : json_object();
		if (row == NULL || cells == NULL) {
			json_decref(row);
			json_decref(cells);
			break;
		}
		json_object_set_new(row, "cells", cells);
		if (rows_add)
			json_object_set_new(row, "total",
			    count_cell(*stats_cell(&t, (int)i, (int)C),
			        stats_hidden(&t, (int)i, (int)C)));
		if (i < R)
			json_array_append_new(rows, row);
		else
			json_object_set_new(s, "totals", row);
	}
	stats_table_reset(&t);
	tot = json_object_get(s, "totals");
	if (rows == NULL || tot == NULL) {
		json_decref(rows);
		return NULL;
	}
	json_object_set_new(s, "rows", rows);
	return s;
}

/* Hours and days are whole numbers from 0 (the rollup caps hours at a
 * leap year's 8784); one count per value. */
#define HIST_MAX 9000

/*
 * Fills counts[v] with the histogram of dim for a department (dept >= 0),
 * all of them (dept < 0) or a platform's part ("platform:N" values, with
 * prefix "platform:"); returns how many it holds.
 */
static int64_t
histogram(const struct stats_report *r, const char *dim, int dept,
    const char *prefix, int64_t *counts)
{
	size_t plen = prefix != NULL ? strlen(prefix) : 0;
	int64_t total = 0;

	memset(counts, 0, HIST_MAX * sizeof(*counts));
	for (size_t i = 0; i < r->nraw; i++) {
		const struct raw *x = &r->raw[i];
		const char *v = x->val;
		long long h;

		if (x->which != STATS_NOW || strcmp(x->dim, dim) != 0 ||
		    (dept >= 0 && x->dept != dept))
			continue;
		if (prefix != NULL) {
			if (strncmp(v, prefix, plen) != 0)
				continue;
			v += plen;
		}
		h = strtoll(v, NULL, 10);
		if (h < 0)
			h = 0;
		if (h >= HIST_MAX)
			h = HIST_MAX - 1;
		counts[h] += x->n;
		total += x->n;
	}
	return total;
}

static json_t *
quantile_cell(const struct stats_report *r, const char *dim, int dept,
    const char *prefix, double q, const int64_t *vals, int64_t *counts)
{
	int64_t base = histogram(r, dim, dept, prefix, counts);

	return value_cell(r, (double)stats_quantile(vals, counts, HIST_MAX, q),
	    base, 0);
}

static json_t *
per_case_cell(const struct stats_report *r, int dept)
{
	int64_t tips = get(r, STATS_NOW, dept, "tips", "");
	int64_t cases = get(r, STATS_NOW, dept, "cases", "");

	if (tips < r->min_cell)
		return value_cell(r, 0, tips, 1);
	return value_cell(r, cases > 0 ? (double)tips / (double)cases : -1,
	    cases, 1);
}

/* A section of values: one row per department or platform, and one for
 * all of them. */
static json_t *
value_section(const struct stats_report *r, const struct sec_def *d, json_t *s)
{
	int64_t *vals = calloc(HIST_MAX, sizeof(*vals));
	int64_t *counts = calloc(HIST_MAX, sizeof(*counts));
	size_t R = nrows(r, d);
	json_t *rows = json_array();

	if (vals == NULL || counts == NULL || rows == NULL)
		goto fail;
	for (int64_t v = 0; v < HIST_MAX; v++)
		vals[v] = v;
	for (size_t i = 0; i <= R; i++) {
		json_t *cells = json_array(), *row;
		int dep = i < R && d->rows == NULL ? r->depts[i].id : -1;
		char prefix[40];

		if (cells == NULL)
			goto fail;
		if (d->kind == SEC_HOURS) {
			json_array_append_new(cells,
			    quantile_cell(r, "ack_h", dep, NULL, 0.5, vals,
			        counts));
			json_array_append_new(cells,
			    quantile_cell(r, "ack_h", dep, NULL, 0.9, vals,
			        counts));
			json_array_append_new(cells,
			    quantile_cell(r, "decide_h", dep, NULL, 0.5, vals,
			        counts));
			json_array_append_new(cells,
			    quantile_cell(r, "decide_h", dep, NULL, 0.9, vals,
			        counts));
		} else if (d->kind == SEC_PER_CASE) {
			json_array_append_new(cells, per_case_cell(r, dep));
		} else { /* SEC_REMOVAL */
			if (i < R)
				snprintf(prefix, sizeof(prefix),
				    "%s:", d->rows[i]);
			json_array_append_new(cells,
			    quantile_cell(r, d->dim, -1, i < R ? prefix : NULL,
			        0.5, vals, counts));
		}
		row = i < R ? row_head(r, d, i) : json_object();
		if (row == NULL) {
			json_decref(cells);
			goto fail;
		}
		json_object_set_new(row, "cells", cells);
		if (i < R)
			json_array_append_new(rows, row);
		else
			json_object_set_new(s, "totals", row);
	}
	free(vals);
	free(counts);
	json_object_set_new(s, "rows", rows);
	return s;

fail:
	free(vals);
	free(counts);
	json_decref(rows);
	return NULL;
}

static json_t *
section(const struct stats_report *r, const struct sec_def *d)
{
	char id[80];
	const char *note;
	json_t *s;

	snprintf(id, sizeof(id), "stats.sec.%s", d->id);
	s = json_pack("{s:s, s:s, s:s}", "id", d->id, "level", d->level,
	    "title", msg(r, id));
	if (s == NULL)
		return NULL;
	snprintf(id, sizeof(id), "stats.note.%s", d->id);
	if ((note = i18n_get(r->lang, id)) != NULL)
		json_object_set_new(s, "note", json_string(note));
	json_object_set_new(s, "columns", columns(r, d));
	if ((d->kind == SEC_HOURS || d->kind == SEC_PER_CASE ||
	                d->kind == SEC_REMOVAL
	            ? value_section(r, d, s)
	            : count_section(r, d, s)) == NULL) {
		json_decref(s);
		return NULL;
	}
	return s;
}

/* A cell of a built section: row key (NULL: the totals), column key or
 * "total"; its count, or -1 when it is hidden or absent. */
static int64_t
shown(json_t *secs, const char *sec, const char *row, const char *col)
{
	json_t *s = NULL, *r = NULL, *rows, *cols, *c = NULL;
	size_t i;

	for (i = 0; i < json_array_size(secs) && s == NULL; i++)
		if (strcmp(json_string_value(
		               json_object_get(json_array_get(secs, i), "id")),
		        sec) == 0)
			s = json_array_get(secs, i);
	if (s == NULL)
		return -1;
	rows = json_object_get(s, "rows");
	if (row == NULL)
		r = json_object_get(s, "totals");
	for (i = 0; row != NULL && i < json_array_size(rows); i++) {
		json_t *x = json_array_get(rows, i);

		if (strcmp(json_string_value(json_object_get(x, "key")), row) ==
		    0)
			r = x;
	}
	if (r == NULL)
		return -1;
	if (strcmp(col, "total") == 0) {
		c = json_object_get(r, "total");
	} else {
		cols = json_object_get(s, "columns");
		for (i = 0; i < json_array_size(cols); i++)
			if (strcmp(json_string_value(json_object_get(
			               json_array_get(cols, i), "key")),
			        col) == 0)
				c = json_array_get(json_object_get(r, "cells"),
				    i);
	}
	c = json_object_get(c, "n");
	return json_is_integer(c) ? json_integer_value(c) : -1;
}

/* A share in per cent of two counts the report shows: hidden where either
 * is hidden (or the smaller under min_cell), so that a share never gives
 * away a count a table hides. */
static json_t *
share_cell(const struct stats_report *r, int64_t part, int64_t whole)
{
	if (part < 0 || whole < 0)
		return json_pack("{s:n, s:s}", "n", "text", "..");
	return value_cell(r,
	    whole > 0 ? 100.0 * (double)part / (double)whole : -1,
	    part < whole ? part : whole, 0);
}

/*
 * The shares of tips that asked for a reply and of those that received
 * one, per department and in all, from the cells the tables show: asked
 * is tips_feedback's receipt and email, tips its total, received the
 * feedback table's.  Placed after the feedback table.
 */
static void
share_section(const struct stats_report *r, json_t *secs)
{
	static const char *const cols[] = { "share_asked", "share_received" };
	json_t *s, *rows = json_array(), *cs = json_array();
	size_t at = json_array_size(secs);

	s = json_pack("{s:s, s:s, s:s, s:s}", "id", "feedback_share", "level",
	    "tips", "title", msg(r, "stats.sec.feedback_share"), "note",
	    msg(r, "stats.note.feedback_share"));
	if (s == NULL || rows == NULL || cs == NULL) {
		json_decref(s);
		json_decref(rows);
		json_decref(cs);
		return;
	}
	for (size_t c = 0; c < ARRAY_SIZE(cols); c++) {
		char id[64];

		snprintf(id, sizeof(id), "stats.col.%s", cols[c]);
		json_array_append_new(cs, json_pack("{s:s, s:s}", "key",
		                              cols[c], "label", msg(r, id)));
	}
	for (size_t i = 0; i <= r->ndepts; i++) {
		const char *k = i < r->ndepts ? r->depts[i].code : NULL;
		int64_t receipt = shown(secs, "tips_feedback", k, "receipt");
		int64_t email = shown(secs, "tips_feedback", k, "email");
		int64_t tips = shown(secs, "tips_feedback", k, "total");
		int64_t got = shown(secs, "feedback", k, "received");
		int64_t asked = receipt < 0 || email < 0 ? -1 : receipt + email;
		json_t *row = i < r->ndepts ? json_pack("{s:s, s:s}", "key", k,
		                                  "label", r->depts[i].name)
		                            : json_object();

		if (row == NULL)
			break;
		json_object_set_new(row, "cells",
		    json_pack("[o, o]", share_cell(r, asked, tips),
		        share_cell(r, got, asked)));
		if (i < r->ndepts)
			json_array_append_new(rows, row);
		else
			json_object_set_new(s, "totals", row);
	}
	json_object_set_new(s, "columns", cs);
	json_object_set_new(s, "rows", rows);
	for (size_t i = 0; i < json_array_size(secs); i++)
		if (strcmp(json_string_value(
		               json_object_get(json_array_get(secs, i), "id")),
		        "feedback") == 0)
			at = i + 1;
	json_array_insert_new(secs, at, s);
}

/* The headline's count for one period: hidden (-1) under min_cell. */
static int64_t
headline_n(const struct stats_report *r, enum stats_which w, const char *k)
{
	int64_t n = 0;

	if (strcmp(k, "classified") == 0)
		n = get(r, w, -1, "hate", "yes") + get(r, w, -1, "hate", "no");
	else if (strcmp(k, "notices") == 0)
		for (size_t i = 0; i < VOCAB_NPLATFORMS; i++)
			n += get(r, w, -1, "notice", vocab_platforms[i]);
	else
		n = get(r, w, -1, k, "");
	return n > 0 && n < r->min_cell ? -1 : n;
}

/* The headline's numbers as the page shows them: ".." hidden, "–" none,
 * changes in whole per cent with their sign. */
static void
headline_texts(json_t *h, bool has_year_before)
{
	static const char *const keys[] = { "n", "previous", "year_before",
		"change_previous", "change_year" };
	char s[32], k[40];

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const json_t *v = json_object_get(h, keys[i]);

		if (json_is_integer(v))
			snprintf(s, sizeof(s), "%lld",
			    (long long)json_integer_value(v));
		else if (json_is_real(v))
			snprintf(s, sizeof(s), "%+.0f %%", json_real_value(v));
		else if (i < 3 && (i != 2 || has_year_before))
			snprintf(s, sizeof(s), "..");
		else
			snprintf(s, sizeof(s), "–");
		snprintf(k, sizeof(k), "%s_text", keys[i]);
		json_object_set_new(h, k, json_string(s));
	}
}

static json_t *
headline(const struct stats_report *r)
{
	static const char *const keys[] = { "tips", "cases", "classified",
		"notices" };
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < sizeof(keys) / sizeof(keys[0]);
	     i++) {
		char id[64];
		int64_t now = headline_n(r, STATS_NOW, keys[i]);
		int64_t prev = headline_n(r, STATS_PREVIOUS, keys[i]);
		int64_t yb = r->has_year_before
		                 ? headline_n(r, STATS_YEAR_BEFORE, keys[i])
		                 : -1;
		double pct;
		json_t *h;

		snprintf(id, sizeof(id), "stats.headline.%s", keys[i]);
		h = json_pack("{s:s, s:s}", "key", keys[i], "label",
		    msg(r, id));
		if (h == NULL)
			break;
		json_object_set_new(h, "n",
		    now < 0 ? json_null() : json_integer(now));
		json_object_set_new(h, "previous",
		    prev < 0 ? json_null() : json_integer(prev));
		json_object_set_new(h, "year_before",
		    yb < 0 || !r->has_year_before ? json_null()
		                                  : json_integer(yb));
		json_object_set_new(h, "change_previous",
		    stats_change(now, prev, r->min_change, &pct)
		        ? json_real(pct)
		        : json_null());
		json_object_set_new(h, "change_year",
		    r->has_year_before &&
		            stats_change(now, yb, r->min_change, &pct)
		        ? json_real(pct)
		        : json_null());
		headline_texts(h, r->has_year_before);
		json_array_append_new(a, h);
	}
	return a;
}

json_t *
stats_report_build(struct stats_report *r)
{
	char name[16], first[11], last[11];
	json_t *m, *secs;

	stats_period_name(&r->period, name, sizeof(name));
	stats_day_str(r->period.first, first);
	stats_day_str(r->period.end - 1, last);
	m = json_pack("{s:s, s:s, s:s, s:I, s:I}", "period", name, "first",
	    first, "last", last, "min_cell", (json_int_t)r->min_cell,
	    "min_change", (json_int_t)r->min_change);
	if (m == NULL)
		return NULL;
	stats_period_name(&r->prev, name, sizeof(name));
	json_object_set_new(m, "previous", json_string(name));
	if (r->has_year_before) {
		stats_period_name(&r->year_before, name, sizeof(name));
		json_object_set_new(m, "year_before", json_string(name));
	} else {
		json_object_set_new(m, "year_before", json_null());
	}
	json_object_set_new(m, "legend", json_string(msg(r, "stats.legend")));
	json_object_set_new(m, "headline", headline(r));
	secs = json_array();
	for (size_t i = 0; secs != NULL && i < ARRAY_SIZE(sections); i++) {
		json_t *s = section(r, &sections[i]);

		if (s == NULL) {
			json_decref(secs);
			secs = NULL;
			break;
		}
		json_array_append_new(secs, s);
	}
	if (secs != NULL)
		share_section(r, secs);
	if (secs == NULL || json_object_set_new(m, "sections", secs) == -1) {
		json_decref(m);
		return NULL;
	}
	return m;
}

/* ------------------------------------------------------------ text */

/* Characters, not bytes, for lining up UTF-8. */
static size_t
width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void
pad(struct buf *b, const char *s, size_t w, bool right)
{
	size_t n = width(s);

	if (right)
		for (; n < w; n++)
			buf_puts(b, " ");
	buf_puts(b, s);
	if (!right)
		for (; n < w; n++)
			buf_puts(b, " ");
}

static const char *
text_of(const json_t *cell)
{
	const char *s = json_string_value(json_object_get(cell, "text"));

	return s != NULL ? s : "";
}

/* Keys label the rows and columns: short, and the same in every
 * language; the titles say what the table is. */
static void
text_section(const json_t *s, struct buf *b)
{
	const json_t *cols = json_object_get(s, "columns");
	const json_t *rows = json_object_get(s, "rows");
	const json_t *totals = json_object_get(s, "totals");
	bool has_total = json_object_get(totals, "total") != NULL;
	size_t nc = json_array_size(cols), w0 = 5, *w;
	size_t nr = json_array_size(rows);
	const char *note = json_string_value(json_object_get(s, "note"));

	w = calloc(nc + 1, sizeof(*w));
	if (w == NULL) {
		b->err = true;
		return;
	}
	for (size_t c = 0; c < nc; c++)
		w[c] = width(json_string_value(
		    json_object_get(json_array_get(cols, c), "key")));
	w[nc] = 5;
	for (size_t i = 0; i <= nr; i++) {
		const json_t *row = i < nr ? json_array_get(rows, i) : totals;
		const json_t *cells = json_object_get(row, "cells");
		const char *k = json_string_value(json_object_get(row, "key"));

		if (k != NULL && width(k) > w0)
			w0 = width(k);
		for (size_t c = 0; c < nc; c++)
			if (width(text_of(json_array_get(cells, c))) > w[c])
				w[c] = width(text_of(json_array_get(cells, c)));
		if (has_total &&
		    width(text_of(json_object_get(row, "total"))) > w[nc])
			w[nc] = width(text_of(json_object_get(row, "total")));
	}
	buf_printf(b, "\n%s\n", json_string_value(json_object_get(s, "title")));
	if (note != NULL)
		buf_printf(b, "%s\n", note);
	pad(b, "", w0, false);
	for (size_t c = 0; c < nc; c++) {
		buf_puts(b, "  ");
		pad(b,
		    json_string_value(
		        json_object_get(json_array_get(cols, c), "key")),
		    w[c], true);
	}
	if (has_total) {
		buf_puts(b, "  ");
		pad(b, "total", w[nc], true);
	}
	buf_puts(b, "\n");
	for (size_t i = 0; i <= nr; i++) {
		const json_t *row = i < nr ? json_array_get(rows, i) : totals;
		const json_t *cells = json_object_get(row, "cells");
		const char *k = json_string_value(json_object_get(row, "key"));

		pad(b, k != NULL ? k : "total", w0, false);
		for (size_t c = 0; c < nc; c++) {
			buf_puts(b, "  ");
			pad(b, text_of(json_array_get(cells, c)), w[c], true);
		}
		if (has_total) {
			buf_puts(b, "  ");
			pad(b, text_of(json_object_get(row, "total")), w[nc],
			    true);
		}
		buf_puts(b, "\n");
	}
	free(w);
}

static void
text_number(struct buf *b, const json_t *v, bool pct)
{
	if (json_is_integer(v))
		buf_printf(b, "%12lld", (long long)json_integer_value(v));
	else if (json_is_real(v) && pct)
		buf_printf(b, "%+11.1f%%", json_real_value(v));
	else
		buf_printf(b, "%12s", "..");
}

void
stats_report_text(const json_t *m, struct buf *b)
{
	const json_t *h = json_object_get(m, "headline");
	const json_t *secs = json_object_get(m, "sections");
	const char *yb = json_string_value(json_object_get(m, "year_before"));

	buf_printf(b, "%s (%s - %s)\n",
	    json_string_value(json_object_get(m, "period")),
	    json_string_value(json_object_get(m, "first")),
	    json_string_value(json_object_get(m, "last")));
	buf_printf(b, "%-12s%12s%12s%12s%12s%12s\n", "", "now",
	    json_string_value(json_object_get(m, "previous")), "change",
	    yb != NULL ? yb : "-", "change");
	for (size_t i = 0; i < json_array_size(h); i++) {
		const json_t *x = json_array_get(h, i);

		buf_printf(b, "%-12s",
		    json_string_value(json_object_get(x, "key")));
		text_number(b, json_object_get(x, "n"), false);
		text_number(b, json_object_get(x, "previous"), false);
		text_number(b, json_object_get(x, "change_previous"), true);
		text_number(b, json_object_get(x, "year_before"), false);
		text_number(b, json_object_get(x, "change_year"), true);
		buf_puts(b, "\n");
	}
	buf_printf(b, "\n%s\n",
	    json_string_value(json_object_get(m, "legend")));
	for (size_t i = 0; i < json_array_size(secs); i++)
		text_section(json_array_get(secs, i), b);
}

/* ------------------------------------------------------------ CSV */

static void
csv_str(struct buf *b, const char *s, bool last)
{
	if (s == NULL)
		s = "";
	stats_csv_cell(b, s, strlen(s));
	buf_puts(b, last ? "\r\n" : ",");
}

static void
csv_line(struct buf *b, const char *period, const char *sec, const json_t *row,
    const char *rowkey, const json_t *col, const char *colkey,
    const json_t *cell)
{
	const json_t *n = json_object_get(cell, "n");
	char v[32] = "";

	if (json_is_integer(n))
		snprintf(v, sizeof(v), "%lld",
		    (long long)json_integer_value(n));
	else if (json_is_real(n))
		snprintf(v, sizeof(v), "%s", text_of(cell));
	csv_str(b, period, false);
	csv_str(b, sec, false);
	csv_str(b, rowkey, false);
	csv_str(b, json_string_value(json_object_get(row, "label")), false);
	csv_str(b, colkey, false);
	csv_str(b, json_string_value(json_object_get(col, "label")), false);
	csv_str(b, v, false);
	csv_str(b, strcmp(text_of(cell), "..") == 0 ? "1" : "0", true);
}

void
stats_report_csv(const json_t *m, struct buf *b)
{
	const char *period = json_string_value(json_object_get(m, "period"));
	const json_t *secs = json_object_get(m, "sections");
	const json_t *h = json_object_get(m, "headline");
	static const char *const hk[] = { "n", "previous", "year_before" };

	buf_puts(b, "period,section,row,row_label,column,column_label,count,"
	            "suppressed\r\n");
	for (size_t i = 0; i < json_array_size(h); i++) {
		const json_t *x = json_array_get(h, i);

		for (size_t k = 0; k < ARRAY_SIZE(hk); k++) {
			const json_t *n = json_object_get(x, hk[k]);
			json_t *cell =
			    json_is_integer(n)
			        ? count_cell(json_integer_value(n), false)
			        : count_cell(0, true);

			if (k == 2 &&
			    json_is_null(json_object_get(m, "year_before"))) {
				json_decref(cell);
				continue;
			}
			csv_line(b, period, "headline", x,
			    json_string_value(json_object_get(x, "key")), NULL,
			    hk[k], cell);
			json_decref(cell);
		}
	}
	for (size_t i = 0; i < json_array_size(secs); i++) {
		const json_t *s = json_array_get(secs, i);
		const json_t *cols = json_object_get(s, "columns");
		const json_t *rows = json_object_get(s, "rows");
		const json_t *totals = json_object_get(s, "totals");
		const char *id = json_string_value(json_object_get(s, "id"));
		size_t nr = json_array_size(rows);

		for (size_t r = 0; r <= nr; r++) {
			const json_t *row =
			    r < nr ? json_array_get(rows, r) : totals;
			const char *rk =
			    json_string_value(json_object_get(row, "key"));
			const json_t *cells = json_object_get(row, "cells");

			if (rk == NULL)
				rk = "total";
			for (size_t c = 0; c < json_array_size(cols); c++) {
				const json_t *col = json_array_get(cols, c);

				csv_line(b, period, id, row, rk, col,
				    json_string_value(
				        json_object_get(col, "key")),
				    json_array_get(cells, c));
			}
			if (json_object_get(row, "total") != NULL)
				csv_line(b, period, id, row, rk, NULL, "total",
				    json_object_get(row, "total"));
		}
	}
}

/* ------------------------------------------------------------ trend */

/*
 * Each week's motives are laid out and suppressed exactly as that week's
 * own report lays out its table of tips by department and motive (the
 * same departments, the same counts, the same stats_suppress()), and the
 * trend shows that table's totals row: so a count hidden in a week's
 * report is hidden here too, and no cell shown here but hidden there (or
 * the other way round) lets one be worked out from the other.  The weeks
 * are not summed: a column of totals over weeks would be an equation
 * that no report has.
 */

#define TREND_MAX_WEEKS 54
#define TREND_NCOLS     ARRAY_SIZE(motive_cols)

const char stats_trend_sql[] =
    "SELECT date_trunc('week', day)::date - date '1970-01-01', "
    "department_id, dim, val, sum(n)::bigint FROM stats_day "
    "WHERE day >= $1::date AND day < $2::date "
    "AND dim IN ('motive', 'decide_h') "
    "AND ($3::smallint IS NULL OR department_id = $3::smallint) "
    "GROUP BY 1, 2, 3, 4";

struct stats_trend {
	enum lang lang;
	int64_t min_cell;
	int32_t first; /* the first week's Monday */
	int nweeks;
	int depts[64]; /* the report's departments, in its order */
	int ndepts;
	int64_t *motive; /* nweeks x ndepts x TREND_NCOLS, once loaded */
	int64_t *decide; /* nweeks x HIST_MAX */
};

struct stats_trend *
stats_trend_new(const struct stats_period *p, enum lang lang, int64_t min_cell)
{
	struct stats_trend *t = calloc(1, sizeof(*t));
	struct stats_period w;

	if (t == NULL)
		return NULL;
	t->lang = lang;
	t->min_cell = min_cell < 1 ? 1 : min_cell;
	stats_period_of(STATS_WEEK, p->first, &w);
	t->first = p->span == STATS_WEEK ? w.first - 11 * 7 : w.first;
	t->nweeks = (int)((p->end - t->first + 6) / 7);
	if (t->nweeks > TREND_MAX_WEEKS)
		t->nweeks = TREND_MAX_WEEKS;
	t->decide = calloc((size_t)t->nweeks * HIST_MAX, sizeof(*t->decide));
	if (t->decide == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

void
stats_trend_free(struct stats_trend *t)
{
	if (t == NULL)
		return;
	free(t->motive);
	free(t->decide);
	free(t);
}

int
stats_trend_department(struct stats_trend *t, int id)
{
	if (t->motive != NULL || t->ndepts == (int)ARRAY_SIZE(t->depts))
		return -1;
	t->depts[t->ndepts++] = id;
	return 0;
}

void
stats_trend_params(const struct stats_trend *t, int department,
    char bufs[STATS_TREND_NPARAMS][16], const char *values[STATS_TREND_NPARAMS])
{
	stats_day_str(t->first, bufs[0]);
	stats_day_str(t->first + t->nweeks * 7, bufs[1]);
	snprintf(bufs[2], 16, "%d", department);
	for (int i = 0; i < STATS_TREND_NPARAMS; i++)
		values[i] = bufs[i];
	if (department <= 0)
		values[2] = NULL;
}

int
stats_trend_load(struct stats_trend *t, const PGresult *res)
{
	if (t->motive == NULL &&
	    (t->motive = calloc((size_t)t->nweeks * (size_t)(t->ndepts + 1) *
	                            TREND_NCOLS,
	         sizeof(*t->motive))) == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		long wk = strtol(PQgetvalue(res, i, 0), NULL, 10);
		int dep = (int)strtol(PQgetvalue(res, i, 1), NULL, 10);
		const char *dim = PQgetvalue(res, i, 2);
		const char *val = PQgetvalue(res, i, 3);
		int64_t n = strtoll(PQgetvalue(res, i, 4), NULL, 10);
		long w = (wk - t->first) / 7;
		int c, d;

		if (wk < t->first || w >= t->nweeks)
			continue;
		if (strcmp(dim, "motive") == 0) {
			for (d = 0; d < t->ndepts && t->depts[d] != dep; d++)
				;
			c = vocab_find(motive_cols, TREND_NCOLS, val,
			    strlen(val));
			if (d < t->ndepts && c >= 0)
				t->motive[((size_t)w * (size_t)t->ndepts +
				              (size_t)d) *
				              TREND_NCOLS +
				          (size_t)c] += n;
		} else {
			long long h = strtoll(val, NULL, 10);

			if (h < 0 || h >= HIST_MAX)
				h = HIST_MAX - 1;
			t->decide[(size_t)w * HIST_MAX + (size_t)h] += n;
		}
	}
	return 0;
}

/* Week w's table of departments by motive, suppressed as its report's. */
static int
trend_week(const struct stats_trend *t, int w, struct stats_table *tab)
{
	if (stats_table_init(tab, t->ndepts, (int)TREND_NCOLS, true) == -1)
		return -1;
	for (int d = 0; d < t->ndepts; d++)
		for (size_t c = 0; c < TREND_NCOLS; c++)
			*stats_cell(tab, d, (int)c) =
			    t->motive == NULL
			        ? 0
			        : t->motive[((size_t)w * (size_t)t->ndepts +
			                        (size_t)d) *
			                        TREND_NCOLS +
			                    c];
	stats_table_total(tab);
	stats_suppress(tab, t->min_cell);
	return 0;
}

json_t *
stats_trend_build(struct stats_trend *t)
{
	json_t *m, *weeks = json_array(), *rows = json_array();
	json_t *drows = json_array(), *series = json_array();
	json_t *totals = json_array(), *line = json_array(), *cols;
	int64_t *vals = calloc(HIST_MAX, sizeof(*vals));
	struct stats_report lr = { .lang = t->lang, .min_cell = t->min_cell };

	if (vals == NULL || weeks == NULL || rows == NULL || drows == NULL ||
	    series == NULL || totals == NULL || line == NULL)
		goto fail;
	for (int64_t v = 0; v < HIST_MAX; v++)
		vals[v] = v;
	for (size_t c = 0; c < TREND_NCOLS; c++)
		json_array_append_new(series,
		    json_pack("{s:s, s:[]}", "label",
		        label(&lr, "form.motive.", motive_cols[c]), "values"));
	for (int w = 0; w < t->nweeks; w++) {
		struct stats_table tab;
		struct stats_period p;
		char name[16];
		json_t *cells = json_array(), *row, *cell;
		int64_t *hist = t->decide + (size_t)w * HIST_MAX, base = 0;
		int R = t->ndepts, C = (int)TREND_NCOLS;

		if (cells == NULL || trend_week(t, w, &tab) == -1) {
			json_decref(cells);
			goto fail;
		}
		for (int c = 0; c < C; c++) {
			bool h = stats_hidden(&tab, R, c) != STATS_SHOWN;
			int64_t n = *stats_cell(&tab, R, c);

			json_array_append_new(cells, count_cell(n, h));
			json_array_append_new(
			    json_object_get(json_array_get(series, (size_t)c),
			        "values"),
			    h ? json_null() : json_integer(n));
		}
		stats_period_of(STATS_WEEK, t->first + w * 7, &p);
		stats_period_name(&p, name, sizeof(name));
		row = json_pack("{s:s, s:s, s:o, s:o}", "key", name, "label",
		    name, "cells", cells, "total",
		    count_cell(*stats_cell(&tab, R, C),
		        stats_hidden(&tab, R, C) != STATS_SHOWN));
		json_array_append_new(totals,
		    stats_hidden(&tab, R, C) != STATS_SHOWN
		        ? json_null()
		        : json_integer(*stats_cell(&tab, R, C)));
		stats_table_reset(&tab);
		json_array_append_new(rows, row);
		json_array_append_new(weeks, json_string(name));

		for (int h = 0; h < HIST_MAX; h++)
			base += hist[h];
		cell = value_cell(&lr,
		    (double)stats_quantile(vals, hist, HIST_MAX, 0.5), base, 0);
		json_array_append_new(line,
		    json_is_number(json_object_get(cell, "n"))
		        ? json_real(
		              json_number_value(json_object_get(cell, "n")))
		        : json_null());
		json_array_append_new(drows,
		    json_pack("{s:s, s:s, s:[o]}", "key", name, "label", name,
		        "cells", cell));
	}
	cols = json_array();
	for (size_t c = 0; c < TREND_NCOLS; c++)
		json_array_append_new(cols,
		    json_pack("{s:s, s:s}", "key", motive_cols[c], "label",
		        label(&lr, "form.motive.", motive_cols[c])));
	m = json_pack("{s:o, "
	              "s:{s:s, s:s, s:o, s:o}, "
	              "s:{s:s, s:s, s:[{s:s, s:s}], s:o}, "
	              "s:{s:s, s:s, s:s, s:O, s:o, s:o}, "
	              "s:{s:s, s:s, s:O, s:o}}",
	    "weeks", weeks, "motives", "title", msg(&lr, "stats.trend.motives"),
	    "note", msg(&lr, "stats.note.trend"), "columns", cols, "rows", rows,
	    "decide", "title", msg(&lr, "stats.trend.decide"), "note",
	    msg(&lr, "stats.note.handling_time"), "columns", "key",
	    "decide_p50", "label", msg(&lr, "stats.col.decide_p50"), "rows",
	    drows, "bars", "title", msg(&lr, "stats.trend.motives"), "desc",
	    msg(&lr, "stats.chart.desc"), "hidden",
	    msg(&lr, "stats.chart.hidden"), "labels", weeks, "series", series,
	    "totals", totals, "line", "title", msg(&lr, "stats.trend.decide"),
	    "desc", msg(&lr, "stats.chart.desc"), "labels", weeks, "values",
	    line);
	free(vals);
	return m;

fail:
	json_decref(weeks);
	json_decref(rows);
	json_decref(drows);
	json_decref(series);
	json_decref(totals);
	json_decref(line);
	free(vals);
	return NULL;
}
