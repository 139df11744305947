/*
 * An optional proof of work for POST /tip: a browser that runs the form's
 * script asks GET /pow for a challenge, finds a nonce for it, and sends
 * "challenge:nonce" in the form's hidden field pow.  A tip with a good one
 * takes from a larger bucket of its own (intake_allow_tip()), so that the
 * clients behind one address (a Tor exit, a school) who do the work are
 * not held to the plain per-client limit; the form works without it.
 *
 * A challenge is "WINDOW.BITS.SALT.MAC": the 10-minute window it was made
 * in, the leading zero bits that SHA-256(challenge || nonce) must have, a
 * random salt (so that no two clients are given the same puzzle) and a
 * keyed BLAKE2b of the three under a key derived from the receipt pepper,
 * so that the server keeps no state per challenge and every intake with
 * the same pepper accepts the others' challenges.  The nonce is 1 to 20
 * decimal digits.  A solution is good in its window and the next one, and
 * once only: struct pow_seen remembers the challenges used.
 *
 * Everything but pow_challenge() (which draws the salt) is pure: the time
 * and the key are passed in, so tests drive them.
 */
#ifndef TL_POW_H
#define TL_POW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define POW_WINDOW_S      600 /* a challenge's window */
#define POW_KEY_BYTES     32
#define POW_SALT_BYTES    8
#define POW_MAC_BYTES     16
#define POW_MAX_BITS      40         /* base and load together, at most */
#define POW_NONCE_MAX     20         /* digits */
#define POW_CHALLENGE_MAX 80         /* with its NUL */
#define POW_CTX           "intkpow1" /* the key's context, 8 characters */

/* The challenges' key, derived from the receipt pepper. */
void pow_key(const uint8_t pepper[32], uint8_t key[POW_KEY_BYTES]);

/* The window of the time now_s (seconds since 1970). */
uint64_t pow_window(uint64_t now_s);

/* The challenge of window with bits and salt, into out. */
void pow_challenge_with(const uint8_t key[POW_KEY_BYTES], uint64_t window,
    unsigned bits, const uint8_t salt[POW_SALT_BYTES],
    char out[POW_CHALLENGE_MAX]);
/* A fresh challenge for now_s, with a random salt. */
void pow_challenge(const uint8_t key[POW_KEY_BYTES], uint64_t now_s,
    unsigned bits, char out[POW_CHALLENGE_MAX]);

enum pow_verdict {
	POW_OK,
	POW_MALFORMED, /* not "challenge:nonce" as we make them */
	POW_FORGED,    /* the MAC is not ours */
	POW_EXPIRED,   /* neither this window nor the one before */
	POW_WEAK,      /* too few zero bits, or fewer than min_bits asked */
};

/*
 * Checks a solution, len bytes of "challenge:nonce" (not NUL-terminated),
 * at now_s: the challenge must carry at least min_bits and its hash that
 * many zero bits.  On POW_OK, *id names the challenge (for pow_seen) and
 * *window is its window.
 */
TL_MUSTCHECK enum pow_verdict pow_check(const uint8_t key[POW_KEY_BYTES],
    uint64_t now_s, unsigned min_bits, const uint8_t *sol, size_t len,
    uint64_t *id, uint64_t *window);

/* Leading zero bits of a hash. */
unsigned pow_zero_bits(const uint8_t *h, size_t len);

/*
 * The challenges already used, in a table of fixed size: an entry is free
 * again once its window is over for pow_check() (two windows), so it
 * holds at most the solutions accepted in twenty minutes.  Caller frees
 * with pow_seen_free().  slots: a power of two; NULL if out of memory.
 */
struct pow_seen;
TL_MUSTCHECK struct pow_seen *pow_seen_new(size_t slots);
void pow_seen_free(struct pow_seen *);
/* Whether id was used (at now_s). */
bool pow_seen_has(const struct pow_seen *, uint64_t id, uint64_t now_s);
/* Notes id of window as used: 0, or -1 if it already was or the table has
 * no room near id (then the solution is not to be honoured). */
TL_MUSTCHECK int pow_seen_add(struct pow_seen *, uint64_t id, uint64_t window,
    uint64_t now_s);
/* Takes back a pow_seen_add() whose solution was not honoured after all. */
void pow_seen_remove(struct pow_seen *, uint64_t id);

#endif
