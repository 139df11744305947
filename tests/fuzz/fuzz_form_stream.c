/*
 * Fuzzes struct form_stream against form_parse().  The first byte picks a
 * boundary as fuzz_form.c does (fixed ones, or up to 16 bytes of the input
 * mapped onto RFC 2046's characters, a few of them invalid), the second
 * the limits and where a callback stops the parse, the next four seed the
 * split: one piece, a byte at a time, or pieces of random sizes, empty ones
 * too.  Each piece sits in its own heap block, freed after its feed, so a
 * read past a piece or a kept pointer into one is caught.  The parts put
 * together from the callbacks must equal form_parse()'s on the whole
 * buffer, as must the result and the error string; a stopped parse must
 * make no calls after the stop.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "form.h"

#define FUZZ_ARENA_BYTES (4 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const fuzz_boundaries[] = {
	"B",
	"----WebKitFormBoundaryx8Jf3eP0QWzq1Ab9",
	"------------------------d74496d66958873e",
	"'()+_,-./:=? 9",
};

static const char fuzz_bchars[] = "0123456789abcdefghijklmnopqrstuvwxyz"
                                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ";

static const struct form_limits fuzz_limits[] = {
	{ 16, 256 },
	{ 2, 48 },
	{ 256, 4096 },
	{ 0, 0 },
	{ 1, 1 },
	{ 3, 80 },
	{ 16, 256 },
	{ 16, 256 },
};

/* A part as the callbacks deliver it; spans are offsets into store. */
struct fuzz_part {
	size_t name, name_len, file, file_len, type, type_len, body, body_len;
	bool is_file, file_null, type_null, ended;
};

struct fuzz_sink {
	uint8_t *store; /* copies of what the callbacks saw */
	size_t used, cap;
	struct fuzz_part *parts;
	size_t nparts;
	bool in_part;
	size_t calls;   /* callback calls so far */
	size_t stop_at; /* the call that returns -1; 0: none */
	bool stopped;
};

static size_t
fuzz_keep(struct fuzz_sink *s, const uint8_t *p, size_t n)
{
	size_t at = s->used;

	if (n > s->cap - s->used)
		abort(); /* more than the input holds */
	if (n > 0)
		memcpy(s->store + s->used, p, n);
	s->used += n;
	return at;
}

/* Counts a call; true if this one is to stop the parse. */
static bool
fuzz_call(struct fuzz_sink *s)
{
	if (s->stopped)
		abort(); /* called after -1 */
	if (++s->calls == s->stop_at) {
		s->stopped = true;
		return true;
	}
	return false;
}

static int
fuzz_begin(void *arg, const struct form_part *part)
{
	struct fuzz_sink *s = arg;
	struct fuzz_part *fp;

	if (s->in_part || part->body.p != NULL || part->body.len != 0 ||
	    part->name.p == NULL || part->is_file != (part->filename.p != NULL))
		abort();
	if ((fp = realloc(s->parts, (s->nparts + 1) * sizeof(*fp))) == NULL)
		abort();
	s->parts = fp;
	fp = &s->parts[s->nparts++];
	memset(fp, 0, sizeof(*fp));
	fp->name = fuzz_keep(s, part->name.p, part->name.len);
	fp->name_len = part->name.len;
	fp->file = fuzz_keep(s, part->filename.p, part->filename.len);
	fp->file_len = part->filename.len;
	fp->file_null = part->filename.p == NULL;
	fp->type = fuzz_keep(s, part->content_type.p, part->content_type.len);
	fp->type_len = part->content_type.len;
	fp->type_null = part->content_type.p == NULL;
	fp->is_file = part->is_file;
	fp->body = s->used;
	s->in_part = true;
	return fuzz_call(s) ? -1 : 0;
}

static int
fuzz_data(void *arg, const uint8_t *p, size_t n)
{
	struct fuzz_sink *s = arg;
	struct fuzz_part *fp;

	if (!s->in_part || n == 0 || p == NULL)
		abort();
	fp = &s->parts[s->nparts - 1];
	/* Bodies are stored last, so each one stays contiguous. */
	if (fp->body + fp->body_len != s->used)
		abort();
	fuzz_keep(s, p, n);
	fp->body_len += n;
	return fuzz_call(s) ? -1 : 0;
}

static int
fuzz_end(void *arg)
{
	struct fuzz_sink *s = arg;

	if (!s->in_part)
		abort();
	s->in_part = false;
	s->parts[s->nparts - 1].ended = true;
	return fuzz_call(s) ? -1 : 0;
}

static bool
fuzz_span_eq(const struct fuzz_sink *s, size_t at, size_t n, bool null,
    struct span sp)
{
	if (null != (sp.p == NULL) || n != sp.len)
		return false;
	return n == 0 || memcmp(s->store + at, sp.p, n) == 0;
}

