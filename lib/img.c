/*
 * The screenshot sanitiser.  An upload is typed by its bytes alone
 * (libmagic, one handle per thread since a magic_t is not thread-safe),
 * its header is checked against the pixel limit before any pixel buffer
 * exists, it is decoded to 8-bit RGB or RGBA by libpng, libjpeg-turbo or
 * libwebp, and a new file of the same type is encoded from those pixels
 * alone.  Nothing of the original file but its pixels reaches the output:
 * no chunk, marker, segment, comment, thumbnail, profile or trailing byte
 * is copied, and the decoders are told to skip metadata rather than parse
 * it.  JPEG EXIF orientation is read by a small pure parser and applied to
 * the pixels, since the tag that carried it is gone.
 *
 * Decisions:
 * - PNG is written with zlib level 3 and the UP filter only (timings
 *   below) and no ancillary chunk at all, not even gAMA or sRGB: viewers
 *   take untagged pixels as sRGB anyway.  The source's colour chunks and
 *   ICC profiles are skipped on read, so a Display P3 screenshot comes out
 *   a little less saturated; its profile would name the device family.
 * - JPEG is written at quality 90 with 4:4:4 chroma (no subsampling): red
 *   or blue text on white smears at 4:2:0, and legibility of the hateful
 *   text is the point of the tip.  Only a minimal JFIF APP0 is written.
 * - Any libjpeg warning about the data (premature end, bad Huffman code,
 *   missing RST, ...) makes the file IMG_E_CORRUPT: libjpeg would pad a
 *   truncated file with grey and call it decoded.  Tolerated: extraneous
 *   bytes before a marker, an unknown JFIF revision or Adobe transform, a
 *   bad ICC marker (ICC is never read).  A PNG without IEND, or with a short
 *   IDAT, a bad critical CRC or bad Adler-32, is corrupt too.
 * - Lossless WebP stays lossless (exact RGB under transparent pixels);
 *   lossy WebP becomes lossy q90.  Animated WebP is IMG_E_TYPE; an APNG
 *   loses its animation and keeps its default image.
 * Buffers we own that hold pixels or file bytes are wiped before free;
 * the libraries' internal scratch rows are not (they cannot be reached).
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <magic.h>
#include <png.h>
#include <sodium.h>
#include <webp/decode.h>
#include <webp/encode.h>

#include "img.h"

/*
 * Encoder settings, measured on a 1080 x 2340 synthetic screenshot (text
 * only / with a photo), sanitise CPU time and output bytes:
 * PNG, zlib 3 + UP filter:          42 ms 136 KB / 70 ms 612 KB
 *      zlib 1 + SUB:                42 ms 188 KB / 59 ms 776 KB
 *      libpng default (6, all):     95 ms  87 KB / 210 ms 653 KB
 * JPEG q90 4:4:4, no Huffman optimisation: 20-23 ms; optimising saves
 *      7-11% for +20 ms; 4:2:0 saves 13% and 3-5 ms but smears colour text.
 * WebP lossy q90, method 2: 88-105 ms; method 4 is 1.7x slower for 3-6%;
 *      sharp YUV +130 ms for nothing: a lossy source is already 4:2:0.
 * WebP lossless preset 1: 180-210 ms, output ~1.1x the source; preset 0
 *      is 2x faster but up to 10x larger, preset 2 1.7x slower.
 */
#define IMG_PNG_ZLEVEL          3
#define IMG_PNG_FILTERS         PNG_FILTER_UP
#define IMG_JPEG_QUALITY        90
#define IMG_WEBP_QUALITY        90
#define IMG_WEBP_METHOD         2
#define IMG_WEBP_LOSSLESS_LEVEL 1

/* Progressive JPEGs seldom have more than 15 scans; each scan costs a pass
 * over every block, so thousands of empty scans are a CPU bomb. */
#define IMG_JPEG_MAX_SCANS 100
/* libmagic needs only the first bytes to name an image type. */
#define IMG_MAGIC_BYTES    (64 * 1024)
#define IMG_MAGIC_FLAGS                                                        \
	(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_TAR |      \
	    MAGIC_NO_CHECK_ELF | MAGIC_NO_CHECK_CDF | MAGIC_NO_CHECK_TEXT |    \
	    MAGIC_NO_CHECK_ENCODING | MAGIC_NO_CHECK_JSON |                    \
	    MAGIC_NO_CHECK_CSV | MAGIC_NO_CHECK_APPTYPE |                      \
	    MAGIC_NO_CHECK_TOKENS)

/* A growing output file; old copies are wiped, never left to realloc(). */
struct img_buf {
	uint8_t *p;
	size_t len;
	size_t cap;
};

struct img_jerr {
	struct jpeg_error_mgr pub;
	jmp_buf jb;
	enum img_err err;
};

/*
 * Everything one call works on.  The decoders and encoders longjmp back
 * into the function that called setjmp(), so whatever that function must
 * clean up lives here, behind a pointer, and never in its own locals.
 */
