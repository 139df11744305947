/*
 * Unit tests of OCR on the synthetic screenshots in tests/data/ocr/ (made
 * by make.sh there with ImageMagick and Debian's fonts): one made-up
 * Finnish post shot on two "phones" (PNG 1080 wide in DejaVu Sans, WebP
 * 720 wide in Liberation Sans with other line breaks and status bar), a
 * different Finnish post, a Swedish post (JPEG), a picture without text,
 * black text on a transparent background (RGBA PNG) and a full 1080x2340
 * screen of three posts.  Each sample is read once and its text kept for
 * the tests that look at it.
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

#include <cmocka.h>

#include "buf.h"
#include "ocr.h"
#include "simhash.h"
#include "text.h"
#include "util.h"

#define DATA       TIPLINE_SRC "/tests/data/ocr/"
#define MAX_BYTES  (1 << 20)
/* Most of a post's words must survive OCR. */
#define MIN_RECALL 0.8

/* The texts make.sh drew; made up, as everything under tests/data/. */
static const char fi_a[] = "Tämä on keksitty esimerkkiviesti, jossa "
                           "solvataan naapureita heidän alkuperänsä vuoksi. "
                           "Älkää päästäkö heitä yhteiseen saunaan "
                           "Åbolandissa!";
static const char sv[] = "Det här är ett påhittat exempelinlägg där "
                         "grannar hånas för sitt ursprung. Släpp inte in dem "
                         "på gården, de hör inte hemma här!";

enum sample {
	S_fi_a,
	S_FI_B,
	S_FI_OTHER,
	S_SV,
	S_BLANK,
	S_COUNT
};

static const char *const sample_file[S_COUNT] = {
	[S_fi_a] = "post_fi_a.png",
	[S_FI_B] = "post_fi_b.webp",
	[S_FI_OTHER] = "post_fi_other.png",
	[S_SV] = "post_sv.jpg",
	[S_BLANK] = "blank.png",
};

static char *sample_text[S_COUNT];

/* The posts make_scripts.sh drew in Cyrillic and Arabic script. */
static const char ru_a[] = "Это придуманное сообщение, в котором соседей "
                           "оскорбляют из-за их происхождения. Не пускайте "
                           "их в нашу общую сауну, им здесь не место!";
static const char ar_a[] = "هذه رسالة مختلقة يتم فيها إهانة الجيران بسبب "
                           "أصلهم. لا تسمحوا لهم بدخول الساونا المشتركة، "
                           "فهم لا ينتمون إلى هنا!";
static const char fa_a[] =
    "این یک پیام ساختگی است که در آن همسایه‌ها به "
    "خاطر اصل و نسبشان تحقیر می‌شوند. نگذارید وارد "
    "سونای مشترک ما شوند!";

static uint8_t *
load(const char *name, size_t *len)
{
	char path[512];
	char *p;

	snprintf(path, sizeof(path), "%s%s", DATA, name);
	p = util_read_file(path, MAX_BYTES, len);
	assert_non_null(p);
	return (uint8_t *)p;
}

static char *
ocr_file_hint(const char *name, enum ocr_script hint)
{
	const char *errstr = NULL;
	uint8_t *img;
	size_t len;
	char *text;

	img = load(name, &len);
	if (ocr_image(img, len, 0, hint, &text, &errstr) != 0)
		fail_msg("%s: %s", name, errstr);
	free(img);
	return text;
}

static char *
ocr_file(const char *name)
{
	return ocr_file_hint(name, OCR_LATIN);
}

static const char *
sample(enum sample s)
{
	if (sample_text[s] == NULL)
		sample_text[s] = ocr_file(sample_file[s]);
	return sample_text[s];
}

/* Normalised text with a space at each end, for whole-word strstr(). */
static char *
spaced(const char *s)
{
	struct buf b;
	char *out;

	buf_init(&b, 0);
	buf_puts(&b, " ");
	text_normalise(s, strlen(s), &b);
	buf_puts(&b, " ");
	assert_non_null(buf_cstr(&b));
	out = strdup(buf_cstr(&b));
	assert_non_null(out);
	buf_reset(&b);
	return out;
}

