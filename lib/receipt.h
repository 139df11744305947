/*
 * Receipt codes: 85 random bits as 17 Crockford base32 digits and one check
 * digit, shown as three groups of six ("7KQ29X-HDM4TR-8W1BZQ").  Only
 * HMAC-SHA256(pepper, code) is stored.  Typing is forgiving: case, spaces,
 * dashes, and I/L/O for 1/1/0 are accepted; a typo that slips past that is
 * caught by the check digit: every single wrong digit, and every swap of
 * two neighbours except 0 and Z (Luhn mod 32's one blind spot).
 */
#ifndef TL_RECEIPT_H
#define TL_RECEIPT_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define RECEIPT_DIGITS    18                   /* 17 random + 1 check */
#define RECEIPT_SHOWN_LEN (RECEIPT_DIGITS + 2) /* with two dashes */
#define RECEIPT_HASH_LEN  32

/* Why what a person typed is not a code. */
enum receipt_err {
	RECEIPT_OK,
	RECEIPT_E_EMPTY,  /* nothing but spaces and dashes */
	RECEIPT_E_LENGTH, /* too few or too many digits */
	RECEIPT_E_CHAR,   /* a character no code has */
	RECEIPT_E_CHECK,  /* the check digit disagrees: a typo */
};

/* A new code from the OS CSPRNG, formatted with dashes, NUL-terminated. */
void receipt_new(char out[RECEIPT_SHOWN_LEN + 1]);

/*
 * Turns what a person typed into the 18 canonical digits (NUL-terminated).
 * Returns 0 (*err RECEIPT_OK), or -1 with *err saying why.  Pure.
 */
TL_MUSTCHECK int receipt_parse(const char *in, size_t len,
    char out[RECEIPT_DIGITS + 1], enum receipt_err *err);

/* HMAC-SHA256(pepper, canonical digits). */
void receipt_hash(const uint8_t pepper[32], const char digits[RECEIPT_DIGITS],
    uint8_t out[RECEIPT_HASH_LEN]);

/*
 * The tip's reply key pair (X25519), from the pepper and the code: the
 * police's messages are sealed to its public half, which is stored with
 * the tip; its secret half exists only while someone who holds the code
 * reads them.  Not the receipt hash: its HMAC input differs.
 */
#define RECEIPT_REPLY_PK_LEN 32
#define RECEIPT_REPLY_SK_LEN 32
void receipt_reply_keys(const uint8_t pepper[32],
    const char digits[RECEIPT_DIGITS], uint8_t pk[RECEIPT_REPLY_PK_LEN],
    uint8_t sk[RECEIPT_REPLY_SK_LEN]);

/* For tests: the check digit of 17 digits. */
char receipt_check_digit(const char digits[RECEIPT_DIGITS - 1]);

#endif
