/*
 * Unit tests of text validation, normalisation and excerpts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "text.h"

static char *
norm(const char *s)
{
	static char out[1024];
	struct buf b;

	buf_init(&b, 0);
	text_normalise(s, strlen(s), &b);
	snprintf(out, sizeof(out), "%s", buf_cstr(&b));
	buf_reset(&b);
	return out;
}

static void
test_normalise(void **state)
{
	(void)state;
	assert_string_equal(norm("  Hello,   WORLD!\n\n"), "hello world");
	assert_string_equal(norm("ÄÖÅ äöå"), "äöå äöå");
	assert_string_equal(norm("«Tämä» — on   viesti…"), "tämä on viesti");
	assert_string_equal(norm("a\tb\r\nc"), "a b c");
	assert_string_equal(norm("!!!"), "");
	assert_string_equal(norm(""), "");
	/* Same message, different punctuation and case: same key. */
	assert_string_equal(norm("Go home, all of you!!"),
	    norm("go home all of you"));
}

static void
test_valid(void **state)
{
	size_t n;

	(void)state;
	assert_true(text_valid("abc", 3, &n));
	assert_int_equal(n, 3);
	assert_true(text_valid("äö😀", 8, &n));
	assert_int_equal(n, 3);
	assert_true(text_valid("a\nb\tc\r", 6, &n));
	assert_false(text_valid("a\0b", 3, &n));
	assert_false(text_valid("\x01", 1, &n));
	assert_false(text_valid("\xc3", 1, &n));             /* truncated */
	assert_false(text_valid("\xc0\xaf", 2, &n));         /* overlong */
	assert_false(text_valid("\xed\xa0\x80", 3, &n));     /* surrogate */
	assert_false(text_valid("\xf4\x90\x80\x80", 4, &n)); /* > U+10FFFF */
	assert_false(text_valid("\xff", 1, &n));
}

static char *
excerpt(const char *s, size_t n)
{
	static char out[1024];
	struct buf b;

	buf_init(&b, 0);
	text_excerpt(s, strlen(s), n, &b);
	snprintf(out, sizeof(out), "%s", buf_cstr(&b));
	buf_reset(&b);
	return out;
}

static void
test_excerpt(void **state)
{
	(void)state;
	assert_string_equal(excerpt("short", 10), "short");
	assert_string_equal(excerpt("  one\n\n two\t three  ", 40),
	    "one two three");
	assert_string_equal(excerpt("abcdef", 3), "abc…");
	assert_string_equal(excerpt("äöå äöå", 3), "äöå…");
	assert_string_equal(excerpt("ab cd", 3), "ab…");
	assert_string_equal(excerpt("abc   ", 3), "abc");
	assert_string_equal(excerpt("abc  \n d", 3), "abc…");
	assert_string_equal(excerpt("😀😀😀😀", 2), "😀😀…");
	assert_string_equal(excerpt("", 5), "");
	assert_string_equal(excerpt(" \r\n ", 5), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalise),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_excerpt),
	};

	return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
