/*
 * Fuzzes the Cookie header parser: any bytes give found, not found or an
 * error, and a found value lies inside the header.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cookie.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const char *const names[] = { "a", "__Host-tipline_session",
		"x" };
	const char *errstr;
	struct span v;
	size_t i;
	int rv;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		rv = cookie_get((const char *)data, len, names[i], &v, &errstr);
		if (rv == 1 && (v.p < data || v.p + v.len > data + len))
			abort();
		if (rv < -1 || rv > 1)
			abort();
	}
	return 0;
}
