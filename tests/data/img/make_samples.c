/*
 * Writes the synthetic sample images of tests/data/img/ and the seed
 * corpus of tests/fuzz/corpus/img/: screenshot-like pixels (white, dark
 * "text" bars, coloured bubbles; no photos, no people) encoded with
 * libpng, libjpeg-turbo and libwebp, then given metadata by hand.  The
 * output is byte-for-byte reproducible with the same library versions.
 *
 *	ninja -C build tests/make_samples
 *	build/tests/make_samples tests/data/img tests/fuzz/corpus/img
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>
#include <webp/encode.h>

struct blob {
	uint8_t *p;
	size_t len;
};

static void
die(const char *what)
{
	fprintf(stderr, "make_samples: %s\n", what);
	exit(1);
}

static void
add(struct blob *b, const void *p, size_t n)
{
	if ((b->p = realloc(b->p, b->len + n + 1)) == NULL)
		die("out of memory");
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
add_be32(struct blob *b, uint32_t v)
{
	uint8_t x[4] = { v >> 24, v >> 16, v >> 8, v };

	add(b, x, 4);
}

static void
add_le16(struct blob *b, uint32_t v)
{
	uint8_t x[2] = { v, v >> 8 };

	add(b, x, 2);
}

static void
add_le32(struct blob *b, uint32_t v)
{
	uint8_t x[4] = { v, v >> 8, v >> 16, v >> 24 };

	add(b, x, 4);
}

static void
put(const char *dir, const char *name, const uint8_t *p, size_t n)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(p, 1, n, f) != n ||
	    fclose(f) != 0)
		die(path);
}

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

/* A zlib stream of one stored block (n < 65536). */
static void
zlib_stored(struct blob *b, const uint8_t *p, size_t n)
{
	uint32_t s1 = 1, s2 = 0;
	size_t i;

	add(b, "\x78\x01\x01", 3);
	add_le16(b, (uint32_t)n);
	add_le16(b, (uint32_t)~n & 0xffff);
	add(b, p, n);
	for (i = 0; i < n; i++) {
		s1 = (s1 + p[i]) % 65521;
		s2 = (s2 + s1) % 65521;
	}
	add_be32(b, s2 << 16 | s1);
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

/* As tests/unit/test_img.c: status bar, bubbles, rows of dark bars. */
static uint8_t *
shot(uint32_t w, uint32_t h, unsigned ch, uint32_t seed)
{
	uint8_t *p = malloc((size_t)w * h * ch), *d;
	uint32_t x, y, by, bh, bx0, bx1, ty, tx, tl;
	uint8_t bg[3];

	if (p == NULL)
		die("out of memory");
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
		for (ty = by + 4; ty + 6 < by + bh; ty += 12)
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
	/* A red block top left shows where the top left went. */
	for (y = 0; y < h / 10; y++)
		for (x = 0; x < w / 10; x++) {
			d = p + ((size_t)y * w + x) * ch;
			d[0] = 220, d[1] = 0, d[2] = 0;
		}
	return p;
}

static void
png_wr(png_structp png, png_bytep data, size_t n)
{
	add(png_get_io_ptr(png), data, n);
}

static void
png_fl(png_structp png)
{
	(void)png;
}

static struct blob
enc_png(const uint8_t *pix, uint32_t w, uint32_t h, unsigned ch, int interlace)
{
	struct blob b = { 0 };
	png_structp png;
	png_infop info;
	uint32_t y;
	int pass, npass;

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	if (png == NULL || (info = png_create_info_struct(png)) == NULL)
		die("libpng");
	if (setjmp(png_jmpbuf(png)))
		die("libpng write");
	png_set_write_fn(png, &b, png_wr, png_fl);
	png_set_IHDR(png, info, w, h, 8,
	    ch == 4 ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB, interlace,
	    PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_set_compression_level(png, 9);
	png_write_info(png, info);
	npass = png_set_interlace_handling(png);
	for (pass = 0; pass < npass; pass++)
		for (y = 0; y < h; y++)
			png_write_row(png, pix + (size_t)y * w * ch);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return b;
}

/* Inserts a chunk right after IHDR. */
static void
png_insert(struct blob *b, const char *type, const void *data, size_t n)
{
	struct blob c = { 0 };
	size_t at = 8 + 12 + 13;

	add_be32(&c, (uint32_t)n);
	add(&c, type, 4);
	add(&c, data, n);
	add_be32(&c, crc32_of(crc32_of(0, type, 4), data, n));
	if ((b->p = realloc(b->p, b->len + c.len)) == NULL)
		die("out of memory");
	memmove(b->p + at + c.len, b->p + at, b->len - at);
	memcpy(b->p + at, c.p, c.len);
	b->len += c.len;
	free(c.p);
}

struct jpeg_opts {
	int quality;
	bool progressive;
	bool gray;
	const struct blob *exif;
	bool xmp;
	bool comment;
};

static struct blob
enc_jpeg(const uint8_t *pix, uint32_t w, uint32_t h, const struct jpeg_opts *o)
{
	static const char xmp[] =
	    "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">"
	    "<rdf:RDF><rdf:Description exif:GPSLatitude=\"52,22.1N\" "
	    "exif:GPSLongitude=\"4,53.6E\"/></rdf:RDF></x:xmpmeta>";
	static const char com[] = "sample comment: written on a test phone";
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr e;
	unsigned char *out = NULL;
	unsigned long outlen = 0;
	struct blob b = { 0 };
	uint8_t *row;
	uint32_t x;

	c.err = jpeg_std_error(&e);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &out, &outlen);
	c.image_width = w;
	c.image_height = h;
	c.input_components = o->gray ? 1 : 3;
	c.in_color_space = o->gray ? JCS_GRAYSCALE : JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, o->quality, TRUE);
	if (o->progressive)
		jpeg_simple_progression(&c);
	jpeg_start_compress(&c, TRUE);
	if (o->exif != NULL)
		jpeg_write_marker(&c, JPEG_APP0 + 1, o->exif->p,
		    (unsigned)o->exif->len);
	if (o->xmp)
		jpeg_write_marker(&c, JPEG_APP0 + 1, (const JOCTET *)xmp,
		    sizeof(xmp) - 1);
	if (o->comment)
		jpeg_write_marker(&c, JPEG_COM, (const JOCTET *)com,
		    sizeof(com) - 1);
	if ((row = malloc((size_t)w * 3)) == NULL)
		die("out of memory");
	while (c.next_scanline < h) {
		const uint8_t *s = pix + (size_t)c.next_scanline * w * 3;

		for (x = 0; x < w; x++)
			if (o->gray)
				row[x] = s[x * 3 + 1];
			else
				memcpy(row + x * 3, s + x * 3, 3);
		jpeg_write_scanlines(&c, &row, 1);
	}
	free(row);
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	add(&b, out, outlen);
	free(out);
	return b;
}

