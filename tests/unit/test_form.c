/*
 * Unit tests of the form parsers: bodies shaped as Chromium and curl send
 * them, boundaries from Content-Type, every truncation point of a valid
 * body, the limits, malformed parts, urlencoded bodies and the lookups.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"
#include "buf.h"
#include "form.h"

#define ARENA_CAP (4 << 20)

/* Chromium's boundary; the body's delimiters add two dashes. */
#define WK   "----WebKitFormBoundaryx8Jf3eP0QWzq1Ab9"
#define WKD  "--" WK
#define CURL "------------------------d74496d66958873e"

/*
 * File bytes with CR, LF, NUL, "--", a delimiter cut one byte short, one
 * after a bare LF and one not at a line start.
 */
#define IMG1                                                                   \
	"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\r\n--\r\n"                              \
	"\r\n------WebKitFormBoundaryx8Jf3eP0QWzq1Ab\n" WKD "\r\n"             \
	"\r\r\n\n--\xff\xfe x" WKD "--\r\n\0"
#define IMG2 "\0\r\n-\r\n--\r\n---\xd8\xff\xe0\r\n\r\n--" CURL "\r\n\x01\x02\r"

static const char chromium[] =
    WKD "\r\n"
        "Content-Disposition: form-data; name=\"tip\"\r\n"
        "\r\n"
        "Line one\r\nLine two with \"quotes\" and --dashes\r\n"
        "\r\n" WKD "\r\n"
        "Content-Disposition: form-data; name=\"motive\"\r\n"
        "\r\n"
        "fraud\r\n" WKD "\r\n"
        "Content-Disposition: form-data; name=\"motive\"\r\n"
        "\r\n"
        "corruption\r\n" WKD "\r\n"
        "Content-Disposition: form-data; name=\"contact\"\r\n"
        "\r\n"
        "\r\n" WKD "\r\n"
        "Content-Disposition: form-data; name=\"files\"; "
        "filename=\"scan 01.png\"\r\n"
        "Content-Type: image/png\r\n"
        "\r\n" IMG1 "\r\n" WKD "\r\n"
        "Content-Disposition: form-data; name=\"files\"; "
        "filename=\"b\xc3\xa4r.bin\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n" IMG2 "\r\n" WKD "\r\n"
        "Content-Disposition: form-data; name=\"more\"; filename=\"\"\r\n"
        "Content-Type: application/octet-stream\r\n"
        "\r\n"
        "\r\n" WKD "--\r\n";

static const char curl[] = "--" CURL "\r\n"
                           "Content-Disposition: form-data; name=\"tip\"\r\n"
                           "\r\n"
                           "hello\r\n"
                           "--" CURL "\r\n"
                           "Content-Disposition: form-data; name=\"file\"; "
                           "filename=\"a.png\"\r\n"
                           "Content-Type: image/png\r\n"
                           "\r\n" IMG1 "\r\n"
                           "--" CURL "--\r\n";

static const struct form_limits lim = { 64, 1024 };

static void
assert_span(struct span s, const void *want, size_t n)
{
	assert_int_equal(s.len, n);
	assert_non_null(s.p);
	if (n > 0)
		assert_memory_equal(s.p, want, n);
}

#define SPAN_IS(s, lit) assert_span((s), (lit), sizeof(lit) - 1)

static ssize_t
parse(const void *body, size_t len, const char *boundary,
    const struct form_limits *l, struct arena *a, struct form *f,
    const char **errstr)
{
	struct span b = { (const uint8_t *)boundary, strlen(boundary) };

	*errstr = NULL;
	return form_parse(body, len, b, l, a, f, errstr);
}

/*
 * Every prefix shorter than the consumed count is PARSE_PARTIAL, every
 * longer one gives the same result; each prefix sits in its own heap
 * block so sanitizers catch a read past it.
 */
static void
check_prefixes(const char *body, size_t len, const char *boundary,
    ssize_t consumed, size_t nparts)
{
	struct arena a;
	struct form f;
	const char *err;
	uint8_t *copy;
	ssize_t r;
	size_t k;

	arena_init(&a, ARENA_CAP);
	for (k = 0; k <= len; k++) {
		copy = malloc(k == 0 ? 1 : k);
		assert_non_null(copy);
		memcpy(copy, body, k);
		r = parse(copy, k, boundary, &lim, &a, &f, &err);
		if ((ssize_t)k < consumed) {
			if (r != PARSE_PARTIAL)
				fail_msg("prefix %zu: got %zd (%s)", k, r,
				    err != NULL ? err : "");
			assert_null(f.parts);
			assert_int_equal(f.nparts, 0);
		} else {
			assert_int_equal(r, consumed);
			assert_int_equal(f.nparts, nparts);
		}
		free(copy);
		arena_reset(&a);
	}
}

static void
test_chromium(void **state)
{
	struct arena a;
	struct form f;
	const char *err;
	const struct form_part *p;
	ssize_t r;

	(void)state;
	arena_init(&a, ARENA_CAP);
	r = parse(chromium, sizeof(chromium) - 1, WK, &lim, &a, &f, &err);
	assert_int_equal(r, sizeof(chromium) - 1 - 2);
	assert_int_equal(f.nparts, 7);

	SPAN_IS(f.parts[0].name, "tip");
	SPAN_IS(f.parts[0].body,
	    "Line one\r\nLine two with \"quotes\" and --dashes\r\n");
	assert_false(f.parts[0].is_file);
	assert_null(f.parts[0].filename.p);
	assert_int_equal(f.parts[0].filename.len, 0);
	assert_null(f.parts[0].content_type.p);
	assert_int_equal(f.parts[0].content_type.len, 0);

	SPAN_IS(f.parts[1].name, "motive");
	SPAN_IS(f.parts[1].body, "fraud");
	SPAN_IS(f.parts[2].name, "motive");
	SPAN_IS(f.parts[2].body, "corruption");
	SPAN_IS(f.parts[3].name, "contact");
	assert_int_equal(f.parts[3].body.len, 0);

	p = &f.parts[4];
	SPAN_IS(p->name, "files");
	assert_true(p->is_file);
	SPAN_IS(p->filename, "scan 01.png");
	SPAN_IS(p->content_type, "image/png");
	SPAN_IS(p->body, IMG1);

	p = &f.parts[5];
	assert_true(p->is_file);
	SPAN_IS(p->filename, "b\xc3\xa4r.bin");
	SPAN_IS(p->content_type, "application/octet-stream");
	SPAN_IS(p->body, IMG2);

	/* No file chosen. */
	p = &f.parts[6];
	SPAN_IS(p->name, "more");
	assert_true(p->is_file);
	assert_non_null(p->filename.p);
	assert_int_equal(p->filename.len, 0);
	SPAN_IS(p->content_type, "application/octet-stream");
	assert_int_equal(p->body.len, 0);

	/* Bodies and plain names point into the input. */
	assert_ptr_equal(f.parts[4].body.p,
	    (const uint8_t *)memmem(chromium, sizeof(chromium) - 1, IMG1,
	        sizeof(IMG1) - 1));
	assert_false(arena_owns(&a, f.parts[0].name.p, 1));
	assert_true(arena_owns(&a, f.parts, 7 * sizeof(*f.parts)));

	assert_int_equal(form_count(&f, "motive"), 2);
	assert_int_equal(form_count(&f, "files"), 2);
	assert_int_equal(form_count(&f, "nope"), 0);
	assert_int_equal(form_count(&f, "moti"), 0);
	assert_ptr_equal(form_get(&f, "motive"), &f.parts[1]);
	assert_ptr_equal(form_get(&f, "more"), &f.parts[6]);
	assert_null(form_get(&f, "Motive"));
	assert_null(form_get(&f, ""));
	arena_reset(&a);
}

