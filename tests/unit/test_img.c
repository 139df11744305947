/*
 * Unit tests of the image sanitiser.  Every input is made here with
 * libpng, libjpeg-turbo and libwebp from synthetic screenshot-like pixels
 * (white background, dark "text" bars, coloured bubbles), then given
 * metadata by hand: EXIF with GPS and a thumbnail, XMP, comments, PNG text
 * chunks, a WebP VP8X with EXIF and XMP, appended ZIPs.  The outputs are
 * checked structurally (only the chunks and markers we allow), for
 * leftover metadata strings, for pixels, and for the error returned.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jpeglib.h>
#include <openssl/evp.h>
#include <png.h>
#include <webp/decode.h>
#include <webp/encode.h>
#include <zlib.h>

#include "img.h"

#define COMMENT "tipster-comment-7f3a"

struct blob {
	uint8_t *p;
	size_t len;
};

static void
blob_add(struct blob *b, const void *p, size_t n)
{
	b->p = realloc(b->p, b->len + n + 1);
	assert_non_null(b->p);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
blob_be32(struct blob *b, uint32_t v)
{
	uint8_t x[4] = { v >> 24, v >> 16, v >> 8, v };

	blob_add(b, x, 4);
}

static void
blob_le16(struct blob *b, uint32_t v)
{
	uint8_t x[2] = { v, v >> 8 };

	blob_add(b, x, 2);
}

static void
blob_le32(struct blob *b, uint32_t v)
{
	uint8_t x[4] = { v, v >> 8, v >> 16, v >> 24 };

	blob_add(b, x, 4);
}

static void
blob_free(struct blob *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
}

static uint32_t rng_state;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/*
 * A screenshot-like picture: white, a dark status bar, bubbles of light
 * colour holding rows of dark bars of random length.  With ch == 4 the
 * bubbles are half transparent and one corner is fully transparent with
 * non-zero RGB under it.
 */
static uint8_t *
shot(uint32_t w, uint32_t h, unsigned ch, uint32_t seed)
{
	uint8_t *p = malloc((size_t)w * h * ch), *d;
	uint32_t x, y, by, bh, bx0, bx1, ty, tx, tl;
	uint8_t bg[3];

	assert_non_null(p);
	rng_state = seed * 2654435761u + 1;
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			d = p + ((size_t)y * w + x) * ch;
			d[0] = d[1] = d[2] = y < h / 20 ? 30 : 255;
			if (ch == 4)
				d[3] = 255;
		}
	for (by = h / 16; by + h / 12 < h; by += bh + h / 40) {
		bh = h / 14 + rng() % (h / 10);
		if (by + bh >= h)
			break;
		bx0 = rng() & 1 ? w / 10 : w / 40;
		bx1 = w - (rng() & 1 ? w / 40 : w / 5);
		bg[0] = 200 + rng() % 40, bg[1] = 230 + rng() % 25;
		bg[2] = 200 + rng() % 55;
		for (y = by; y < by + bh; y++)
			for (x = bx0; x < bx1; x++) {
				d = p + ((size_t)y * w + x) * ch;
				memcpy(d, bg, 3);
				if (ch == 4)
					d[3] = 160;
			}
		for (ty = by + 4; ty + 6 < by + bh; ty += 12) {
			for (tx = bx0 + 4; tx + 8 < bx1; tx += tl + 4) {
				tl = 6 + rng() % 30;
				for (y = ty; y < ty + 6; y++)
					for (x = tx; x < tx + tl && x < bx1 - 4;
					    x++) {
						d = p + ((size_t)y * w + x) * ch;
						d[0] = 20, d[1] = 20, d[2] = 40;
						if (ch == 4)
							d[3] = 255;
					}
			}
		}
	}
	if (ch == 4)
		for (y = 0; y < h / 8; y++)
			for (x = 0; x < w / 8; x++) {
				d = p + ((size_t)y * w + x) * ch;
				d[0] = 10, d[1] = 200, d[2] = 77, d[3] = 0;
			}
	return p;
}

