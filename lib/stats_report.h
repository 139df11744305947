/*
 * The statistics report, shared by the console and `tiplinectl stats`:
 * the rollup's counts for a period (and for the period before and the
 * same period a year earlier) go in, a model of the report comes out as
 * JSON, with every cell a publication may not show already hidden; the
 * console renders the model with its templates, and the text and CSV
 * renderers here walk the same model, so that every view and export
 * carries exactly the same numbers.
 *
 * The model:
 *   { "period": "2026-W47", "first": "2026-11-16", "last": "2026-11-22",
 *     "previous": "2026-W46", "year_before": "2025-W47" | null,
 *     "min_cell": 5, "min_change": 20,
 *     "headline": [ { "key", "label", "n", "previous", "year_before",
 *                     "change_previous", "change_year", and each of
 *                     these as the page shows it: "n_text", ... } ],
 *     "legend": "what .. means",
 *     "sections": [ { "id", "level", "title", "note",
 *                     "columns": [ { "key", "label" } ],
 *                     "rows": [ { "key", "label", "cells": [cell],
 *                                 "total": cell } ],
 *                     "totals": { "cells": [cell], "total": cell } } ] }
 * where a cell is { "n": number | null, "text": "12" | ".." } (null and
 * ".." when hidden), a headline count or change is null when hidden, and
 * "total" and "totals" are absent where rows or columns do not add up.
 */
#ifndef TL_STATS_REPORT_H
#define TL_STATS_REPORT_H

#include <stdint.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "buf.h"
#include "i18n.h"
#include "stats.h"

enum stats_which {
	STATS_NOW,
	STATS_PREVIOUS,
	STATS_YEAR_BEFORE,
};

struct stats_report;

/* Caller frees with stats_report_free(). */
struct stats_report *stats_report_new(const struct stats_period *, enum lang,
    int64_t min_cell, int64_t min_change);
void stats_report_free(struct stats_report *);
/* A department the report shows as a row, in the order of the calls. */
TL_MUSTCHECK int stats_report_department(struct stats_report *, int id,
    const char *code, const char *name);
/* One row of the rollup, summed over the period `which`. */
TL_MUSTCHECK int stats_report_add(struct stats_report *, enum stats_which,
    int department, const char *dim, const char *val, int64_t n);
/*
 * The rollup's rows for a report, as one statement for the console's
 * asynchronous and tiplinectl's synchronous connection: parameters from
 * stats_report_params(), rows for stats_report_load().  The periods before
 * bring only the headline's dimensions.
 */
#define STATS_REPORT_NPARAMS 7
extern const char stats_report_sql[];
/* Fills values (pointing into bufs) for the report's period and, with
 * department > 0, one department's rows only. */
void stats_report_params(const struct stats_report *, int department,
    char bufs[STATS_REPORT_NPARAMS][16],
    const char *values[STATS_REPORT_NPARAMS]);
/* Adds the statement's rows: -1 when one does not fit or memory is out. */
TL_MUSTCHECK int stats_report_load(struct stats_report *, const PGresult *);
/* The departments, for stats_report_department(): id, code, name_fi,
 * name_sv, name_en; $1 a department's id, or NULL for all. */
extern const char stats_departments_sql[];

/* The model; NULL when out of memory.  Caller decrefs. */
json_t *stats_report_build(struct stats_report *);

/*
 * The weeks around a period, for the console's charts: tips by week
 * stacked by motive (each week as that week's own report shows its
 * motives' totals, hidden cells and all) and the median hours from a
 * case's opening to its decision, by the week the case opened.  A week's
 * period shows the twelve weeks up to it, a month or a year its own
 * weeks.  Give it the report's departments, in the report's order.
 *
 * The model: { "weeks": ["2026-W36", ...], "motives": a section as in the
 * report without totals (rows are weeks), "decide": a section of one
 * column, "bars" and "line": chart models for stats_chart.h }.
 */
struct stats_trend;

#define STATS_TREND_NPARAMS 3
extern const char stats_trend_sql[];
/* Caller frees with stats_trend_free(). */
struct stats_trend *stats_trend_new(const struct stats_period *, enum lang,
    int64_t min_cell);
void stats_trend_free(struct stats_trend *);
/* -1 when more than 64 or after loading. */
TL_MUSTCHECK int stats_trend_department(struct stats_trend *, int id);
void stats_trend_params(const struct stats_trend *, int department,
    char bufs[STATS_TREND_NPARAMS][16],
    const char *values[STATS_TREND_NPARAMS]);
TL_MUSTCHECK int stats_trend_load(struct stats_trend *, const PGresult *);
json_t *stats_trend_build(struct stats_trend *);

/* Plain text for a terminal. */
void stats_report_text(const json_t *, struct buf *);
/* One line per cell: period, section, row, row label, column, column
 * label, count (empty when hidden), suppressed (0 or 1). */
void stats_report_csv(const json_t *, struct buf *);

#endif
