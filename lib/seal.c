/*
 * Thin wrappers over libsodium's sealed boxes and HMAC-SHA256 that take
 * care of sizes and allocation.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "seal.h"

uint8_t *
seal_box(const uint8_t pk[32], const void *data, size_t len)
{
	uint8_t *box;

	if (len > SIZE_MAX - crypto_box_SEALBYTES)
		return NULL;
	if ((box = malloc(len + crypto_box_SEALBYTES)) == NULL)
		return NULL;
	if (crypto_box_seal(box, data, len, pk) != 0) {
		free(box);
		return NULL;
	}
	return box;
}

uint8_t *
seal_open(const uint8_t pk[32], const uint8_t sk[32], const uint8_t *box,
    size_t boxlen, size_t *lenp)
{
	uint8_t *out;

	if (boxlen < crypto_box_SEALBYTES)
		return NULL;
	if ((out = malloc(boxlen - crypto_box_SEALBYTES + 1)) == NULL)
		return NULL;
	if (crypto_box_seal_open(out, box, boxlen, pk, sk) != 0) {
		free(out);
		return NULL;
	}
	*lenp = boxlen - crypto_box_SEALBYTES;
	out[*lenp] = '\0';
	return out;
}

void
seal_hmac(const uint8_t key[32], const void *data, size_t len, uint8_t out[32])
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key, 32);
	crypto_auth_hmacsha256_update(&st, data, len);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

/* The bytes of a bytea in PostgreSQL's text form ("\\x" and hex), malloc'd;
 * NULL if it is not that or empty. */
static uint8_t *
seal_unhex(const char *hex, size_t *lenp)
{
	uint8_t *bin;
	size_t hlen;

	if (hex == NULL || hex[0] != '\\' || hex[1] != 'x')
		return NULL;
	hlen = strlen(hex + 2);
	if (hlen == 0 || (bin = malloc(hlen / 2 + 1)) == NULL)
		return NULL;
	if (sodium_hex2bin(bin, hlen / 2 + 1, hex + 2, hlen, NULL, lenp,
	        NULL) != 0) {
		free(bin);
		return NULL;
	}
	return bin;
}

uint8_t *
seal_open_hex(const uint8_t pk[32], const uint8_t sk[32], const char *hex,
    size_t *lenp)
{
	uint8_t *box, *plain;
	size_t blen;

	if ((box = seal_unhex(hex, &blen)) == NULL)
		return NULL;
	plain = seal_open(pk, sk, box, blen, lenp);
	free(box);
	return plain;
}

void
seal_subkey(const uint8_t sk[32], const char ctx[8], uint8_t out[32])
{
	_Static_assert(crypto_kdf_KEYBYTES == 32, "a private key is a KDF key");
	_Static_assert(crypto_kdf_CONTEXTBYTES == 8, "contexts of 8");
	if (crypto_kdf_derive_from_key(out, 32, 1, ctx, sk) != 0)
		abort(); /* only for sizes out of range, which these are not */
}

uint8_t *
seal_secret(const uint8_t key[32], const void *data, size_t len, size_t *boxlen)
{
	uint8_t *box;

	if (len > SIZE_MAX - SEAL_SECRET_OVERHEAD)
		return NULL;
	if ((box = malloc(len + SEAL_SECRET_OVERHEAD)) == NULL)
		return NULL;
	randombytes_buf(box, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, data, len, box,
	    key);
	*boxlen = len + SEAL_SECRET_OVERHEAD;
	return box;
}

uint8_t *
seal_secret_open_hex(const uint8_t key[32], const char *hex, size_t *lenp)
{
	uint8_t *box, *plain = NULL;
	size_t blen;

	if ((box = seal_unhex(hex, &blen)) == NULL)
		return NULL;
	if (blen >= SEAL_SECRET_OVERHEAD &&
	    (plain = malloc(blen - SEAL_SECRET_OVERHEAD + 1)) != NULL) {
		if (crypto_secretbox_open_easy(plain,
		        box + crypto_secretbox_NONCEBYTES,
		        blen - crypto_secretbox_NONCEBYTES, box, key) == 0) {
			*lenp = blen - SEAL_SECRET_OVERHEAD;
			plain[*lenp] = '\0';
		} else {
			free(plain);
			plain = NULL;
		}
	}
	free(box);
	return plain;
}
