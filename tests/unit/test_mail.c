/*
 * Unit tests of the e-mail notice: addresses taken as they are, the
 * message's headers, line ends and lengths, the subject's encoded words
 * cut between characters, and the notice's text in each language.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "buf.h"
#include "i18n.h"
#include "mail.h"

/* The hex of the nonce compose() gives. */
#define NONCE "abababababababababababababababab"

static void
test_addr_ok(void **state)
{
	static const char *const good[] = { "a@b.fi",
		"first.last+tag@example.org", "x_y-z@sub.example.fi" };
	static const char *const bad[] = { "", "@b.fi", "a@", "ab.fi",
		"a@b@c.fi", "a b@c.fi", "a@c.fi\r\nBcc: x@y.fi", "<a@b.fi>",
		"a@b.fi>", "\"a\"@b.fi", "a(c)@b.fi", "a,b@c.fi", "a;b@c.fi",
		"ä@b.fi", "a@\x7f.fi" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!mail_addr_ok(good[i]))
			fail_msg("refused %s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (mail_addr_ok(bad[i]))
			fail_msg("took %s", bad[i]);
}

/* The header's value up to its CRLF, or NULL. */
static char *
header(const char *msg, const char *name)
{
	char want[64];
	const char *p, *end;

	snprintf(want, sizeof(want), "\r\n%s: ", name);
	if (strncmp(msg, want + 2, strlen(want) - 2) == 0)
		p = msg + strlen(want) - 2;
	else if ((p = strstr(msg, want)) != NULL)
		p += strlen(want);
	else
		return NULL;
	end = strstr(p, "\r\n");
	return strndup(p, (size_t)(end - p));
}

static void
compose(const char *subject, const char *text, struct buf *out)
{
	struct mail m;

	memset(&m, 0, sizeof(m));
	m.from = "noreply@vihje.example.fi";
	m.to = "someone@example.org";
	m.subject = subject;
	m.lang = "fi";
	m.text = text;
	m.html = "<!DOCTYPE html>\n<p>x</p>\n";
	m.date = 86400 * 365 + 3600 * 13 + 60 * 5 + 9; /* 1971-01-01 */
	memset(m.nonce, 0xab, sizeof(m.nonce));
	buf_init(out, 0);
	mail_compose(&m, out);
	assert_false(out->err);
	assert_non_null(buf_cstr(out));
}

static void
test_compose(void **state)
{
	struct buf b;
	const char *s, *line;
	char *v;
	size_t n;

	(void)state;
	compose("Poliisi on vastannut vihjeeseesi", "Rivi 1\nRivi 2\n", &b);
	s = (const char *)b.p;
	/* Every line ends in CRLF and fits in 78 columns. */
	for (line = s; *line != '\0'; line += n + 2) {
		n = strcspn(line, "\r\n");
		assert_true(line[n] == '\r' && line[n + 1] == '\n');
		assert_true(n <= 78);
	}
	v = header(s, "Date");
	assert_string_equal(v, "Fri, 01 Jan 1971 13:05:09 +0000");
	free(v);
	v = header(s, "From");
	assert_string_equal(v, "noreply@vihje.example.fi");
	free(v);
	v = header(s, "To");
	assert_string_equal(v, "someone@example.org");
	free(v);
	v = header(s, "Message-ID");
	assert_string_equal(v, "<" NONCE "@vihje.example.fi>");
	free(v);
	v = header(s, "MIME-Version");
	assert_string_equal(v, "1.0");
	free(v);
	v = header(s, "Subject");
	assert_string_equal(v,
	    "=?UTF-8?B?UG9saWlzaSBvbiB2YXN0YW5udXQgdmloamVlc2Vlc2k=?=");
	free(v);
	assert_non_null(strstr(s, "Content-Type: multipart/alternative;\r\n "
	                          "boundary=\"=_" NONCE "\"\r\n\r\n"));
	assert_non_null(
	    strstr(s, "\r\n--=_" NONCE "\r\nContent-Type: text/plain; "
	              "charset=utf-8\r\n"
	              "Content-Transfer-Encoding: base64\r\n\r\n"
	              "Uml2aSAxDQpSaXZpIDINCg==\r\n"));
	assert_non_null(strstr(s, "Content-Type: text/html; charset=utf-8"));
	n = strlen(s);
	assert_true(n > 40);
	assert_string_equal(s + n - 40, "--=_" NONCE "--\r\n");
	buf_reset(&b);
}

/* A long subject of two-byte characters: encoded words of at most 75
 * characters on lines of their own, each a whole number of characters. */
static void
test_long_subject(void **state)
{
	struct buf b, all;
	char *p, *end, word[80];
	unsigned char bin[64];
	size_t blen, words = 0;
	const char *subject = "ääääääääääääääääääääääääääääääääääääääääää"
	                      "ääääääääääääääääääääää ö";

	(void)state;
	compose(subject, "x", &b);
	p = strstr((char *)b.p, "Subject: ") + strlen("Subject: ");
	buf_init(&all, 0);
	for (;;) {
		assert_true(strncmp(p, "=?UTF-8?B?", 10) == 0);
		end = strstr(p, "?=");
		assert_true(end - p + 2 <= 75);
		snprintf(word, sizeof(word), "%.*s", (int)(end - p - 10),
		    p + 10);
		assert_int_equal(sodium_base642bin(bin, sizeof(bin), word,
		                     strlen(word), NULL, &blen, NULL,
		                     sodium_base64_VARIANT_ORIGINAL),
		    0);
		assert_true((bin[0] & 0xc0) != 0x80);
		assert_true((bin[blen - 1] & 0x80) == 0 ||
		            (bin[blen - 1] & 0xc0) == 0x80);
		buf_append(&all, bin, blen);
		words++;
		p = end + 2;
		if (strncmp(p, "\r\n ", 3) != 0)
			break;
		p += 3;
	}
	assert_true(words >= 3);
	assert_int_equal(all.len, strlen(subject));
	assert_memory_equal(all.p, subject, all.len);
	buf_reset(&all);
	buf_reset(&b);
}

static void
test_notice(void **state)
{
	const char *msg = "Kiitos & <hei>\r\nToinen rivi\n\nUusi kappale";
	struct buf text, html;
	char want[128];
	int l;

	(void)state;
	/* Every language the tip could be in, each linking to the status
	 * page in its own language. */
	for (l = 0; l < LANG_COUNT; l++) {
		buf_init(&text, 0);
		buf_init(&html, 0);
		mail_notice((enum lang)l, "https://vihje.example.fi/status",
		    NULL, 0, LANG_FI, &text, &html);
		assert_non_null(buf_cstr(&text));
		assert_non_null(buf_cstr(&html));
		snprintf(want, sizeof(want),
		    "\nhttps://vihje.example.fi/status?lang=%s\n",
		    i18n_code((enum lang)l));
		assert_non_null(strstr((char *)text.p, want));
		assert_non_null(strstr((char *)text.p,
		    i18n_get((enum lang)l, "email.private")));
		assert_null(strstr((char *)text.p,
		    i18n_get((enum lang)l, "email.message")));
		snprintf(want, sizeof(want),
		    "<a dir=\"ltr\" href=\"https://vihje.example.fi/"
		    "status?lang=%s\">",
		    i18n_code((enum lang)l));
		assert_non_null(strstr((char *)html.p, want));
		snprintf(want, sizeof(want), "<html lang=\"%s\" dir=\"%s\">",
		    i18n_code((enum lang)l), i18n_dir((enum lang)l));
		assert_non_null(strstr((char *)html.p, want));
		assert_non_null(strstr((char *)html.p,
		    i18n_get((enum lang)l, "email.news")));
		assert_non_null(strstr(mail_notice_subject((enum lang)l), " "));
		buf_reset(&text);
		buf_reset(&html);
	}
	/* A URL with a query of its own gets the language after it. */
	buf_init(&text, 0);
	buf_init(&html, 0);
	mail_notice(LANG_RU, "https://x.example/s?a=1", NULL, 0, LANG_FI, &text,
	    &html);
	assert_non_null(
	    strstr((char *)buf_cstr(&text), "https://x.example/s?a=1&lang=ru"));
	buf_reset(&text);
	buf_reset(&html);
	/* Before a fragment, and a long URL whole. */
	buf_init(&text, 0);
	buf_init(&html, 0);
	mail_notice(LANG_AR, "https://x.example/status#top", NULL, 0, LANG_FI,
	    &text, &html);
	assert_non_null(strstr((char *)buf_cstr(&text),
	    "https://x.example/status?lang=ar#top\n"));
	buf_reset(&text);
	buf_reset(&html);
	{
		char long_url[2100];

		memset(long_url, 'a', sizeof(long_url));
		memcpy(long_url, "https://x.example/", 18);
		memcpy(long_url + sizeof(long_url) - 8, "/status", 8);
		buf_init(&text, 0);
		buf_init(&html, 0);
		mail_notice(LANG_FI, long_url, NULL, 0, LANG_FI, &text, &html);
		assert_non_null(
		    strstr((char *)buf_cstr(&text), "/status?lang=fi\n"));
		buf_reset(&text);
		buf_reset(&html);
	}
	assert_string_equal(mail_notice_subject(LANG_FI),
	    "Poliisi on vastannut vihjeeseesi");

	buf_init(&text, 0);
	buf_init(&html, 0);
	mail_notice(LANG_EN, "https://x.example/status", msg, strlen(msg),
	    LANG_FI, &text, &html);
	assert_non_null(buf_cstr(&text));
	assert_non_null(buf_cstr(&html));
	assert_non_null(strstr((char *)text.p,
	    "Kiitos & <hei>\nToinen rivi\n\nUusi kappale\n"));
	assert_non_null(strstr((char *)html.p,
	    "<blockquote lang=\"fi\" dir=\"ltr\">\n<p>Kiitos &amp; &lt;hei&gt;<br>\nToinen rivi</p>\n"
	    "<p>Uusi kappale</p>\n</blockquote>\n"));
	assert_non_null(
	    strstr((char *)text.p, i18n_get(LANG_EN, "email.code")));
	assert_null(strstr((char *)text.p, i18n_get(LANG_EN, "email.private")));
	buf_reset(&text);
	buf_reset(&html);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_ok),
		cmocka_unit_test(test_compose),
		cmocka_unit_test(test_long_subject),
		cmocka_unit_test(test_notice),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
