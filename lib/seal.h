/*
 * Sealing and keyed hashing with libsodium.  Sealed boxes need only the
 * public key, so the public-facing intake can store what it cannot read.
 */
#ifndef TL_SEAL_H
#define TL_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define SEAL_OVERHEAD 48 /* crypto_box_SEALBYTES */

/* Seals len bytes to pk.  Returns a malloc'd box of len + SEAL_OVERHEAD
 * bytes, or NULL.  Thread-safe. */
uint8_t *seal_box(const uint8_t pk[32], const void *, size_t len);

/* Opens a box; NULL if it is not ours or damaged.  Caller frees (wipe
 * first: the plaintext is a tip). */
uint8_t *seal_open(const uint8_t pk[32], const uint8_t sk[32],
    const uint8_t *box, size_t boxlen, size_t *lenp);

/* Opens a box as PostgreSQL gives a bytea in text form ("\\x" and hex);
 * NULL if it is not that, not ours or damaged.  Caller frees with
 * util_free_secret(p, *lenp). */
uint8_t *seal_open_hex(const uint8_t pk[32], const uint8_t sk[32],
    const char *hex, size_t *lenp);

/* HMAC-SHA256(key, data). */
void seal_hmac(const uint8_t key[32], const void *, size_t, uint8_t out[32]);

#endif
