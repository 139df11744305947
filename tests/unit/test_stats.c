/*
 * Unit tests of the statistics' arithmetic: ISO weeks at the year's edges,
 * months and years; suppression, checked by linear algebra (a hidden cell
 * is exposed when its unit vector lies in the row space of the totals'
 * equations over the hidden cells) on hand-made and on random tables;
 * changes on small counts; quantiles; the CSV formula guard.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats.h"

static const char *
day(int32_t z)
{
	static char s[11];

	stats_day_str(z, s);
	return s;
}

static void
test_days(void **state)
{
	(void)state;
	assert_int_equal(stats_days(1970, 1, 1), 0);
	assert_int_equal(stats_days(2000, 3, 1), 11017);
	assert_string_equal(day(stats_days(2024, 2, 29)), "2024-02-29");
	assert_string_equal(day(stats_days(2024, 2, 29) + 1), "2024-03-01");
	assert_string_equal(day(stats_days(2026, 12, 31) + 1), "2027-01-01");
}

static void
test_finnish_day(void **state)
{
	int64_t mar29 = (int64_t)stats_days(2026, 3, 29) * 86400;
	int64_t oct25 = (int64_t)stats_days(2026, 10, 25) * 86400;

	(void)state;
	/* Winter: UTC+2. */
	assert_string_equal(
	    day(stats_finnish_day((int64_t)stats_days(2026, 12, 31) * 86400 +
	                          21 * 3600 + 59 * 60)),
	    "2026-12-31");
	assert_string_equal(
	    day(stats_finnish_day(
	        (int64_t)stats_days(2026, 12, 31) * 86400 + 22 * 3600)),
	    "2027-01-01");
	/* Summer: UTC+3, from 01:00 UTC on the last Sunday of March to
	 * 01:00 UTC on the last Sunday of October. */
	assert_string_equal(
	    day(stats_finnish_day(
	        (int64_t)stats_days(2026, 7, 1) * 86400 + 21 * 3600)),
	    "2026-07-02");
	assert_string_equal(
	    day(stats_finnish_day(
	        (int64_t)stats_days(2026, 7, 1) * 86400 + 20 * 3600 + 59 * 60)),
	    "2026-07-01");
	assert_int_equal(stats_finnish_day(mar29 - 2 * 3600 - 1),
	    stats_days(2026, 3, 28));
	assert_int_equal(stats_finnish_day(oct25 - 3 * 3600),
	    stats_days(2026, 10, 25));
	assert_int_equal(stats_finnish_day(oct25 - 3 * 3600 - 1),
	    stats_days(2026, 10, 24));
	assert_int_equal(stats_finnish_day(0), 0);
}

static void
period(const char *s, const char *first, const char *last)
{
	struct stats_period p;
	const char *e;
	char name[16];

	assert_int_equal(stats_period_parse(s, &p, &e), 0);
	assert_string_equal(day(p.first), first);
	assert_string_equal(day(p.end - 1), last);
	stats_period_name(&p, name, sizeof(name));
	assert_string_equal(name, s);
}

