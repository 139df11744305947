/*
 * Text normalisation for dedup keys: two descriptions that differ only in
 * case, punctuation, spacing or line breaks normalise to the same string.
 */
#ifndef TL_TEXT_H
#define TL_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Appends the normalised form of UTF-8 text to out: lower case, each run
 * of characters other than letters and digits made one space, trimmed. */
void text_normalise(const char *, size_t, struct buf *out);

/* True if the bytes are valid UTF-8 without NUL or C0 controls other than
 * tab, CR and LF; *nchars gets the number of characters. */
bool text_valid(const char *, size_t, size_t *nchars);

#endif
