/*
 * OCR time per screenshot before and after reading Cyrillic and Arabic
 * script (lib/ocr.c), side by side in one run.  For each SCRIPT:FILE, one
 * warm-up round (it also loads the engines) and then ROUNDS rounds
 * (default 5) of three modes, one after the other:
 *
 *   before       one pass of the "Latin" model, as ocr_image() was before
 *                the change: LSTM only, PSM_AUTO, the image decoded by
 *                leptonica, any alpha blended onto white, 8-bit grey;
 *                written here against Tesseract's C API
 *   after        ocr_image() with the hint of the image's script
 *   after-latin  ocr_image() with OCR_LATIN (a Finnish page's tip with a
 *                Russian or Arabic screenshot)
 *
 * Each time is the monotonic wall time from the file's bytes in memory to
 * the text, as the worker calls it, with the shipped time limit.  OpenMP
 * runs every parallel region on the calling thread, as in the worker.
 * Prints one tab-separated line per image:
 *
 *   file script conf before after after-latin share share share chars
 *
 * conf: the Latin model's mean word confidence (from the warm-up round;
 * ocr.c retries below 70); before, after, after-latin: the median ms;
 * the three shares: letters of the image's script over the non-space
 * characters read in each mode (Cyrillic U+0400-U+04FF, Arabic
 * U+0600-U+06FF, Latin a-z, A-Z and Latin-1 letters), "-" when nothing
 * was read or the script is "none"; chars: non-space characters read by
 * "after".  Used by bench/ocr.sh.
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <leptonica/allheaders.h>
#include <tesseract/capi.h>

#include "ocr.h"
#include "util.h"

/* conf/tipline.ini's ocr_time_limit, which the worker passes. */
#define BENCH_LIMIT_MS 20000
#define BENCH_MODES    3

enum bench_script {
	BENCH_NONE,
	BENCH_LATIN,
	BENCH_CYRILLIC,
	BENCH_ARABIC,
};

static const char *const bench_script_names[] = { "none", "latin", "cyrillic",
	"arabic" };

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* As lib/ocr.c: OpenMP's parallel regions on the calling thread. */
static void
no_openmp(void)
{
	void (*set_levels)(int);

	set_levels =
	    (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_max_active_levels");
	if (set_levels != NULL)
		set_levels(0);
}

/* The engine ocr_image() had before the change. */
static TessBaseAPI *
old_engine(void)
{
	TessBaseAPI *api;

	no_openmp();
	api = TessBaseAPICreate();
	(void)TessBaseAPISetVariable(api, "debug_file", "/dev/null");
	if (TessBaseAPIInit2(api, NULL, OCR_DEFAULT_LANGS, OEM_LSTM_ONLY) !=
	    0) {
		TessBaseAPIDelete(api);
		return NULL;
	}
	TessBaseAPISetPageSegMode(api, PSM_AUTO);
	return api;
}

/*
 * The old ocr_image(): one pass, the text in *text (malloc'd), and if
 * conf is not NULL the mean word confidence (not something the old code
 * asked for: only in the untimed warm-up).  Returns 0 or -1.
 */
static int
old_ocr(TessBaseAPI *api, const uint8_t *buf, size_t len, char **text,
    int *conf)
{
	ETEXT_DESC *mon = NULL;
	PIX *pix = NULL, *flat = NULL, *gray = NULL;
	char *t = NULL;
	int rc;

	*text = NULL;
	if ((pix = pixReadMem(buf, len)) == NULL)
		goto out;
	if (pixGetDepth(pix) == 32 && pixGetSpp(pix) == 4)
		flat = pixAlphaBlendUniform(pix, 0xffffff00);
	else
		flat = pixClone(pix);
	if (flat == NULL || (gray = pixConvertTo8(flat, 0)) == NULL)
		goto out;
	if ((mon = TessMonitorCreate()) == NULL)
		goto out;
	TessBaseAPISetImage2(api, gray);
	TessMonitorSetDeadlineMSecs(mon, BENCH_LIMIT_MS);
	rc = TessBaseAPIRecognize(api, mon);
	if (rc != 0 || (t = TessBaseAPIGetUTF8Text(api)) == NULL)
		goto out;
	*text = strdup(t);
	if (conf != NULL)
		*conf = TessBaseAPIMeanTextConf(api);
out:
	if (t != NULL)
		TessDeleteText(t);
	TessBaseAPIClear(api);
	if (mon != NULL)
		TessMonitorDelete(mon);
	pixDestroy(&gray);
	pixDestroy(&flat);
	pixDestroy(&pix);
	return *text != NULL ? 0 : -1;
}

/* The next code point of UTF-8 text at *p, advancing *p; bad bytes
 * count as U+FFFD. */
static unsigned long
next_cp(const unsigned char **p)
{
	const unsigned char *s = *p;
	unsigned long cp;
	int n, i;

	if (s[0] < 0x80) {
		*p = s + 1;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0)
		n = 1, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 2, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 3, cp = s[0] & 0x07;
	else {
		*p = s + 1;
		return 0xfffd;
	}
	for (i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*p = s + i;
			return 0xfffd;
		}
		cp = cp << 6 | (s[i] & 0x3f);
	}
	*p = s + n + 1;
	return cp;
}

static bool
in_script(unsigned long cp, enum bench_script s)
{
	switch (s) {
	case BENCH_LATIN:
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
		       (cp >= 0xc0 && cp <= 0xff && cp != 0xd7 && cp != 0xf7);
	case BENCH_CYRILLIC:
		return cp >= 0x400 && cp <= 0x4ff;
	case BENCH_ARABIC:
		return cp >= 0x600 && cp <= 0x6ff;
	case BENCH_NONE:
		break;
	}
	return false;
}

