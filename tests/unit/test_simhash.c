/*
 * Unit tests of the keyed SimHash of normalised text: identical texts hash
 * alike, a one-word change moves few bits, unrelated texts about half of
 * them, and the key changes everything.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "simhash.h"

/* 40 words, normalised (lower case, single spaces). */
static const char text40[] =
    "the people in the video keep shouting that all of them should go "
    "back where they came from and the comments under the post call for "
    "violence against the whole group while nobody in the thread says "
    "anything about it";
/* The same with one word changed ("violence" -> "hatred"). */
static const char text40b[] =
    "the people in the video keep shouting that all of them should go "
    "back where they came from and the comments under the post call for "
    "hatred against the whole group while nobody in the thread says "
    "anything about it";
/* Unrelated, 40 words. */
static const char other40[] =
    "a man in a red jacket shouted insults at two women wearing "
    "headscarves at the tram stop near the station then followed them "
    "onto the tram where he kept threatening them until passengers "
    "stepped in and the driver called police";

static void
key_of(uint8_t key[SIMHASH_KEY_BYTES], unsigned seed)
{
	unsigned i;

	for (i = 0; i < SIMHASH_KEY_BYTES; i++)
		key[i] = (uint8_t)(seed * 131u + i * 29u + 7u);
}

static uint64_t
sh(const char *s, const uint8_t *key, size_t *nwords)
{
	size_t n;

	return simhash_text(s, strlen(s), key, nwords ? nwords : &n);
}

static int
dist(uint64_t a, uint64_t b)
{
	return __builtin_popcountll(a ^ b);
}

static void
test_identical(void **state)
{
	uint8_t key[SIMHASH_KEY_BYTES];
	size_t n1, n2;
	char copy[sizeof(text40)];

	(void)state;
	key_of(key, 1);
	memcpy(copy, text40, sizeof(text40));
	assert_true(sh(text40, key, &n1) == sh(copy, key, &n2));
	assert_int_equal(n1, n2);
	/* Pure: the same call again gives the same answer. */
	assert_true(sh(text40, key, NULL) == sh(text40, key, NULL));
}

static void
test_one_word_changed(void **state)
{
	uint8_t key[SIMHASH_KEY_BYTES];
	unsigned seed, le3 = 0, le11 = 0, nkeys = 1000;
	int d, dmax = 0;
	double sum = 0;

	(void)state;
	key_of(key, 1);
	d = dist(sh(text40, key, NULL), sh(text40b, key, NULL));
	print_message("one word of 40 changed, key 1: distance %d\n", d);
	assert_true(d > 0 && d <= 16);
	/* Over many keys: few bits on average, well below unrelated texts'
	 * 32.  (Three of the 38 shingles change.) */
	for (seed = 0; seed < nkeys; seed++) {
		key_of(key, seed + 1000);
		d = dist(sh(text40, key, NULL), sh(text40b, key, NULL));
		sum += d;
		if (d > dmax)
			dmax = d;
		le3 += d <= 3;
		le11 += d <= 11;
	}
	print_message("one word of 40 changed, %u keys: mean distance %.2f, "
	              "max %d, <= 3 for %.1f%%, <= 11 for %.1f%%\n",
	    nkeys, sum / nkeys, dmax, 100.0 * le3 / nkeys,
	    100.0 * le11 / nkeys);
	assert_true(sum / nkeys >= 3 && sum / nkeys <= 12);
	assert_true(dmax < 24);
}

static void
test_different_texts(void **state)
{
	uint8_t key[SIMHASH_KEY_BYTES];
	unsigned seed, nkeys = 1000;
	int d, dmin = 64, dmax = 0;
	double sum = 0;

	(void)state;
	for (seed = 0; seed < nkeys; seed++) {
		key_of(key, seed);
		d = dist(sh(text40, key, NULL), sh(other40, key, NULL));
		assert_true(d >= 32 - 20 && d <= 32 + 20);
		sum += d;
		if (d < dmin)
			dmin = d;
		if (d > dmax)
			dmax = d;
	}
	print_message("unrelated 40-word texts, %u keys: mean distance %.2f, "
	              "min %d, max %d\n",
	    nkeys, sum / nkeys, dmin, dmax);
	assert_true(sum / nkeys >= 30 && sum / nkeys <= 34);
	/* One key: 32 +- 12. */
	key_of(key, 1);
	d = dist(sh(text40, key, NULL), sh(other40, key, NULL));
	print_message("unrelated texts, key 1: distance %d\n", d);
	assert_true(d >= 20 && d <= 44);
	/* Word order matters: shingles are ordered. */
	d = dist(sh("one two three four five six", key, NULL),
	    sh("six five four three two one", key, NULL));
	assert_true(d >= 20 && d <= 44);
}

static void
test_word_count(void **state)
{
	uint8_t key[SIMHASH_KEY_BYTES];
	size_t n;

	(void)state;
	key_of(key, 1);
	sh(text40, key, &n);
	assert_int_equal(n, 40);
	sh("one", key, &n);
	assert_int_equal(n, 1);
	sh("one two", key, &n);
	assert_int_equal(n, 2);
	sh("one two three", key, &n);
	assert_int_equal(n, 3);
	sh("racist comment under the news article", key, &n);
	assert_int_equal(n, 6);
	sh("they wrote slurs on the bus stop again", key, &n);
	assert_int_equal(n, 8);
	/* Not normalised: runs of spaces still separate single words. */
	sh(" one  two   three ", key, &n);
	assert_int_equal(n, 3);
	/* UTF-8 letters are word bytes. */
	sh("hän sanoi että öljyä", key, &n);
	assert_int_equal(n, 4);
}

static void
test_keys(void **state)
{
	uint8_t k1[SIMHASH_KEY_BYTES], k2[SIMHASH_KEY_BYTES];
	int d;

	(void)state;
	key_of(k1, 1);
	key_of(k2, 2);
	d = dist(sh(text40, k1, NULL), sh(text40, k2, NULL));
	print_message("same text, two keys: distance %d\n", d);
	assert_true(d >= 12);
	/* One bit of key is enough to change the hash. */
	memcpy(k2, k1, sizeof(k1));
	k2[0] ^= 1;
	assert_true(sh(text40, k1, NULL) != sh(text40, k2, NULL));
	assert_true(sh("one", k1, NULL) != sh("one", k2, NULL));
}

static void
test_short_and_empty(void **state)
{
	uint8_t key[SIMHASH_KEY_BYTES];
	size_t n = 99;

	(void)state;
	key_of(key, 1);
	assert_true(simhash_text("", 0, key, &n) == 0);
	assert_int_equal(n, 0);
	/* Fewer than three words: the whole text is the one feature. */
	assert_true(sh("one", key, NULL) != 0);
	assert_true(sh("one two", key, NULL) != sh("one three", key, NULL));
	assert_true(sh("one two", key, NULL) != sh("two one", key, NULL));
	/* Only the first len bytes count. */
	assert_true(simhash_text("one two three four", 13, key, &n) ==
	            sh("one two three", key, NULL));
	assert_int_equal(n, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identical),
		cmocka_unit_test(test_one_word_changed),
		cmocka_unit_test(test_different_texts),
		cmocka_unit_test(test_word_count),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_short_and_empty),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("simhash", tests, NULL, NULL);
}
