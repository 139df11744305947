/*
 * A multipart form read as it arrives (routes with WEB_FORM): the parser
 * (lib/form.c's form_stream) hands over each part's bytes, text parts are
 * gathered in the request's arena and file parts in buffers of their own,
 * so that memory per request is what the form may hold, not what the
 * client sends.
 *
 *   - a text part keeps at most WEB_FORM_TEXT_MAX bytes; a file part at
 *     most opts.form_file_max, and at most opts.form_files file parts are
 *     kept: past a limit the part is marked truncated and its bytes are
 *     read and dropped, so that the handler can still re-show every field
 *     that was typed, and say which file was too large;
 *   - the file bytes all requests hold together stay under
 *     opts.form_memory, and one client's (lib/http.c's keyed hash of its
 *     address) under an eighth of it, or one whole tip's if that is more;
 *     when the memory is full, the upload coming slowest gives way to a
 *     faster one; past that the request is "busy":
 *     its files are dropped and the handler answers 503 with the form;
 *   - past opts.form_body_max in all, reading stops (the handler answers
 *     413 with what it has).
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "form.h"
#include "web.h"

/* Text fields are short: the longest, the description, is 10,000
 * characters (40,000 bytes at most). */
#define WEB_FORM_TEXT_MAX     (256 << 10)
#define WEB_FORM_MAX_PARTS    256
/* The rate an upload is measured at: over the last one or two windows. */
#define WEB_FORM_WINDOW_MS    5000
/* One client holds at most this share of form_memory. */
#define WEB_FORM_CLIENT_SHARE 8

struct web_form {
	struct web *w;
	struct web_req *wr;
	TAILQ_ENTRY(web_form) entry;
	struct form_stream fs;
	struct form_part *parts; /* in the arena */
	size_t nparts;
	struct form_part cur; /* the part being read */
	bool in_part;
	uint8_t *data; /* the current part's bytes so far (malloc) */
	size_t len, cap, max;
	struct web_form_file {
		uint8_t *p;
		size_t len;
	} * files; /* kept file buffers, to wipe and free */
	size_t nfiles;
	size_t held;    /* bytes of buffers counted in w->form_held */
	uint64_t total; /* body bytes seen */
	ssize_t result;
	const char *err;
	/* Bytes of the last two windows of WEB_FORM_WINDOW_MS, for the rate
	 * the body comes at now (not on average: a burst, then a trickle,
	 * is a trickle). */
	int64_t win_ms;
	uint64_t win_bytes, prev_bytes;
	bool busy;
	bool stopped;
};

static void web_form_drop_data(struct web_form *);

static void
web_form_count(struct web_form *f, size_t len, int64_t now)
{
	if (now - f->win_ms >= WEB_FORM_WINDOW_MS) {
		f->prev_bytes =
		    now - f->win_ms < 2 * WEB_FORM_WINDOW_MS ? f->win_bytes : 0;
		f->win_ms = now;
		f->win_bytes = 0;
	}
	f->win_bytes += len;
}

/* Bytes a second the body has come at lately. */
static uint64_t
web_form_rate(const struct web_form *f, int64_t now)
{
	if (now - f->win_ms >= 2 * WEB_FORM_WINDOW_MS)
		return 0;
	return (f->prev_bytes + f->win_bytes) * 1000 /
	       (uint64_t)(now - f->win_ms + WEB_FORM_WINDOW_MS);
}

/* Drops every screenshot f holds: its tip will get 503 and its form. */
static void
web_form_shed(struct web_form *f)
{
	size_t i;

	web_form_drop_data(f);
	for (i = 0; i < f->nfiles; i++) {
		sodium_memzero(f->files[i].p, f->files[i].len);
		free(f->files[i].p);
	}
	f->nfiles = 0;
	for (i = 0; i < f->nparts; i++)
		if (f->parts[i].is_file && f->parts[i].body.len > 0) {
			f->parts[i].body.p = (const uint8_t *)"";
			f->parts[i].body.len = 0;
			f->parts[i].truncated = true;
		}
	if (f->in_part && f->cur.is_file)
		f->cur.truncated = true;
	f->w->form_held -= f->held;
	f->held = 0;
	f->busy = true;
}

/* One client's share: an eighth of the memory, but at least one whole
 * tip's screenshots. */
static size_t
web_form_share(const struct web *w)
{
	size_t share = w->o_form_memory / WEB_FORM_CLIENT_SHARE,
	       tip = (size_t)w->o_form_files * (size_t)w->o_form_file_max;

	return share >= tip ? share : tip;
}

static void
web_form_release(struct web_form *f, size_t n)
{
	f->held -= n;
	f->w->form_held -= n;
}

