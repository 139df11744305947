/*
 * Unit tests of the rate limits, on a clock the tests move: a client's
 * burst and refill, clients apart from each other, the global bucket as
 * the last line, refused requests taking nothing, and a full table that
 * neither grows nor loses anyone's partly used bucket.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ratelimit.h"

#define SEC 1000000ULL
#define T0  (1000 * SEC) /* any start: the clock need not start at 0 */

static bool
take(struct ratelimit *rl, uint64_t key, uint64_t now)
{
	uint64_t retry = 0;

	return ratelimit_take(rl, key, now, &retry);
}

static void
test_burst_and_refill(void **state)
{
	struct ratelimit_rate c = { 10 * SEC, 3 }, g = { 1, 1000000 };
	struct ratelimit *rl = ratelimit_new(&c, &g, 1024);
	uint64_t retry = 0;

	(void)state;
	assert_non_null(rl);
	assert_true(take(rl, 7, T0));
	assert_true(take(rl, 7, T0));
	assert_true(take(rl, 7, T0));
	assert_false(ratelimit_take(rl, 7, T0, &retry));
	assert_int_equal(retry, 10 * SEC);
	assert_false(ratelimit_take(rl, 7, T0 + 4 * SEC, &retry));
	assert_int_equal(retry, 6 * SEC);
	/* One token every 10 s. */
	assert_true(take(rl, 7, T0 + 10 * SEC));
	assert_false(take(rl, 7, T0 + 10 * SEC));
	/* Never more than the burst, however long it waited. */
	assert_true(take(rl, 7, T0 + 3600 * SEC));
	assert_true(take(rl, 7, T0 + 3600 * SEC));
	assert_true(take(rl, 7, T0 + 3600 * SEC));
	assert_false(take(rl, 7, T0 + 3600 * SEC));
	ratelimit_free(rl);
}

static void
test_clients_apart(void **state)
{
	struct ratelimit_rate c = { 60 * SEC, 2 }, g = { 1, 1000000 };
	struct ratelimit *rl = ratelimit_new(&c, &g, 1024);
	int i;

	(void)state;
	assert_true(take(rl, 1, T0));
	assert_true(take(rl, 1, T0));
	for (i = 0; i < 100; i++)
		assert_false(take(rl, 1, T0 + (uint64_t)i));
	/* Another client, even one next in the table, is untouched. */
	assert_true(take(rl, 2, T0 + 100));
	assert_true(take(rl, 2, T0 + 100));
	assert_false(take(rl, 2, T0 + 100));
	ratelimit_free(rl);
}

static void
test_global_last_line(void **state)
{
	struct ratelimit_rate c = { 60 * SEC, 5 }, g = { SEC, 4 };
	struct ratelimit *rl = ratelimit_new(&c, &g, 1024);
	uint64_t retry = 0, k;

	(void)state;
	/* Many clients with one request each: four get through. */
	for (k = 100; k < 104; k++)
		assert_true(take(rl, k, T0));
	for (k = 104; k < 200; k++) {
		assert_false(ratelimit_take(rl, k, T0, &retry));
		assert_int_equal(retry, SEC);
	}
	/* Refused requests took nothing: neither the clients' tokens nor
	 * table slots. */
	assert_int_equal(ratelimit_count(rl, T0), 4);
	assert_true(take(rl, 150, T0 + SEC));
	assert_false(take(rl, 151, T0 + SEC));
	ratelimit_free(rl);
}

static void
test_refused_takes_nothing(void **state)
{
	struct ratelimit_rate c = { 10 * SEC, 1 }, g = { SEC, 3 };
	struct ratelimit *rl = ratelimit_new(&c, &g, 1024);
	int i;

	(void)state;
	assert_true(take(rl, 1, T0));
	/* A client hammering its own empty bucket does not drain the
	 * global one. */
	for (i = 0; i < 1000; i++)
		assert_false(take(rl, 1, T0));
	assert_true(take(rl, 2, T0));
	assert_true(take(rl, 3, T0));
	assert_false(take(rl, 4, T0));
	ratelimit_free(rl);
}

static void
test_full_is_absent(void **state)
{
	struct ratelimit_rate c = { 10 * SEC, 3 }, g = { 1, 1000000 };
	struct ratelimit *rl = ratelimit_new(&c, &g, 1024);
	uint64_t k;

	(void)state;
	for (k = 0; k < 500; k++)
		assert_true(take(rl, k * 7919, T0));
	assert_int_equal(ratelimit_count(rl, T0), 500);
	/* A bucket is full again 10 s after its one token: its slot is
	 * free, and nothing is remembered of it. */
	assert_int_equal(ratelimit_count(rl, T0 + 10 * SEC - 1), 500);
	assert_int_equal(ratelimit_count(rl, T0 + 10 * SEC), 0);
	ratelimit_free(rl);
}

