/*
 * Cookie header parsing.  Browsers send "a=1; b=2": pairs separated by
 * ';' and optional spaces.  A value may be in double quotes.  Names are
 * compared exactly (case matters, as for __Host- cookies).
 */
#include <string.h>

#include "cookie.h"

static int
cookie_ws(char c)
{
	return c == ' ' || c == '\t';
}

int
cookie_get(const char *h, size_t len, const char *name, struct span *value,
    const char **errstr)
{
	size_t nlen = strlen(name), i = 0, start, eq, end;

	value->p = NULL;
	value->len = 0;
	while (i < len) {
		while (i < len && (cookie_ws(h[i]) || h[i] == ';'))
			i++;
		if (i == len)
			break;
		start = i;
		eq = len;
		while (i < len && h[i] != ';') {
			if ((unsigned char)h[i] < 0x20 || h[i] == 0x7f) {
				*errstr = "control character";
				return -1;
			}
			if (h[i] == '=' && eq == len)
				eq = i;
			i++;
		}
		end = i;
		while (end > start && cookie_ws(h[end - 1]))
			end--;
		/* A pair without '=' is ignored (RFC 6265, 5.2). */
		if (eq == len || eq >= end)
			continue;
		if (eq - start != nlen || memcmp(h + start, name, nlen) != 0)
			continue;
		start = eq + 1;
		if (end - start >= 2 && h[start] == '"' && h[end - 1] == '"') {
			start++;
			end--;
		}
		value->p = (const uint8_t *)h + start;
		value->len = end - start;
		return 1;
	}
	return 0;
}
