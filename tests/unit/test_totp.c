/*
 * Unit tests of TOTP: the SHA1 vectors of RFC 6238 appendix B (cut to 6
 * digits), the window of one step either side, forgiving and strict code
 * parsing, base32 (RFC 4648 vectors), the otpauth URI, and that the QR SVG
 * draws exactly libqrencode's module matrix inside a quiet zone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <qrencode.h>
#include <sodium.h>

#include "totp.h"

static const uint8_t rfc_secret[] = "12345678901234567890";
#define RFC_LEN 20

static const struct {
	long long t;
	const char *code; /* the last 6 of the RFC's 8 digits */
} rfc6238[] = {
	{ 59, "287082" },
	{ 1111111109, "081804" },
	{ 1111111111, "050471" },
	{ 1234567890, "005924" },
	{ 2000000000, "279037" },
	{ 20000000000LL, "353130" },
};

static void
test_rfc6238(void **state)
{
	char code[TOTP_DIGITS + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rfc6238) / sizeof(rfc6238[0]); i++) {
		long long step = rfc6238[i].t / 30;

		assert_int_equal(totp_code(rfc_secret, RFC_LEN, step, code), 0);
		assert_string_equal(code, rfc6238[i].code);
		assert_int_equal(totp_check(rfc_secret, RFC_LEN,
		                     rfc6238[i].code, (time_t)rfc6238[i].t),
		    step);
	}
	assert_int_equal(totp_code(rfc_secret, RFC_LEN, -1, code), -1);
	assert_int_equal(totp_code(rfc_secret, 0, 1, code), -1);
}

static void
test_window(void **state)
{
	char code[TOTP_DIGITS + 1];
	uint8_t secret[TOTP_SECRET_BYTES];
	time_t now = 1700000015; /* 15 s into step 56666667 */
	long long step = now / 30, d;

	(void)state;
	totp_secret_new(secret);
	for (d = -3; d <= 3; d++) {
		assert_int_equal(
		    totp_code(secret, sizeof(secret), step + d, code), 0);
		if (d >= -1 && d <= 1)
			assert_int_equal(
			    totp_check(secret, sizeof(secret), code, now),
			    step + d);
		else
			assert_int_equal(
			    totp_check(secret, sizeof(secret), code, now), -1);
	}
	/* The step's first and last second count as that step. */
	assert_int_equal(totp_code(secret, sizeof(secret), step + 2, code), 0);
	assert_int_equal(
	    totp_check(secret, sizeof(secret), code, (time_t)step * 30 + 29),
	    -1);
	assert_int_equal(
	    totp_check(secret, sizeof(secret), code, (time_t)(step + 1) * 30),
	    step + 2);
	/* Another secret's code does not match (1 in 10^6 per step would;
	 * these two secrets are fixed and known not to). */
	assert_int_equal(totp_check((const uint8_t *)"abcdefghijklmnopqrst", 20,
	                     "287082", 59),
	    -1);
	/* Near the epoch there is no step before the first. */
	assert_int_equal(totp_check(rfc_secret, RFC_LEN, "755224", 10), 0);
	assert_int_equal(totp_check(rfc_secret, RFC_LEN, "755224", -1), -1);
}

static void
test_code_syntax(void **state)
{
	const time_t t = 59;

	(void)state;
	assert_int_equal(totp_check(rfc_secret, RFC_LEN, "287 082", t), 1);
	assert_int_equal(totp_check(rfc_secret, RFC_LEN, " 287082 ", t), 1);
	assert_int_equal(totp_check(rfc_secret, RFC_LEN, "2 8 7 0 8 2", t), 1);
	assert_int_equal(totp_check(rfc_secret, RFC_LEN, "287\t082", t), -1);
	assert_int_equal(totp_check(rfc_secret, RFC_LEN, "287-082", t), -1);
	assert_int_equal(totp_check(rfc_secret, RFC_LEN, "28708", t), -1);
	assert_int_equal(totp_check(rfc_secret, RFC_LEN, "2870820", t), -1);
	assert_int_equal(totp_check(rfc_secret, RFC_LEN, "94287082", t), -1);
	assert_int_equal(totp_check(rfc_secret, RFC_LEN, "", t), -1);
	assert_int_equal(totp_check(rfc_secret, RFC_LEN, "      ", t), -1);
	assert_int_equal(totp_check(rfc_secret, RFC_LEN, "28708a", t), -1);
	assert_int_equal(totp_check(rfc_secret, RFC_LEN, "+87082", t), -1);
	assert_int_equal(totp_check(rfc_secret, RFC_LEN, "２87082", t), -1);
	assert_int_equal(totp_check(rfc_secret, RFC_LEN, NULL, t), -1);
}