struct img_job {
	const uint8_t *buf;
	size_t len;
	size_t pos; /* libpng's read position */
	uint64_t max_pixels;
	enum img_type type;
	enum img_err err;
	bool lossless; /* WebP: VP8L source */
	bool gray;     /* JPEG: one-component source */
	int orientation;

	uint8_t *pix; /* w * h * ch bytes, rows top to bottom */
	size_t pixlen;
	uint32_t w;
	uint32_t h;
	unsigned ch; /* 3 (RGB) or 4 (RGBA) */
	uint8_t **rows;
	uint8_t *tmp; /* one CMYK row */
	size_t tmplen;
	struct img_buf out;

	png_structp png;
	png_infop info;
	struct jpeg_decompress_struct dinfo;
	struct jpeg_compress_struct cinfo;
	struct img_jerr jerr;
	struct jpeg_progress_mgr progress;
	struct jpeg_destination_mgr dest;
};

static const char *const img_err_names[] = {
	[IMG_OK] = "ok",
	[IMG_E_TYPE] = "type",
	[IMG_E_TOO_BIG] = "too_big",
	[IMG_E_PIXELS] = "pixels",
	[IMG_E_CORRUPT] = "corrupt",
	[IMG_E_NOMEM] = "nomem",
	[IMG_E_INTERNAL] = "internal",
};

const char *
img_err_name(enum img_err e)
{
	if ((unsigned)e >= ARRAY_SIZE(img_err_names))
		return "unknown";
	return img_err_names[e];
}

const char *
img_type_mime(enum img_type t)
{
	switch (t) {
	case IMG_PNG:
		return "image/png";
	case IMG_JPEG:
		return "image/jpeg";
	case IMG_WEBP:
		return "image/webp";
	}
	return NULL;
}

int
img_phash_distance(uint64_t a, uint64_t b)
{
	return __builtin_popcountll(a ^ b);
}

static int
img_buf_reserve(struct img_buf *b, size_t n)
{
	uint8_t *np;
	size_t cap;

	if (n > SIZE_MAX - b->len)
		return -1;
	if (b->len + n <= b->cap)
		return 0;
	cap = b->cap > 0 ? b->cap : 64 * 1024;
	while (cap < b->len + n) {
		if (cap > SIZE_MAX / 2)
			return -1;
		cap *= 2;
	}
	if ((np = malloc(cap)) == NULL)
		return -1;
	if (b->len > 0)
		memcpy(np, b->p, b->len);
	util_free_secret(b->p, b->cap);
	b->p = np;
	b->cap = cap;
	return 0;
}

static int
img_buf_append(struct img_buf *b, const void *src, size_t n)
{
	if (img_buf_reserve(b, n) == -1)
		return -1;
	memcpy(b->p + b->len, src, n);
	b->len += n;
	return 0;
}

/* Sets j->rows to point at each row of j->pix. */
static int
img_rows(struct img_job *j)
{
	size_t stride = (size_t)j->w * j->ch;
	uint32_t y;

	free(j->rows);
	if ((j->rows = calloc(j->h, sizeof(*j->rows))) == NULL)
		return -1;
	for (y = 0; y < j->h; y++)
		j->rows[y] = j->pix + (size_t)y * stride;
	return 0;
}

/* Allocates j->pix for j->w x j->h x j->ch, already checked for pixels. */
static int
img_pix_alloc(struct img_job *j)
{
	uint64_t n = (uint64_t)j->w * j->h * j->ch;

	if (j->w == 0 || j->h == 0) {
		j->err = IMG_E_CORRUPT;
		return -1;
	}
	if (n > SIZE_MAX || (j->pix = malloc((size_t)n)) == NULL) {
		j->err = IMG_E_NOMEM;
		return -1;
	}
	j->pixlen = (size_t)n;
	return 0;
}

/* Checks the header's dimensions against the limit. */
static int
img_check_pixels(struct img_job *j, uint64_t w, uint64_t h)
{
	if (w == 0 || h == 0 || w > UINT32_MAX || h > UINT32_MAX) {
		j->err = IMG_E_CORRUPT;
		return -1;
	}
	if (w * h > j->max_pixels) {
		j->err = IMG_E_PIXELS;
		return -1;
	}
	j->w = (uint32_t)w;
	j->h = (uint32_t)h;
	return 0;
}

/*
 * libmagic: a magic_t is not thread-safe, so each thread opens its own on
 * first use (0.2-0.4 ms, the database is mmap'd and shared) and closes it
 * when the thread exits.
 */
static pthread_mutex_t img_magic_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t img_magic_once = PTHREAD_ONCE_INIT;
static pthread_key_t img_magic_key;
static bool img_magic_key_ok;

static void
img_magic_close(void *m)
{
	magic_close(m);
}

static void
img_magic_init(void)
{
	img_magic_key_ok =
	    pthread_key_create(&img_magic_key, img_magic_close) == 0;
}

