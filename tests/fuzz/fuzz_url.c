/*
 * Fuzzes link canonicalisation: any bytes give an error from the
 * documented list or a canonical form that fits, is NUL-terminated, starts
 * with "https://", has no blanks or controls, and canonicalises to itself.
 * A small out buffer gives the same form or "too long".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_error(const char *err)
{
	static const char *const known[] = { "not a link", "unsupported scheme",
		"bad host", "bad percent escape", "too long" };
	size_t i;

	if (err == NULL)
		abort();
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(err, known[i]) == 0)
			return;
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char big[URL_MAX_BYTES + 1], again[URL_MAX_BYTES + 1], small[40];
	const char *in = (const char *)data, *err = NULL;
	ssize_t n, m, k;
	size_t i;

	n = url_canonical(in, len, big, sizeof(big), &err);
	k = url_canonical(in, len, small, sizeof(small), &err);
	if (n < 0) {
		check_error(err);
		if (k != -1)
			abort();
		return 0;
	}
	if ((size_t)n > URL_MAX_BYTES || big[n] != '\0' ||
	    strncmp(big, "https://", 8) != 0)
		abort();
	for (i = 0; i < (size_t)n; i++)
		if ((unsigned char)big[i] <= ' ' || big[i] == 0x7f)
			abort();
	if ((size_t)n < sizeof(small)) {
		if (k != n || memcmp(small, big, (size_t)n + 1) != 0)
			abort();
	} else if (k != -1 || strcmp(err, "too long") != 0 || small[0] != '\0')
		abort();

	m = url_canonical(big, (size_t)n, again, sizeof(again), &err);
	if (m != n || memcmp(big, again, (size_t)n + 1) != 0)
		abort();
	return 0;
}