static uint32_t
fuzz_rand(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* Feeds [p, p + n) in a heap block of its own. */
static ssize_t
fuzz_feed(struct form_stream *fs, const uint8_t *p, size_t n, const char **err)
{
	uint8_t *copy;
	ssize_t r;

	if ((copy = malloc(n == 0 ? 1 : n)) == NULL)
		abort();
	memcpy(copy, p, n);
	r = form_stream_feed(fs, copy, n, err);
	free(copy);
	return r;
}

static void
fuzz_stream(const uint8_t *buf, size_t len, struct span b,
    const struct form_limits *lim, size_t stop_at, uint32_t seed)
{
	struct fuzz_sink s;
	struct form_stream fs;
	const struct form_stream_cb cb = { fuzz_begin, fuzz_data, fuzz_end,
		&s };
	struct arena a, a2;
	struct form f;
	const char *err = NULL, *serr = NULL;
	uint32_t x = seed | 1;
	size_t i, n, mode = seed % 4;
	ssize_t r, sr = PARSE_PARTIAL, sr2;

	memset(&s, 0, sizeof(s));
	s.cap = 2 * len;
	s.stop_at = stop_at;
	if ((s.store = malloc(s.cap + 1)) == NULL)
		abort();
	arena_init(&a, FUZZ_ARENA_BYTES);
	arena_init(&a2, FUZZ_ARENA_BYTES);
	r = form_parse(buf, len, b, lim, &a, &f, &err);
	if (form_stream_init(&fs, b, lim, &a2, &cb, &serr) == -1) {
		if (r != -1 || serr == NULL || strcmp(err, serr) != 0)
			abort();
		goto out;
	}
	for (i = 0; i < len; i += n) {
		switch (mode) {
		case 0:
			n = len;
			break;
		case 1:
			n = 1;
			break;
		case 2:
			n = 1 + fuzz_rand(&x) % 16;
			break;
		default:
			n = fuzz_rand(&x) % (len - i + 1);
			break;
		}
		if (n > len - i)
			n = len - i;
		sr = fuzz_feed(&fs, buf + i, n, &serr);
		if (sr == -1 && serr == NULL)
			abort();
	}
	/* The end of the body: the result stays. */
	sr2 = fuzz_feed(&fs, buf, 0, &serr);
	if (sr2 != sr && !(len == 0 && sr == PARSE_PARTIAL))
		abort();
	sr = sr2;
	if (sr != PARSE_PARTIAL && len > 0 &&
	    fuzz_feed(&fs, buf, 1, &serr) != sr)
		abort();

	if (s.stopped) {
		if (sr != -1 || strcmp(serr, "stopped") != 0)
			abort();
		goto out;
	}
	if (sr != r || (r == -1 && strcmp(err, serr) != 0))
		abort();
	if (r < 0)
		goto out;
	if (s.nparts != f.nparts || s.in_part)
		abort();
	for (i = 0; i < f.nparts; i++) {
		const struct fuzz_part *fp = &s.parts[i];
		const struct form_part *p = &f.parts[i];

		if (!fp->ended || fp->is_file != p->is_file ||
		    !fuzz_span_eq(&s, fp->name, fp->name_len, false, p->name) ||
		    !fuzz_span_eq(&s, fp->file, fp->file_len, fp->file_null,
		        p->filename) ||
		    !fuzz_span_eq(&s, fp->type, fp->type_len, fp->type_null,
		        p->content_type) ||
		    !fuzz_span_eq(&s, fp->body, fp->body_len, false, p->body))
			abort();
	}

out:
	arena_reset(&a);
	arena_reset(&a2);
	free(s.parts);
	free(s.store);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const struct form_limits *lim;
	struct span b;
	uint8_t sel, bb[16];
	size_t i, n, stop_at;
	uint32_t seed;

	if (len < 6)
		return 0;
	sel = data[0];
	lim = &fuzz_limits[data[1] % ARRAY_SIZE(fuzz_limits)];
	/* Mostly no stop; else one of the first 31 calls. */
	stop_at = data[1] >> 3 < 16 ? 0 : (size_t)(data[1] >> 3) - 15;
	seed = (uint32_t)data[2] | (uint32_t)data[3] << 8 |
	       (uint32_t)data[4] << 16 | (uint32_t)data[5] << 24;
	data += 6;
	len -= 6;
	if (sel < 0x80) {
		const char *s =
		    fuzz_boundaries[sel % ARRAY_SIZE(fuzz_boundaries)];

		b.p = (const uint8_t *)s;
		b.len = strlen(s);
	} else {
		n = (size_t)(sel & 0x0f) + 1;
		if (n > len)
			return 0;
		for (i = 0; i < n; i++)
			bb[i] = (uint8_t)
			    fuzz_bchars[data[i] % (sizeof(fuzz_bchars) - 1)];
		b.p = bb;
		b.len = n;
		data += n;
		len -= n;
	}
	fuzz_stream(data, len, b, lim, stop_at, seed);
	return 0;
}
