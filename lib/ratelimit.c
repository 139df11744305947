/*
 * Rate limits without a list of clients.  Each bucket is one number, its
 * "theoretical arrival time" (GCRA, the form of a token bucket that ATM
 * switches use): the time at which it will be full again.  A bucket whose
 * time has passed is full, exactly like a bucket never made, so its slot
 * is free: the table holds only clients that used part of their burst in
 * the last burst x every, under the key of client_key() (never an
 * address), and a slot is 16 bytes.
 *
 * The table has a fixed size and a key looks only at RATELIMIT_PROBE
 * slots from its hash, so each request costs the same bounded work.  It
 * cannot be made to grow, and no client's partly used bucket is ever
 * evicted: a client whose slots are all busy shares one overflow bucket
 * (at the per-client rate) with every other such client instead.  Filling
 * the table is costly in any case: a slot is taken only by a request that
 * both its own bucket and the global one let through (refused requests
 * take nothing), so at most as many slots are busy as the global bucket
 * gives tokens in burst x every, and ratelimit_slots() makes the table
 * twice that.  The keys are SipHash outputs under a key the client does
 * not know, so addresses cannot be chosen to crowd one neighbourhood.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ratelimit.h"

#define RATELIMIT_PROBE 16 /* slots a key may use, from its hash on */

struct ratelimit_slot {
	uint64_t key;
	uint64_t tat; /* full again at this time; <= now: free */
};

struct ratelimit {
	struct ratelimit_rate client, global;
	uint64_t global_tat;
	uint64_t overflow_tat; /* the bucket of clients without a slot */
	size_t mask;
	struct ratelimit_slot *slots;
};

size_t
ratelimit_slots(const struct ratelimit_rate *client,
    const struct ratelimit_rate *global)
{
	uint64_t busy_us = client->burst * client->every_us, need;
	size_t n = RATELIMIT_MIN_SLOTS;

	need = global->burst + busy_us / global->every_us;
	while (n < RATELIMIT_MAX_SLOTS && (uint64_t)n < 2 * need)
		n <<= 1;
	return n;
}

struct ratelimit *
ratelimit_new(const struct ratelimit_rate *client,
    const struct ratelimit_rate *global, size_t slots)
{
	struct ratelimit *rl;

	if (slots < RATELIMIT_PROBE || (slots & (slots - 1)) != 0 ||
	    client->burst == 0 || global->burst == 0 || client->every_us == 0 ||
	    global->every_us == 0)
		return NULL;
	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		return NULL;
	if ((rl->slots = calloc(slots, sizeof(rl->slots[0]))) == NULL) {
		free(rl);
		return NULL;
	}
	rl->client = *client;
	rl->global = *global;
	rl->mask = slots - 1;
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	sodium_memzero(rl->slots, (rl->mask + 1) * sizeof(rl->slots[0]));
	free(rl->slots);
	free(rl);
}

/* Whether a bucket full again at tat has a token at now; if not, when. */
static bool
ratelimit_has(const struct ratelimit_rate *r, uint64_t tat, uint64_t now,
    uint64_t *retry_us)
{
	/* Short of full by at most burst - 1 tokens. */
	uint64_t tolerance = (r->burst - 1) * r->every_us;

	if (tat <= now + tolerance)
		return true;
	*retry_us = tat - now - tolerance;
	return false;
}

static uint64_t
ratelimit_charge(const struct ratelimit_rate *r, uint64_t tat, uint64_t now)
{
	return (tat > now ? tat : now) + r->every_us;
}

bool
ratelimit_take(struct ratelimit *rl, uint64_t key, uint64_t now,
    uint64_t *retry_us)
{
	struct ratelimit_slot *s, *found = NULL, *free_slot = NULL;
	uint64_t tat = 0;
	size_t i;

	for (i = 0; i < RATELIMIT_PROBE; i++) {
		s = &rl->slots[(key + i) & rl->mask];
		if (s->tat > now) {
			if (s->key == key) {
				found = s;
				break;
			}
		} else if (free_slot == NULL)
			free_slot = s;
	}
	if (found != NULL)
		tat = found->tat;
	else if (free_slot == NULL)
		tat = rl->overflow_tat;
	if (!ratelimit_has(&rl->client, tat, now, retry_us) ||
	    !ratelimit_has(&rl->global, rl->global_tat, now, retry_us))
		return false;

	tat = ratelimit_charge(&rl->client, tat, now);
	if (found != NULL)
		found->tat = tat;
	else if (free_slot != NULL) {
		free_slot->key = key;
		free_slot->tat = tat;
	} else
		rl->overflow_tat = tat;
	rl->global_tat = ratelimit_charge(&rl->global, rl->global_tat, now);
	return true;
}

uint64_t
ratelimit_global_used(const struct ratelimit *rl, uint64_t now)
{
	uint64_t ahead, used;

	if (rl->global_tat <= now)
		return 0;
	ahead = rl->global_tat - now;
	used = ahead / rl->global.every_us + (ahead % rl->global.every_us != 0);
	return used < rl->global.burst ? used : rl->global.burst;
}

bool
ratelimit_take_global(struct ratelimit *rl, uint64_t now, uint64_t *retry_us)
{
	if (!ratelimit_has(&rl->global, rl->global_tat, now, retry_us))
		return false;
	rl->global_tat = ratelimit_charge(&rl->global, rl->global_tat, now);
	return true;
}

void
ratelimit_forget(struct ratelimit *rl)
{
	sodium_memzero(rl->slots, (rl->mask + 1) * sizeof(rl->slots[0]));
	rl->overflow_tat = 0;
}

size_t
ratelimit_count(const struct ratelimit *rl, uint64_t now)
{
	size_t i, n = 0;

	for (i = 0; i <= rl->mask; i++)
		if (rl->slots[i].tat > now)
			n++;
	return n;
}
