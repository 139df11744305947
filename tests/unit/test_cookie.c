/*
 * Unit tests of lib/cookie.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cookie.h"

static int
get(const char *h, const char *name, char *out, size_t outlen)
{
	struct span v;
	const char *errstr = NULL;
	int rv = cookie_get(h, strlen(h), name, &v, &errstr);

	out[0] = '\0';
	if (rv == 1) {
		assert_true(v.len < outlen);
		memcpy(out, v.p, v.len);
		out[v.len] = '\0';
	}
	if (rv == -1)
		assert_non_null(errstr);
	return rv;
}

static void
test_finds(void **state)
{
	char v[64];

	(void)state;
	assert_int_equal(get("a=1; b=2", "b", v, sizeof(v)), 1);
	assert_string_equal(v, "2");
	assert_int_equal(get("a=1;b=2", "a", v, sizeof(v)), 1);
	assert_string_equal(v, "1");
	assert_int_equal(
	    get("  x = y ; __Host-s=abc", "__Host-s", v, sizeof(v)), 1);
	assert_string_equal(v, "abc");
	assert_int_equal(get("q=\"quoted\"", "q", v, sizeof(v)), 1);
	assert_string_equal(v, "quoted");
	assert_int_equal(get("e=", "e", v, sizeof(v)), 1);
	assert_string_equal(v, "");
	/* The first one wins. */
	assert_int_equal(get("d=1; d=2", "d", v, sizeof(v)), 1);
	assert_string_equal(v, "1");
}

static void
test_missing(void **state)
{
	char v[64];

	(void)state;
	assert_int_equal(get("", "a", v, sizeof(v)), 0);
	assert_int_equal(get(";;; ", "a", v, sizeof(v)), 0);
	assert_int_equal(get("ab=1", "a", v, sizeof(v)), 0);
	assert_int_equal(get("A=1", "a", v, sizeof(v)), 0);
	assert_int_equal(get("b=a=1", "a", v, sizeof(v)), 0);
	/* A pair without '=' is skipped, not the end. */
	assert_int_equal(get("junk; a=ok", "a", v, sizeof(v)), 1);
	assert_string_equal(v, "ok");
}

static void
test_control(void **state)
{
	char v[64];

	(void)state;
	assert_int_equal(get("a=1\x01; b=2", "b", v, sizeof(v)), -1);
	assert_int_equal(get("a=\x7f", "a", v, sizeof(v)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_finds),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_control),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