/* PNG writing and reading with libpng. */
static void
png_wr(png_structp png, png_bytep data, size_t n)
{
	blob_add(png_get_io_ptr(png), data, n);
}

static void
png_fl(png_structp png)
{
	(void)png;
}

/* Writes rows of raw samples in the given PNG format. */
static struct blob
enc_png_raw(const uint8_t *raw, uint32_t w, uint32_t h, int ctype, int depth,
    int interlace, const png_color *plte, int nplte, const uint8_t *trns,
    int ntrns)
{
	struct blob b = { 0 };
	png_structp png;
	png_infop info;
	size_t rowbytes;
	uint32_t y;
	int pass, npass;

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	info = png_create_info_struct(png);
	assert_non_null(info);
	if (setjmp(png_jmpbuf(png)))
		fail_msg("libpng write failed");
	png_set_write_fn(png, &b, png_wr, png_fl);
	png_set_IHDR(png, info, w, h, depth, ctype, interlace,
	    PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (plte != NULL)
		png_set_PLTE(png, info, plte, nplte);
	if (trns != NULL)
		png_set_tRNS(png, info, trns, ntrns, NULL);
	png_write_info(png, info);
	if (depth == 16)
		png_set_swap(png); /* our samples are little-endian */
	npass = png_set_interlace_handling(png);
	rowbytes = png_get_rowbytes(png, info);
	for (pass = 0; pass < npass; pass++)
		for (y = 0; y < h; y++)
			png_write_row(png, raw + y * rowbytes);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return b;
}

static struct blob
enc_png(const uint8_t *pix, uint32_t w, uint32_t h, unsigned ch)
{
	return enc_png_raw(pix, w, h,
	    ch == 4 ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB, 8,
	    PNG_INTERLACE_NONE, NULL, 0, NULL, 0);
}

/* Decodes with the simplified API; returns RGB or RGBA as stored. */
static uint8_t *
dec_png(const uint8_t *p, size_t n, uint32_t *w, uint32_t *h, unsigned *ch)
{
	png_image im;
	uint8_t *pix;

	memset(&im, 0, sizeof(im));
	im.version = PNG_IMAGE_VERSION;
	assert_true(png_image_begin_read_from_memory(&im, p, n));
	*ch = im.format & PNG_FORMAT_FLAG_ALPHA ? 4 : 3;
	im.format = *ch == 4 ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB;
	pix = malloc(PNG_IMAGE_SIZE(im));
	assert_non_null(pix);
	assert_true(png_image_finish_read(&im, NULL, pix, 0, NULL));
	*w = im.width;
	*h = im.height;
	return pix;
}

/* Inserts a chunk right after IHDR. */
static void
png_insert(struct blob *b, const char *type, const void *data, size_t n)
{
	struct blob c = { 0 };
	uint32_t crc;
	size_t at = 8 + 12 + 13;

	blob_be32(&c, (uint32_t)n);
	blob_add(&c, type, 4);
	blob_add(&c, data, n);
	crc = crc32(0, (const uint8_t *)type, 4);
	crc = crc32(crc, data, (uInt)n);
	blob_be32(&c, crc);
	b->p = realloc(b->p, b->len + c.len);
	memmove(b->p + at + c.len, b->p + at, b->len - at);
	memcpy(b->p + at, c.p, c.len);
	b->len += c.len;
	blob_free(&c);
}

/* JPEG writing and reading with libjpeg. */
struct jpeg_opts {
	int quality;
	bool subsample;
	bool progressive;
	bool many_scans;
	bool gray;
	bool cmyk;
	const struct blob *app1_exif;
	bool xmp;
	bool comment;
};

static struct blob
enc_jpeg(const uint8_t *pix, uint32_t w, uint32_t h, const struct jpeg_opts *o)
{
	static const char xmp[] =
	    "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">"
	    "<rdf:RDF><rdf:Description exif:GPSLatitude=\"52,22.1N\"/>"
	    "</rdf:RDF></x:xmpmeta>";
	jpeg_scan_info scans[3 * 63 + 1];
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr e;
	unsigned char *out = NULL;
	unsigned long outlen = 0;
	struct blob b = { 0 };
	uint8_t *row;
	int i, comp, ch = o->gray ? 1 : o->cmyk ? 4 : 3;
	uint32_t x;

	c.err = jpeg_std_error(&e);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &out, &outlen);
	c.image_width = w;
	c.image_height = h;
	c.input_components = ch;
	c.in_color_space = o->gray ? JCS_GRAYSCALE : o->cmyk ? JCS_CMYK : JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, o->quality, TRUE);
	if (!o->subsample)
		for (i = 0; i < c.num_components; i++)
			c.comp_info[i].h_samp_factor =
			    c.comp_info[i].v_samp_factor = 1;
	if (o->progressive)
		jpeg_simple_progression(&c);
	if (o->many_scans) {
		/* A valid script of 190 scans: every AC coefficient apart. */
		scans[0] = (jpeg_scan_info){ 3, { 0, 1, 2 }, 0, 0, 0, 0 };
		i = 1;
		for (comp = 0; comp < 3; comp++)
			for (x = 1; x < 64; x++)
				scans[i++] = (jpeg_scan_info){ 1, { comp },
					(int)x, (int)x, 0, 0 };
		c.scan_info = scans;
		c.num_scans = i;
	}
	jpeg_start_compress(&c, TRUE);
	if (o->app1_exif != NULL)
		jpeg_write_marker(&c, JPEG_APP0 + 1, o->app1_exif->p,
		    (unsigned)o->app1_exif->len);
	if (o->xmp)
		jpeg_write_marker(&c, JPEG_APP0 + 1, (const JOCTET *)xmp,
		    sizeof(xmp) - 1);
	if (o->comment)
		jpeg_write_marker(&c, JPEG_COM, (const JOCTET *)COMMENT,
		    strlen(COMMENT));
	row = malloc((size_t)w * 4);
	while (c.next_scanline < h) {
		const uint8_t *s = pix + (size_t)c.next_scanline * w * 3;

		for (x = 0; x < w; x++) {
			if (o->gray)
				row[x] = s[x * 3 + 1];
			else if (o->cmyk) {
				/* Adobe's inverted CMYK: stored RGB, K 255. */
				memcpy(row + x * 4, s + x * 3, 3);
				row[x * 4 + 3] = 255;
			} else
				memcpy(row + x * 3, s + x * 3, 3);
		}
		jpeg_write_scanlines(&c, &row, 1);
	}
	free(row);
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	blob_add(&b, out, outlen);
	free(out);
	return b;
}

