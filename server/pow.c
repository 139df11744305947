/*
 * The proof of work of POST /tip (see pow.h): challenges made and checked
 * without state, and the table of challenges already used.  The MAC is
 * libsodium's keyed BLAKE2b over the window, bits and salt in binary, so
 * that the text form is checked by making it again and comparing.  A
 * challenge is used once: its id is the first 8 bytes of its MAC, which
 * nobody without the key can choose, so ids cannot be made to crowd one
 * part of the table (as with lib/ratelimit.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "pow.h"
#include "seal.h"

#define POW_PROBE 32 /* slots an id may use, from its own on */

_Static_assert(POW_KEY_BYTES >= crypto_generichash_KEYBYTES_MIN &&
                   POW_KEY_BYTES <= crypto_generichash_KEYBYTES_MAX,
    "a BLAKE2b key");
_Static_assert(sizeof(POW_CTX) == 9, "contexts of 8");

struct pow_slot {
	uint64_t id;
	uint64_t window; /* 0: never used */
};

struct pow_seen {
	size_t mask;
	struct pow_slot *slots;
};

void
pow_key(const uint8_t pepper[32], uint8_t key[POW_KEY_BYTES])
{
	seal_subkey(pepper, POW_CTX, key);
}

uint64_t
pow_window(uint64_t now_s)
{
	return now_s / POW_WINDOW_S;
}

static void
pow_mac(const uint8_t key[POW_KEY_BYTES], uint64_t window, unsigned bits,
    const uint8_t salt[POW_SALT_BYTES], uint8_t mac[POW_MAC_BYTES])
{
	uint8_t in[8 + 1 + POW_SALT_BYTES];
	int i;

	for (i = 0; i < 8; i++)
		in[i] = (uint8_t)(window >> (8 * i));
	in[8] = (uint8_t)bits;
	memcpy(in + 9, salt, POW_SALT_BYTES);
	crypto_generichash(mac, POW_MAC_BYTES, in, sizeof(in), key,
	    POW_KEY_BYTES);
}

void
pow_challenge_with(const uint8_t key[POW_KEY_BYTES], uint64_t window,
    unsigned bits, const uint8_t salt[POW_SALT_BYTES],
    char out[POW_CHALLENGE_MAX])
{
	uint8_t mac[POW_MAC_BYTES];
	char shex[2 * POW_SALT_BYTES + 1], mhex[2 * POW_MAC_BYTES + 1];

	pow_mac(key, window, bits, salt, mac);
	sodium_bin2hex(shex, sizeof(shex), salt, POW_SALT_BYTES);
	sodium_bin2hex(mhex, sizeof(mhex), mac, sizeof(mac));
	/* At most 20 + 1 + 2 + 1 + 16 + 1 + 32 characters: it fits. */
	snprintf(out, POW_CHALLENGE_MAX, "%llu.%u.%s.%s",
	    (unsigned long long)window, bits, shex, mhex);
}

void
pow_challenge(const uint8_t key[POW_KEY_BYTES], uint64_t now_s, unsigned bits,
    char out[POW_CHALLENGE_MAX])
{
	uint8_t salt[POW_SALT_BYTES];

	randombytes_buf(salt, sizeof(salt));
	pow_challenge_with(key, pow_window(now_s), bits, salt, out);
}

unsigned
pow_zero_bits(const uint8_t *h, size_t len)
{
	unsigned n = 0;
	size_t i;
	uint8_t b;

	for (i = 0; i < len; i++) {
		if (h[i] == 0) {
			n += 8;
			continue;
		}
		for (b = h[i]; (b & 0x80) == 0; b <<= 1)
			n++;
		break;
	}
	return n;
}