static void
test_periods(void **state)
{
	struct stats_period p, q;
	const char *e;
	char name[16];
	const char *bad[] = { "2026-W54", "2025-W53", "2026-W00", "2026-13",
		"2026-00", "2026-1", "2026-W1", "20260", "abcd", "1999", "3000",
		"2026-w47", "2026-W47 ", "", "2026-", "-2026" };

	(void)state;
	period("2026-W47", "2026-11-16", "2026-11-22");
	/* 2026 begins on a Thursday: it has a week 53, into 2027. */
	period("2026-W53", "2026-12-28", "2027-01-03");
	period("2027-W01", "2027-01-04", "2027-01-10");
	/* Week 1 of 2026 begins in 2025. */
	period("2026-W01", "2025-12-29", "2026-01-04");
	period("2020-W53", "2020-12-28", "2021-01-03");
	period("2024-02", "2024-02-01", "2024-02-29");
	period("2026-12", "2026-12-01", "2026-12-31");
	period("2026", "2026-01-01", "2026-12-31");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(stats_period_parse(bad[i], &p, &e), -1);

	/* A Sunday late in the year and the Thursday of New Year. */
	stats_period_of(STATS_WEEK, stats_days(2027, 1, 3), &p);
	stats_period_name(&p, name, sizeof(name));
	assert_string_equal(name, "2026-W53");
	stats_period_of(STATS_WEEK, stats_days(2026, 1, 1), &p);
	stats_period_name(&p, name, sizeof(name));
	assert_string_equal(name, "2026-W01");
	stats_period_of(STATS_WEEK, stats_days(2025, 12, 28), &p);
	stats_period_name(&p, name, sizeof(name));
	assert_string_equal(name, "2025-W52");

	assert_int_equal(stats_period_parse("2027-W01", &p, &e), 0);
	stats_period_prev(&p, &q);
	stats_period_name(&q, name, sizeof(name));
	assert_string_equal(name, "2026-W53");
	assert_int_equal(stats_period_parse("2026-W53", &p, &e), 0);
	assert_int_equal(stats_period_year_before(&p, &q), -1);
	assert_int_equal(stats_period_parse("2021-W53", &p, &e), -1);
	assert_int_equal(stats_period_parse("2026-W47", &p, &e), 0);
	assert_int_equal(stats_period_year_before(&p, &q), 0);
	stats_period_name(&q, name, sizeof(name));
	assert_string_equal(name, "2025-W47");
	assert_int_equal(stats_period_parse("2026-01", &p, &e), 0);
	stats_period_prev(&p, &q);
	stats_period_name(&q, name, sizeof(name));
	assert_string_equal(name, "2025-12");
	assert_int_equal(stats_period_parse("2026", &p, &e), 0);
	stats_period_prev(&p, &q);
	stats_period_name(&q, name, sizeof(name));
	assert_string_equal(name, "2025");
}

/* ------------------------------------------------------------ suppression */

/*
 * True when the hidden cell (hr, hc) can be worked out from the cells
 * shown: the equations are each line's cells minus its total equal 0 (rows
 * only when they add up), restricted to the hidden cells; the cell is
 * exposed when adding its unit vector does not raise the rank.
 */
static int
rank_of(double *m, int rows, int cols)
{
	int rank = 0;

	for (int c = 0; c < cols && rank < rows; c++) {
		int piv = -1;
		double best = 1e-9;

		for (int r = rank; r < rows; r++)
			if (fabs(m[r * cols + c]) > best) {
				best = fabs(m[r * cols + c]);
				piv = r;
			}
		if (piv < 0)
			continue;
		for (int k = 0; k < cols; k++) {
			double x = m[rank * cols + k];

			m[rank * cols + k] = m[piv * cols + k];
			m[piv * cols + k] = x;
		}
		for (int r = 0; r < rows; r++) {
			double f;

			if (r == rank)
				continue;
			f = m[r * cols + c] / m[rank * cols + c];
			for (int k = 0; k < cols; k++)
				m[r * cols + k] -= f * m[rank * cols + k];
		}
		rank++;
	}
	return rank;
}

static bool
exposed(const struct stats_table *t, int hr, int hc)
{
	int R = t->nrows, C = t->ncols, ncolc = t->rows_add ? C + 1 : C;
	int nvar = (R + 1) * ncolc, neq = (R + 1) + ncolc + 1, r0, r1;
	double *m = calloc((size_t)neq * (size_t)nvar, sizeof(double));
	double *m2 = calloc((size_t)neq * (size_t)nvar, sizeof(double));
	int eq = 0;

	assert_non_null(m);
	assert_non_null(m2);
	/* Columns: cells minus the total, over hidden cells. */
	for (int c = 0; c < ncolc; c++, eq++)
		for (int r = 0; r <= R; r++)
			if (stats_hidden(t, r, c))
				m[eq * nvar + r * ncolc + c] = r == R ? -1 : 1;
	if (t->rows_add)
		for (int r = 0; r <= R; r++, eq++)
			for (int c = 0; c <= C; c++)
				if (stats_hidden(t, r, c))
					m[eq * nvar + r * ncolc + c] =
					    c == C ? -1 : 1;
	memcpy(m2, m, (size_t)neq * (size_t)nvar * sizeof(double));
	m2[eq * nvar + hr * ncolc + hc] = 1;
	r0 = rank_of(m, eq, nvar);
	r1 = rank_of(m2, eq + 1, nvar);
	free(m);
	free(m2);
	return r1 == r0;
}