/* Share of the expected text's words found as words in the OCR text. */
static double
recall(const char *expected, const char *got)
{
	char *e = spaced(expected), *g = spaced(got), *w, *end;
	char word[128];
	int n = 0, hit = 0;

	for (w = e + 1; *w != '\0'; w = end + 1) {
		end = strchr(w, ' ');
		assert_non_null(end);
		snprintf(word, sizeof(word), " %.*s ", (int)(end - w), w);
		n++;
		if (strstr(g, word) != NULL)
			hit++;
	}
	free(e);
	free(g);
	assert_true(n > 0);
	return (double)hit / n;
}

static bool
has_word(const char *text, const char *word)
{
	char *g = spaced(text), w[128];
	bool found;

	snprintf(w, sizeof(w), " %s ", word);
	found = strstr(g, w) != NULL;
	free(g);
	return found;
}

static void
test_post_png(void **state)
{
	const char *t = sample(S_fi_a);

	(void)state;
	assert_true(recall(fi_a, t) >= MIN_RECALL);
	assert_true(has_word(t, "esimerkki"));
}

static void
test_post_webp(void **state)
{
	(void)state;
	assert_true(recall(fi_a, sample(S_FI_B)) >= MIN_RECALL);
}

static void
test_diacritics(void **state)
{
	const char *a = sample(S_fi_a), *b = sample(S_FI_B);

	(void)state;
	assert_true(has_word(a, "tämä") || has_word(b, "tämä"));
	assert_true(has_word(a, "päästäkö") || has_word(b, "päästäkö"));
	assert_true(has_word(a, "åbolandissa") || has_word(b, "åbolandissa"));
}

static void
test_swedish_jpeg(void **state)
{
	const char *t = sample(S_SV);

	(void)state;
	assert_true(recall(sv, t) >= MIN_RECALL);
	assert_true(has_word(t, "gården") || has_word(t, "hånas"));
}

/* Transparent pixels are black underneath: blended onto white, or lost. */
static void
test_alpha(void **state)
{
	char *t;

	(void)state;
	t = ocr_file("alpha.png");
	assert_true(recall("Läpinäkyvä tausta, musta teksti. Genomskinlig "
	                   "bakgrund, svart text.",
	                t) >= MIN_RECALL);
	util_free_secret(t, strlen(t));
}

static void
test_no_text(void **state)
{
	const char *t = sample(S_BLANK);

	(void)state;
	assert_int_equal(strspn(t, " \t\r\n\f"), strlen(t));
}

static void
expect_bad(const void *p, size_t len)
{
	const char *errstr = NULL;
	char *text = (char *)1;

	assert_int_equal(ocr_image(p, len, 0, OCR_LATIN, &text, &errstr), -1);
	assert_null(text);
	assert_string_equal(errstr, "cannot decode");
}

/* sizeof, not strlen: the bytes hold NULs. */
#define EXPECT_BAD(s) expect_bad((s), sizeof(s) - 1)

static void
test_not_image(void **state)
{
	const char *errstr;
	uint8_t *img;
	size_t len;
	char *text;

	(void)state;
	EXPECT_BAD("");
	EXPECT_BAD("hello, world");
	EXPECT_BAD("GIF89a\1\0\1\0\0\0\0,\0\0\0\0\1\0\1\0\0\2\2D\1\0;");
	EXPECT_BAD("RIFF\0\0\0\0WAVEfmt ");
	/* Right magic, nothing after it. */
	EXPECT_BAD("\x89PNG\r\n\x1a\n");
	EXPECT_BAD("\xff\xd8\xff\xe0\0\x10JFIF\0");
	EXPECT_BAD("RIFF\x1a\0\0\0WEBPVP8 \x0e\0\0\0");
	/* A PNG cut after its first rows (libpng says so on stderr). */
	img = load("post_fi_a.png", &len);
	assert_int_equal(ocr_image(img, len / 8, 0, OCR_LATIN, &text, &errstr),
	    -1);
	assert_string_equal(errstr, "cannot decode");
	free(img);
}