static magic_t
img_magic(void)
{
	size_t bytes = IMG_MAGIC_BYTES;
	magic_t m;

	if (pthread_once(&img_magic_once, img_magic_init) != 0 ||
	    !img_magic_key_ok)
		return NULL;
	if ((m = pthread_getspecific(img_magic_key)) != NULL)
		return m;
	/* libmagic fills some static tables on first load: one at a time. */
	pthread_mutex_lock(&img_magic_lock);
	if ((m = magic_open(IMG_MAGIC_FLAGS)) != NULL &&
	    (magic_setparam(m, MAGIC_PARAM_BYTES_MAX, &bytes) == -1 ||
	        magic_load(m, NULL) == -1 ||
	        pthread_setspecific(img_magic_key, m) != 0)) {
		magic_close(m);
		m = NULL;
	}
	pthread_mutex_unlock(&img_magic_lock);
	return m;
}

static int
img_sniff(struct img_job *j)
{
	const char *mime;
	magic_t m;

	if ((m = img_magic()) == NULL) {
		j->err = IMG_E_INTERNAL;
		return -1;
	}
	if ((mime = magic_buffer(m, j->buf, j->len)) == NULL)
		mime = "";
	if (strcmp(mime, "image/png") == 0)
		j->type = IMG_PNG;
	else if (strcmp(mime, "image/jpeg") == 0)
		j->type = IMG_JPEG;
	else if (strcmp(mime, "image/webp") == 0)
		j->type = IMG_WEBP;
	else {
		j->err = IMG_E_TYPE;
		return -1;
	}
	return 0;
}

/*
 * EXIF orientation.  Reads only IFD0 of the TIFF structure; every offset
 * is checked against len before use.
 */
static uint32_t
img_rd16(const uint8_t *p, bool le)
{
	return le ? (uint32_t)p[0] | (uint32_t)p[1] << 8
	          : (uint32_t)p[0] << 8 | (uint32_t)p[1];
}

static uint32_t
img_rd32(const uint8_t *p, bool le)
{
	return le ? img_rd16(p, le) | img_rd16(p + 2, le) << 16
	          : img_rd16(p, le) << 16 | img_rd16(p + 2, le);
}

int
img_exif_orientation(const uint8_t *buf, size_t len)
{
	size_t off, e, i, n;
	uint32_t v;
	bool le;

	if (len >= 6 && memcmp(buf, "Exif\0\0", 6) == 0) {
		buf += 6;
		len -= 6;
	}
	if (len < 8)
		return 1;
	if (buf[0] == 'I' && buf[1] == 'I')
		le = true;
	else if (buf[0] == 'M' && buf[1] == 'M')
		le = false;
	else
		return 1;
	if (img_rd16(buf + 2, le) != 42)
		return 1;
	off = img_rd32(buf + 4, le);
	if (off < 8 || off > len - 2)
		return 1;
	n = img_rd16(buf + off, le);
	for (i = 0; i < n; i++) {
		e = off + 2 + i * 12;
		if (e > len || len - e < 12)
			return 1;
		if (img_rd16(buf + e, le) != 0x0112)
			continue;
		/* SHORT, count 1, value in the first two bytes. */
		if (img_rd16(buf + e + 2, le) != 3 ||
		    img_rd32(buf + e + 4, le) != 1)
			return 1;
		v = img_rd16(buf + e + 8, le);
		return v >= 1 && v <= 8 ? (int)v : 1;
	}
	return 1;
}

/*
 * Turns the decoded pixels upright.  For each output pixel (dx, dy) the
 * source pixel is found as the EXIF specification describes the tag: 2
 * mirrors, 3 turns 180 degrees, 4 flips, 5 transposes, 6 turns 90 degrees
 * clockwise, 7 transverses, 8 turns 90 degrees anticlockwise.
 */
static int
img_orient(struct img_job *j)
{
	uint32_t sw = j->w, sh = j->h, dw, dh, dx, dy, sx, sy;
	int o = j->orientation;
	uint8_t *np, *d;
	unsigned ch = j->ch;

	if (o < 2 || o > 8)
		return 0;
	if ((np = malloc(j->pixlen)) == NULL) {
		j->err = IMG_E_NOMEM;
		return -1;
	}
	dw = o >= 5 ? sh : sw;
	dh = o >= 5 ? sw : sh;
	d = np;
	for (dy = 0; dy < dh; dy++) {
		for (dx = 0; dx < dw; dx++, d += ch) {
			switch (o) {
			case 2:
				sx = sw - 1 - dx, sy = dy;
				break;
			case 3:
				sx = sw - 1 - dx, sy = sh - 1 - dy;
				break;
			case 4:
				sx = dx, sy = sh - 1 - dy;
				break;
			case 5:
				sx = dy, sy = dx;
				break;
			case 6:
				sx = dy, sy = sh - 1 - dx;
				break;
			case 7:
				sx = sw - 1 - dy, sy = sh - 1 - dx;
				break;
			default: /* 8 */
				sx = sw - 1 - dy, sy = dx;
				break;
			}
			memcpy(d, j->pix + ((size_t)sy * sw + sx) * ch, ch);
		}
	}
	util_free_secret(j->pix, j->pixlen);
	j->pix = np;
	j->w = dw;
	j->h = dh;
	return 0;
}

