/*
 * SVG charts of the statistics: see stats_chart.h.  Fixed geometry in a
 * viewBox, so the chart scales to the page's width on a phone; the axis
 * steps are "nice" numbers (1, 2 or 5 times a power of ten).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "stats_chart.h"

#define W      760.0
#define H      300.0
#define LEFT   48.0
#define RIGHT  12.0
#define LEGEND 240.0 /* the bars' legend, at their right */
#define TOP    12.0
#define BOTTOM 64.0

/* Colours a reader with a colour vision deficiency can tell apart
 * (Okabe & Ito), then greys; the hidden part is a light grey. */
static const char *const palette[] = { "#0072B2", "#E69F00", "#009E73",
	"#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000", "#666666",
	"#999999" };
#define HIDDEN_FILL "#d9d9d9"

const char *
stats_chart_colour(int series)
{
	if (series < 0)
		return HIDDEN_FILL;
	return palette[(size_t)series % (sizeof(palette) / sizeof(palette[0]))];
}

/* The axis for values up to max: a "nice" step and the top, a whole
 * number of steps. */
static void
scale(double max, double *top, double *step)
{
	double raw = max / 5.0, mag, f;

	*step = 1;
	if (raw > 0) {
		mag = pow(10, floor(log10(raw)));
		f = raw / mag;
		*step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
	}
	*top = ceil(max / *step) * *step;
	if (*top <= 0)
		*top = *step;
}

static void
text_attr(struct buf *b, const char *s)
{
	buf_html(b, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}

/* At most max characters of s, with an ellipsis where cut. */
static void
text_short(struct buf *b, const char *s, size_t max)
{
	size_t n = 0, i = 0;

	if (s == NULL)
		return;
	for (; s[i] != '\0'; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && n++ == max - 1 &&
		    strlen(s + i) > 1) {
			buf_html(b, s, i);
			buf_puts(b, "…");
			return;
		}
	}
	buf_html(b, s, i);
}

static void
head(const json_t *m, struct buf *b, const char *id)
{
	buf_printf(b,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f "
	    "%.0f\" class=\"chart\" role=\"img\" aria-labelledby=\"%s-t "
	    "%s-d\"><title id=\"%s-t\">",
	    W, H, id, id, id);
	text_attr(b, json_string_value(json_object_get(m, "title")));
	buf_printf(b, "</title><desc id=\"%s-d\">", id);
	text_attr(b, json_string_value(json_object_get(m, "desc")));
	buf_puts(b, "</desc>");
}

/* The value axis from 0 to top, and the labels along the bottom (every
 * k-th, so that they do not overlap). */
static void
axes(struct buf *b, double top, double step, const json_t *labels, double right)
{
	size_t n = json_array_size(labels), every = n > 13 ? (n + 12) / 13 : 1;
	double plot_h = H - TOP - BOTTOM, plot_w = W - LEFT - right;

	for (double v = 0; v <= top + step / 2; v += step) {
		double y = H - BOTTOM - v / top * plot_h;

		buf_printf(b,
		    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
		    "stroke=\"#cccccc\" stroke-width=\"1\"/>",
		    LEFT, y, W - right, y);
		buf_printf(b,
		    "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
		    "text-anchor=\"end\" fill=\"#333333\">%.0f</text>",
		    LEFT - 6, y + 4, v);
	}
	for (size_t i = 0; i < n; i += every) {
		double x = LEFT + (i + 0.5) * plot_w / (double)n;

		buf_printf(b,
		    "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
		    "text-anchor=\"end\" fill=\"#333333\" "
		    "transform=\"rotate(-45 %.1f %.1f)\">",
		    x, H - BOTTOM + 16, x, H - BOTTOM + 16);
		text_attr(b, json_string_value(json_array_get(labels, i)));
		buf_puts(b, "</text>");
	}
}

