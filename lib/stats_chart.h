/*
 * Charts of the statistics as SVG, drawn on the server: no script, the
 * colours as presentation attributes (which the pages' style policy does
 * not govern), a <title> and <desc> for screen readers, and the numbers
 * always in a table beside the chart (the caller's).  Pure: a chart model
 * in, SVG text out.
 *
 * Bars: { "title", "desc", "hidden", "labels": [week...], "series":
 * [{ "label", "values": [n | null ...] }], "totals": [n | null ...] },
 * "hidden" naming the grey parts in the legend; a null value is
 * a hidden count, drawn as one grey "not shown" part of its bar (the bar's
 * total less the parts shown, which the totals and the cells shown give
 * away anyway); a null total leaves the bar out.
 *
 * Line: { "title", "desc", "labels": [...], "values": [n | null ...] }; a
 * null value is a gap.
 */
#ifndef TL_STATS_CHART_H
#define TL_STATS_CHART_H

#include <jansson.h>

#include "buf.h"

void stats_chart_bars(const json_t *, struct buf *);
/* The colour of a series of bars; -1 is the colour of the parts not
 * shown. */
const char *stats_chart_colour(int series);
void stats_chart_line(const json_t *, struct buf *);

#endif
