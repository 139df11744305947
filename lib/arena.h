/*
 * A per-request bump allocator (h2o's pool): small allocations are carved
 * from malloc'd chunks, large ones get a chunk of their own, and everything
 * is wiped and freed at once by arena_reset().  A cap bounds the bytes the
 * arena may hold, so a request cannot make it grow without limit.
 */
#ifndef TL_ARENA_H
#define TL_ARENA_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* Default data bytes in a chunk; larger requests get a chunk of their own. */
#define ARENA_CHUNK_BYTES 4096

struct arena_chunk;

struct arena {
	struct arena_chunk *head; /* current chunk first */
	size_t max;               /* cap on the data bytes of all chunks */
	size_t total;             /* data bytes of all chunks now */
};

/* max_bytes caps the chunk bytes the arena may hold; 0: unlimited. */
void arena_init(struct arena *, size_t max_bytes);
/*
 * Returns n bytes aligned to 8, or NULL if the cap would be exceeded or
 * malloc fails.  n == 0 gives a valid, distinct pointer.  Memory is not
 * zeroed.
 */
TL_MUSTCHECK void *arena_alloc(struct arena *, size_t n);
/* Copies n bytes and adds a NUL; NULL as arena_alloc(). */
TL_MUSTCHECK char *arena_strndup(struct arena *, const void *, size_t n);
/* True if [p, p + n) lies inside memory handed out by the arena. */
bool arena_owns(const struct arena *, const void *p, size_t n);
/* Wipes and frees every chunk; the arena is empty and usable again. */
void arena_reset(struct arena *);

#endif
