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

#include "img.h"

#define COMMENT  "tipster-comment-7f3a"
/* The start and end records of a ZIP, enough for a polyglot. */
#define ZIP_TAIL "PK\x03\x04\x14\0\0\0\0\0secret.txtPK\x05\x06"

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

/* zlib's CRC-32 and a zlib stream of stored blocks, without zlib. */
static uint32_t
crc32_of(uint32_t crc, const void *p, size_t n)
{
	const uint8_t *b = p;
	int k;

	crc = ~crc;
	while (n-- > 0) {
		crc ^= *b++;
		for (k = 0; k < 8; k++)
			crc = crc >> 1 ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

static void
zlib_stored(struct blob *b, const uint8_t *p, size_t n)
{
	uint32_t s1 = 1, s2 = 0;
	size_t i, k;

	blob_add(b, "\x78\x01", 2);
	do {
		k = n > 65535 ? 65535 : n;
		blob_add(b, n == k ? "\x01" : "\x00", 1);
		blob_le16(b, (uint32_t)k);
		blob_le16(b, (uint32_t)~k & 0xffff);
		blob_add(b, p, k);
		for (i = 0; i < k; i++) {
			s1 = (s1 + p[i]) % 65521;
			s2 = (s2 + s1) % 65521;
		}
		p += k;
		n -= k;
	} while (n > 0);
	blob_be32(b, s2 << 16 | s1);
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
						d = p +
						    ((size_t)y * w + x) * ch;
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

/*
 * A photograph-like picture: smooth colour ramps with noise, which the
 * sanitiser's PNG encoder filters with SUB rather than NONE.
 */
static uint8_t *
photo(uint32_t w, uint32_t h, unsigned ch, uint32_t seed)
{
	uint8_t *p = malloc((size_t)w * h * ch), *d;
	uint32_t x, y;
	unsigned k;

	assert_non_null(p);
	rng_state = seed * 2654435761u + 1;
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			d = p + ((size_t)y * w + x) * ch;
			for (k = 0; k < 3; k++)
				d[k] =
				    (uint8_t)((x * (k + 1) + y * (3 - k)) / 4 +
				              rng() % 9);
			if (ch == 4)
				d[3] = (uint8_t)(128 + rng() % 128);
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
	crc = crc32_of(0, type, 4);
	crc = crc32_of(crc, data, n);
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
	bool s422; /* with subsample: 4:2:2 rather than 4:2:0 */
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
	c.in_color_space = o->gray   ? JCS_GRAYSCALE
	                   : o->cmyk ? JCS_CMYK
	                             : JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, o->quality, TRUE);
	if (!o->subsample)
		for (i = 0; i < c.num_components; i++)
			c.comp_info[i].h_samp_factor =
			    c.comp_info[i].v_samp_factor = 1;
	else if (o->s422)
		c.comp_info[0].v_samp_factor = 1;
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

/* WebP; lossless keeps the RGB under transparent pixels (exact). */
static int
webp_wr(const uint8_t *data, size_t n, const WebPPicture *pic)
{
	blob_add(pic->custom_ptr, data, n);
	return 1;
}

static struct blob
enc_webp(const uint8_t *pix, uint32_t w, uint32_t h, unsigned ch, bool lossless)
{
	struct blob b = { 0 };
	WebPConfig cfg;
	WebPPicture pic;

	assert_true(WebPConfigInit(&cfg));
	assert_true(WebPPictureInit(&pic));
	cfg.lossless = lossless;
	cfg.exact = lossless;
	cfg.quality = 90;
	pic.use_argb = 1;
	pic.width = (int)w;
	pic.height = (int)h;
	pic.writer = webp_wr;
	pic.custom_ptr = &b;
	assert_true(ch == 4 ? WebPPictureImportRGBA(&pic, pix, (int)w * 4)
	                    : WebPPictureImportRGB(&pic, pix, (int)w * 3));
	assert_true(WebPEncode(&cfg, &pic));
	WebPPictureFree(&pic);
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
	assert_string_equal(img_err_name(IMG_E_SPARSE), "sparse");
	assert_string_equal(img_err_name(IMG_E_TIP_PIXELS), "tip_pixels");
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

static void
test_exif_orientation(void **state)
{
	static const uint8_t be[] = { 'M', 'M', 0, 42, 0, 0, 0, 8, 0, 2, 0x01,
		0x0f, 0, 2, 0, 0, 0, 2, 'X', 0, 0, 0, 0x01, 0x12, 0, 3, 0, 0, 0,
		1, 0, 8, 0, 0, 0, 0, 0, 0 };
	struct blob thumb = { 0 }, e;
	uint8_t bad[sizeof(be)];
	size_t n;
	int o;

	(void)state;
	blob_add(&thumb, "\xff\xd8\xff\xd9", 4);
	for (o = 1; o <= 8; o++) {
		e = make_exif(o, &thumb);
		assert_int_equal(img_exif_orientation(e.p, e.len), o);
		/* Bare TIFF, as in a WebP EXIF chunk or PNG eXIf. */
		assert_int_equal(img_exif_orientation(e.p + 6, e.len - 6), o);
		/* Every truncation is safe and never invents a value. */
		for (n = 0; n < e.len; n++) {
			int r = img_exif_orientation(e.p, n);

			assert_true(r == 1 || r == o);
		}
		blob_free(&e);
	}
	assert_int_equal(img_exif_orientation(be, sizeof(be)), 8);
	memcpy(bad, be, sizeof(be));
	bad[31] = 9; /* out of range */
	assert_int_equal(img_exif_orientation(bad, sizeof(bad)), 1);
	memcpy(bad, be, sizeof(be));
	bad[25] = 4; /* LONG instead of SHORT */
	assert_int_equal(img_exif_orientation(bad, sizeof(bad)), 1);
	memcpy(bad, be, sizeof(be));
	bad[29] = 2; /* count 2 */
	assert_int_equal(img_exif_orientation(bad, sizeof(bad)), 1);
	memcpy(bad, be, sizeof(be));
	bad[7] = 0xf0; /* IFD0 outside */
	assert_int_equal(img_exif_orientation(bad, sizeof(bad)), 1);
	memcpy(bad, be, sizeof(be));
	bad[8] = 0xff, bad[9] = 0xff; /* 65535 entries, none of them it */
	bad[23] = 0x13;
	assert_int_equal(img_exif_orientation(bad, sizeof(bad)), 1);
	memcpy(bad, be, sizeof(be));
	bad[3] = 43;
	assert_int_equal(img_exif_orientation(bad, sizeof(bad)), 1);
	assert_int_equal(img_exif_orientation(NULL, 0), 1);
	assert_int_equal(img_exif_orientation((const uint8_t *)"Exif\0\0", 6),
	    1);
	blob_free(&thumb);
}

static void
check_png_exact(const struct blob *in, const uint8_t *want, uint32_t w,
    uint32_t h, unsigned ch)
{
	struct img_clean c = sanitise_ok(in);
	uint32_t ow, oh;
	unsigned och;
	uint8_t *pix;

	assert_png_clean(&c);
	assert_no_meta(&c);
	assert_sha256(&c);
	assert_int_equal(c.width, w);
	assert_int_equal(c.height, h);
	pix = dec_png(c.data, c.len, &ow, &oh, &och);
	assert_int_equal(ow, w);
	assert_int_equal(oh, h);
	assert_int_equal(och, ch);
	assert_memory_equal(pix, want, (size_t)w * h * ch);
	free(pix);
	img_clean_free(&c);
	assert_null(c.data);
	img_clean_free(&c); /* twice is harmless */
}

static void
test_png_roundtrip(void **state)
{
	uint8_t *rgb = shot(200, 300, 3, 1), *rgba = shot(120, 90, 4, 2);
	struct blob b;

	(void)state;
	b = enc_png(rgb, 200, 300, 3);
	check_png_exact(&b, rgb, 200, 300, 3);
	blob_free(&b);
	b = enc_png(rgba, 120, 90, 4);
	check_png_exact(&b, rgba, 120, 90, 4);
	blob_free(&b);
	b = enc_png_raw(rgb, 200, 300, PNG_COLOR_TYPE_RGB, 8,
	    PNG_INTERLACE_ADAM7, NULL, 0, NULL, 0);
	check_png_exact(&b, rgb, 200, 300, 3);
	blob_free(&b);
	free(rgb);
	free(rgba);
}

/* 16-bit, gray, gray+alpha and palette+tRNS come out as 8-bit RGB(A). */
static void
test_png_formats(void **state)
{
	static const png_color plte[4] = { { 255, 255, 255 }, { 20, 20, 40 },
		{ 200, 0, 0 }, { 0, 0, 255 } };
	static const uint8_t trns[1] = { 0 };
	uint32_t w = 61, h = 37, x, y, i;
	uint8_t *raw = malloc((size_t)w * h * 6), *want;
	struct blob b;

	(void)state;
	want = malloc((size_t)w * h * 4);
	/* 16-bit RGB, v * 257 scales back to exactly v. */
	for (i = 0; i < w * h * 3; i++) {
		uint32_t v = (i * 7) & 0xff;

		raw[i * 2] = (uint8_t)(v * 257),
		        raw[i * 2 + 1] = (v * 257) >> 8;
		want[i] = (uint8_t)v;
	}
	b = enc_png_raw(raw, w, h, PNG_COLOR_TYPE_RGB, 16, PNG_INTERLACE_NONE,
	    NULL, 0, NULL, 0);
	check_png_exact(&b, want, w, h, 3);
	blob_free(&b);
	/* Gray. */
	for (i = 0; i < w * h; i++) {
		raw[i] = (uint8_t)(i * 13);
		want[i * 3] = want[i * 3 + 1] = want[i * 3 + 2] = raw[i];
	}
	b = enc_png_raw(raw, w, h, PNG_COLOR_TYPE_GRAY, 8, PNG_INTERLACE_NONE,
	    NULL, 0, NULL, 0);
	check_png_exact(&b, want, w, h, 3);
	blob_free(&b);
	/* Gray + alpha. */
	for (i = 0; i < w * h; i++) {
		raw[i * 2] = (uint8_t)(i * 13), raw[i * 2 + 1] = (uint8_t)i;
		want[i * 4] = want[i * 4 + 1] = want[i * 4 + 2] = raw[i * 2];
		want[i * 4 + 3] = (uint8_t)i;
	}
	b = enc_png_raw(raw, w, h, PNG_COLOR_TYPE_GRAY_ALPHA, 8,
	    PNG_INTERLACE_NONE, NULL, 0, NULL, 0);
	check_png_exact(&b, want, w, h, 4);
	blob_free(&b);
	/* Palette with a transparent entry, 2 bits a pixel, interlaced. */
	memset(raw, 0, (size_t)w * h);
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			uint8_t k = (uint8_t)((x / 4 + y / 3) % 4);

			raw[y * ((w * 2 + 7) / 8) + x / 4] |=
			    (uint8_t)(k << (6 - 2 * (x % 4)));
			i = y * w + x;
			want[i * 4] = plte[k].red,
			         want[i * 4 + 1] = plte[k].green;
			want[i * 4 + 2] = plte[k].blue;
			want[i * 4 + 3] = k == 0 ? 0 : 255;
		}
	b = enc_png_raw(raw, w, h, PNG_COLOR_TYPE_PALETTE, 2,
	    PNG_INTERLACE_ADAM7, plte, 4, trns, 1);
	check_png_exact(&b, want, w, h, 4);
	blob_free(&b);
	free(raw);
	free(want);
}

static struct blob
png_with_chunks(const uint8_t *pix, uint32_t w, uint32_t h)
{
	static const uint8_t time[7] = { 0x07, 0xe8, 5, 17, 13, 37, 0 };
	static const char text[] = "Comment\0" COMMENT;
	static const char itxt[] = "XML:com.adobe.xmp\0\0\0\0\0"
	                           "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">"
	                           "http://ns.adobe.com/xap/1.0/</x:xmpmeta>";
	static const char exif[] = "MM\0*\0\0\0\x08\0\0GPS";
	struct blob b = enc_png(pix, w, h, 3), z = { 0 };

	png_insert(&b, "tEXt", text, sizeof(text) - 1);
	png_insert(&b, "tIME", time, sizeof(time));
	png_insert(&b, "eXIf", exif, sizeof(exif) - 1);
	png_insert(&b, "iTXt", itxt, sizeof(itxt) - 1);
	/* zTXt and iCCP: a keyword, a method byte, then zlib data. */
	blob_add(&z, "Author\0\0", 8);
	zlib_stored(&z, (const uint8_t *)"GPS 52.37N", 10);
	png_insert(&b, "zTXt", z.p, z.len);
	blob_free(&z);
	blob_add(&z, "Display P3\0\0", 12);
	zlib_stored(&z, (const uint8_t *)"GPS 52.37N", 10);
	png_insert(&b, "iCCP", z.p, z.len);
	blob_free(&z);
	return b;
}

static void
test_png_metadata(void **state)
{
	uint8_t *rgb = shot(160, 240, 3, 3);
	struct blob b = png_with_chunks(rgb, 160, 240);

	(void)state;
	assert_non_null(memmem(b.p, b.len, "zTXt", 4));
	check_png_exact(&b, rgb, 160, 240, 3);
	/* Polyglot: a ZIP after IEND is dropped. */
	blob_add(&b, ZIP_TAIL, sizeof(ZIP_TAIL) - 1);
	check_png_exact(&b, rgb, 160, 240, 3);
	blob_free(&b);
	free(rgb);
}

static struct blob
png_bomb(uint32_t w, uint32_t h)
{
	struct blob b = { 0 }, z = { 0 };
	uint8_t ihdr[13], rows[4096] = { 0 };

	/* Header of a huge image, then the start of its zero rows. */
	ihdr[0] = w >> 24, ihdr[1] = w >> 16, ihdr[2] = w >> 8, ihdr[3] = w;
	ihdr[4] = h >> 24, ihdr[5] = h >> 16, ihdr[6] = h >> 8, ihdr[7] = h;
	ihdr[8] = 8, ihdr[9] = 2, ihdr[10] = ihdr[11] = ihdr[12] = 0;
	zlib_stored(&z, rows, sizeof(rows));
	blob_add(&b, "\x89PNG\r\n\x1a\n", 8);
	blob_be32(&b, 13);
	blob_add(&b, "IHDR", 4);
	blob_add(&b, ihdr, 13);
	blob_be32(&b, crc32_of(crc32_of(0, "IHDR", 4), ihdr, 13));
	blob_be32(&b, (uint32_t)z.len);
	blob_add(&b, "IDAT", 4);
	blob_add(&b, z.p, z.len);
	blob_be32(&b, crc32_of(crc32_of(0, "IDAT", 4), z.p, z.len));
	blob_add(&b, "\0\0\0\0IEND\xae\x42\x60\x82", 12);
	blob_free(&z);
	return b;
}

static void
test_png_bomb(void **state)
{
	struct img_limits lim = { 10 << 20, 4000000 };
	struct blob b = png_bomb(30000, 30000);
	clock_t t0 = clock();

	(void)state;
	assert_true(b.len < 20000);
	assert_err(&b, NULL, IMG_E_PIXELS);
	assert_err(&b, &lim, IMG_E_PIXELS);
	/* Only a header was read: no 2.7 GB buffer, no decoding. */
	assert_true(clock() - t0 < CLOCKS_PER_SEC / 2);
	blob_free(&b);
	/* Under the limit it is decoded, and found short. */
	b = png_bomb(1000, 1000);
	assert_err(&b, &lim, IMG_E_CORRUPT);
	blob_free(&b);
}

/* A PNG of zero rows as zlib's best level writes it: what was sent. */
static struct blob
png_zeros(uint32_t w, uint32_t h, int ctype)
{
	struct blob b = { 0 };
	png_structp png;
	png_infop info;
	uint8_t *row;
	uint32_t y;

	row = calloc(w, 3);
	assert_non_null(row);
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	info = png_create_info_struct(png);
	assert_non_null(info);
	if (setjmp(png_jmpbuf(png)))
		fail_msg("libpng write failed");
	png_set_write_fn(png, &b, png_wr, png_fl);
	png_set_compression_level(png, 9);
	png_set_IHDR(png, info, w, h, 8, ctype, PNG_INTERLACE_NONE,
	    PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (y = 0; y < h; y++)
		png_write_row(png, row);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	free(row);
	return b;
}

static void
assert_probe_err(const struct blob *in, const struct img_limits *lim,
    enum img_err want)
{
	struct img_info info;
	enum img_err err = IMG_OK;

	assert_int_equal(img_probe(in->p, in->len, lim, &info, &err), -1);
	if (err != want)
		fail_msg("probe: got %s, want %s", img_err_name(err),
		    img_err_name(want));
	assert_int_equal(info.width, 0);
	assert_int_equal(info.height, 0);
}

static void
test_sparse_rule(void **state)
{
	const uint64_t min = IMG_SPARSE_MIN_PIXELS;
	const uint64_t per = IMG_SPARSE_PIXELS_PER_BYTE;

	(void)state;
	/* Up to the pixel count, any size goes. */
	assert_false(img_sparse(1, min));
	/* Above it, a byte per IMG_SPARSE_PIXELS_PER_BYTE pixels at least. */
	assert_true(img_sparse((min + per) / per - 1, min + per));
	assert_false(img_sparse((min + per) / per, min + per));
	/* The bomb that was sent: 39 KB for 6000 x 6666. */
	assert_true(img_sparse(39 * 1024, 6000ULL * 6666));
	/* A nearly blank 1080 x 20000 RGB PNG (bench/img_ratio.py): 90 KB. */
	assert_false(img_sparse(90 * 1024, 1080ULL * 20000));
}

/* The bomb that was sent: 6000 x 6666 grey zeros, 39 KB.  Under the pixel
 * limit, refused for its size before any row is decoded. */
static void
test_png_sparse_bomb(void **state)
{
	struct blob b = png_zeros(6000, 6666, PNG_COLOR_TYPE_GRAY);
	struct img_clean c;

	(void)state;
	assert_true(b.len < 40 * 1024);
	assert_true(6000ULL * 6666 <= IMG_DEFAULT_MAX_PIXELS);
	assert_probe_err(&b, NULL, IMG_E_SPARSE);
	assert_err(&b, NULL, IMG_E_SPARSE);
	blob_free(&b);
	/* Just under the pixel count the rule starts at, it is decoded. */
	b = png_zeros(2000, IMG_SPARSE_MIN_PIXELS / 2000, PNG_COLOR_TYPE_GRAY);
	assert_true(img_sparse(b.len, IMG_SPARSE_MIN_PIXELS + 1));
	c = sanitise_ok(&b);
	img_clean_free(&c);
	blob_free(&b);
}

/* A lossless WebP of nothing is a bomb too: a few hundred bytes. */
static void
test_webp_sparse_bomb(void **state)
{
	uint8_t *pix = calloc(3000 * 3000, 3);
	struct blob b;

	(void)state;
	assert_non_null(pix);
	b = enc_webp(pix, 3000, 3000, 3, true);
	assert_true(b.len < 3000 * 3000 / IMG_SPARSE_PIXELS_PER_BYTE);
	assert_probe_err(&b, NULL, IMG_E_SPARSE);
	assert_err(&b, NULL, IMG_E_SPARSE);
	blob_free(&b);
	free(pix);
}

/*
 * A nearly blank long capture above the rule's pixel count, as a phone
 * saves it (RGB, zlib's default level): a status bar and a line of text
 * on white.  It compresses as well as a real screenshot ever does, and
 * passes.
 */
static void
test_png_blank_long_capture(void **state)
{
	const uint32_t w = 1080, h = 8000;
	uint8_t *pix = malloc((size_t)w * h * 3);
	struct img_clean c;
	struct img_info info;
	enum img_err err;
	struct blob b;
	uint32_t x, y;

	(void)state;
	assert_non_null(pix);
	memset(pix, 255, (size_t)w * h * 3);
	for (y = 0; y < 60; y++)
		memset(pix + (size_t)y * w * 3, 30, (size_t)w * 3);
	for (y = 200; y < 216; y++)
		for (x = 48; x < 600; x += 9)
			memset(pix + ((size_t)y * w + x) * 3, 20, 3 * 5);
	b = enc_png(pix, w, h, 3);
	assert_true((uint64_t)w * h > IMG_SPARSE_MIN_PIXELS);
	assert_int_equal(img_probe(b.p, b.len, NULL, &info, &err), 0);
	c = sanitise_ok(&b);
	img_clean_free(&c);
	blob_free(&b);
	free(pix);
}

/* The probe reads what the decoder will: type and dimensions of each
 * format, EXIF orientation not applied, and the same refusals. */
static void
test_probe(void **state)
{
	uint8_t *rgb = shot(120, 200, 3, 7);
	struct jpeg_opts jo = { .quality = 90,
		.subsample = true,
		.xmp = true,
		.comment = true };
	struct img_limits lim = { 10 << 20, 120 * 200 };
	struct blob b[3], x = { 0 }, exif;
	struct img_clean c;
	struct img_info info;
	enum img_err err;
	size_t i;

	(void)state;
	x = enc_jpeg(rgb, 16, 16, &(struct jpeg_opts){ .quality = 80 });
	exif = make_exif(6, &x);
	blob_free(&x);
	jo.app1_exif = &exif;
	b[0] = enc_png(rgb, 120, 200, 3);
	b[1] = enc_jpeg(rgb, 120, 200, &jo);
	b[2] = enc_webp(rgb, 120, 200, 3, false);
	for (i = 0; i < 3; i++) {
		assert_int_equal(img_probe(b[i].p, b[i].len, &lim, &info, &err),
		    0);
		assert_int_equal(info.type, (enum img_type)(IMG_PNG + i));
		assert_int_equal(info.width, 120);
		assert_int_equal(info.height, 200);
		/* Its count is enough of a limit for the decoder. */
		assert_int_equal(img_sanitise(b[i].p, b[i].len, &lim, &c, &err),
		    0);
		img_clean_free(&c);
		lim.max_pixels--;
		assert_probe_err(&b[i], &lim, IMG_E_PIXELS);
		assert_err(&b[i], &lim, IMG_E_PIXELS);
		lim.max_pixels++;
		lim.max_bytes = b[i].len - 1;
		assert_probe_err(&b[i], &lim, IMG_E_TOO_BIG);
		lim.max_bytes = 10 << 20;
		/* Cut before the dimensions: nothing to go by. */
		x.p = b[i].p;
		x.len = i == 1 ? 30 : 20;
		assert_probe_err(&x, NULL, i == 0 ? IMG_E_TYPE : IMG_E_CORRUPT);
	}
	/* libjpeg skips stray bytes before a marker; so does the probe. */
	x.p = NULL, x.len = 0;
	blob_add(&x, b[1].p, 2);
	blob_add(&x, "junk", 4);
	blob_add(&x, b[1].p + 2, b[1].len - 2);
	assert_int_equal(img_probe(x.p, x.len, NULL, &info, &err), 0);
	assert_int_equal(info.width, 120);
	assert_int_equal(info.height, 200);
	blob_free(&x);
	/* A scan before any frame, and no image at all. */
	blob_add(&x, "\xff\xd8\xff\xda\x00\x02", 6);
	assert_probe_err(&x, NULL, IMG_E_CORRUPT);
	blob_free(&x);
	blob_add(&x, "GIF89a\x10\x00\x10\x00", 10);
	assert_probe_err(&x, NULL, IMG_E_TYPE);
	blob_free(&x);
	assert_probe_err(&x, NULL, IMG_E_TYPE);
	for (i = 0; i < 3; i++)
		blob_free(&b[i]);
	blob_free(&exif);
	free(rgb);
}

static void
test_png_truncated(void **state)
{
	uint8_t *rgb = shot(100, 150, 3, 4);
	struct blob b = enc_png(rgb, 100, 150, 3), t = { 0 };
	size_t cuts[] = { 33, 40, 60, b.len / 2, b.len - 12, b.len - 1 };
	size_t i;

	(void)state;
	/* libmagic names no PNG without its IHDR. */
	t.p = b.p, t.len = 8;
	assert_err(&t, NULL, IMG_E_TYPE);
	for (i = 0; i < ARRAY_SIZE(cuts); i++) {
		t.p = b.p, t.len = cuts[i];
		assert_err(&t, NULL, IMG_E_CORRUPT);
	}
	/* A flipped bit in IDAT: CRC error on a critical chunk. */
	b.p[60] ^= 0x10;
	assert_err(&b, NULL, IMG_E_CORRUPT);
	blob_free(&b);
	free(rgb);
}

static size_t
png_count(const struct img_clean *c, const char *type)
{
	size_t off = 8, n, k = 0;

	while (off + 12 <= c->len) {
		n = be32(c->data + off);
		k += memcmp(c->data + off + 4, type, 4) == 0;
		off += 12 + n;
	}
	return k;
}

/* Photographs, half photograph, and several IDAT chunks, all exact. */
static void
test_png_photo(void **state)
{
	uint32_t w = 640, h = 480;
	uint8_t *rgb = photo(w, h, 3, 41), *rgba = photo(200, 150, 4, 42);
	uint8_t *mix = shot(w, h, 3, 43);
	struct img_clean c;
	struct blob b;

	(void)state;
	b = enc_png(rgb, w, h, 3);
	check_png_exact(&b, rgb, w, h, 3);
	c = sanitise_ok(&b);
	assert_true(png_count(&c, "IDAT") >= 2); /* over 256 KB */
	img_clean_free(&c);
	blob_free(&b);
	b = enc_png(rgba, 200, 150, 4);
	check_png_exact(&b, rgba, 200, 150, 4);
	blob_free(&b);
	/* Drawn above, photographed below: both filters in one stream. */
	memcpy(mix + (size_t)w * 3 * (h / 2), rgb + (size_t)w * 3 * (h / 2),
	    (size_t)w * 3 * (h - h / 2));
	b = enc_png(mix, w, h, 3);
	check_png_exact(&b, mix, w, h, 3);
	blob_free(&b);
	/* One pixel wide and one pixel high. */
	b = enc_png(rgb, 1, h, 3);
	check_png_exact(&b, rgb, 1, h, 3);
	blob_free(&b);
	b = enc_png(rgb, w, 1, 3);
	check_png_exact(&b, rgb, w, 1, 3);
	blob_free(&b);
	free(rgb);
	free(rgba);
	free(mix);
}

/* A wrong zlib Adler-32 under a right CRC: not checked, by decision. */
static void
test_png_adler(void **state)
{
	uint8_t *rgb = shot(100, 150, 3, 44), *idat, *q;
	struct blob b = enc_png(rgb, 100, 150, 3);
	uint32_t crc;
	size_t n;

	(void)state;
	idat = memmem(b.p, b.len, "IDAT", 4);
	assert_non_null(idat);
	n = be32(idat - 4);
	q = idat + 4 + n; /* its CRC; the Adler-32 ends the data */
	assert_null(memmem(q, b.len - (size_t)(q - b.p), "IDAT", 4));
	q[-1] ^= 0x01;
	crc = crc32_of(0, idat, n + 4);
	q[0] = crc >> 24, q[1] = crc >> 16, q[2] = crc >> 8, q[3] = crc;
	check_png_exact(&b, rgb, 100, 150, 3);
	blob_free(&b);
	free(rgb);
}

static void
test_jpeg_roundtrip(void **state)
{
	static const struct jpeg_opts o = { .quality = 95 };
	static const struct jpeg_opts prog = { .quality = 95,
		.progressive = true,
		.subsample = true };
	uint8_t *rgb = shot(240, 320, 3, 5), *pix;
	struct blob b = enc_jpeg(rgb, 240, 320, &o);
	struct img_clean c = sanitise_ok(&b);
	uint32_t w, h;

	(void)state;
	assert_jpeg_clean(&c);
	assert_no_meta(&c);
	assert_sha256(&c);
	assert_int_equal(c.width, 240);
	assert_int_equal(c.height, 320);
	pix = dec_jpeg(c.data, c.len, &w, &h);
	assert_int_equal(w, 240);
	assert_int_equal(h, 320);
	assert_true(mean_abs_diff(pix, rgb, (size_t)w * h * 3) < 3.0);
	free(pix);
	img_clean_free(&c);
	blob_free(&b);
	b = enc_jpeg(rgb, 240, 320, &prog);
	c = sanitise_ok(&b);
	assert_jpeg_clean(&c);
	img_clean_free(&c);
	blob_free(&b);
	free(rgb);
}

static void
test_jpeg_metadata(void **state)
{
	static const struct jpeg_opts to = { .quality = 80 };
	uint8_t *rgb = shot(200, 200, 3, 6), *small = shot(16, 16, 3, 6);
	struct blob thumb = enc_jpeg(small, 16, 16, &to);
	struct blob exif = make_exif(1, &thumb), b;
	struct jpeg_opts o = { .quality = 92,
		.app1_exif = &exif,
		.xmp = true,
		.comment = true };
	struct img_clean c;

	(void)state;
	b = enc_jpeg(rgb, 200, 200, &o);
	assert_non_null(memmem(b.p, b.len, "GPS-FIX", 7));
	assert_non_null(memmem(b.p, b.len, COMMENT, strlen(COMMENT)));
	blob_add(&b, ZIP_TAIL, sizeof(ZIP_TAIL) - 1);
	c = sanitise_ok(&b);
	assert_jpeg_clean(&c);
	assert_no_meta(&c);
	assert_int_equal(c.width, 200);
	img_clean_free(&c);
	blob_free(&b);
	blob_free(&exif);
	blob_free(&thumb);
	free(rgb);
	free(small);
}

/* Where the source's top-left (red) and top-right (green) corners land. */
enum corner {
	TL,
	TR,
	BL,
	BR
};

static void
corner_xy(enum corner k, uint32_t w, uint32_t h, uint32_t *x, uint32_t *y)
{
	*x = k == TL || k == BL ? 8 : w - 9;
	*y = k == TL || k == TR ? 8 : h - 9;
}

static bool
near(const uint8_t *p, int r, int g, int b)
{
	return abs(p[0] - r) < 40 && abs(p[1] - g) < 40 && abs(p[2] - b) < 40;
}

/*
 * Corners land where the EXIF orientation says, for 4:4:4 and 4:2:0
 * sources (turned as planes) and 4:2:2 (turned as RGB), of even and odd
 * sizes.
 */
static void
check_orientation(uint32_t sw, uint32_t sh, bool subsample, bool s422)
{
	static const enum corner red_at[9] = { 0, TL, TR, BR, BL, TL, TR, BR,
		BL };
	static const enum corner green_at[9] = { 0, TR, TL, BL, BR, BL, BR, TR,
		TL };
	static const struct jpeg_opts to = { .quality = 80 };
	uint32_t x, y, w, h, px, py;
	uint8_t *rgb = calloc(1, (size_t)sw * sh * 3), *pix, *small;
	struct blob thumb, exif, b;
	struct jpeg_opts o = { .quality = 95,
		.subsample = subsample,
		.s422 = s422 };
	struct img_clean c;
	int k;

	small = shot(16, 16, 3, 9);
	thumb = enc_jpeg(small, 16, 16, &to);
	memset(rgb, 255, (size_t)sw * sh * 3);
	for (y = 0; y < 16; y++)
		for (x = 0; x < 16; x++) {
			uint8_t *r = rgb + ((size_t)y * sw + x) * 3;
			uint8_t *g = rgb + ((size_t)y * sw + sw - 16 + x) * 3;

			r[0] = 220, r[1] = 0, r[2] = 0;
			g[0] = 0, g[1] = 200, g[2] = 0;
		}
	for (k = 1; k <= 8; k++) {
		exif = make_exif(k, &thumb);
		o.app1_exif = &exif;
		b = enc_jpeg(rgb, sw, sh, &o);
		c = sanitise_ok(&b);
		assert_jpeg_clean(&c);
		assert_no_meta(&c);
		pix = dec_jpeg(c.data, c.len, &w, &h);
		assert_int_equal(w, k >= 5 ? sh : sw);
		assert_int_equal(h, k >= 5 ? sw : sh);
		assert_int_equal(c.width, w);
		assert_int_equal(c.height, h);
		corner_xy(red_at[k], w, h, &px, &py);
		if (!near(pix + ((size_t)py * w + px) * 3, 220, 0, 0))
			fail_msg("%ux%u orientation %d: no red at %u,%u", sw,
			    sh, k, px, py);
		corner_xy(green_at[k], w, h, &px, &py);
		if (!near(pix + ((size_t)py * w + px) * 3, 0, 200, 0))
			fail_msg("%ux%u orientation %d: no green at %u,%u", sw,
			    sh, k, px, py);
		free(pix);
		img_clean_free(&c);
		blob_free(&b);
		blob_free(&exif);
	}
	blob_free(&thumb);
	free(small);
	free(rgb);
}

static void
test_jpeg_orientation(void **state)
{
	(void)state;
	check_orientation(96, 48, false, false);
	check_orientation(96, 48, true, false);
	check_orientation(97, 51, true, false);
	check_orientation(97, 51, false, false);
	check_orientation(97, 51, true, true);
}

/* The sampling factors of the frame's components, as 0xHV. */
static void
jpeg_sampling(const struct img_clean *c, uint8_t f[3], int *n)
{
	uint8_t *sof = memmem(c->data, c->len, "\xff\xc0", 2);
	int i;

	assert_non_null(sof);
	*n = sof[9];
	for (i = 0; i < *n && i < 3; i++)
		f[i] = sof[10 + 3 * i + 1];
}

/*
 * 4:2:0 stays 4:2:0 (from the decoder's planes), 4:4:4 stays 4:4:4,
 * 4:2:2 becomes 4:4:4 (through RGB); all close to the source's pixels.
 */
static void
test_jpeg_sampling(void **state)
{
	static const struct jpeg_opts s420 = { .quality = 90,
		.subsample = true };
	static const struct jpeg_opts s422 = { .quality = 90,
		.subsample = true,
		.s422 = true };
	static const struct jpeg_opts s444 = { .quality = 90 };
	static const struct jpeg_opts prog = { .quality = 90,
		.subsample = true,
		.progressive = true };
	const struct {
		const struct jpeg_opts *o;
		uint8_t y;
	} v[] = { { &s420, 0x22 }, { &s422, 0x11 }, { &s444, 0x11 },
		{ &prog, 0x22 } };
	uint32_t sw = 251, sh = 181, w, h;
	uint8_t *rgb = photo(sw, sh, 3, 45), *src, *pix, f[3];
	struct img_clean c;
	struct blob b;
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(v); i++) {
		b = enc_jpeg(rgb, sw, sh, v[i].o);
		c = sanitise_ok(&b);
		assert_jpeg_clean(&c);
		jpeg_sampling(&c, f, &n);
		assert_int_equal(n, 3);
		assert_int_equal(f[0], v[i].y);
		assert_int_equal(f[1], 0x11);
		assert_int_equal(f[2], 0x11);
		src = dec_jpeg(b.p, b.len, &w, &h);
		pix = dec_jpeg(c.data, c.len, &w, &h);
		assert_int_equal(w, sw);
		assert_int_equal(h, sh);
		if (mean_abs_diff(pix, src, (size_t)w * h * 3) > 1.5)
			fail_msg("variant %zu: %.2f from the source", i,
			    mean_abs_diff(pix, src, (size_t)w * h * 3));
		free(src);
		free(pix);
		img_clean_free(&c);
		blob_free(&b);
	}
	free(rgb);
}

/*
 * One gray plane as libjpeg's raw data, whole 8 x 8 blocks: the picture
 * is val, the padding beyond it (never shown) is pad.
 */
static struct blob
enc_gray_padded(uint32_t w, uint32_t h, uint8_t val, uint8_t pad)
{
	size_t stride = (w + 7) / 8 * 8, rows = (h + 7) / 8 * 8;
	uint8_t *plane = malloc(stride * rows);
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr e;
	unsigned char *out = NULL;
	unsigned long outlen = 0;
	struct blob b = { 0 };
	JSAMPROW rp[8];
	JSAMPARRAY planes[1] = { rp };
	uint32_t y, k;

	assert_non_null(plane);
	memset(plane, pad, stride * rows);
	for (y = 0; y < h; y++)
		memset(plane + y * stride, val, w);
	c.err = jpeg_std_error(&e);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &out, &outlen);
	c.image_width = w;
	c.image_height = h;
	c.input_components = 1;
	c.in_color_space = JCS_GRAYSCALE;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, 95, TRUE);
	c.raw_data_in = TRUE;
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < h) {
		for (k = 0; k < 8; k++)
			rp[k] = plane + (c.next_scanline + k) * stride;
		jpeg_write_raw_data(&c, planes, 8);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	blob_add(&b, out, outlen);
	free(out);
	free(plane);
	return b;
}

/* The least sample of a gray JPEG's padding, read as raw data. */
static int
gray_padding_min(const uint8_t *p, size_t n, uint32_t w, uint32_t h)
{
	struct jpeg_decompress_struct d;
	struct jpeg_error_mgr e;
	size_t stride, rows, x, y;
	uint8_t *plane;
	JSAMPROW rp[8];
	JSAMPARRAY planes[1] = { rp };
	int k, least = 255;

	d.err = jpeg_std_error(&e);
	jpeg_create_decompress(&d);
	jpeg_mem_src(&d, p, n);
	assert_int_equal(jpeg_read_header(&d, TRUE), JPEG_HEADER_OK);
	d.raw_data_out = TRUE;
	jpeg_start_decompress(&d);
	stride = d.comp_info[0].width_in_blocks * DCTSIZE;
	rows = d.total_iMCU_rows * DCTSIZE;
	plane = calloc(stride, rows);
	assert_non_null(plane);
	while (d.output_scanline < d.output_height) {
		for (k = 0; k < 8; k++)
			rp[k] = plane + (d.output_scanline + k) * stride;
		jpeg_read_raw_data(&d, planes, 8);
	}
	jpeg_finish_decompress(&d);
	jpeg_destroy_decompress(&d);
	for (y = 0; y < rows; y++)
		for (x = y < h ? w : 0; x < stride; x++)
			if (plane[y * stride + x] < least)
				least = plane[y * stride + x];
	free(plane);
	return least;
}

/* What a source hides beyond the picture's edge is not kept. */
static void
test_jpeg_padding(void **state)
{
	struct blob b = enc_gray_padded(21, 13, 200, 0);
	struct img_clean c;

	(void)state;
	assert_true(gray_padding_min(b.p, b.len, 21, 13) < 50);
	c = sanitise_ok(&b);
	assert_jpeg_clean(&c);
	assert_true(gray_padding_min(c.data, c.len, 21, 13) > 150);
	img_clean_free(&c);
	blob_free(&b);
}

static void
test_jpeg_colour_spaces(void **state)
{
	static const struct jpeg_opts gray = { .quality = 95, .gray = true };
	static const struct jpeg_opts cmyk = { .quality = 95, .cmyk = true };
	uint8_t *rgb = shot(64, 80, 3, 10), *pix, *sof;
	struct img_clean c;
	struct blob b;
	uint32_t w, h;

	(void)state;
	b = enc_jpeg(rgb, 64, 80, &gray);
	c = sanitise_ok(&b);
	assert_jpeg_clean(&c);
	sof = memmem(c.data, c.len, "\xff\xc0", 2);
	assert_non_null(sof);
	assert_int_equal(sof[9], 1); /* stays one-component */
	pix = dec_jpeg(c.data, c.len, &w, &h);
	assert_int_equal(w, 64);
	assert_int_equal(h, 80);
	free(pix);
	img_clean_free(&c);
	blob_free(&b);
	/* Adobe CMYK becomes the RGB it stands for. */
	b = enc_jpeg(rgb, 64, 80, &cmyk);
	c = sanitise_ok(&b);
	assert_jpeg_clean(&c);
	pix = dec_jpeg(c.data, c.len, &w, &h);
	assert_true(mean_abs_diff(pix, rgb, (size_t)64 * 80 * 3) < 4.0);
	free(pix);
	img_clean_free(&c);
	blob_free(&b);
	free(rgb);
}

static void
test_jpeg_bad(void **state)
{
	static const struct jpeg_opts o = { .quality = 90 };
	static const struct jpeg_opts scans = { .quality = 90,
		.many_scans = true };
	uint8_t *rgb = shot(120, 160, 3, 11);
	struct blob b = enc_jpeg(rgb, 120, 160, &o), t;
	uint8_t *sof;

	(void)state;
	t.p = b.p;
	t.len = b.len / 2;
	assert_err(&t, NULL, IMG_E_CORRUPT);
	t.len = b.len - 2; /* no EOI */
	assert_err(&t, NULL, IMG_E_CORRUPT);
	t.len = 200; /* inside the tables */
	assert_err(&t, NULL, IMG_E_CORRUPT);
	t.len = 4;
	assert_err(&t, NULL, IMG_E_CORRUPT);
	/* Garbage in the entropy-coded data. */
	memset(b.p + b.len / 2, 0xff, 64);
	assert_err(&b, NULL, IMG_E_CORRUPT);
	blob_free(&b);
	/* A header claiming 30000 x 30000. */
	b = enc_jpeg(rgb, 120, 160, &o);
	sof = memmem(b.p, b.len, "\xff\xc0", 2);
	assert_non_null(sof);
	sof[5] = 30000 >> 8, sof[6] = 30000 & 0xff;
	sof[7] = 30000 >> 8, sof[8] = 30000 & 0xff;
	assert_err(&b, NULL, IMG_E_PIXELS);
	blob_free(&b);
	/* 190 valid scans: over the scan limit. */
	b = enc_jpeg(rgb, 120, 160, &scans);
	assert_err(&b, NULL, IMG_E_CORRUPT);
	blob_free(&b);
	free(rgb);
}

static void
check_webp(const struct blob *in, const uint8_t *want, uint32_t w, uint32_t h,
    unsigned ch, bool lossless)
{
	struct img_clean c = sanitise_ok(in);
	uint8_t *pix;
	int ow, oh;

	assert_webp_clean(&c, lossless);
	assert_no_meta(&c);
	assert_sha256(&c);
	assert_int_equal(c.width, w);
	assert_int_equal(c.height, h);
	pix = ch == 4 ? WebPDecodeRGBA(c.data, c.len, &ow, &oh)
	              : WebPDecodeRGB(c.data, c.len, &ow, &oh);
	assert_non_null(pix);
	assert_int_equal(ow, w);
	assert_int_equal(oh, h);
	if (lossless)
		assert_memory_equal(pix, want, (size_t)w * h * ch);
	else
		assert_true(mean_abs_diff(pix, want, (size_t)w * h * ch) < 6.0);
	WebPFree(pix);
	img_clean_free(&c);
}

static void
test_webp(void **state)
{
	uint8_t *rgb = shot(180, 260, 3, 12), *rgba = shot(90, 70, 4, 13);
	struct blob b, x;

	(void)state;
	b = enc_webp(rgba, 90, 70, 4, true);
	check_webp(&b, rgba, 90, 70, 4, true);
	x = webp_extended(&b, 90, 70, true, false);
	check_webp(&x, rgba, 90, 70, 4, true);
	blob_free(&x);
	blob_free(&b);
	b = enc_webp(rgb, 180, 260, 3, true);
	check_webp(&b, rgb, 180, 260, 3, true);
	blob_free(&b);
	b = enc_webp(rgb, 180, 260, 3, false);
	check_webp(&b, rgb, 180, 260, 3, false);
	x = webp_extended(&b, 180, 260, false, false);
	assert_non_null(memmem(x.p, x.len, "XMP ", 4));
	check_webp(&x, rgb, 180, 260, 3, false);
	blob_free(&x);
	blob_free(&b);
	b = enc_webp(rgba, 90, 70, 4, false);
	check_webp(&b, rgba, 90, 70, 4, false);
	blob_free(&b);
	free(rgb);
	free(rgba);
}

static void
test_webp_bad(void **state)
{
	uint8_t *rgb = shot(120, 90, 3, 14);
	struct blob b, t, x;
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		b = enc_webp(rgb, 120, 90, 3, i == 0);
		t.p = b.p;
		t.len = b.len / 2;
		assert_err(&t, NULL, IMG_E_CORRUPT);
		t.len = b.len - 1;
		assert_err(&t, NULL, IMG_E_CORRUPT);
		t.len = 30;
		assert_err(&t, NULL, IMG_E_CORRUPT);
		x = webp_extended(&b, 120, 90, false, true);
		assert_err(&x, NULL, IMG_E_TYPE); /* animated */
		blob_free(&x);
		blob_free(&b);
	}
	/* VP8L header claiming 16384 x 16384. */
	b = enc_webp(rgb, 120, 90, 3, true);
	assert_memory_equal(b.p + 12, "VP8L", 4);
	b.p[21] = 0xff, b.p[22] = 0xff, b.p[23] = 0xff, b.p[24] |= 0x0f;
	assert_err(&b, NULL, IMG_E_PIXELS);
	blob_free(&b);
	free(rgb);
}

