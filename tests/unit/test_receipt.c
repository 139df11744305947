/*
 * Unit tests of receipt codes: format, forgiving parsing, and that the
 * check digit catches single-digit typos and neighbour swaps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "receipt.h"

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static void
test_new_and_parse(void **state)
{
	char code[RECEIPT_SHOWN_LEN + 1], d[RECEIPT_DIGITS + 1];
	char other[RECEIPT_SHOWN_LEN + 1];
	enum receipt_err e;
	int i;

	(void)state;
	for (i = 0; i < 200; i++) {
		receipt_new(code);
		assert_int_equal(strlen(code), RECEIPT_SHOWN_LEN);
		assert_int_equal(code[6], '-');
		assert_int_equal(code[13], '-');
		e = RECEIPT_E_CHECK;
		assert_int_equal(receipt_parse(code, strlen(code), d, &e), 0);
		assert_int_equal(e, RECEIPT_OK);
		assert_int_equal(strlen(d), RECEIPT_DIGITS);
	}
	receipt_new(other);
	assert_string_not_equal(code, other);
}

static void
test_forgiving(void **state)
{
	char code[RECEIPT_SHOWN_LEN + 1], d1[RECEIPT_DIGITS + 1];
	char d2[RECEIPT_DIGITS + 1], typed[64];
	enum receipt_err e;
	size_t i, o = 0;

	(void)state;
	/* A code with 1s and 0s typed as i, L, o, lower case, spaces. */
	memcpy(code, "10KQ29-XHD0M4-TR8W1B", 21);
	code[RECEIPT_SHOWN_LEN - 1] = receipt_check_digit("10KQ29XHD0M4TR8W1");
	memcpy(d1, "10KQ29XHD0M4TR8W1", 17);
	d1[17] = code[RECEIPT_SHOWN_LEN - 1];
	d1[18] = '\0';
	for (i = 0; i < 18; i++) {
		char c = d1[i];

		if (i == 0)
			c = 'i';
		else if (i == 1)
			c = 'o';
		else if (i == 16)
			c = 'L';
		else if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		typed[o++] = c;
		if (i % 3 == 2)
			typed[o++] = ' ';
	}
	typed[o] = '\0';
	assert_int_equal(receipt_parse(typed, strlen(typed), d2, &e), 0);
	assert_string_equal(d1, d2);
}

static void
test_typos_caught(void **state)
{
	char code[RECEIPT_SHOWN_LEN + 1], d[RECEIPT_DIGITS + 1];
	char t[RECEIPT_DIGITS + 1], out[RECEIPT_DIGITS + 1], tmp;
	enum receipt_err e;
	int n, i, k;

	(void)state;
	for (n = 0; n < 50; n++) {
		receipt_new(code);
		assert_int_equal(receipt_parse(code, strlen(code), d, &e), 0);
		/* Every single wrong digit. */
		for (i = 0; i < RECEIPT_DIGITS; i++) {
			for (k = 0; k < 32; k++) {
				memcpy(t, d, sizeof(t));
				if (t[i] == alphabet[k])
					continue;
				t[i] = alphabet[k];
				assert_int_equal(
				    receipt_parse(t, RECEIPT_DIGITS, out, &e),
				    -1);
				assert_int_equal(e, RECEIPT_E_CHECK);
			}
		}
		/* Every swap of neighbours, except 0 <-> Z. */
		for (i = 0; i + 1 < RECEIPT_DIGITS; i++) {
			memcpy(t, d, sizeof(t));
			if (t[i] == t[i + 1] ||
			    (strchr("0Z", t[i]) && strchr("0Z", t[i + 1])))
				continue;
			tmp = t[i];
			t[i] = t[i + 1];
			t[i + 1] = tmp;
			assert_int_equal(
			    receipt_parse(t, RECEIPT_DIGITS, out, &e), -1);
			assert_int_equal(e, RECEIPT_E_CHECK);
		}
	}
}

static void
test_errors(void **state)
{
	char d[RECEIPT_DIGITS + 1];
	enum receipt_err e;

	(void)state;
	assert_int_equal(receipt_parse("", 0, d, &e), -1);
	assert_int_equal(e, RECEIPT_E_EMPTY);
	assert_int_equal(receipt_parse("- -", 3, d, &e), -1);
	assert_int_equal(e, RECEIPT_E_EMPTY);
	assert_int_equal(receipt_parse("ABC", 3, d, &e), -1);
	assert_int_equal(e, RECEIPT_E_LENGTH);
	assert_int_equal(receipt_parse("0123456789ABCDEFGHJK", 20, d, &e), -1);
	assert_int_equal(e, RECEIPT_E_LENGTH);
	assert_int_equal(receipt_parse("0123456789ABCDEFGU", 18, d, &e), -1);
	assert_int_equal(e, RECEIPT_E_CHAR);
	assert_int_equal(receipt_parse("0123456789ABCDEF\0G", 18, d, &e), -1);
	assert_int_equal(e, RECEIPT_E_CHAR);
}

static void
test_hash(void **state)
{
	uint8_t pepper[32], h1[32], h2[32];

	(void)state;
	memset(pepper, 7, sizeof(pepper));
	receipt_hash(pepper, "0123456789ABCDEFGH", h1);
	receipt_hash(pepper, "0123456789ABCDEFGH", h2);
	assert_memory_equal(h1, h2, 32);
	pepper[0] = 8;
	receipt_hash(pepper, "0123456789ABCDEFGH", h2);
	assert_memory_not_equal(h1, h2, 32);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_and_parse),
		cmocka_unit_test(test_forgiving),
		cmocka_unit_test(test_typos_caught),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_hash),
	};

	if (sodium_init() == -1)
		return 1;
	return cmocka_run_group_tests_name("receipt", tests, NULL, NULL);
}
