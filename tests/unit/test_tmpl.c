/*
 * Unit tests of the template renderer: escaping is always on, sections,
 * inverted sections, partials, messages, and the errors found at parse
 * time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tmpl.h"

static char *
render(const char *tmpl, const char *json, enum lang lang)
{
	static char out[4096];
	struct tmpl_set *set = tmpl_set_new();
	json_error_t jerr;
	json_t *ctx = json_loads(json, 0, &jerr);
	struct buf b;
	char err[256];

	assert_non_null(ctx);
	assert_int_equal(
	    tmpl_add(set, "t", tmpl, strlen(tmpl), err, sizeof(err)), 0);
	buf_init(&b, 0);
	assert_int_equal(tmpl_render(set, "t", ctx, lang, &b), 0);
	snprintf(out, sizeof(out), "%s", buf_cstr(&b));
	buf_reset(&b);
	json_decref(ctx);
	tmpl_set_free(set);
	return out;
}

static void
test_escaping(void **state)
{
	(void)state;
	assert_string_equal(
	    render("<p>{{x}}</p>", "{\"x\": \"<script>&'\\\"\"}", LANG_FI),
	    "<p>&lt;script&gt;&amp;&#39;&quot;</p>");
	assert_string_equal(
	    render("{{n}} {{r}}", "{\"n\": 42, \"r\": 1.5}", LANG_FI),
	    "42 1.5");
	assert_string_equal(render("[{{missing}}]", "{}", LANG_FI), "[]");
}

static void
test_sections(void **state)
{
	(void)state;
	assert_string_equal(render("{{#xs}}<{{v}}>{{/xs}}",
	                        "{\"xs\": [{\"v\": 1}, {\"v\": \"a&b\"}]}",
	                        LANG_FI),
	    "<1><a&amp;b>");
	assert_string_equal(
	    render("{{#xs}}{{.}},{{/xs}}", "{\"xs\": [\"a\", \"<\"]}", LANG_FI),
	    "a,&lt;,");
	assert_string_equal(
	    render("{{#t}}yes{{/t}}{{^t}}no{{/t}}", "{\"t\": true}", LANG_FI),
	    "yes");
	assert_string_equal(
	    render("{{#t}}yes{{/t}}{{^t}}no{{/t}}", "{\"t\": []}", LANG_FI),
	    "no");
	/* Outer names stay visible inside a section; dotted paths. */
	assert_string_equal(render("{{#xs}}{{lang}}{{v}}{{/xs}}{{a.b}}",
	                        "{\"lang\": \"sv\", \"xs\": [{\"v\": 1}], "
	                        "\"a\": {\"b\": \"c\"}}",
	                        LANG_FI),
	    "sv1c");
	assert_string_equal(render("{{! ignored }}x", "{}", LANG_FI), "x");
}

static void
test_messages(void **state)
{
	(void)state;
	assert_string_equal(render("{{@form.submit}}", "{}", LANG_FI),
	    "Lähetä vihje");
	assert_string_equal(render("{{@form.submit}}", "{}", LANG_SV),
	    "Skicka tipset");
	assert_string_equal(render("{{@form.submit}}", "{}", LANG_EN),
	    "Send the tip");
}

static void
test_partials(void **state)
{
	struct tmpl_set *set = tmpl_set_new();
	json_t *ctx = json_pack("{s:s}", "x", "<");
	struct buf b;
	char err[256];

	(void)state;
	assert_int_equal(tmpl_add(set, "head", "[{{x}}]", 7, err, sizeof(err)),
	    0);
	assert_int_equal(
	    tmpl_add(set, "page", "{{>head}}body", 13, err, sizeof(err)), 0);
	assert_int_equal(tmpl_check(set, err, sizeof(err)), 0);
	buf_init(&b, 0);
	assert_int_equal(tmpl_render(set, "page", ctx, LANG_FI, &b), 0);
	assert_string_equal(buf_cstr(&b), "[&lt;]body");
	buf_reset(&b);
	assert_int_equal(tmpl_add(set, "bad", "{{>nope}}", 9, err, sizeof(err)),
	    0);
	assert_int_equal(tmpl_check(set, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown partial nope"));
	json_decref(ctx);
	tmpl_set_free(set);
}

static void
test_parse_errors(void **state)
{
	static const char *const bad[][2] = {
		{ "a\n{{x", "template t:2: unclosed {{" },
		{ "{{#a}}x", "section not closed" },
		{ "{{/a}}", "without an open section" },
		{ "{{#a}}{{/b}}", "closes another section" },
		{ "{{@no.such.message}}", "unknown message id" },
		{ "{{a b}}", "bad tag name" },
		{ "{{}}", "bad tag name" },
		/* There is no way to emit a value unescaped. */
		{ "{{&x}}", "bad tag name" },
		{ "{{{x}}}", "bad tag name" },
	};
	struct tmpl_set *set = tmpl_set_new();
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(tmpl_add(set, "t", bad[i][0],
		                     strlen(bad[i][0]), err, sizeof(err)),
		    -1);
		if (strstr(err, bad[i][1]) == NULL)
			fail_msg("case %zu: got \"%s\"", i, err);
	}
	tmpl_set_free(set);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_partials),
		cmocka_unit_test(test_parse_errors),
	};

	return cmocka_run_group_tests_name("tmpl", tests, NULL, NULL);
}