static void
test_types_and_sizes(void **state)
{
#define LIT(x) x, sizeof(x) - 1
	static const struct {
		const char *p;
		size_t len;
	} others[] = {
		{ LIT(
		    "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n") },
		{ LIT(
		    "GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff,\0\0\0\0\x01\0\x01\0"
		    "\0\x02\x02\x44\x01\0;") },
		{ LIT(
		    "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" "
		    "width=\"10\" height=\"10\"><rect width=\"10\" height=\"10\"/>"
		    "</svg>") },
		{ LIT("\0\0\0\x18"
		      "ftypheic\0\0\0\0mif1heic\0\0\0\x08mdat") },
		{ LIT(
		    "PK\x03\x04\x14\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0") },
		{ LIT(
		    "BM\x3a\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0\x01\0\0\0\x01\0\0\0") },
		{ LIT("just some text, not an image at all\n") },
		{ LIT(
		    "RIFF\x24\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0\x44\xac\0\0") },
		{ LIT("II*\0\x08\0\0\0\0\0\0\0") },
	};
#undef LIT
	struct img_limits lim = { 0, IMG_DEFAULT_MAX_PIXELS };
	uint8_t *rgb = shot(50, 50, 3, 15);
	struct img_clean c;
	enum img_err err;
	struct blob b = { 0 }, png;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(others); i++) {
		blob_add(&b, others[i].p, others[i].len);
		assert_err(&b, NULL, IMG_E_TYPE);
		/* The size limit comes first. */
		lim.max_bytes = b.len - 1;
		assert_err(&b, &lim, IMG_E_TOO_BIG);
		blob_free(&b);
	}
	assert_err(&b, NULL, IMG_E_TYPE); /* empty */
	/* A PNG signature on a PDF is no PNG. */
	blob_add(&b, "\x89PNG\r\n\x1a\n%PDF-1.4\n", 17);
	assert_err(&b, NULL, IMG_E_TYPE);
	blob_free(&b);
	png = enc_png(rgb, 50, 50, 3);
	lim.max_bytes = png.len;
	lim.max_pixels = 2500;
	assert_int_equal(img_sanitise(png.p, png.len, &lim, &c, &err), 0);
	img_clean_free(&c);
	lim.max_bytes = png.len - 1;
	assert_err(&png, &lim, IMG_E_TOO_BIG);
	lim.max_bytes = png.len;
	lim.max_pixels = 2499;
	assert_err(&png, &lim, IMG_E_PIXELS);
	blob_free(&png);
	free(rgb);
}