static void
test_curl(void **state)
{
	struct arena a;
	struct form f;
	const char *err;
	ssize_t r;

	(void)state;
	arena_init(&a, ARENA_CAP);
	r = parse(curl, sizeof(curl) - 1, CURL, &lim, &a, &f, &err);
	assert_int_equal(r, sizeof(curl) - 1 - 2);
	assert_int_equal(f.nparts, 2);
	SPAN_IS(f.parts[0].body, "hello");
	SPAN_IS(f.parts[1].filename, "a.png");
	SPAN_IS(f.parts[1].body, IMG1);
	arena_reset(&a);
}

static void
test_prefixes(void **state)
{
	static const char small[] = "pre\r\n--b\r\n"
	                            "content-disposition: form-data; name=x\n"
	                            "\n"
	                            "1\r\n--b  \t\r\n"
	                            "Content-Disposition: form-data; name=y\r\n"
	                            "\r\n"
	                            "\r\n--b-\r\n--b--";

	(void)state;
	check_prefixes(chromium, sizeof(chromium) - 1, WK,
	    (ssize_t)sizeof(chromium) - 1 - 2, 7);
	check_prefixes(curl, sizeof(curl) - 1, CURL,
	    (ssize_t)sizeof(curl) - 1 - 2, 2);
	check_prefixes(small, sizeof(small) - 1, "b",
	    (ssize_t)sizeof(small) - 1, 2);
}

static void
test_boundary(void **state)
{
	static const struct {
		const char *ct, *want;
	} good[] = {
		{ "multipart/form-data; boundary=" WK, WK },
		{ "multipart/form-data; boundary=" CURL, CURL },
		{ "Multipart/Form-Data;charset=utf-8;BOUNDARY=\"a'()+_,-./:=? z\"",
		    "a'()+_,-./:=? z" },
		{ "  multipart/form-data ; boundary = \"x\" ; a=\"q\\\"\"  ",
		    "x" },
		{ "multipart/form-data; boundary=\"abc\"; charset=\"utf-8\"",
		    "abc" },
		{ "multipart/form-data; boundary="
		  "1234567890123456789012345678901234567890123456789012345678901234567890",
		    "1234567890123456789012345678901234567890123456789012345678901234567890" },
	};
	static const struct {
		const char *ct, *err;
	} bad[] = {
		{ "text/plain", "not multipart/form-data" },
		{ "multipart/mixed; boundary=x", "not multipart/form-data" },
		{ "multipart/form-data-x; boundary=x",
		    "not multipart/form-data" },
		{ "", "not multipart/form-data" },
		{ "multipart/form-data", "missing boundary" },
		{ "multipart/form-data; charset=utf-8", "missing boundary" },
		{ "multipart/form-data; boundary=\"\"", "bad boundary" },
		{ "multipart/form-data; boundary=\"a b \"", "bad boundary" },
		{ "multipart/form-data; boundary=\"a;b\"", "bad boundary" },
		{ "multipart/form-data; boundary=\"a\\b\"", "bad boundary" },
		{ "multipart/form-data; boundary=a\x01", "bad boundary" },
		{ "multipart/form-data; boundary=a*b", "bad boundary" },
		{ "multipart/form-data; boundary=x; boundary=x",
		    "bad boundary" },
		{ "multipart/form-data; boundary="
		  "12345678901234567890123456789012345678901234567890123456789012345678901",
		    "bad boundary" },
		{ "multipart/form-data; boundary=", "malformed Content-Type" },
		{ "multipart/form-data; boundary=\"x",
		    "malformed Content-Type" },
		{ "multipart/form-data boundary=x", "malformed Content-Type" },
		{ "multipart/form-data; boundary", "malformed Content-Type" },
		{ "multipart/form-data; =x", "malformed Content-Type" },
	};
	struct span b;
	const char *err;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		err = NULL;
		if (form_boundary(good[i].ct, &b, &err) != 0)
			fail_msg("good %zu: %s", i, err);
		assert_int_equal(b.len, strlen(good[i].want));
		assert_memory_equal(b.p, good[i].want, b.len);
		assert_true(b.p >= (const uint8_t *)good[i].ct &&
		            b.p + b.len <= (const uint8_t *)good[i].ct +
		                               strlen(good[i].ct));
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err = NULL;
		if (form_boundary(bad[i].ct, &b, &err) != -1)
			fail_msg("bad %zu: accepted", i);
		if (err == NULL || strcmp(err, bad[i].err) != 0)
			fail_msg("bad %zu: got \"%s\", want \"%s\"", i,
			    err != NULL ? err : "(null)", bad[i].err);
	}
	assert_int_equal(form_boundary(NULL, &b, &err), -1);
}

/* A quoted boundary with special characters, from header to parts. */
static void
test_special_boundary(void **state)
{
	static const char ct[] =
	    "multipart/form-data; boundary=\"'()+_,-./:=? 9\"";
	static const char body[] = "--'()+_,-./:=? 9\r\n"
	                           "Content-Disposition: form-data; name=a\r\n"
	                           "\r\n"
	                           "v\r\n--'()+_,-./:=? 8\r\n"
	                           "\r\n--'()+_,-./:=? 9--";
	struct arena a;
	struct form f;
	struct span b;
	const char *err;

	(void)state;
	arena_init(&a, ARENA_CAP);
	assert_int_equal(form_boundary(ct, &b, &err), 0);
	assert_int_equal(form_parse((const uint8_t *)body, sizeof(body) - 1, b,
	                     &lim, &a, &f, &err),
	    sizeof(body) - 1);
	assert_int_equal(f.nparts, 1);
	SPAN_IS(f.parts[0].body, "v\r\n--'()+_,-./:=? 8\r\n");
	arena_reset(&a);
}

struct body_case {
	const char *body;
	ssize_t want; /* consumed; -1 for "to the end" */
	size_t nparts;
};

