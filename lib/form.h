/*
 * Parsers for the bodies the public tip form posts: multipart/form-data
 * (RFC 7578) and application/x-www-form-urlencoded.  They are pure: bytes
 * in, a struct form out, memory only from the arena passed in.  A
 * multipart body can also be parsed as it arrives, in pieces of any size,
 * with struct form_stream.
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

/* "\r\n--" boundary, padding, and the CR or '-' after them. */
#define FORM_HOLD_MAX_BYTES                                                    \
	(4 + FORM_BOUNDARY_MAX_BYTES + FORM_PADDING_MAX_BYTES + 1)

/* Used when form_parse*() and form_stream_init() get NULL limits. */
#define FORM_DEFAULT_MAX_PARTS             256
#define FORM_DEFAULT_MAX_PART_HEADER_BYTES 4096

struct form_part {
	struct span name;         /* field name from Content-Disposition */
	struct span filename;     /* len 0 and p NULL if not a file part */
	struct span content_type; /* declared type, may be empty */
	struct span body;         /* the bytes */
	bool is_file;             /* Content-Disposition had filename= */
	bool truncated; /* over a limit of the reader's: body dropped or cut */
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
 * Callbacks of a struct form_stream, each with the arg given with them;
 * any may be NULL.  Returning -1 stops the parse: form_stream_feed()
 * returns -1 with *errstr "stopped".
 *
 * form_begin_fn: a part's headers are complete.  part->body is empty; the
 * other spans, unescaped as form_parse() does, point into the stream's own
 * memory and are valid only during the call.
 * form_data_fn: the next len > 0 bytes of the current part's body, from
 * the piece being fed or from the stream's memory; valid during the call.
 * form_end_fn: the current part's closing delimiter has been seen.
 */
typedef int form_begin_fn(void *arg, const struct form_part *part);
typedef int form_data_fn(void *arg, const uint8_t *p, size_t len);
typedef int form_end_fn(void *arg);

struct form_stream_cb {
	form_begin_fn *begin;
	form_data_fn *data;
	form_end_fn *end;
	void *arg;
};

enum form_stream_state {
	FORM_S_PREAMBLE, /* before the first delimiter; bytes dropped */
	FORM_S_HEADERS,  /* a part's header block, gathered in hdr */
	FORM_S_BODY,     /* a part's bytes, handed to cb.data */
	FORM_S_DONE,     /* the closing delimiter seen; the rest ignored */
	FORM_S_FAILED,   /* err says why; nothing more is looked at */
};

/*
 * An incremental multipart/form-data parser: the same grammar, limits,
 * parts, results and error strings as form_parse() on the whole body,
 * whatever the pieces it is fed in.  Two strings differ: it needs no
 * memory per part, so never says "out of memory" where form_parse()'s
 * arena ran out, and a callback's stop is "stopped".  Its memory is this
 * struct and one buffer of max_part_header_bytes from the arena, however
 * long the body.  Set up with form_stream_init(); nothing to free.
 */
struct form_stream {
	struct form_stream_cb cb;
	struct form_limits lim;
	enum form_stream_state state;
	uint8_t needle[4 + FORM_BOUNDARY_MAX_BYTES]; /* "\r\n--" boundary */
	size_t nlen;
	/*
	 * A delimiter being matched: the needle's first bytes, then padding
	 * and a CR or '-'.  Part data if it turns out no delimiter.
	 */
	uint8_t hold[FORM_HOLD_MAX_BYTES];
	size_t hlen;
	uint8_t *hdr;  /* the current part's header block, from the arena */
	size_t hdrlen; /* bytes in hdr */
	size_t line;   /* where the header line being read starts in hdr */
	bool have_cd;  /* Content-Disposition seen in this block */
	bool have_ct;  /* Content-Type seen in this block */
	struct form_part part; /* spans into hdr */
	size_t nparts;         /* parts begun */
	size_t off;            /* bytes fed before the current call */
	ssize_t consumed;      /* once FORM_S_DONE: through the closing "--" */
	const char *err;       /* once FORM_S_FAILED */
};

/*
 * Readies fs for a body with this boundary; cb is copied.  The header
 * buffer comes from the arena.  Returns 0, or -1 with *errstr for a bad
 * boundary (as form_parse() would say) or an arena too small.
 */
TL_MUSTCHECK int form_stream_init(struct form_stream *fs, struct span boundary,
    const struct form_limits *, struct arena *, const struct form_stream_cb *cb,
    const char **errstr);

/*
 * Parses the next len bytes of the body; any split of it gives the same
 * parts, bytes and result, only cut into other data calls.  Returns
 * PARSE_PARTIAL while the closing delimiter is still to come, the bytes
 * consumed through it (counted from the body's first byte, as form_parse()
 * returns them) once it was seen, after which any further bytes are the
 * epilogue and ignored, or -1 with *errstr a static string.  A result >= 0 or
 * -1 stays: later calls return it again without looking at their bytes.  len 0
 * returns the state so far, so at the end of the body PARSE_PARTIAL means it
 * was cut short.  The parts seen before an error or a cut were delivered
 * already; form_parse() would have returned none, so the caller drops them.
 */
TL_MUSTCHECK ssize_t form_stream_feed(struct form_stream *fs,
    const uint8_t *data, size_t len, const char **errstr);

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
