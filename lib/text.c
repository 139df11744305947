/*
 * Text helpers for the intake: UTF-8 validation with a character count
 * (limits are in characters, as the form says) and normalisation for the
 * keyed text hash.  Letters outside Latin-1 are kept as they are; case is
 * folded for ASCII and for the Latin-1 letters Finnish and Swedish use.
 */
#include <stdint.h>

#include "text.h"

static bool
text_is_word_byte(const unsigned char *p, size_t left, size_t *adv)
{
	if (p[0] < 0x80) {
		*adv = 1;
		return (p[0] >= 'a' && p[0] <= 'z') ||
		       (p[0] >= 'A' && p[0] <= 'Z') ||
		       (p[0] >= '0' && p[0] <= '9');
	}
	/* Multi-byte: treat every encoded character as a letter, except
	 * Latin-1 punctuation (U+00A0..U+00BF, U+00D7, U+00F7) and General
	 * Punctuation (U+2000..U+206F: dashes, quotes, ellipsis, spaces). */
	*adv = 1;
	while (*adv < left && (p[*adv] & 0xc0) == 0x80)
		(*adv)++;
	if (p[0] == 0xc2 && left > 1 && p[1] >= 0xa0 && p[1] <= 0xbf)
		return false;
	if (p[0] == 0xc3 && left > 1 && (p[1] == 0x97 || p[1] == 0xb7))
		return false;
	if (p[0] == 0xe2 && left > 1 && (p[1] == 0x80 || p[1] == 0x81))
		return false;
	return true;
}

void
text_normalise(const char *s, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, adv;
	bool space = false, any = false;
	unsigned char c[2];

	while (i < len) {
		if (!text_is_word_byte(p + i, len - i, &adv)) {
			space = any;
			i += adv;
			continue;
		}
		if (space)
			buf_append(out, " ", 1);
		space = false;
		any = true;
		if (adv == 1) {
			c[0] = p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i];
			buf_append(out, c, 1);
		} else if (adv == 2 && p[i] == 0xc3 && p[i + 1] >= 0x80 &&
		           p[i + 1] <= 0x9e && p[i + 1] != 0x97) {
			/* À..Þ (not ×) to à..þ */
			c[0] = 0xc3;
			c[1] = p[i + 1] + 0x20;
			buf_append(out, c, 2);
		} else
			buf_append(out, p + i, adv);
		i += adv;
	}
}

bool
text_valid(const char *s, size_t len, size_t *nchars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n = 0, need, k;
	uint32_t cp, min;

	while (i < len) {
		if (p[i] < 0x80) {
			if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\r' &&
			    p[i] != '\n')
				return false;
			if (p[i] == 0x7f)
				return false;
			i++;
			n++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			need = 1;
			cp = p[i] & 0x1f;
			min = 0x80;
		} else if ((p[i] & 0xf0) == 0xe0) {
			need = 2;
			cp = p[i] & 0x0f;
			min = 0x800;
		} else if ((p[i] & 0xf8) == 0xf0) {
			need = 3;
			cp = p[i] & 0x07;
			min = 0x10000;
		} else
			return false;
		if (len - i <= need)
			return false;
		for (k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
		n++;
	}
	*nchars = n;
	return true;
}

void
text_excerpt(const char *s, size_t len, size_t nchars, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, chars = 0, start;
	bool space = false;

	while (i < len && chars < nchars) {
		if (p[i] < 0x20 || p[i] == ' ' || p[i] == 0x7f) {
			space = true;
			i++;
			continue;
		}
		if (space && chars > 0) {
			if (chars + 1 >= nchars)
				break;
			buf_append(out, " ", 1);
			chars++;
		}
		space = false;
		start = i++;
		while (i < len && (p[i] & 0xc0) == 0x80)
			i++;
		buf_append(out, p + start, i - start);
		chars++;
	}
	while (i < len && (p[i] < 0x20 || p[i] == ' ' || p[i] == 0x7f))
		i++;
	if (i < len)
		buf_puts(out, "…");
}