static uint8_t *
dec_jpeg(const uint8_t *p, size_t n, uint32_t *w, uint32_t *h)
{
	struct jpeg_decompress_struct d;
	struct jpeg_error_mgr e;
	uint8_t *pix, *row;

	d.err = jpeg_std_error(&e);
	jpeg_create_decompress(&d);
	jpeg_mem_src(&d, p, n);
	assert_int_equal(jpeg_read_header(&d, TRUE), JPEG_HEADER_OK);
	d.out_color_space = JCS_RGB;
	jpeg_start_decompress(&d);
	*w = d.output_width;
	*h = d.output_height;
	pix = malloc((size_t)*w * *h * 3);
	while (d.output_scanline < d.output_height) {
		row = pix + (size_t)d.output_scanline * *w * 3;
		jpeg_read_scanlines(&d, &row, 1);
	}
	assert_int_equal(e.num_warnings, 0);
	jpeg_finish_decompress(&d);
	jpeg_destroy_decompress(&d);
	return pix;
}

/*
 * An EXIF APP1 payload: IFD0 with Make, Orientation and a GPS IFD
 * pointer; the GPS IFD with latitude and a processing method; IFD1 with
 * a JPEG thumbnail.  Little-endian.
 */
static struct blob
make_exif(int orientation, const struct blob *thumb)
{
	static const uint8_t method[] = "ASCII\0\0\0GPS-FIX";
	struct blob b = { 0 };
	uint32_t gps_ifd, ifd1, data, t_off;

	blob_add(&b, "Exif\0\0", 6);
	/* TIFF offsets count from here (6). */
	blob_add(&b, "II*\0", 4);
	blob_le32(&b, 8);
	/* IFD0 at 8: 3 entries, 2 + 36 + 4 = 42 bytes. */
	gps_ifd = 8 + 42;
	/* GPS IFD: 3 entries = 42 bytes, then its data. */
	ifd1 = gps_ifd + 42;
	/* IFD1: 2 entries = 30 bytes. */
	data = ifd1 + 30;
	blob_le16(&b, 3);
	blob_le16(&b, 0x010f), blob_le16(&b, 2), blob_le32(&b, 4);
	blob_add(&b, "Cam", 4);
	blob_le16(&b, 0x0112), blob_le16(&b, 3), blob_le32(&b, 1);
	blob_le16(&b, (uint32_t)orientation), blob_le16(&b, 0);
	blob_le16(&b, 0x8825), blob_le16(&b, 4), blob_le32(&b, 1);
	blob_le32(&b, gps_ifd);
	blob_le32(&b, ifd1);
	/* GPS IFD. */
	blob_le16(&b, 3);
	blob_le16(&b, 0x0001), blob_le16(&b, 2), blob_le32(&b, 2);
	blob_add(&b, "N\0\0\0", 4);
	blob_le16(&b, 0x0002), blob_le16(&b, 5), blob_le32(&b, 3);
	blob_le32(&b, data);
	blob_le16(&b, 0x001b), blob_le16(&b, 7);
	blob_le32(&b, sizeof(method) - 1);
	blob_le32(&b, data + 24);
	blob_le32(&b, 0);
	/* IFD1: the thumbnail. */
	t_off = data + 24 + (uint32_t)sizeof(method) - 1;
	blob_le16(&b, 2);
	blob_le16(&b, 0x0201), blob_le16(&b, 4), blob_le32(&b, 1);
	blob_le32(&b, t_off);
	blob_le16(&b, 0x0202), blob_le16(&b, 4), blob_le32(&b, 1);
	blob_le32(&b, (uint32_t)thumb->len);
	blob_le32(&b, 0);
	/* Data: 52/1 22/1 1234/100, the method, the thumbnail. */
	blob_le32(&b, 52), blob_le32(&b, 1), blob_le32(&b, 22);
	blob_le32(&b, 1), blob_le32(&b, 1234), blob_le32(&b, 100);
	blob_add(&b, method, sizeof(method) - 1);
	blob_add(&b, thumb->p, thumb->len);
	return b;
}

