/*
 * Unit tests of the catalogue and language choice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "i18n.h"

static void
test_catalogue(void **state)
{
	size_t i;
	int l;

	(void)state;
	assert_true(i18n_count() > 40);
	for (i = 0; i < i18n_count(); i++) {
		if (i > 0 && strcmp(i18n_id(i - 1), i18n_id(i)) >= 0)
			fail_msg("catalogue not sorted at %s", i18n_id(i));
		for (l = 0; l < LANG_COUNT; l++) {
			const char *t = i18n_text(i, (enum lang)l);

			if (t == NULL || t[0] == '\0')
				fail_msg("%s has no text in %s", i18n_id(i),
				    i18n_code((enum lang)l));
			assert_ptr_equal(i18n_get((enum lang)l, i18n_id(i)), t);
		}
	}
	assert_null(i18n_get(LANG_FI, "no.such.id"));
	assert_string_equal(i18n_get(LANG_SV, "form.title"),
	    "Anmäl hatretorik eller hatbrott");
}

static void
test_negotiate(void **state)
{
	(void)state;
	assert_int_equal(i18n_negotiate(NULL), LANG_FI);
	assert_int_equal(i18n_negotiate(""), LANG_FI);
	assert_int_equal(i18n_negotiate("sv-FI,sv;q=0.9,en;q=0.8"), LANG_SV);
	assert_int_equal(i18n_negotiate("en-GB,en;q=0.9"), LANG_EN);
	assert_int_equal(i18n_negotiate("de-DE,de;q=0.9,sv;q=0.5,fi;q=0.4"),
	    LANG_SV);
	assert_int_equal(i18n_negotiate("en;q=0.5, fi;q=0.8"), LANG_FI);
	assert_int_equal(i18n_negotiate("sv;q=0, en"), LANG_EN);
	assert_int_equal(i18n_negotiate("*"), LANG_FI);
	assert_int_equal(i18n_negotiate("svx,enx"), LANG_FI);
	assert_int_equal(i18n_negotiate("SV"), LANG_SV);
	assert_int_equal(i18n_negotiate(";;;,,,q=1;q="), LANG_FI);
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
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_collate),
	};

	return cmocka_run_group_tests_name("i18n", tests, NULL, NULL);
}
