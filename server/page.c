/*
 * The page layer shared by the daemons: templates built into the binary,
 * the page context, message pages, static files and shared cached pages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "log.h"
#include "page.h"

struct page_blob {
	int refs;
	size_t len;
	uint8_t *data;
};

void
page_init(struct page_set *ps, const struct asset *templates,
    const struct asset *statics)
{
	const struct asset *a;
	uint64_t h = 1469598103934665603ULL;
	char err[512], name[64];
	size_t i;

	memset(ps, 0, sizeof(*ps));
	ps->tmpl = tmpl_set_new();
	ps->statics = statics;
	for (a = templates; a->name != NULL; a++) {
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(a->name, "."),
		    a->name);
		if (tmpl_add(ps->tmpl, name, (const char *)a->data, a->len, err,
		        sizeof(err)) == -1)
			fatalx("%s", err);
	}
	if (tmpl_check(ps->tmpl, err, sizeof(err)) == -1)
		fatalx("%s", err);
	/* Static files change only with the binary: one version for all
	 * (FNV-1a over their bytes). */
	for (a = statics; a->name != NULL; a++)
		for (i = 0; i < a->len; i++)
			h = (h ^ a->data[i]) * 1099511628211ULL;
	snprintf(ps->version, sizeof(ps->version), "%016llx",
	    (unsigned long long)h);
}

void
page_free(struct page_set *ps)
{
	tmpl_set_free(ps->tmpl);
	ps->tmpl = NULL;
}

json_t *
page_ctx(const struct page_set *ps, enum lang lang, const char *title)
{
	json_t *ctx, *langs;
	int i;

	ctx = json_object();
	json_object_set_new(ctx, "lang", json_string(i18n_code(lang)));
	json_object_set_new(ctx, "dir", json_string(i18n_dir(lang)));
	json_object_set_new(ctx, "title", json_string(title));
	json_object_set_new(ctx, "asset_version", json_string(ps->version));
	langs = json_array();
	for (i = 0; i < LANG_COUNT; i++)
		json_array_append_new(langs,
		    json_pack("{s:s, s:s, s:s, s:b}", "code",
		        i18n_code((enum lang)i), "label",
		        i18n_name((enum lang)i), "dir", i18n_dir((enum lang)i),
		        "current", (enum lang)i == lang));
	json_object_set_new(ctx, "langs", langs);
	return ctx;
}

int
page_render(const struct page_set *ps, const char *tmpl, json_t *ctx,
    enum lang lang, struct buf *out)
{
	buf_init(out, 8 << 20);
	if (tmpl_render(ps->tmpl, tmpl, ctx, lang, out) == -1) {
		log_warnx("render %s failed", tmpl);
		buf_reset(out);
		return -1;
	}
	return 0;
}

void
page_reply(const struct page_set *ps, struct web_req *wr, int status,
    const char *tmpl, json_t *ctx)
{
	struct buf out;

	if (web_gone(wr)) {
		json_decref(ctx);
		web_send(wr, status, NULL);
		return;
	}
	if (page_render(ps, tmpl, ctx, wr->lang, &out) == -1)
		web_send_text(wr, 500, "internal error");
	else
		web_send_html(wr, status, &out);
	json_decref(ctx);
}

void
page_message(const struct page_set *ps, struct web_req *wr, int status,
    const char *title_id, const char *msg_id)
{
	json_t *ctx;

	ctx = page_ctx(ps, wr->lang, i18n_get(wr->lang, title_id));
	json_object_set_new(ctx, "message",
	    json_string(i18n_get(wr->lang, msg_id)));
	page_reply(ps, wr, status, "message", ctx);
}

static const char *
page_content_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".css", "text/css; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".png", "image/png" },
		{ ".svg", "image/svg+xml" },
	};
	const char *dot = strrchr(name, '.');
	size_t i;

	for (i = 0; dot != NULL && i < ARRAY_SIZE(types); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

void
page_static(const struct page_set *ps, struct web_req *wr, const char *name)
{
	struct evbuffer *body;
	const struct asset *a;
	const char *inm;
	char etag[24];

	for (a = ps->statics; a->name != NULL; a++)
		if (strcmp(a->name, name) == 0)
			break;
	if (a->name == NULL) {
		web_error(wr, 404);
		return;
	}
	snprintf(etag, sizeof(etag), "\"%s\"", ps->version);
	web_header(wr, "ETag", etag);
	web_header(wr, "Cache-Control", "public, max-age=86400");
	inm = web_in_header(wr, "If-None-Match");
	if (inm != NULL && strstr(inm, etag) != NULL) {
		web_send(wr, 304, NULL);
		return;
	}
	web_header(wr, "Content-Type", page_content_type(name));
	if ((body = evbuffer_new()) == NULL) {
		web_send_text(wr, 500, "internal error");
		return;
	}
	/* Built into the binary: never freed while we run. */
	evbuffer_add_reference(body, a->data, a->len, NULL, NULL);
	web_send(wr, 200, body);
	evbuffer_free(body);
}

struct page_blob *
page_blob_new(struct buf *b)
{
	struct page_blob *pb;

	if (b->err || (pb = calloc(1, sizeof(*pb))) == NULL) {
		buf_reset(b);
		return NULL;
	}
	pb->refs = 1;
	pb->data = b->p;
	pb->len = b->len;
	memset(b, 0, sizeof(*b));
	return pb;
}

void
page_blob_unref(struct page_blob *pb)
{
	if (pb == NULL || --pb->refs > 0)
		return;
	free(pb->data);
	free(pb);
}

static void
page_blob_cleanup(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	page_blob_unref(arg);
}

void
page_send_blob(struct web_req *wr, int status, struct page_blob *pb)
{
	struct evbuffer *body;

	if ((body = evbuffer_new()) == NULL) {
		web_send_text(wr, 500, "internal error");
		return;
	}
	pb->refs++;
	if (evbuffer_add_reference(body, pb->data, pb->len, page_blob_cleanup,
	        pb) == -1)
		pb->refs--;
	web_header(wr, "Content-Type", "text/html; charset=utf-8");
	web_header(wr, "Content-Language", i18n_code(wr->lang));
	web_send(wr, status, body);
	evbuffer_free(body);
}
