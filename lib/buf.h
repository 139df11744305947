/*
 * A growable byte buffer for building pages and messages.  A buffer that
 * fails to grow stays failed (buf->err) and later appends are no-ops, so a
 * caller checks once at the end instead of after every append.
 */
#ifndef TL_BUF_H
#define TL_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct buf {
	uint8_t *p;
	size_t len;
	size_t cap;
	size_t max; /* 0: unlimited */
	bool err;
};

void buf_init(struct buf *, size_t max);
/* Wipes the contents before freeing. */
void buf_reset(struct buf *);
void buf_append(struct buf *, const void *, size_t);
void buf_puts(struct buf *, const char *);
void buf_printf(struct buf *, const char *, ...) TL_PRINTF(2, 3);
/* Appends text with & < > " ' escaped for HTML text and attributes. */
void buf_html(struct buf *, const char *, size_t);
/* Appends the bytes as lower-case hex. */
void buf_hex(struct buf *, const void *, size_t);
/* NUL-terminates without counting the NUL; returns the string or NULL. */
const char *buf_cstr(struct buf *);

#endif