static void
check_safe(const struct stats_table *t, int64_t min)
{
	int ncolc = t->rows_add ? t->ncols + 1 : t->ncols;

	for (int r = 0; r <= t->nrows; r++)
		for (int c = 0; c < ncolc; c++) {
			int64_t n = *stats_cell(t, r, c);

			if (n > 0 && n < min)
				assert_int_equal(stats_hidden(t, r, c),
				    STATS_PRIMARY);
			if (stats_hidden(t, r, c))
				assert_false(exposed(t, r, c));
		}
}

static int
nhidden(const struct stats_table *t)
{
	int k = 0;

	for (int r = 0; r <= t->nrows; r++)
		for (int c = 0; c <= t->ncols; c++)
			k += stats_hidden(t, r, c) != STATS_SHOWN;
	return k;
}

static void
fill(struct stats_table *t, const int64_t *v)
{
	for (int r = 0; r < t->nrows; r++)
		for (int c = 0; c < t->ncols; c++)
			*stats_cell(t, r, c) = v[r * t->ncols + c];
	stats_table_total(t);
}

static void
test_suppress_one(void **state)
{
	struct stats_table t;
	/* One small cell: a rectangle of four, the smallest others. */
	const int64_t v[] = {
		3,
		40,
		50,
		60,
		12,
		70,
		80,
		90,
		11,
	};

	(void)state;
	assert_int_equal(stats_table_init(&t, 3, 3, true), 0);
	fill(&t, v);
	assert_int_equal(*stats_cell(&t, 3, 3), 416);
	stats_suppress(&t, 5);
	check_safe(&t, 5);
	assert_int_equal(stats_hidden(&t, 0, 0), STATS_PRIMARY);
	assert_int_equal(nhidden(&t), 4);
	/* Without them, the totals would give it away: 93 - 40 - 50. */
	assert_int_equal(stats_hidden(&t, 3, 0), STATS_SHOWN);
	assert_int_equal(stats_hidden(&t, 0, 3), STATS_SHOWN);
	stats_table_reset(&t);
}

static void
test_suppress_none_and_zero(void **state)
{
	struct stats_table t;
	const int64_t v[] = { 0, 5, 7, 0 };

	(void)state;
	assert_int_equal(stats_table_init(&t, 2, 2, true), 0);
	fill(&t, v);
	stats_suppress(&t, 5);
	assert_int_equal(nhidden(&t), 0);
	stats_table_reset(&t);
}

static void
test_suppress_total(void **state)
{
	struct stats_table t;
	/* A whole row under the threshold: its total too, and then the
	 * grand total would give the row away. */
	const int64_t v[] = { 1, 2, 30, 40, 50, 60 };

	(void)state;
	assert_int_equal(stats_table_init(&t, 3, 2, true), 0);
	fill(&t, v);
	stats_suppress(&t, 5);
	check_safe(&t, 5);
	assert_int_equal(stats_hidden(&t, 0, 2), STATS_PRIMARY);
	stats_table_reset(&t);
}

static void
test_suppress_columns_only(void **state)
{
	struct stats_table t;
	/* Rows that do not add up (asked for feedback, received it): each
	 * column with a hidden cell hides another. */
	const int64_t v[] = { 2, 1, 30, 9, 40, 20, 8, 7 };

	(void)state;
	assert_int_equal(stats_table_init(&t, 4, 2, false), 0);
	fill(&t, v);
	stats_suppress(&t, 5);
	check_safe(&t, 5);
	assert_int_equal(stats_hidden(&t, 0, 0), STATS_PRIMARY);
	assert_int_equal(stats_hidden(&t, 0, 1), STATS_PRIMARY);
	assert_int_equal(nhidden(&t), 4);
	stats_table_reset(&t);
}

