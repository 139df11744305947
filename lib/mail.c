/*
 * The e-mail notice.  Text goes in base64 so that any UTF-8 and any line
 * length pass every relay unchanged, and the boundary starts with "=_",
 * which base64 never holds.  The HTML part is the text in paragraphs
 * with one link, the status page: no images, no styles from elsewhere,
 * nothing that tells anyone when or whether the mail was read.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "mail.h"

/* Bytes of text per encoded line: 57 make 76 characters of base64. */
#define MAIL_B64_LINE   57
/* Bytes of a subject per encoded word: 39 make 52 characters, and with
 * "=?UTF-8?B?" and "?=" the first word fits after "Subject: " within 78
 * columns (RFC 2047 allows 75 for a word). */
#define MAIL_WORD_BYTES 39

bool
mail_addr_ok(const char *s)
{
	const char *at = strchr(s, '@'), *label;
	size_t i, n;

	if (at == NULL || at == s || at - s > 64 || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL || strlen(s) > 254)
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] <= ' ' || s[i] > '~' || strchr("<>()[],;:\\\"", s[i]))
			return false;
	/* No empty dot-separated part on the left. */
	if (s[0] == '.' || at[-1] == '.' || strstr(s, "..") != NULL)
		return false;
	/* Two labels or more on the right, letters, digits and inner
	 * hyphens, 63 at most each. */
	if (strchr(at + 1, '.') == NULL)
		return false;
	for (label = at + 1; *label != '\0'; label += n + (label[n] == '.')) {
		n = strspn(label, "abcdefghijklmnopqrstuvwxyz"
		                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
		if (n == 0 || n > 63 || label[0] == '-' ||
		    label[n - 1] == '-' ||
		    (label[n] != '.' && label[n] != '\0') ||
		    (label[n] == '.' && label[n + 1] == '\0'))
			return false;
	}
	return true;
}

static void
mail_b64(struct buf *out, const uint8_t *p, size_t len)
{
	char line[80];

	sodium_bin2base64(line, sizeof(line), p, len,
	    sodium_base64_VARIANT_ORIGINAL);
	buf_puts(out, line);
}

/* A part's text as base64 lines, its line ends made CRLF first. */
static void
mail_b64_body(struct buf *out, const char *text)
{
	struct buf crlf;
	size_t i;

	buf_init(&crlf, 0);
	for (i = 0; text[i] != '\0'; i++) {
		if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r'))
			buf_append(&crlf, "\r", 1);
		buf_append(&crlf, &text[i], 1);
	}
	if (crlf.err)
		out->err = true;
	for (i = 0; !crlf.err && i < crlf.len; i += MAIL_B64_LINE) {
		mail_b64(out, crlf.p + i,
		    crlf.len - i < MAIL_B64_LINE ? crlf.len - i
		                                 : MAIL_B64_LINE);
		buf_puts(out, "\r\n");
	}
	buf_reset(&crlf);
}

/* "Subject: " and the text as encoded words, each on its own line, cut
 * between characters. */
static void
mail_subject(struct buf *out, const char *s)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t len = strlen(s), n;
	bool first = true;

	buf_puts(out, "Subject:");
	while (len > 0) {
		n = len < MAIL_WORD_BYTES ? len : MAIL_WORD_BYTES;
		while (n < len && n > 1 && (p[n] & 0xc0) == 0x80)
			n--;
		buf_puts(out, first ? " =?UTF-8?B?" : "\r\n =?UTF-8?B?");
		first = false;
		mail_b64(out, p, n);
		buf_puts(out, "?=");
		p += n;
		len -= n;
	}
	buf_puts(out, "\r\n");
}

/* RFC 5322's date in UTC, with English names whatever the locale. */
static void
mail_date(struct buf *out, time_t t)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu",
		"Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL) {
		out->err = true;
		return;
	}
	buf_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void
mail_compose(const struct mail *m, struct buf *out)
{
	char nonce[MAIL_NONCE_BYTES * 2 + 1];
	const char *domain = strchr(m->from, '@');

	sodium_bin2hex(nonce, sizeof(nonce), m->nonce, sizeof(m->nonce));
	mail_date(out, m->date);
	buf_printf(out, "From: %s\r\n", m->from);
	buf_printf(out, "To: %s\r\n", m->to);
	mail_subject(out, m->subject);
	buf_printf(out, "Message-ID: <%s%s>\r\n", nonce,
	    domain != NULL ? domain : "@localhost");
	buf_puts(out, "MIME-Version: 1.0\r\n");
	buf_printf(out, "Content-Language: %s\r\n", m->lang);
	/* RFC 3834: no automatic replies to it. */
	buf_puts(out, "Auto-Submitted: auto-generated\r\n");
	buf_printf(out,
	    "Content-Type: multipart/alternative;\r\n"
	    " boundary=\"=_%s\"\r\n\r\n",
	    nonce);
	buf_printf(out,
	    "--=_%s\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n",
	    nonce);
	mail_b64_body(out, m->text);
	buf_printf(out,
	    "--=_%s\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n",
	    nonce);
	mail_b64_body(out, m->html);
	buf_printf(out, "--=_%s--\r\n", nonce);
}

