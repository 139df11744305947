/*
 * Parsers for the bodies the public tip form posts: multipart/form-data
 * (RFC 7578) and application/x-www-form-urlencoded.  They are pure: bytes
 * in, a struct form out, memory only from the arena passed in.
 */
#ifndef TL_FORM_H
#define TL_FORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

struct arena;

/* RFC 2046: a boundary has 1 to 70 characters. */
#define FORM_BOUNDARY_MAX_BYTES 70

/*
 * RFC 2046 transport padding: the spaces and tabs allowed between a
 * delimiter and its line end.  With more the line is part data, so a
 * parser that streams holds back a bounded number of bytes.
 */
#define FORM_PADDING_MAX_BYTES 64

/* Used when form_parse*() get NULL limits. */
#define FORM_DEFAULT_MAX_PARTS             256
#define FORM_DEFAULT_MAX_PART_HEADER_BYTES 4096

struct form_part {
	struct span name;         /* field name from Content-Disposition */
	struct span filename;     /* len 0 and p NULL if not a file part */
	struct span content_type; /* declared type, may be empty */
	struct span body;         /* the bytes */
	bool is_file;             /* Content-Disposition had filename= */
};

struct form {
	struct form_part *parts; /* from the arena */
	size_t nparts;
};

struct form_limits {
	size_t max_parts;             /* more is an error; 0 allows none */
	size_t max_part_header_bytes; /* a part's headers, blank line too */
};

/*
 * Extracts the boundary parameter (quoted or not) from a Content-Type
 * header value of multipart/form-data; the span points into content_type.
 * Returns 0, or -1 with *errstr if the type is not multipart/form-data or
 * the boundary is missing, repeated, empty, longer than 70, or has
 * characters RFC 2046 forbids.
 */
TL_MUSTCHECK int form_boundary(const char *content_type, struct span *boundary,
    const char **errstr);

/*
 * Parses a whole multipart/form-data body.  Returns the bytes consumed
 * through the closing "--boundary--" (padding and epilogue after it are
 * not looked at), PARSE_PARTIAL if the input ends before the closing
 * delimiter, or -1 with *errstr a static string.  Every call parses from
 * the start, in O(len), and what it allocated stays in the arena whatever
 * it returns: a caller that streams may call again with the longer buffer,
 * but best calls once, when the body is complete.  Bodies, and names,
 * filenames and types without backslash escapes, point into buf; unescaped
 * names and filenames and the parts array are in the arena.  Names and
 * filenames are not percent-decoded (browsers send '"' as %22) and no
 * character set is checked.  *out is empty unless the result is >= 0.
 * A delimiter is "\r\n--boundary" followed by "--" or by at most
 * FORM_PADDING_MAX_BYTES spaces and tabs and a line end; followed by
 * anything else it is part data.
 */
TL_MUSTCHECK ssize_t form_parse(const uint8_t *buf, size_t len,
    struct span boundary, const struct form_limits *, struct arena *,
    struct form *out, const char **errstr);

/*
 * Parses a whole urlencoded body "a=1&b=x+y%C3%A4&c=": '+' is a space,
 * %XX is decoded, empty pieces ("&&") are skipped, a piece without '=' has
 * an empty value.  Names and values are in the arena; content_type and
 * filename are empty, is_file false.  Returns len, or -1 with *errstr.
 */
TL_MUSTCHECK ssize_t form_parse_urlencoded(const uint8_t *buf, size_t len,
    const struct form_limits *, struct arena *, struct form *out,
    const char **errstr);

/* First part whose name is exactly name (case matters), or NULL. */
const struct form_part *form_get(const struct form *, const char *name);
/* The number of parts named name. */
size_t form_count(const struct form *, const char *name);

#endif