static void
test_time_limit(void **state)
{
	const char *errstr = NULL;
	uint64_t t0;
	uint8_t *img;
	size_t len;
	char *text;

	(void)state;
	img = load("feed.png", &len);
	t0 = util_now_ms();
	assert_int_equal(ocr_image(img, len, 1, OCR_LATIN, &text, &errstr), -1);
	print_message("feed.png with a 1 ms limit: %s after %llu ms\n", errstr,
	    (unsigned long long)(util_now_ms() - t0));
	assert_null(text);
	assert_string_equal(errstr, "time limit");
	/* The same engine reads the whole screen when given time. */
	t0 = util_now_ms();
	assert_int_equal(ocr_image(img, len, 60000, OCR_LATIN, &text, &errstr),
	    0);
	print_message("feed.png (1080x2340): %llu ms\n",
	    (unsigned long long)(util_now_ms() - t0));
	assert_true(recall(fi_a, text) >= MIN_RECALL);
	assert_true(recall(sv, text) >= MIN_RECALL);
	util_free_secret(text, strlen(text));
	free(img);
}

/* The same engine gives the same text for the same image again. */
static void
test_repeatable(void **state)
{
	char *t;

	(void)state;
	t = ocr_file(sample_file[S_fi_a]);
	assert_string_equal(t, sample(S_fi_a));
	util_free_secret(t, strlen(t));
}

static void *
thread_main(void *arg)
{
	(void)arg;
	/* No ocr_thread_cleanup(): the key's destructor frees the engine. */
	return ocr_file(sample_file[S_FI_B]);
}

static void
test_threads(void **state)
{
	pthread_t th[2];
	void *t;
	int i;

	(void)state;
	for (i = 0; i < 2; i++)
		assert_int_equal(
		    pthread_create(&th[i], NULL, thread_main, NULL), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(th[i], &t), 0);
		assert_string_equal(t, sample(S_FI_B));
		free(t);
	}
}

/* The word-shingle SimHash of typed descriptions, for comparison. */
static uint64_t
word_simhash(const char *t)
{
	static const uint8_t key[SIMHASH_KEY_BYTES];
	struct buf b;
	uint64_t h;
	size_t n;

	buf_init(&b, 0);
	text_normalise(t, strlen(t), &b);
	assert_non_null(buf_cstr(&b));
	h = simhash_text((const char *)b.p, b.len, key, &n);
	buf_reset(&b);
	return h;
}

static int
bits(uint64_t a, uint64_t b)
{
	return __builtin_popcountll(a ^ b);
}

static void
test_simhash(void **state)
{
	static const uint8_t key[SIMHASH_KEY_BYTES];
	uint64_t h[S_BLANK], w[S_BLANK];
	size_t n;
	int i;

	(void)state;
	for (i = 0; i < S_BLANK; i++) {
		h[i] = ocr_simhash(sample(i), strlen(sample(i)), key, &n);
		assert_true(n >= 20);
		w[i] = word_simhash(sample(i));
	}
	print_message("ocr_simhash bits: same post %d, other post %d/%d, "
	              "Swedish post %d/%d\n",
	    bits(h[S_fi_a], h[S_FI_B]), bits(h[S_fi_a], h[S_FI_OTHER]),
	    bits(h[S_FI_B], h[S_FI_OTHER]), bits(h[S_fi_a], h[S_SV]),
	    bits(h[S_FI_B], h[S_SV]));
	print_message("simhash_text bits: same post %d, other post %d/%d, "
	              "Swedish post %d/%d\n",
	    bits(w[S_fi_a], w[S_FI_B]), bits(w[S_fi_a], w[S_FI_OTHER]),
	    bits(w[S_FI_B], w[S_FI_OTHER]), bits(w[S_fi_a], w[S_SV]),
	    bits(w[S_FI_B], w[S_SV]));
	assert_true(bits(h[S_fi_a], h[S_FI_B]) <= OCR_SAME_POST_BITS);
	assert_true(bits(h[S_fi_a], h[S_FI_OTHER]) > OCR_SAME_POST_BITS);
	assert_true(bits(h[S_FI_B], h[S_FI_OTHER]) > OCR_SAME_POST_BITS);
	assert_true(bits(h[S_fi_a], h[S_SV]) > OCR_SAME_POST_BITS);
	assert_true(bits(h[S_FI_B], h[S_SV]) > OCR_SAME_POST_BITS);
}

