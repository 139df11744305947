/*
 * Fuzzes the configuration parser: any bytes give a config or an error
 * message, never a crash or a leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct cfg cfg;
	char err[512], *text;

	if ((text = malloc(len + 1)) == NULL)
		return 0;
	memcpy(text, data, len);
	text[len] = '\0';
	if (cfg_parse(text, "fuzz.ini", &cfg, err, sizeof(err)) == 0)
		cfg_free(&cfg);
	free(text);
	return 0;
}
