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

/*
 * Secret-key boxes, for what the holders of the private key write for
 * each other (a tip's excerpt): opening one costs a microsecond where a
 * sealed box costs an X25519.  The key comes from seal_subkey(), so no
 * other key is to be kept.
 */
#define SEAL_SECRET_OVERHEAD 40         /* nonce and MAC of crypto_secretbox */
#define SEAL_CTX_EXCERPT     "excerpt_" /* the key of tips' excerpts */

/* The key for context ctx (8 characters) derived from the private key. */
void seal_subkey(const uint8_t sk[32], const char ctx[8], uint8_t out[32]);
/* Closes len bytes: a malloc'd box of *boxlen bytes (a random nonce, then
 * XSalsa20-Poly1305), or NULL.  Thread-safe. */
uint8_t *seal_secret(const uint8_t key[32], const void *, size_t len,
    size_t *boxlen);
/* Opens one in bytea text form; NULL if not that or not ours.  Caller
 * frees with util_free_secret(p, *lenp). */
uint8_t *seal_secret_open_hex(const uint8_t key[32], const char *hex,
    size_t *lenp);

/* HMAC-SHA256(key, data). */
void seal_hmac(const uint8_t key[32], const void *, size_t, uint8_t out[32]);

#endif
