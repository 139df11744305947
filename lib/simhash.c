/*
 * SimHash (Charikar): every feature's 64-bit hash votes +1 or -1 on each
 * bit; the sign of each bit's total is the result.  Features: overlapping
 * shingles of three words, or the whole text when it has fewer words.
 */
#include <string.h>

#include <sodium.h>

#include "simhash.h"

#define SIMHASH_SHINGLE 3

void
simhash_vote(int votes[64], const char *feature, size_t len,
    const uint8_t key[SIMHASH_KEY_BYTES])
{
	uint8_t out[crypto_shorthash_BYTES];
	uint64_t h = 0;
	int i;

	crypto_shorthash(out, (const unsigned char *)feature, len, key);
	for (i = 0; i < 8; i++)
		h = (h << 8) | out[i];
	for (i = 0; i < 64; i++)
		votes[i] += (h >> i) & 1 ? 1 : -1;
}

uint64_t
simhash_bits(const int votes[64])
{
	uint64_t out = 0;
	int b;

	for (b = 0; b < 64; b++)
		if (votes[b] > 0)
			out |= (uint64_t)1 << b;
	return out;
}

uint64_t
simhash_text(const char *norm, size_t len, const uint8_t key[SIMHASH_KEY_BYTES],
    size_t *nwords)
{
	size_t starts[SIMHASH_SHINGLE + 1], nstart = 0, i, n = 0, end;
	int votes[64], features = 0;

	memset(votes, 0, sizeof(votes));
	/* Walk word starts; at each word, the shingle ending with it. */
	for (i = 0; i <= len; i++) {
		if (i < len && norm[i] != ' ' &&
		    (i == 0 || norm[i - 1] == ' ')) {
			if (nstart == SIMHASH_SHINGLE) {
				memmove(starts, starts + 1,
				    (SIMHASH_SHINGLE - 1) * sizeof(size_t));
				nstart--;
			}
			starts[nstart++] = i;
			n++;
		}
		if ((i == len || norm[i] == ' ') && i > 0 &&
		    norm[i - 1] != ' ' && nstart == SIMHASH_SHINGLE) {
			end = i;
			simhash_vote(votes, norm + starts[0], end - starts[0],
			    key);
			features++;
		}
	}
	if (features == 0 && len > 0)
		simhash_vote(votes, norm, len, key);
	*nwords = n;
	return simhash_bits(votes);
}
