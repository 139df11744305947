/*
 * The tip form's body parsers.  multipart/form-data is found by searching
 * for the delimiter "\r\n--" boundary with memmem(3): a boundary has no CR,
 * so two matches never overlap and each byte is looked at a bounded number
 * of times, however many parts or near-boundaries the body holds.  A match
 * counts as a delimiter only when "--" (close) or optional spaces and a
 * line end follow; anything else is part data, as in Go's mime/multipart.
 * Part headers are read a line at a time inside a window of
 * max_part_header_bytes; bare LF line ends are accepted there.  Only
 * Content-Disposition and Content-Type are understood, others skipped.
 * Bodies stay in the input; the parts array grows by doubling in the arena.
 *
 * struct form_stream reads the same grammar a byte at a time for bodies
 * that arrive in pieces.  Since the needle's only CR is its first byte, a
 * failed match can resume at the byte that failed it: the stream keeps no
 * more than the bytes of the one match in progress (bounded by the
 * padding limit) and the header block, and looks at each byte once.  The
 * header lines go through the same functions as form_parse()'s.
 */
#include <limits.h>
#include <string.h>

#include "arena.h"
#include "form.h"

#define FORM_NEEDLE_MAX (4 + FORM_BOUNDARY_MAX_BYTES)

/*
 * A part's header block while its lines are read; one per part, for both
 * parsers.  Escaped values are undone into the arena, or, with a writable
 * copy of the line at hand, in place.
 */
struct form_hdr {
	struct arena *a;
	struct form_part *part;
	bool have_cd, have_ct;
	const char *err;
};

struct form_state {
	const uint8_t *buf;
	size_t len;
	const struct form_limits *lim;
	struct arena *a;
	struct form_part *parts;
	size_t nparts, cap;
	uint8_t needle[FORM_NEEDLE_MAX]; /* "\r\n--" boundary */
	size_t nlen;
	const char *err;
};

static const struct form_limits form_default_limits = {
	.max_parts = FORM_DEFAULT_MAX_PARTS,
	.max_part_header_bytes = FORM_DEFAULT_MAX_PART_HEADER_BYTES,
};

static bool
form_is_ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static bool
form_is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

/* RFC 2046 bchars, space included. */
static bool
form_is_bchar(uint8_t c)
{
	return form_is_alnum(c) || (c != '\0' && strchr("'()+_,-./:=? ", c));
}

