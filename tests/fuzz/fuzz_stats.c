/*
 * Fuzzes the statistics' period parser (the console's ?period=) and the
 * CSV cell writer: a period that parses names itself back, spans a week,
 * a month or a year, and touches the periods before it; a CSV cell never
 * starts with a character a spreadsheet takes for a formula, and unquotes
 * to what went in.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_period(const char *s)
{
	struct stats_period p, q;
	const char *errstr;
	char name[16];
	int32_t days;

	if (stats_period_parse(s, &p, &errstr) == -1) {
		if (errstr == NULL)
			abort();
		return;
	}
	days = p.end - p.first;
	if (!(p.span == STATS_WEEK && days == 7) &&
	    !(p.span == STATS_MONTH && days >= 28 && days <= 31) &&
	    !(p.span == STATS_YEAR && (days == 365 || days == 366)))
		abort();
	stats_period_name(&p, name, sizeof(name));
	if (strcmp(name, s) != 0)
		abort();
	stats_period_prev(&p, &q);
	if (q.end != p.first || q.span != p.span)
		abort();
	stats_period_of(p.span, p.end - 1, &q);
	if (q.first != p.first || q.end != p.end)
		abort();
	if (stats_period_year_before(&p, &q) == 0 &&
	    (q.span != p.span || q.year != p.year - 1))
		abort();
}

static void
check_csv(const uint8_t *data, size_t len)
{
	struct buf b;
	size_t i, o = 0;
	const char *out;

	buf_init(&b, 0);
	stats_csv_cell(&b, (const char *)data, len);
	if (b.err || (out = buf_cstr(&b)) == NULL)
		abort();
	if (b.len > 0 && strchr("=+-@\t\r", out[0]) != NULL && out[0] != '\0')
		abort();
	if (b.len > 0 && out[0] == '"') {
		/* Quoted: doubled quotes inside, one at each end; the
		 * apostrophe of a formula guard before the text. */
		i = 1;
		if (len > 0 && out[1] == '\'' && strchr("=+-@\t\r", data[0]) &&
		    data[0] != '\0')
			i = 2;
		for (; i + 1 < b.len; i++, o++) {
			if (out[i] == '"')
				i++;
			if (o >= len || (uint8_t)out[i] != data[o])
				abort();
		}
		if (o != len || out[b.len - 1] != '"')
			abort();
	} else if (b.len != len || memcmp(out, data, len) != 0) {
		abort();
	}
	buf_reset(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char s[32];

	if (len < sizeof(s) && memchr(data, '\0', len) == NULL) {
		memcpy(s, data, len);
		s[len] = '\0';
		check_period(s);
	}
	check_csv(data, len);
	return 0;
}