static void
test_shapes(void **state)
{
	static const struct body_case cases[] = {
		/* Close delimiter without CRLF. */
		{ "--B\r\nContent-Disposition: form-data; name=a\r\n\r\n1"
		  "\r\n--B--",
		    -1, 1 },
		/* Preamble (with a fake delimiter) and epilogue. */
		{ "preamble --B\r\n--Bx\r\n\r\n--B\r\n"
		  "Content-Disposition: form-data; name=a\r\n\r\n1\r\n--B--",
		    -1, 1 },
		{ "--B\r\nContent-Disposition: form-data; name=a\r\n\r\n1"
		  "\r\n--B--\r\nepilogue\r\n--B\r\n",
		    55, 1 },
		/* No parts at all. */
		{ "--B--", -1, 0 },
		{ "--B--\r\n", 5, 0 },
		/* Padding after delimiters, bare LF in headers. */
		{ "--B \t\nContent-Disposition: form-data; name=a\n\n1\r\n"
		  "--B\t\r\nContent-Disposition: form-data; name=b\r\n\r\n"
		  "\r\n--B--",
		    -1, 2 },
		/* Near-boundaries are data. */
		{ "--B\r\nContent-Disposition: form-data; name=a\r\n\r\n"
		  "\r\n--BB\r\n--B-x\r\n--B x\r\n--B \rx\r\n--\r\n--B--",
		    -1, 1 },
		/* Other headers ignored; names are case-insensitive. */
		{ "--B\r\nX-Thing: y\r\nCONTENT-TYPE:text/plain\r\n"
		  "content-disposition:FORM-DATA;NAME=\"a\";FileName=f\r\n"
		  "Content-Transfer-Encoding: binary\r\n\r\n\r\n--B--",
		    -1, 1 },
	};
	struct arena a;
	struct form f;
	const char *err;
	ssize_t r, want;
	size_t i, len;

	(void)state;
	arena_init(&a, ARENA_CAP);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		len = strlen(cases[i].body);
		want = cases[i].want == -1 ? (ssize_t)len : cases[i].want;
		r = parse(cases[i].body, len, "B", &lim, &a, &f, &err);
		if (r != want)
			fail_msg("case %zu: got %zd (%s)", i, r,
			    r == -1 ? err : "");
		assert_int_equal(f.nparts, cases[i].nparts);
		check_prefixes(cases[i].body, len, "B", want, cases[i].nparts);
	}
	r = parse(cases[6].body, strlen(cases[6].body), "B", &lim, &a, &f,
	    &err);
	SPAN_IS(f.parts[0].body, "\r\n--BB\r\n--B-x\r\n--B x\r\n--B \rx\r\n--");
	r = parse(cases[7].body, strlen(cases[7].body), "B", &lim, &a, &f,
	    &err);
	SPAN_IS(f.parts[0].name, "a");
	SPAN_IS(f.parts[0].filename, "f");
	SPAN_IS(f.parts[0].content_type, "text/plain");
	arena_reset(&a);
}

static void
test_params(void **state)
{
	static const char body[] =
	    "--B\r\nContent-Disposition: form-data; name=\"a\\\"b\\\\c\"; "
	    "filename=\"C:\\\\x\\\\\xc3\xa4.txt\"\r\n\r\n\r\n"
	    "--B\r\nContent-Disposition: form-data ; name = \"sp ace\" ;"
	    " filename*=UTF-8''%C3%A4.txt;\r\n\r\n\r\n"
	    "--B\r\nContent-Disposition: form-data; name=\"\"; "
	    "filename*=x; filename=\"a;b=c\"\r\n\r\n\r\n"
	    "--B\r\nContent-Disposition: form-data; name=\"n\"; "
	    "x=\"\\\"\"\r\n\r\nv\x00w\r\n--B--";
	struct arena a;
	struct form f;
	const char *err;

	(void)state;
	arena_init(&a, ARENA_CAP);
	assert_int_equal(parse(body, sizeof(body) - 1, "B", &lim, &a, &f, &err),
	    sizeof(body) - 1);
	assert_int_equal(f.nparts, 4);
	SPAN_IS(f.parts[0].name, "a\"b\\c");
	assert_true(arena_owns(&a, f.parts[0].name.p, f.parts[0].name.len));
	SPAN_IS(f.parts[0].filename, "C:\\x\\\xc3\xa4.txt");
	SPAN_IS(f.parts[1].name, "sp ace");
	assert_false(f.parts[1].is_file);
	assert_int_equal(f.parts[2].name.len, 0);
	SPAN_IS(f.parts[2].filename, "a;b=c");
	SPAN_IS(f.parts[3].body, "v\0w");
	assert_ptr_equal(form_get(&f, ""), &f.parts[2]);
	arena_reset(&a);
}

struct bad_case {
	const char *body;
	const char *err;
};

static void
test_malformed(void **state)
{
#define CD "Content-Disposition: "
	static const struct bad_case cases[] = {
		{ "--B\r\nContent-Type: text/plain\r\n\r\nx\r\n--B--",
		    "missing Content-Disposition" },
		{ "--B\r\n\r\nx\r\n--B--", "missing Content-Disposition" },
		{ "--B\r\n" CD "attachment; name=a\r\n\r\nx\r\n--B--",
		    "not form-data" },
		{ "--B\r\n" CD "\r\n\r\nx\r\n--B--", "not form-data" },
		{ "--B\r\n" CD "form-data-x; name=a\r\n\r\n\r\n--B--",
		    "not form-data" },
		{ "--B\r\n" CD "form-data\r\n\r\nx\r\n--B--",
		    "missing field name" },
		{ "--B\r\n" CD "form-data; filename=a\r\n\r\n\r\n--B--",
		    "missing field name" },
		{ "--B\r\n" CD "form-data; name=\"a\r\n\r\nx\r\n--B--",
		    "malformed part header" },
		{ "--B\r\n" CD "form-data; name=\"a\\\"\r\n\r\n\r\n--B--",
		    "malformed part header" },
		{ "--B\r\n" CD "form-data; name=\r\n\r\n\r\n--B--",
		    "malformed part header" },
		{ "--B\r\n" CD "form-data; name\r\n\r\n\r\n--B--",
		    "malformed part header" },
		{ "--B\r\n" CD "form-data; =a\r\n\r\n\r\n--B--",
		    "malformed part header" },
		{ "--B\r\n" CD "form-data name=a\r\n\r\n\r\n--B--",
		    "malformed part header" },
		{ "--B\r\n" CD "form-data; name=a b\r\n\r\n\r\n--B--",
		    "malformed part header" },
		{ "--B\r\n" CD "form-data; name=a; name=b\r\n\r\n\r\n--B--",
		    "malformed part header" },
		{ "--B\r\n" CD "form-data; name=a; filename=b; filename=c\r\n"
		  "\r\n\r\n--B--",
		    "malformed part header" },
		{ "--B\r\nContent-Disposition form-data; name=a\r\n\r\n\r\n"
		  "--B--",
		    "malformed part header" },
		{ "--B\r\n : x\r\n" CD "form-data; name=a\r\n\r\n\r\n--B--",
		    "malformed part header" },
		{ "--B\r\n" CD "form-data;\r\n name=a\r\n\r\n\r\n--B--",
		    "missing field name" },
		{ "--B\r\nX: 1\r\n folded\r\n" CD "form-data; name=a\r\n\r\n"
		  "\r\n--B--",
		    "malformed part header" },
		{ "--B\r\nX: a\rb\r\n" CD "form-data; name=a\r\n\r\n\r\n--B--",
		    "malformed part header" },
		{ "--B\r\nX: a\x7f\r\n" CD "form-data; name=a\r\n\r\n\r\n--B--",
		    "malformed part header" },
		{ "--B\r\n" CD "form-data; name=a\r\n" CD
		  "form-data; name=a\r\n"
		  "\r\n\r\n--B--",
		    "duplicate part header" },
		{ "--B\r\n" CD "form-data; name=a\r\nContent-Type: a\r\n"
		  "content-type: b\r\n\r\n\r\n--B--",
		    "duplicate part header" },
		/* A malformed second part after a good one. */
		{ "--B\r\n" CD "form-data; name=a\r\n\r\n\r\n--B\r\njunk\r\n"
		  "\r\n\r\n--B--",
		    "malformed part header" },
	};
	static const char nul[] =
	    "--B\r\nX: a\0b\r\n" CD "form-data; name=a\r\n\r\n\r\n--B--";
	struct arena a;
	struct form f;
	const char *err;
	ssize_t r;
	size_t i;

	(void)state;
	arena_init(&a, ARENA_CAP);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		r = parse(cases[i].body, strlen(cases[i].body), "B", &lim, &a,
		    &f, &err);
		if (r != -1)
			fail_msg("case %zu: got %zd", i, r);
		if (err == NULL || strcmp(err, cases[i].err) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i,
			    err != NULL ? err : "(null)", cases[i].err);
		assert_null(f.parts);
		assert_int_equal(f.nparts, 0);
	}
	assert_int_equal(parse(nul, sizeof(nul) - 1, "B", &lim, &a, &f, &err),
	    -1);
	assert_string_equal(err, "malformed part header");

	/* Boundaries handed in are checked too. */
	assert_int_equal(parse("--B--", 5, "", &lim, &a, &f, &err), -1);
	assert_string_equal(err, "bad boundary");
	assert_int_equal(parse("--B--", 5, "B\r", &lim, &a, &f, &err), -1);
	assert_string_equal(err, "bad boundary");
	assert_int_equal(parse("--B--", 5, "B ", &lim, &a, &f, &err), -1);
	assert_string_equal(err, "bad boundary");
	assert_int_equal(
	    parse("--B--", 5,
	        "12345678901234567890123456789012345678901234567890"
	        "123456789012345678901",
	        &lim, &a, &f, &err),
	    -1);
	assert_string_equal(err, "bad boundary");
	arena_reset(&a);
