/*
 * Fuzzes text_normalise() (dedup keys, OCR keys, search words): any bytes
 * give valid UTF-8 without NUL or control characters, words separated by
 * single spaces with none at either end, and normalising that again
 * changes nothing; and text_repair() makes any bytes valid text, leaving
 * valid text as it was.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct buf once, twice;
	size_t n, i, rlen;
	char *fixed;

	buf_init(&once, 0);
	buf_init(&twice, 0);
	text_normalise((const char *)data, len, &once);
	if (once.err)
		goto out;
	if (once.len > 0) {
		if (!text_valid((const char *)once.p, once.len, &n))
			abort();
		if (once.p[0] == ' ' || once.p[once.len - 1] == ' ')
			abort();
		for (i = 0; i < once.len; i++)
			if (once.p[i] < 0x20 ||
			    (i > 0 && once.p[i] == ' ' && once.p[i - 1] == ' '))
				abort();
	}
	text_normalise((const char *)once.p, once.len, &twice);
	if (!twice.err &&
	    (twice.len != once.len ||
	        (once.len > 0 && memcmp(once.p, twice.p, once.len) != 0)))
		abort();
	if ((fixed = malloc(3 * len + 1)) == NULL)
		goto out;
	rlen = text_repair((const char *)data, len, fixed, &n);
	if (!text_valid(fixed, rlen, &i) || i != n)
		abort();
	if (text_valid((const char *)data, len, &i) &&
	    (rlen != len || memcmp(fixed, data, len) != 0))
		abort();
	free(fixed);
out:
	buf_reset(&once);
	buf_reset(&twice);
	return 0;
}
