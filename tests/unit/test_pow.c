/*
 * Unit tests of the proof of work of POST /tip (server/pow.c) with a key
 * and a clock of the tests' own: a solved challenge is good in its window
 * and the next; a changed MAC, another key, an older window, too few zero
 * bits or too easy a challenge are not; and a challenge is used once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "pow.h"

#define NOW  1800000000ULL /* a time in window 3000000 */
#define BITS 8

static uint8_t key[POW_KEY_BYTES];
static const uint8_t salt[POW_SALT_BYTES] = { 1, 2, 3, 4, 5, 6, 7, 8 };

/* "challenge:nonce" with the first nonce that has at least want zero
 * bits (exactly want if exact), into out. */
static void
solve(const char *challenge, unsigned want, bool exact, char *out, size_t n)
{
	uint8_t h[crypto_hash_sha256_BYTES];
	unsigned long long nonce;
	char in[POW_CHALLENGE_MAX + 24];
	unsigned z;

	for (nonce = 0;; nonce++) {
		snprintf(in, sizeof(in), "%s%llu", challenge, nonce);
		crypto_hash_sha256(h, (const uint8_t *)in, strlen(in));
		z = pow_zero_bits(h, sizeof(h));
		if (exact ? z == want : z >= want)
			break;
	}
	snprintf(out, n, "%s:%llu", challenge, nonce);
}

static enum pow_verdict
check(uint64_t now, unsigned min_bits, const char *sol)
{
	uint64_t id = 0, window = 0;

	return pow_check(key, now, min_bits, (const uint8_t *)sol, strlen(sol),
	    &id, &window);
}

static int
setup(void **state)
{
	uint8_t pepper[32];

	(void)state;
	memset(pepper, 0x42, sizeof(pepper));
	pow_key(pepper, key);
	return 0;
}

static void
test_valid(void **state)
{
	char c[POW_CHALLENGE_MAX], sol[128];
	uint64_t id = 0, window = 0;

	(void)state;
	pow_challenge_with(key, pow_window(NOW), BITS, salt, c);
	assert_int_equal(strncmp(c, "3000000.8.0102030405060708.", 27), 0);
	assert_int_equal(strlen(c), 27 + 2 * POW_MAC_BYTES);
	solve(c, BITS, false, sol, sizeof(sol));
	assert_int_equal(pow_check(key, NOW, BITS, (const uint8_t *)sol,
	                     strlen(sol), &id, &window),
	    POW_OK);
	assert_int_equal(window, pow_window(NOW));
	assert_int_not_equal(id, 0);

	/* pow_challenge() gives a new salt each time. */
	{
		char a[POW_CHALLENGE_MAX], b[POW_CHALLENGE_MAX];

		pow_challenge(key, NOW, BITS, a);
		pow_challenge(key, NOW, BITS, b);
		assert_string_not_equal(a, b);
		assert_int_equal(strncmp(a, "3000000.8.", 10), 0);
	}
}

static void
test_wrong_mac(void **state)
{
	char c[POW_CHALLENGE_MAX], sol[128], *p;
	uint8_t other[POW_KEY_BYTES], pepper[32];

	(void)state;
	pow_challenge_with(key, pow_window(NOW), BITS, salt, c);
	/* One hex digit of the MAC changed. */
	p = c + strlen(c) - 1;
	*p = *p == '0' ? '1' : '0';
	solve(c, BITS, false, sol, sizeof(sol));
	assert_int_equal(check(NOW, BITS, sol), POW_FORGED);

	/* A challenge made under another pepper. */
	memset(pepper, 0x43, sizeof(pepper));
	pow_key(pepper, other);
	pow_challenge_with(other, pow_window(NOW), BITS, salt, c);
	solve(c, BITS, false, sol, sizeof(sol));
	assert_int_equal(check(NOW, BITS, sol), POW_FORGED);

	/* Fewer bits than the MAC covers, with the MAC of more. */
	pow_challenge_with(key, pow_window(NOW), 12, salt, c);
	memcpy(c + 8, "8", 1);
	memmove(c + 9, c + 10, strlen(c + 10) + 1);
	solve(c, BITS, false, sol, sizeof(sol));
	assert_int_equal(check(NOW, BITS, sol), POW_FORGED);
}

static void
test_windows(void **state)
{
	char c[POW_CHALLENGE_MAX], sol[128];
	uint64_t w = pow_window(NOW);

	(void)state;
	pow_challenge_with(key, w, BITS, salt, c);
	solve(c, BITS, false, sol, sizeof(sol));
	/* Good to the end of the next window... */
	assert_int_equal(check(NOW, BITS, sol), POW_OK);
	assert_int_equal(check(w * POW_WINDOW_S, BITS, sol), POW_OK);
	assert_int_equal(check(NOW + POW_WINDOW_S, BITS, sol), POW_OK);
	assert_int_equal(check((w + 2) * POW_WINDOW_S - 1, BITS, sol), POW_OK);
	/* ...and no longer, nor before it was made. */
	assert_int_equal(check((w + 2) * POW_WINDOW_S, BITS, sol), POW_EXPIRED);
	assert_int_equal(check(NOW + 10 * POW_WINDOW_S, BITS, sol),
	    POW_EXPIRED);
	assert_int_equal(check(w * POW_WINDOW_S - 1, BITS, sol), POW_EXPIRED);
}