static void
test_base32(void **state)
{
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "", "" },
		{ "f", "MY" },
		{ "fo", "MZXQ" },
		{ "foo", "MZXW6" },
		{ "foob", "MZXW6YQ" },
		{ "fooba", "MZXW6YTB" },
		{ "foobar", "MZXW6YTBOI" },
		{ "12345678901234567890", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" },
	};
	char out[TOTP_BASE32_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(totp_base32((const uint8_t *)v[i].in,
		                     strlen(v[i].in), out, sizeof(out)),
		    0);
		assert_string_equal(out, v[i].out);
	}
	assert_int_equal(totp_base32(rfc_secret, RFC_LEN, out, 33), 0);
	assert_int_equal(totp_base32(rfc_secret, RFC_LEN, out, 32), -1);
	assert_int_equal(totp_base32((const uint8_t *)"f", 1, out, 2), -1);
}

static void
test_uri(void **state)
{
	char out[256];

	(void)state;
	assert_int_equal(
	    totp_uri(rfc_secret, RFC_LEN, "anna.k", out, sizeof(out)), 0);
	assert_string_equal(out,
	    "otpauth://totp/Tipline:anna.k?"
	    "secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Tipline"
	    "&algorithm=SHA1&digits=6&period=30");
	assert_int_equal(
	    totp_uri(rfc_secret, RFC_LEN, "a b:c/ä?&", out, sizeof(out)), 0);
	assert_non_null(
	    strstr(out, "Tipline:a%20b%3Ac%2F%C3%A4%3F%26?secret="));
	assert_int_equal(totp_uri(rfc_secret, RFC_LEN, "anna.k", out, 100), -1);
}

/* Reads the path back into a matrix: every "Mx yhWv1h-Wz" fills W modules
 * of row y from x.  Fails the test on anything else in the path. */
static void
svg_matrix(const char *svg, int size, unsigned char *m)
{
	const char *d, *end;
	int x, y, w, w2, n;

	d = strstr(svg, " d=\"");
	assert_non_null(d);
	d += 4;
	end = strchr(d, '"');
	assert_non_null(end);
	while (d < end) {
		assert_int_equal(
		    sscanf(d, "M%d %dh%dv1h-%dz%n", &x, &y, &w, &w2, &n), 4);
		assert_int_equal(w, w2);
		assert_true(x >= 4 && y >= 4 && w >= 1);
		assert_true(x + w <= size - 4 && y < size - 4);
		for (; w > 0; w--, x++) {
			assert_int_equal(m[y * size + x], 0);
			m[y * size + x] = 1;
		}
		d += n;
	}
	assert_true(d == end);
}

static void
check_qr(const char *text)
{
	char *svg, head[128];
	unsigned char *m;
	QRcode *qr;
	int size, x, y;
	const char *p;

	svg = totp_qr_svg(text, "QR code: \"<&>\"");
	assert_non_null(svg);
	qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	assert_non_null(qr);
	assert_int_equal(qr->width, qr->version * 4 + 17);
	size = qr->width + 8;
	snprintf(head, sizeof(head),
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\"",
	    size, size);
	assert_int_equal(strncmp(svg, head, strlen(head)), 0);
	assert_non_null(strstr(svg, " shape-rendering=\"crispEdges\""));
	assert_non_null(strstr(svg, " role=\"img\""));
	assert_non_null(
	    strstr(svg, " aria-label=\"QR code: &quot;&lt;&amp;&gt;&quot;\""));
	p = strstr(svg, "<path");
	assert_non_null(p);
	assert_null(strstr(p + 1, "<path"));
	assert_int_equal(strcmp(svg + strlen(svg) - 6, "</svg>"), 0);

	m = calloc((size_t)size * size, 1);
	assert_non_null(m);
	svg_matrix(svg, size, m);
	for (y = 0; y < size; y++)
		for (x = 0; x < size; x++) {
			int want = 0;

			if (x >= 4 && y >= 4 && x < size - 4 && y < size - 4)
				want =
				    qr->data[(y - 4) * qr->width + x - 4] & 1;
			assert_int_equal(m[y * size + x], want);
		}
	free(m);
	QRcode_free(qr);
	free(svg);
}

static void
test_qr(void **state)
{
	uint8_t secret[TOTP_SECRET_BYTES];
	char uri[256];

	(void)state;
	check_qr("HELLO");
	totp_secret_new(secret);
	assert_int_equal(totp_uri(secret, sizeof(secret),
	                     "very.long.username-of-someone_2", uri,
	                     sizeof(uri)),
	    0);
	check_qr(uri);
	/* Too long for any QR version. */
	{
		char *big = malloc(8000), *svg;

		assert_non_null(big);
		memset(big, 'x', 7999);
		big[7999] = '\0';
		svg = totp_qr_svg(big, "x");
		assert_null(svg);
		free(big);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc6238),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_code_syntax),
		cmocka_unit_test(test_base32),
		cmocka_unit_test(test_uri),
		cmocka_unit_test(test_qr),
	};

	if (sodium_init() == -1)
		return 1;
	return cmocka_run_group_tests_name("totp", tests, NULL, NULL);
}
