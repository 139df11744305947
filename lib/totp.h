/*
 * Time-based one-time passwords (RFC 6238: HMAC-SHA1, 6 digits, 30-second
 * steps) for the reviewers' second factor, the otpauth:// URI that
 * authenticator apps read, and that URI as a QR code in SVG.
 */
#ifndef TL_TOTP_H
#define TL_TOTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util.h"

#define TOTP_SECRET_BYTES 20
#define TOTP_DIGITS       6
#define TOTP_STEP_SECONDS 30
/* Base32 of TOTP_SECRET_BYTES, without padding, and its NUL. */
#define TOTP_BASE32_MAX   33

/* A new random secret (randombytes_buf). */
void totp_secret_new(uint8_t out[TOTP_SECRET_BYTES]);

/* Base32 (RFC 4648, no padding, upper case) of the secret into out,
 * NUL-terminated; -1 if outlen is too small. */
TL_MUSTCHECK int totp_base32(const uint8_t *secret, size_t len, char *out,
    size_t outlen);

/* The code of one step (unix time / 30) as 6 digits and a NUL; 0 or -1. */
TL_MUSTCHECK int totp_code(const uint8_t *secret, size_t len, long long step,
    char out[TOTP_DIGITS + 1]);

/*
 * Checks a 6-digit code (spaces allowed, as apps show "123 456") against
 * now's 30-second step and one step either side.  Returns the matched step
 * number (unix time / 30; the latest if more than one matches), or -1.
 * The caller accepts it only if it is greater than the last step used, so
 * that each code works once.
 */
long long totp_check(const uint8_t *secret, size_t len, const char *code,
    time_t now);

/*
 * otpauth://totp/Tipline:USER?secret=...&issuer=Tipline&algorithm=SHA1
 * &digits=6&period=30, the user percent-encoded; -1 if outlen is too
 * small.
 */
TL_MUSTCHECK int totp_uri(const uint8_t *secret, size_t len, const char *user,
    char *out, size_t outlen);

/*
 * The QR code of text as an inline SVG element: a white background and one
 * <path> of the dark modules, the viewBox in modules with a quiet zone of
 * 4, shape-rendering="crispEdges", role="img" and aria-label="label"
 * (escaped here).  Caller frees with free().  NULL on failure.
 */
char *totp_qr_svg(const char *text, const char *label);

#endif
