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
 * - PNG is written here, not by libpng: the signature, IHDR, IDAT and
 *   IEND, nothing else, not even gAMA or sRGB (viewers take untagged
 *   pixels as sRGB anyway).  It is our own data, so there is nothing to
 *   parse; the rows are deflated by ISA-L's igzip at level 1, about 10
 *   times faster than zlib level 1 (timings below).  The source's colour
 *   chunks and ICC profiles are skipped on read, so a Display P3
 *   screenshot comes out a little less saturated; its profile would name
 *   the device family.
 * - JPEG is re-encoded at quality 90 from the decoder's own YCbCr planes
 *   when the source is 4:2:0, 4:4:4 or grayscale (nearly every file): no
 *   colour conversion and no chroma resampling either way, so it is both
 *   faster and closer to the source, and a 4:2:0 source keeps the chroma
 *   it has rather than being upsampled into 4:4:4.  The planes' padding
 *   beyond the picture (the source's, invisible) is overwritten with
 *   copies of the edge, as libjpeg's own encoder pads.  Any other sampling,
 *   CMYK or RGB JPEG goes through RGB and comes out 4:4:4: red or blue
 *   text on white smears at 4:2:0, and legibility of the hateful text is
 *   the point of the tip.  Only a minimal JFIF APP0 is written.
 * - Any libjpeg warning about the data (premature end, bad Huffman code,
 *   missing RST, ...) makes the file IMG_E_CORRUPT: libjpeg would pad a
 *   truncated file with grey and call it decoded.  Tolerated: extraneous
 *   bytes before a marker, an unknown JFIF revision or Adobe transform, a
 *   bad ICC marker (ICC is never read).  A PNG without IEND, or with a short
 *   IDAT or a bad critical CRC, is corrupt too.  Its zlib Adler-32 is not
 *   checked (10% of the PNG time): the CRC-32 of each IDAT chunk already
 *   covers every compressed byte, and a stream that inflates is pixels.
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

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <jpeglib.h>
#include <jerror.h>
#include <magic.h>
#include <openssl/sha.h>
#include <png.h>
#include <webp/decode.h>
#include <webp/encode.h>

#include "img.h"

/*
 * Encoder settings, measured on 1080 x 2340 pictures (bench/sanitise.sh
 * makes them: make_png.py's synthetic screenshot / a headless browser's
 * chat screenshot / make_photo.py's noisy gradients; one shared machine,
 * +-20%).  PNG, deflating the filtered rows, ms and KB:
 *   zlib 3, UP (libpng, before):    19 / 33 / 254 ms, 404 / 366 / 3852 KB
 *   libdeflate 1.14, best level:    14 / 17 /  39 ms, 331 / 299 / 3310 KB
 *   igzip 1, NONE:                 2.1 / 2.6 /  18 ms, 547 / 373 / 5766 KB
 *   igzip 1, SUB:                  2.4 / 2.6 /  21 ms, 591 / 422 / 3347 KB
 *   igzip 1, NONE or SUB by band:  2.4 / 2.6 /  21 ms, 547 / 378 / 3347 KB
 *   libdeflate spends 2 ns a byte even on blank rows; igzip levels 2 and 3
 *   gain under 1%.  igzip's single-probe matcher wants one filter over
 *   many rows: libpng's per-row choice (least sum of residuals) costs it
 *   8-13%, so the filter is chosen per band of IMG_PNG_BAND_ROWS rows, NONE
 *   where most bytes repeat the pixel to their left (drawn content), SUB
 *   elsewhere (photographs).  The synthetic screenshot's dithered "glyphs"
 *   are igzip's worst case; real text comes out within 4%.
 * JPEG q90, decode and encode, 4:2:0 screenshot / 12 MP photo: 15 / 48 ms
 *   from the source's YCbCr planes against 22 / 82 ms through RGB and
 *   4:4:4, with a mean difference from the source's decoded pixels of 0.2
 *   / 0.01 against 0.46 / 0.2; streaming an iMCU row at a time saves 4 / 7
 *   ms more.  IFAST DCTs save nothing measurable (libjpeg-turbo has AVX2
 *   ISLOW); quality 85 is no faster; no Huffman optimisation (7-11%
 *   smaller for +20 ms).
 * WebP lossy q90, method 2: 88-105 ms; method 4 is 1.7x slower for 3-6%;
 *      sharp YUV +130 ms for nothing: a lossy source is already 4:2:0.
 * WebP lossless preset 1: 180-210 ms, output ~1.1x the source; preset 0
 *      is 2x faster but up to 10x larger, preset 2 1.7x slower.
 */
#define IMG_PNG_BAND_ROWS       128
#define IMG_PNG_IDAT_BYTES      (256 * 1024) /* data of each IDAT chunk */
#define IMG_PNG_STAGE_BYTES     (256 * 1024) /* filtered rows per feed */
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

/* The perceptual hash, taken a row at a time (see img_ph_init()). */
#define IMG_PH_N 32

struct img_ph {
	double bx[IMG_PH_N + 1]; /* cell edges */
	double by[IMG_PH_N + 1];
	double gy[IMG_PH_N + 1][IMG_PH_N]; /* integrals up to each by[] */
	double t[IMG_PH_N]; /* integrals up to the rows summed in col */
	uint32_t *col;      /* column sums of bytes, of Y for RGBA */
	size_t ncol;
	uint32_t w, h, y;
	uint32_t rows; /* rows summed in col */
	unsigned ch, k;
};

/* JPEG components read and written as planes: Y, or Y, Cb and Cr. */
#define IMG_MAX_PLANES 3

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

	/* JPEG as YCbCr planes (nplanes > 0) instead of pix; stream: an
	 * iMCU row at a time, straight from decoder to encoder. */
	unsigned nplanes;
	bool stream;
	int hs[IMG_MAX_PLANES]; /* sampling factors */
	int vs[IMG_MAX_PLANES];
	uint8_t *plane[IMG_MAX_PLANES];
	size_t planelen[IMG_MAX_PLANES];
	JSAMPARRAY prow[IMG_MAX_PLANES]; /* its rows */
	size_t pstride[IMG_MAX_PLANES];  /* whole 8 x 8 blocks */
	uint32_t prows[IMG_MAX_PLANES];  /* whole iMCU rows */
	uint32_t pcols[IMG_MAX_PLANES];  /* samples that are picture */
	uint32_t plines[IMG_MAX_PLANES];

	/* PNG output: the deflater, its tables, filtered rows for it. */
	struct isal_zstream z;
	uint8_t *zlevel;
	uint8_t *stage;
	size_t stagelen;
	size_t idat; /* offset of the open IDAT chunk */

	struct img_ph ph;
	bool hashed; /* ph has taken every row */

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
	[IMG_E_SPARSE] = "sparse",
	[IMG_E_TIP_PIXELS] = "tip_pixels",
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

/*
 * Decompression bombs.  A 39 KB PNG of 6000 x 6666 zero pixels (8-bit
 * grey, deflate's best: 1028 pixels a byte) cost 1.8 s to decode and
 * re-encode.  Bytes a pixel of what a phone, a browser or an image tool
 * saves, measured with bench/img_ratio.py (synthetic 1080 x 2400,
 * 1440 x 3200 and 1080 x 20000 screens: empty, one line on a blank page,
 * light and dark, a sparse chat, a dense chat), as pixels a byte, most:
 *   PNG RGBA zlib 6 (phones) 184, RGB 222, zlib 9 optimised 238
 *   JPEG q90 63, q75 optimised 169
 *   WebP lossy q75 558
 *   PNG with a 16-colour palette: empty 2031, one line 1992, sparse 553
 *   WebP lossless: empty 19525, one line 7291, sparse chat 1136
 *   bombs of 6000 x 6666 zeros: grey 1028, RGB 343, 1-bit 8111.
 * An 8-bit RGB or RGBA PNG can never pass 344 (deflate's ratio is at most
 * 1032:1), nor a baseline JPEG 256 (a block takes two bits at least), so
 * 600 refuses no screenshot as phones and browsers save them, and every
 * grey, palette or low-bit PNG bomb and lossless WebP bomb.  Optimised
 * palette PNGs and lossless WebPs of nearly blank screens go past it
 * too: the rule holds only above IMG_SPARSE_MIN_PIXELS (8 MP), above
 * every single-screen capture of a phone (1440 x 3200 is 4.6 MP), tablet
 * (2960 x 1848, 5.5 MP) or 4K desktop (8.3 MP), so only long captures and
 * 5K desktops meet it.  It bounds what a byte sent costs, nothing more:
 * a blank RGB bomb passes, as a blank screenshot does, and padding also
 * passes; the pixel limits bound those.
 */
bool
img_sparse(size_t len, uint64_t pixels)
{
	return pixels > IMG_SPARSE_MIN_PIXELS &&
	       pixels / IMG_SPARSE_PIXELS_PER_BYTE > len;
}

/* Checks dimensions against the limits: shared by img_probe() and each
 * decoder once it has read its header. */
static enum img_err
img_check_dims(uint64_t w, uint64_t h, size_t len, uint64_t max_pixels)
{
	if (w == 0 || h == 0 || w > UINT32_MAX || h > UINT32_MAX)
		return IMG_E_CORRUPT;
	if (w * h > max_pixels)
		return IMG_E_PIXELS;
	if (img_sparse(len, w * h))
		return IMG_E_SPARSE;
	return IMG_OK;
}

/* Checks the header's dimensions against the limits. */
static int
img_check_pixels(struct img_job *j, uint64_t w, uint64_t h)
{
	if ((j->err = img_check_dims(w, h, j->len, j->max_pixels)) != IMG_OK)
		return -1;
	j->w = (uint32_t)w;
	j->h = (uint32_t)h;
	return 0;
}

/*
 * libmagic: one handle for the process, loaded once, and every call under
 * a mutex.  A magic_t is not thread-safe, and per-thread handles loaded
 * while another thread was typing a file gave a wrong answer in a stress
 * test once; the lock costs about 0.1 ms of a 15 ms sanitise.
 */
static pthread_mutex_t img_magic_lock = PTHREAD_MUTEX_INITIALIZER;
static magic_t img_magic_handle;
static bool img_magic_failed;

/* The file's MIME type, into out; -1 if libmagic cannot be loaded. */
static int
img_magic_type(const uint8_t *buf, size_t len, char *out, size_t outlen)
{
	size_t bytes = IMG_MAGIC_BYTES;
	const char *mime;
	int rv = 0;

	pthread_mutex_lock(&img_magic_lock);
	if (img_magic_handle == NULL && !img_magic_failed) {
		img_magic_handle = magic_open(IMG_MAGIC_FLAGS);
		if (img_magic_handle != NULL &&
		    (magic_setparam(img_magic_handle, MAGIC_PARAM_BYTES_MAX,
		         &bytes) == -1 ||
		        magic_load(img_magic_handle, NULL) == -1)) {
			magic_close(img_magic_handle);
			img_magic_handle = NULL;
		}
		img_magic_failed = img_magic_handle == NULL;
	}
	if (img_magic_handle == NULL)
		rv = -1;
	else {
		mime = magic_buffer(img_magic_handle, buf, len);
		snprintf(out, outlen, "%s", mime != NULL ? mime : "");
	}
	pthread_mutex_unlock(&img_magic_lock);
	return rv;
}

static int
img_sniff(struct img_job *j)
{
	char mime[64];

	if (img_magic_type(j->buf, j->len, mime, sizeof(mime)) == -1) {
		j->err = IMG_E_INTERNAL;
		return -1;
	}
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
 * Copies src (sw x sh pixels of ch bytes, sstride bytes a row) into dst
 * (dstride bytes a row) turned upright, as the EXIF specification
 * describes the Orientation tag o: 2 mirrors, 3 turns 180 degrees, 4
 * flips, 5 transposes, 6 turns 90 degrees clockwise, 7 transverses, 8
 * turns 90 degrees anticlockwise.  For 5-8 dst is sh pixels wide.  Each
 * output row walks the source from the pixel that lands at its start by
 * a fixed step: ax bytes per output pixel, ay per output row.  The output
 * is written in tiles of IMG_ROT_TILE square, so that a turn reads the
 * source a few cache lines at a time rather than a column of the whole
 * picture for every output row (5 times faster on a 12 MP photo).
 */
#define IMG_ROT_TILE 32

static void
img_rotate(const uint8_t *src, uint32_t sw, uint32_t sh, size_t sstride,
    unsigned ch, int o, uint8_t *dst, size_t dstride)
{
	ptrdiff_t ss = (ptrdiff_t)sstride, c = (ptrdiff_t)ch, ax, ay, i;
	ptrdiff_t right = (ptrdiff_t)(sw - 1) * c;
	ptrdiff_t bottom = (ptrdiff_t)(sh - 1) * ss;
	uint32_t dw = o >= 5 ? sh : sw, dh = o >= 5 ? sw : sh, dx, dy;
	uint32_t tx, ty, ex, ey;
	ptrdiff_t start;
	uint8_t *d;

	switch (o) {
	case 2:
		start = right, ax = -c, ay = ss;
		break;
	case 3:
		start = right + bottom, ax = -c, ay = -ss;
		break;
	case 4:
		start = bottom, ax = c, ay = -ss;
		break;
	case 5:
		start = 0, ax = ss, ay = c;
		break;
	case 6:
		start = bottom, ax = -ss, ay = c;
		break;
	case 7:
		start = right + bottom, ax = -ss, ay = -c;
		break;
	case 8:
		start = right, ax = ss, ay = -c;
		break;
	default:
		start = 0, ax = c, ay = ss;
		break;
	}
	for (ty = 0; ty < dh; ty += IMG_ROT_TILE) {
		ey = dh - ty > IMG_ROT_TILE ? ty + IMG_ROT_TILE : dh;
		for (tx = 0; tx < dw; tx += IMG_ROT_TILE) {
			ex = dw - tx > IMG_ROT_TILE ? tx + IMG_ROT_TILE : dw;
			for (dy = ty; dy < ey; dy++) {
				d = dst + (size_t)dy * dstride +
				    (size_t)tx * ch;
				i = start + (ptrdiff_t)dy * ay +
				    (ptrdiff_t)tx * ax;
				if (ch == 1)
					for (dx = tx; dx < ex; dx++, i += ax)
						*d++ = src[i];
				else
					for (dx = tx; dx < ex;
					     dx++, i += ax, d += ch)
						memcpy(d, src + i, ch);
			}
		}
	}
}

/* Turns j->pix upright by j->orientation. */
static int
img_orient(struct img_job *j)
{
	int o = j->orientation;
	uint8_t *np;

	if (o < 2 || o > 8)
		return 0;
	if ((np = malloc(j->pixlen)) == NULL) {
		j->err = IMG_E_NOMEM;
		return -1;
	}
	img_rotate(j->pix, j->w, j->h, (size_t)j->w * j->ch, j->ch, o, np,
	    (size_t)(o >= 5 ? j->h : j->w) * j->ch);
	util_free_secret(j->pix, j->pixlen);
	j->pix = np;
	if (o >= 5) {
		uint32_t t = j->w;

		j->w = j->h;
		j->h = t;
	}
	return 0;
}

/*
 * pHash, after pHash.org's ph_dct_imagehash() with exact area averaging
 * in place of its mean filter and nearest-neighbour resize:
 * 1. luma Y = 77 R + 150 G + 29 B (256 times the luma, not rounded per
 *    pixel), alpha laid over white; a JPEG kept as YCbCr gives its Y plane,
 *    which is the same luma (JFIF's 0.299, 0.587, 0.114);
 * 2. resized to 32 x 32 by area averaging (each output cell is the mean
 *    of the source area it covers, fractional pixels weighted);
 * 3. 2-D DCT-II of the 32 x 32 block;
 * 4. the 64 coefficients C(u, v) for u, v in 1..8: the DC term and the
 *    rest of row and column 0 are skipped (brightness and plain ramps);
 * 5. bit (v - 1) * 8 + (u - 1) is set when C(u, v) exceeds the median of
 *    the 64.
 * Only the order of the coefficients matters, so the scale of Y does not.
 */

/* Y of one pixel of ch bytes (1: Y, 3: RGB, 4: RGBA), as in step 1. */
static uint64_t
img_luma(const uint8_t *p, unsigned ch)
{
	uint32_t y;

	if (ch == 1)
		return p[0];
	y = 77 * p[0] + 150 * p[1] + 29 * p[2];
	if (ch == 4) /* scaled by 255 more: over white (255 * 256) */
		return (uint64_t)y * p[3] + 65280 * (uint64_t)(255 - p[3]);
	return y;
}

static int
img_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Area averaging in one pass, fed a row at a time: the integral of the
 * image up to each of the 33 cell edges is taken as the rows go by, and a
 * cell is the difference of its two edges.  Rows that no edge cuts are
 * only added up column by column (bytes into 32-bit sums, which the
 * compiler vectorises); the horizontal integrals, whole columns summed and
 * the column an edge cuts counted by the fraction before the edge, are
 * taken of those sums and of each row an edge cuts, 33 times or so in
 * all.  The cells all have the same area, so they are left unnormalised.
 * Y is linear in R, G and B, so column sums of bytes give the sums of Y;
 * not so over white, so RGBA sums Y itself, and more often.
 */
static void img_ph_reset(struct img_ph *);

static int
img_ph_init(struct img_ph *ph, uint32_t w, uint32_t h, unsigned ch)
{
	unsigned i;

	img_ph_reset(ph);
	memset(ph, 0, sizeof(*ph));
	ph->w = w;
	ph->h = h;
	ph->ch = ch;
	ph->k = 1;
	for (i = 0; i <= IMG_PH_N; i++) {
		ph->bx[i] = (double)w * i / IMG_PH_N;
		ph->by[i] = (double)h * i / IMG_PH_N;
	}
	ph->ncol = ch == 4 ? w : (size_t)w * ch;
	if ((ph->col = calloc(ph->ncol, sizeof(*ph->col))) == NULL)
		return -1;
	return 0;
}

static void
img_ph_reset(struct img_ph *ph)
{
	util_free_secret(ph->col, ph->ncol * sizeof(*ph->col));
	ph->col = NULL;
}

/* Y of column x: of the pixel in row p, or of the column sums c. */
static uint64_t
img_ph_y(const struct img_ph *ph, const uint8_t *p, const uint32_t *c, size_t x)
{
	if (p != NULL)
		return img_luma(p + x * ph->ch, ph->ch);
	if (ph->ch != 3) /* a Y plane, or the Y of RGBA */
		return c[x];
	return 77 * (uint64_t)c[3 * x] + 150 * (uint64_t)c[3 * x + 1] +
	       29 * (uint64_t)c[3 * x + 2];
}

/*
 * Horizontal integrals over the cells, out[i] for cell column i, of one
 * row of pixels p, or of the column sums c: whole columns summed, then
 * the column an edge cuts counted by the fraction before the edge.
 */
static void
img_ph_cells(const struct img_ph *ph, const uint8_t *p, const uint32_t *c,
    double out[IMG_PH_N])
{
	uint32_t x, e, w = ph->w;
	double fx[IMG_PH_N + 1];
	uint64_t s = 0;
	unsigned i;

	fx[0] = 0;
	for (i = 1, x = 0; i <= IMG_PH_N; i++) {
		e = (uint32_t)ph->bx[i] < w ? (uint32_t)ph->bx[i] : w;
		for (; x < e; x++)
			s += img_ph_y(ph, p, c, x);
		fx[i] = (double)s;
		if (e < w && ph->bx[i] > e)
			fx[i] +=
			    (ph->bx[i] - e) * (double)img_ph_y(ph, p, c, e);
	}
	for (i = 0; i < IMG_PH_N; i++)
		out[i] = fx[i + 1] - fx[i];
}

/* Adds the column sums into t and empties them. */
static void
img_ph_flush(struct img_ph *ph)
{
	double h[IMG_PH_N];
	unsigned i;

	if (ph->rows == 0)
		return;
	img_ph_cells(ph, NULL, ph->col, h);
	for (i = 0; i < IMG_PH_N; i++)
		ph->t[i] += h[i];
	memset(ph->col, 0, ph->ncol * sizeof(*ph->col));
	ph->rows = 0;
}

/* Takes the next row, w pixels of ch bytes. */
static void
img_ph_row(struct img_ph *ph, const uint8_t *p)
{
	uint32_t y = ph->y++, *c = ph->col, x;
	double h[IMG_PH_N];
	size_t i, n = ph->ncol;
	unsigned k;

	if (ph->k <= IMG_PH_N && ph->by[ph->k] < y + 1) {
		/* Edges cut this row: the integrals up to each. */
		img_ph_flush(ph);
		img_ph_cells(ph, p, NULL, h);
		for (; ph->k <= IMG_PH_N && ph->by[ph->k] < y + 1; ph->k++)
			for (k = 0; k < IMG_PH_N; k++)
				ph->gy[ph->k][k] =
				    ph->t[k] + (ph->by[ph->k] - y) * h[k];
		for (k = 0; k < IMG_PH_N; k++)
			ph->t[k] += h[k];
		return;
	}
	/* Sums stay below 2^32: 2^24 rows of bytes, 256 rows of RGBA Y. */
	if (ph->rows == (ph->ch == 4 ? 256u : 1u << 24))
		img_ph_flush(ph);
	if (ph->ch == 4)
		for (x = 0; x < ph->w; x++)
			c[x] += (uint32_t)img_luma(p + (size_t)x * 4, 4);
	else
		for (i = 0; i < n; i++)
			c[i] += p[i];
	ph->rows++;
}

/* The hash, once every row has been taken. */
static uint64_t
img_ph_end(struct img_ph *ph)
{
	double cell[IMG_PH_N][IMG_PH_N], cs[9][IMG_PH_N], r[IMG_PH_N][9];
	double c[64], s[64], med;
	unsigned u, v, x, y, k;
	uint64_t hash = 0;

	img_ph_flush(ph);
	for (k = ph->k; k <= IMG_PH_N; k++)
		memcpy(ph->gy[k], ph->t, sizeof(ph->t));
	for (k = 0; k < IMG_PH_N; k++)
		for (x = 0; x < IMG_PH_N; x++)
			cell[k][x] = ph->gy[k + 1][x] - ph->gy[k][x];
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

/* Gives j->ph the whole picture, from the planes or from pix. */
static int
img_ph_all(struct img_job *j)
{
	uint32_t y;

	if (img_ph_init(&j->ph, j->w, j->h, j->nplanes > 0 ? 1 : j->ch) == -1) {
		j->err = IMG_E_NOMEM;
		return -1;
	}
	for (y = 0; y < j->h; y++)
		img_ph_row(&j->ph, j->nplanes > 0
		                       ? j->prow[0][y]
		                       : j->pix + (size_t)y * j->w * j->ch);
	j->hashed = true;
	return 0;
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
	/* The CRC of every IDAT already covers the compressed bytes. */
	(void)png_set_option(j->png, PNG_IGNORE_ADLER32, PNG_OPTION_ON);
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

/*
 * PNG output.  The filtered rows go to igzip a stage at a time (a stage
 * holds whole rows, so it is never smaller than one), and igzip writes
 * straight into IDAT chunks opened in the output, each closed with its
 * length and CRC once full.
 */
static void
img_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Appends a whole chunk: length, type, n bytes of data, CRC. */
static int
img_png_chunk(struct img_job *j, const char *type, const uint8_t *data,
    size_t n)
{
	uint8_t *c;

	if (img_buf_reserve(&j->out, 12 + n) == -1) {
		j->err = IMG_E_NOMEM;
		return -1;
	}
	c = j->out.p + j->out.len;
	img_be32(c, (uint32_t)n);
	memcpy(c + 4, type, 4);
	if (n > 0)
		memcpy(c + 8, data, n);
	img_be32(c + 8 + n, crc32_gzip_refl(0, c + 4, n + 4));
	j->out.len += 12 + n;
	return 0;
}

/* Opens an IDAT chunk at the end of the output for igzip to fill. */
static int
img_png_idat_open(struct img_job *j)
{
	if (img_buf_reserve(&j->out, 12 + IMG_PNG_IDAT_BYTES) == -1) {
		j->err = IMG_E_NOMEM;
		return -1;
	}
	j->idat = j->out.len;
	j->out.len += 8;
	j->z.next_out = j->out.p + j->out.len;
	j->z.avail_out = IMG_PNG_IDAT_BYTES;
	return 0;
}

/* Closes it around what igzip wrote: length, type, CRC. */
static void
img_png_idat_close(struct img_job *j)
{
	uint8_t *c = j->out.p + j->idat;
	size_t n = IMG_PNG_IDAT_BYTES - j->z.avail_out;

	img_be32(c, (uint32_t)n);
	memcpy(c + 4, "IDAT", 4);
	img_be32(c + 8 + n, crc32_gzip_refl(0, c + 4, n + 4));
	j->out.len += n + 4;
}

/* Deflates n bytes of filtered rows; last ends the zlib stream. */
static int
img_png_feed(struct img_job *j, uint8_t *p, size_t n, bool last)
{
	struct isal_zstream *z = &j->z;
	uint32_t in, out, state;
	size_t k;

	do {
		k = n < (1u << 30) ? n : 1u << 30;
		z->next_in = p;
		z->avail_in = (uint32_t)k;
		z->end_of_stream = last && k == n;
		for (;;) {
			if (z->avail_out == 0) {
				img_png_idat_close(j);
				if (img_png_idat_open(j) == -1)
					return -1;
			}
			in = z->avail_in;
			out = z->avail_out;
			state = z->internal_state.state;
			/* No progress at all: do not loop for ever. */
			if (isal_deflate(z) != COMP_OK ||
			    (z->avail_in == in && z->avail_out == out &&
			        z->internal_state.state == state &&
			        state != ZSTATE_END)) {
				j->err = IMG_E_INTERNAL;
				return -1;
			}
			if (z->avail_in > 0)
				continue;
			if (!z->end_of_stream ||
			    z->internal_state.state == ZSTATE_END)
				break;
		}
		p += k;
		n -= k;
	} while (n > 0);
	return 0;
}

/*
 * Whether rows y0 to y1 are drawn rather than photographed: at least half
 * the bytes of every fourth row repeat the byte one pixel to their left.
 */
static bool
img_png_flat(const struct img_job *j, uint32_t y0, uint32_t y1)
{
	size_t stride = (size_t)j->w * j->ch, i, same, all = 0, nsame = 0;
	const uint8_t *r;
	uint32_t y;

	for (y = y0; y < y1; y += 4) {
		r = j->pix + (size_t)y * stride;
		for (i = j->ch, same = 0; i < stride; i++)
			same += r[i] == r[i - j->ch];
		nsame += same;
		all += stride - j->ch;
	}
	return nsame >= all - nsame;
}

/* One row with its filter byte: NONE (0) or SUB (1). */
static void
img_png_filter(uint8_t *d, const uint8_t *s, size_t stride, unsigned ch,
    bool sub)
{
	size_t i;

	d[0] = sub;
	memcpy(d + 1, s, sub ? ch : stride);
	if (sub)
		for (i = ch; i < stride; i++)
			d[1 + i] = (uint8_t)(s[i] - s[i - ch]);
}

static int
img_png_encode(struct img_job *j)
{
	size_t stride = (size_t)j->w * j->ch, rowlen = stride + 1, fill = 0;
	uint32_t y, y0, y1;
	uint8_t ihdr[13];
	bool sub;

	if (j->w > 0x7fffffff || j->h > 0x7fffffff) { /* libpng's too */
		j->err = IMG_E_INTERNAL;
		return -1;
	}
	j->stagelen = rowlen < IMG_PNG_STAGE_BYTES
	                  ? IMG_PNG_STAGE_BYTES / rowlen * rowlen
	                  : rowlen;
	/* Zeroed: igzip may look past the bytes it is given. */
	if ((j->stage = calloc(1, j->stagelen)) == NULL ||
	    (j->zlevel = malloc(ISAL_DEF_LVL1_DEFAULT)) == NULL) {
		j->err = IMG_E_NOMEM;
		return -1;
	}
	if (img_ph_init(&j->ph, j->w, j->h, j->ch) == -1) {
		j->err = IMG_E_NOMEM;
		return -1;
	}
	isal_deflate_init(&j->z);
	j->z.level = 1;
	j->z.level_buf = j->zlevel;
	j->z.level_buf_size = ISAL_DEF_LVL1_DEFAULT;
	j->z.gzip_flag = IGZIP_ZLIB;
	j->z.flush = NO_FLUSH;
	img_be32(ihdr, j->w);
	img_be32(ihdr + 4, j->h);
	ihdr[8] = 8;                        /* bits per sample */
	ihdr[9] = j->ch == 4 ? 6 : 2;       /* RGBA or RGB */
	ihdr[10] = ihdr[11] = ihdr[12] = 0; /* deflate, filters, progressive */
	if (img_buf_append(&j->out, "\x89PNG\r\n\x1a\n", 8) == -1) {
		j->err = IMG_E_NOMEM;
		return -1;
	}
	if (img_png_chunk(j, "IHDR", ihdr, sizeof(ihdr)) == -1 ||
	    img_png_idat_open(j) == -1)
		return -1;
	for (y0 = 0; y0 < j->h; y0 = y1) {
		y1 = j->h - y0 > IMG_PNG_BAND_ROWS ? y0 + IMG_PNG_BAND_ROWS
		                                   : j->h;
		sub = !img_png_flat(j, y0, y1);
		for (y = y0; y < y1; y++) {
			if (j->stagelen - fill < rowlen) {
				if (img_png_feed(j, j->stage, fill, false) ==
				    -1)
					return -1;
				fill = 0;
			}
			/* The row is in cache now: hash it too. */
			img_png_filter(j->stage + fill,
			    j->pix + (size_t)y * stride, stride, j->ch, sub);
			img_ph_row(&j->ph, j->pix + (size_t)y * stride);
			fill += rowlen;
		}
	}
	if (img_png_feed(j, j->stage, fill, true) == -1)
		return -1;
	img_png_idat_close(j);
	j->hashed = true;
	return img_png_chunk(j, "IEND", NULL, 0);
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

/*
 * Whether the source can be kept as YCbCr planes: one gray component, or
 * YCbCr at 4:4:4 or 4:2:0, the sampling that turning a picture leaves as
 * it is.
 */
static bool
img_jpeg_planar(const struct jpeg_decompress_struct *d)
{
	const jpeg_component_info *c = d->comp_info;

	if (d->num_components == 1 && d->jpeg_color_space == JCS_GRAYSCALE)
		return c[0].h_samp_factor == 1 && c[0].v_samp_factor == 1;
	if (d->num_components != 3 || d->jpeg_color_space != JCS_YCbCr)
		return false;
	if (c[1].h_samp_factor != 1 || c[1].v_samp_factor != 1 ||
	    c[2].h_samp_factor != 1 || c[2].v_samp_factor != 1)
		return false;
	return c[0].h_samp_factor == c[0].v_samp_factor &&
	       (c[0].h_samp_factor == 1 || c[0].h_samp_factor == 2);
}

/*
 * Allocates plane i for a j->w x j->h picture as libjpeg lays out raw
 * data: ceil(w * hs / max) samples of picture across, whole 8 x 8 blocks,
 * whole iMCU rows (max_v * 8 picture rows) down, or only one iMCU row
 * when streaming.
 */
static int
img_plane_alloc(struct img_job *j, unsigned i, int maxh, int maxv)
{
	uint64_t pw, ph, stride, rows;
	uint32_t y;

	pw = ((uint64_t)j->w * j->hs[i] + maxh - 1) / maxh;
	ph = ((uint64_t)j->h * j->vs[i] + maxv - 1) / maxv;
	stride = (pw + DCTSIZE - 1) / DCTSIZE * DCTSIZE;
	rows = ((uint64_t)j->h + maxv * DCTSIZE - 1) / (maxv * DCTSIZE) *
	       j->vs[i] * DCTSIZE;
	if (j->stream)
		rows = (uint64_t)j->vs[i] * DCTSIZE;
	if (stride * rows > SIZE_MAX ||
	    (j->plane[i] = malloc((size_t)(stride * rows))) == NULL ||
	    (j->prow[i] = calloc((size_t)rows, sizeof(JSAMPROW))) == NULL) {
		j->err = IMG_E_NOMEM;
		return -1;
	}
	j->planelen[i] = (size_t)(stride * rows);
	j->pstride[i] = (size_t)stride;
	j->prows[i] = (uint32_t)rows;
	j->pcols[i] = (uint32_t)pw;
	j->plines[i] = (uint32_t)ph;
	for (y = 0; y < rows; y++)
		j->prow[i][y] = j->plane[i] + (size_t)y * stride;
	return 0;
}

static void
img_plane_free(struct img_job *j, unsigned i)
{
	util_free_secret(j->plane[i], j->planelen[i]);
	free(j->prow[i]);
	j->plane[i] = NULL;
	j->prow[i] = NULL;
}

/*
 * Fills plane i beyond the picture with copies of its last column and
 * row, as libjpeg pads what it encodes: whatever the source had there
 * (invisible, yet it would be encoded again) is gone.  The buffer holds
 * the plane's rows from r0 on (all of them, or one iMCU row); every iMCU
 * row holds at least one row of picture, so the last one is in it.
 */
static void
img_plane_pad(struct img_job *j, unsigned i, uint32_t r0)
{
	size_t stride = j->pstride[i], pw = j->pcols[i];
	uint32_t k, last = j->plines[i] - 1;
	uint8_t *r;

	for (k = 0; k < j->prows[i]; k++) {
		r = j->prow[i][k];
		if (r0 + k <= last)
			memset(r + pw, r[pw - 1], stride - pw);
		else
			memcpy(r, j->prow[i][last - r0], stride);
	}
}

/* Turns every plane upright; 4:2:0 and 4:4:4 stay what they are. */
static int
img_planes_orient(struct img_job *j, int maxh, int maxv)
{
	uint8_t *old[IMG_MAX_PLANES];
	JSAMPARRAY oldrow[IMG_MAX_PLANES];
	size_t oldlen[IMG_MAX_PLANES], oldstride[IMG_MAX_PLANES];
	uint32_t oldw[IMG_MAX_PLANES], oldh[IMG_MAX_PLANES], t;
	int o = j->orientation, rc = 0;
	unsigned i;

	if (o < 2 || o > 8)
		return 0;
	for (i = 0; i < j->nplanes; i++) {
		old[i] = j->plane[i], oldrow[i] = j->prow[i];
		oldlen[i] = j->planelen[i], oldstride[i] = j->pstride[i];
		oldw[i] = j->pcols[i], oldh[i] = j->plines[i];
		j->plane[i] = NULL, j->prow[i] = NULL;
	}
	if (o >= 5) {
		t = j->w;
		j->w = j->h;
		j->h = t;
	}
	for (i = 0; i < j->nplanes; i++) {
		if (rc == 0 && img_plane_alloc(j, i, maxh, maxv) == 0) {
			img_rotate(old[i], oldw[i], oldh[i], oldstride[i], 1, o,
			    j->plane[i], j->pstride[i]);
			img_plane_pad(j, i, 0);
		} else
			rc = -1;
		util_free_secret(old[i], oldlen[i]);
		free(oldrow[i]);
	}
	return rc;
}

/*
 * Starts reading the source as planes (img_jpeg_planar() said it can be)
 * and, unless streaming, reads all of it.
 */
static void
img_jpeg_read_planes(struct img_job *j)
{
	struct jpeg_decompress_struct *d = &j->dinfo;
	JSAMPARRAY rows[IMG_MAX_PLANES];
	JDIMENSION lines = (JDIMENSION)d->max_v_samp_factor * DCTSIZE, imcu;
	unsigned i;

	d->raw_data_out = TRUE;
	(void)jpeg_start_decompress(d);
	if (d->output_width != j->w || d->output_height != j->h)
		img_jpeg_fail(j, IMG_E_CORRUPT);
	for (i = 0; i < j->nplanes; i++) {
		if (img_plane_alloc(j, i, d->max_h_samp_factor,
		        d->max_v_samp_factor) == -1)
			img_jpeg_fail(j, j->err);
		/* libjpeg must agree on the layout. */
		if (d->comp_info[i].width_in_blocks * DCTSIZE !=
		        j->pstride[i] ||
		    d->comp_info[i].downsampled_width != j->pcols[i] ||
		    d->comp_info[i].downsampled_height != j->plines[i])
			img_jpeg_fail(j, IMG_E_INTERNAL);
	}
	if (j->stream)
		return; /* img_jpeg_stream() reads the rest */
	while (d->output_scanline < d->output_height) {
		imcu = d->output_scanline / lines;
		for (i = 0; i < j->nplanes; i++)
			rows[i] =
			    j->prow[i] + (size_t)imcu * j->vs[i] * DCTSIZE;
		if (jpeg_read_raw_data(d, rows, lines) != lines)
			img_jpeg_fail(j, IMG_E_CORRUPT);
	}
	for (i = 0; i < j->nplanes; i++)
		img_plane_pad(j, i, 0);
}

static int
img_jpeg_decode(struct img_job *j)
{
	jpeg_saved_marker_ptr mk;
	uint64_t memcap;
	JSAMPROW row;
	unsigned i;
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
	if (img_jpeg_planar(&j->dinfo)) {
		j->nplanes = (unsigned)j->dinfo.num_components;
		for (i = 0; i < j->nplanes; i++) {
			j->hs[i] = j->dinfo.comp_info[i].h_samp_factor;
			j->vs[i] = j->dinfo.comp_info[i].v_samp_factor;
		}
		/* Nothing to turn: img_jpeg_encode() decodes as it goes. */
		j->stream = j->orientation < 2 || j->orientation > 8;
		img_jpeg_read_planes(j);
		if (j->stream)
			return 0;
		(void)jpeg_finish_decompress(&j->dinfo);
		jpeg_destroy_decompress(&j->dinfo);
		return 0;
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

/*
 * Streaming: decodes iMCU row imcu into the planes' one-row buffers, pads
 * it and gives its picture rows to the hash.
 */
static void
img_jpeg_read_imcu(struct img_job *j, JDIMENSION imcu, JDIMENSION lines)
{
	uint32_t y, y1;
	unsigned i;

	if (jpeg_read_raw_data(&j->dinfo, j->prow, lines) != lines)
		img_jpeg_fail(j, IMG_E_CORRUPT);
	for (i = 0; i < j->nplanes; i++)
		img_plane_pad(j, i, imcu * (uint32_t)j->vs[i] * DCTSIZE);
	y1 = j->h - imcu * lines > lines ? (imcu + 1) * lines : j->h;
	for (y = imcu * lines; y < y1; y++)
		img_ph_row(&j->ph, j->prow[0][y - imcu * lines]);
}

/*
 * Writes the planes as they are: no colour conversion, no resampling.
 * Streaming, each iMCU row is decoded just before it is encoded.
 */
static void
img_jpeg_write_planes(struct img_job *j)
{
	struct jpeg_compress_struct *c = &j->cinfo;
	JSAMPARRAY rows[IMG_MAX_PLANES];
	JDIMENSION lines, imcu;
	unsigned i;

	c->raw_data_in = TRUE;
	jpeg_start_compress(c, TRUE);
	lines = (JDIMENSION)c->max_v_samp_factor * DCTSIZE;
	for (i = 0; i < j->nplanes; i++)
		if (c->comp_info[i].width_in_blocks * DCTSIZE != j->pstride[i])
			img_jpeg_fail(j, IMG_E_INTERNAL);
	if (j->stream && img_ph_init(&j->ph, j->w, j->h, 1) == -1)
		img_jpeg_fail(j, IMG_E_NOMEM);
	while (c->next_scanline < c->image_height) {
		imcu = c->next_scanline / lines;
		if (j->stream)
			img_jpeg_read_imcu(j, imcu, lines);
		for (i = 0; i < j->nplanes; i++)
			rows[i] =
			    j->prow[i] +
			    (j->stream ? 0 : (size_t)imcu * j->vs[i] * DCTSIZE);
		if (jpeg_write_raw_data(c, rows, lines) != lines)
			img_jpeg_fail(j, IMG_E_INTERNAL);
	}
	jpeg_finish_compress(c);
	if (j->stream) {
		(void)jpeg_finish_decompress(&j->dinfo);
		jpeg_destroy_decompress(&j->dinfo);
		j->hashed = true;
	}
}

static int
img_jpeg_encode(struct img_job *j)
{
	JSAMPROW row;
	int i;

	j->cinfo.err = img_jpeg_err_init(j);
	j->cinfo.client_data = j;
	if (setjmp(j->jerr.jb)) {
		/* Streaming, the decoder may still be at work. */
		jpeg_destroy_compress(&j->cinfo);
		jpeg_destroy_decompress(&j->dinfo);
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
	if (j->nplanes > 0) {
		j->cinfo.input_components = (int)j->nplanes;
		j->cinfo.in_color_space =
		    j->nplanes == 1 ? JCS_GRAYSCALE : JCS_YCbCr;
	} else {
		j->cinfo.input_components = 3;
		j->cinfo.in_color_space = JCS_RGB;
	}
	jpeg_set_defaults(&j->cinfo);
	if (j->gray && j->nplanes == 0)
		jpeg_set_colorspace(&j->cinfo, JCS_GRAYSCALE);
	jpeg_set_quality(&j->cinfo, IMG_JPEG_QUALITY, TRUE);
	for (i = 0; i < j->cinfo.num_components; i++) {
		/* The source's sampling, or 4:4:4 from RGB: full-resolution
		 * chroma keeps coloured text sharp. */
		j->cinfo.comp_info[i].h_samp_factor =
		    j->nplanes > 0 ? j->hs[i] : 1;
		j->cinfo.comp_info[i].v_samp_factor =
		    j->nplanes > 0 ? j->vs[i] : 1;
	}
	if (j->nplanes > 0) {
		img_jpeg_write_planes(j);
		jpeg_destroy_compress(&j->cinfo);
		return 0;
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
	unsigned i;

	/* Both no-ops unless a failure left one behind. */
	jpeg_destroy_decompress(&j->dinfo);
	jpeg_destroy_compress(&j->cinfo);
	util_free_secret(j->pix, j->pixlen);
	util_free_secret(j->tmp, j->tmplen);
	free(j->rows);
	util_free_secret(j->out.p, j->out.cap);
	util_free_secret(j->stage, j->stagelen);
	util_free_secret(j->zlevel,
	    j->zlevel != NULL ? ISAL_DEF_LVL1_DEFAULT : 0);
	explicit_bzero(&j->z, sizeof(j->z)); /* its history holds rows */
	img_ph_reset(&j->ph);
	for (i = 0; i < IMG_MAX_PLANES; i++)
		img_plane_free(j, i);
	j->pix = j->tmp = j->stage = j->zlevel = NULL;
	j->rows = NULL;
	j->out.p = NULL;
}

/*
 * The header parsers of img_probe().  Each reads the dimensions the
 * decoder will act on, so that a tip's pixels can be added up before any
 * is decoded; img_sanitise() is then given a file's own count as its
 * limit, so a file whose decoder saw more than its probe is refused.
 */
static enum img_err
img_probe_png(const uint8_t *buf, size_t len, uint64_t *w, uint64_t *h)
{
	/* libpng wants IHDR, 13 bytes, first, and checks its CRC too;
	 * without it, libmagic names no PNG either. */
	if (len < 33 || memcmp(buf + 8, "\0\0\0\x0dIHDR", 8) != 0)
		return IMG_E_TYPE;
	*w = img_rd32(buf + 16, false);
	*h = img_rd32(buf + 20, false);
	return IMG_OK;
}

/*
 * Walks the markers from SOI to the first SOFn as libjpeg's
 * read_markers() does: bytes before a marker are skipped (libjpeg warns,
 * and img.c tolerates that), fill bytes too; RSTn and TEM stand alone;
 * any other marker but SOS, EOI and a second SOI has a length.  Where
 * libjpeg would fail anyway, the probe may differ: only a file that
 * decodes must be seen the same by both (tests/fuzz/fuzz_img.c).
 */
static enum img_err
img_probe_jpeg(const uint8_t *buf, size_t len, uint64_t *w, uint64_t *h)
{
	size_t pos = 2, seg;
	uint8_t m;

	for (;;) {
		while (pos < len && buf[pos] != 0xff)
			pos++;
		while (pos < len && buf[pos] == 0xff)
			pos++;
		if (pos >= len)
			return IMG_E_CORRUPT;
		m = buf[pos++];
		if (m == 0x00 || m == 0x01 || (m >= 0xd0 && m <= 0xd7))
			continue;
		if (m == 0xd8 || m == 0xd9 || m == 0xda)
			return IMG_E_CORRUPT; /* no frame before the scan */
		if (len - pos < 2)
			return IMG_E_CORRUPT;
		seg = img_rd16(buf + pos, false);
		if (seg > len - pos)
			return IMG_E_CORRUPT;
		if (seg < 2) {
			/* libjpeg skips none of an APPn or COM whose length
			 * is too short, and looks for a marker next. */
			pos += 2;
			continue;
		}
		if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 &&
		    m != 0xcc) {
			if (seg < 8)
				return IMG_E_CORRUPT;
			*h = img_rd16(buf + pos + 3, false);
			*w = img_rd16(buf + pos + 5, false);
			return IMG_OK;
		}
		pos += seg;
	}
}

static enum img_err
img_probe_webp(const uint8_t *buf, size_t len, uint64_t *w, uint64_t *h)
{
	WebPBitstreamFeatures f;

	/* The decoder's own header reader: no pixel is decoded. */
	if (WebPGetFeatures(buf, len, &f) != VP8_STATUS_OK || f.width <= 0 ||
	    f.height <= 0)
		return IMG_E_CORRUPT;
	if (f.has_animation)
		return IMG_E_TYPE;
	*w = (uint64_t)f.width;
	*h = (uint64_t)f.height;
	return IMG_OK;
}

int
img_probe(const uint8_t *buf, size_t len, const struct img_limits *limits,
    struct img_info *out, enum img_err *err)
{
	uint64_t w = 0, h = 0;

	memset(out, 0, sizeof(*out));
	if (len > (limits != NULL ? limits->max_bytes : IMG_DEFAULT_MAX_BYTES))
		*err = IMG_E_TOO_BIG;
	else if (len >= 8 && memcmp(buf, "\x89PNG\r\n\x1a\n", 8) == 0) {
		out->type = IMG_PNG;
		*err = img_probe_png(buf, len, &w, &h);
	} else if (len >= 3 && buf[0] == 0xff && buf[1] == 0xd8) {
		out->type = IMG_JPEG;
		*err = img_probe_jpeg(buf, len, &w, &h);
	} else if (len >= 12 && memcmp(buf, "RIFF", 4) == 0 &&
	           memcmp(buf + 8, "WEBP", 4) == 0) {
		out->type = IMG_WEBP;
		*err = img_probe_webp(buf, len, &w, &h);
	} else
		*err = IMG_E_TYPE;
	if (*err == IMG_OK)
		*err = img_check_dims(w, h, len,
		    limits != NULL ? limits->max_pixels
		                   : IMG_DEFAULT_MAX_PIXELS);
	if (*err != IMG_OK) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	out->width = (uint32_t)w;
	out->height = (uint32_t)h;
	return 0;
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
	/* Room for the output, which seldom outgrows the input by half:
	 * growing it costs a copy and a wipe each time. */
	if (img_buf_reserve(&j->out, len + len / 2 + 64 * 1024) == -1) {
		j->err = IMG_E_NOMEM;
		goto fail;
	}
	switch (j->type) {
	case IMG_PNG:
		if (img_png_decode(j) == -1 || img_png_encode(j) == -1)
			goto fail;
		break;
	case IMG_JPEG:
		if (img_jpeg_decode(j) == -1 ||
		    (j->nplanes > 0 ? img_planes_orient(j, j->hs[0], j->vs[0])
		                    : img_orient(j)) == -1 ||
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
	if (!j->hashed && img_ph_all(j) == -1)
		goto fail;
	out->type = j->type;
	out->width = j->w;
	out->height = j->h;
	out->phash = img_ph_end(&j->ph);
	(void)SHA256(j->out.p, j->out.len, out->sha256);
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