static bool
is_space(unsigned long cp)
{
	return cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0xa0 ||
	       cp == 0x200b || cp == 0x200c || cp == 0x200d || cp == 0x200e ||
	       cp == 0x200f || cp == 0xfeff;
}

/* The share of text's non-space characters in script s (-1: none);
 * *nchars gets the number of non-space characters. */
static double
script_share(const char *text, enum bench_script s, size_t *nchars)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t all = 0, in = 0;
	unsigned long cp;

	while (*p != '\0') {
		cp = next_cp(&p);
		if (is_space(cp))
			continue;
		all++;
		in += in_script(cp, s);
	}
	*nchars = all;
	return all == 0 || s == BENCH_NONE ? -1 : (double)in / (double)all;
}

static void
print_share(double share)
{
	if (share < 0)
		printf("\t-");
	else
		printf("\t%.2f", share);
}

static enum ocr_script
hint_of(enum bench_script s)
{
	return s == BENCH_CYRILLIC ? OCR_CYRILLIC
	       : s == BENCH_ARABIC ? OCR_ARABIC
	                           : OCR_LATIN;
}

static int
bench_image(TessBaseAPI *old, const char *arg, long rounds)
{
	enum bench_script script = BENCH_NONE;
	double *t[BENCH_MODES], t0, share[BENCH_MODES];
	const char *path, *errstr, *colon;
	char *data, *text[BENCH_MODES] = { NULL };
	size_t len, nchars[BENCH_MODES], i;
	int conf = -1, rc = -1, m;
	long r;

	if ((colon = strchr(arg, ':')) == NULL) {
		fprintf(stderr, "ocr_bench: %s: not SCRIPT:FILE\n", arg);
		return -1;
	}
	for (i = 0;
	     i < sizeof(bench_script_names) / sizeof(*bench_script_names); i++)
		if (strlen(bench_script_names[i]) == (size_t)(colon - arg) &&
		    strncmp(arg, bench_script_names[i],
		        (size_t)(colon - arg)) == 0) {
			script = (enum bench_script)i;
			rc = 0;
		}
	if (rc == -1) {
		fprintf(stderr, "ocr_bench: %s: unknown script\n", arg);
		return -1;
	}
	path = colon + 1;
	if ((data = util_read_file(path, 64 << 20, &len)) == NULL) {
		perror(path);
		return -1;
	}
	for (m = 0; m < BENCH_MODES; m++)
		if ((t[m] = calloc((size_t)rounds, sizeof(double))) == NULL) {
			perror("calloc");
			exit(1);
		}
	/* Round -1 is the warm-up: its text is kept only from the last. */
	for (r = -1; r < rounds && rc == 0; r++)
		for (m = 0; m < BENCH_MODES && rc == 0; m++) {
			free(text[m]);
			text[m] = NULL;
			t0 = now_ms();
			if (m == 0) {
				if (old_ocr(old, (const uint8_t *)data, len,
				        &text[m], r < 0 ? &conf : NULL) == -1) {
					fprintf(stderr, "ocr_bench: %s: %s\n",
					    path, "old pass failed");
					rc = -1;
				}
			} else if (ocr_image((const uint8_t *)data, len,
			               BENCH_LIMIT_MS,
			               m == 1 ? hint_of(script) : OCR_LATIN,
			               &text[m], &errstr) == -1) {
				fprintf(stderr, "ocr_bench: %s: %s\n", path,
				    errstr);
				rc = -1;
			}
			if (r >= 0)
				t[m][r] = now_ms() - t0;
		}
	if (rc == 0) {
		printf("%s\t%s\t%d", path, bench_script_names[script], conf);
		for (m = 0; m < BENCH_MODES; m++)
			printf("\t%.1f", median(t[m], (size_t)rounds));
		for (m = 0; m < BENCH_MODES; m++) {
			share[m] = script_share(text[m], script, &nchars[m]);
			print_share(share[m]);
		}
		printf("\t%zu\n", nchars[1]);
		fflush(stdout);
	}
	for (m = 0; m < BENCH_MODES; m++) {
		free(text[m]);
		free(t[m]);
	}
	free(data);
	return rc;
}

int
main(int argc, char *argv[])
{
	TessBaseAPI *old;
	const char *errstr;
	long rounds = 5;
	int i = 1, rc = 0;

	if (argc > 2 && strcmp(argv[1], "-n") == 0) {
		rounds = strtol(argv[2], NULL, 10);
		i = 3;
	}
	if (i >= argc || rounds < 1 || rounds > 1000) {
		fprintf(stderr, "usage: ocr_bench [-n ROUNDS] "
		                "{latin|cyrillic|arabic|none}:FILE...\n");
		return 2;
	}
	setMsgSeverity(L_SEVERITY_NONE);
	if (ocr_init(NULL, NULL, &errstr) == -1) {
		fprintf(stderr, "ocr_init: %s\n", errstr);
		return 1;
	}
	if ((old = old_engine()) == NULL) {
		fprintf(stderr, "ocr_bench: cannot load %s\n",
		    OCR_DEFAULT_LANGS);
		return 1;
	}
	printf("# file\tscript\tlatin_conf\tbefore_ms\tafter_ms\t"
	       "after_latin_ms\tshare_before\tshare_after\tshare_after_latin\t"
	       "chars_after\n");
	for (; i < argc; i++)
		if (bench_image(old, argv[i], rounds) == -1)
			rc = 1;
	TessBaseAPIEnd(old);
	TessBaseAPIDelete(old);
	ocr_thread_cleanup();
	return rc;
}
