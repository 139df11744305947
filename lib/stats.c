/*
 * Periods, suppression, changes, quantiles and CSV for the statistics: see
 * stats.h.  Dates are whole days counted from 1970-01-01 (the rollup's
 * days are already Finnish days), converted with the civil-calendar
 * algorithms of H. Hinnant's "chrono-Compatible Low-Level Date
 * Algorithms".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

int32_t
stats_days(int year, int month, int day)
{
	int y = year - (month <= 2);
	int era = (y >= 0 ? y : y - 399) / 400;
	int yoe = y - era * 400;
	int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static void
civil(int32_t z, int *year, int *month, int *day)
{
	int era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*day = doy - (153 * mp + 2) / 5 + 1;
	*month = mp < 10 ? mp + 3 : mp - 9;
	*year = yoe + era * 400 + (*month <= 2);
}

void
stats_day_str(int32_t z, char *out)
{
	int y, m, d;

	civil(z, &y, &m, &d);
	y = y < 0 ? 0 : y % 10000;
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = '\0';
}

/* 1 for Monday to 7 for Sunday; 1970-01-01 was a Thursday. */
static int
weekday(int32_t z)
{
	return (int)(((z % 7) + 7 + 3) % 7) + 1;
}

int32_t
stats_finnish_day(int64_t t)
{
	int64_t day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int y, m, d, off;
	int32_t mar31, oct31;
	int64_t start, end, local;

	civil((int32_t)day, &y, &m, &d);
	mar31 = stats_days(y, 3, 31);
	oct31 = stats_days(y, 10, 31);
	start = (int64_t)(mar31 - weekday(mar31) % 7) * 86400 + 3600;
	end = (int64_t)(oct31 - weekday(oct31) % 7) * 86400 + 3600;
	off = t >= start && t < end ? 3 : 2;
	local = t + off * 3600;
	return (
	    int32_t)(local >= 0 ? local / 86400 : -((-local + 86399) / 86400));
}

/* The Monday of the ISO year's first week, the one that holds 4 January. */
static int32_t
week1(int year)
{
	int32_t j4 = stats_days(year, 1, 4);

	return j4 - (weekday(j4) - 1);
}

static int
weeks_in(int year)
{
	return (int)((week1(year + 1) - week1(year)) / 7);
}

static void
set_week(struct stats_period *p, int year, int week)
{
	p->span = STATS_WEEK;
	p->year = year;
	p->num = week;
	p->first = week1(year) + (week - 1) * 7;
	p->end = p->first + 7;
}

static void
set_month(struct stats_period *p, int year, int month)
{
	p->span = STATS_MONTH;
	p->year = year;
	p->num = month;
	p->first = stats_days(year, month, 1);
	p->end = month == 12 ? stats_days(year + 1, 1, 1)
	                     : stats_days(year, month + 1, 1);
}

static void
set_year(struct stats_period *p, int year)
{
	p->span = STATS_YEAR;
	p->year = year;
	p->num = 0;
	p->first = stats_days(year, 1, 1);
	p->end = stats_days(year + 1, 1, 1);
}

/* Exactly n decimal digits at s; -1 otherwise. */
static int
digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int
stats_period_parse(const char *s, struct stats_period *p, const char **errstr)
{
	size_t len = strlen(s);
	int year, num;

	*errstr = "not a week (2026-W47), a month (2026-11) or a year (2026)";
	if (len < 4 || (year = digits(s, 4)) < 0)
		return -1;
	if (year < 2000 || year > 2999) {
		*errstr = "the year is not between 2000 and 2999";
		return -1;
	}
	if (len == 4) {
		set_year(p, year);
		return 0;
	}
	if (s[4] != '-')
		return -1;
	if (len == 8 && s[5] == 'W' && (num = digits(s + 6, 2)) >= 0) {
		if (num < 1 || num > weeks_in(year)) {
			*errstr = "the year has no such week";
			return -1;
		}
		set_week(p, year, num);
		return 0;
	}
	if (len == 7 && (num = digits(s + 5, 2)) >= 0) {
		if (num < 1 || num > 12) {
			*errstr = "no such month";
			return -1;
		}
		set_month(p, year, num);
		return 0;
	}
	return -1;
}