/* A decimal number of 1 to maxlen digits without a leading zero. */
static int
pow_number(const char *s, size_t len, size_t maxlen, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > maxlen || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' ||
		    v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

enum pow_verdict
pow_check(const uint8_t key[POW_KEY_BYTES], uint64_t now_s, unsigned min_bits,
    const uint8_t *sol, size_t len, uint64_t *id, uint64_t *window)
{
	const char *s = (const char *)sol, *colon, *dot[3];
	char expect[POW_CHALLENGE_MAX];
	uint8_t salt[POW_SALT_BYTES], mac[POW_MAC_BYTES];
	uint8_t hash[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state st;
	uint64_t w, bits, nonce, cur = pow_window(now_s);
	size_t clen, i, n = 0;

	if (len == 0 || (colon = memchr(s, ':', len)) == NULL)
		return POW_MALFORMED;
	clen = (size_t)(colon - s);
	if (clen >= POW_CHALLENGE_MAX ||
	    pow_number(colon + 1, len - clen - 1, POW_NONCE_MAX, &nonce) == -1)
		return POW_MALFORMED;
	for (i = 0; i < clen; i++)
		if (s[i] == '.') {
			if (n == 3)
				return POW_MALFORMED;
			dot[n++] = s + i;
		}
	if (n != 3 || pow_number(s, (size_t)(dot[0] - s), 20, &w) == -1 ||
	    pow_number(dot[0] + 1, (size_t)(dot[1] - dot[0] - 1), 2, &bits) ==
	        -1 ||
	    bits > POW_MAX_BITS ||
	    sodium_hex2bin(salt, sizeof(salt), dot[1] + 1,
	        (size_t)(dot[2] - dot[1] - 1), NULL, &i, NULL) != 0 ||
	    i != sizeof(salt) ||
	    sodium_hex2bin(mac, sizeof(mac), dot[2] + 1,
	        (size_t)(colon - dot[2] - 1), NULL, &i, NULL) != 0 ||
	    i != sizeof(mac))
		return POW_MALFORMED;

	/* Ours only if making it again gives the same text. */
	pow_challenge_with(key, w, (unsigned)bits, salt, expect);
	if (strlen(expect) != clen || sodium_memcmp(expect, s, clen) != 0)
		return POW_FORGED;
	if (w != cur && w + 1 != cur)
		return POW_EXPIRED;
	if (bits < min_bits)
		return POW_WEAK;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)s, clen);
	crypto_hash_sha256_update(&st, (const uint8_t *)colon + 1,
	    len - clen - 1);
	crypto_hash_sha256_final(&st, hash);
	if (pow_zero_bits(hash, sizeof(hash)) < bits)
		return POW_WEAK;
	memcpy(id, mac, sizeof(*id));
	*window = w;
	return POW_OK;
}

struct pow_seen *
pow_seen_new(size_t slots)
{
	struct pow_seen *ps;

	if (slots < POW_PROBE || (slots & (slots - 1)) != 0)
		return NULL;
	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		return NULL;
	if ((ps->slots = calloc(slots, sizeof(ps->slots[0]))) == NULL) {
		free(ps);
		return NULL;
	}
	ps->mask = slots - 1;
	return ps;
}

void
pow_seen_free(struct pow_seen *ps)
{
	if (ps == NULL)
		return;
	free(ps->slots);
	free(ps);
}

/* Whether a slot still counts at window cur. */
static bool
pow_slot_live(const struct pow_slot *s, uint64_t cur)
{
	return s->window != 0 && s->window + 1 >= cur;
}

bool
pow_seen_has(const struct pow_seen *ps, uint64_t id, uint64_t now_s)
{
	uint64_t cur = pow_window(now_s);
	const struct pow_slot *s;
	size_t i;

	for (i = 0; i < POW_PROBE; i++) {
		s = &ps->slots[(id + i) & ps->mask];
		if (pow_slot_live(s, cur) && s->id == id)
			return true;
	}
	return false;
}

int
pow_seen_add(struct pow_seen *ps, uint64_t id, uint64_t window, uint64_t now_s)
{
	uint64_t cur = pow_window(now_s);
	struct pow_slot *s, *free_slot = NULL;
	size_t i;

	for (i = 0; i < POW_PROBE; i++) {
		s = &ps->slots[(id + i) & ps->mask];
		if (!pow_slot_live(s, cur)) {
			if (free_slot == NULL)
				free_slot = s;
		} else if (s->id == id)
			return -1;
	}
	if (free_slot == NULL || window == 0)
		return -1;
	free_slot->id = id;
	free_slot->window = window;
	return 0;
}

void
pow_seen_remove(struct pow_seen *ps, uint64_t id)
{
	struct pow_slot *s;
	size_t i;

	for (i = 0; i < POW_PROBE; i++) {
		s = &ps->slots[(id + i) & ps->mask];
		if (s->window != 0 && s->id == id) {
			s->window = 0;
			return;
		}
	}
}