/* Counts n more bytes against the daemon's and the client's budgets. */
static bool
web_form_reserve(struct web_form *f, size_t n)
{
	struct web *w = f->w;
	struct web_form *o;
	size_t mine = 0;

	struct web_form *slow = NULL;
	int64_t now = util_now_ms();

	if (w->form_held + n > w->o_form_memory) {
		/* Full: the upload coming slowest lately gives way, if it
		 * crawls, so that a few uploads kept alive at the least rate
		 * cannot keep the memory from everyone else. */
		TAILQ_FOREACH(o, &w->forms, entry)
			if (o != f && o->held > 0 &&
			    (slow == NULL || web_form_rate(o, now) <
			                         web_form_rate(slow, now)))
				slow = o;
		if (slow == NULL ||
		    web_form_rate(slow, now) >= w->o_form_crawl ||
		    web_form_rate(slow, now) >= web_form_rate(f, now))
			return false;
		web_form_shed(slow);
		if (w->form_held + n > w->o_form_memory)
			return false;
	}
	TAILQ_FOREACH(o, &w->forms, entry)
		if (o->wr->client == f->wr->client)
			mine += o->held;
	if (mine + n > web_form_share(w))
		return false;
	f->held += n;
	w->form_held += n;
	return true;
}

static void
web_form_drop_data(struct web_form *f)
{
	if (f->data != NULL) {
		if (f->cur.is_file) {
			sodium_memzero(f->data, f->len);
			web_form_release(f, f->cap);
		} else
			sodium_memzero(f->data, f->len);
		free(f->data);
	}
	f->data = NULL;
	f->len = f->cap = 0;
}

static int
web_form_begin_part(void *arg, const struct form_part *p)
{
	struct web_form *f = arg;
	struct arena *a = &f->wr->arena;
	size_t kept = 0, i;

	f->cur = *p;
	f->cur.name.p =
	    (const uint8_t *)arena_strndup(a, p->name.p, p->name.len);
	f->cur.filename.p = p->filename.p != NULL
	                        ? (const uint8_t *)arena_strndup(a,
	                              p->filename.p, p->filename.len)
	                        : NULL;
	f->cur.content_type.p = (const uint8_t *)arena_strndup(a,
	    p->content_type.p, p->content_type.len);
	if ((p->name.len > 0 && f->cur.name.p == NULL) ||
	    (p->filename.len > 0 && f->cur.filename.p == NULL) ||
	    (p->content_type.len > 0 && f->cur.content_type.p == NULL))
		return -1;
	f->cur.body.p = NULL;
	f->cur.body.len = 0;
	f->cur.truncated = false;
	f->in_part = true;
	f->len = f->cap = 0;
	f->data = NULL;
	for (i = 0; i < f->nparts; i++)
		if (f->parts[i].is_file && f->parts[i].body.len > 0)
			kept++;
	if (p->is_file)
		f->max = kept < (size_t)f->w->o_form_files
		             ? (size_t)f->w->o_form_file_max
		             : 0;
	else
		f->max = WEB_FORM_TEXT_MAX;
	return 0;
}

static int
web_form_data(void *arg, const uint8_t *p, size_t len)
{
	struct web_form *f = arg;
	size_t cap;
	uint8_t *n;

	if (f->cur.truncated)
		return 0;
	if (f->len + len > f->max || (f->busy && f->cur.is_file)) {
		/* Over its limit: the rest is dropped, the handler is told. */
		web_form_drop_data(f);
		f->cur.truncated = true;
		return 0;
	}
	if (f->len + len > f->cap) {
		cap = f->cap ? f->cap : 16384;
		while (cap < f->len + len)
			cap *= 2;
		if (cap > f->max)
			cap = f->max;
		if (f->cur.is_file && !web_form_reserve(f, cap - f->cap)) {
			web_form_drop_data(f);
			f->busy = true;
			f->cur.truncated = true;
			return 0;
		}
		if ((n = malloc(cap)) == NULL) {
			if (f->cur.is_file)
				web_form_release(f, cap - f->cap);
			return -1;
		}
		if (f->len > 0)
			memcpy(n, f->data, f->len);
		if (f->data != NULL) {
			sodium_memzero(f->data, f->len);
			free(f->data);
		}
		f->data = n;
		f->cap = cap;
	}
	memcpy(f->data + f->len, p, len);
	f->len += len;
	return 0;
}

