/*
 * Unit tests of the arena: alignment, the cap, large allocations, reuse
 * after reset and arena_owns().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"

static void
test_align_and_zero(void **state)
{
	struct arena a;
	uint8_t *p, *q;
	size_t i;

	(void)state;
	arena_init(&a, 0);
	for (i = 0; i < 100; i++) {
		p = arena_alloc(&a, i % 13);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % 8, 0);
		memset(p, 0xa5, i % 13);
	}
	p = arena_alloc(&a, 0);
	q = arena_alloc(&a, 0);
	assert_non_null(p);
	assert_non_null(q);
	assert_ptr_not_equal(p, q);
	arena_reset(&a);
}

static void
test_cap(void **state)
{
	struct arena a;
	size_t got = 0;
	void *p;

	(void)state;
	arena_init(&a, 1000);
	while ((p = arena_alloc(&a, 24)) != NULL)
		got += 24;
	assert_true(got > 900 && got <= 1000);
	assert_null(arena_alloc(&a, 24));
	assert_true(a.total <= 1000);
	arena_reset(&a);
	/* Reusable, same cap. */
	assert_non_null(arena_alloc(&a, 1000));
	assert_null(arena_alloc(&a, 1));
	arena_reset(&a);
	assert_null(arena_alloc(&a, 1001));
	assert_null(arena_alloc(&a, SIZE_MAX));
	assert_null(arena_alloc(&a, SIZE_MAX - 3));
	arena_reset(&a);
	arena_reset(&a);
}

static void
test_large_keeps_head(void **state)
{
	struct arena a;
	uint8_t *small1, *big, *small2;

	(void)state;
	arena_init(&a, 1 << 20);
	small1 = arena_alloc(&a, 16);
	big = arena_alloc(&a, 100000);
	small2 = arena_alloc(&a, 16);
	assert_non_null(small1);
	assert_non_null(big);
	assert_non_null(small2);
	memset(big, 1, 100000);
	/* The small ones share the first chunk. */
	assert_ptr_equal(small2, small1 + 16);
	assert_true(arena_owns(&a, big, 100000));
	assert_true(arena_owns(&a, big + 99999, 1));
	assert_false(arena_owns(&a, big, 100001));
	assert_true(arena_owns(&a, small1, 32));
	assert_true(arena_owns(&a, small1 + 32, 0));
	assert_false(arena_owns(&a, small1, 33));
	assert_false(arena_owns(&a, &a, 1));
	arena_reset(&a);
	assert_false(arena_owns(&a, small1, 1));
}

static void
test_strndup(void **state)
{
	struct arena a;
	char *s;

	(void)state;
	arena_init(&a, 4096);
	s = arena_strndup(&a, "hello, world", 5);
	assert_string_equal(s, "hello");
	s = arena_strndup(&a, "", 0);
	assert_string_equal(s, "");
	s = arena_strndup(&a, "a\0b", 3);
	assert_memory_equal(s, "a\0b\0", 4);
	assert_null(arena_strndup(&a, "x", SIZE_MAX));
	arena_reset(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_align_and_zero),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_large_keeps_head),
		cmocka_unit_test(test_strndup),
	};

	return cmocka_run_group_tests_name("arena", tests, NULL, NULL);
}
