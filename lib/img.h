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

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Used when img_sanitise() is given no limits (the config defaults). */
#define IMG_DEFAULT_MAX_BYTES  (10 << 20)
#define IMG_DEFAULT_MAX_PIXELS 40000000

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

/* Wipes and frees out->data and zeroes *out; NULL is a no-op. */
void img_clean_free(struct img_clean *out);

/* "ok", "type", "too_big", "pixels", "corrupt", "nomem", "internal". */
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