/* ---------------------------------------------------------- the notice */

static const char *
mail_msg(enum lang lang, const char *id)
{
	const char *s = i18n_get(lang, id);

	return s != NULL ? s : id;
}

const char *
mail_notice_subject(enum lang lang)
{
	return mail_msg(lang, "email.subject");
}

/* The police's message as HTML: paragraphs at blank lines, <br> at the
 * other line ends. */
static void
mail_html_text(struct buf *html, const char *s, size_t len)
{
	size_t i, start = 0;

	buf_puts(html, "<p>");
	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != '\n' && s[i] != '\r')
			continue;
		buf_html(html, s + start, i - start);
		if (i == len)
			break;
		if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
			i++;
		if (i + 1 < len && (s[i + 1] == '\n' || s[i + 1] == '\r')) {
			buf_puts(html, "</p>\n<p>");
			while (i + 1 < len &&
			       (s[i + 1] == '\n' || s[i + 1] == '\r'))
				i++;
		} else
			buf_puts(html, "<br>\n");
		start = i + 1;
	}
	buf_puts(html, "</p>\n");
}

/* One paragraph in both parts. */
static void
mail_para(struct buf *text, struct buf *html, const char *s)
{
	buf_printf(text, "%s\n\n", s);
	buf_puts(html, "<p>");
	buf_html(html, s, strlen(s));
	buf_puts(html, "</p>\n");
}

void
mail_notice(enum lang lang, const char *status_url, const char *message,
    size_t message_len, enum lang message_lang, struct buf *text,
    struct buf *html)
{
	const char *subject = mail_notice_subject(lang);
	struct buf url;
	size_t i, base;

	/* The status page in the tip's language: lang= joins the query,
	 * before any fragment. */
	base = strcspn(status_url, "#");
	buf_init(&url, 0);
	buf_append(&url, status_url, base);
	buf_printf(&url, "%slang=%s%s",
	    memchr(status_url, '?', base) != NULL ? "&" : "?", i18n_code(lang),
	    status_url + base);
	status_url = buf_cstr(&url) != NULL ? buf_cstr(&url) : status_url;

	buf_printf(html,
	    "<!DOCTYPE html>\n<html lang=\"%s\" dir=\"%s\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<title>",
	    i18n_code(lang), i18n_dir(lang));
	buf_html(html, subject, strlen(subject));
	buf_puts(html, "</title>\n</head>\n<body>\n");

	mail_para(text, html, mail_msg(lang, "email.news"));
	buf_printf(text, "%s\n%s\n\n", mail_msg(lang, "email.how"), status_url);
	buf_puts(html, "<p>");
	buf_html(html, mail_msg(lang, "email.how"),
	    strlen(mail_msg(lang, "email.how")));
	buf_puts(html, "<br>\n<a dir=\"ltr\" href=\"");
	buf_html(html, status_url, strlen(status_url));
	buf_puts(html, "\">");
	buf_html(html, status_url, strlen(status_url));
	buf_puts(html, "</a></p>\n");

	if (message != NULL) {
		mail_para(text, html, mail_msg(lang, "email.message"));
		/* As the officer wrote it, with \n line ends. */
		for (i = 0; i < message_len; i++)
			if (message[i] != '\r')
				buf_append(text, &message[i], 1);
			else if (i + 1 == message_len || message[i + 1] != '\n')
				buf_puts(text, "\n");
		buf_puts(text, "\n\n");
		/* In its own language, which a screen reader voices. */
		buf_printf(html, "<blockquote lang=\"%s\" dir=\"%s\">\n",
		    i18n_code(message_lang), i18n_dir(message_lang));
		mail_html_text(html, message, message_len);
		buf_puts(html, "</blockquote>\n");
		mail_para(text, html, mail_msg(lang, "email.code"));
	} else
		mail_para(text, html, mail_msg(lang, "email.private"));
	mail_para(text, html, mail_msg(lang, "email.once"));
	mail_para(text, html, mail_msg(lang, "email.ignore"));
	buf_puts(html, "</body>\n</html>\n");
	buf_reset(&url);
}