/* Bilinear resize of RGB, enough to imitate a messenger's rescaling. */
static uint8_t *
resize(const uint8_t *s, uint32_t sw, uint32_t sh, uint32_t dw, uint32_t dh)
{
	uint8_t *d = malloc((size_t)dw * dh * 3);
	const uint8_t *r0, *r1;
	uint32_t x, y, x0, y0, x1, y1;
	double fx, fy, ax, ay, top, bot;
	unsigned k;

	for (y = 0; y < dh; y++) {
		fy = ((double)y + 0.5) * sh / dh - 0.5;
		fy = fy < 0 ? 0 : fy;
		y0 = (uint32_t)fy;
		y1 = y0 + 1 < sh ? y0 + 1 : y0;
		ay = fy - y0;
		r0 = s + (size_t)y0 * sw * 3;
		r1 = s + (size_t)y1 * sw * 3;
		for (x = 0; x < dw; x++) {
			fx = ((double)x + 0.5) * sw / dw - 0.5;
			fx = fx < 0 ? 0 : fx;
			x0 = (uint32_t)fx;
			x1 = x0 + 1 < sw ? x0 + 1 : x0;
			ax = fx - x0;
			for (k = 0; k < 3; k++) {
				top = r0[x0 * 3 + k] * (1 - ax) +
				      r0[x1 * 3 + k] * ax;
				bot = r1[x0 * 3 + k] * (1 - ax) +
				      r1[x1 * 3 + k] * ax;
				d[((size_t)y * dw + x) * 3 + k] =
				    (uint8_t)(top * (1 - ay) + bot * ay + 0.5);
			}
		}
	}
	return d;
}