void
stats_chart_bars(const json_t *m, struct buf *b)
{
	const json_t *labels = json_object_get(m, "labels");
	const json_t *series = json_object_get(m, "series");
	const json_t *totals = json_object_get(m, "totals");
	size_t n = json_array_size(labels), ns = json_array_size(series);
	double max = 0, top, step, plot_h = H - TOP - BOTTOM;
	double slot = (W - LEFT - LEGEND) / (double)(n > 0 ? n : 1);
	const char *hidden = json_string_value(json_object_get(m, "hidden"));

	for (size_t i = 0; i < n; i++) {
		const json_t *t = json_array_get(totals, i);

		if (json_is_integer(t) && json_integer_value(t) > max)
			max = (double)json_integer_value(t);
	}
	scale(max, &top, &step);
	head(m, b, "bars");
	axes(b, top, step, labels, LEGEND);
	for (size_t i = 0; i < n; i++) {
		const json_t *t = json_array_get(totals, i);
		double y = H - BOTTOM, x = LEFT + i * slot + slot * 0.15;
		json_int_t shown = 0;

		if (!json_is_integer(t))
			continue;
		for (size_t s = 0; s <= ns; s++) {
			json_int_t v;
			const char *fill =
			    stats_chart_colour(s < ns ? (int)s : -1);
			double h;

			if (s < ns) {
				const json_t *c = json_array_get(
				    json_object_get(json_array_get(series, s),
				        "values"),
				    i);

				if (!json_is_integer(c))
					continue;
				v = json_integer_value(c);
				shown += v;
			} else {
				v = json_integer_value(t) - shown;
			}
			if (v <= 0)
				continue;
			h = (double)v / top * plot_h;
			y -= h;
			buf_printf(b,
			    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			    "height=\"%.1f\" fill=\"%s\"/>",
			    x, y, slot * 0.7, h, fill);
		}
	}
	/* The legend, a series a line, the last the parts not shown. */
	for (size_t s = 0; s <= ns; s++) {
		double x = W - LEGEND + 16, y = TOP + 10 + (double)s * 17;
		const char *label =
		    s < ns ? json_string_value(json_object_get(
		                 json_array_get(series, s), "label"))
		           : hidden;

		buf_printf(b,
		    "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" "
		    "fill=\"%s\"/><text x=\"%.1f\" y=\"%.1f\" "
		    "font-size=\"11\" fill=\"#333333\">",
		    x, y - 9, stats_chart_colour(s < ns ? (int)s : -1), x + 15,
		    y);
		text_short(b, label, 34);
		buf_puts(b, "</text>");
	}
	buf_puts(b, "</svg>");
}

void
stats_chart_line(const json_t *m, struct buf *b)
{
	const json_t *labels = json_object_get(m, "labels");
	const json_t *values = json_object_get(m, "values");
	size_t n = json_array_size(labels);
	double max = 0, top, step, plot_h = H - TOP - BOTTOM;
	double slot = (W - LEFT - RIGHT) / (double)(n > 0 ? n : 1);
	bool open = false;

	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_array_get(values, i);

		if (json_is_number(v) && json_number_value(v) > max)
			max = json_number_value(v);
	}
	scale(max, &top, &step);
	head(m, b, "line");
	axes(b, top, step, labels, RIGHT);
	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_array_get(values, i);
		double x = LEFT + (i + 0.5) * slot, y;

		if (!json_is_number(v)) {
			if (open)
				buf_puts(b,
				    "\" fill=\"none\" stroke=\"#0072B2\" "
				    "stroke-width=\"2\"/>");
			open = false;
			continue;
		}
		y = H - BOTTOM - json_number_value(v) / top * plot_h;
		if (!open)
			buf_printf(b, "<polyline points=\"");
		buf_printf(b, "%s%.1f,%.1f", open ? " " : "", x, y);
		open = true;
	}
	if (open)
		buf_puts(b,
		    "\" fill=\"none\" stroke=\"#0072B2\" stroke-width=\"2\"/>");
	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_array_get(values, i);

		if (json_is_number(v))
			buf_printf(b,
			    "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" "
			    "fill=\"#0072B2\"/>",
			    LEFT + (i + 0.5) * slot,
			    H - BOTTOM - json_number_value(v) / top * plot_h);
	}
	buf_puts(b, "</svg>");
}