void
stats_period_of(enum stats_span span, int32_t day, struct stats_period *p)
{
	int y, m, d;

	civil(day, &y, &m, &d);
	switch (span) {
	case STATS_WEEK:
		if (day < week1(y))
			y--;
		else if (day >= week1(y + 1))
			y++;
		set_week(p, y, (int)((day - week1(y)) / 7) + 1);
		break;
	case STATS_MONTH:
		set_month(p, y, m);
		break;
	case STATS_YEAR:
		set_year(p, y);
		break;
	}
}

void
stats_period_prev(const struct stats_period *p, struct stats_period *out)
{
	stats_period_of(p->span, p->first - 1, out);
}

int
stats_period_year_before(const struct stats_period *p, struct stats_period *out)
{
	switch (p->span) {
	case STATS_WEEK:
		if (p->num > weeks_in(p->year - 1))
			return -1;
		set_week(out, p->year - 1, p->num);
		break;
	case STATS_MONTH:
		set_month(out, p->year - 1, p->num);
		break;
	case STATS_YEAR:
		set_year(out, p->year - 1);
		break;
	}
	return 0;
}

void
stats_period_name(const struct stats_period *p, char *out, size_t len)
{
	switch (p->span) {
	case STATS_WEEK:
		snprintf(out, len, "%04d-W%02d", p->year, p->num);
		break;
	case STATS_MONTH:
		snprintf(out, len, "%04d-%02d", p->year, p->num);
		break;
	case STATS_YEAR:
		snprintf(out, len, "%04d", p->year);
		break;
	}
}

/* ------------------------------------------------------------ tables */

int
stats_table_init(struct stats_table *t, int nrows, int ncols, bool rows_add)
{
	size_t cells;

	memset(t, 0, sizeof(*t));
	if (nrows < 0 || ncols < 0 || nrows > 4096 || ncols > 4096)
		return -1;
	cells = (size_t)(nrows + 1) * (size_t)(ncols + 1);
	t->n = calloc(cells, sizeof(*t->n));
	t->hide = calloc(cells, sizeof(*t->hide));
	if (t->n == NULL || t->hide == NULL) {
		stats_table_reset(t);
		return -1;
	}
	t->nrows = nrows;
	t->ncols = ncols;
	t->rows_add = rows_add;
	return 0;
}

void
stats_table_reset(struct stats_table *t)
{
	free(t->n);
	free(t->hide);
	memset(t, 0, sizeof(*t));
}

static size_t
at(const struct stats_table *t, int r, int c)
{
	return (size_t)r * (size_t)(t->ncols + 1) + (size_t)c;
}

int64_t *
stats_cell(const struct stats_table *t, int r, int c)
{
	return &t->n[at(t, r, c)];
}

uint8_t
stats_hidden(const struct stats_table *t, int r, int c)
{
	return t->hide[at(t, r, c)];
}

void
stats_table_total(struct stats_table *t)
{
	for (int c = 0; c <= t->ncols; c++)
		*stats_cell(t, t->nrows, c) = 0;
	for (int r = 0; r < t->nrows; r++) {
		int64_t sum = 0;

		for (int c = 0; c < t->ncols; c++) {
			sum += *stats_cell(t, r, c);
			*stats_cell(t, t->nrows, c) += *stats_cell(t, r, c);
		}
		*stats_cell(t, r, t->ncols) = t->rows_add ? sum : 0;
		*stats_cell(t, t->nrows, t->ncols) += t->rows_add ? sum : 0;
	}
}

/*
 * The graph of suppression.  Each line that has a total is a vertex (with
 * signs, every row and column of the table with its totals adds up to 0:
 * the totals row and column are lines too); each cell is an edge between
 * its row and its column.  Where rows do not add up (rows_add false) they
 * constrain nothing, so all rows are one vertex and the totals column is
 * not part of the table.
 */