static void
test_too_few_bits(void **state)
{
	char c[POW_CHALLENGE_MAX], sol[128];

	(void)state;
	pow_challenge_with(key, pow_window(NOW), BITS, salt, c);
	solve(c, BITS - 1, true, sol, sizeof(sol));
	assert_int_equal(check(NOW, BITS, sol), POW_WEAK);
	solve(c, BITS, true, sol, sizeof(sol));
	assert_int_equal(check(NOW, BITS, sol), POW_OK);
	/* A challenge easier than the server asks for now. */
	assert_int_equal(check(NOW, BITS + 1, sol), POW_WEAK);
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = { "", ":", "x", "3000000.8:1",
		"3000000.8.0102030405060708.00:1",
		"3000000.8.0102030405060708.00000000000000000000000000000000",
		"3000000.8.0102030405060708.00000000000000000000000000000000:",
		"3000000.8.0102030405060708.00000000000000000000000000000000:x",
		"3000000.8.0102030405060708.00000000000000000000000000000000:01",
		("3000000.8.0102030405060708.00000000000000000000000000000000:"
		 "123456789012345678901"),
		"3000000.99.0102030405060708.00000000000000000000000000000000:1",
		"03000000.8.0102030405060708.00000000000000000000000000000000:1",
		"3000000.8.0102030405060708.0000000000000000000000000000000:1",
		"3000000.8.8.0102030405060708.00000000000000000000000000000000:1",
		"a.8.0102030405060708.00000000000000000000000000000000:1" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(check(NOW, BITS, bad[i]), POW_MALFORMED);
}

static void
test_reuse_refused(void **state)
{
	struct pow_seen *ps = pow_seen_new(1024);
	char c[POW_CHALLENGE_MAX], sol[128];
	uint64_t id, window, w = pow_window(NOW);

	(void)state;
	assert_non_null(ps);
	pow_challenge_with(key, w, BITS, salt, c);
	solve(c, BITS, false, sol, sizeof(sol));
	assert_int_equal(pow_check(key, NOW, BITS, (const uint8_t *)sol,
	                     strlen(sol), &id, &window),
	    POW_OK);
	assert_false(pow_seen_has(ps, id, NOW));
	assert_int_equal(pow_seen_add(ps, id, window, NOW), 0);
	assert_true(pow_seen_has(ps, id, NOW));
	assert_int_equal(pow_seen_add(ps, id, window, NOW), -1);
	/* Still used while the solution would still be good... */
	assert_true(pow_seen_has(ps, id, (w + 2) * POW_WINDOW_S - 1));
	assert_int_equal(
	    pow_seen_add(ps, id, window, (w + 2) * POW_WINDOW_S - 1), -1);
	/* ...and forgotten once it no longer is. */
	assert_false(pow_seen_has(ps, id, (w + 2) * POW_WINDOW_S));
	/* One taken back may be used. */
	pow_seen_remove(ps, id);
	assert_false(pow_seen_has(ps, id, NOW));
	assert_int_equal(pow_seen_add(ps, id, window, NOW), 0);
	pow_seen_free(ps);
}

/* A full neighbourhood refuses rather than forgets. */
static void
test_seen_full(void **state)
{
	struct pow_seen *ps = pow_seen_new(64);
	uint64_t w = pow_window(NOW), i;

	(void)state;
	assert_non_null(ps);
	for (i = 0; i < 32; i++)
		assert_int_equal(pow_seen_add(ps, 1000 + i, w, NOW), 0);
	assert_int_equal(pow_seen_add(ps, 1000, w, NOW), -1);
	/* The ids from 1000 to 1031 take 1000's neighbourhood. */
	assert_int_equal(pow_seen_add(ps, 1000 + 64, w, NOW), -1);
	for (i = 0; i < 32; i++)
		assert_true(pow_seen_has(ps, 1000 + i, NOW));
	/* Two windows on, every slot is free again. */
	assert_int_equal(
	    pow_seen_add(ps, 1000 + 64, w + 2, (w + 2) * POW_WINDOW_S), 0);
	assert_null(pow_seen_new(100));
	pow_seen_free(ps);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_wrong_mac),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_too_few_bits),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_reuse_refused),
		cmocka_unit_test(test_seen_full),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, NULL);
}