/*
 * pHash, after pHash.org's ph_dct_imagehash() with exact area averaging
 * in place of its mean filter and nearest-neighbour resize:
 * 1. luma Y = (77 R + 150 G + 29 B) / 256, alpha laid over white;
 * 2. resized to 32 x 32 by area averaging (each output cell is the mean
 *    of the source area it covers, fractional pixels weighted);
 * 3. 2-D DCT-II of the 32 x 32 block;
 * 4. the 64 coefficients C(u, v) for u, v in 1..8: the DC term and the
 *    rest of row and column 0 are skipped (brightness and plain ramps);
 * 5. bit (v - 1) * 8 + (u - 1) is set when C(u, v) exceeds the median of
 *    the 64.
 */
#define IMG_PH_N 32

static unsigned
img_luma(const uint8_t *p, unsigned ch)
{
	unsigned y = (77 * p[0] + 150 * p[1] + 29 * p[2] + 128) >> 8;

	if (ch == 4)
		y = (y * p[3] + 255 * (255 - p[3]) + 127) / 255;
	return y;
}

/* Sum of the luma of n pixels; the loops are kept apart to vectorise. */
static uint64_t
img_luma_sum(const uint8_t *p, uint32_t n, unsigned ch)
{
	uint64_t s = 0;
	uint32_t x;

	if (ch == 3)
		for (x = 0; x < n; x++, p += 3)
			s += img_luma(p, 3);
	else
		for (x = 0; x < n; x++, p += 4)
			s += img_luma(p, 4);
	return s;
}

static int
img_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Area averaging in one pass and constant memory: the integral of the
 * image up to each of the 33 cell edges is taken as the pixels go by
 * (whole pixels summed, the pixel an edge cuts counted by the fraction
 * before the edge), and a cell is the difference of its two edges.  The
 * cells all have the same area, so they are left unnormalised.
 */
static void
img_phash_cells(const uint8_t *pix, uint32_t w, uint32_t h, unsigned ch,
    double cell[IMG_PH_N][IMG_PH_N])
{
	double bx[IMG_PH_N + 1], by[IMG_PH_N + 1], fx[IMG_PH_N + 1];
	double gy[IMG_PH_N + 1][IMG_PH_N], hrow[IMG_PH_N], t[IMG_PH_N];
	const uint8_t *p;
	uint32_t x, y, e;
	unsigned i, k;
	uint64_t s;

	for (i = 0; i <= IMG_PH_N; i++) {
		bx[i] = (double)w * i / IMG_PH_N;
		by[i] = (double)h * i / IMG_PH_N;
	}
	memset(gy, 0, sizeof(gy));
	memset(t, 0, sizeof(t));
	for (y = 0, k = 1; y < h; y++) {
		p = pix + (size_t)y * w * ch;
		fx[0] = 0;
		for (i = 1, x = 0, s = 0; i <= IMG_PH_N; i++) {
			/* Whole pixels up to the edge, then the cut one. */
			e = (uint32_t)bx[i] < w ? (uint32_t)bx[i] : w;
			s += img_luma_sum(p + (size_t)x * ch, e - x, ch);
			x = e;
			fx[i] = s;
			if (e < w && bx[i] > e)
				fx[i] += (bx[i] - e) *
				         img_luma(p + (size_t)e * ch, ch);
		}
		for (i = 0; i < IMG_PH_N; i++)
			hrow[i] = fx[i + 1] - fx[i];
		for (; k <= IMG_PH_N && by[k] < y + 1; k++)
			for (i = 0; i < IMG_PH_N; i++)
				gy[k][i] = t[i] + (by[k] - y) * hrow[i];
		for (i = 0; i < IMG_PH_N; i++)
			t[i] += hrow[i];
	}
	for (; k <= IMG_PH_N; k++)
		memcpy(gy[k], t, sizeof(t));
	for (k = 0; k < IMG_PH_N; k++)
		for (i = 0; i < IMG_PH_N; i++)
			cell[k][i] = gy[k + 1][i] - gy[k][i];
}

static uint64_t
img_phash(const uint8_t *pix, uint32_t w, uint32_t h, unsigned ch)
{
	double cell[IMG_PH_N][IMG_PH_N], cs[9][IMG_PH_N], r[IMG_PH_N][9];
	double c[64], s[64], med;
	unsigned u, v, x, y;
	uint64_t hash = 0;

	img_phash_cells(pix, w, h, ch, cell);
	for (u = 1; u <= 8; u++)
		for (x = 0; x < IMG_PH_N; x++)
			cs[u][x] = cos(M_PI * (2 * x + 1) * u / (2 * IMG_PH_N));
	for (y = 0; y < IMG_PH_N; y++)
		for (u = 1; u <= 8; u++) {
			r[y][u] = 0;
			for (x = 0; x < IMG_PH_N; x++)
				r[y][u] += cell[y][x] * cs[u][x];
		}
	for (v = 1; v <= 8; v++)
		for (u = 1; u <= 8; u++) {
			c[(v - 1) * 8 + u - 1] = 0;
			for (y = 0; y < IMG_PH_N; y++)
				c[(v - 1) * 8 + u - 1] += r[y][u] * cs[v][y];
		}
	memcpy(s, c, sizeof(s));
	qsort(s, 64, sizeof(s[0]), img_cmp_double);
	med = (s[31] + s[32]) / 2;
	for (u = 0; u < 64; u++)
		if (c[u] > med)
			hash |= (uint64_t)1 << u;
	return hash;
}

