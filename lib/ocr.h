/*
 * Text of screenshots by OCR (Tesseract), so that two screenshots of one
 * post taken on different phones (other width, font, status bar; same
 * words) dedup through their words where perceptual hashes of dense text
 * fail.  Thread-safe: each thread that calls ocr_image() gets its own
 * Tesseract engine on first use, reused for every later image on that
 * thread and freed when the thread exits.  No I/O beyond loading the
 * language data, and no logging: the text is never logged.
 */
#ifndef TL_OCR_H
#define TL_OCR_H

#include <stddef.h>
#include <stdint.h>

#include "simhash.h"
#include "util.h"

/*
 * Tesseract's script model for all Latin-script languages (Debian's
 * tesseract-ocr-script-latn): it reads Finnish, Swedish, English, Somali,
 * Estonian and Northern Sámi in one pass with ä, ö, å, õ, š, ž, č, đ, ŋ
 * and ŧ intact.  "fin+swe+eng" lost å and often ä (see ocr.c).
 */
#define OCR_DEFAULT_LANGS "Latin"

/*
 * The scripts read: Latin (OCR_DEFAULT_LANGS or ocr_init()'s langs), and
 * Debian's tesseract-ocr-script-cyrl and -arab models for Russian and
 * Ukrainian, Arabic and Persian.  Which one a screenshot is read with:
 * first the hint (the tip's page language); when that reads with low
 * confidence, Tesseract's orientation and script detection (the "osd"
 * model, tesseract-ocr-osd) names the script, and that one reads too.
 */
enum ocr_script {
	OCR_LATIN,
	OCR_CYRILLIC,
	OCR_ARABIC,
};
#define OCR_NSCRIPTS       3
/* Time a second pass needs at least: its layout analysis alone took
 * 80-120 ms of a tall screen's, and it cannot be interrupted. */
#define OCR_SECOND_PASS_MS 250

/* The likely script of screenshots sent from a page in that language
 * ("ru" Cyrillic, "fa" Arabic, anything else Latin).  Pure. */
enum ocr_script ocr_script_of_lang(const char *code);

/*
 * Optional, once at startup before any thread calls ocr_image(); not
 * thread-safe.  tessdata: directory of the .traineddata files, NULL for
 * Tesseract's default (/usr/share/tesseract-ocr/5/tessdata);
 * langs: Tesseract's language list for Latin script, NULL for
 * OCR_DEFAULT_LANGS.  Loads every model once on the calling thread to
 * check them, then frees those engines.  Returns 0, or -1 with *errstr
 * "cannot load languages" or "out of memory".
 */
TL_MUSTCHECK int ocr_init(const char *tessdata, const char *langs,
    const char **errstr);

/*
 * Whether the tessdata directory (ocr_init()'s, else $TESSDATA_PREFIX,
 * else Debian's /usr/share/tesseract-ocr/5/tessdata) holds every model
 * ocr_image() may load.  Cheap (stat only): for a daemon's start, which
 * should refuse to run without them rather than read a script as
 * another.  Returns 0, or -1 with err naming the file and the Debian
 * package.
 */
TL_MUSTCHECK int ocr_check_models(char *err, size_t errlen);

/*
 * Reads the text of a clean image: PNG, JPEG or WebP bytes from
 * img_sanitise(), with the hint's script first (see enum ocr_script; a
 * model that does not load is tried no more on this thread, and Latin
 * reads in its place).
 * time_limit_ms bounds the recognition of words, all passes together (0
 * or less: no limit): the script detection and a second pass run only
 * while at least OCR_SECOND_PASS_MS of it is left, and a second pass
 * that runs out of time leaves the first pass's text.  The page layout analysis
 * before each pass cannot be interrupted and took 80-120 ms of a 1080x2340
 * screen's 550.  Returns 0 with *text a malloc'd NUL-terminated UTF-8 string,
 * maybe empty (caller frees, after wiping: util_free_secret(text,
 * strlen(text))), or -1 with *text NULL and *errstr "cannot decode", "cannot
 * load languages", "time limit", "ocr failed" or "out of memory".
 */
TL_MUSTCHECK int ocr_image(const uint8_t *buf, size_t len, long time_limit_ms,
    enum ocr_script hint, char **text, const char **errstr);

/*
 * Near-duplicate key of OCR text: ocr_simhash() values of two screenshots
 * of one post differ in at most this many bits.  Measured on 24 made-up
 * posts, each shot 5 ways (widths, fonts, status bars, UI languages,
 * JPEG recompression, crops): 95% of 240 same-post pairs within 12 bits,
 * none of 6900 different-post pairs within 16 (nearest 17).
 */
#define OCR_SAME_POST_BITS 12

/*
 * SimHash of OCR text (UTF-8, len bytes) for near-duplicate search.  The
 * text is normalised (text_normalise()), words holding a digit are dropped
 * (clocks, battery, counters, handles and times differ between two shots
 * of one post), Latin-1 letters lose their accents (OCR confuses ä, å, â)
 * and the features are the overlapping runs of five characters, spaces
 * included, hashed with keyed SipHash.  Word shingles (simhash_text()) are
 * too few in a short post: one post's shots were up to 30 bits apart.
 * *nwords gets the number of words kept: as with simhash_text(), keys of
 * few words are weak (the measured posts kept 20-30; a floor of about 8 is
 * a guess) and callers should not dedup on them.  Pure.
 */
uint64_t ocr_simhash(const char *text, size_t len,
    const uint8_t key[SIMHASH_KEY_BYTES], size_t *nwords);

/*
 * Frees the calling thread's engine now; the next ocr_image() on this
 * thread makes a new one.  Threads that exit have theirs freed for them,
 * so only the main thread needs this, before exit().
 */
void ocr_thread_cleanup(void);

#endif
