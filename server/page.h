/*
 * Pages: a daemon's templates and static files, the context every page
 * has, rendering into an answer, message pages, and cached pages that may
 * be replaced while a slow client is still reading the old one.
 */
#ifndef TL_PAGE_H
#define TL_PAGE_H

#include <jansson.h>

#include "asset.h"
#include "buf.h"
#include "i18n.h"
#include "tmpl.h"
#include "web.h"

struct page_set {
	struct tmpl_set *tmpl;
	const struct asset *statics;
	char version[17]; /* of the static files, for ?v= and ETag */
};

/* Loads templates ("form.html" is the template "form") and hashes the
 * static files; exits on a broken template (it is built in). */
void page_init(struct page_set *, const struct asset *templates,
    const struct asset *statics);
void page_free(struct page_set *);

/* lang, title, asset_version and the language menu. */
json_t *page_ctx(const struct page_set *, enum lang, const char *title);
/* Renders into out (initialised here); -1 logged. */
TL_MUSTCHECK int page_render(const struct page_set *, const char *tmpl,
    json_t *ctx, enum lang, struct buf *out);
/* Renders and answers (500 if rendering fails).  Takes ownership of ctx. */
void page_reply(const struct page_set *, struct web_req *, int status,
    const char *tmpl, json_t *ctx);
/* The "message" template with a title and a message from the catalogue. */
void page_message(const struct page_set *, struct web_req *, int status,
    const char *title_id, const char *msg_id);
/* /static/NAME with its ETag; 404 page if unknown. */
void page_static(const struct page_set *, struct web_req *, const char *name);

/*
 * A rendered page shared by many answers: each answer holds a reference
 * until its last byte is written, so replacing the page (at midnight, on
 * SIGHUP) never frees bytes a slow client is still reading.
 */
struct page_blob;
/* Takes the bytes of b (b is left empty).  NULL if out of memory. */
struct page_blob *page_blob_new(struct buf *b);
void page_blob_unref(struct page_blob *);
/* Answers with the blob's bytes as HTML. */
void page_send_blob(struct web_req *, int status, struct page_blob *);

#endif
