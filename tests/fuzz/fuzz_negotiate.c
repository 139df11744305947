/*
 * Fuzzes Accept-Language parsing: any header gives one of our languages,
 * and one of the console's when only those are offered.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *h;
	enum lang l;

	if ((h = malloc(len + 1)) == NULL)
		return 0;
	memcpy(h, data, len);
	h[len] = '\0';
	l = i18n_negotiate(h, LANG_COUNT);
	if ((unsigned)l >= LANG_COUNT)
		abort();
	l = i18n_negotiate(h, LANG_STAFF_COUNT);
	if ((unsigned)l >= LANG_STAFF_COUNT)
		abort();
	free(h);
	return 0;
}
