/*
 * Token buckets per client (keyed by client_key()), in memory only, in a
 * table of fixed size, with one global bucket behind them as the last
 * line.  Nothing here reads a clock: callers pass the time, so tests
 * drive it.
 */
#ifndef TL_RATELIMIT_H
#define TL_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* A bucket holds burst tokens and gains one every every_us. */
struct ratelimit_rate {
	uint64_t every_us;
	uint64_t burst;
};

struct ratelimit;

#define RATELIMIT_MIN_SLOTS 1024
#define RATELIMIT_MAX_SLOTS (1 << 20) /* 16 MiB */

/*
 * The slots that clients at rate client can never fill while the global
 * bucket holds: a bucket stays in the table only while it is short of
 * full, at most burst x every after its last token, and no more tokens
 * than the global bucket gives in that time can be taken.  Twice that,
 * a power of two between RATELIMIT_MIN_SLOTS and RATELIMIT_MAX_SLOTS.
 */
size_t ratelimit_slots(const struct ratelimit_rate *client,
    const struct ratelimit_rate *global);

/* slots: a power of two.  NULL if out of memory.  Caller frees with
 * ratelimit_free(). */
TL_MUSTCHECK struct ratelimit *ratelimit_new(
    const struct ratelimit_rate *client, const struct ratelimit_rate *global,
    size_t slots);
void ratelimit_free(struct ratelimit *);

/*
 * Takes one token from key's bucket and one from the global bucket, at
 * now_us (any clock that does not go back).  false if either is empty:
 * then nothing is taken and *retry_us says when one will be there.
 */
TL_MUSTCHECK bool ratelimit_take(struct ratelimit *, uint64_t key,
    uint64_t now_us, uint64_t *retry_us);

/* Tokens taken from the global bucket and not yet back at now_us: 0 when
 * full, its burst when empty.  For a cost that grows with the load. */
uint64_t ratelimit_global_used(const struct ratelimit *, uint64_t now_us);

/* Takes one token from the global bucket alone, for a request whose
 * client was counted in another table; false (nothing taken) if empty. */
TL_MUSTCHECK bool ratelimit_take_global(struct ratelimit *, uint64_t now_us,
    uint64_t *retry_us);

/* Forgets every client's bucket (their keys changed); the global bucket
 * stays. */
void ratelimit_forget(struct ratelimit *);

/* Buckets short of full at now_us (tests). */
size_t ratelimit_count(const struct ratelimit *, uint64_t now_us);

#endif