/* PNG: libpng with an error handler that never prints and never exits. */
static void
img_png_error(png_structp png, png_const_charp msg)
{
	(void)msg;
	png_longjmp(png, 1);
}

static void
img_png_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static void
img_png_read(png_structp png, png_bytep data, size_t n)
{
	struct img_job *j = png_get_io_ptr(png);

	if (n > j->len - j->pos)
		png_error(png, "truncated");
	memcpy(data, j->buf + j->pos, n);
	j->pos += n;
}

static int
img_png_decode(struct img_job *j)
{
	png_uint_32 w, h;
	int depth, ctype;

	j->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, j, img_png_error,
	    img_png_warning);
	if (j->png != NULL)
		j->info = png_create_info_struct(j->png);
	if (j->info == NULL) {
		png_destroy_read_struct(&j->png, NULL, NULL);
		j->err = IMG_E_NOMEM;
		return -1;
	}
	if (setjmp(png_jmpbuf(j->png))) {
		png_destroy_read_struct(&j->png, &j->info, NULL);
		if (j->err == IMG_OK)
			j->err = IMG_E_CORRUPT;
		return -1;
	}
	/* Skip every chunk but IHDR, PLTE, tRNS, IDAT and IEND unread. */
	png_set_keep_unknown_chunks(j->png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
	png_set_read_fn(j->png, j, img_png_read);
	png_read_info(j->png, j->info);
	png_get_IHDR(j->png, j->info, &w, &h, &depth, &ctype, NULL, NULL, NULL);
	if (img_check_pixels(j, w, h) == -1)
		png_error(j->png, "limit");
	png_set_scale_16(j->png);
	png_set_expand(j->png); /* palette, low-bit gray, tRNS to alpha */
	png_set_gray_to_rgb(j->png);
	(void)png_set_interlace_handling(j->png);
	png_read_update_info(j->png, j->info);
	j->ch = png_get_channels(j->png, j->info);
	if (png_get_bit_depth(j->png, j->info) != 8 ||
	    (j->ch != 3 && j->ch != 4) ||
	    png_get_rowbytes(j->png, j->info) != (size_t)j->w * j->ch)
		png_error(j->png, "format");
	if (img_pix_alloc(j) == -1 || img_rows(j) == -1) {
		if (j->err == IMG_OK)
			j->err = IMG_E_NOMEM;
		png_error(j->png, "nomem");
	}
	png_read_image(j->png, j->rows);
	png_read_end(j->png, NULL);
	png_destroy_read_struct(&j->png, &j->info, NULL);
	return 0;
}

static void
img_png_write(png_structp png, png_bytep data, size_t n)
{
	struct img_job *j = png_get_io_ptr(png);

	if (img_buf_append(&j->out, data, n) == -1) {
		j->err = IMG_E_NOMEM;
		png_error(png, "nomem");
	}
}

static void
img_png_flush(png_structp png)
{
	(void)png;
}

static int
img_png_encode(struct img_job *j)
{
	j->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, j,
	    img_png_error, img_png_warning);
	if (j->png != NULL)
		j->info = png_create_info_struct(j->png);
	if (j->info == NULL) {
		png_destroy_write_struct(&j->png, NULL);
		j->err = IMG_E_NOMEM;
		return -1;
	}
	if (setjmp(png_jmpbuf(j->png))) {
		png_destroy_write_struct(&j->png, &j->info);
		if (j->err == IMG_OK)
			j->err = IMG_E_INTERNAL;
		return -1;
	}
	if (img_rows(j) == -1) {
		j->err = IMG_E_NOMEM;
		png_error(j->png, "nomem");
	}
	png_set_write_fn(j->png, j, img_png_write, img_png_flush);
	png_set_IHDR(j->png, j->info, j->w, j->h, 8,
	    j->ch == 4 ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB,
	    PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
	    PNG_FILTER_TYPE_DEFAULT);
	png_set_compression_level(j->png, IMG_PNG_ZLEVEL);
	png_set_filter(j->png, PNG_FILTER_TYPE_BASE, IMG_PNG_FILTERS);
	png_set_compression_buffer_size(j->png, 64 * 1024);
	png_write_info(j->png, j->info);
	png_write_image(j->png, j->rows);
	png_write_end(j->png, NULL);
	png_destroy_write_struct(&j->png, &j->info);
	return 0;
}