#undef CD
}

static void
test_limits(void **state)
{
	static const char three[] =
	    "--B\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
	    "--B\r\nContent-Disposition: form-data; name=b\r\n\r\n2\r\n"
	    "--B\r\nContent-Disposition: form-data; name=c\r\n\r\n3\r\n"
	    "--B--\r\n";
	/* Its header block is 44 bytes, blank line included. */
	static const char one[] = "--B\r\nContent-Disposition: form-data; "
	                          "name=abc\r\n\r\nx\r\n--B--";
	struct form_limits l = { 3, 1024 };
	struct arena a;
	struct form f;
	const char *err;
	char *big;
	size_t n;

	(void)state;
	arena_init(&a, ARENA_CAP);
	assert_int_equal(parse(three, sizeof(three) - 1, "B", &l, &a, &f, &err),
	    sizeof(three) - 3);
	assert_int_equal(f.nparts, 3);
	l.max_parts = 2;
	assert_int_equal(parse(three, sizeof(three) - 1, "B", &l, &a, &f, &err),
	    -1);
	assert_string_equal(err, "too many parts");
	/* Known as soon as the third part starts. */
	assert_int_equal(parse(three, 110, "B", &l, &a, &f, &err), -1);
	l.max_parts = 0;
	assert_int_equal(parse("--B--", 5, "B", &l, &a, &f, &err), 5);
	assert_int_equal(parse(three, sizeof(three) - 1, "B", &l, &a, &f, &err),
	    -1);

	l.max_parts = 3;
	l.max_part_header_bytes = 44;
	assert_int_equal(parse(one, sizeof(one) - 1, "B", &l, &a, &f, &err),
	    sizeof(one) - 1);
	l.max_part_header_bytes = 43;
	assert_int_equal(parse(one, sizeof(one) - 1, "B", &l, &a, &f, &err),
	    -1);
	assert_string_equal(err, "part header too long");
	/* A header that never ends fails once it passes the limit. */
	n = 5 + 43;
	big = malloc(n);
	assert_non_null(big);
	memcpy(big, "--B\r\n", 5);
	memset(big + 5, 'x', n - 5);
	assert_int_equal(parse(big, n - 1, "B", &l, &a, &f, &err),
	    PARSE_PARTIAL);
	assert_int_equal(parse(big, n, "B", &l, &a, &f, &err), -1);
	assert_string_equal(err, "part header too long");
	free(big);

	/* NULL limits are the defaults. */
	assert_int_equal(
	    parse(three, sizeof(three) - 1, "B", NULL, &a, &f, &err),
	    sizeof(three) - 3);
	arena_reset(&a);

	/* An arena too small for the parts array. */
	arena_init(&a, 64);
	assert_int_equal(
	    parse(three, sizeof(three) - 1, "B", &lim, &a, &f, &err), -1);
	assert_string_equal(err, "out of memory");
	arena_reset(&a);
}

/* Many parts and adversarial near-boundaries stay linear. */
static void
test_scale(void **state)
{
	static const char part[] =
	    "--" WK
	    "\r\nContent-Disposition: form-data; name=\"m\"\r\n\r\nx\r\n";
	struct form_limits l = { 10000, 1024 };
	struct arena a;
	struct form f;
	struct buf b;
	const char *err;
	size_t i;

	(void)state;
	arena_init(&a, 8 << 20);
	buf_init(&b, 0);
	for (i = 0; i < 10000; i++)
		buf_append(&b, part, sizeof(part) - 1);
	buf_puts(&b, "--" WK "--");
	assert_false(b.err);
	assert_int_equal(parse(b.p, b.len, WK, &l, &a, &f, &err), b.len);
	assert_int_equal(f.nparts, 10000);
	assert_int_equal(form_count(&f, "m"), 10000);
	buf_reset(&b);
	arena_reset(&a);

	/* 8 MB of near-boundaries in one part, then the real end. */
	buf_init(&b, 0);
	buf_puts(&b, "--" WK "\r\nContent-Disposition: form-data; name=a\r\n"
	             "\r\n");
	while (b.len < (8 << 20))
		buf_puts(&b, "\r\n--" WK "X\r\n--" WK " x\r\n--" WK "-");
	buf_puts(&b, "\r\n--" WK "--");
	assert_false(b.err);
	assert_int_equal(parse(b.p, b.len, WK, &l, &a, &f, &err), b.len);
	assert_int_equal(f.nparts, 1);
	assert_int_equal(parse(b.p, b.len - 1, WK, &l, &a, &f, &err),
	    PARSE_PARTIAL);
	buf_reset(&b);
	arena_reset(&a);
}

