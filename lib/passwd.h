/*
 * Reviewer passwords: argon2id hashes in libsodium's encoded form (the
 * parameters travel with the hash), and the policy a new password must
 * meet.
 */
#ifndef TL_PASSWD_H
#define TL_PASSWD_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define PASSWD_HASH_MAX  128 /* crypto_pwhash_STRBYTES */
#define PASSWD_MIN_CHARS 8
#define PASSWD_MAX_CHARS 128

/*
 * Hashes pw (len bytes) with argon2id; out gets libsodium's encoded string.
 * Slow by design: call it from a thread pool, never on an event loop.
 * -1 if memory for the hash cannot be had or a parameter is out of range.
 */
TL_MUSTCHECK int passwd_hash(const char *pw, size_t len,
    unsigned long long passes, size_t memory_bytes, char out[PASSWD_HASH_MAX]);

/* True when pw matches hash (constant-time inside libsodium).  As slow as
 * passwd_hash() with the hash's own parameters. */
bool passwd_verify(const char *hash, const char *pw, size_t len);

/* True when hash was made with other parameters than these, or is not an
 * argon2id hash at all (rehash at login). */
bool passwd_needs_rehash(const char *hash, unsigned long long passes,
    size_t memory_bytes);

/*
 * The policy: NULL if acceptable, else a static message id:
 * "passwd.utf8" (not valid UTF-8, or has control characters),
 * "passwd.short" (fewer than PASSWD_MIN_CHARS code points),
 * "passwd.long" (more than PASSWD_MAX_CHARS), "passwd.common" (in
 * lib/common_passwords.txt, compared case-insensitively for ASCII).
 * Checked in that order.  No composition rules, no rotation.
 */
const char *passwd_policy(const char *pw, size_t len);

/* A dummy hash with the same cost as a verify, for unknown usernames, so
 * that timing does not tell which usernames exist. */
void passwd_burn(unsigned long long passes, size_t memory_bytes);

#endif
