/*
 * The screenshot sanitiser: bytes of an uploaded image in, a re-encoded
 * image out that holds nothing but pixels (no EXIF, GPS, XMP, IPTC, ICC,
 * text chunks, comments, thumbnails, trailing data or polyglot payloads),
 * with its SHA-256 and a perceptual hash.  PNG stays PNG, JPEG stays JPEG
 * (EXIF orientation applied to the pixels), WebP stays WebP.  Thread-safe;
 * no I/O and no logging.
 */
#ifndef TL_IMG_H
#define TL_IMG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Used when img_sanitise() is given no limits (the config defaults). */
#define IMG_DEFAULT_MAX_BYTES  (10 << 20)
#define IMG_DEFAULT_MAX_PIXELS 40000000

/*
 * Decompression bombs: an image of more than IMG_SPARSE_MIN_PIXELS pixels
 * needs at least one byte of file per IMG_SPARSE_PIXELS_PER_BYTE pixels
 * (the measurement is in img.c, at img_sparse()).
 */
#define IMG_SPARSE_MIN_PIXELS      8000000
#define IMG_SPARSE_PIXELS_PER_BYTE 600

enum img_type {
	IMG_PNG = 1,
	IMG_JPEG,
	IMG_WEBP
};

enum img_err {
	IMG_OK,
	IMG_E_TYPE,    /* not PNG, JPEG or still WebP by its bytes */
	IMG_E_TOO_BIG, /* more than max_bytes */
	IMG_E_PIXELS,  /* width * height over max_pixels, from the header */
	IMG_E_SPARSE,  /* too few bytes for its pixels: img_sparse() */
	/* Never returned here: the caller's verdict on a screenshot whose
	 * pixels, with its tip's others', exceed the tip's budget. */
	IMG_E_TIP_PIXELS,
	IMG_E_CORRUPT, /* truncated, damaged or undecodable */
	IMG_E_NOMEM,
	IMG_E_INTERNAL /* libmagic database missing, an encoder failed */
};

struct img_limits {
	size_t max_bytes;
	uint64_t max_pixels;
};

struct img_clean {
	uint8_t *data;      /* the re-encoded file, malloc'd */
	size_t len;         /* its length in bytes */
	enum img_type type; /* type of data, always the input's type */
	uint32_t width;     /* after orientation */
	uint32_t height;    /* after orientation */
	uint8_t sha256[32]; /* of data */
	uint64_t phash;     /* 64-bit DCT hash of the pixels, see img.c */
};

/*
 * Decodes buf (len bytes) and re-encodes its pixels.  limits may be NULL
 * for the defaults above.  Returns 0 with *out filled (caller frees with
 * img_clean_free()), or -1 with *err set and *out zeroed.
 */
TL_MUSTCHECK int img_sanitise(const uint8_t *buf, size_t len,
    const struct img_limits *limits, struct img_clean *out, enum img_err *err);

/* What img_probe() reads from a header. */
struct img_info {
	enum img_type type;
	uint32_t width; /* before any EXIF orientation */
	uint32_t height;
};

/*
 * Reads only the header of buf (len bytes): its type from the signature
 * and its dimensions as the decoder will see them (PNG's IHDR, JPEG's
 * first SOF, WebP's canvas), and checks them and len against limits (NULL
 * for the defaults) and img_sparse() as img_sanitise() does, decoding
 * nothing.  Cheap enough for an event loop.  Pure.  Returns 0 with *out
 * filled, or -1 with *err set: IMG_E_TOO_BIG, IMG_E_TYPE, IMG_E_CORRUPT
 * (no dimensions found), IMG_E_PIXELS or IMG_E_SPARSE.  A file that
 * passes may still fail img_sanitise().
 */
TL_MUSTCHECK int img_probe(const uint8_t *buf, size_t len,
    const struct img_limits *limits, struct img_info *out, enum img_err *err);

/* Whether a file of len bytes is implausibly small for pixels pixels: a
 * decompression bomb (see IMG_SPARSE_*).  Pure. */
bool img_sparse(size_t len, uint64_t pixels);

/* Wipes and frees out->data and zeroes *out; NULL is a no-op. */
void img_clean_free(struct img_clean *out);

/* "ok", "type", "too_big", "pixels", "sparse", "tip_pixels", "corrupt",
 * "nomem", "internal". */
const char *img_err_name(enum img_err);

/* "image/png", "image/jpeg", "image/webp"; NULL for anything else. */
const char *img_type_mime(enum img_type);

/* Number of differing bits: 0 for the same picture, about 32 for unrelated
 * ones. */
int img_phash_distance(uint64_t, uint64_t);

/*
 * Pure parser of an EXIF block as found in a JPEG APP1 segment ("Exif\0\0"
 * then a TIFF header) or bare TIFF ("II*\0", "MM\0*").  Returns the IFD0
 * Orientation value 1-8, or 1 when it is absent or invalid.
 */
int img_exif_orientation(const uint8_t *buf, size_t len);

#endif