static void
test_table_full(void **state)
{
	struct ratelimit_rate c = { 60 * SEC, 3 }, g = { 1, 1000000 };
	/* As small as it gets: every key sees every slot. */
	struct ratelimit *rl = ratelimit_new(&c, &g, 16);
	uint64_t k;

	(void)state;
	assert_non_null(rl);
	/* Sixteen clients each use two of their three tokens. */
	for (k = 1; k <= 16; k++) {
		assert_true(take(rl, k, T0));
		assert_true(take(rl, k, T0));
	}
	assert_int_equal(ratelimit_count(rl, T0), 16);
	/* A crowd of new addresses: the table does not grow, and they all
	 * share one bucket at the per-client rate. */
	assert_true(take(rl, 1001, T0));
	assert_true(take(rl, 1002, T0));
	assert_true(take(rl, 1003, T0));
	for (k = 1004; k < 5000; k++)
		assert_false(take(rl, k, T0));
	assert_int_equal(ratelimit_count(rl, T0), 16);
	/* Nobody's partly used bucket was dropped: each has one token. */
	for (k = 1; k <= 16; k++) {
		assert_true(take(rl, k, T0));
		assert_false(take(rl, k, T0));
	}
	/* Once buckets refill, their slots serve new clients again. */
	assert_true(take(rl, 9000, T0 + 180 * SEC));
	assert_true(take(rl, 9000, T0 + 180 * SEC));
	assert_int_equal(ratelimit_count(rl, T0 + 180 * SEC), 1);
	ratelimit_free(rl);
}

static void
test_forget(void **state)
{
	struct ratelimit_rate c = { 60 * SEC, 1 }, g = { SEC, 2 };
	struct ratelimit *rl = ratelimit_new(&c, &g, 1024);

	(void)state;
	assert_true(take(rl, 5, T0));
	assert_false(take(rl, 5, T0));
	ratelimit_forget(rl);
	assert_int_equal(ratelimit_count(rl, T0), 0);
	/* The client is new; the global bucket is not. */
	assert_true(take(rl, 5, T0));
	assert_false(take(rl, 6, T0));
	ratelimit_free(rl);
}

/* The global bucket's use, for a cost that follows the load; and a token
 * taken from it alone. */
static void
test_global_used(void **state)
{
	struct ratelimit_rate c = { SEC, 1000 }, g = { 10 * SEC, 4 };
	struct ratelimit *rl = ratelimit_new(&c, &g, 1024);
	uint64_t retry = 0;

	(void)state;
	assert_non_null(rl);
	assert_int_equal(ratelimit_global_used(rl, T0), 0);
	assert_true(take(rl, 1, T0));
	assert_int_equal(ratelimit_global_used(rl, T0), 1);
	assert_true(ratelimit_take_global(rl, T0, &retry));
	assert_true(take(rl, 2, T0));
	assert_int_equal(ratelimit_global_used(rl, T0), 3);
	/* Part of a token back is not a token back. */
	assert_int_equal(ratelimit_global_used(rl, T0 + 5 * SEC), 3);
	assert_int_equal(ratelimit_global_used(rl, T0 + 10 * SEC), 2);
	assert_true(ratelimit_take_global(rl, T0, &retry));
	assert_int_equal(ratelimit_global_used(rl, T0), 4);
	assert_false(ratelimit_take_global(rl, T0, &retry));
	assert_int_equal(retry, 10 * SEC);
	assert_false(take(rl, 3, T0));
	assert_int_equal(ratelimit_global_used(rl, T0), 4);
	assert_int_equal(ratelimit_global_used(rl, T0 + 40 * SEC), 0);
	ratelimit_free(rl);
}

static void
test_slots(void **state)
{
	struct ratelimit_rate c = { 60 * SEC, 10 }, g = { SEC / 2, 300 };
	struct ratelimit_rate slow = { 3600 * SEC, 1 }, tiny = { SEC, 1 };
	struct ratelimit_rate huge = { 1, 1000000 };

	(void)state;
	/* 300 + 600 s x 2/s = 1500 busy at most: 4096 slots. */
	assert_int_equal(ratelimit_slots(&c, &g), 4096);
	assert_int_equal(ratelimit_slots(&tiny, &slow), RATELIMIT_MIN_SLOTS);
	assert_int_equal(ratelimit_slots(&slow, &huge), RATELIMIT_MAX_SLOTS);
	assert_null(ratelimit_new(&c, &g, 1000)); /* not a power of two */
	assert_null(ratelimit_new(&c, &g, 8));    /* smaller than a probe */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_and_refill),
		cmocka_unit_test(test_clients_apart),
		cmocka_unit_test(test_global_last_line),
		cmocka_unit_test(test_refused_takes_nothing),
		cmocka_unit_test(test_full_is_absent),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_forget),
		cmocka_unit_test(test_global_used),
		cmocka_unit_test(test_slots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
