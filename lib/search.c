/*
 * The blind index's tokens and the check of a match; see search.h.
 * Words are those of text_normalise(): lower case (Latin, Greek and
 * Cyrillic), Arabic letter variants in one spelling, split at anything not
 * a letter or a digit.  Tokens of tips indexed before a change to that
 * normalisation keep the old form: a word whose form changed (one with
 * capitals outside Latin-1, say) finds those tips no more.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "search.h"
#include "text.h"

/* Bytes of the first n characters of a UTF-8 word of len bytes. */
static size_t
search_chars(const char *w, size_t len, size_t n, size_t *nchars)
{
	size_t i = 0, c = 0;

	while (i < len && c < n) {
		i++;
		while (i < len && ((unsigned char)w[i] & 0xc0) == 0x80)
			i++;
		c++;
	}
	*nchars = c;
	return i;
}

/* Bytes up to the next space or end. */
static size_t
search_wordlen(const char *p, const char *end)
{
	const char *sp = memchr(p, ' ', (size_t)(end - p));

	return sp != NULL ? (size_t)(sp - p) : (size_t)(end - p);
}

static int32_t
search_token(const uint8_t key[32], char kind, const char *w, size_t len)
{
	crypto_auth_hmacsha256_state st;
	uint8_t mac[32];
	uint32_t v;

	crypto_auth_hmacsha256_init(&st, key, 32);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)&kind, 1);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)w, len);
	crypto_auth_hmacsha256_final(&st, mac);
	v = (uint32_t)mac[0] << 24 | (uint32_t)mac[1] << 16 |
	    (uint32_t)mac[2] << 8 | mac[3];
	return (int32_t)v;
}

static int
search_cmp(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts and drops repeats; the new count. */
static size_t
search_unique(int32_t *t, size_t n)
{
	size_t i, k = 0;

	qsort(t, n, sizeof(*t), search_cmp);
	for (i = 0; i < n; i++)
		if (k == 0 || t[k - 1] != t[i])
			t[k++] = t[i];
	return k;
}

size_t
search_tokens(const char *text, size_t len, const uint8_t key[32], int32_t *out,
    size_t max)
{
	struct buf norm;
	const char *p, *end;
	size_t n = 0, wlen, plen, nchars;

	buf_init(&norm, 0);
	text_normalise(text, len, &norm);
	p = norm.p != NULL ? (const char *)norm.p : "";
	end = p + norm.len;
	while (p < end && n + 2 <= max) {
		wlen = search_wordlen(p, end);
		plen = search_chars(p, wlen, SEARCH_PREFIX_CHARS, &nchars);
		if (nchars >= SEARCH_MIN_CHARS) {
			out[n++] = search_token(key, 'w', p, wlen);
			if (nchars == SEARCH_PREFIX_CHARS)
				out[n++] = search_token(key, 'p', p, plen);
		}
		p += wlen + 1;
	}
	sodium_memzero(norm.p, norm.cap);
	buf_reset(&norm);
	return search_unique(out, n);
}

size_t
search_query(const char *q, size_t len, const uint8_t key[32], int32_t *out,
    size_t max, struct buf *norm)
{
	const char *p, *end;
	size_t n = 0, words = 0, wlen, plen, nchars;

	text_normalise(q, len, norm);
	p = norm->p != NULL ? (const char *)norm->p : "";
	end = p + norm->len;
	while (p < end && n < max && words < SEARCH_MAX_QUERY) {
		wlen = search_wordlen(p, end);
		plen = search_chars(p, wlen, SEARCH_PREFIX_CHARS, &nchars);
		if (nchars >= SEARCH_PREFIX_CHARS)
			out[n++] = search_token(key, 'p', p, plen);
		else if (nchars >= SEARCH_MIN_CHARS)
			out[n++] = search_token(key, 'w', p, wlen);
		words++;
		p += wlen + 1;
	}
	return search_unique(out, n);
}

/* Is w (wlen bytes) the beginning of a word of text (or, if exact, a
 * whole word)? */
static bool
search_word_in(const char *w, size_t wlen, bool exact, const char *t,
    size_t tlen)
{
	const char *p = t, *end = t + tlen;
	size_t len;

	while (p < end) {
		len = search_wordlen(p, end);
		if (exact ? len == wlen && memcmp(p, w, wlen) == 0
		          : len >= wlen && memcmp(p, w, wlen) == 0)
			return true;
		p += len + 1;
	}
	return false;
}

bool
search_matches(const char *q, size_t qlen, const char *text, size_t tlen)
{
	struct buf norm;
	const char *p, *end, *t;
	size_t wlen, nchars;
	bool ok = true, any = false;

	if (q == NULL || qlen == 0)
		return false;
	p = q;
	end = q + qlen;
	buf_init(&norm, 0);
	text_normalise(text, tlen, &norm);
	t = norm.p != NULL ? (const char *)norm.p : "";
	while (p < end && ok) {
		wlen = search_wordlen(p, end);
		(void)search_chars(p, wlen, SEARCH_PREFIX_CHARS, &nchars);
		if (nchars >= SEARCH_MIN_CHARS) {
			any = true;
			ok = search_word_in(p, wlen,
			    nchars < SEARCH_PREFIX_CHARS, t, norm.len);
		}
		p += wlen + 1;
	}
	sodium_memzero(norm.p, norm.cap);
	buf_reset(&norm);
	return ok && any;
}
