/*
 * The user interface: the public pages in ten languages, the console (the
 * staff's pages) in the first three.  One sorted table of messages, and
 * language choice from a path or an Accept-Language header.
 */
#ifndef TL_I18N_H
#define TL_I18N_H

#include <stddef.h>

/*
 * The staff's languages come first: the console, its messages and the
 * notices to platforms are in LANG_STAFF_COUNT languages; the public pages
 * and everything a tipster reads in all LANG_COUNT.
 */
enum lang {
	LANG_FI,
	LANG_SV,
	LANG_EN,
	LANG_AR, /* Arabic, right to left */
	LANG_FA, /* Persian, right to left */
	LANG_SO, /* Somali */
	LANG_RU, /* Russian */
	LANG_UK, /* Ukrainian */
	LANG_ET, /* Estonian */
	LANG_SE, /* Northern Sámi */
};
#define LANG_COUNT       10
#define LANG_STAFF_COUNT 3

/*
 * The message in lang, or NULL if the id is unknown.  A staff message
 * asked for in a public-only language comes in English.
 */
const char *i18n_get(enum lang, const char *id);
/* "fi", "sv", "en", "ar", ... */
const char *i18n_code(enum lang);
/* The language's name in itself ("Suomi", "العربية"), for menus. */
const char *i18n_name(enum lang);
/* Whether the language is written right to left. */
int i18n_rtl(enum lang);
/* "rtl" or "ltr", for a dir attribute. */
const char *i18n_dir(enum lang);
/*
 * A code of the first n languages (any case) into *out; -1 if none of
 * those.  n is LANG_COUNT or LANG_STAFF_COUNT.
 */
int i18n_from_code_n(const char *, size_t, int n, enum lang *out);
/* i18n_from_code_n(s, len, LANG_COUNT, out). */
int i18n_from_code(const char *, size_t, enum lang *out);
/*
 * Picks the best of the first n languages for an Accept-Language header
 * (NULL or garbage gives Finnish).  Pure; never fails.
 */
enum lang i18n_negotiate(const char *accept_language, int n);

/*
 * A day ("2026-11-24") or an hour ("2026-11-24 14", an hour of arrival) as
 * the language writes it: "24.11.2026 klo 14.00–14.59", "2026-11-24,
 * 14:00–14:59".  Digits are always 0-9 and the result reads left to right
 * (pages mark it dir="ltr" inside right-to-left text).  Input that does
 * not parse is copied as it is.
 */
void i18n_day(const char *iso, enum lang, char *out, size_t len);
void i18n_hour(const char *iso, enum lang, char *out, size_t len);

/* For tests: table size, the i-th id and text (NULL: a staff message in
 * a public-only language), and whether the i-th is a public message. */
size_t i18n_count(void);
const char *i18n_id(size_t);
const char *i18n_text(size_t, enum lang);
int i18n_public(size_t);

/*
 * Orders UTF-8 names for Finnish and Swedish readers: case-insensitive,
 * with å, ä, ö (and æ, ø, ü as their kin) after z.  strcmp-style result.
 */
int i18n_collate(const char *, const char *);

#endif
