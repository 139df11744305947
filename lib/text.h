/*
 * Text normalisation for dedup keys: two descriptions that differ only in
 * case, punctuation, spacing or line breaks normalise to the same string.
 */
#ifndef TL_TEXT_H
#define TL_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/*
 * Appends the normalised form of UTF-8 text to out: lower case (Latin,
 * Greek, Cyrillic), each run of characters other than letters and digits
 * made one space, trimmed; invisible characters (joiners, direction marks,
 * soft hyphens) and Arabic vowel signs and tatweel removed; Arabic letter
 * variants in one spelling (أ إ آ as ا, ى ی as ي, ک as ك, ة as ه) and
 * Arabic-Indic digits as 0-9; a word mixing Latin and Cyrillic letters in
 * its majority script as far as look-alikes go.  Idempotent.  Sets
 * out->err if memory runs out.
 */
void text_normalise(const char *, size_t, struct buf *out);

/* True if the bytes are valid UTF-8 without NUL or C0 controls other than
 * tab, CR and LF; *nchars gets the number of characters. */
bool text_valid(const char *, size_t, size_t *nchars);
/* Copies the bytes to out as text text_valid() takes, each byte that does
 * not decode and each refused control made U+FFFD, so that a form can come
 * back with what could be read.  out has room for 3 * len + 1 bytes; a
 * NUL is added.  Returns the bytes written; *nchars gets the characters. */
size_t text_repair(const char *, size_t, char *out, size_t *nchars);

/* Appends the first nchars characters of UTF-8 text as one line (each run
 * of white space and controls made one space, trimmed), with "…" if it
 * was cut.  At most 4 * nchars + 3 bytes. */
void text_excerpt(const char *, size_t, size_t nchars, struct buf *out);
#define TEXT_EXCERPT 140 /* characters of a tip's excerpt in lists */

#endif