static uint64_t
phash_of(const struct blob *b)
{
	struct img_clean c = sanitise_ok(b);
	uint64_t h = c.phash;

	img_clean_free(&c);
	return h;
}

static void
test_phash(void **state)
{
	static const struct jpeg_opts q70 = { .quality = 70,
		.subsample = true };
	uint32_t w = 540, h = 1170, sw = 432, sh = 936;
	uint8_t *a = shot(w, h, 3, 21), *b = shot(w, h, 3, 22), *small;
	struct blob pa = enc_png(a, w, h, 3), pb = enc_png(b, w, h, 3), j;
	uint64_t ha, hb, hj, hw;
	int near_d, far_d, webp_d;

	(void)state;
	small = resize(a, w, h, sw, sh);
	j = enc_jpeg(small, sw, sh, &q70);
	ha = phash_of(&pa);
	hb = phash_of(&pb);
	hj = phash_of(&j);
	blob_free(&j);
	j = enc_webp(a, w, h, 3, false);
	hw = phash_of(&j);
	near_d = img_phash_distance(ha, hj);
	webp_d = img_phash_distance(ha, hw);
	far_d = img_phash_distance(ha, hb);
	print_message("phash distance: q70 80%% JPEG %d, WebP %d, other "
	              "screenshot %d\n",
	    near_d, webp_d, far_d);
	assert_true(near_d <= 6);
	assert_true(webp_d <= 4);
	assert_true(far_d >= 20);
	/* The hash is of the pixels: same for the same pixels in any file. */
	blob_free(&j);
	j = enc_png_raw(a, w, h, PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_ADAM7,
	    NULL, 0, NULL, 0);
	assert_int_equal(phash_of(&j), ha);
	blob_free(&j);
	j = enc_webp(a, w, h, 3, true);
	assert_int_equal(phash_of(&j), ha);
	blob_free(&j);
	/* Tiny images (upsampled to 32 x 32) hash too. */
	j = enc_png(a, 3, 2, 3);
	(void)phash_of(&j);
	blob_free(&j);
	blob_free(&pa);
	blob_free(&pb);
	free(small);
	free(a);
	free(b);
}

