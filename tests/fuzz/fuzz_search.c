/*
 * Fuzzes the blind index's text handling: any bytes give sorted, distinct
 * tokens within the limit, and a query's check never reads out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "search.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const uint8_t key[32] = { 7 };
	int32_t t[64], q[SEARCH_MAX_QUERY];
	struct buf norm;
	size_t n, i, half = len / 2;

	n = search_tokens((const char *)data, len, key, t, 64);
	if (n > 64)
		abort();
	for (i = 1; i < n; i++)
		if (t[i - 1] >= t[i])
			abort();
	buf_init(&norm, 0);
	n = search_query((const char *)data, half, key, q, SEARCH_MAX_QUERY,
	    &norm);
	if (n > SEARCH_MAX_QUERY)
		abort();
	(void)search_matches((const char *)norm.p, norm.len,
	    (const char *)data + half, len - half);
	buf_reset(&norm);
	return 0;
}