/* EXIF: IFD0 (Make, Orientation, GPS pointer), GPS IFD, IFD1 thumbnail. */
static struct blob
make_exif(int orientation, const struct blob *thumb)
{
	static const uint8_t method[] = "ASCII\0\0\0GPS-FIX";
	uint32_t gps_ifd = 8 + 42, ifd1 = gps_ifd + 42, data = ifd1 + 30;
	uint32_t t_off = data + 24 + (uint32_t)sizeof(method) - 1;
	struct blob b = { 0 };

	add(&b, "Exif\0\0II*\0", 10);
	add_le32(&b, 8);
	add_le16(&b, 3);
	add_le16(&b, 0x010f), add_le16(&b, 2), add_le32(&b, 4);
	add(&b, "Cam", 4);
	add_le16(&b, 0x0112), add_le16(&b, 3), add_le32(&b, 1);
	add_le16(&b, (uint32_t)orientation), add_le16(&b, 0);
	add_le16(&b, 0x8825), add_le16(&b, 4), add_le32(&b, 1);
	add_le32(&b, gps_ifd);
	add_le32(&b, ifd1);
	add_le16(&b, 3);
	add_le16(&b, 0x0001), add_le16(&b, 2), add_le32(&b, 2);
	add(&b, "N\0\0\0", 4);
	add_le16(&b, 0x0002), add_le16(&b, 5), add_le32(&b, 3);
	add_le32(&b, data);
	add_le16(&b, 0x001b), add_le16(&b, 7);
	add_le32(&b, sizeof(method) - 1);
	add_le32(&b, data + 24);
	add_le32(&b, 0);
	add_le16(&b, 2);
	add_le16(&b, 0x0201), add_le16(&b, 4), add_le32(&b, 1);
	add_le32(&b, t_off);
	add_le16(&b, 0x0202), add_le16(&b, 4), add_le32(&b, 1);
	add_le32(&b, (uint32_t)thumb->len);
	add_le32(&b, 0);
	add_le32(&b, 52), add_le32(&b, 1), add_le32(&b, 22);
	add_le32(&b, 1), add_le32(&b, 1234), add_le32(&b, 100);
	add(&b, method, sizeof(method) - 1);
	add(&b, thumb->p, thumb->len);
	return b;
}

