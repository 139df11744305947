/*
 * The message catalogue and language negotiation.  Messages live in one
 * table sorted by id (a unit test checks the order and that no text is
 * missing), looked up by binary search.  Texts are plain: the template
 * renderer escapes them.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "util.h"

struct i18n_msg {
	const char *id;
	const char *text[LANG_COUNT];
};

/* Sorted by id in byte order. */
static const struct i18n_msg i18n_msgs[] = {
#include "i18n_msgs.inc"
};

static const char *const i18n_codes[LANG_COUNT] = { "fi", "sv", "en" };

static int
i18n_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct i18n_msg *)elem)->id);
}

const char *
i18n_get(enum lang lang, const char *id)
{
	const struct i18n_msg *m;

	if ((unsigned)lang >= LANG_COUNT)
		return NULL;
	m = bsearch(id, i18n_msgs, ARRAY_SIZE(i18n_msgs), sizeof(i18n_msgs[0]),
	    i18n_cmp);
	return m ? m->text[lang] : NULL;
}

const char *
i18n_code(enum lang lang)
{
	return (unsigned)lang < LANG_COUNT ? i18n_codes[lang] : "fi";
}

int
i18n_from_code(const char *s, size_t len, enum lang *out)
{
	size_t i;

	if (len != 2)
		return -1;
	for (i = 0; i < LANG_COUNT; i++) {
		if (tolower((unsigned char)s[0]) == i18n_codes[i][0] &&
		    tolower((unsigned char)s[1]) == i18n_codes[i][1]) {
			*out = (enum lang)i;
			return 0;
		}
	}
	return -1;
}

/*
 * Accept-Language: "sv-FI,sv;q=0.9,en;q=0.5".  The first language of ours
 * with the highest q wins; ties keep the header's order.
 */
enum lang
i18n_negotiate(const char *h)
{
	enum lang best = LANG_FI, l;
	int bestq = -1, q;
	const char *p, *tag, *semi;
	size_t taglen;

	if (h == NULL)
		return LANG_FI;
	p = h;
	while (*p != '\0') {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		tag = p;
		while (*p != '\0' && *p != ',' && *p != ';' && *p != ' ')
			p++;
		taglen = (size_t)(p - tag);
		q = 1000;
		while (*p == ' ')
			p++;
		semi = p;
		if (*semi == ';') {
			/* parameters up to the next comma; only q matters */
			const char *qp = strstr(semi, "q=");
			const char *comma = strchr(semi, ',');

			if (qp != NULL && (comma == NULL || qp < comma)) {
				qp += 2;
				if (qp[0] == '0' || qp[0] == '1') {
					q = (qp[0] - '0') * 1000;
					if (qp[1] == '.') {
						int mul = 100, i;

						for (i = 2;
						     i < 5 &&
						     isdigit(
						         (unsigned char)qp[i]);
						     i++, mul /= 10)
							q +=
							    (qp[i] - '0') * mul;
					}
					if (q > 1000)
						q = 1000;
				} else
					q = 0;
			}
			p = comma ? comma : semi + strlen(semi);
		}
		/* "sv-FI" counts as "sv"; "*" and others are not ours. */
		if (taglen >= 2 &&
		    (taglen == 2 || tag[2] == '-' || tag[2] == '_') &&
		    i18n_from_code(tag, 2, &l) == 0 && q > 0 && q > bestq) {
			best = l;
			bestq = q;
		}
	}
	return best;
}

size_t
i18n_count(void)
{
	return ARRAY_SIZE(i18n_msgs);
}

const char *
i18n_id(size_t i)
{
	return i18n_msgs[i].id;
}

const char *
i18n_text(size_t i, enum lang lang)
{
	return i18n_msgs[i].text[lang];
}

/* One collation weight per character; *s advances past it. */
static unsigned
i18n_weight(const unsigned char **s)
{
	const unsigned char *p = *s;
	unsigned c;

	if (p[0] < 0x80) {
		*s = p + 1;
		c = (unsigned)tolower(p[0]);
		return c * 4;
	}
	if (p[0] == 0xc3 && p[1] != '\0') {
		*s = p + 2;
		switch (p[1] | 0x20) {
		case 0xa5: /* å Å */
			return ('z' + 1) * 4;
		case 0xa4: /* ä Ä */
		case 0xa6: /* æ Æ */
			return ('z' + 2) * 4;
		case 0xb6: /* ö Ö */
		case 0xb8: /* ø Ø */
			return ('z' + 3) * 4;
		case 0xbc: /* ü Ü sorts as y */
			return 'y' * 4 + 1;
		case 0xa9: /* é É sorts as e */
			return 'e' * 4 + 1;
		default:
			return 0x200 + p[1];
		}
	}
	*s = p + 1;
	return 0x300 + p[0];
}

int
i18n_collate(const char *a, const char *b)
{
	const unsigned char *p = (const unsigned char *)a;
	const unsigned char *q = (const unsigned char *)b;
	unsigned wa, wb;

	while (*p != '\0' && *q != '\0') {
		wa = i18n_weight(&p);
		wb = i18n_weight(&q);
		if (wa != wb)
			return wa < wb ? -1 : 1;
	}
	if (*p == '\0' && *q == '\0')
		return strcmp(a, b);
	return *p == '\0' ? -1 : 1;
}