static void
test_suppress_random(void **state)
{
	unsigned seed = 12345;

	(void)state;
	for (int round = 0; round < 400; round++) {
		struct stats_table t, u;
		int R = 1 + (int)(rand_r(&seed) % 7);
		int C = 1 + (int)(rand_r(&seed) % 6);
		bool rows_add = rand_r(&seed) % 4 != 0;

		assert_int_equal(stats_table_init(&t, R, C, rows_add), 0);
		assert_int_equal(stats_table_init(&u, R, C, rows_add), 0);
		for (int r = 0; r < R; r++)
			for (int c = 0; c < C; c++) {
				int k = (int)(rand_r(&seed) % 10);
				int64_t n = k < 3   ? 0
				            : k < 6 ? 1 + rand_r(&seed) % 4
				                    : rand_r(&seed) % 200;

				*stats_cell(&t, r, c) = n;
				*stats_cell(&u, r, c) = n;
			}
		stats_table_total(&t);
		stats_table_total(&u);
		stats_suppress(&t, 5);
		check_safe(&t, 5);
		/* The same counts hide the same cells. */
		stats_suppress(&u, 5);
		assert_memory_equal(t.hide, u.hide,
		    (size_t)(R + 1) * (size_t)(C + 1));
		stats_table_reset(&t);
		stats_table_reset(&u);
	}
}

/* ------------------------------------------------------------ the rest */

static void
test_change(void **state)
{
	double pct;

	(void)state;
	assert_false(stats_change(3, 1, 20, &pct));
	assert_false(stats_change(19, 40, 20, &pct));
	assert_false(stats_change(40, 19, 20, &pct));
	assert_true(stats_change(30, 20, 20, &pct));
	assert_true(fabs(pct - 50.0) < 1e-9);
	assert_true(stats_change(20, 25, 20, &pct));
	assert_true(fabs(pct + 20.0) < 1e-9);
	assert_false(stats_change(20, 0, 0, &pct));
}

static void
test_quantile(void **state)
{
	const int64_t v[] = { 0, 1, 5, 30 };
	const int64_t n[] = { 1, 1, 2, 0 };
	const int64_t z[] = { 0, 0, 0, 0 };

	(void)state;
	assert_int_equal(stats_quantile(v, n, 4, 0.5), 1);
	assert_int_equal(stats_quantile(v, n, 4, 0.9), 5);
	assert_int_equal(stats_quantile(v, n, 4, 0.25), 0);
	assert_int_equal(stats_quantile(v, n, 4, 1.0), 5);
	assert_int_equal(stats_quantile(v, z, 4, 0.5), -1);
	assert_int_equal(stats_quantile(v, n, 0, 0.5), -1);
}

static const char *
csv(const char *s)
{
	static struct buf b;

	buf_reset(&b);
	buf_init(&b, 0);
	stats_csv_cell(&b, s, strlen(s));
	return buf_cstr(&b);
}

static void
test_csv(void **state)
{
	(void)state;
	assert_string_equal(csv("Helsinki"), "Helsinki");
	assert_string_equal(csv("=HYPERLINK(\"x\")"),
	    "\"'=HYPERLINK(\"\"x\"\")\"");
	assert_string_equal(csv("+1"), "\"'+1\"");
	assert_string_equal(csv("-1"), "\"'-1\"");
	assert_string_equal(csv("@SUM(A1)"), "\"'@SUM(A1)\"");
	assert_string_equal(csv("\tx"), "\"'\tx\"");
	assert_string_equal(csv("a,b"), "\"a,b\"");
	assert_string_equal(csv("a;b"), "\"a;b\"");
	assert_string_equal(csv("say \"hi\""), "\"say \"\"hi\"\"\"");
	assert_string_equal(csv("x\ny"), "\"x\ny\"");
	assert_string_equal(csv(""), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_days),
		cmocka_unit_test(test_periods),
		cmocka_unit_test(test_finnish_day),
		cmocka_unit_test(test_suppress_one),
		cmocka_unit_test(test_suppress_none_and_zero),
		cmocka_unit_test(test_suppress_total),
		cmocka_unit_test(test_suppress_columns_only),
		cmocka_unit_test(test_suppress_random),
		cmocka_unit_test(test_change),
		cmocka_unit_test(test_quantile),
		cmocka_unit_test(test_csv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
