/*
 * The message catalogue and language negotiation.  Messages live in one
 * table sorted by id (a unit test checks the order and that no text is
 * missing), looked up by binary search.  Texts are plain: the template
 * renderer escapes them.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "util.h"

struct i18n_msg {
	const char *id;
	int pub; /* a public message: text in every language */
	const char *text[LANG_COUNT];
};

/* Sorted by id in byte order. */
static const struct i18n_msg i18n_msgs[] = {
#include "i18n_msgs.inc"
};

static const char *const i18n_codes[LANG_COUNT] = { "fi", "sv", "en", "ar",
	"fa", "so", "ru", "uk", "et", "se" };
static const char *const i18n_names[LANG_COUNT] = { "Suomi", "Svenska",
	"English", "العربية", "فارسی", "Soomaali", "Русский", "Українська",
	"Eesti", "Davvisámegiella" };

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
	if (m == NULL)
		return NULL;
	return m->text[lang] != NULL ? m->text[lang] : m->text[LANG_EN];
}

const char *
i18n_code(enum lang lang)
{
	return (unsigned)lang < LANG_COUNT ? i18n_codes[lang] : "fi";
}

const char *
i18n_name(enum lang lang)
{
	return (unsigned)lang < LANG_COUNT ? i18n_names[lang] : "Suomi";
}

int
i18n_rtl(enum lang lang)
{
	return lang == LANG_AR || lang == LANG_FA;
}

const char *
i18n_dir(enum lang lang)
{
	return i18n_rtl(lang) ? "rtl" : "ltr";
}

int
i18n_from_code(const char *s, size_t len, enum lang *out)
{
	return i18n_from_code_n(s, len, LANG_COUNT, out);
}

int
i18n_from_code_n(const char *s, size_t len, int n, enum lang *out)
{
	int i;

	if (len != 2 || n < 0 || n > LANG_COUNT)
		return -1;
	for (i = 0; i < n; i++) {
		if (tolower((unsigned char)s[0]) == i18n_codes[i][0] &&
		    tolower((unsigned char)s[1]) == i18n_codes[i][1]) {
			*out = (enum lang)i;
			return 0;
		}
	}
	return -1;
}

/* A language tag's primary subtag as one of the first n languages: "sv-FI"
 * is "sv"; the three-letter "sme" (Northern Sámi) and "prs" (Dari, which a
 * Persian page serves) are "se" and "fa". */
static int
i18n_tag(const char *tag, size_t len, int n, enum lang *out)
{
	size_t primary = 0;

	/* Only within the tag: the header goes on after it. */
	while (primary < len && tag[primary] != '-' && tag[primary] != '_')
		primary++;
	if (primary == 2)
		return i18n_from_code_n(tag, 2, n, out);
	if (primary != 3)
		return -1;
	if (strncasecmp(tag, "sme", 3) == 0)
		return i18n_from_code_n("se", 2, n, out);
	if (strncasecmp(tag, "prs", 3) == 0)
		return i18n_from_code_n("fa", 2, n, out);
	return -1;
}

/*
 * Accept-Language: "sv-FI,sv;q=0.9,en;q=0.5".  The first language of ours
 * with the highest q wins; ties keep the header's order.
 */
enum lang
i18n_negotiate(const char *h, int n)
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
			/* parameters up to the next comma; only q matters,
			 * and is looked for only there (a search of the rest
			 * of the header at each tag would be quadratic) */
			const char *comma = strchr(semi, ',');
			const char *qp = memmem(semi,
			    comma != NULL ? (size_t)(comma - semi)
			                  : strlen(semi),
			    "q=", 2);

			if (qp != NULL) {
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
		if (i18n_tag(tag, taglen, n, &l) == 0 && q > 0 && q > bestq) {
			best = l;
			bestq = q;
		}
	}
	return best;
}

/*
 * Finnish, Swedish, Estonian and Northern Sámi write 24.11.2026, Russian and
 * Ukrainian 24.11.2026 with the zeros; English, Arabic, Persian and Somali
 * pages get the ISO date, which every reader parses alike (Persian readers
 * would otherwise expect the solar calendar, Arabic readers either order).
 */
void
i18n_day(const char *iso, enum lang lang, char *out, size_t len)
{
	int y, m, d;

	if (sscanf(iso, "%4d-%2d-%2d", &y, &m, &d) != 3) {
		snprintf(out, len, "%s", iso);
		return;
	}
	switch (lang) {
	case LANG_FI:
	case LANG_SV:
	case LANG_ET:
	case LANG_SE:
		snprintf(out, len, "%d.%d.%d", d, m, y);
		break;
	case LANG_RU:
	case LANG_UK:
		snprintf(out, len, "%02d.%02d.%04d", d, m, y);
		break;
	default:
		snprintf(out, len, "%04d-%02d-%02d", y, m, d);
		break;
	}
}

void
i18n_hour(const char *iso, enum lang lang, char *out, size_t len)
{
	char day[32];
	int y, m, d, h;

	if (sscanf(iso, "%4d-%2d-%2d %2d", &y, &m, &d, &h) != 4) {
		snprintf(out, len, "%s", iso);
		return;
	}
	i18n_day(iso, lang, day, sizeof(day));
	switch (lang) {
	case LANG_FI:
		snprintf(out, len, "%s klo %02d.00–%02d.59", day, h, h);
		break;
	case LANG_SV:
		snprintf(out, len, "%s kl. %02d.00–%02d.59", day, h, h);
		break;
	case LANG_ET:
	case LANG_SE:
		snprintf(out, len, "%s %02d.00–%02d.59", day, h, h);
		break;
	default:
		snprintf(out, len, "%s, %02d:00–%02d:59", day, h, h);
		break;
	}
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

int
i18n_public(size_t i)
{
	return i18n_msgs[i].pub;
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
