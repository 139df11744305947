/*
 * SimHash of text: 64 bits such that near-identical texts differ in few
 * bits.  Features are the overlapping three-word shingles of normalised
 * text (text_normalise()), each hashed with keyed SipHash, so the stored
 * hashes cannot be matched against a dictionary without the key.
 */
#ifndef TL_SIMHASH_H
#define TL_SIMHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIMHASH_KEY_BYTES 16

/*
 * SimHash of normalised text (words separated by single spaces).  *nwords
 * gets the number of words; texts of very few words make weak keys and
 * callers should not dedup on them.  Pure.
 */
uint64_t simhash_text(const char *norm, size_t len,
    const uint8_t key[SIMHASH_KEY_BYTES], size_t *nwords);

/* The two steps of any SimHash, for other kinds of features: each
 * feature's keyed hash votes on the 64 bits, and the bits with more
 * votes for than against are set. */
void simhash_vote(int votes[64], const char *feature, size_t len,
    const uint8_t key[SIMHASH_KEY_BYTES]);
uint64_t simhash_bits(const int votes[64]);

#endif
