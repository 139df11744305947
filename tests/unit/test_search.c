/*
 * Unit tests of lib/search.c: tokens of texts and queries, and matches.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "search.h"

static const uint8_t key[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

static size_t
tokens(const char *s, int32_t *out)
{
	return search_tokens(s, strlen(s), key, out, SEARCH_MAX_TOKENS);
}

static size_t
query(const char *s, int32_t *out, struct buf *norm)
{
	buf_init(norm, 0);
	return search_query(s, strlen(s), key, out, SEARCH_MAX_QUERY, norm);
}

static bool
has(const int32_t *t, size_t n, int32_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i] == v)
			return true;
	return false;
}

/* Every token of the query is among the text's: the database finds it. */
static bool
found(const char *text, const char *q)
{
	int32_t t[SEARCH_MAX_TOKENS], qt[SEARCH_MAX_QUERY];
	size_t nt = tokens(text, t), nq, i;
	struct buf norm;
	bool ok = true;

	nq = query(q, qt, &norm);
	for (i = 0; i < nq; i++)
		ok = ok && has(t, nt, qt[i]);
	buf_reset(&norm);
	return nq > 0 && ok;
}

static bool
matches(const char *text, const char *q)
{
	int32_t qt[SEARCH_MAX_QUERY];
	struct buf norm;
	bool ok;

	(void)query(q, qt, &norm);
	ok = search_matches((const char *)norm.p, norm.len, text, strlen(text));
	buf_reset(&norm);
	return ok;
}

static void
test_tokens(void **state)
{
	int32_t a[SEARCH_MAX_TOKENS], b[SEARCH_MAX_TOKENS];
	size_t na, nb, i;

	(void)state;
	/* Two words of five letters or more: a word and a prefix each. */
	na = tokens("Maahanmuuttajat OUT, maahanmuuttajat out!", a);
	assert_int_equal(na, 3); /* word, prefix, "out" */
	for (i = 1; i < na; i++)
		assert_true(a[i - 1] < a[i]);
	/* Case and punctuation do not matter; order does not. */
	nb = tokens("out -- MAAHANMUUTTAJAT", b);
	assert_int_equal(nb, na);
	assert_memory_equal(a, b, na * sizeof(a[0]));
	/* One-letter words are not indexed. */
	assert_int_equal(tokens("a b c", a), 0);
	/* Another key, other tokens. */
	{
		uint8_t k2[32] = { 9 };
		int32_t c[8];

		assert_int_equal(search_tokens("out", 3, k2, c, 8), 1);
		assert_int_equal(tokens("out", b), 1);
		assert_int_not_equal(c[0], b[0]);
	}
	/* The output limit holds. */
	assert_int_equal(search_tokens("alpha beta gamma delta", 22, key, a, 3),
	    2);
}

static void
test_found_and_matches(void **state)
{
	const char *text = "Kirjoitti että maahanmuuttajat pitäisi ajaa "
	                   "pois, linkki https://x.com/Foo/status/123";

	(void)state;
	assert_true(found(text, "maahanm"));
	assert_true(matches(text, "maahanm"));
	assert_true(found(text, "MAAHANMUUTTAJAT ajaa"));
	assert_true(matches(text, "maahanmuuttajat ajaa"));
	assert_true(found(text, "x.com"));
	assert_true(matches(text, "x com"));
	assert_true(found(text, "pitäisi"));
	assert_true(matches(text, "PITÄISI"));
	/* A prefix token is broader than the query: the check is exact. */
	assert_true(found(text, "maahanmuuttajien"));
	assert_false(matches(text, "maahanmuuttajien"));
	/* Short words must be whole. */
	assert_false(found(text, "aj"));
	assert_false(matches(text, "aj"));
	assert_false(found(text, "somali"));
	assert_false(matches(text, "somali"));
	/* Nothing to search. */
	assert_false(found(text, "  , . "));
	assert_false(matches(text, "  , . "));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_found_and_matches),
	};

	if (sodium_init() == -1)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
