/*
 * Bump allocation over a list of malloc'd chunks.  The head chunk is the one
 * being carved; an allocation bigger than a quarter chunk gets a chunk of
 * exactly its size, linked behind the head so the head's free space is not
 * lost.  The cap counts the data bytes of all chunks (headers aside), so it
 * bounds the memory a request holds, not only the bytes it asked for.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define ARENA_ALIGN 8

struct arena_chunk {
	struct arena_chunk *next;
	size_t size; /* data bytes */
	size_t used;
	uint64_t data[]; /* 8-aligned */
};

void
arena_init(struct arena *a, size_t max_bytes)
{
	memset(a, 0, sizeof(*a));
	a->max = max_bytes;
}

static struct arena_chunk *
arena_chunk_new(struct arena *a, size_t size)
{
	struct arena_chunk *c;

	if (size > SIZE_MAX - sizeof(*c))
		return NULL;
	if (a->max != 0 && size > a->max - a->total)
		return NULL;
	if ((c = malloc(sizeof(*c) + size)) == NULL)
		return NULL;
	c->next = NULL;
	c->size = size;
	c->used = 0;
	a->total += size;
	return c;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c;
	size_t size;
	void *p;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - (ARENA_ALIGN - 1))
		return NULL;
	n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);

	c = a->head;
	if (c != NULL && c->size - c->used >= n) {
		p = (uint8_t *)c->data + c->used;
		c->used += n;
		return p;
	}
	if (n > ARENA_CHUNK_BYTES / 4) {
		/* A chunk of its own, behind the head. */
		if ((c = arena_chunk_new(a, n)) == NULL)
			return NULL;
		if (a->head != NULL) {
			c->next = a->head->next;
			a->head->next = c;
		} else
			a->head = c;
		c->used = n;
		return c->data;
	}
	size = ARENA_CHUNK_BYTES;
	if (a->max != 0 && size > a->max - a->total)
		size = a->max - a->total; /* what the cap leaves; n may fit */
	if (size < n || (c = arena_chunk_new(a, size)) == NULL)
		return NULL;
	c->next = a->head;
	a->head = c;
	c->used = n;
	return c->data;
}

char *
arena_strndup(struct arena *a, const void *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX || (p = arena_alloc(a, n + 1)) == NULL)
		return NULL;
	if (n > 0)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

bool
arena_owns(const struct arena *a, const void *p, size_t n)
{
	const struct arena_chunk *c;
	uintptr_t lo, x = (uintptr_t)p;

	for (c = a->head; c != NULL; c = c->next) {
		lo = (uintptr_t)c->data;
		if (x >= lo && x - lo <= c->used && n <= c->used - (x - lo))
			return true;
	}
	return false;
}

void
arena_reset(struct arena *a)
{
	struct arena_chunk *c, *next;

	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		explicit_bzero(c->data, c->size);
		free(c);
	}
	a->head = NULL;
	a->total = 0;
}
