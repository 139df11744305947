/*
 * OCR of screenshots with Tesseract's C API.  ocr_image() checks that the
 * bytes start like PNG, JPEG or WebP, decodes them with leptonica, blends
 * any alpha onto white, makes 8-bit grey and hands that to the calling
 * thread's engine: Tesseract 5, LSTM only, automatic page segmentation,
 * under an ETEXT_DESC deadline.  A pass that reads with low confidence
 * asks Tesseract's script detection which script the image holds and, if
 * another, reads it again with that script's model and keeps the more
 * confident reading; so a Latin-only screenshot costs one pass.  Engines
 * (one per script and one for detection, each made on first use) live in
 * a pthread key whose destructor frees them when their thread exits.
 * Tesseract's and leptonica's messages go to /dev/null; only libpng, given a
 * damaged PNG, still writes one line of its own to stderr.  ocr_simhash() makes
 * the near-duplicate key of the text.
 *
 * Choices, measured on made-up posts in Finnish, Swedish and English
 * drawn like phone screenshots (tests/data/ocr/make.sh) and as 14-52 pt
 * text blocks: the script model "Latin" read 99.5-99.7% of the words and
 * 98-100% of those with ä, ö or å; "swe" 99.1% but lost ä in 8% of
 * Finnish words; "fin+swe+eng" 93%, because Tesseract keeps trying first
 * the language that did well last (a status bar's digits pick "fin",
 * whose model has no å, and "eng" drops ä).  PSM_AUTO read as well as
 * PSM_SINGLE_BLOCK on single posts and, unlike it, analyses the layout
 * (columns, chat bubbles); PSM_SPARSE_TEXT read less.  Scaling up 1.5x,
 * 2x or 3x never helped, not even 14 pt text at 1x, and 2x took about 25%
 * longer.
 *
 * No fuzz harness: the input is always our own clean re-encoding from
 * img_sanitise(), which has already bounded the pixels and rejected
 * anything that did not decode, and the magic check here keeps leptonica
 * to the same three decoders.
 */
#include <sys/stat.h>

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>
#include <tesseract/capi.h>

#include "buf.h"
#include "ocr.h"
#include "simhash.h"
#include "text.h"

/* Characters per ocr_simhash() feature. */
#define OCR_SHINGLE_CHARS 5

/*
 * A first pass that reads with at least this mean word confidence (0-100)
 * is kept without asking which script the image holds.  Measured on
 * phone-sized posts drawn by Chromium (tests/data/ocr/make_scripts.sh) and
 * the Latin ones of make.sh: a script's own model read its posts at 82-93;
 * the Latin model read Cyrillic posts at 49-58 and Arabic-script ones at
 * 38-48, the Cyrillic model Latin ones at 52 (bench/ocr.sh).
 */
#define OCR_SURE_CONF     70
/* A first pass with fewer letters than this (an image without text) is
 * kept as it is: there is nothing a second script would read better. */
#define OCR_RETRY_LETTERS 12

static size_t ocr_letters(const char *);

static const char *const ocr_models[OCR_NSCRIPTS] = { OCR_DEFAULT_LANGS,
	"Cyrillic", "Arabic" };
/* Tesseract's script detection names scripts so. */
static const char *const ocr_osd_names[OCR_NSCRIPTS] = { "Latin", "Cyrillic",
	"Arabic" };

/* A thread's engines, each made on first use; one that failed to load is
 * not tried again on the thread. */
struct ocr_thread {
	TessBaseAPI *eng[OCR_NSCRIPTS];
	TessBaseAPI *osd;
	bool failed[OCR_NSCRIPTS + 1];
};

static pthread_once_t ocr_once = PTHREAD_ONCE_INIT;
/* Serialises engine loading: Init writes Tesseract's global parameters. */
static pthread_mutex_t ocr_load_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_key_t ocr_key;
static bool ocr_key_ok;
static char *ocr_tessdata; /* NULL: Tesseract's default */
static char *ocr_langs;    /* NULL: OCR_DEFAULT_LANGS */

static void
ocr_api_free(TessBaseAPI *api)
{
	if (api == NULL)
		return;
	TessBaseAPIEnd(api);
	TessBaseAPIDelete(api);
}

