/*
 * Unit tests of number, size and duration parsing and of buffers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "util.h"

static void
test_numbers(void **state)
{
	const char *e;
	long long v;

	(void)state;
	assert_int_equal(util_parse_ll("42", 0, 100, &v, &e), 0);
	assert_int_equal(v, 42);
	assert_int_equal(util_parse_ll("101", 0, 100, &v, &e), -1);
	assert_string_equal(e, "too large");
	assert_int_equal(util_parse_ll(" 1", 0, 100, &v, &e), -1);
	assert_int_equal(util_parse_ll("1 ", 0, 100, &v, &e), -1);
	assert_int_equal(util_parse_ll("", 0, 100, &v, &e), -1);
	assert_int_equal(util_parse_ll("99999999999999999999", 0, 100, &v, &e),
	    -1);
	assert_int_equal(util_parse_size("10M", 0, 1LL << 40, &v, &e), 0);
	assert_int_equal(v, 10 << 20);
	assert_int_equal(util_parse_size("16K", 0, 1LL << 40, &v, &e), 0);
	assert_int_equal(v, 16 << 10);
	assert_int_equal(util_parse_size("9999999999G", 0, 1LL << 40, &v, &e),
	    -1);
	assert_int_equal(util_parse_size("-1", 0, 1LL << 40, &v, &e), -1);
	assert_int_equal(util_parse_duration_ms("250ms", 0, 1LL << 40, &v, &e),
	    0);
	assert_int_equal(v, 250);
	assert_int_equal(util_parse_duration_ms("30", 0, 1LL << 40, &v, &e), 0);
	assert_int_equal(v, 30000);
	assert_int_equal(util_parse_duration_ms("1h", 0, 1LL << 40, &v, &e), 0);
	assert_int_equal(v, 3600000);
	assert_int_equal(util_parse_duration_ms("2w", 0, 1LL << 40, &v, &e),
	    -1);
}

static void
test_buf(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	buf_puts(&b, "1234");
	buf_printf(&b, "%d", 5678);
	assert_false(b.err);
	assert_string_equal(buf_cstr(&b), "12345678");
	buf_puts(&b, "9");
	assert_true(b.err);
	assert_null(buf_cstr(&b));
	buf_reset(&b);
	buf_init(&b, 0);
	buf_html(&b, "a<b>&\"'c", 8);
	assert_string_equal(buf_cstr(&b), "a&lt;b&gt;&amp;&quot;&#39;c");
	buf_reset(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_buf),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