static int
webp_wr(const uint8_t *data, size_t n, const WebPPicture *pic)
{
	add(pic->custom_ptr, data, n);
	return 1;
}

static struct blob
enc_webp(const uint8_t *pix, uint32_t w, uint32_t h, unsigned ch, bool lossless)
{
	struct blob b = { 0 };
	WebPConfig cfg;
	WebPPicture pic;

	if (!WebPConfigInit(&cfg) || !WebPPictureInit(&pic))
		die("libwebp");
	cfg.lossless = lossless;
	cfg.exact = lossless;
	cfg.quality = 90;
	pic.use_argb = 1;
	pic.width = (int)w;
	pic.height = (int)h;
	pic.writer = webp_wr;
	pic.custom_ptr = &b;
	if (!(ch == 4 ? WebPPictureImportRGBA(&pic, pix, (int)w * 4)
	              : WebPPictureImportRGB(&pic, pix, (int)w * 3)) ||
	    !WebPEncode(&cfg, &pic))
		die("libwebp encode");
	WebPPictureFree(&pic);
	return b;
}

static void
riff_chunk(struct blob *b, const char *id, const void *p, size_t n)
{
	add(b, id, 4);
	add_le32(b, (uint32_t)n);
	add(b, p, n);
	if (n & 1)
		add(b, "", 1);
}

/* A simple WebP rewrapped as VP8X with EXIF and XMP chunks. */
static struct blob
webp_extended(const struct blob *simple, uint32_t w, uint32_t h,
    const struct blob *exif)
{
	static const char xmp[] =
	    "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF><rdf:Description "
	    "xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\" "
	    "xmp:CreatorTool=\"Sample Phone 1.0\"/></rdf:RDF></x:xmpmeta>";
	struct blob b = { 0 }, body = { 0 };
	uint8_t vp8x[10] = { 0 };

	vp8x[0] = 0x08 | 0x04;
	vp8x[4] = (w - 1) & 0xff, vp8x[5] = (w - 1) >> 8;
	vp8x[7] = (h - 1) & 0xff, vp8x[8] = (h - 1) >> 8;
	add(&body, "WEBP", 4);
	riff_chunk(&body, "VP8X", vp8x, sizeof(vp8x));
	add(&body, simple->p + 12, simple->len - 12);
	/* The WebP EXIF chunk holds bare TIFF, without "Exif\0\0". */
	riff_chunk(&body, "EXIF", exif->p + 6, exif->len - 6);
	riff_chunk(&body, "XMP ", xmp, sizeof(xmp) - 1);
	add(&b, "RIFF", 4);
	add_le32(&b, (uint32_t)body.len);
	add(&b, body.p, body.len);
	free(body.p);
	return b;
}

/* A real one-file ZIP (stored), as appended to polyglot images. */
static void
add_zip(struct blob *b)
{
	static const char name[] = "note.txt", text[] = "hidden payload\n";
	uint32_t crc = crc32_of(0, text, sizeof(text) - 1);
	size_t nl = sizeof(name) - 1, tl = sizeof(text) - 1;
	struct blob z = { 0 };
	uint32_t cd;

	add(&z, "PK\x03\x04\x0a\0\0\0\0\0\0\0\0\0", 14);
	add_le32(&z, crc), add_le32(&z, (uint32_t)tl);
	add_le32(&z, (uint32_t)tl);
	add_le16(&z, (uint32_t)nl), add_le16(&z, 0);
	add(&z, name, nl);
	add(&z, text, tl);
	cd = (uint32_t)z.len;
	add(&z, "PK\x01\x02\x14\0\x0a\0\0\0\0\0\0\0\0\0", 16);
	add_le32(&z, crc), add_le32(&z, (uint32_t)tl);
	add_le32(&z, (uint32_t)tl);
	add_le16(&z, (uint32_t)nl);
	add(&z, "\0\0\0\0\0\0\0\0\0\0\0\0",
	    12); /* extra, comment, disk, attrs */
	add_le32(&z, 0);
	add(&z, name, nl);
	add(&z, "PK\x05\x06\0\0\0\0\x01\0\x01\0", 12);
	add_le32(&z, 46 + (uint32_t)nl);
	add_le32(&z, cd);
	add_le16(&z, 0);
	add(b, z.p, z.len);
	free(z.p);
}

