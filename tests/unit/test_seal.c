/*
 * Unit tests of the secret-key boxes and the derived keys (lib/seal.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "buf.h"
#include "seal.h"

/* A box in PostgreSQL's bytea text form. */
static char *
as_bytea(const uint8_t *box, size_t len)
{
	static char out[1024];
	struct buf b;

	buf_init(&b, 0);
	buf_puts(&b, "\\x");
	buf_hex(&b, box, len);
	snprintf(out, sizeof(out), "%s", buf_cstr(&b));
	buf_reset(&b);
	return out;
}

static void
test_secret_box(void **state)
{
	uint8_t sk[32], key[32], other[32], *box;
	size_t blen, plen;
	char *hex;
	uint8_t *plain;

	(void)state;
	randombytes_buf(sk, sizeof(sk));
	seal_subkey(sk, SEAL_CTX_EXCERPT, key);
	box = seal_secret(key, "Häiriköintiä…", strlen("Häiriköintiä…"), &blen);
	assert_non_null(box);
	assert_int_equal(blen, strlen("Häiriköintiä…") + SEAL_SECRET_OVERHEAD);
	hex = as_bytea(box, blen);
	plain = seal_secret_open_hex(key, hex, &plen);
	assert_non_null(plain);
	assert_int_equal(plen, strlen("Häiriköintiä…"));
	assert_string_equal((char *)plain, "Häiriköintiä…");
	util_free_secret(plain, plen);

	/* Another context's key, a changed byte, a cut box: refused. */
	seal_subkey(sk, "search__", other);
	assert_memory_not_equal(key, other, 32);
	assert_null(seal_secret_open_hex(other, hex, &plen));
	hex[10] = hex[10] == '0' ? '1' : '0';
	assert_null(seal_secret_open_hex(key, hex, &plen));
	hex[20] = '\0';
	assert_null(seal_secret_open_hex(key, hex, &plen));
	assert_null(seal_secret_open_hex(key, "", &plen));
	assert_null(seal_secret_open_hex(key, "\\xzz", &plen));
	free(box);

	/* An empty text has a box too. */
	box = seal_secret(key, "", 0, &blen);
	assert_non_null(box);
	plain = seal_secret_open_hex(key, as_bytea(box, blen), &plen);
	assert_non_null(plain);
	assert_int_equal(plen, 0);
	util_free_secret(plain, plen);
	free(box);
}

/* The derivation is libsodium's crypto_kdf (BLAKE2b keyed with the private
 * key, the subkey number in the salt and the context in the
 * personalisation): the worker and the console, holding the same
 * private key, derive the same key. */
static void
test_subkey(void **state)
{
	uint8_t sk[32], a[32], b[32];

	(void)state;
	memset(sk, 7, sizeof(sk));
	seal_subkey(sk, SEAL_CTX_EXCERPT, a);
	seal_subkey(sk, SEAL_CTX_EXCERPT, b);
	assert_memory_equal(a, b, 32);
	sk[0] = 8;
	seal_subkey(sk, SEAL_CTX_EXCERPT, b);
	assert_memory_not_equal(a, b, 32);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secret_box),
		cmocka_unit_test(test_subkey),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("seal", tests, NULL, NULL);
}