/* ocr_simhash() on its own: what it ignores and what it keeps. */
static void
test_simhash_features(void **state)
{
	static const uint8_t key[SIMHASH_KEY_BYTES];
	static const char a[] = "12:34  5G 87 %\nTämä on keksitty viesti, "
	                        "jossa on monta sanaa.\nTykkää";
	static const char b[] = "09.41 4G\nTAMA on keksitty viesti jossa\n"
	                        "on monta sanaa!! tykkaa 2t";
	static const char c[] = "Aivan toinen teksti, jossa puhutaan "
	                        "uimahallin aukioloajoista.";
	size_t na, nb, n;
	uint64_t ha;

	(void)state;
	ha = ocr_simhash(a, strlen(a), key, &na);
	assert_int_equal(na, 9);
	/* Clocks, battery, times, case, punctuation, lines and accents. */
	assert_true(ha == ocr_simhash(b, strlen(b), key, &nb));
	assert_int_equal(nb, 9);
	assert_true(
	    bits(ha, ocr_simhash(c, strlen(c), key, &n)) > OCR_SAME_POST_BITS);
	assert_true(ocr_simhash("", 0, key, &n) == 0);
	assert_int_equal(n, 0);
	assert_true(ocr_simhash("12:34 87%", 9, key, &n) == 0);
	assert_int_equal(n, 0);
	assert_true(ocr_simhash("moi", 3, key, &n) != 0);
	assert_int_equal(n, 1);
}

/*
 * Screenshots in Cyrillic and Arabic script read whatever the hint: a
 * wrong one (a Finnish page's tip with a Russian post) costs a second
 * pass, not the text.
 */
static void
test_scripts(void **state)
{
	static const struct {
		const char *file, *expected;
		enum ocr_script hint;
	} cases[] = {
		{ "post_ru_a.png", ru_a, OCR_CYRILLIC },
		{ "post_ru_a.png", ru_a, OCR_LATIN },
		{ "post_ru_b.png", ru_a, OCR_ARABIC },
		{ "post_ar_a.png", ar_a, OCR_ARABIC },
		{ "post_ar_a.png", ar_a, OCR_LATIN },
		{ "post_ar_b.png", ar_a, OCR_CYRILLIC },
		{ "post_fa_a.png", fa_a, OCR_ARABIC },
		{ "post_fa_a.png", fa_a, OCR_LATIN },
		/* A Latin post from a Russian page's tip. */
		{ "post_fi_a.png", fi_a, OCR_CYRILLIC },
	};
	char *t;
	double r;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		t = ocr_file_hint(cases[i].file, cases[i].hint);
		r = recall(cases[i].expected, t);
		print_message("%s, hint %d: recall %.2f\n", cases[i].file,
		    (int)cases[i].hint, r);
		if (r < MIN_RECALL)
			fail_msg("%s with hint %d read %.2f: %s", cases[i].file,
			    (int)cases[i].hint, r, t);
		free(t);
	}
	assert_int_equal(ocr_script_of_lang("ru"), OCR_CYRILLIC);
	assert_int_equal(ocr_script_of_lang("uk"), OCR_CYRILLIC);
	assert_int_equal(ocr_script_of_lang("ar"), OCR_ARABIC);
	assert_int_equal(ocr_script_of_lang("fa"), OCR_ARABIC);
	assert_int_equal(ocr_script_of_lang("so"), OCR_LATIN);
	assert_int_equal(ocr_script_of_lang("se"), OCR_LATIN);
	assert_int_equal(ocr_script_of_lang(NULL), OCR_LATIN);
}

