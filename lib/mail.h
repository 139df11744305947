/*
 * E-mail messages: the notice that tells a tipster the police have
 * replied, in the tip's language, as one multipart/alternative message
 * (RFC 2045, 2046, 5322) with a text/plain and a text/html part, both
 * UTF-8 in base64, the subject in RFC 2047 encoded words.  Pure: no I/O,
 * no clock and no randomness of its own (the caller gives the time and
 * the random bytes), so a unit test sees every byte.
 */
#ifndef TL_MAIL_H
#define TL_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "i18n.h"

#define MAIL_NONCE_BYTES 16

struct mail {
	const char *from; /* plain addresses, mail_addr_ok() */
	const char *to;
	const char *subject; /* UTF-8 */
	const char *lang;    /* Content-Language, "fi" */
	const char *text;    /* the text/plain part, UTF-8, lines end in \n */
	const char *html;    /* the text/html part, a whole document */
	time_t date;
	/* Random: the Message-ID and the parts' boundary. */
	uint8_t nonce[MAIL_NONCE_BYTES];
};

/*
 * A plain address that may go as it is into MAIL FROM, RCPT TO and a
 * header: local@domain, printable ASCII, nothing that ends a header or a
 * command or starts a comment or a group.
 */
bool mail_addr_ok(const char *);

/* Appends the whole message, lines ending in CRLF; check out->err. */
void mail_compose(const struct mail *, struct buf *out);

/*
 * The notice's subject (a static string) and its text and HTML in lang:
 * that the police replied, the status page to read it on (status_url),
 * with lang= for the notice's language, and with message (the police's
 * newest message, UTF-8, written in message_lang; NULL for none) its text
 * too.  Never the receipt code, which only the tipster has.
 */
const char *mail_notice_subject(enum lang);
void mail_notice(enum lang, const char *status_url, const char *message,
    size_t message_len, enum lang message_lang, struct buf *text,
    struct buf *html);

#endif
