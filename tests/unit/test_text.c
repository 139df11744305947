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
test_normalise_scripts(void **state)
{
	char once[1024];

	(void)state;
	/* Cyrillic and Greek case; Ukrainian and Sámi letters. */
	assert_string_equal(norm("СОСЕДИ, Їжак! ҐАНОК"), "соседи їжак ґанок");
	assert_string_equal(norm("ΑΘΗΝΑ"), "αθηνα");
	assert_string_equal(norm("ČÁHCI ĐUOĐI ŊÁLA ŠADDU ŦÁ ŽŽ"),
	    "čáhci đuođi ŋála šaddu ŧá žž");
	assert_string_equal(norm("ĽUBICA ŇÖ Ÿ"), "ľubica ňö ÿ");
	/* Look-alikes: a Latin "c" and "o" in a Russian word, a Cyrillic
	 * "а" in a Finnish one. */
	assert_string_equal(norm("cоcед"), "сосед");
	assert_string_equal(norm("nаapuri"), "naapuri");
	/* A word in one script keeps its letters. */
	assert_string_equal(norm("pop рор"), "pop рор");
	/* Arabic: vowel signs and tatweel go, letter variants meet. */
	assert_string_equal(norm("مُسْلِمـــون"), norm("مسلمون"));
	assert_string_equal(norm("أحمد إلى آخر"), "احمد الي اخر");
	assert_string_equal(norm("مدرسة"), "مدرسه");
	/* Persian yeh and keheh as the Arabic letters; the zero-width
	 * non-joiner inside a word vanishes; Persian digits are 0-9. */
	assert_string_equal(norm("می‌کنید"), norm("ميكنيد"));
	assert_string_equal(norm("۱۲۳ ١٢٣"), "123 123");
	/* Arabic punctuation and direction marks separate or vanish. */
	assert_string_equal(norm("نعم، لا؟ \u200fنعم"), "نعم لا نعم");
	/* Direction overrides and isolates, variation selectors and the
	 * combining grapheme joiner hide inside a word and vanish. */
	assert_string_equal(norm("neek\u2066eri n\u202eeekeri ne\ufe0fek"),
	    "neekeri neekeri neek");
	/* Turkish dotted capital I, Greek capitals with tonos. */
	assert_string_equal(norm("İSTANBUL ΆΈΉΊΌΎΏ ı"), "istanbul άέήίόύώ ı");
	/* Broken UTF-8 separates. */
	assert_string_equal(norm("ab\xff"
	                         "cd\xc3"),
	    "ab cd");
	/* Idempotent. */
	snprintf(once, sizeof(once), "%s", norm("Cоcед ДОМ مُسْلِم ÄÖ"));
	assert_string_equal(once, "сосед дом مسلم äö");
	assert_string_equal(norm(once), once);
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

static void
test_repair(void **state)
{
	char out[64];
	size_t n, len;

	(void)state;
	/* Valid text is copied as it is. */
	len = text_repair("ä\tb", 4, out, &n);
	assert_int_equal(len, 4);
	assert_int_equal(n, 3);
	assert_string_equal(out, "ä\tb");
	/* A stray byte, a truncated sequence, NUL and a control each become
	 * one U+FFFD; the text around them is kept. */
	len = text_repair("Uhkaus\xff ja\0 vi\x01ha\xc3", 18, out, &n);
	assert_string_equal(out,
	    "Uhkaus\xef\xbf\xbd ja\xef\xbf\xbd vi\xef\xbf\xbdha\xef\xbf\xbd");
	assert_int_equal(len, strlen(out));
	assert_true(text_valid(out, len, &n));
	assert_int_equal(n, 18);
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
		cmocka_unit_test(test_normalise_scripts),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_repair),
		cmocka_unit_test(test_excerpt),
	};

	return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
