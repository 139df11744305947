/*
 * Search over sealed text with a keyed blind index.  The worker reads a
 * tip's description, link, place and screenshot text (which stay sealed
 * in the database) and stores only tokens: the first 32 bits of
 * HMAC-SHA256(search key, word) for each distinct word, and of its first
 * five characters for longer words, so that "maahanm" finds
 * "maahanmuuttajat" despite Finnish endings.  The console turns a query
 * into the same tokens, the database finds the tips holding all of them,
 * and the console opens those tips and keeps only real matches (a 32-bit
 * token can collide, and a prefix token is broader than what was typed).
 *
 * What the index reveals to someone who reads the database but lacks the
 * key: which tips share a word or a five-letter beginning, and how often
 * each token occurs (frequency analysis can guess the commonest words);
 * not the words themselves.
 */
#ifndef TL_SEARCH_H
#define TL_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SEARCH_PREFIX_CHARS 5 /* a longer word also gives this prefix */
#define SEARCH_MIN_CHARS    2 /* shorter words are not indexed */
#define SEARCH_MAX_TOKENS   4096
#define SEARCH_MAX_QUERY    16 /* words of a query */

/*
 * The tokens of text (any UTF-8), sorted and without repeats, into out;
 * returns how many (at most max: the rest is dropped).
 */
size_t search_tokens(const char *text, size_t len, const uint8_t key[32],
    int32_t *out, size_t max);

/*
 * The tokens of a query, one a word (the prefix token for a long word),
 * without repeats; norm gets the normalised query for search_matches().
 * Returns how many; 0 if nothing in it can be searched.
 */
size_t search_query(const char *q, size_t len, const uint8_t key[32],
    int32_t *out, size_t max, struct buf *norm);

/* Every word of the normalised query begins some word of text (a word
 * shorter than the prefix must equal one). */
bool search_matches(const char *norm_query, size_t qlen, const char *text,
    size_t tlen);

#endif
