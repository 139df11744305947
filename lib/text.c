/*
 * Text helpers: UTF-8 validation with a character count (limits are in
 * characters, as the form says), excerpts, and the normalisation behind
 * the dedup keys, the OCR key and the search index (text_normalise()).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "util.h"

/* What text_normalise() makes of a character. */
enum text_class {
	TEXT_SEP,  /* ends a word */
	TEXT_DROP, /* vanishes: marks and invisible joiners */
	TEXT_WORD, /* a letter or digit, maybe mapped */
};

/*
 * Decodes one UTF-8 character at p (left bytes); *adv gets its length.
 * Invalid bytes decode as U+FFFD, one byte at a time.
 */
static uint32_t
text_decode(const unsigned char *p, size_t left, size_t *adv)
{
	uint32_t cp, min;
	size_t need, k;

	*adv = 1;
	if (p[0] < 0x80)
		return p[0];
	if ((p[0] & 0xe0) == 0xc0) {
		need = 1;
		cp = p[0] & 0x1f;
		min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		need = 2;
		cp = p[0] & 0x0f;
		min = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		need = 3;
		cp = p[0] & 0x07;
		min = 0x10000;
	} else
		return 0xfffd;
	if (left <= need)
		return 0xfffd;
	for (k = 1; k <= need; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0xfffd;
		cp = (cp << 6) | (p[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0xfffd;
	*adv = need + 1;
	return cp;
}

static void
text_encode(uint32_t cp, struct buf *out)
{
	unsigned char c[4];

	if (cp < 0x80) {
		c[0] = (unsigned char)cp;
		buf_append(out, c, 1);
	} else if (cp < 0x800) {
		c[0] = (unsigned char)(0xc0 | (cp >> 6));
		c[1] = (unsigned char)(0x80 | (cp & 0x3f));
		buf_append(out, c, 2);
	} else if (cp < 0x10000) {
		c[0] = (unsigned char)(0xe0 | (cp >> 12));
		c[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		c[2] = (unsigned char)(0x80 | (cp & 0x3f));
		buf_append(out, c, 3);
	} else {
		c[0] = (unsigned char)(0xf0 | (cp >> 18));
		c[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		c[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		c[3] = (unsigned char)(0x80 | (cp & 0x3f));
		buf_append(out, c, 4);
	}
}

static enum text_class
text_class(uint32_t cp)
{
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
		               (cp >= '0' && cp <= '9')
		           ? TEXT_WORD
		           : TEXT_SEP;
	/* Invisible: soft hyphen, combining grapheme joiner, zero-width
	 * (non-)joiners, direction marks, embeddings, overrides and isolates,
	 * word joiner, variation selectors, BOM; Arabic vowel signs, Quranic
	 * marks and tatweel. */
	if (cp == 0xad || cp == 0x34f || (cp >= 0x200c && cp <= 0x200f) ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2069) ||
	    (cp >= 0xfe00 && cp <= 0xfe0f) || cp == 0xfeff ||
	    (cp >= 0x0610 && cp <= 0x061a) || (cp >= 0x064b && cp <= 0x065f) ||
	    cp == 0x0670 || (cp >= 0x06d6 && cp <= 0x06ed) || cp == 0x0640)
		return TEXT_DROP;
	/* C1 controls, Latin-1 punctuation and signs, × and ÷, General
	 * Punctuation (spaces, dashes, quotes, ellipsis), Arabic comma,
	 * semicolon, question mark, percent, separators and full stop, and
	 * what did not decode. */
	if (cp <= 0xbf || cp == 0xd7 || cp == 0xf7 ||
	    (cp >= 0x2000 && cp <= 0x206f) || cp == 0x060c || cp == 0x061b ||
	    cp == 0x061f || (cp >= 0x066a && cp <= 0x066d) || cp == 0x06d4 ||
	    cp == 0xfffd)
		return TEXT_SEP;
	return TEXT_WORD;
}

/*
 * Lower case (simple folding) for the scripts the tip line's languages
 * and their neighbours write in: Latin (ASCII, Latin-1, Latin Extended-A:
 * Estonian and Northern Sámi š ž č đ ŋ ŧ), Greek and Cyrillic.
 */
static uint32_t
text_fold(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c < 0x80)
		return c;
	if (c >= 0xc0 && c <= 0xde && c != 0xd7)
		return c + 32;
	if (c == 0x130) /* İ */
		return 'i';
	if ((c >= 0x100 && c <= 0x137 && c != 0x131) ||
	    (c >= 0x14a && c <= 0x177))
		return c | 1;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
		return (c & 1) ? c + 1 : c;
	if (c == 0x178)
		return 0xff;
	if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2)
		return c + 32;
	if (c == 0x386) /* Greek capitals with tonos */
		return 0x3ac;
	if (c >= 0x388 && c <= 0x38a)
		return c + 37;
	if (c == 0x38c)
		return 0x3cc;
	if (c == 0x38e || c == 0x38f)
		return c + 63;
	if (c == 0x3c2) /* final sigma */
		return 0x3c3;
	if (c >= 0x410 && c <= 0x42f)
		return c + 32;
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	if ((c >= 0x460 && c <= 0x481) || (c >= 0x48a && c <= 0x4bf) ||
	    (c >= 0x4d0 && c <= 0x4ff))
		return c | 1;
	if (c == 0x4c0)
		return 0x4cf;
	if (c >= 0x4c1 && c <= 0x4ce)
		return (c & 1) ? c + 1 : c;
	return c;
}

/*
 * One spelling for Arabic-script letters that writers, keyboards and OCR
 * use interchangeably: alef with hamza or madda as bare alef, alef maksura
 * and Persian yeh as yeh, keheh as kaf, teh marbuta as heh, hamza seats as
 * their letters; Arabic-Indic and Persian digits as 0-9.
 */
static uint32_t
text_arabic(uint32_t c)
{
	switch (c) {
	case 0x0622:
	case 0x0623:
	case 0x0625:
	case 0x0671:
	case 0x0672:
	case 0x0673:
		return 0x0627;
	case 0x0649:
	case 0x06cc:
	case 0x0626:
		return 0x064a;
	case 0x06a9:
	case 0x06aa:
		return 0x0643;
	case 0x0629:
	case 0x06c0:
	case 0x06d5:
		return 0x0647;
	case 0x0624:
		return 0x0648;
	}
	if (c >= 0x0660 && c <= 0x0669)
		return '0' + (c - 0x0660);
	if (c >= 0x06f0 && c <= 0x06f9)
		return '0' + (c - 0x06f0);
	return c;
}

/* Latin and Cyrillic letters that look alike (lower case, after folding;
 * some only as capitals: в B, н H, м M, т T, к K). */
static const uint32_t text_alike[][2] = {
	{ 'a', 0x430 },
	{ 'b', 0x432 },
	{ 'c', 0x441 },
	{ 'e', 0x435 },
	{ 'h', 0x43d },
	{ 'i', 0x456 },
	{ 'j', 0x458 },
	{ 'k', 0x43a },
	{ 'm', 0x43c },
	{ 'o', 0x43e },
	{ 'p', 0x440 },
	{ 's', 0x455 },
	{ 't', 0x442 },
	{ 'x', 0x445 },
	{ 'y', 0x443 },
};

static bool
text_is_latin(uint32_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 0xdf && c <= 0x24f);
}

static bool
text_is_cyrillic(uint32_t c)
{
	return c >= 0x400 && c <= 0x4ff;
}

/*
 * A word mixing Latin and Cyrillic letters (OCR's confusions, or a
 * disguise: "сосед" typed with a Latin c) is written in the script most
 * of its letters are in, as far as look-alikes allow; a tie goes to Latin.
 */
static void
text_unmix(uint32_t *w, size_t n)
{
	size_t i, k, lat = 0, cyr = 0;
	int from;

	for (i = 0; i < n; i++) {
		lat += text_is_latin(w[i]);
		cyr += text_is_cyrillic(w[i]);
	}
	if (lat == 0 || cyr == 0)
		return;
	from = cyr > lat ? 0 : 1;
	for (i = 0; i < n; i++)
		for (k = 0; k < ARRAY_SIZE(text_alike); k++)
			if (w[i] == text_alike[k][from]) {
				w[i] = text_alike[k][1 - from];
				break;
			}
}

void
text_normalise(const char *s, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t *w, cp;
	size_t i = 0, n = 0, k, adv, cap;
	bool any = false;

	/* A word is at most as many characters as the text has bytes. */
	cap = len > 0 ? len : 1;
	if (cap > SIZE_MAX / sizeof(*w) ||
	    (w = malloc(cap * sizeof(*w))) == NULL) {
		out->err = true;
		return;
	}
	for (;;) {
		cp = i < len ? text_decode(p + i, len - i, &adv) : ' ';
		switch (i < len ? text_class(cp) : TEXT_SEP) {
		case TEXT_DROP:
			break;
		case TEXT_WORD:
			w[n++] = text_arabic(text_fold(cp));
			break;
		case TEXT_SEP:
			if (n == 0)
				break;
			text_unmix(w, n);
			if (any)
				buf_append(out, " ", 1);
			for (k = 0; k < n; k++)
				text_encode(w[k], out);
			any = true;
			n = 0;
			break;
		}
		if (i >= len)
			break;
		i += adv;
	}
	/* The words are a tip's text. */
	explicit_bzero(w, cap * sizeof(*w));
	free(w);
}

/* A character text_valid() refuses: a byte that does not decode (it comes
 * back alone as U+FFFD; the character U+FFFD itself is three bytes), NUL
 * or a C0 control other than tab, CR and LF, or DEL. */
static bool
text_bad(uint32_t cp, size_t adv)
{
	return (cp == 0xfffd && adv == 1) ||
	       (cp < 0x20 && cp != '\t' && cp != '\r' && cp != '\n') ||
	       cp == 0x7f;
}

bool
text_valid(const char *s, size_t len, size_t *nchars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n = 0, adv;
	uint32_t cp;

	while (i < len) {
		cp = text_decode(p + i, len - i, &adv);
		if (text_bad(cp, adv))
			return false;
		i += adv;
		n++;
	}
	*nchars = n;
	return true;
}

size_t
text_repair(const char *s, size_t len, char *out, size_t *nchars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0, n = 0, adv;
	uint32_t cp;

	while (i < len) {
		cp = text_decode(p + i, len - i, &adv);
		if (text_bad(cp, adv)) {
			/* Each bad byte or control shows where it was. */
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
		} else {
			memcpy(out + o, p + i, adv);
			o += adv;
		}
		i += adv;
		n++;
	}
	out[o] = '\0';
	*nchars = n;
	return o;
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