/* Delimiters found wherever they fall against the search windows. */
static void
test_window_edges(void **state)
{
	static const char *const bounds[] = { "B", WK };
	static const char fill[] = "\r\n--x-\r\r\n-";
	struct arena a;
	struct form f;
	struct buf b;
	const char *err;
	size_t i, k, n, start;

	(void)state;
	arena_init(&a, ARENA_CAP);
	for (k = 0; k < ARRAY_SIZE(bounds); k++) {
		for (n = 0; n < 1200; n++) {
			buf_init(&b, 0);
			buf_printf(&b,
			    "--%s\r\nContent-Disposition: form-data; "
			    "name=a\r\n\r\n",
			    bounds[k]);
			start = b.len;
			for (i = 0; i < n; i++)
				buf_append(&b, &fill[i % (sizeof(fill) - 1)],
				    1);
			buf_printf(&b, "\r\n--%s--", bounds[k]);
			assert_false(b.err);
			assert_int_equal(
			    parse(b.p, b.len, bounds[k], &lim, &a, &f, &err),
			    b.len);
			assert_int_equal(f.nparts, 1);
			assert_ptr_equal(f.parts[0].body.p, b.p + start);
			assert_int_equal(f.parts[0].body.len, n);
			buf_reset(&b);
			arena_reset(&a);
		}
	}
}

static void
test_urlencoded(void **state)
{
	static const char nul[] = "n%00=%00v&%41%62=%2b%2B+";
	struct form_limits l = { 3, 0 };
	struct arena a;
	struct form f;
	const char *err;
	const char *s;

	(void)state;
	arena_init(&a, ARENA_CAP);
	s = "a=1&b=x+y%C3%A4&c=";
	assert_int_equal(form_parse_urlencoded((const uint8_t *)s, strlen(s),
	                     &lim, &a, &f, &err),
	    strlen(s));
	assert_int_equal(f.nparts, 3);
	SPAN_IS(f.parts[0].name, "a");
	SPAN_IS(f.parts[0].body, "1");
	SPAN_IS(f.parts[1].name, "b");
	SPAN_IS(f.parts[1].body, "x y\xc3\xa4");
	SPAN_IS(f.parts[2].name, "c");
	assert_int_equal(f.parts[2].body.len, 0);
	assert_false(f.parts[1].is_file);
	assert_null(f.parts[1].filename.p);
	assert_null(f.parts[1].content_type.p);
	assert_true(arena_owns(&a, f.parts[1].body.p, f.parts[1].body.len));
	assert_ptr_equal(form_get(&f, "c"), &f.parts[2]);

	s = "&&a&=v&motive=x&motive=y&";
	assert_int_equal(form_parse_urlencoded((const uint8_t *)s, strlen(s),
	                     &lim, &a, &f, &err),
	    strlen(s));
	assert_int_equal(f.nparts, 4);
	SPAN_IS(f.parts[0].name, "a");
	assert_int_equal(f.parts[0].body.len, 0);
	assert_int_equal(f.parts[1].name.len, 0);
	SPAN_IS(f.parts[1].body, "v");
	assert_int_equal(form_count(&f, "motive"), 2);
	SPAN_IS(form_get(&f, "motive")->body, "x");

	assert_int_equal(form_parse_urlencoded((const uint8_t *)nul,
	                     sizeof(nul) - 1, &lim, &a, &f, &err),
	    sizeof(nul) - 1);
	SPAN_IS(f.parts[0].name, "n\0");
	SPAN_IS(f.parts[0].body, "\0v");
	SPAN_IS(f.parts[1].name, "Ab");
	SPAN_IS(f.parts[1].body, "++ ");

	assert_int_equal(
	    form_parse_urlencoded((const uint8_t *)"", 0, &lim, &a, &f, &err),
	    0);
	assert_int_equal(f.nparts, 0);

	s = "a=1&&b=2&c=3";
	assert_int_equal(form_parse_urlencoded((const uint8_t *)s, strlen(s),
	                     &l, &a, &f, &err),
	    strlen(s));
	s = "a=1&b=2&c=3&d";
	assert_int_equal(form_parse_urlencoded((const uint8_t *)s, strlen(s),
	                     &l, &a, &f, &err),
	    -1);
	assert_string_equal(err, "too many parts");
	arena_reset(&a);
}

static void
test_urlencoded_bad(void **state)
{
	static const char *const bad[] = { "%", "a=%", "a=%4", "a=%4g", "a=%g4",
		"%zz=1", "a=1&b=%%41", "a=%\xc3\xa4" };
	struct arena a;
	struct form f;
	const char *err;
	size_t i;

	(void)state;
	arena_init(&a, ARENA_CAP);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err = NULL;
		if (form_parse_urlencoded((const uint8_t *)bad[i],
		        strlen(bad[i]), &lim, &a, &f, &err) != -1)
			fail_msg("case %zu accepted", i);
		assert_string_equal(err, "bad percent escape");
		assert_null(f.parts);
		assert_int_equal(f.nparts, 0);
	}
	arena_reset(&a);
	arena_init(&a, 16);
	assert_int_equal(form_parse_urlencoded((const uint8_t *)"a=1&b=2", 7,
	                     &lim, &a, &f, &err),
	    -1);
	assert_string_equal(err, "out of memory");
	arena_reset(&a);
}

/* What a struct form_stream's callbacks delivered. */
#define SINK_PARTS 64

struct sink_part {
	struct buf name, filename, type, body;
	bool is_file, has_filename, has_type, ended;
};

struct sink {
	struct sink_part parts[SINK_PARTS];
	size_t nparts;
	bool in_part;
	size_t calls;    /* callback calls so far */
	size_t max_body; /* a body longer stops the parse; 0: no limit */
	bool stopped;
};

static void
sink_init(struct sink *s)
{
	memset(s, 0, sizeof(*s));
}

static void
sink_reset(struct sink *s)
{
	size_t i;

	for (i = 0; i < s->nparts; i++) {
		buf_reset(&s->parts[i].name);
		buf_reset(&s->parts[i].filename);
		buf_reset(&s->parts[i].type);
		buf_reset(&s->parts[i].body);
	}
	sink_init(s);
}

static int
sink_begin(void *arg, const struct form_part *part)
{
	struct sink *s = arg;
	struct sink_part *sp;

	assert_false(s->stopped);
	assert_false(s->in_part);
	assert_true(s->nparts < SINK_PARTS);
	assert_null(part->body.p);
	assert_int_equal(part->body.len, 0);
	assert_non_null(part->name.p);
	sp = &s->parts[s->nparts++];
	buf_init(&sp->name, 0);
	buf_init(&sp->filename, 0);
	buf_init(&sp->type, 0);
	buf_init(&sp->body, 0);
	buf_append(&sp->name, part->name.p, part->name.len);
	buf_append(&sp->filename, part->filename.p, part->filename.len);
	buf_append(&sp->type, part->content_type.p, part->content_type.len);
	sp->is_file = part->is_file;
	sp->has_filename = part->filename.p != NULL;
	sp->has_type = part->content_type.p != NULL;
	s->in_part = true;
	s->calls++;
	return 0;
}