static int
web_form_end_part(void *arg)
{
	struct web_form *f = arg;
	struct arena *a = &f->wr->arena;
	struct form_part *np;
	struct web_form_file *nf;

	if (f->nparts == WEB_FORM_MAX_PARTS)
		return -1;
	if (f->nparts % 16 == 0) {
		np = arena_alloc(a, (f->nparts + 16) * sizeof(*np));
		if (np == NULL)
			return -1;
		if (f->nparts > 0)
			memcpy(np, f->parts, f->nparts * sizeof(*np));
		f->parts = np;
	}
	if (f->cur.is_file && f->data != NULL) {
		nf = realloc(f->files, (f->nfiles + 1) * sizeof(*nf));
		if (nf == NULL)
			return -1;
		f->files = nf;
		f->files[f->nfiles].p = f->data;
		f->files[f->nfiles++].len = f->len;
		f->cur.body.p = f->data;
		f->cur.body.len = f->len;
	} else if (f->data != NULL) {
		f->cur.body.p =
		    (const uint8_t *)arena_strndup(a, f->data, f->len);
		f->cur.body.len = f->len;
		sodium_memzero(f->data, f->len);
		free(f->data);
		if (f->cur.body.p == NULL)
			return -1;
	} else
		f->cur.body.p = (const uint8_t *)"";
	f->data = NULL;
	f->len = f->cap = 0;
	f->parts[f->nparts++] = f->cur;
	f->in_part = false;
	return 0;
}

static void
web_form_free(void *arg)
{
	struct web_form *f = arg;
	size_t i;

	web_form_drop_data(f);
	for (i = 0; i < f->nfiles; i++) {
		sodium_memzero(f->files[i].p, f->files[i].len);
		free(f->files[i].p);
	}
	free(f->files);
	f->w->form_held -= f->held;
	TAILQ_REMOVE(&f->w->forms, f, entry);
	free(f);
}

static int
web_form_body(struct http_req *req, const uint8_t *p, size_t len)
{
	struct web_req *wr = req->data;
	struct web_form *f = wr->form;
	const char *err;

	f->total += len;
	web_form_count(f, len, util_now_ms());
	if (f->total > (uint64_t)f->w->o_form_body_max) {
		f->stopped = true;
		f->err = "body too large";
		return -1;
	}
	if (form_stream_feed(&f->fs, p, len, &err) == -1) {
		f->err = err;
		return -1;
	}
	return 0;
}

void
web_form_begin(struct web_req *wr)
{
	static const struct form_limits lim = { WEB_FORM_MAX_PARTS, 4096 };
	struct web *w = wr->w;
	struct form_stream_cb cb = { web_form_begin_part, web_form_data,
		web_form_end_part, NULL };
	const char *ctype = web_in_header(wr, "Content-Type"), *err;
	struct span boundary;
	struct web_form *f;

	if (ctype == NULL ||
	    strncasecmp(ctype, "multipart/form-data", 19) != 0 ||
	    form_boundary(ctype, &boundary, &err) == -1)
		return; /* buffered, and the handler says what is wrong */
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return;
	f->w = w;
	f->wr = wr;
	f->win_ms = util_now_ms();
	cb.arg = f;
	if (form_stream_init(&f->fs, boundary, &lim, &wr->arena, &cb, &err) ==
	    -1) {
		free(f);
		return;
	}
	f->result = PARSE_PARTIAL;
	TAILQ_INSERT_TAIL(&w->forms, f, entry);
	wr->form = f;
	http_req_stream(wr->req, web_form_body);
}

int
web_form_result(struct web_req *wr, struct form *out, const char **errstr)
{
	struct web_form *f = wr->form;
	const char *err = NULL;
	ssize_t n;

	out->parts = NULL;
	out->nparts = 0;
	if (f == NULL) {
		*errstr = "not streamed";
		return -1;
	}
	if (f->stopped) {
		/* Too much in all: what was read so far, the file being read
		 * marked as over its limit. */
		if (f->in_part && f->cur.is_file) {
			web_form_drop_data(f);
			f->cur.truncated = true;
			if (web_form_end_part(f) == -1) {
				*errstr = "out of memory";
				return -1;
			}
		}
		out->parts = f->parts;
		out->nparts = f->nparts;
		return 0;
	}
	if (f->err != NULL) {
		*errstr = f->err;
		return -1;
	}
	if ((n = form_stream_feed(&f->fs, NULL, 0, &err)) < 0) {
		*errstr = n == PARSE_PARTIAL ? "body ends early" : err;
		return -1;
	}
	out->parts = f->parts;
	out->nparts = f->nparts;
	return 0;
}

bool
web_form_busy(const struct web_req *wr)
{
	return wr->form != NULL && wr->form->busy;
}

void
web_form_done(struct web_req *wr)
{
	if (wr->form != NULL)
		web_form_free(wr->form);
	wr->form = NULL;
}