/* Several threads at once give the same bytes as one thread alone. */
struct thr_arg {
	const struct blob *in;
	size_t n;
	uint8_t (*want)[32];
	int bad;
	size_t bad_in;        /* the last input that went wrong */
	enum img_err bad_err; /* IMG_OK when the bytes differed */
};

static void *
thr_run(void *p)
{
	struct thr_arg *t = p;
	struct img_clean c;
	enum img_err err;
	size_t i, r;

	for (r = 0; r < 4; r++)
		for (i = 0; i < t->n; i++) {
			if (img_sanitise(t->in[i].p, t->in[i].len, NULL, &c,
			        &err) != 0) {
				t->bad++;
				t->bad_in = i, t->bad_err = err;
				continue;
			}
			if (memcmp(c.sha256, t->want[i], 32) != 0) {
				t->bad++;
				t->bad_in = i, t->bad_err = IMG_OK;
			}
			img_clean_free(&c);
		}
	return NULL;
}

static void
test_threads(void **state)
{
	static const struct jpeg_opts o = { .quality = 90 };
	uint8_t *rgb = shot(300, 400, 3, 31), want[4][32];
	struct blob in[4];
	struct thr_arg args[4];
	pthread_t th[4];
	struct img_clean c;
	size_t i;

	(void)state;
	in[0] = enc_png(rgb, 300, 400, 3);
	in[1] = enc_jpeg(rgb, 300, 400, &o);
	in[2] = enc_webp(rgb, 300, 400, 3, false);
	in[3] = enc_webp(rgb, 300, 400, 3, true);
	for (i = 0; i < 4; i++) {
		c = sanitise_ok(&in[i]);
		memcpy(want[i], c.sha256, 32);
		img_clean_free(&c);
	}
	for (i = 0; i < 4; i++) {
		args[i] = (struct thr_arg){ in, 4, want, 0, 0, IMG_OK };
		assert_int_equal(
		    pthread_create(&th[i], NULL, thr_run, &args[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		if (args[i].bad != 0)
			fail_msg("thread %zu: %d wrong, input %zu: %s", i,
			    args[i].bad, args[i].bad_in,
			    img_err_name(args[i].bad_err));
	}
	for (i = 0; i < 4; i++)
		blob_free(&in[i]);
	free(rgb);
}

/* The committed samples for the end-to-end tests behave as named. */
static void
test_samples(void **state)
{
	static const struct {
		const char *name;
		enum img_err want;
		enum img_type type;
		uint32_t w, h;
	} s[] = {
		{ "plain.png", IMG_OK, IMG_PNG, 270, 480 },
		{ "plain.jpg", IMG_OK, IMG_JPEG, 270, 480 },
		{ "plain.webp", IMG_OK, IMG_WEBP, 270, 480 },
		{ "exif_gps_thumb.jpg", IMG_OK, IMG_JPEG, 270, 480 },
		{ "rotated6.jpg", IMG_OK, IMG_JPEG, 240, 320 },
		{ "chunks.png", IMG_OK, IMG_PNG, 270, 480 },
		{ "meta.webp", IMG_OK, IMG_WEBP, 270, 480 },
		{ "zip_appended.png", IMG_OK, IMG_PNG, 270, 480 },
		{ "pdf_renamed.png", IMG_E_TYPE, 0, 0, 0 },
		{ "bomb.png", IMG_E_PIXELS, 0, 0, 0 },
		{ "truncated.png", IMG_E_CORRUPT, 0, 0, 0 },
		{ "truncated.jpg", IMG_E_CORRUPT, 0, 0, 0 },
	};
	char path[512];
	struct img_clean c;
	enum img_err err;
	size_t i, len;
	FILE *f;
	uint8_t *buf = malloc(1 << 20);

	(void)state;
	for (i = 0; i < ARRAY_SIZE(s); i++) {
		snprintf(path, sizeof(path), "%s/tests/data/img/%s",
		    TIPLINE_SRC, s[i].name);
		if ((f = fopen(path, "rb")) == NULL)
			fail_msg("missing %s", path);
		len = fread(buf, 1, 1 << 20, f);
		fclose(f);
		assert_true(len < 50 * 1024);
		err = IMG_E_INTERNAL;
		if (img_sanitise(buf, len, NULL, &c, &err) != 0)
			assert_int_not_equal(err, IMG_OK);
		if (err != s[i].want)
			fail_msg("%s: got %s", s[i].name, img_err_name(err));
		if (err != IMG_OK)
			continue;
		assert_int_equal(c.type, s[i].type);
		assert_int_equal(c.width, s[i].w);
		assert_int_equal(c.height, s[i].h);
		assert_no_meta(&c);
		img_clean_free(&c);
	}
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_exif_orientation),
		cmocka_unit_test(test_png_roundtrip),
		cmocka_unit_test(test_png_formats),
		cmocka_unit_test(test_png_metadata),
		cmocka_unit_test(test_png_bomb),
		cmocka_unit_test(test_sparse_rule),
		cmocka_unit_test(test_png_sparse_bomb),
		cmocka_unit_test(test_webp_sparse_bomb),
		cmocka_unit_test(test_png_blank_long_capture),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_png_truncated),
		cmocka_unit_test(test_png_photo),
		cmocka_unit_test(test_png_adler),
		cmocka_unit_test(test_jpeg_roundtrip),
		cmocka_unit_test(test_jpeg_metadata),
		cmocka_unit_test(test_jpeg_orientation),
		cmocka_unit_test(test_jpeg_sampling),
		cmocka_unit_test(test_jpeg_padding),
		cmocka_unit_test(test_jpeg_colour_spaces),
		cmocka_unit_test(test_jpeg_bad),
		cmocka_unit_test(test_webp),
		cmocka_unit_test(test_webp_bad),
		cmocka_unit_test(test_types_and_sizes),
		cmocka_unit_test(test_phash),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_samples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
