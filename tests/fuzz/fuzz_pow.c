/*
 * Fuzzes the proof-of-work check of POST /tip (server/pow.c): any bytes
 * give a verdict, and only a solution of our own key's challenge is
 * taken, once.  The key is all zeros and the clock stands in window
 * 3000000, so that corpus/pow/ can hold a good solution.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pow.h"

#define NOW 1800000000ULL

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const uint8_t key[POW_KEY_BYTES];
	struct pow_seen *ps;
	uint64_t id = 0, window = 0;
	enum pow_verdict v;

	v = pow_check(key, NOW, 1, data, len, &id, &window);
	if (v != POW_OK && v != POW_MALFORMED && v != POW_FORGED &&
	    v != POW_EXPIRED && v != POW_WEAK)
		abort();
	if (v != POW_OK)
		return 0;
	if (window != pow_window(NOW) && window + 1 != pow_window(NOW))
		abort();
	if ((ps = pow_seen_new(64)) == NULL)
		return 0;
	if (pow_seen_add(ps, id, window, NOW) != 0 ||
	    !pow_seen_has(ps, id, NOW) ||
	    pow_seen_add(ps, id, window, NOW) != -1)
		abort();
	pow_seen_free(ps);
	return 0;
}