/* RFC 9110 tchar. */
static bool
form_is_tchar(uint8_t c)
{
	return form_is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

static uint8_t
form_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

/* Case-insensitive comparison of [p, p + n) with a lower-case literal. */
static bool
form_ieq(const uint8_t *p, size_t n, const char *lit)
{
	size_t i;

	if (n != strlen(lit))
		return false;
	for (i = 0; i < n; i++)
		if (form_lower(p[i]) != (uint8_t)lit[i])
			return false;
	return true;
}

static bool
form_boundary_ok(const uint8_t *p, size_t n)
{
	size_t i;

	if (p == NULL || n == 0 || n > FORM_BOUNDARY_MAX_BYTES ||
	    p[n - 1] == ' ')
		return false;
	for (i = 0; i < n; i++)
		if (!form_is_bchar(p[i]))
			return false;
	return true;
}

/*
 * The next "; name=value" of a header's parameters at *i in [s, s + n):
 * 1 with the name and the value (for a quoted string its inside, escapes
 * kept; *escaped tells whether it has any), 0 at the end (a trailing ';'
 * allowed), -1 if malformed.
 */
static int
form_next_param(const uint8_t *s, size_t n, size_t *i, struct span *name,
    struct span *value, bool *escaped)
{
	size_t j = *i, k;

	while (j < n && form_is_ows(s[j]))
		j++;
	if (j < n && s[j] == ';') {
		j++;
		while (j < n && form_is_ows(s[j]))
			j++;
	} else if (j < n)
		return -1;
	if (j == n) {
		*i = j;
		return 0;
	}
	for (k = j; k < n && form_is_tchar(s[k]); k++)
		;
	if (k == j)
		return -1;
	name->p = s + j;
	name->len = k - j;
	for (j = k; j < n && form_is_ows(s[j]); j++)
		;
	if (j == n || s[j++] != '=')
		return -1;
	while (j < n && form_is_ows(s[j]))
		j++;
	*escaped = false;
	if (j < n && s[j] == '"') {
		for (k = ++j; k < n && s[k] != '"'; k++) {
			if (s[k] == '\\') {
				*escaped = true;
				if (++k == n)
					break;
			}
		}
		if (k >= n)
			return -1;
		*i = k + 1;
	} else {
		for (k = j;
		     k < n && s[k] != ';' && s[k] != '"' && !form_is_ows(s[k]);
		     k++)
			;
		if (k == j)
			return -1;
		*i = k;
	}
	value->p = s + j;
	value->len = k - j;
	return 1;
}

int
form_boundary(const char *content_type, struct span *boundary,
    const char **errstr)
{
	const uint8_t *s = (const uint8_t *)content_type, *b = NULL;
	size_t i = 0, n, blen = 0, j;
	struct span name, value;
	bool escaped;
	int r;

	boundary->p = NULL;
	boundary->len = 0;
	if (s == NULL) {
		*errstr = "not multipart/form-data";
		return -1;
	}
	n = strlen(content_type);
	while (i < n && form_is_ows(s[i]))
		i++;
	for (j = i; j < n && (form_is_tchar(s[j]) || s[j] == '/'); j++)
		;
	if (!form_ieq(s + i, j - i, "multipart/form-data")) {
		*errstr = "not multipart/form-data";
		return -1;
	}
	i = j;
	while ((r = form_next_param(s, n, &i, &name, &value, &escaped)) == 1) {
		if (!form_ieq(name.p, name.len, "boundary"))
			continue;
		if (b != NULL) {
			*errstr = "bad boundary";
			return -1;
		}
		b = value.p;
		blen = value.len;
	}
	if (r == -1)
		goto malformed;
	if (b == NULL) {
		*errstr = "missing boundary";
		return -1;
	}
	if (!form_boundary_ok(b, blen)) {
		*errstr = "bad boundary";
		return -1;
	}
	boundary->p = b;
	boundary->len = blen;
	return 0;

malformed:
	*errstr = "malformed Content-Type";
	return -1;
}

/*
 * Looks at what follows "\r\n--boundary" at pos.  Returns 1 for a
 * delimiter, with *next past its line (or past "--" for the close
 * delimiter); 0 if it is data, with *resume where to search again;
 * PARSE_PARTIAL if the input ends before that is known.
 */
static int
form_delim_tail(const struct form_state *st, size_t pos, size_t *next,
    bool *close, size_t *resume)
{
	size_t i;

	*close = false;
	*resume = pos;
	if (pos == st->len)
		return PARSE_PARTIAL;
	if (st->buf[pos] == '-') {
		if (pos + 1 == st->len)
			return PARSE_PARTIAL;
		if (st->buf[pos + 1] != '-')
			return 0;
		*close = true;
		*next = pos + 2;
		return 1;
	}
	for (i = pos; i < st->len && i - pos < FORM_PADDING_MAX_BYTES &&
	              form_is_ows(st->buf[i]);
	     i++)
		;
	if (i == st->len)
		return PARSE_PARTIAL;
	*resume = i;
	if (st->buf[i] == '\n') {
		*next = i + 1;
		return 1;
	}
	if (st->buf[i] != '\r')
		return 0;
	if (i + 1 == st->len)
		return PARSE_PARTIAL;
	if (st->buf[i + 1] != '\n')
		return 0;
	*next = i + 2;
	return 1;
}

/*
 * memmem(3) over windows that double from 256 bytes and overlap by the
 * needle's length less one.  glibc stops at the first match anyway, but
 * ASan's interceptor checks the whole haystack on every call, which would
 * make the unbounded search quadratic in sanitizer builds.
 */
static const uint8_t *
form_memmem(const struct form_state *st, size_t from)
{
	size_t w = 256, end;
	const uint8_t *hit;

	for (;;) {
		end = st->len - from > w ? from + w : st->len;
		hit = memmem(st->buf + from, end - from, st->needle, st->nlen);
		if (hit != NULL || end == st->len)
			return hit;
		from = end - (st->nlen - 1); /* w > nlen: progress */
		if (w < SIZE_MAX / 2)
			w *= 2;
	}
}

/*
 * Finds the first delimiter at or after from.  Returns 1 with *at where
 * its CRLF starts, or PARSE_PARTIAL.
 */
static int
form_find_delim(const struct form_state *st, size_t from, size_t *at,
    size_t *next, bool *close)
{
	const uint8_t *hit;
	size_t h, resume;
	int r;

	for (;;) {
		if ((hit = form_memmem(st, from)) == NULL)
			return PARSE_PARTIAL;
		h = (size_t)(hit - st->buf);
		r = form_delim_tail(st, h + st->nlen, next, close, &resume);
		if (r != 0) {
			*at = h;
			return r;
		}
		from = resume; /* > h; no match starts inside this one */
	}
}

/* The delimiter that ends the preamble; it may open the body at 0. */
static int
form_first_delim(const struct form_state *st, size_t *next, bool *close)
{
	size_t dlen = st->nlen - 2, at, resume;
	int r;

	if (st->len < dlen)
		return PARSE_PARTIAL;
	if (memcmp(st->buf, st->needle + 2, dlen) == 0) {
		r = form_delim_tail(st, dlen, next, close, &resume);
		if (r != 0)
			return r;
	}
	return form_find_delim(st, 0, &at, next, close);
}

/*
 * A quoted string's inside with its backslash escapes undone: over w, the
 * same bytes in writable memory, or, if w is NULL, in the arena.
 */
static int
form_unescape(struct form_hdr *h, struct span *v, uint8_t *w)
{
	uint8_t *d = w;
	size_t k, o;

	if (d == NULL && (d = arena_alloc(h->a, v->len)) == NULL) {
		h->err = "out of memory";
		return -1;
	}
	for (k = 0, o = 0; k < v->len; k++) {
		if (v->p[k] == '\\')
			k++;
		d[o++] = v->p[k];
	}
	v->p = d;
	v->len = o;
	return 0;
}

/*
 * Content-Disposition: form-data; name="..."; filename="..."; w is s in
 * writable memory or NULL, as for form_unescape().
 */
static int
form_disposition(struct form_hdr *h, const uint8_t *s, uint8_t *w, size_t n)
{
	struct form_part *part = h->part;
	struct span pname, val;
	size_t i;
	bool have_name = false, escaped;
	int r;

	for (i = 0; i < n && form_is_tchar(s[i]); i++)
		;
	if (!form_ieq(s, i, "form-data")) {
		h->err = "not form-data";
		return -1;
	}
	while ((r = form_next_param(s, n, &i, &pname, &val, &escaped)) == 1) {
		if (escaped && form_unescape(h, &val,
		                   w != NULL ? w + (val.p - s) : NULL) == -1)
			return -1;
		if (form_ieq(pname.p, pname.len, "name")) {
			if (have_name)
				goto malformed;
			have_name = true;
			part->name = val;
		} else if (form_ieq(pname.p, pname.len, "filename")) {
			if (part->is_file)
				goto malformed;
			part->is_file = true;
			part->filename = val;
		}
	}
	if (r == -1)
		goto malformed;
	if (!have_name) {
		h->err = "missing field name";
		return -1;
	}
	return 0;

malformed:
	h->err = "malformed part header";
	return -1;
}

/*
 * One header line [s, s + n) without its line end; w is s in writable
 * memory or NULL, as for form_unescape().
 */
static int
form_header_line(struct form_hdr *h, const uint8_t *s, uint8_t *w, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			goto malformed;
	for (i = 0; i < n && form_is_tchar(s[i]); i++)
		;
	if (i == 0 || i == n || s[i] != ':')
		goto malformed; /* folded lines land here too */
	for (j = i + 1; j < n && form_is_ows(s[j]); j++)
		;
	while (n > j && form_is_ows(s[n - 1]))
		n--;
	if (form_ieq(s, i, "content-disposition")) {
		if (h->have_cd)
			goto duplicate;
		h->have_cd = true;
		return form_disposition(h, s + j, w != NULL ? w + j : NULL,
		    n - j);
	}
	if (form_ieq(s, i, "content-type")) {
		if (h->have_ct)
			goto duplicate;
		h->have_ct = true;
		h->part->content_type.p = s + j;
		h->part->content_type.len = n - j;
	}
	return 0;

duplicate:
	h->err = "duplicate part header";
	return -1;
malformed:
	h->err = "malformed part header";
	return -1;
}

/*
 * Parses the header block at start into part.  Returns 0 with *body where
 * the part's bytes begin, PARSE_PARTIAL, or -1.
 */
static int
form_part_headers(struct form_state *st, size_t start, struct form_part *part,
    size_t *body)
{
	size_t max = st->lim->max_part_header_bytes, end, p, e, n;
	struct form_hdr h = { st->a, part, false, false, NULL };
	const uint8_t *lf;

	memset(part, 0, sizeof(*part));
	end = st->len - start > max ? start + max : st->len;
	for (p = start;; p = e + 1) {
		lf = memchr(st->buf + p, '\n', end - p);
		if (lf == NULL) {
			if (st->len - start >= max) {
				st->err = "part header too long";
				return -1;
			}
			return PARSE_PARTIAL;
		}
		e = (size_t)(lf - st->buf);
		n = e - p;
		if (n > 0 && st->buf[e - 1] == '\r')
			n--;
		if (n == 0)
			break;
		if (form_header_line(&h, st->buf + p, NULL, n) == -1) {
			st->err = h.err;
			return -1;
		}
	}
	if (!h.have_cd) {
		st->err = "missing Content-Disposition";
		return -1;
	}
	*body = e + 1;
	return 0;
}

static int
form_add(struct form_state *st, const struct form_part *part)
{
	struct form_part *np;
	size_t cap;

	if (st->nparts == st->cap) {
		cap = st->cap == 0 ? 8 : st->cap * 2;
		if (cap > st->lim->max_parts)
			cap = st->lim->max_parts;
		if (cap > SIZE_MAX / sizeof(*np) ||
		    (np = arena_alloc(st->a, cap * sizeof(*np))) == NULL) {
			st->err = "out of memory";
			return -1;
		}
		if (st->nparts > 0)
			memcpy(np, st->parts, st->nparts * sizeof(*np));
		st->parts = np;
		st->cap = cap;
	}
	st->parts[st->nparts++] = *part;
	return 0;
}

ssize_t
form_parse(const uint8_t *buf, size_t len, struct span boundary,
    const struct form_limits *lim, struct arena *a, struct form *out,
    const char **errstr)
{
	struct form_state st;
	struct form_part part;
	size_t next, body, at;
	bool close;
	int r;

	out->parts = NULL;
	out->nparts = 0;
	memset(&st, 0, sizeof(st));
	st.buf = buf;
	st.len = len;
	st.lim = lim != NULL ? lim : &form_default_limits;
	st.a = a;
	if (!form_boundary_ok(boundary.p, boundary.len)) {
		*errstr = "bad boundary";
		return -1;
	}
	if (len > SSIZE_MAX) {
		*errstr = "body too large";
		return -1;
	}
	memcpy(st.needle, "\r\n--", 4);
	memcpy(st.needle + 4, boundary.p, boundary.len);
	st.nlen = 4 + boundary.len;

	if ((r = form_first_delim(&st, &next, &close)) != 1)
		return r;
	while (!close) {
		if (st.nparts >= st.lim->max_parts) {
			*errstr = "too many parts";
			return -1;
		}
		if ((r = form_part_headers(&st, next, &part, &body)) != 0 ||
		    (r = form_find_delim(&st, body, &at, &next, &close)) != 1)
			goto fail;
		part.body.p = buf + body;
		part.body.len = at - body;
		if (form_add(&st, &part) == -1) {
			r = -1;
			goto fail;
		}
	}
	out->parts = st.parts;
	out->nparts = st.nparts;
	return (ssize_t)next;

fail:
	if (r == -1)
		*errstr = st.err;
	return r;
}

/* What one more byte does to a delimiter match in progress. */
enum form_step {
	FORM_STEP_HOLD,  /* still possibly a delimiter; the byte is held */
	FORM_STEP_DATA,  /* no delimiter: the held bytes are data */
	FORM_STEP_DELIM, /* a delimiter, its line end was this byte */
	FORM_STEP_CLOSE, /* the closing delimiter, "--" ended with this byte */
};

/*
 * Matches c against the held bytes as form_delim_tail() reads a tail:
 * what follows the needle tells apart a CR ("\r" wants "\n"), a '-' (wants
 * the second '-') and padding; all three are found from the last held
 * byte alone.  On FORM_STEP_DATA, c is not held: the needle has its only
 * CR at the start, so no delimiter can begin inside the held bytes and
 * matching starts over at c.
 */
static enum form_step
form_stream_step(struct form_stream *fs, uint8_t c)
{
	size_t pad;
	uint8_t last;

	if (fs->hlen < fs->nlen) {
		if (c != fs->needle[fs->hlen])
			return FORM_STEP_DATA;
		goto hold;
	}
	pad = fs->hlen - fs->nlen;
	last = fs->hold[fs->hlen - 1];
	if (pad > 0 && last == '-')
		return c == '-' ? FORM_STEP_CLOSE : FORM_STEP_DATA;
	if (pad > 0 && last == '\r')
		return c == '\n' ? FORM_STEP_DELIM : FORM_STEP_DATA;
	if (c == '\n')
		return FORM_STEP_DELIM;
	if (c == '\r' || (c == '-' && pad == 0) ||
	    (form_is_ows(c) && pad < FORM_PADDING_MAX_BYTES))
		goto hold;
	return FORM_STEP_DATA;

hold:
	fs->hold[fs->hlen++] = c;
	return FORM_STEP_HOLD;
}

static int
form_stream_fail(struct form_stream *fs, const char *err)
{
	fs->state = FORM_S_FAILED;
	fs->err = err;
	return -1;
}

/* Hands n > 0 bytes of the current part to the data callback. */
static int
form_stream_data(struct form_stream *fs, const uint8_t *p, size_t n)
{
	if (n == 0 || fs->cb.data == NULL)
		return 0;
	if (fs->cb.data(fs->cb.arg, p, n) == -1)
		return form_stream_fail(fs, "stopped");
	return 0;
}

/* After a delimiter other than the closing one: the next part's headers. */
static int
form_stream_next_part(struct form_stream *fs)
{
	if (fs->nparts >= fs->lim.max_parts)
		return form_stream_fail(fs, "too many parts");
	fs->state = FORM_S_HEADERS;
	fs->hdrlen = 0;
	fs->line = 0;
	fs->have_cd = false;
	fs->have_ct = false;
	memset(&fs->part, 0, sizeof(fs->part));
	/* As form_part_headers(): no room for even the blank line. */
	if (fs->lim.max_part_header_bytes == 0)
		return form_stream_fail(fs, "part header too long");
	return 0;
}

/*
 * Gathers header bytes from p[*i, len) up to the next line end, reads the
 * line, and after the blank line begins the part.  Returns 0 or -1.
 */
static int
form_stream_headers(struct form_stream *fs, const uint8_t *p, size_t len,
    size_t *i)
{
	struct form_hdr h = { NULL, &fs->part, fs->have_cd, fs->have_ct, NULL };
	size_t n = len - *i, room = fs->lim.max_part_header_bytes - fs->hdrlen;
	const uint8_t *lf;
	uint8_t *s;
	int r;

	if (n > room)
		n = room;
	if ((lf = memchr(p + *i, '\n', n)) != NULL)
		n = (size_t)(lf - (p + *i)) + 1;
	memcpy(fs->hdr + fs->hdrlen, p + *i, n);
	fs->hdrlen += n;
	*i += n;
	if (lf != NULL) {
		s = fs->hdr + fs->line;
		n = fs->hdrlen - 1 - fs->line;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		fs->line = fs->hdrlen;
		if (n == 0) {
			if (!fs->have_cd)
				return form_stream_fail(fs,
				    "missing Content-Disposition");
			fs->state = FORM_S_BODY;
			fs->nparts++;
			if (fs->cb.begin != NULL &&
			    fs->cb.begin(fs->cb.arg, &fs->part) == -1)
				return form_stream_fail(fs, "stopped");
			return 0;
		}
		r = form_header_line(&h, s, s, n);
		fs->have_cd = h.have_cd;
		fs->have_ct = h.have_ct;
		if (r == -1)
			return form_stream_fail(fs, h.err);
	}
	if (fs->hdrlen == fs->lim.max_part_header_bytes)
		return form_stream_fail(fs, "part header too long");
	return 0;
}

int
form_stream_init(struct form_stream *fs, struct span boundary,
    const struct form_limits *lim, struct arena *a,
    const struct form_stream_cb *cb, const char **errstr)
{
	memset(fs, 0, sizeof(*fs));
	fs->state = FORM_S_FAILED;
	fs->err = "bad boundary";
	if (!form_boundary_ok(boundary.p, boundary.len)) {
		*errstr = fs->err;
		return -1;
	}
	fs->lim = lim != NULL ? *lim : form_default_limits;
	if ((fs->hdr = arena_alloc(a, fs->lim.max_part_header_bytes)) == NULL) {
		*errstr = fs->err = "out of memory";
		return -1;
	}
	if (cb != NULL)
		fs->cb = *cb;
	memcpy(fs->needle, "\r\n--", 4);
	memcpy(fs->needle + 4, boundary.p, boundary.len);
	fs->nlen = 4 + boundary.len;
	/*
	 * The body may open with "--boundary": a CRLF before its first byte
	 * is taken as matched.  form_first_delim() finds the same delimiter.
	 */
	memcpy(fs->hold, "\r\n", 2);
	fs->hlen = 2;
	fs->state = FORM_S_PREAMBLE;
	fs->err = NULL;
	return 0;
}

ssize_t
form_stream_feed(struct form_stream *fs, const uint8_t *data, size_t len,
    const char **errstr)
{
	/*
	 * The current part's bytes in [mark, i) are not handed out yet; a
	 * match in progress that began in this piece (!carried) began at
	 * mstart, one carried from an earlier piece is only in hold.
	 */
	size_t i = 0, mark = 0, mstart = 0, end;
	bool carried = fs->hlen > 0;
	const uint8_t *cr;
	enum form_step step;

	switch (fs->state) {
	case FORM_S_DONE:
		return fs->consumed;
	case FORM_S_FAILED:
		goto fail;
	default:
		break;
	}
	if (len == 0)
		return PARSE_PARTIAL; /* data may be NULL */
	if (len > (size_t)SSIZE_MAX - fs->off) {
		form_stream_fail(fs, "body too large");
		goto fail;
	}
	while (i < len) {
		if (fs->state == FORM_S_HEADERS) {
			if (form_stream_headers(fs, data, len, &i) == -1)
				goto fail;
			mark = i;
			continue;
		}
		if (fs->hlen == 0) {
			cr = memchr(data + i, '\r', len - i);
			if (cr == NULL) {
				i = len;
				break;
			}
			i = (size_t)(cr - data);
			mstart = i++;
			carried = false;
			fs->hold[fs->hlen++] = '\r';
			continue;
		}
		step = form_stream_step(fs, data[i]);
		if (step == FORM_STEP_HOLD) {
			i++;
			continue;
		}
		if (step == FORM_STEP_DATA) {
			/* data[i] is looked at again. */
			if (carried) {
				if (fs->state == FORM_S_BODY &&
				    form_stream_data(fs, fs->hold, fs->hlen) ==
				        -1)
					goto fail;
				mark = i;
				carried = false;
			}
			fs->hlen = 0;
			continue;
		}
		/* A delimiter: the part ends where it begins. */
		i++;
		fs->hlen = 0;
		if (fs->state == FORM_S_BODY) {
			if (!carried && form_stream_data(fs, data + mark,
			                    mstart - mark) == -1)
				goto fail;
			if (fs->cb.end != NULL &&
			    fs->cb.end(fs->cb.arg) == -1) {
				form_stream_fail(fs, "stopped");
				goto fail;
			}
		}
		if (step == FORM_STEP_CLOSE) {
			fs->state = FORM_S_DONE;
			fs->consumed = (ssize_t)(fs->off + i);
			return fs->consumed;
		}
		if (form_stream_next_part(fs) == -1)
			goto fail;
		mark = i;
		carried = false;
	}
	/* Hand out what no match in progress holds. */
	end = fs->hlen == 0 ? len : carried ? mark : mstart;
	if (fs->state == FORM_S_BODY &&
	    form_stream_data(fs, data + mark, end - mark) == -1)
		goto fail;
	fs->off += len;
	return PARSE_PARTIAL;

fail:
	*errstr = fs->err;
	return -1;
}

static int
form_hex(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = form_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes [s, s + n) to d; returns the decoded length or -1. */
static ssize_t
form_urldecode(const uint8_t *s, size_t n, uint8_t *d)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			d[o++] = ' ';
		else if (s[i] != '%')
			d[o++] = s[i];
		else {
			if (n - i < 3 || (hi = form_hex(s[i + 1])) == -1 ||
			    (lo = form_hex(s[i + 2])) == -1)
				return -1;
			d[o++] = (uint8_t)(hi << 4 | lo);
			i += 2;
		}
	}
	return (ssize_t)o;
}