static void
ocr_thread_free(void *arg)
{
	struct ocr_thread *th = arg;
	int i;

	for (i = 0; i < OCR_NSCRIPTS; i++)
		ocr_api_free(th->eng[i]);
	ocr_api_free(th->osd);
	free(th);
}

static void
ocr_setup(void)
{
	ocr_key_ok = pthread_key_create(&ocr_key, ocr_thread_free) == 0;
	setMsgSeverity(L_SEVERITY_NONE);
}

/*
 * Debian's libtesseract runs parts of its LSTM under OpenMP, whose
 * spinning helper threads made OCR five times slower on two cores and
 * would fight the worker's own threads for CPU.  An OpenMP
 * max-active-levels of 0 runs every parallel region on the calling
 * thread; libgomp keeps it per thread, so each engine's thread sets it.
 * Looked up at run time: a libtesseract without OpenMP brings no libgomp.
 */
static void
ocr_no_openmp(void)
{
	void (*set_levels)(int);

	set_levels =
	    (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_max_active_levels");
	if (set_levels != NULL)
		set_levels(0);
}

/*
 * An engine for langs: LSTM with automatic page segmentation, or for
 * "osd" the script detection, which only the legacy engine does.
 */
static TessBaseAPI *
ocr_engine_new(const char *tessdata, const char *langs, bool osd,
    const char **errstr)
{
	TessBaseAPI *api;
	int rc;

	ocr_no_openmp();
	pthread_mutex_lock(&ocr_load_mu);
	api = TessBaseAPICreate();
	/* A global parameter, set before Init so that its errors obey too. */
	(void)TessBaseAPISetVariable(api, "debug_file", "/dev/null");
	rc = TessBaseAPIInit2(api, tessdata, langs,
	    osd ? OEM_TESSERACT_ONLY : OEM_LSTM_ONLY);
	pthread_mutex_unlock(&ocr_load_mu);
	if (rc != 0) {
		TessBaseAPIDelete(api);
		*errstr = "cannot load languages";
		return NULL;
	}
	TessBaseAPISetPageSegMode(api, osd ? PSM_OSD_ONLY : PSM_AUTO);
	return api;
}

static const char *
ocr_model(enum ocr_script s)
{
	return s == OCR_LATIN && ocr_langs != NULL ? ocr_langs : ocr_models[s];
}

/* The calling thread's engines, made on first use. */
static struct ocr_thread *
ocr_thread(const char **errstr)
{
	struct ocr_thread *th;

	if (pthread_once(&ocr_once, ocr_setup) != 0 || !ocr_key_ok) {
		*errstr = "ocr failed";
		return NULL;
	}
	if ((th = pthread_getspecific(ocr_key)) != NULL)
		return th;
	if ((th = calloc(1, sizeof(*th))) == NULL ||
	    pthread_setspecific(ocr_key, th) != 0) {
		free(th);
		*errstr = "out of memory";
		return NULL;
	}
	return th;
}

/* The thread's engine for a script (s < OCR_NSCRIPTS) or for script
 * detection (s == OCR_NSCRIPTS). */
static TessBaseAPI *
ocr_engine(struct ocr_thread *th, int s, const char **errstr)
{
	TessBaseAPI **slot = s == OCR_NSCRIPTS ? &th->osd : &th->eng[s];

	if (*slot == NULL && th->failed[s]) {
		*errstr = "cannot load languages";
		return NULL;
	}
	if (*slot == NULL &&
	    (*slot = ocr_engine_new(ocr_tessdata,
	         s == OCR_NSCRIPTS ? "osd" : ocr_model((enum ocr_script)s),
	         s == OCR_NSCRIPTS, errstr)) == NULL)
		th->failed[s] = true;
	return *slot;
}

int
ocr_init(const char *tessdata, const char *langs, const char **errstr)
{
	TessBaseAPI *api;
	char *dir = NULL, *l = NULL;
	int s;

	if (pthread_once(&ocr_once, ocr_setup) != 0 || !ocr_key_ok) {
		*errstr = "ocr failed";
		return -1;
	}
	for (s = 0; s <= OCR_NSCRIPTS; s++) {
		api = ocr_engine_new(tessdata,
		    s == OCR_NSCRIPTS                 ? "osd"
		    : s == OCR_LATIN && langs != NULL ? langs
		                                      : ocr_models[s],
		    s == OCR_NSCRIPTS, errstr);
		if (api == NULL)
			return -1;
		ocr_api_free(api);
	}
	if ((tessdata != NULL && (dir = strdup(tessdata)) == NULL) ||
	    (langs != NULL && (l = strdup(langs)) == NULL)) {
		free(dir);
		*errstr = "out of memory";
		return -1;
	}
	free(ocr_tessdata);
	free(ocr_langs);
	ocr_tessdata = dir;
	ocr_langs = l;
	return 0;
}

void
ocr_thread_cleanup(void)
{
	struct ocr_thread *th;

	if (pthread_once(&ocr_once, ocr_setup) != 0 || !ocr_key_ok)
		return;
	if ((th = pthread_getspecific(ocr_key)) == NULL)
		return;
	(void)pthread_setspecific(ocr_key, NULL);
	ocr_thread_free(th);
}

int
ocr_check_models(char *err, size_t errlen)
{
	static const char *const pkgs[OCR_NSCRIPTS + 1] = {
		"tesseract-ocr-script-latn", "tesseract-ocr-script-cyrl",
		"tesseract-ocr-script-arab", "tesseract-ocr-osd"
	};
	const char *dir = ocr_tessdata, *model;
	char path[PATH_MAX];
	struct stat st;
	int s;

	if (dir == NULL)
		dir = getenv("TESSDATA_PREFIX");
	if (dir == NULL || dir[0] == '\0')
		dir = "/usr/share/tesseract-ocr/5/tessdata";
	for (s = 0; s <= OCR_NSCRIPTS; s++) {
		model =
		    s == OCR_NSCRIPTS ? "osd" : ocr_model((enum ocr_script)s);
		/* A list ("fin+swe") set by ocr_init() was checked there. */
		if (strchr(model, '+') != NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s.traineddata", dir, model);
		if (stat(path, &st) == -1 || !S_ISREG(st.st_mode)) {
			snprintf(err, errlen,
			    "OCR model %s is missing (Debian package %s)", path,
			    pkgs[s]);
			return -1;
		}
	}
	return 0;
}

enum ocr_script
ocr_script_of_lang(const char *code)
{
	if (code == NULL)
		return OCR_LATIN;
	if (strcmp(code, "ru") == 0 || strcmp(code, "uk") == 0)
		return OCR_CYRILLIC;
	if (strcmp(code, "ar") == 0 || strcmp(code, "fa") == 0)
		return OCR_ARABIC;
	return OCR_LATIN;
}

/* PNG, JPEG or WebP by their first bytes, as img_sanitise() writes them. */
static bool
ocr_is_image(const uint8_t *p, size_t len)
{
	if (len >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return true;
	if (len >= 3 && memcmp(p, "\xff\xd8\xff", 3) == 0)
		return true;
	return len >= 12 && memcmp(p, "RIFF", 4) == 0 &&
	       memcmp(p + 8, "WEBP", 4) == 0;
}

/* Wipes the pixels; call on every pix before destroying any (clones). */
static void
ocr_pix_wipe(PIX *pix)
{
	if (pix != NULL && pixGetData(pix) != NULL)
		explicit_bzero(pixGetData(pix),
		    (size_t)pixGetWpl(pix) * 4 * (size_t)pixGetHeight(pix));
}

/*
 * One pass of one engine over gray, within limit_ms (0: none).  Returns 0
 * with *text (malloc'd) and *conf, Tesseract's mean word confidence (0
 * for a text of fewer than OCR_RETRY_LETTERS letters: on a page without
 * words asking for it runs the layout analysis again), or -1 with
 * *errstr.
 */
static int
ocr_pass(TessBaseAPI *api, PIX *gray, long limit_ms, char **text, int *conf,
    const char **errstr)
{
	ETEXT_DESC *mon;
	char *t = NULL;
	uint64_t start;
	size_t tlen;
	int rc;

	*text = NULL;
	if ((mon = TessMonitorCreate()) == NULL) {
		*errstr = "out of memory";
		return -1;
	}
	TessBaseAPISetImage2(api, gray);
	/* Our clock starts first, so it never reads less than Tesseract's. */
	start = util_now_ms();
	if (limit_ms > 0)
		TessMonitorSetDeadlineMSecs(mon,
		    limit_ms > INT_MAX ? INT_MAX : (int)limit_ms);
	rc = TessBaseAPIRecognize(api, mon);
	/* Past the deadline the rest of the words are left blank: no text. */
	if (limit_ms > 0 && util_now_ms() - start >= (uint64_t)limit_ms)
		*errstr = "time limit";
	else if (rc != 0 || (t = TessBaseAPIGetUTF8Text(api)) == NULL)
		*errstr = "ocr failed";
	else if ((*text = malloc((tlen = strlen(t)) + 1)) == NULL)
		*errstr = "out of memory";
	else {
		memcpy(*text, t, tlen + 1);
		*conf = ocr_letters(*text) >= OCR_RETRY_LETTERS
		            ? TessBaseAPIMeanTextConf(api)
		            : 0;
	}
	if (t != NULL) {
		explicit_bzero(t, strlen(t));
		TessDeleteText(t);
	}
	TessBaseAPIClear(api);
	TessMonitorDelete(mon);
	return *text != NULL ? 0 : -1;
}

/* Letters in UTF-8 text, roughly: bytes that start a character and are
 * not ASCII punctuation, digits or space. */
static size_t
ocr_letters(const char *t)
{
	size_t n = 0;

	for (; *t != '\0'; t++)
		if ((((unsigned char)*t & 0xc0) != 0x80 &&
		        (unsigned char)*t >= 0x80) ||
		    (*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z'))
			n++;
	return n;
}

/* The script Tesseract's detection sees in gray, or -1. */
static int
ocr_detect(struct ocr_thread *th, PIX *gray)
{
	TessBaseAPI *api;
	const char *errstr, *name = NULL;
	float oconf, sconf;
	int deg, s = -1, i;

	if ((api = ocr_engine(th, OCR_NSCRIPTS, &errstr)) == NULL)
		return -1;
	TessBaseAPISetImage2(api, gray);
	if (TessBaseAPIDetectOrientationScript(api, &deg, &oconf, &name,
	        &sconf) &&
	    name != NULL)
		for (i = 0; i < OCR_NSCRIPTS; i++)
			if (strcmp(name, ocr_osd_names[i]) == 0)
				s = i;
	TessBaseAPIClear(api);
	return s;
}

/* What is left of limit_ms since start; 0 stays "no limit", and a limit
 * that has run out leaves 1 ms, which ocr_pass() reports as its end. */
static long
ocr_left(long limit_ms, uint64_t start)
{
	uint64_t used = util_now_ms() - start;

	if (limit_ms <= 0)
		return 0;
	return used >= (uint64_t)limit_ms ? 1 : limit_ms - (long)used;
}

int
ocr_image(const uint8_t *buf, size_t len, long time_limit_ms,
    enum ocr_script hint, char **text, const char **errstr)
{
	struct ocr_thread *th;
	TessBaseAPI *api;
	PIX *pix = NULL, *flat = NULL, *gray = NULL;
	char *first = NULL, *second = NULL;
	const char *err2;
	uint64_t start = util_now_ms();
	int conf1 = 0, conf2 = 0, s;

	*text = NULL;
	if (buf == NULL || !ocr_is_image(buf, len) ||
	    (unsigned)hint >= OCR_NSCRIPTS) {
		*errstr = "cannot decode";
		return -1;
	}
	if ((th = ocr_thread(errstr)) == NULL)
		return -1;
	/* Without the hinted script's model, Latin reads. */
	if ((api = ocr_engine(th, hint, errstr)) == NULL) {
		if (hint == OCR_LATIN ||
		    (api = ocr_engine(th, OCR_LATIN, errstr)) == NULL)
			return -1;
		hint = OCR_LATIN;
	}
	if ((pix = pixReadMem(buf, len)) == NULL) {
		*errstr = "cannot decode";
		goto out;
	}
	if (pixGetDepth(pix) == 32 && pixGetSpp(pix) == 4)
		flat = pixAlphaBlendUniform(pix, 0xffffff00);
	else
		flat = pixClone(pix);
	if (flat == NULL || (gray = pixConvertTo8(flat, 0)) == NULL) {
		*errstr = "cannot decode";
		goto out;
	}
	if (ocr_pass(api, gray, ocr_left(time_limit_ms, start), &first, &conf1,
	        errstr) == -1)
		goto out;
	*text = first;
	if (conf1 >= OCR_SURE_CONF || ocr_letters(first) < OCR_RETRY_LETTERS)
		goto out;
	/* Read poorly: maybe another script, if time is left for it.
	 * Whatever goes wrong from here on leaves the first reading. */
	if ((time_limit_ms > 0 &&
	        ocr_left(time_limit_ms, start) < OCR_SECOND_PASS_MS) ||
	    (s = ocr_detect(th, gray)) < 0 || s == (int)hint ||
	    (api = ocr_engine(th, s, &err2)) == NULL ||
	    ocr_pass(api, gray, ocr_left(time_limit_ms, start), &second, &conf2,
	        &err2) == -1 ||
	    conf2 <= conf1) {
		if (second != NULL)
			util_free_secret(second, strlen(second));
		goto out;
	}
	util_free_secret(first, strlen(first));
	*text = second;
out:
	ocr_pix_wipe(pix);
	ocr_pix_wipe(flat);
	ocr_pix_wipe(gray);
	pixDestroy(&gray);
	pixDestroy(&flat);
	pixDestroy(&pix);
	return *text != NULL ? 0 : -1;
}

/*
 * The base letter of the Latin-1 small letter U+00E0 + i (UTF-8 0xc3,
 * 0xa0 + i), or 0 to keep it (æ, ð, ÷, þ).
 */
static const char ocr_fold[32] = "aaaaaa\0ceeeeiiii\0nooooo\0ouuuuy\0y";

/* Appends the words of normalised text without digits, accents folded. */
static void
ocr_key_text(const char *norm, size_t len, struct buf *out, size_t *nwords)
{
	const char *w, *end, *p;
	bool digit;
	char c;

	*nwords = 0;
	for (w = norm; w < norm + len; w = end + 1) {
		if ((end = memchr(w, ' ', norm + len - w)) == NULL)
			end = norm + len;
		digit = false;
		for (p = w; p < end; p++)
			if (*p >= '0' && *p <= '9')
				digit = true;
		if (digit || end == w)
			continue;
		if ((*nwords)++ > 0)
			buf_append(out, " ", 1);
		for (p = w; p < end; p++) {
			if ((unsigned char)p[0] == 0xc3 && p + 1 < end &&
			    (unsigned char)p[1] >= 0xa0 &&
			    (c = ocr_fold[(unsigned char)p[1] - 0xa0]) != 0) {
				buf_append(out, &c, 1);
				p++;
			} else
				buf_append(out, p, 1);
		}
	}
}

uint64_t
ocr_simhash(const char *text, size_t len, const uint8_t key[SIMHASH_KEY_BYTES],
    size_t *nwords)
{
	size_t starts[OCR_SHINGLE_CHARS + 1], nstart = 0, i, klen;
	struct buf norm, kt;
	const char *k;
	int votes[64], features = 0;

	memset(votes, 0, sizeof(votes));
	buf_init(&norm, 0);
	buf_init(&kt, 0);
	text_normalise(text, len, &norm);
	*nwords = 0;
	if (!norm.err && norm.len > 0)
		ocr_key_text((const char *)norm.p, norm.len, &kt, nwords);
	k = (const char *)kt.p;
	klen = kt.err ? 0 : kt.len;
	/* Each character start closes the run of the five before it. */
	for (i = 0; i <= klen; i++) {
		if (i < klen && ((unsigned char)k[i] & 0xc0) == 0x80)
			continue;
		if (nstart == OCR_SHINGLE_CHARS + 1) {
			memmove(starts, starts + 1,
			    OCR_SHINGLE_CHARS * sizeof(size_t));
			nstart--;
		}
		starts[nstart++] = i;
		if (nstart == OCR_SHINGLE_CHARS + 1) {
			simhash_vote(votes, k + starts[0], i - starts[0], key);
			features++;
		}
	}
	if (features == 0 && klen > 0)
		simhash_vote(votes, k, klen, key);
	buf_reset(&norm);
	buf_reset(&kt);
	return simhash_bits(votes);
}