static int
sink_data(void *arg, const uint8_t *p, size_t n)
{
	struct sink *s = arg;
	struct sink_part *sp = &s->parts[s->nparts - 1];

	assert_false(s->stopped);
	assert_true(s->in_part);
	assert_true(n > 0);
	buf_append(&sp->body, p, n);
	s->calls++;
	if (s->max_body > 0 && sp->body.len > s->max_body) {
		s->stopped = true;
		return -1;
	}
	return 0;
}

static int
sink_end(void *arg)
{
	struct sink *s = arg;

	assert_false(s->stopped);
	assert_true(s->in_part);
	s->in_part = false;
	s->parts[s->nparts - 1].ended = true;
	s->calls++;
	return 0;
}

static const struct form_stream_cb sink_cb = { sink_begin, sink_data, sink_end,
	NULL };

/*
 * Feeds body[0, len) to fs cut at cuts[0] < cuts[1] < ..., each piece in
 * its own heap block, freed after its feed; then the empty feed that ends
 * the body.  Returns the last result.
 */
static ssize_t
stream_feed_cuts(struct form_stream *fs, const void *body, size_t len,
    const size_t *cuts, size_t ncuts, const char **err)
{
	size_t i, at = 0, to;
	uint8_t *piece;
	ssize_t r = PARSE_PARTIAL;

	for (i = 0; i <= ncuts; i++) {
		to = i < ncuts ? cuts[i] : len;
		piece = malloc(to > at ? to - at : 1);
		assert_non_null(piece);
		memcpy(piece, (const uint8_t *)body + at, to - at);
		r = form_stream_feed(fs, piece, to - at, err);
		free(piece);
		at = to;
	}
	assert_int_equal(form_stream_feed(fs, NULL, 0, err), r);
	return r;
}

/* Runs the stream over body with these cuts into s. */
static ssize_t
stream_run(const void *body, size_t len, const char *boundary,
    const struct form_limits *l, const size_t *cuts, size_t ncuts,
    struct sink *s, const char **err)
{
	struct span b = { (const uint8_t *)boundary, strlen(boundary) };
	struct form_stream_cb cb = sink_cb;
	struct form_stream fs;
	struct arena a;
	ssize_t r;

	cb.arg = s;
	*err = NULL;
	arena_init(&a, ARENA_CAP);
	if (form_stream_init(&fs, b, l, &a, &cb, err) == -1)
		r = -1;
	else
		r = stream_feed_cuts(&fs, body, len, cuts, ncuts, err);
	arena_reset(&a);
	return r;
}

static void
assert_buf(const struct buf *b, bool has, struct span s)
{
	assert_int_equal(has, s.p != NULL);
	assert_int_equal(b->len, s.len);
	if (s.len > 0)
		assert_memory_equal(b->p, s.p, s.len);
}

/*
 * The stream over body with these cuts gives what form_parse() gives for
 * the whole body: result, error string and parts.
 */
static void
check_same_cuts(const void *body, size_t len, const char *boundary,
    const struct form_limits *l, const size_t *cuts, size_t ncuts)
{
	struct arena a;
	struct form f;
	struct sink s;
	const char *err, *serr;
	ssize_t r, sr;
	size_t i;

	arena_init(&a, ARENA_CAP);
	sink_init(&s);
	r = parse(body, len, boundary, l, &a, &f, &err);
	sr = stream_run(body, len, boundary, l, cuts, ncuts, &s, &serr);
	if (sr != r)
		fail_msg("%zu cuts from %zu: stream %zd (%s), form_parse %zd",
		    ncuts, ncuts > 0 ? cuts[0] : 0, sr, sr == -1 ? serr : "",
		    r);
	if (r == -1)
		assert_string_equal(serr, err);
	if (r >= 0) {
		assert_int_equal(s.nparts, f.nparts);
		assert_false(s.in_part);
		for (i = 0; i < f.nparts; i++) {
			assert_true(s.parts[i].ended);
			assert_int_equal(s.parts[i].is_file,
			    f.parts[i].is_file);
			assert_buf(&s.parts[i].name, true, f.parts[i].name);
			assert_buf(&s.parts[i].filename,
			    s.parts[i].has_filename, f.parts[i].filename);
			assert_buf(&s.parts[i].type, s.parts[i].has_type,
			    f.parts[i].content_type);
			assert_buf(&s.parts[i].body, true, f.parts[i].body);
		}
	}
	sink_reset(&s);
	arena_reset(&a);
}

/* In one piece, cut at every point, and a byte at a time. */
static void
check_same(const void *body, size_t len, const char *boundary,
    const struct form_limits *l)
{
	size_t k, *cuts;

	check_same_cuts(body, len, boundary, l, NULL, 0);
	for (k = 0; k <= len; k++)
		check_same_cuts(body, len, boundary, l, &k, 1);
	cuts = malloc((len + 1) * sizeof(*cuts));
	assert_non_null(cuts);
	for (k = 0; k + 1 < len; k++)
		cuts[k] = k + 1;
	check_same_cuts(body, len, boundary, l, cuts, len > 0 ? len - 1 : 0);
	free(cuts);
}

static void
test_stream_splits(void **state)
{
	static const char small[] = "pre\r\n--b\r\n"
	                            "content-disposition: form-data; name=x\n"
	                            "\n"
	                            "1\r\n--b  \t\r\n"
	                            "Content-Disposition: form-data; name=y\r\n"
	                            "\r\n"
	                            "\r\n--b-\r\n--b--";
	size_t cuts[2], len = sizeof(small) - 1;

	(void)state;
	check_same(chromium, sizeof(chromium) - 1, WK, &lim);
	check_same(curl, sizeof(curl) - 1, CURL, &lim);
	check_same(small, len, "b", &lim);
	/* Every pair of cuts in a short body. */
	for (cuts[0] = 0; cuts[0] <= len; cuts[0]++)
		for (cuts[1] = cuts[0]; cuts[1] <= len; cuts[1]++)
			check_same_cuts(small, len, "b", &lim, cuts, 2);
}