ssize_t
form_parse_urlencoded(const uint8_t *buf, size_t len,
    const struct form_limits *lim, struct arena *a, struct form *out,
    const char **errstr)
{
	struct form_part *parts = NULL, *part;
	const uint8_t *amp, *eq;
	size_t i, e, count = 0, nlen;
	ssize_t dn, dv;
	uint8_t *d = NULL;

	out->parts = NULL;
	out->nparts = 0;
	if (lim == NULL)
		lim = &form_default_limits;
	if (len > SSIZE_MAX) {
		*errstr = "body too large";
		return -1;
	}
	for (i = 0; i < len; i = e + 1) {
		amp = memchr(buf + i, '&', len - i);
		e = amp != NULL ? (size_t)(amp - buf) : len;
		if (e > i)
			count++;
	}
	if (count > lim->max_parts) {
		*errstr = "too many parts";
		return -1;
	}
	if (count > SIZE_MAX / sizeof(*parts)) {
		*errstr = "out of memory";
		return -1;
	}
	if (count > 0 &&
	    ((parts = arena_alloc(a, count * sizeof(*parts))) == NULL ||
	        (d = arena_alloc(a, len)) == NULL)) {
		*errstr = "out of memory";
		return -1;
	}
	count = 0;
	for (i = 0; i < len; i = e + 1) {
		amp = memchr(buf + i, '&', len - i);
		e = amp != NULL ? (size_t)(amp - buf) : len;
		if (e == i)
			continue;
		eq = memchr(buf + i, '=', e - i);
		nlen = eq != NULL ? (size_t)(eq - buf) - i : e - i;
		part = &parts[count++];
		memset(part, 0, sizeof(*part));
		if ((dn = form_urldecode(buf + i, nlen, d)) == -1)
			goto bad;
		part->name.p = d;
		part->name.len = (size_t)dn;
		d += dn;
		if (eq == NULL)
			dv = 0;
		else if ((dv = form_urldecode(eq + 1, e - i - nlen - 1, d)) ==
		         -1)
			goto bad;
		part->body.p = d;
		part->body.len = (size_t)dv;
		d += dv;
	}
	out->parts = parts;
	out->nparts = count;
	return (ssize_t)len;

bad:
	*errstr = "bad percent escape";
	return -1;
}

const struct form_part *
form_get(const struct form *f, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < f->nparts; i++)
		if (f->parts[i].name.len == n &&
		    (n == 0 || memcmp(f->parts[i].name.p, name, n) == 0))
			return &f->parts[i];
	return NULL;
}

size_t
form_count(const struct form *f, const char *name)
{
	size_t i, n = strlen(name), c = 0;

	for (i = 0; i < f->nparts; i++)
		if (f->parts[i].name.len == n &&
		    (n == 0 || memcmp(f->parts[i].name.p, name, n) == 0))
			c++;
	return c;
}