struct graph {
	const struct stats_table *t;
	int nrowv;  /* row vertices */
	int ncells; /* cells taking part */
	int ncolc;  /* columns taking part */
	int *queue;
	uint8_t *seen;
};

static int
row_v(const struct graph *g, int r)
{
	return g->t->rows_add ? r : 0;
}

static int
col_v(const struct graph *g, int c)
{
	return g->nrowv + c;
}

static void
cell_rc(const struct graph *g, int e, int *r, int *c)
{
	*r = e / g->ncolc;
	*c = e % g->ncolc;
}

static bool
hidden_e(const struct graph *g, int e)
{
	int r, c;

	cell_rc(g, e, &r, &c);
	return g->t->hide[at(g->t, r, c)] != STATS_SHOWN;
}

/* Marks in g->seen the vertices reached from v over hidden cells but skip. */
static void
reach(struct graph *g, int v, int skip)
{
	int head = 0, tail = 0, nv = g->nrowv + g->ncolc;

	memset(g->seen, 0, (size_t)nv);
	g->seen[v] = 1;
	g->queue[tail++] = v;
	while (head < tail) {
		int u = g->queue[head++];

		for (int e = 0; e < g->ncells; e++) {
			int r, c, a, b, w;

			if (e == skip || !hidden_e(g, e))
				continue;
			cell_rc(g, e, &r, &c);
			a = row_v(g, r);
			b = col_v(g, c);
			if (a == u)
				w = b;
			else if (b == u)
				w = a;
			else
				continue;
			if (!g->seen[w]) {
				g->seen[w] = 1;
				g->queue[tail++] = w;
			}
		}
	}
}

static int
degree(const struct graph *g, int v)
{
	int d = 0;

	for (int e = 0; e < g->ncells; e++) {
		int r, c;

		if (!hidden_e(g, e))
			continue;
		cell_rc(g, e, &r, &c);
		d += (row_v(g, r) == v) + (col_v(g, c) == v);
	}
	return d;
}

/* Orders candidates: the better first (smaller key). */
static bool
better(const struct graph *g, int e, int rank, int best, int best_rank)
{
	int r, c, br, bc;
	int64_t n, bn;
	bool margin, bmargin;

	if (best < 0)
		return true;
	if (rank != best_rank)
		return rank < best_rank;
	cell_rc(g, e, &r, &c);
	cell_rc(g, best, &br, &bc);
	margin = r == g->t->nrows || c == g->t->ncols;
	bmargin = br == g->t->nrows || bc == g->t->ncols;
	if (margin != bmargin)
		return !margin;
	n = *stats_cell(g->t, r, c);
	bn = *stats_cell(g->t, br, bc);
	if ((n == 0) != (bn == 0))
		return n != 0;
	if (n != bn)
		return n < bn;
	return e < best;
}

/*
 * Hides one more cell to put the bridge e on a cycle, or to bring it
 * closer to one: where an end of e has no other hidden cell, another cell
 * of that line (one whose other line already has hidden cells first, so
 * that a rectangle closes); otherwise a cell between the two sides the
 * bridge joins.  Returns false when no cell is left to hide.
 */
static bool
mend(struct graph *g, int e)
{
	int r, c, a, b, lone = -1, best = -1, best_rank = 0;
	uint8_t *side;
	int nv = g->nrowv + g->ncolc;

	cell_rc(g, e, &r, &c);
	a = row_v(g, r);
	b = col_v(g, c);
	if (degree(g, a) == 1)
		lone = a;
	else if (degree(g, b) == 1)
		lone = b;
	side = calloc((size_t)nv, 1);
	if (side == NULL)
		return false;
	reach(g, a, e);
	memcpy(side, g->seen, (size_t)nv); /* a's side */
	reach(g, b, e);                    /* g->seen: b's side */
	for (int f = 0; f < g->ncells; f++) {
		int fr, fc, u, v, rank;

		if (hidden_e(g, f))
			continue;
		cell_rc(g, f, &fr, &fc);
		u = row_v(g, fr);
		v = col_v(g, fc);
		if (lone >= 0) {
			int other;

			if (u != lone && v != lone)
				continue;
			other = u == lone ? v : u;
			rank = degree(g, other) > 0 ? 0 : 1;
		} else {
			if (side[u] == side[v])
				continue;
			/* Closing a cycle through e first. */
			rank =
			    (side[u] && g->seen[v]) || (side[v] && g->seen[u])
			        ? 0
			        : 1;
		}
		if (better(g, f, rank, best, best_rank)) {
			best = f;
			best_rank = rank;
		}
	}
	free(side);
	if (best < 0)
		return false;
	cell_rc(g, best, &r, &c);
	g->t->hide[at(g->t, r, c)] = STATS_SECONDARY;
	return true;
}

