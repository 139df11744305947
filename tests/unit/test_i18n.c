/*
 * Unit tests of the catalogue, language choice and dates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "i18n.h"

/* The {placeholders} of a text, sorted, and its "\n" count, as one
 * string. */
static void
marks(const char *t, char *out, size_t len)
{
	const char *p, *e;
	char found[16][32];
	size_t n = 0, i, j, nl = 0;

	for (p = t; *p != '\0'; p++) {
		if (p[0] == '\\' && p[1] == 'n')
			nl++;
		if (*p == '{' && (e = strchr(p, '}')) != NULL && n < 16 &&
		    (size_t)(e - p) < 31) {
			snprintf(found[n++], 32, "%.*s", (int)(e - p + 1), p);
			p = e;
		}
	}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(found[j - 1], found[j]) > 0; j--) {
			char tmp[32];

			memcpy(tmp, found[j], 32);
			memcpy(found[j], found[j - 1], 32);
			memcpy(found[j - 1], tmp, 32);
		}
	snprintf(out, len, "%zu:", nl);
	for (i = 0; i < n; i++)
		strncat(out, found[i], len - strlen(out) - 1);
}

static void
test_catalogue(void **state)
{
	char want[256], got[256];
	size_t i, npub = 0;
	int l;

	(void)state;
	assert_true(i18n_count() > 40);
	for (i = 0; i < i18n_count(); i++) {
		if (i > 0 && strcmp(i18n_id(i - 1), i18n_id(i)) >= 0)
			fail_msg("catalogue not sorted at %s", i18n_id(i));
		npub += i18n_public(i) != 0;
		marks(i18n_text(i, LANG_EN), want, sizeof(want));
		for (l = 0; l < LANG_COUNT; l++) {
			const char *t = i18n_text(i, (enum lang)l);

			/* Staff messages: only in the staff's languages,
			 * English in the others. */
			if (!i18n_public(i) && l >= LANG_STAFF_COUNT) {
				assert_null(t);
				assert_ptr_equal(
				    i18n_get((enum lang)l, i18n_id(i)),
				    i18n_text(i, LANG_EN));
				continue;
			}
			if (t == NULL || t[0] == '\0')
				fail_msg("%s has no text in %s", i18n_id(i),
				    i18n_code((enum lang)l));
			assert_ptr_equal(i18n_get((enum lang)l, i18n_id(i)), t);
			/* Every catalogue keeps the placeholders and line
			 * breaks of the English. */
			marks(t, got, sizeof(got));
			if (strcmp(want, got) != 0)
				fail_msg("%s in %s: %s, English has %s",
				    i18n_id(i), i18n_code((enum lang)l), got,
				    want);
		}
	}
	assert_true(npub > 150);
	assert_null(i18n_get(LANG_FI, "no.such.id"));
	assert_string_equal(i18n_get(LANG_SV, "form.title"),
	    "Anmäl hatretorik eller hatbrott");
	/* A public message is its language's own, not a copy of another. */
	assert_string_not_equal(i18n_get(LANG_AR, "form.submit"),
	    i18n_get(LANG_EN, "form.submit"));
	assert_string_not_equal(i18n_get(LANG_SE, "form.title"),
	    i18n_get(LANG_FI, "form.title"));
}

static void
test_languages(void **state)
{
	static const char *const codes[LANG_COUNT] = { "fi", "sv", "en", "ar",
		"fa", "so", "ru", "uk", "et", "se" };
	enum lang l;
	int i;

	(void)state;
	for (i = 0; i < LANG_COUNT; i++) {
		assert_string_equal(i18n_code((enum lang)i), codes[i]);
		assert_int_equal(i18n_from_code(codes[i], 2, &l), 0);
		assert_int_equal(l, i);
		assert_int_equal(
		    i18n_from_code_n(codes[i], 2, LANG_STAFF_COUNT, &l),
		    i < LANG_STAFF_COUNT ? 0 : -1);
		assert_true(i18n_name((enum lang)i)[0] != '\0');
		assert_string_equal(i18n_dir((enum lang)i),
		    i == LANG_AR || i == LANG_FA ? "rtl" : "ltr");
	}
	assert_string_equal(i18n_name(LANG_AR), "العربية");
	assert_string_equal(i18n_name(LANG_FA), "فارسی");
	assert_string_equal(i18n_name(LANG_SE), "Davvisámegiella");
	assert_int_equal(i18n_from_code("RU", 2, &l), 0);
	assert_int_equal(l, LANG_RU);
	assert_int_equal(i18n_from_code("xx", 2, &l), -1);
	assert_int_equal(i18n_from_code("ru", 1, &l), -1);
}