/* The shapes, the malformed headers and the limits of the tests above. */
static void
test_stream_cases(void **state)
{
	static const char *const bodies[] = {
		"--B\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--B--",
		"preamble --B\r\n--Bx\r\n\r\n--B\r\n"
		"Content-Disposition: form-data; name=a\r\n\r\n1\r\n--B--",
		"--B\r\nContent-Disposition: form-data; name=a\r\n\r\n1"
		"\r\n--B--\r\nepilogue\r\n--B\r\njunk",
		"--B--",
		"--B--\r\n",
		"--B-",
		"--B",
		"",
		"--Bx--B--\r\n--B--",
		"--B \t\nContent-Disposition: form-data; name=a\n\n1\r\n"
		"--B\t\r\nContent-Disposition: form-data; name=b\r\n\r\n"
		"\r\n--B--",
		"--B\r\nContent-Disposition: form-data; name=a\r\n\r\n"
		"\r\n--BB\r\n--B-x\r\n--B x\r\n--B \rx\r\n--\r\n--B--",
		"--B\r\nX-Thing: y\r\nCONTENT-TYPE:text/plain\r\n"
		"content-disposition:FORM-DATA;NAME=\"a\";FileName=f\r\n"
		"Content-Transfer-Encoding: binary\r\n\r\n\r\n--B--",
		"--B\r\nContent-Disposition: form-data; name=\"a\\\"b\\\\c\"; "
		"filename=\"C:\\\\x\\\\\xc3\xa4.txt\"; x=\"\\y\"\r\n"
		"Content-Type: a/b\r\n\r\n\r\n--B\r\n"
		"Content-Disposition: form-data; name=\"\"; filename=\"\\\"\"\r\n"
		"\r\nz\r\n--B--",
		"--B\r\nContent-Type: text/plain\r\n\r\nx\r\n--B--",
		"--B\r\nContent-Disposition: attachment; name=a\r\n\r\n--B--",
		"--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--",
		"--B\r\nContent-Disposition: form-data; name=\"a\r\n\r\n--B--",
		"--B\r\nContent-Disposition: form-data; name=a; name=b\r\n\r\n"
		"\r\n--B--",
		"--B\r\nX: 1\r\n folded\r\n\r\n--B--",
		"--B\r\nX: a\rb\r\n\r\n--B--",
		"--B\r\nContent-Disposition: form-data; name=a\r\n"
		"Content-Type: a\r\ncontent-type: b\r\n\r\n\r\n--B--",
		"--B\r\nContent-Disposition: form-data; name=a\r\n\r\n\r\n"
		"--B\r\njunk\r\n\r\n\r\n--B--",
	};
	static const struct form_limits limits[] = { { 64, 1024 }, { 1, 1024 },
		{ 0, 1024 }, { 2, 44 }, { 2, 43 }, { 2, 0 }, { 2, 1 } };
	size_t i, k;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bodies); i++)
		for (k = 0; k < ARRAY_SIZE(limits); k++)
			check_same(bodies[i], strlen(bodies[i]), "B",
			    &limits[k]);
}

/*
 * A delimiter cut between feeds: the bytes that may begin one are held
 * back until it is known, then handed out as data or dropped.
 */
static void
test_stream_held(void **state)
{
	static const char head[] = "--" WK "\r\n"
	                           "Content-Disposition: form-data; "
	                           "name=\"f\"; filename=\"a\"\r\n\r\n"
	                           "abc";
	struct form_stream_cb cb = sink_cb;
	struct form_stream fs;
	struct arena a;
	struct sink s;
	struct span b = { (const uint8_t *)WK, strlen(WK) };
	const char *err;
	char pad[FORM_PADDING_MAX_BYTES + 1];

#define FEED(lit)                                                              \
	form_stream_feed(&fs, (const uint8_t *)(lit), sizeof(lit) - 1, &err)
#define BODY_IS(lit)                                                           \
	SPAN_IS(((struct span){ s.parts[0].body.p, s.parts[0].body.len }), lit)

	(void)state;
	arena_init(&a, ARENA_CAP);
	sink_init(&s);
	cb.arg = &s;
	assert_int_equal(form_stream_init(&fs, b, &lim, &a, &cb, &err), 0);
	assert_int_equal(FEED(head), PARSE_PARTIAL);
	assert_int_equal(s.nparts, 1);
	BODY_IS("abc");
	assert_int_equal(FEED("\r\n--"), PARSE_PARTIAL);
	assert_int_equal(FEED("----WebKitForm"), PARSE_PARTIAL);
	BODY_IS("abc");
	/* Not the boundary after all: the held bytes are data. */
	assert_int_equal(FEED("X"), PARSE_PARTIAL);
	BODY_IS("abc\r\n------WebKitFormX");
	assert_int_equal(FEED("\r"), PARSE_PARTIAL);
	assert_int_equal(FEED("\r\n--" WK "-"), PARSE_PARTIAL);
	BODY_IS("abc\r\n------WebKitFormX\r");
	assert_int_equal(FEED("x"), PARSE_PARTIAL);
	BODY_IS("abc\r\n------WebKitFormX\r\r\n--" WK "-x");
	/* Padding, then a CR that is no line end. */
	assert_int_equal(FEED("\r\n--" WK " \t"), PARSE_PARTIAL);
	assert_int_equal(FEED(" \r"), PARSE_PARTIAL);
	BODY_IS("abc\r\n------WebKitFormX\r\r\n--" WK "-x");
	/* That "\r\n" may begin a delimiter: held. */
	assert_int_equal(FEED("\r\n"), PARSE_PARTIAL);
	BODY_IS("abc\r\n------WebKitFormX\r\r\n--" WK "-x"
	        "\r\n--" WK " \t \r");
	/* Too much padding: data. */
	memset(pad, ' ', sizeof(pad));
	assert_int_equal(FEED("\r\n--" WK), PARSE_PARTIAL);
	assert_int_equal(
	    form_stream_feed(&fs, (const uint8_t *)pad, sizeof(pad), &err),
	    PARSE_PARTIAL);
	assert_int_equal(s.parts[0].body.len,
	    sizeof("abc\r\n------WebKitFormX\r\r\n--" WK "-x"
	           "\r\n--" WK " \t \r\r\n\r\n--" WK) -
	        1 + sizeof(pad));
	/* The part ends where its delimiter's CRLF begins. */
	assert_int_equal(FEED("\r\n--" WK "-"), PARSE_PARTIAL);
	assert_false(s.parts[0].ended);
	assert_int_equal(FEED("-"),
	    sizeof(head) - 1 - 3 + s.parts[0].body.len + 4 + strlen(WK) + 2);
	assert_true(s.parts[0].ended);
	assert_int_equal(s.nparts, 1);
	sink_reset(&s);
	arena_reset(&a);
#undef FEED
#undef BODY_IS
}

/* Near-boundaries in file data, cut at every point. */
static void
test_stream_lookalikes(void **state)
{
	static const char *const datas[] = {
		"\r\n--" WK "-x\r\n--" WK "\rx\r\n--" WK "\r\r\n\r\n--" WK "X",
		"\r\r\n\r\n--\r\n--" WK "\t\t\tq\r\n--" WK " -\r\n--" WKD,
		"\r\n--" WK "                                "
		"                                 \r\n",
		"\r\n--" WK "\t                                "
		"                                 \n",
		IMG1,
		IMG2,
	};
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(datas); i++) {
		buf_init(&b, 0);
		buf_puts(&b, WKD "\r\nContent-Disposition: form-data; "
		                 "name=\"f\"; filename=\"x.png\"\r\n"
		                 "Content-Type: image/png\r\n\r\n");
		buf_puts(&b, datas[i]);
		buf_puts(&b, "\r\n" WKD "--");
		assert_false(b.err);
		check_same(b.p, b.len, WK, &lim);
		buf_reset(&b);
	}
}