/* WebP. */
static struct blob
enc_webp(const uint8_t *pix, uint32_t w, uint32_t h, unsigned ch,
    bool lossless)
{
	struct blob b = { 0 };
	uint8_t *out = NULL;
	size_t n;

	if (lossless)
		n = ch == 4 ? WebPEncodeLosslessRGBA(pix, (int)w, (int)h,
		                  (int)w * 4, &out)
		            : WebPEncodeLosslessRGB(pix, (int)w, (int)h,
		                  (int)w * 3, &out);
	else
		n = ch == 4 ? WebPEncodeRGBA(pix, (int)w, (int)h, (int)w * 4, 90,
		                  &out)
		            : WebPEncodeRGB(pix, (int)w, (int)h, (int)w * 3, 90,
		                  &out);
	assert_true(n > 0);
	blob_add(&b, out, n);
	WebPFree(out);
	return b;
}

static void
riff_chunk(struct blob *b, const char *id, const void *p, size_t n)
{
	blob_add(b, id, 4);
	blob_le32(b, (uint32_t)n);
	blob_add(b, p, n);
	if (n & 1)
		blob_add(b, "", 1);
}

/* Rewraps a simple WebP as VP8X with ICCP, EXIF and XMP chunks. */
static struct blob
webp_extended(const struct blob *simple, uint32_t w, uint32_t h, bool alpha,
    bool anim)
{
	static const char xmp[] = "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">"
	                          "http://ns.adobe.com/xap/1.0/</x:xmpmeta>";
	static const char exif[] = "II*\0\x08\0\0\0GPS " COMMENT;
	static const char iccp[] = "ICC-profile-bytes";
	struct blob b = { 0 }, body = { 0 };
	uint8_t vp8x[10] = { 0 };

	vp8x[0] = 0x20 | 0x08 | 0x04 | (alpha ? 0x10 : 0) | (anim ? 0x02 : 0);
	vp8x[4] = (w - 1) & 0xff, vp8x[5] = (w - 1) >> 8;
	vp8x[7] = (h - 1) & 0xff, vp8x[8] = (h - 1) >> 8;
	blob_add(&body, "WEBP", 4);
	riff_chunk(&body, "VP8X", vp8x, sizeof(vp8x));
	riff_chunk(&body, "ICCP", iccp, sizeof(iccp) - 1);
	if (anim) {
		struct blob f = { 0 };
		uint8_t anim_hdr[6] = { 0 }, fr[16] = { 0 };

		riff_chunk(&body, "ANIM", anim_hdr, sizeof(anim_hdr));
		fr[6] = (w - 1) & 0xff, fr[7] = (w - 1) >> 8;
		fr[9] = (h - 1) & 0xff, fr[10] = (h - 1) >> 8;
		fr[12] = 100;
		blob_add(&f, fr, sizeof(fr));
		blob_add(&f, simple->p + 12, simple->len - 12);
		riff_chunk(&body, "ANMF", f.p, f.len);
		blob_free(&f);
	} else
		blob_add(&body, simple->p + 12, simple->len - 12);
	riff_chunk(&body, "EXIF", exif, sizeof(exif) - 1);
	riff_chunk(&body, "XMP ", xmp, sizeof(xmp) - 1);
	blob_add(&b, "RIFF", 4);
	blob_le32(&b, (uint32_t)body.len);
	blob_add(&b, body.p, body.len);
	blob_free(&body);
	return b;
}