/* JPEG: libjpeg-turbo with the same kind of error handling. */
static TL_NORETURN void
img_jpeg_fail(struct img_job *j, enum img_err e)
{
	j->jerr.err = e;
	longjmp(j->jerr.jb, 1);
}

static void
img_jpeg_error_exit(j_common_ptr c)
{
	struct img_job *j = c->client_data;

	switch (c->err->msg_code) {
	case JERR_OUT_OF_MEMORY:
	case JERR_NO_BACKING_STORE:
		img_jpeg_fail(j, IMG_E_NOMEM);
	default:
		/* The encoder is fed only our own well-formed pixels. */
		img_jpeg_fail(j,
		    c->is_decompressor ? IMG_E_CORRUPT : IMG_E_INTERNAL);
	}
}

static void
img_jpeg_emit_message(j_common_ptr c, int level)
{
	if (level >= 0) /* trace messages */
		return;
	switch (c->err->msg_code) {
	case JWRN_EXTRANEOUS_DATA:
	case JWRN_JFIF_MAJOR:
	case JWRN_ADOBE_XFORM:
	case JWRN_BOGUS_ICC:
		c->err->num_warnings++;
		return;
	default:
		img_jpeg_fail(c->client_data, IMG_E_CORRUPT);
	}
}

static void
img_jpeg_output_message(j_common_ptr c)
{
	(void)c;
}

static void
img_jpeg_progress(j_common_ptr c)
{
	j_decompress_ptr d = (j_decompress_ptr)c;

	if (d->input_scan_number > IMG_JPEG_MAX_SCANS)
		img_jpeg_fail(c->client_data, IMG_E_CORRUPT);
}

static struct jpeg_error_mgr *
img_jpeg_err_init(struct img_job *j)
{
	jpeg_std_error(&j->jerr.pub);
	j->jerr.pub.error_exit = img_jpeg_error_exit;
	j->jerr.pub.emit_message = img_jpeg_emit_message;
	j->jerr.pub.output_message = img_jpeg_output_message;
	j->jerr.err = IMG_OK;
	return &j->jerr.pub;
}

/* Photoshop writes CMYK inverted and says so with an Adobe marker. */
static void
img_cmyk_to_rgb(uint8_t *d, const uint8_t *s, uint32_t w, bool inverted)
{
	unsigned c, m, y, k;
	uint32_t x;

	for (x = 0; x < w; x++, s += 4, d += 3) {
		c = s[0], m = s[1], y = s[2], k = s[3];
		if (!inverted) {
			c = 255 - c, m = 255 - m, y = 255 - y, k = 255 - k;
		}
		d[0] = (uint8_t)((c * k + 127) / 255);
		d[1] = (uint8_t)((m * k + 127) / 255);
		d[2] = (uint8_t)((y * k + 127) / 255);
	}
}

static int
img_jpeg_decode(struct img_job *j)
{
	jpeg_saved_marker_ptr mk;
	uint64_t memcap;
	JSAMPROW row;
	bool cmyk;

	j->dinfo.err = img_jpeg_err_init(j);
	j->dinfo.client_data = j;
	if (setjmp(j->jerr.jb)) {
		jpeg_destroy_decompress(&j->dinfo);
		j->err = j->jerr.err != IMG_OK ? j->jerr.err : IMG_E_CORRUPT;
		return -1;
	}
	jpeg_create_decompress(&j->dinfo);
	j->dinfo.client_data = j;
	j->progress.progress_monitor = img_jpeg_progress;
	j->dinfo.progress = &j->progress;
	/* A ceiling for libjpeg's own buffers: 8 bytes a pixel is ample. */
	memcap = j->max_pixels < (1ULL << 36) ? j->max_pixels * 8 + (32 << 20)
	                                      : 1ULL << 40;
	j->dinfo.mem->max_memory_to_use = (long)memcap;
	jpeg_mem_src(&j->dinfo, j->buf, j->len);
	jpeg_save_markers(&j->dinfo, JPEG_APP0 + 1, 0xffff);
	(void)jpeg_read_header(&j->dinfo, TRUE);
	if (img_check_pixels(j, j->dinfo.image_width, j->dinfo.image_height) ==
	    -1)
		img_jpeg_fail(j, j->err);
	for (mk = j->dinfo.marker_list; mk != NULL; mk = mk->next)
		if (mk->marker == JPEG_APP0 + 1 && mk->data_length >= 6 &&
		    memcmp(mk->data, "Exif\0\0", 6) == 0) {
			j->orientation =
			    img_exif_orientation(mk->data, mk->data_length);
			break;
		}
	cmyk = j->dinfo.jpeg_color_space == JCS_CMYK ||
	       j->dinfo.jpeg_color_space == JCS_YCCK;
	j->gray = j->dinfo.jpeg_color_space == JCS_GRAYSCALE;
	j->dinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
	(void)jpeg_start_decompress(&j->dinfo);
	if (j->dinfo.output_width != j->w || j->dinfo.output_height != j->h ||
	    j->dinfo.output_components != (cmyk ? 4 : 3))
		img_jpeg_fail(j, IMG_E_CORRUPT);
	j->ch = 3;
	if (img_pix_alloc(j) == -1)
		img_jpeg_fail(j, j->err);
	if (cmyk) {
		j->tmplen = (size_t)j->w * 4;
		if ((j->tmp = malloc(j->tmplen)) == NULL)
			img_jpeg_fail(j, IMG_E_NOMEM);
	}
	while (j->dinfo.output_scanline < j->h) {
		uint8_t *d =
		    j->pix + (size_t)j->dinfo.output_scanline * j->w * 3;

		row = cmyk ? j->tmp : d;
		if (jpeg_read_scanlines(&j->dinfo, &row, 1) != 1)
			img_jpeg_fail(j, IMG_E_CORRUPT);
		if (cmyk)
			img_cmyk_to_rgb(d, j->tmp, j->w,
			    j->dinfo.saw_Adobe_marker);
	}
	(void)jpeg_finish_decompress(&j->dinfo);
	jpeg_destroy_decompress(&j->dinfo);
	return 0;
}