/* At most FORM_PADDING_MAX_BYTES spaces or tabs end a delimiter line. */
static void
test_padding(void **state)
{
	struct arena a;
	struct form f;
	struct buf b;
	const char *err;
	char pad[FORM_PADDING_MAX_BYTES + 1];
	size_t n;

	(void)state;
	memset(pad, ' ', sizeof(pad));
	pad[1] = '\t';
	arena_init(&a, ARENA_CAP);
	for (n = FORM_PADDING_MAX_BYTES; n <= FORM_PADDING_MAX_BYTES + 1; n++) {
		buf_init(&b, 0);
		buf_puts(&b, "--B");
		buf_append(&b, pad, n);
		buf_puts(&b, "\r\nContent-Disposition: form-data; name=a\r\n"
		             "\r\nv\r\n--B");
		buf_append(&b, pad, n);
		buf_puts(&b, "\r\nContent-Disposition: form-data; name=b\r\n"
		             "\r\nw\r\n--B--");
		assert_false(b.err);
		if (n == FORM_PADDING_MAX_BYTES) {
			assert_int_equal(
			    parse(b.p, b.len, "B", &lim, &a, &f, &err), b.len);
			assert_int_equal(f.nparts, 2);
			SPAN_IS(f.parts[0].body, "v");
		} else {
			/*
			 * Neither line is a delimiter: all is preamble up to
			 * the closing one.
			 */
			assert_int_equal(
			    parse(b.p, b.len, "B", &lim, &a, &f, &err), b.len);
			assert_int_equal(f.nparts, 0);
		}
		check_same(b.p, b.len, "B", &lim);
		buf_reset(&b);
		arena_reset(&a);
	}
}

/*
 * Every prefix of a body is PARSE_PARTIAL, and the parts that ended
 * before the cut are those of the whole body.
 */
static void
test_stream_truncated(void **state)
{
	struct arena a;
	struct form f;
	struct sink s;
	const char *err;
	size_t k, i, len = sizeof(chromium) - 1, cut;
	ssize_t r;

	(void)state;
	arena_init(&a, ARENA_CAP);
	assert_int_equal(parse(chromium, len, WK, &lim, &a, &f, &err), len - 2);
	for (k = 0; k < len - 2; k++) {
		sink_init(&s);
		cut = k / 2;
		r = stream_run(chromium, k, WK, &lim, &cut, 1, &s, &err);
		if (r != PARSE_PARTIAL)
			fail_msg("prefix %zu: got %zd", k, r);
		for (i = 0; i < s.nparts; i++) {
			if (!s.parts[i].ended) {
				/* Data so far is the part's beginning. */
				assert_true(
				    s.parts[i].body.len <= f.parts[i].body.len);
				assert_true(i + 1 == s.nparts);
			} else
				assert_int_equal(s.parts[i].body.len,
				    f.parts[i].body.len);
			if (s.parts[i].body.len > 0)
				assert_memory_equal(s.parts[i].body.p,
				    f.parts[i].body.p, s.parts[i].body.len);
		}
		sink_reset(&s);
	}
	arena_reset(&a);
}

/*
 * Limits: the parts and header limits as form_parse() applies them, a
 * callback that stops the parse, and memory that does not grow with the
 * body.
 */
static void
test_stream_limits(void **state)
{
	static const char three[] =
	    "--B\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
	    "--B\r\nContent-Disposition: form-data; name=b\r\n\r\n2345\r\n"
	    "--B\r\nContent-Disposition: form-data; name=c\r\n\r\n3\r\n"
	    "--B--\r\n";
	struct form_limits l = { 2, 1024 };
	struct form_stream_cb cb = sink_cb;
	struct form_stream fs;
	struct arena a;
	struct sink s;
	struct buf big;
	struct span b = { (const uint8_t *)WK, strlen(WK) };
	const char *err;
	size_t k, at, n;

	(void)state;
	sink_init(&s);
	assert_int_equal(
	    stream_run(three, sizeof(three) - 1, "B", &l, NULL, 0, &s, &err),
	    -1);
	assert_string_equal(err, "too many parts");
	assert_int_equal(s.nparts, 2);
	sink_reset(&s);

	/* A field over 3 bytes stops it, at every cut. */
	for (k = 0; k < sizeof(three); k++) {
		s.max_body = 3;
		assert_int_equal(stream_run(three, sizeof(three) - 1, "B", &lim,
		                     &k, 1, &s, &err),
		    -1);
		assert_string_equal(err, "stopped");
		assert_int_equal(s.nparts, 2);
		assert_true(s.parts[1].body.len > 3);
		sink_reset(&s);
	}

	/* A bad boundary, an arena without room for the header buffer. */
	arena_init(&a, 64);
	b.len = 0;
	assert_int_equal(form_stream_init(&fs, b, &lim, &a, &sink_cb, &err),
	    -1);
	assert_string_equal(err, "bad boundary");
	assert_int_equal(form_stream_feed(&fs, (const uint8_t *)"--", 2, &err),
	    -1);
	assert_string_equal(err, "bad boundary");
	b.len = strlen(WK);
	assert_int_equal(form_stream_init(&fs, b, &lim, &a, &sink_cb, &err),
	    -1);
	assert_string_equal(err, "out of memory");
	arena_reset(&a);

	/* 8 MB of near-boundaries in 4 kB pieces: the arena holds no more. */
	buf_init(&big, 0);
	buf_puts(&big, WKD "\r\nContent-Disposition: form-data; name=a\r\n"
	                   "\r\n");
	while (big.len < (8 << 20))
		buf_puts(&big, "\r\n--" WK "X\r\n--" WK " x\r\n--" WK "-");
	n = big.len - strlen(WKD "\r\nContent-Disposition: form-data; "
	                         "name=a\r\n\r\n");
	buf_puts(&big, "\r\n" WKD "--");
	assert_false(big.err);
	arena_init(&a, ARENA_CAP);
	sink_init(&s);
	cb.arg = &s;
	assert_int_equal(form_stream_init(&fs, b, &lim, &a, &cb, &err), 0);
	for (at = 0; at + 4096 < big.len; at += 4096)
		assert_int_equal(form_stream_feed(&fs, big.p + at, 4096, &err),
		    PARSE_PARTIAL);
	assert_int_equal(form_stream_feed(&fs, big.p + at, big.len - at, &err),
	    big.len);
	assert_int_equal(form_stream_feed(&fs, NULL, 0, &err), big.len);
	assert_true(a.total <= ARENA_CHUNK_BYTES);
	assert_int_equal(s.nparts, 1);
	assert_int_equal(s.parts[0].body.len, n);
	sink_reset(&s);
	arena_reset(&a);
	buf_reset(&big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chromium),
		cmocka_unit_test(test_curl),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_boundary),
		cmocka_unit_test(test_special_boundary),
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_scale),
		cmocka_unit_test(test_window_edges),
		cmocka_unit_test(test_urlencoded),
		cmocka_unit_test(test_urlencoded_bad),
		cmocka_unit_test(test_padding),
		cmocka_unit_test(test_stream_splits),
		cmocka_unit_test(test_stream_cases),
		cmocka_unit_test(test_stream_held),
		cmocka_unit_test(test_stream_lookalikes),
		cmocka_unit_test(test_stream_truncated),
		cmocka_unit_test(test_stream_limits),
	};

	return cmocka_run_group_tests_name("form", tests, NULL, NULL);
}