/* A minimal valid one-page PDF with a correct xref table. */
static struct blob
make_pdf(void)
{
	static const char *const objs[] = {
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] "
		 "/Contents 4 0 R >>"),
		"<< /Length 25 >>\nstream\n0 0 1 rg 10 10 50 50 re f\nendstream",
	};
	uint32_t off[4];
	struct blob b = { 0 };
	char line[128];
	size_t i, xref;
	int n;

	add(&b, "%PDF-1.4\n", 9);
	for (i = 0; i < 4; i++) {
		off[i] = (uint32_t)b.len;
		n = snprintf(line, sizeof(line), "%zu 0 obj\n", i + 1);
		add(&b, line, (size_t)n);
		add(&b, objs[i], strlen(objs[i]));
		add(&b, "\nendobj\n", 8);
	}
	xref = b.len;
	n = snprintf(line, sizeof(line), "xref\n0 5\n0000000000 65535 f \n");
	add(&b, line, (size_t)n);
	for (i = 0; i < 4; i++) {
		n = snprintf(line, sizeof(line), "%010u 00000 n \n", off[i]);
		add(&b, line, (size_t)n);
	}
	n = snprintf(line, sizeof(line),
	    "trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
	    xref);
	add(&b, line, (size_t)n);
	return b;
}

/* A PNG whose IHDR claims w x h, with a valid start of zero rows. */
static struct blob
make_bomb(uint32_t w, uint32_t h)
{
	struct blob b = { 0 }, z = { 0 };
	uint8_t ihdr[13], rows[8192] = { 0 };

	ihdr[0] = w >> 24, ihdr[1] = w >> 16, ihdr[2] = w >> 8, ihdr[3] = w;
	ihdr[4] = h >> 24, ihdr[5] = h >> 16, ihdr[6] = h >> 8, ihdr[7] = h;
	ihdr[8] = 8, ihdr[9] = 2, ihdr[10] = ihdr[11] = ihdr[12] = 0;
	zlib_stored(&z, rows, sizeof(rows));
	add(&b, "\x89PNG\r\n\x1a\n", 8);
	add_be32(&b, 13);
	add(&b, "IHDR", 4);
	add(&b, ihdr, 13);
	add_be32(&b, crc32_of(crc32_of(0, "IHDR", 4), ihdr, 13));
	add_be32(&b, (uint32_t)z.len);
	add(&b, "IDAT", 4);
	add(&b, z.p, z.len);
	add_be32(&b, crc32_of(crc32_of(0, "IDAT", 4), z.p, z.len));
	add(&b, "\0\0\0\0IEND\xae\x42\x60\x82", 12);
	free(z.p);
	return b;
}

static void
png_add_metadata(struct blob *png, const struct blob *exif)
{
	static const uint8_t time[7] = { 0x07, 0xe8, 5, 17, 13, 37, 0 };
	static const char text[] = "Comment\0sample comment";
	static const char itxt[] =
	    "XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">"
	    "http://ns.adobe.com/xap/1.0/</x:xmpmeta>";
	struct blob z = { 0 };

	png_insert(png, "tEXt", text, sizeof(text) - 1);
	png_insert(png, "tIME", time, sizeof(time));
	png_insert(png, "eXIf", exif->p + 6, exif->len - 6);
	png_insert(png, "iTXt", itxt, sizeof(itxt) - 1);
	add(&z, "Author\0\0", 8);
	zlib_stored(&z, (const uint8_t *)"Sample Author", 13);
	png_insert(png, "zTXt", z.p, z.len);
	free(z.p);
}

