/*
 * Files built into the binary (templates, static files, migrations) so a
 * running daemon never depends on paths outside its configuration.  Each
 * table ends with a zeroed entry; data is NUL-terminated, len excludes it.
 */
#ifndef TL_ASSET_H
#define TL_ASSET_H

#include <stddef.h>

struct asset {
	const char *name;
	const unsigned char *data;
	size_t len;
};

#endif
