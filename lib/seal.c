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

uint8_t *
seal_open_hex(const uint8_t pk[32], const uint8_t sk[32], const char *hex,
    size_t *lenp)
{
	uint8_t *box, *plain = NULL;
	size_t hlen, blen;

	if (hex == NULL || hex[0] != '\\' || hex[1] != 'x')
		return NULL;
	hlen = strlen(hex + 2);
	if (hlen == 0 || (box = malloc(hlen / 2 + 1)) == NULL)
		return NULL;
	if (sodium_hex2bin(box, hlen / 2 + 1, hex + 2, hlen, NULL, &blen,
	        NULL) == 0)
		plain = seal_open(pk, sk, box, blen, lenp);
	free(box);
	return plain;
}