static void
img_jpeg_dest_init(j_compress_ptr c)
{
	struct img_job *j = c->client_data;

	if (img_buf_reserve(&j->out, 64 * 1024) == -1)
		img_jpeg_fail(j, IMG_E_NOMEM);
	c->dest->next_output_byte = j->out.p + j->out.len;
	c->dest->free_in_buffer = j->out.cap - j->out.len;
}

static boolean
img_jpeg_dest_empty(j_compress_ptr c)
{
	struct img_job *j = c->client_data;

	j->out.len = j->out.cap; /* libjpeg filled all of it */
	img_jpeg_dest_init(c);
	return TRUE;
}

static void
img_jpeg_dest_term(j_compress_ptr c)
{
	struct img_job *j = c->client_data;

	j->out.len = j->out.cap - c->dest->free_in_buffer;
}

static int
img_jpeg_encode(struct img_job *j)
{
	JSAMPROW row;
	int i;

	j->cinfo.err = img_jpeg_err_init(j);
	j->cinfo.client_data = j;
	if (setjmp(j->jerr.jb)) {
		jpeg_destroy_compress(&j->cinfo);
		j->err = j->jerr.err != IMG_OK ? j->jerr.err : IMG_E_INTERNAL;
		return -1;
	}
	jpeg_create_compress(&j->cinfo);
	j->cinfo.client_data = j;
	j->dest.init_destination = img_jpeg_dest_init;
	j->dest.empty_output_buffer = img_jpeg_dest_empty;
	j->dest.term_destination = img_jpeg_dest_term;
	j->cinfo.dest = &j->dest;
	j->cinfo.image_width = j->w;
	j->cinfo.image_height = j->h;
	j->cinfo.input_components = 3;
	j->cinfo.in_color_space = JCS_RGB;
	jpeg_set_defaults(&j->cinfo);
	if (j->gray)
		jpeg_set_colorspace(&j->cinfo, JCS_GRAYSCALE);
	jpeg_set_quality(&j->cinfo, IMG_JPEG_QUALITY, TRUE);
	for (i = 0; i < j->cinfo.num_components; i++) {
		/* 4:4:4: full-resolution chroma keeps coloured text sharp. */
		j->cinfo.comp_info[i].h_samp_factor = 1;
		j->cinfo.comp_info[i].v_samp_factor = 1;
	}
	jpeg_start_compress(&j->cinfo, TRUE);
	while (j->cinfo.next_scanline < j->h) {
		row = j->pix + (size_t)j->cinfo.next_scanline * j->w * 3;
		(void)jpeg_write_scanlines(&j->cinfo, &row, 1);
	}
	jpeg_finish_compress(&j->cinfo);
	jpeg_destroy_compress(&j->cinfo);
	return 0;
}

/* WebP: libwebp reports errors by return value. */
static int
img_webp_decode(struct img_job *j)
{
	WebPBitstreamFeatures f;
	uint8_t *ok;

	if (WebPGetFeatures(j->buf, j->len, &f) != VP8_STATUS_OK) {
		j->err = IMG_E_CORRUPT;
		return -1;
	}
	if (f.has_animation) {
		j->err = IMG_E_TYPE;
		return -1;
	}
	if (f.width <= 0 || f.height <= 0) {
		j->err = IMG_E_CORRUPT;
		return -1;
	}
	if (img_check_pixels(j, (uint64_t)f.width, (uint64_t)f.height) == -1)
		return -1;
	j->lossless = f.format == 2;
	j->ch = f.has_alpha ? 4 : 3;
	if (img_pix_alloc(j) == -1)
		return -1;
	if (j->ch == 4)
		ok = WebPDecodeRGBAInto(j->buf, j->len, j->pix, j->pixlen,
		    (int)(j->w * 4));
	else
		ok = WebPDecodeRGBInto(j->buf, j->len, j->pix, j->pixlen,
		    (int)(j->w * 3));
	if (ok == NULL) {
		j->err = IMG_E_CORRUPT;
		return -1;
	}
	return 0;
}