static void
samples(const char *dir)
{
	static const struct jpeg_opts q80 = { .quality = 80 };
	static const struct jpeg_opts thumb_o = { .quality = 70 };
	struct jpeg_opts meta = { .quality = 80, .xmp = true, .comment = true };
	uint8_t *pix = shot(270, 480, 3, 100), *small = shot(40, 30, 3, 101);
	uint8_t *wide = shot(320, 240, 3, 102);
	struct blob png, jpg, webp, thumb, exif, exif6, b;

	png = enc_png(pix, 270, 480, 3, PNG_INTERLACE_NONE);
	put(dir, "plain.png", png.p, png.len);
	put(dir, "truncated.png", png.p, png.len / 2);
	jpg = enc_jpeg(pix, 270, 480, &q80);
	put(dir, "plain.jpg", jpg.p, jpg.len);
	put(dir, "truncated.jpg", jpg.p, jpg.len / 2);
	webp = enc_webp(pix, 270, 480, 3, false);
	put(dir, "plain.webp", webp.p, webp.len);

	thumb = enc_jpeg(small, 40, 30, &thumb_o);
	exif = make_exif(1, &thumb);
	meta.exif = &exif;
	b = enc_jpeg(pix, 270, 480, &meta);
	put(dir, "exif_gps_thumb.jpg", b.p, b.len);
	free(b.p);

	exif6 = make_exif(6, &thumb);
	meta.exif = &exif6;
	meta.xmp = meta.comment = false;
	b = enc_jpeg(wide, 320, 240, &meta);
	put(dir, "rotated6.jpg", b.p, b.len);
	free(b.p);

	b = enc_png(pix, 270, 480, 3, PNG_INTERLACE_NONE);
	png_add_metadata(&b, &exif);
	put(dir, "chunks.png", b.p, b.len);
	free(b.p);

	b = webp_extended(&webp, 270, 480, &exif);
	put(dir, "meta.webp", b.p, b.len);
	free(b.p);

	b = (struct blob){ 0 };
	add(&b, png.p, png.len);
	add_zip(&b);
	put(dir, "zip_appended.png", b.p, b.len);
	free(b.p);

	b = make_pdf();
	put(dir, "pdf_renamed.png", b.p, b.len);
	free(b.p);

	b = make_bomb(30000, 30000);
	put(dir, "bomb.png", b.p, b.len);
	free(b.p);

	free(png.p), free(jpg.p), free(webp.p), free(thumb.p);
	free(exif.p), free(exif6.p);
	free(pix), free(small), free(wide);
}

/* Small seeds for the fuzzer, each well under 20 KB. */
static void
corpus(const char *dir)
{
	static const struct jpeg_opts q80 = { .quality = 80 };
	static const struct jpeg_opts prog = { .quality = 80,
		.progressive = true };
	static const struct jpeg_opts gray = { .quality = 80, .gray = true };
	uint8_t *rgb = shot(64, 48, 3, 200), *rgba = shot(40, 40, 4, 201);
	struct blob b, thumb, exif, webp;
	struct jpeg_opts meta = { .quality = 80, .xmp = true, .comment = true };

	b = enc_png(rgb, 64, 48, 3, PNG_INTERLACE_NONE);
	put(dir, "rgb.png", b.p, b.len);
	put(dir, "truncated.png", b.p, b.len * 2 / 3);
	png_insert(&b, "tEXt", "k\0v", 3);
	put(dir, "text.png", b.p, b.len);
	free(b.p);
	b = enc_png(rgba, 40, 40, 4, PNG_INTERLACE_ADAM7);
	put(dir, "rgba_interlaced.png", b.p, b.len);
	free(b.p);
	b = make_bomb(30000, 30000);
	put(dir, "bomb.png", b.p, b.len);
	free(b.p);

	b = enc_jpeg(rgb, 64, 48, &q80);
	put(dir, "baseline.jpg", b.p, b.len);
	put(dir, "truncated.jpg", b.p, b.len * 2 / 3);
	free(b.p);
	b = enc_jpeg(rgb, 64, 48, &prog);
	put(dir, "progressive.jpg", b.p, b.len);
	free(b.p);
	b = enc_jpeg(rgb, 64, 48, &gray);
	put(dir, "gray.jpg", b.p, b.len);
	free(b.p);
	thumb = enc_jpeg(rgb, 8, 8, &q80);
	exif = make_exif(6, &thumb);
	meta.exif = &exif;
	b = enc_jpeg(rgb, 64, 48, &meta);
	put(dir, "exif6.jpg", b.p, b.len);
	free(b.p);

	webp = enc_webp(rgb, 64, 48, 3, false);
	put(dir, "lossy.webp", webp.p, webp.len);
	put(dir, "truncated.webp", webp.p, webp.len * 2 / 3);
	b = webp_extended(&webp, 64, 48, &exif);
	put(dir, "vp8x_meta.webp", b.p, b.len);
	free(b.p);
	free(webp.p);
	b = enc_webp(rgba, 40, 40, 4, true);
	put(dir, "lossless_alpha.webp", b.p, b.len);
	free(b.p);
	b = enc_webp(rgba, 40, 40, 4, false);
	put(dir, "lossy_alpha.webp", b.p, b.len);
	free(b.p);

	free(thumb.p), free(exif.p), free(rgb), free(rgba);
}

int
main(int argc, char *argv[])
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: make_samples datadir [corpusdir]\n");
		return 2;
	}
	samples(argv[1]);
	if (argc == 3)
		corpus(argv[2]);
	return 0;
}