static void
test_negotiate(void **state)
{
	(void)state;
	assert_int_equal(i18n_negotiate(NULL, LANG_COUNT), LANG_FI);
	assert_int_equal(i18n_negotiate("", LANG_COUNT), LANG_FI);
	assert_int_equal(i18n_negotiate("sv-FI,sv;q=0.9,en;q=0.8", LANG_COUNT),
	    LANG_SV);
	assert_int_equal(i18n_negotiate("en-GB,en;q=0.9", LANG_COUNT), LANG_EN);
	assert_int_equal(
	    i18n_negotiate("de-DE,de;q=0.9,sv;q=0.5,fi;q=0.4", LANG_COUNT),
	    LANG_SV);
	assert_int_equal(i18n_negotiate("en;q=0.5, fi;q=0.8", LANG_COUNT),
	    LANG_FI);
	assert_int_equal(i18n_negotiate("sv;q=0, en", LANG_COUNT), LANG_EN);
	assert_int_equal(i18n_negotiate("*", LANG_COUNT), LANG_FI);
	assert_int_equal(i18n_negotiate("svx,enx", LANG_COUNT), LANG_FI);
	assert_int_equal(i18n_negotiate("SV", LANG_COUNT), LANG_SV);
	assert_int_equal(i18n_negotiate(";;;,,,q=1;q=", LANG_COUNT), LANG_FI);
	/* The public languages, with regions and aliases. */
	assert_int_equal(i18n_negotiate("ar-SY,ar;q=0.9,en;q=0.5", LANG_COUNT),
	    LANG_AR);
	assert_int_equal(i18n_negotiate("fa-IR", LANG_COUNT), LANG_FA);
	assert_int_equal(i18n_negotiate("prs-AF,ps;q=0.8", LANG_COUNT),
	    LANG_FA);
	assert_int_equal(i18n_negotiate("so", LANG_COUNT), LANG_SO);
	assert_int_equal(i18n_negotiate("ru-RU,ru;q=0.9", LANG_COUNT), LANG_RU);
	assert_int_equal(i18n_negotiate("uk-UA,uk;q=0.9,ru;q=0.8", LANG_COUNT),
	    LANG_UK);
	assert_int_equal(i18n_negotiate("et-EE", LANG_COUNT), LANG_ET);
	assert_int_equal(i18n_negotiate("se-FI,fi;q=0.8", LANG_COUNT), LANG_SE);
	assert_int_equal(i18n_negotiate("sme,fi;q=0.5", LANG_COUNT), LANG_SE);
	assert_int_equal(i18n_negotiate("smex,prsx", LANG_COUNT), LANG_FI);
	/* The console's languages only: Russian falls to the next. */
	assert_int_equal(i18n_negotiate("ru,en;q=0.5", LANG_STAFF_COUNT),
	    LANG_EN);
	assert_int_equal(i18n_negotiate("ar", LANG_STAFF_COUNT), LANG_FI);
}

static void
test_dates(void **state)
{
	char out[64];

	(void)state;
	i18n_day("2026-03-07", LANG_FI, out, sizeof(out));
	assert_string_equal(out, "7.3.2026");
	i18n_day("2026-03-07", LANG_RU, out, sizeof(out));
	assert_string_equal(out, "07.03.2026");
	i18n_day("2026-03-07 12:00", LANG_AR, out, sizeof(out));
	assert_string_equal(out, "2026-03-07");
	i18n_day("2026-03-07", LANG_SE, out, sizeof(out));
	assert_string_equal(out, "7.3.2026");
	i18n_hour("2026-03-07 09", LANG_FI, out, sizeof(out));
	assert_string_equal(out, "7.3.2026 klo 09.00–09.59");
	i18n_hour("2026-03-07 09", LANG_SV, out, sizeof(out));
	assert_string_equal(out, "7.3.2026 kl. 09.00–09.59");
	i18n_hour("2026-03-07 21", LANG_FA, out, sizeof(out));
	assert_string_equal(out, "2026-03-07, 21:00–21:59");
	i18n_hour("2026-03-07 21", LANG_UK, out, sizeof(out));
	assert_string_equal(out, "07.03.2026, 21:00–21:59");
	i18n_hour("2026-03-07 21", LANG_ET, out, sizeof(out));
	assert_string_equal(out, "7.3.2026 21.00–21.59");
	i18n_day("garbage", LANG_FI, out, sizeof(out));
	assert_string_equal(out, "garbage");
	i18n_hour("2026-03-07", LANG_FI, out, sizeof(out));
	assert_string_equal(out, "2026-03-07");
}

static void
test_collate(void **state)
{
	(void)state;
	assert_true(i18n_collate("Aura", "Ähtäri") < 0);
	assert_true(i18n_collate("Zürich", "Åbo") < 0);
	assert_true(i18n_collate("Åbo", "Äänekoski") < 0);
	assert_true(i18n_collate("Äänekoski", "Östermark") < 0);
	assert_true(i18n_collate("espoo", "Esbo") > 0);
	assert_true(i18n_collate("Ii", "Iisalmi") < 0);
	assert_int_equal(i18n_collate("Vaasa", "Vaasa"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalogue),
		cmocka_unit_test(test_languages),
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_collate),
	};

	return cmocka_run_group_tests_name("i18n", tests, NULL, NULL);
}