/* Assertions on outputs. */
static void
assert_no_meta(const struct img_clean *c)
{
	static const char *const bad[] = { "Exif", "EXIF", "GPS",
		"http://ns.adobe.com/xap", "xmpmeta", "XMP", "tEXt", "iTXt",
		"zTXt", "eXIf", "iCCP", "ICCP", "tIME", "PK\x03\x04", "%PDF",
		COMMENT, "Cam" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (memmem(c->data, c->len, bad[i], strlen(bad[i])) != NULL)
			fail_msg("output holds \"%s\"", bad[i]);
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[1] << 8 | p[0];
}

/* IHDR, IDAT..., IEND and not one byte more. */
static void
assert_png_clean(const struct img_clean *c)
{
	size_t off = 8, n;

	assert_int_equal(c->type, IMG_PNG);
	assert_memory_equal(c->data, "\x89PNG\r\n\x1a\n", 8);
	for (;;) {
		assert_true(off + 12 <= c->len);
		n = be32(c->data + off);
		if (memcmp(c->data + off + 4, "IHDR", 4) != 0 &&
		    memcmp(c->data + off + 4, "IDAT", 4) != 0 &&
		    memcmp(c->data + off + 4, "IEND", 4) != 0)
			fail_msg("chunk %.4s", (const char *)c->data + off + 4);
		off += 12 + n;
		if (memcmp(c->data + off - n - 8, "IEND", 4) == 0)
			break;
	}
	assert_int_equal(off, c->len);
}

/* SOI, a 16-byte JFIF APP0 (no thumbnail), tables, one frame, EOI. */
static void
assert_jpeg_clean(const struct img_clean *c)
{
	size_t off = 2, n;
	uint8_t m;

	assert_int_equal(c->type, IMG_JPEG);
	assert_memory_equal(c->data, "\xff\xd8", 2);
	for (;;) {
		assert_true(off + 4 <= c->len);
		assert_int_equal(c->data[off], 0xff);
		m = c->data[off + 1];
		n = (size_t)c->data[off + 2] << 8 | c->data[off + 3];
		if (m == 0xe0) {
			assert_int_equal(n, 16);
			assert_memory_equal(c->data + off + 4, "JFIF\0", 5);
			assert_int_equal(c->data[off + 16], 0); /* no thumb */
			assert_int_equal(c->data[off + 17], 0);
		} else if (m != 0xdb && m != 0xc4 && m != 0xc0 && m != 0xda)
			fail_msg("marker 0x%02x", m);
		off += 2 + n;
		if (m == 0xda)
			break;
	}
	assert_memory_equal(c->data + c->len - 2, "\xff\xd9", 2);
	assert_null(memmem(c->data + 2, c->len - 2, "\xff\xd8", 2));
}

/* RIFF WEBP of VP8 or VP8L (VP8X only for alpha), nothing after it. */
static void
assert_webp_clean(const struct img_clean *c, bool lossless)
{
	size_t off = 12, n;
	const uint8_t *id;

	assert_int_equal(c->type, IMG_WEBP);
	assert_memory_equal(c->data, "RIFF", 4);
	assert_memory_equal(c->data + 8, "WEBP", 4);
	assert_int_equal(le32(c->data + 4), c->len - 8);
	while (off < c->len) {
		assert_true(off + 8 <= c->len);
		id = c->data + off;
		n = le32(c->data + off + 4);
		if (memcmp(id, "VP8X", 4) == 0)
			assert_int_equal(c->data[off + 8] & ~0x10, 0);
		else if (memcmp(id, lossless ? "VP8L" : "VP8 ", 4) != 0 &&
		    memcmp(id, "ALPH", 4) != 0)
			fail_msg("chunk %.4s", (const char *)id);
		off += 8 + n + (n & 1);
	}
	assert_int_equal(off, c->len);
}

static double
mean_abs_diff(const uint8_t *a, const uint8_t *b, size_t n)
{
	double s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s += abs((int)a[i] - (int)b[i]);
	return s / (double)n;
}

static struct img_clean
sanitise_ok(const struct blob *in)
{
	struct img_clean c;
	enum img_err err = IMG_E_INTERNAL;

	if (img_sanitise(in->p, in->len, NULL, &c, &err) != 0)
		fail_msg("img_sanitise: %s", img_err_name(err));
	assert_int_equal(err, IMG_OK);
	assert_non_null(c.data);
	return c;
}

static void
assert_err(const struct blob *in, const struct img_limits *lim,
    enum img_err want)
{
	struct img_clean c;
	enum img_err err = IMG_OK;

	assert_int_equal(img_sanitise(in->p, in->len, lim, &c, &err), -1);
	if (err != want)
		fail_msg("got %s, want %s", img_err_name(err),
		    img_err_name(want));
	assert_null(c.data);
	assert_int_equal(c.len, 0);
}

/* The hash is checked with OpenSSL, not with img.c's libsodium. */
static void
assert_sha256(const struct img_clean *c)
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	assert_true(EVP_Digest(c->data, c->len, h, &n, EVP_sha256(), NULL));
	assert_int_equal(n, 32);
	assert_memory_equal(h, c->sha256, 32);
}

/* Tests. */
static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(img_err_name(IMG_OK), "ok");
	assert_string_equal(img_err_name(IMG_E_TYPE), "type");
	assert_string_equal(img_err_name(IMG_E_TOO_BIG), "too_big");
	assert_string_equal(img_err_name(IMG_E_PIXELS), "pixels");
	assert_string_equal(img_err_name(IMG_E_CORRUPT), "corrupt");
	assert_string_equal(img_err_name(IMG_E_NOMEM), "nomem");
	assert_string_equal(img_err_name(IMG_E_INTERNAL), "internal");
	assert_string_equal(img_err_name((enum img_err)99), "unknown");
	assert_string_equal(img_type_mime(IMG_PNG), "image/png");
	assert_string_equal(img_type_mime(IMG_JPEG), "image/jpeg");
	assert_string_equal(img_type_mime(IMG_WEBP), "image/webp");
	assert_null(img_type_mime((enum img_type)0));
	assert_int_equal(img_phash_distance(0, ~0ULL), 64);
	assert_int_equal(img_phash_distance(5, 6), 2);
	img_clean_free(NULL);
}
