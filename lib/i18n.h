/*
 * The user interface in Finnish, Swedish and English: one sorted table of
 * messages, and language choice from a path or an Accept-Language header.
 */
#ifndef TL_I18N_H
#define TL_I18N_H

#include <stddef.h>

enum lang {
	LANG_FI,
	LANG_SV,
	LANG_EN,
};
#define LANG_COUNT 3

/* The message in lang, or NULL if the id is unknown. */
const char *i18n_get(enum lang, const char *id);
/* "fi", "sv", "en". */
const char *i18n_code(enum lang);
/* "fi"/"sv"/"en" (any case) into *out; -1 if none of ours. */
int i18n_from_code(const char *, size_t, enum lang *out);
/*
 * Picks the best of our languages for an Accept-Language header (NULL or
 * garbage gives Finnish).  Pure; never fails.
 */
enum lang i18n_negotiate(const char *accept_language);

/* For tests: table size and the i-th id. */
size_t i18n_count(void);
const char *i18n_id(size_t);
const char *i18n_text(size_t, enum lang);

/*
 * Orders UTF-8 names for Finnish and Swedish readers: case-insensitive,
 * with å, ä, ö (and æ, ø, ü as their kin) after z.  strcmp-style result.
 */
int i18n_collate(const char *, const char *);

#endif