/* Two shots of one post in Cyrillic or Arabic script are near; another
 * post in the same script is not. */
static void
test_simhash_scripts(void **state)
{
	static const uint8_t key[SIMHASH_KEY_BYTES];
	static const char *const files[] = { "post_ru_a.png", "post_ru_b.png",
		"post_ru_other.png", "post_ar_a.png", "post_ar_b.png",
		"post_ar_other.png" };
	uint64_t h[6];
	size_t i, n;
	char *t;

	(void)state;
	for (i = 0; i < 6; i++) {
		t = ocr_file_hint(files[i], OCR_LATIN);
		h[i] = ocr_simhash(t, strlen(t), key, &n);
		assert_true(n >= 12);
		free(t);
	}
	print_message("Russian: same post %d, other %d/%d; Arabic: same post "
	              "%d, other %d/%d\n",
	    bits(h[0], h[1]), bits(h[0], h[2]), bits(h[1], h[2]),
	    bits(h[3], h[4]), bits(h[3], h[5]), bits(h[4], h[5]));
	assert_true(bits(h[0], h[1]) <= OCR_SAME_POST_BITS);
	assert_true(bits(h[0], h[2]) > OCR_SAME_POST_BITS);
	assert_true(bits(h[1], h[2]) > OCR_SAME_POST_BITS);
	assert_true(bits(h[3], h[4]) <= OCR_SAME_POST_BITS);
	assert_true(bits(h[3], h[5]) > OCR_SAME_POST_BITS);
	assert_true(bits(h[4], h[5]) > OCR_SAME_POST_BITS);
}

static void
test_init(void **state)
{
	const char *errstr = NULL;

	(void)state;
	assert_int_equal(ocr_init(NULL, "no-such-language", &errstr), -1);
	assert_string_equal(errstr, "cannot load languages");
	assert_int_equal(ocr_init("/nonexistent", NULL, &errstr), -1);
	/* A failed init leaves the earlier settings in force. */
	assert_int_equal(ocr_init(NULL, NULL, &errstr), 0);
}

/* A daemon's start finds a missing model by its file, and names the
 * package. */
static void
test_check_models(void **state)
{
	const char *saved = getenv("TESSDATA_PREFIX");
	char err[512], *keep = saved != NULL ? strdup(saved) : NULL;

	(void)state;
	assert_int_equal(ocr_check_models(err, sizeof(err)), 0);
	assert_int_equal(setenv("TESSDATA_PREFIX", "/nonexistent", 1), 0);
	assert_int_equal(ocr_check_models(err, sizeof(err)), -1);
	assert_string_equal(err,
	    "OCR model /nonexistent/Latin.traineddata is missing (Debian "
	    "package tesseract-ocr-script-latn)");
	if (keep != NULL)
		assert_int_equal(setenv("TESSDATA_PREFIX", keep, 1), 0);
	else
		assert_int_equal(unsetenv("TESSDATA_PREFIX"), 0);
	free(keep);
	assert_int_equal(ocr_check_models(err, sizeof(err)), 0);
}

static int
teardown(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < S_COUNT; i++)
		if (sample_text[i] != NULL)
			util_free_secret(sample_text[i],
			    strlen(sample_text[i]));
	ocr_thread_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scripts),
		cmocka_unit_test(test_simhash_scripts),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_check_models),
		cmocka_unit_test(test_post_png),
		cmocka_unit_test(test_post_webp),
		cmocka_unit_test(test_diacritics),
		cmocka_unit_test(test_swedish_jpeg),
		cmocka_unit_test(test_alpha),
		cmocka_unit_test(test_no_text),
		cmocka_unit_test(test_not_image),
		cmocka_unit_test(test_time_limit),
		cmocka_unit_test(test_repeatable),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_simhash),
		cmocka_unit_test(test_simhash_features),
	};

	return cmocka_run_group_tests_name("ocr", tests, NULL, teardown);
}
