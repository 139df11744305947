/*
 * Fuzzes the template parser and renderer: the input is a template,
 * rendered against a fixed context in every language.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct tmpl_set *set = tmpl_set_new();
	json_t *ctx;
	struct buf out;
	char err[256];
	int l, rv = 0;

	ctx = json_pack("{s:s, s:[{s:i},{s:s}], s:b, s:{s:s}}", "x", "<&>",
	    "xs", "v", 1, "v", "two", "t", 1, "a", "b", "c");
	if (tmpl_add(set, "t", (const char *)data, len, err, sizeof(err)) ==
	        0 &&
	    tmpl_add(set, "p", "{{>t}}", 6, err, sizeof(err)) == 0) {
		for (l = 0; l < LANG_COUNT; l++) {
			buf_init(&out, 1 << 20);
			rv |= tmpl_render(set, "t", ctx, (enum lang)l, &out);
			buf_reset(&out);
		}
		/* A template that includes itself must stop, not recurse. */
		buf_init(&out, 1 << 20);
		rv |= tmpl_render(set, "p", ctx, LANG_FI, &out);
		buf_reset(&out);
	}
	(void)rv; /* an error is a fine answer; a crash is not */
	json_decref(ctx);
	tmpl_set_free(set);
	return 0;
}
