/*
 * Receipt codes.  The check digit is Luhn mod 32 over the Crockford
 * alphabet, which detects every single-digit error and every transposition
 * of adjacent digits.  Parsing maps the letters people confuse (I, L -> 1;
 * O -> 0) before checking, as Crockford's encoding intends.
 */
#include <ctype.h>
#include <string.h>

#include <sodium.h>

#include "log.h"
#include "receipt.h"
#include "seal.h"

static const char receipt_alphabet[33] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static int
receipt_value(int c)
{
	const char *p;

	c = toupper(c);
	if (c == 'I' || c == 'L')
		c = '1';
	else if (c == 'O')
		c = '0';
	if (c == '\0' || (p = strchr(receipt_alphabet, c)) == NULL)
		return -1;
	return (int)(p - receipt_alphabet);
}

char
receipt_check_digit(const char digits[RECEIPT_DIGITS - 1])
{
	int factor = 2, sum = 0, i, addend;

	/* Luhn mod N, from the rightmost digit leftwards. */
	for (i = RECEIPT_DIGITS - 2; i >= 0; i--) {
		addend = factor * receipt_value((unsigned char)digits[i]);
		factor = factor == 2 ? 1 : 2;
		sum += addend / 32 + addend % 32;
	}
	return receipt_alphabet[(32 - sum % 32) % 32];
}

void
receipt_new(char out[RECEIPT_SHOWN_LEN + 1])
{
	uint8_t rnd[RECEIPT_DIGITS - 1];
	char d[RECEIPT_DIGITS];
	int i, o = 0;

	/* 5 random bits per digit: 17 digits, 85 bits. */
	randombytes_buf(rnd, sizeof(rnd));
	for (i = 0; i < RECEIPT_DIGITS - 1; i++)
		d[i] = receipt_alphabet[rnd[i] & 31];
	d[RECEIPT_DIGITS - 1] = receipt_check_digit(d);
	for (i = 0; i < RECEIPT_DIGITS; i++) {
		if (i == 6 || i == 12)
			out[o++] = '-';
		out[o++] = d[i];
	}
	out[o] = '\0';
	sodium_memzero(rnd, sizeof(rnd));
	sodium_memzero(d, sizeof(d));
}

int
receipt_parse(const char *in, size_t len, char out[RECEIPT_DIGITS + 1],
    enum receipt_err *err)
{
	size_t i, n = 0;
	int v;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '-' || c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if ((v = receipt_value(c)) == -1) {
			*err = RECEIPT_E_CHAR;
			return -1;
		}
		if (n == RECEIPT_DIGITS) {
			*err = RECEIPT_E_LENGTH;
			return -1;
		}
		out[n++] = receipt_alphabet[v];
	}
	out[n] = '\0';
	if (n == 0) {
		*err = RECEIPT_E_EMPTY;
		return -1;
	}
	if (n != RECEIPT_DIGITS) {
		*err = RECEIPT_E_LENGTH;
		return -1;
	}
	if (receipt_check_digit(out) != out[RECEIPT_DIGITS - 1]) {
		*err = RECEIPT_E_CHECK;
		return -1;
	}
	*err = RECEIPT_OK;
	return 0;
}

void
receipt_hash(const uint8_t pepper[32], const char digits[RECEIPT_DIGITS],
    uint8_t out[RECEIPT_HASH_LEN])
{
	seal_hmac(pepper, digits, RECEIPT_DIGITS, out);
}

void
receipt_reply_keys(const uint8_t pepper[32], const char digits[RECEIPT_DIGITS],
    uint8_t pk[RECEIPT_REPLY_PK_LEN], uint8_t sk[RECEIPT_REPLY_SK_LEN])
{
	/* "reply:" never starts a code: codes are base32 digits only. */
	char in[6 + RECEIPT_DIGITS];
	uint8_t seed[crypto_box_SEEDBYTES];

	memcpy(in, "reply:", 6);
	memcpy(in + 6, digits, RECEIPT_DIGITS);
	seal_hmac(pepper, in, sizeof(in), seed);
	if (crypto_box_seed_keypair(pk, sk, seed) != 0)
		fatalx("%s: crypto_box_seed_keypair failed", __func__);
	sodium_memzero(in, sizeof(in));
	sodium_memzero(seed, sizeof(seed));
}
