/*
 * Fuzzes the form parsers.  The first byte picks a boundary: one of a few
 * fixed ones, or up to 16 bytes from the input mapped onto RFC 2046's
 * characters, or it makes the rest a Content-Type for form_boundary().
 * The rest goes through form_parse() and form_parse_urlencoded(), and
 * every result is checked: spans inside the input or the arena, limits
 * kept, and a success parsed again from exactly its consumed bytes gives
 * the same parts while one byte less is PARSE_PARTIAL.
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

static const struct form_limits fuzz_limits = { 16, 256 };

static bool
fuzz_in(const void *p, size_t n, const uint8_t *buf, size_t len)
{
	uintptr_t x = (uintptr_t)p, lo = (uintptr_t)buf;

	return x >= lo && x - lo <= len && n <= len - (x - lo);
}

static void
fuzz_span(struct span s, const uint8_t *buf, size_t len, const struct arena *a,
    bool body)
{
	if (s.p == NULL) {
		if (s.len != 0)
			abort();
		return;
	}
	if (fuzz_in(s.p, s.len, buf, len))
		return;
	if (body || !arena_owns(a, s.p, s.len))
		abort();
}

static void
fuzz_check(ssize_t r, const struct form *f, const char *err, const uint8_t *buf,
    size_t len, const struct arena *a, bool urlenc)
{
	size_t i;

	if (r == -1) {
		if (err == NULL || f->parts != NULL || f->nparts != 0)
			abort();
		return;
	}
	if (r == PARSE_PARTIAL) {
		if (urlenc || f->parts != NULL || f->nparts != 0)
			abort();
		return;
	}
	if (r < 0 || (size_t)r > len || (urlenc && (size_t)r != len))
		abort();
	if (f->nparts > fuzz_limits.max_parts ||
	    (f->nparts > 0 &&
	        !arena_owns(a, f->parts, f->nparts * sizeof(*f->parts))))
		abort();
	for (i = 0; i < f->nparts; i++) {
		const struct form_part *p = &f->parts[i];

		if (p->name.p == NULL || p->body.p == NULL)
			abort();
		fuzz_span(p->name, buf, len, a, false);
		fuzz_span(p->filename, buf, len, a, false);
		fuzz_span(p->content_type, buf, len, a, false);
		fuzz_span(p->body, buf, len, a, !urlenc);
		if (p->is_file != (p->filename.p != NULL) ||
		    (urlenc && (p->is_file || p->content_type.p != NULL)))
			abort();
		if (form_count(f, "a") > f->nparts)
			abort();
	}
}

/* Parses buf[0, n) into fresh memory, so reads past n are caught. */
static ssize_t
fuzz_reparse(const uint8_t *buf, size_t n, struct span b, struct arena *a,
    struct form *f, uint8_t **copy)
{
	const char *err = NULL;

	if ((*copy = malloc(n == 0 ? 1 : n)) == NULL)
		abort();
	memcpy(*copy, buf, n);
	return form_parse(*copy, n, b, &fuzz_limits, a, f, &err);
}

static void
fuzz_multipart(const uint8_t *buf, size_t len, struct span b)
{
	struct arena a, a2;
	struct form f, f2;
	const char *err = NULL;
	uint8_t *copy;
	ssize_t r, r2;
	size_t i;

	arena_init(&a, FUZZ_ARENA_BYTES);
	r = form_parse(buf, len, b, &fuzz_limits, &a, &f, &err);
	fuzz_check(r, &f, err, buf, len, &a, false);
	/* Each body ends where a delimiter begins. */
	for (i = 0; i < f.nparts; i++) {
		const uint8_t *e = f.parts[i].body.p + f.parts[i].body.len;

		if ((size_t)(buf + len - e) < 4 + b.len ||
		    memcmp(e, "\r\n--", 4) != 0 ||
		    memcmp(e + 4, b.p, b.len) != 0)
			abort();
	}
	if (r >= 0) {
		arena_init(&a2, FUZZ_ARENA_BYTES);
		r2 = fuzz_reparse(buf, (size_t)r, b, &a2, &f2, &copy);
		if (r2 != r || f2.nparts != f.nparts)
			abort();
		for (i = 0; i < f.nparts; i++)
			if (f2.parts[i].body.len != f.parts[i].body.len ||
			    f2.parts[i].name.len != f.parts[i].name.len ||
			    f2.parts[i].is_file != f.parts[i].is_file)
				abort();
		free(copy);
		arena_reset(&a2);
		if (r > 0) {
			r2 = fuzz_reparse(buf, (size_t)r - 1, b, &a2, &f2,
			    &copy);
			if (r2 != PARSE_PARTIAL)
				abort();
			free(copy);
			arena_reset(&a2);
		}
	}
	arena_reset(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct arena a;
	struct form f;
	struct span b;
	uint8_t sel, bb[16];
	const char *err = NULL;
	char *ct;
	size_t i, n;
	ssize_t r;

	if (len == 0)
		return 0;
	sel = data[0];
	data++;
	len--;
	if (sel < 0x80) {
		const char *s =
		    fuzz_boundaries[sel % ARRAY_SIZE(fuzz_boundaries)];

		b.p = (const uint8_t *)s;
		b.len = strlen(s);
	} else if (sel < 0xf0) {
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
	} else {
		/* A Content-Type header, then nothing else. */
		if ((ct = malloc(len + 1)) == NULL)
			return 0;
		memcpy(ct, data, len);
		ct[len] = '\0';
		if (form_boundary(ct, &b, &err) == 0) {
			if (err != NULL || b.len == 0 || b.len > 70 ||
			    !fuzz_in(b.p, b.len, (const uint8_t *)ct, len))
				abort();
			fuzz_multipart((const uint8_t *)"", 0, b);
		} else if (err == NULL)
			abort();
		free(ct);
		return 0;
	}
	fuzz_multipart(data, len, b);

	arena_init(&a, FUZZ_ARENA_BYTES);
	err = NULL;
	r = form_parse_urlencoded(data, len, &fuzz_limits, &a, &f, &err);
	fuzz_check(r, &f, err, data, len, &a, true);
	arena_reset(&a);
	return 0;
}
