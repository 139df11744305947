/*
 * Who a client is, as far as limits need to know: a 64-bit keyed hash of
 * its address, never the address.  The key lives only in memory and is
 * replaced every CLIENT_KEY_TTL_MS, so a hash still held (a rate limit's
 * bucket) cannot be matched with an address afterwards, not even by
 * someone who later learns an address and reads the daemon's memory.
 */
#ifndef TL_CLIENT_H
#define TL_CLIENT_H

#include <sys/socket.h>

#include <stdint.h>

#define CLIENT_KEY_BYTES  16 /* crypto_shorthash_KEYBYTES (SipHash-2-4) */
#define CLIENT_KEY_TTL_MS (3600 * 1000)

/*
 * The client's key under the current key, which is replaced first if it
 * is older than CLIENT_KEY_TTL_MS.  An IPv4 address counts whole (an
 * IPv4-mapped IPv6 address as that IPv4 address); an IPv6 address by its
 * /64 prefix, since one host is given a whole /64 and picks addresses in
 * it at will.  Any other family gives one key for all its clients.
 */
uint64_t client_key(const struct sockaddr *, socklen_t);

/* The same with a given key: pure.  For tests and for client_key(). */
uint64_t client_key_with(const uint8_t key[CLIENT_KEY_BYTES],
    const struct sockaddr *, socklen_t);

/* Counts key replacements: keys of different epochs never match, so
 * whoever holds keys forgets them when this changes. */
uint64_t client_epoch(void);

/* Replaces the key now (tests; and the first client_key() call). */
void client_rekey(void);

#endif
