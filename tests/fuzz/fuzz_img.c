/*
 * Fuzzes the image sanitiser: any bytes give a clean image or an error,
 * never a crash, a leak or a hang.  A clean image must be sanitised again
 * to the same type and size, carry the right SHA-256, and, when PNG or
 * lossless WebP, come out byte for byte the same the second time (the same
 * pixels, the same encoder).  An encoder failure (IMG_E_INTERNAL) on
 * pixels we decoded ourselves is a bug too.  PNG chunk CRCs are fixed up
 * before the call, or libpng would reject nearly every mutation before
 * its decoder sees it.  img_probe() must agree with the decoder on every
 * image that decodes: the same type and number of pixels, since the
 * intake adds up a tip's pixels from it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "img.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint32_t
crc32_of(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffff;
	int k;

	while (n-- > 0) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = crc >> 1 ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

static void
fix_png_crcs(uint8_t *p, size_t len)
{
	size_t off = 8, n;
	uint32_t crc;

	if (len < 8 || memcmp(p, "\x89PNG\r\n\x1a\n", 8) != 0)
		return;
	while (off + 12 <= len) {
		n = (size_t)p[off] << 24 | (size_t)p[off + 1] << 16 |
		    (size_t)p[off + 2] << 8 | p[off + 3];
		if (n > len - off - 12)
			break;
		crc = crc32_of(p + off + 4, n + 4);
		p[off + 8 + n] = (uint8_t)(crc >> 24);
		p[off + 9 + n] = (uint8_t)(crc >> 16);
		p[off + 10 + n] = (uint8_t)(crc >> 8);
		p[off + 11 + n] = (uint8_t)crc;
		off += 12 + n;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const struct img_limits lim = { 2 << 20, 4000000 };
	static const struct img_limits again = { SIZE_MAX, 4000000 };
	struct img_clean c, c2;
	struct img_info info;
	enum img_err err, perr;
	uint8_t sha[32], *in;
	int lossless, rc;

	if ((in = malloc(len + 1)) == NULL)
		return 0;
	memcpy(in, data, len);
	fix_png_crcs(in, len);
	rc = img_sanitise(in, len, &lim, &c, &err);
	if (rc == 0 && (img_probe(in, len, &lim, &info, &perr) == -1 ||
	                   info.type != c.type ||
	                   (uint64_t)info.width * info.height !=
	                       (uint64_t)c.width * c.height))
		abort();
	free(in);
	if (rc == -1) {
		if (err == IMG_OK || err == IMG_E_INTERNAL || c.data != NULL)
			abort();
		return 0;
	}
	if (err != IMG_OK || c.data == NULL || c.len == 0 || c.width == 0 ||
	    c.height == 0 || (uint64_t)c.width * c.height > lim.max_pixels)
		abort();
	crypto_hash_sha256(sha, c.data, c.len);
	if (memcmp(sha, c.sha256, sizeof(sha)) != 0)
		abort();
	if (img_sanitise(c.data, c.len, &again, &c2, &err) == -1)
		abort();
	if (c2.type != c.type || c2.width != c.width || c2.height != c.height)
		abort();
	lossless =
	    c.type == IMG_PNG || (c.type == IMG_WEBP && c.len > 16 &&
	                             memcmp(c.data + 12, "VP8L", 4) == 0);
	if (lossless && (c2.phash != c.phash || c2.len != c.len ||
	                    memcmp(c2.data, c.data, c.len) != 0))
		abort();
	img_clean_free(&c2);
	img_clean_free(&c);
	return 0;
}
