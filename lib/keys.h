/*
 * Deployment keys, each in its own file as one line of hex: the sealing
 * key pair (libsodium sealed boxes), the receipt pepper and the dedup key
 * (both HMAC keys).  Secret files must not be readable by others.
 */
#ifndef TL_KEYS_H
#define TL_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define KEYS_BYTES 32

/* Reads a 32-byte key; secret files must have no group/other bits.
 * -1 with errbuf naming the file on failure. */
TL_MUSTCHECK int keys_load(const char *path, int secret,
    uint8_t out[KEYS_BYTES], char *errbuf, size_t errlen);

/* Writes a key as hex with the given mode, refusing to overwrite. */
TL_MUSTCHECK int keys_write(const char *path, const uint8_t key[KEYS_BYTES],
    int mode, char *errbuf, size_t errlen);

#endif