void
stats_suppress(struct stats_table *t, int64_t min)
{
	struct graph g;
	int nrowl = t->nrows + 1, nv;

	memset(&g, 0, sizeof(g));
	g.t = t;
	g.nrowv = t->rows_add ? nrowl : 1;
	g.ncolc = t->rows_add ? t->ncols + 1 : t->ncols;
	g.ncells = nrowl * g.ncolc;
	nv = g.nrowv + g.ncolc;

	memset(t->hide, 0, (size_t)nrowl * (size_t)(t->ncols + 1));
	for (int r = 0; r <= t->nrows; r++)
		for (int c = 0; c <= t->ncols; c++) {
			int64_t n = *stats_cell(t, r, c);

			if (n > 0 && n < min)
				t->hide[at(t, r, c)] = STATS_PRIMARY;
		}
	g.queue = calloc((size_t)nv, sizeof(*g.queue));
	g.seen = calloc((size_t)nv, 1);
	if (g.queue == NULL || g.seen == NULL)
		goto hide_all;
	for (;;) {
		int bridge = -1;

		for (int e = 0; e < g.ncells && bridge < 0; e++) {
			int r, c;

			if (!hidden_e(&g, e))
				continue;
			cell_rc(&g, e, &r, &c);
			reach(&g, row_v(&g, r), e);
			if (!g.seen[col_v(&g, c)])
				bridge = e;
		}
		if (bridge < 0)
			break;
		if (!mend(&g, bridge))
			goto hide_all;
	}
	free(g.queue);
	free(g.seen);
	return;

hide_all:
	/* Out of memory or of cells: show nothing rather than too much. */
	free(g.queue);
	free(g.seen);
	for (int r = 0; r <= t->nrows; r++)
		for (int c = 0; c <= t->ncols; c++)
			if (t->hide[at(t, r, c)] == STATS_SHOWN &&
			    *stats_cell(t, r, c) > 0)
				t->hide[at(t, r, c)] = STATS_SECONDARY;
}

/* ------------------------------------------------------------ the rest */

bool
stats_change(int64_t now, int64_t before, int64_t min, double *pct)
{
	if (now < min || before < min || before <= 0)
		return false;
	*pct = 100.0 * (double)(now - before) / (double)before;
	return true;
}

int64_t
stats_quantile(const int64_t *values, const int64_t *counts, size_t n, double q)
{
	int64_t total = 0, rank, run = 0;

	for (size_t i = 0; i < n; i++)
		total += counts[i];
	if (total <= 0)
		return -1;
	/* Nearest rank: the smallest value with at least q of all at or
	 * below it. */
	rank = (int64_t)(q * (double)total);
	if ((double)rank < q * (double)total)
		rank++;
	if (rank < 1)
		rank = 1;
	for (size_t i = 0; i < n; i++) {
		run += counts[i];
		if (run >= rank)
			return values[i];
	}
	return values[n - 1];
}

void
stats_csv_cell(struct buf *b, const char *s, size_t len)
{
	bool formula =
	    len > 0 && s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
	bool quote = formula;

	for (size_t i = 0; i < len && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' ||
		        s[i] == '\r' || s[i] == ';';
	if (!quote) {
		buf_append(b, s, len);
		return;
	}
	buf_puts(b, formula ? "\"'" : "\"");
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"')
			buf_puts(b, "\"\"");
		else
			buf_append(b, s + i, 1);
	}
	buf_puts(b, "\"");
}
