/*
 * TOTP for the reviewers' second factor.  liboath computes HOTP (RFC 4226)
 * for a step number; RFC 6238 is HOTP of unix time / 30.  A code is taken
 * for the current step and one either side, so that a clock off by up to
 * 30 seconds and a code typed at the end of its step still work; the
 * caller remembers the last step used, so that each code works once.
 * libqrencode makes the matrix of the enrolment QR code, which we write as
 * SVG: one path, one rectangle per run of dark modules in a row.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <liboath/oath.h>
#include <qrencode.h>
#include <sodium.h>

#include "buf.h"
#include "log.h"
#include "totp.h"

#define TOTP_QUIET 4 /* modules of light margin, as ISO/IEC 18004 asks */

static pthread_once_t totp_once = PTHREAD_ONCE_INIT;
static int totp_oath_rc = -1;

static void
totp_init(void)
{
	totp_oath_rc = oath_init();
}

void
totp_secret_new(uint8_t out[TOTP_SECRET_BYTES])
{
	randombytes_buf(out, TOTP_SECRET_BYTES);
}

int
totp_base32(const uint8_t *secret, size_t len, char *out, size_t outlen)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	size_t i, o = 0, need = (len * 8 + 4) / 5;
	unsigned int acc = 0, bits = 0;

	if (outlen < need + 1)
		return -1;
	for (i = 0; i < len; i++) {
		acc = (acc << 8) | secret[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = alphabet[(acc >> bits) & 31];
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	return 0;
}

int
totp_code(const uint8_t *secret, size_t len, long long step,
    char out[TOTP_DIGITS + 1])
{
	if (step < 0 || len == 0)
		return -1;
	if (pthread_once(&totp_once, totp_init) != 0 || totp_oath_rc != OATH_OK)
		return -1;
	if (oath_hotp_generate((const char *)secret, len, (uint64_t)step,
	        TOTP_DIGITS, false, OATH_HOTP_DYNAMIC_TRUNCATION,
	        out) != OATH_OK)
		return -1;
	return 0;
}

long long
totp_check(const uint8_t *secret, size_t len, const char *code, time_t now)
{
	char want[TOTP_DIGITS + 1], got[TOTP_DIGITS + 1];
	long long step, s, found = -1;
	size_t n = 0;

	if (code == NULL || now < 0)
		return -1;
	for (; *code != '\0'; code++) {
		if (*code == ' ')
			continue;
		if (*code < '0' || *code > '9' || n == TOTP_DIGITS)
			return -1;
		got[n++] = *code;
	}
	if (n != TOTP_DIGITS)
		return -1;
	got[n] = '\0';
	step = (long long)now / TOTP_STEP_SECONDS;
	/* All three steps are computed, so timing does not tell which
	 * matched. */
	for (s = step - 1; s <= step + 1; s++) {
		if (totp_code(secret, len, s, want) == -1)
			continue;
		if (sodium_memcmp(want, got, TOTP_DIGITS) == 0)
			found = s;
	}
	sodium_memzero(want, sizeof(want));
	sodium_memzero(got, sizeof(got));
	return found;
}

int
totp_uri(const uint8_t *secret, size_t len, const char *user, char *out,
    size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	char b32[(TOTP_SECRET_BYTES * 8 + 4) / 5 + 1], enc[3 * 64 + 1];
	size_t o = 0;
	int n;

	if (len > TOTP_SECRET_BYTES ||
	    totp_base32(secret, len, b32, sizeof(b32)) == -1)
		return -1;
	/* Unreserved characters (RFC 3986) as they are, the rest as %XX. */
	for (; *user != '\0'; user++) {
		unsigned char c = (unsigned char)*user;

		if (o + 4 > sizeof(enc))
			goto fail;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			enc[o++] = (char)c;
		else {
			enc[o++] = '%';
			enc[o++] = hex[c >> 4];
			enc[o++] = hex[c & 15];
		}
	}
	enc[o] = '\0';
	n = snprintf(out, outlen,
	    "otpauth://totp/Tipline:%s?secret=%s&issuer=Tipline"
	    "&algorithm=SHA1&digits=%d&period=%d",
	    enc, b32, TOTP_DIGITS, TOTP_STEP_SECONDS);
	if (n < 0 || (size_t)n >= outlen)
		goto fail;
	sodium_memzero(b32, sizeof(b32));
	return 0;
fail:
	sodium_memzero(b32, sizeof(b32));
	return -1;
}

char *
totp_qr_svg(const char *text, const char *label)
{
	QRcode *qr;
	struct buf b;
	int x, y, run, size;

	if ((qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M)) == NULL) {
		log_warn("%s: QRcode_encodeString8bit", __func__);
		return NULL;
	}
	size = qr->width + 2 * TOTP_QUIET;
	buf_init(&b, 0);
	buf_printf(&b,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\""
	    " shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"",
	    size, size);
	buf_html(&b, label, strlen(label));
	buf_printf(&b,
	    "\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
	    "<path fill=\"#000\" d=\"",
	    size, size);
	/* Bit 0 of each byte is the module: 1 dark, 0 light. */
	for (y = 0; y < qr->width; y++) {
		for (x = 0; x < qr->width; x += run) {
			run = 0;
			while (x + run < qr->width &&
			       (qr->data[y * qr->width + x + run] & 1))
				run++;
			if (run == 0) {
				run = 1;
				continue;
			}
			buf_printf(&b, "M%d %dh%dv1h-%dz", x + TOTP_QUIET,
			    y + TOTP_QUIET, run, run);
		}
	}
	buf_puts(&b, "\"/></svg>");
	QRcode_free(qr);
	if (buf_cstr(&b) == NULL) {
		log_warnx("%s: out of memory", __func__);
		buf_reset(&b);
		return NULL;
	}
	return (char *)b.p;
}
