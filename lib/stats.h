/*
 * The arithmetic of the published figures, pure and shared by the console
 * and `tiplinectl stats`: periods (ISO weeks, months, years, in Finnish
 * days), tables of counts with their totals and the cells a publication
 * must hide, percentage changes that small counts do not get, quantiles
 * from the rollup's histograms, and CSV cells a spreadsheet will not run.
 */
#ifndef TL_STATS_H
#define TL_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "util.h"

enum stats_span {
	STATS_WEEK,
	STATS_MONTH,
	STATS_YEAR,
};

struct stats_period {
	enum stats_span span;
	int year; /* the ISO year for a week */
	int num;  /* the ISO week (1-53) or the month (1-12); 0 for a year */
	int32_t first; /* its first day, in days since 1970-01-01 */
	int32_t end;   /* the day after its last */
};

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int32_t stats_days(int year, int month, int day);
/* The day in Finland (EET, EEST from the last Sunday of March to the last
 * Sunday of October, 01:00 UTC) at t seconds since the epoch. */
int32_t stats_finnish_day(int64_t t);
/* YYYY-MM-DD of a day; out holds at least 11 bytes. */
void stats_day_str(int32_t day, char *out);

/*
 * "2026-W47", "2026-11" or "2026": years 2000-2999, weeks that the year
 * has.  Returns 0, or -1 with *errstr set to a static message.
 */
TL_MUSTCHECK int stats_period_parse(const char *, struct stats_period *,
    const char **);
/* The period of the span that holds the day. */
void stats_period_of(enum stats_span, int32_t day, struct stats_period *);
/* The period just before. */
void stats_period_prev(const struct stats_period *, struct stats_period *);
/* The same week, month or year one year earlier; -1 for week 53 of a year
 * whose previous year had 52. */
TL_MUSTCHECK int stats_period_year_before(const struct stats_period *,
    struct stats_period *);
/* "2026-W47", "2026-11" or "2026". */
void stats_period_name(const struct stats_period *, char *, size_t);

/*
 * A table of counts: nrows x ncols cells, a last row of column totals and,
 * when rows_add, a last column of row totals.  hide says which cells a
 * publication must not show: STATS_PRIMARY (a count from 1 to min - 1)
 * or STATS_SECONDARY (hidden so that a primary one cannot be worked out
 * from the totals and the cells shown).
 */
enum {
	STATS_SHOWN = 0,
	STATS_PRIMARY = 1,
	STATS_SECONDARY = 2,
};

struct stats_table {
	int nrows;
	int ncols;
	bool rows_add;
	int64_t *n;    /* (nrows + 1) x (ncols + 1), by rows */
	uint8_t *hide; /* the same shape */
};

/* Caller resets with stats_table_reset(). */
TL_MUSTCHECK int stats_table_init(struct stats_table *, int nrows, int ncols,
    bool rows_add);
void stats_table_reset(struct stats_table *);
/* The cell at r, c; r == nrows is the totals row, c == ncols the totals
 * column. */
int64_t *stats_cell(const struct stats_table *, int r, int c);
uint8_t stats_hidden(const struct stats_table *, int r, int c);
/* Fills the totals from the cells. */
void stats_table_total(struct stats_table *);
/*
 * Hides every count from 1 to min - 1 (totals included), then as few
 * other cells as it takes, the smallest first and totals last, until no
 * hidden cell can be worked out exactly from the ones shown: in the graph
 * whose vertices are the table's lines and whose edges are its hidden
 * cells, no hidden cell is then a bridge, so each lies on a cycle that can
 * shift counts without changing a total.  Deterministic: the same counts
 * always hide the same cells.
 */
void stats_suppress(struct stats_table *, int64_t min);

/*
 * The change from before to now in per cent, or false where either count
 * is below min (a change from 1 to 3 is not "+200 %") or before is 0.
 */
bool stats_change(int64_t now, int64_t before, int64_t min, double *pct);

/*
 * The q-quantile (0 < q <= 1, nearest rank) of a histogram: values in
 * ascending order, each with its count.  -1 when the counts are all 0.
 */
int64_t stats_quantile(const int64_t *values, const int64_t *counts, size_t n,
    double q);

/* Appends one CSV field (RFC 4180 quoting); a field that a spreadsheet
 * would take for a formula (=, +, -, @, tab, CR) becomes text, quoted and
 * led by an apostrophe. */
void stats_csv_cell(struct buf *, const char *, size_t);

#endif