static int
img_webp_write(const uint8_t *data, size_t n, const WebPPicture *pic)
{
	struct img_job *j = pic->custom_ptr;

	if (img_buf_append(&j->out, data, n) == -1) {
		j->err = IMG_E_NOMEM;
		return 0;
	}
	return 1;
}

static void
img_webp_wipe(WebPPicture *pic)
{
	size_t uvh = ((size_t)pic->height + 1) / 2;

	if (pic->argb != NULL)
		explicit_bzero(pic->argb,
		    (size_t)pic->argb_stride * pic->height * 4);
	if (pic->y != NULL)
		explicit_bzero(pic->y, (size_t)pic->y_stride * pic->height);
	if (pic->u != NULL)
		explicit_bzero(pic->u, (size_t)pic->uv_stride * uvh);
	if (pic->v != NULL)
		explicit_bzero(pic->v, (size_t)pic->uv_stride * uvh);
	if (pic->a != NULL)
		explicit_bzero(pic->a, (size_t)pic->a_stride * pic->height);
	WebPPictureFree(pic);
}

static int
img_webp_encode(struct img_job *j)
{
	WebPConfig cfg;
	WebPPicture pic;
	int ok;

	if (!WebPConfigInit(&cfg) || !WebPPictureInit(&pic)) {
		j->err = IMG_E_INTERNAL;
		return -1;
	}
	if (j->lossless) {
		if (!WebPConfigLosslessPreset(&cfg, IMG_WEBP_LOSSLESS_LEVEL)) {
			j->err = IMG_E_INTERNAL;
			return -1;
		}
		cfg.exact = 1;
	} else {
		cfg.quality = IMG_WEBP_QUALITY;
		cfg.method = IMG_WEBP_METHOD;
	}
	pic.width = (int)j->w;
	pic.height = (int)j->h;
	pic.use_argb = j->lossless;
	pic.writer = img_webp_write;
	pic.custom_ptr = j;
	if (j->ch == 4)
		ok = WebPPictureImportRGBA(&pic, j->pix, (int)(j->w * 4));
	else
		ok = WebPPictureImportRGB(&pic, j->pix, (int)(j->w * 3));
	if (ok)
		ok = WebPEncode(&cfg, &pic);
	if (!ok && j->err == IMG_OK)
		j->err = pic.error_code == VP8_ENC_ERROR_OUT_OF_MEMORY
		             ? IMG_E_NOMEM
		             : IMG_E_INTERNAL;
	img_webp_wipe(&pic);
	return ok ? 0 : -1;
}

static void
img_job_free(struct img_job *j)
{
	util_free_secret(j->pix, j->pixlen);
	util_free_secret(j->tmp, j->tmplen);
	free(j->rows);
	util_free_secret(j->out.p, j->out.cap);
	j->pix = j->tmp = NULL;
	j->rows = NULL;
	j->out.p = NULL;
}

int
img_sanitise(const uint8_t *buf, size_t len, const struct img_limits *limits,
    struct img_clean *out, enum img_err *err)
{
	struct img_job *j;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	/* Big (libjpeg structs and a jmp_buf): kept off worker stacks. */
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		*err = IMG_E_NOMEM;
		return -1;
	}
	j->buf = buf;
	j->len = len;
	j->max_pixels =
	    limits != NULL ? limits->max_pixels : IMG_DEFAULT_MAX_PIXELS;
	if (len >
	    (limits != NULL ? limits->max_bytes : IMG_DEFAULT_MAX_BYTES)) {
		j->err = IMG_E_TOO_BIG;
		goto fail;
	}
	if (img_sniff(j) == -1)
		goto fail;
	switch (j->type) {
	case IMG_PNG:
		if (img_png_decode(j) == -1 || img_png_encode(j) == -1)
			goto fail;
		break;
	case IMG_JPEG:
		if (img_jpeg_decode(j) == -1 || img_orient(j) == -1 ||
		    img_jpeg_encode(j) == -1)
			goto fail;
		break;
	case IMG_WEBP:
		if (img_webp_decode(j) == -1 || img_webp_encode(j) == -1)
			goto fail;
		break;
	}
	if (j->out.len == 0) {
		j->err = IMG_E_INTERNAL;
		goto fail;
	}
	out->type = j->type;
	out->width = j->w;
	out->height = j->h;
	out->phash = img_phash(j->pix, j->w, j->h, j->ch);
	crypto_hash_sha256(out->sha256, j->out.p, j->out.len);
	out->data = j->out.p;
	out->len = j->out.len;
	j->out.p = NULL;
	j->err = IMG_OK;
	rc = 0;
fail:
	*err = j->err;
	img_job_free(j);
	free(j);
	return rc;
}

void
img_clean_free(struct img_clean *c)
{
	if (c == NULL)
		return;
	util_free_secret(c->data, c->len);
	memset(c, 0, sizeof(*c));
}
