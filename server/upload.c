/*
 * POST /tip.  The body is parsed (lib/form.c), every field is checked,
 * each screenshot is sanitised and sealed on the thread pool (lib/img.c,
 * lib/seal.c), and one call of tip_submit() stores the tip, its
 * attachments and its ingest job.  The receipt page is sent only after
 * that statement has committed; on any failure the tipster gets the form
 * back, filled in, with a message next to each field that needs fixing.
 * Only when the statement's outcome is unknown (the connection broke
 * while it ran) is the code shown all the same, saying that the tip may
 * not have been stored and how to find out.
 *
 * Screenshots that passed are kept in memory (never on disk) under a
 * random token for STASH_TTL_MS, so that a tipster whose form came back
 * does not have to attach them again.
 *
 * Nothing here looks at the peer's address or headers beyond Content-Type,
 * and no field value or file name reaches a log.
 */
#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <sodium.h>

#include "arena.h"
#include "db_stmt.h"
#include "form.h"
#include "intake.h"
#include "log.h"
#include "mail.h"
#include "receipt.h"
#include "seal.h"
#include "text.h"
#include "upload.h"
#include "url.h"
#include "vocab.h"

#define UPLOAD_ARENA_BYTES (4 << 20)
#define UPLOAD_MAX_URL     2048
#define UPLOAD_MAX_PLACE   500
#define UPLOAD_MAX_EMAIL   254
#define UPLOAD_RETRY_AFTER "30"

/* One tip_submit() parameter per screenshot, the last ones. */
_Static_assert(TIP_SUBMIT_NPARAMS - TIP_SUBMIT_P_IMG1 == CFG_MAX_FILES_PER_TIP,
    "tip_submit() takes CFG_MAX_FILES_PER_TIP images, last");

enum upload_state {
	UPLOAD_S_SANITISE, /* screenshots on the thread pool */
	UPLOAD_S_STORE,    /* tip_submit() in flight */
	UPLOAD_S_DONE,     /* answered */
};

enum upload_field {
	UF_DESCRIPTION,
	UF_CHANNEL,
	UF_PLATFORM,
	UF_URL,
	UF_MUNICIPALITY,
	UF_PLACE,
	UF_DATE,
	UF_MOTIVE,
	UF_SCREENSHOT,
	UF_FEEDBACK,
	UF_EMAIL,
	UF_COUNT
};

static const char *const upload_field_names[UF_COUNT] = { "description",
	"channel", "platform", "url", "municipality", "place", "date", "motive",
	"screenshot", "feedback", "email" };

struct upload {
	struct intake *in;
	struct web_req *wr; /* answered (and freed) by the upload_answer_*s */
	uint64_t id;
	enum upload_state state;
	enum lang lang;
	struct arena arena;
	struct form form;
	const char *val[UF_COUNT]; /* NUL-terminated, in the arena */
	unsigned motives;          /* bit i: vocab_motives[i] */
	const char *err[UF_COUNT]; /* message ids */
	struct upload_files shots;
	bool failed_work;
	unsigned long long retry_s; /* refused by a rate limit: the wait */
	struct db_query *q;
	char receipt[RECEIPT_SHOWN_LEN + 1]; /* shown after COMMIT */
};

struct stash_entry {
	TAILQ_ENTRY(stash_entry) entry;
	char token[33];
	uint64_t expires;
	size_t bytes;
	size_t n;
	struct img_clean clean[CFG_MAX_FILES_PER_TIP];
	char name[CFG_MAX_FILES_PER_TIP][UPLOAD_NAME_BYTES];
};

#define UPLOAD_PGARRAY_BYTES 4096

static void upload_answer_form(struct upload *, int status, const char *notice);

/* ---- the stash of accepted screenshots ---- */

static void
stash_entry_free(struct intake *in, struct stash_entry *se)
{
	size_t i;

	TAILQ_REMOVE(&in->stash, se, entry);
	in->stash_bytes -= se->bytes;
	for (i = 0; i < se->n; i++)
		img_clean_free(&se->clean[i]);
	sodium_memzero(se, sizeof(*se));
	free(se);
}

void
stash_expire(struct intake *in)
{
	struct stash_entry *se, *tmp;
	uint64_t now = util_now_ms();

	TAILQ_FOREACH_SAFE(se, &in->stash, entry, tmp) {
		if (se->expires <= now)
			stash_entry_free(in, se);
	}
}

void
stash_free_all(struct intake *in)
{
	struct stash_entry *se;

	while ((se = TAILQ_FIRST(&in->stash)) != NULL)
		stash_entry_free(in, se);
}

/* Moves the accepted screenshots of up into a new stash entry; returns its
 * token or NULL (nothing to keep, or no room). */
static const char *
stash_put(struct upload_files *up)
{
	struct intake *in = up->in;
	struct stash_entry *se;
	uint8_t rnd[16];
	size_t i, bytes = 0;

	for (i = 0; i < up->nfiles; i++)
		if (up->files[i].clean.data != NULL)
			bytes += up->files[i].clean.len;
	if (bytes == 0)
		return NULL;
	stash_expire(in);
	/* Oldest entries make room; one tip never takes more than a fifth. */
	if (bytes > STASH_MAX_BYTES / 5)
		return NULL;
	while (in->stash_bytes + bytes > STASH_MAX_BYTES &&
	       !TAILQ_EMPTY(&in->stash))
		stash_entry_free(in, TAILQ_FIRST(&in->stash));
	if ((se = calloc(1, sizeof(*se))) == NULL)
		return NULL;
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(se->token, sizeof(se->token), rnd, sizeof(rnd));
	se->expires = util_now_ms() + STASH_TTL_MS;
	for (i = 0; i < up->nfiles; i++) {
		if (up->files[i].clean.data == NULL)
			continue;
		se->clean[se->n] = up->files[i].clean;
		memset(&up->files[i].clean, 0, sizeof(up->files[i].clean));
		memcpy(se->name[se->n], up->files[i].name, UPLOAD_NAME_BYTES);
		se->n++;
	}
	se->bytes = bytes;
	in->stash_bytes += bytes;
	TAILQ_INSERT_TAIL(&in->stash, se, entry);
	return se->token;
}

/* Takes the stash entry named by token, if it still exists. */
static struct stash_entry *
stash_take(struct intake *in, const char *token)
{
	struct stash_entry *se;

	if (token == NULL || strlen(token) != 32)
		return NULL;
	stash_expire(in);
	TAILQ_FOREACH(se, &in->stash, entry) {
		if (sodium_memcmp(se->token, token, 32) == 0) {
			TAILQ_REMOVE(&in->stash, se, entry);
			in->stash_bytes -= se->bytes;
			return se;
		}
	}
	return NULL;
}

/* ---- lifetime ---- */

static void
upload_free(struct upload *up)
{
	upload_files_free(&up->shots);
	arena_reset(&up->arena);
	up->in->uploads--;
	sodium_memzero(up, sizeof(*up));
	free(up);
}

/* ---- answers ---- */

static json_t *
upload_values(struct upload *up)
{
	const char *ch = up->val[UF_CHANNEL], *fb = up->val[UF_FEEDBACK];
	json_t *v = json_object();
	int i;

	for (i = 0; i < UF_COUNT; i++)
		if (up->val[i] != NULL && up->val[i][0] != '\0')
			json_object_set_new(v, upload_field_names[i],
			    json_string(up->val[i]));
	if (ch != NULL) {
		json_object_set_new(v, "online",
		    json_boolean(strcmp(ch, "online") == 0));
		json_object_set_new(v, "place_only",
		    json_boolean(strcmp(ch, "place") == 0));
		json_object_set_new(v, "both",
		    json_boolean(strcmp(ch, "both") == 0));
	}
	if (fb == NULL || fb[0] == '\0')
		fb = "receipt";
	json_object_set_new(v, "fb_none",
	    json_boolean(strcmp(fb, "none") == 0));
	json_object_set_new(v, "fb_receipt",
	    json_boolean(strcmp(fb, "receipt") == 0));
	json_object_set_new(v, "fb_email",
	    json_boolean(strcmp(fb, "email") == 0));
	return v;
}

/* Marks the chosen options in the form context's lists. */
static void
upload_mark_choices(struct upload *up, json_t *ctx)
{
	json_t *item;
	size_t i;

	json_array_foreach(json_object_get(ctx, "platforms"), i, item)
	{
		const char *val =
		    json_string_value(json_object_get(item, "value"));

		if (up->val[UF_PLATFORM] != NULL && val != NULL &&
		    strcmp(val, up->val[UF_PLATFORM]) == 0)
			json_object_set_new(item, "selected", json_true());
	}
	json_array_foreach(json_object_get(ctx, "motives"), i, item)
	{
		if (i < ARRAY_SIZE(vocab_motives) && (up->motives & (1u << i)))
			json_object_set_new(item, "checked", json_true());
	}
	json_array_foreach(json_object_get(ctx, "municipalities"), i, item)
	{
		const char *c = json_string_value(json_object_get(item, "c"));

		if (up->val[UF_MUNICIPALITY] != NULL && c != NULL &&
		    strcmp(c, up->val[UF_MUNICIPALITY]) == 0)
			json_object_set_new(item, "s", json_true());
	}
}

static void
upload_answer_form(struct upload *up, int status, const char *notice)
{
	struct intake *in = up->in;
	json_t *ctx, *errs, *e;
	char today[11];
	int f;

	intake_today(today);
	ctx = intake_form_ctx(in, up->lang, today);
	json_object_set_new(ctx, "v", upload_values(up));
	upload_mark_choices(up, ctx);
	if (notice != NULL && status == 429)
		json_object_set_new(ctx, "notice",
		    intake_wait_text(up->lang, notice, up->retry_s));
	else if (notice != NULL)
		json_object_set_new(ctx, "notice",
		    json_string(i18n_get(up->lang, notice)));
	errs = json_array();
	e = json_object();
	for (f = 0; f < UF_COUNT; f++) {
		if (up->err[f] == NULL)
			continue;
		json_object_set_new(e, upload_field_names[f],
		    json_string(i18n_get(up->lang, up->err[f])));
		json_array_append_new(errs,
		    json_pack("{s:s, s:s}", "field",
		        f == UF_CHANNEL    ? "channel-online"
		        : f == UF_MOTIVE   ? "motive-ethnic"
		        : f == UF_FEEDBACK ? "feedback-none"
		                           : upload_field_names[f],
		        "msg", i18n_get(up->lang, up->err[f])));
	}
	upload_files_page(&up->shots, up->lang, ctx, errs);
	json_object_set_new(ctx, "has_errors",
	    json_boolean(json_array_size(errs) > 0));
	json_object_set_new(ctx, "errors", errs);
	json_object_set_new(ctx, "e", e);

	if (status == 503)
		web_header(up->wr, "Retry-After", UPLOAD_RETRY_AFTER);
	up->wr->lang = up->lang;
	page_reply(&in->pages, up->wr, status, "form", ctx);
	up->wr = NULL;
	up->state = UPLOAD_S_DONE;
}

/*
 * The receipt page.  Unconfirmed: the statement may or may not have
 * committed, so the code is shown with the advice to look it up before
 * sending again, and what the tipster typed is shown read-only for that.
 * (The form itself is not: sent at once, it would make a second copy
 * whenever the first was stored.)
 */
static void
upload_reply_receipt(struct upload *up, const char *code, bool unconfirmed)
{
	json_t *ctx, *wrote;

	ctx = page_ctx(&up->in->pages, up->lang,
	    i18n_get(up->lang,
	        unconfirmed ? "receipt.unconfirmed.title" : "receipt.title"));
	json_object_set_new(ctx, "code", json_string(code));
	if (unconfirmed) {
		wrote = json_pack("{s:s, s:s, s:s}", "description",
		    up->val[UF_DESCRIPTION], "url", up->val[UF_URL], "place",
		    up->val[UF_PLACE]);
		json_object_set_new(ctx, "unconfirmed", json_true());
		json_object_set_new(ctx, "wrote", wrote);
	}
	up->wr->lang = up->lang;
	/* 202: taken in, its outcome not known. */
	page_reply(&up->in->pages, up->wr, unconfirmed ? 202 : 200, "receipt",
	    ctx);
	up->wr = NULL;
	up->state = UPLOAD_S_DONE;
}

static void
upload_answer_receipt(struct upload *up, const char *code)
{
	upload_reply_receipt(up, code, false);
}

static void
upload_answer_unconfirmed(struct upload *up, const char *code)
{
	upload_reply_receipt(up, code, true);
}

/* ---- reading and checking the fields ---- */

/* The first value of a text field as an arena string; "" if absent; NULL
 * out of memory.  Text that is not valid UTF-8 (or has controls) comes
 * back repaired (text_repair()), with an error on the field. */
const char *
upload_form_text(const struct form *form, const char *name, struct arena *a,
    size_t *nchars, const char **err)
{
	const struct form_part *p = form_get(form, name);
	size_t i, o;
	char *s;

	*nchars = 0;
	if (p == NULL || p->is_file)
		return "";
	if (text_valid((const char *)p->body.p, p->body.len, nchars)) {
		if ((s = arena_strndup(a, p->body.p, p->body.len)) == NULL)
			return NULL;
	} else {
		/* What can be read comes back, the rest marked, and the field
		 * says so. */
		if ((s = arena_alloc(a, 3 * p->body.len + 1)) == NULL)
			return NULL;
		text_repair((const char *)p->body.p, p->body.len, s, nchars);
		*err = "err.text.invalid";
	}
	/* Browsers send a textarea's line breaks as CRLF but count each as
	 * one character against maxlength: store and count them as LF. */
	for (i = o = 0; s[i] != '\0'; i++) {
		if (s[i] == '\r' && s[i + 1] == '\n') {
			(*nchars)--;
			continue;
		}
		s[o++] = s[i];
	}
	s[o] = '\0';
	return s;
}

static const char *
upload_text(struct upload *up, enum upload_field f, size_t max_chars,
    const char *too_long)
{
	const char *s;
	size_t nchars;

	s = upload_form_text(&up->form, upload_field_names[f], &up->arena,
	    &nchars, &up->err[f]);
	if (s == NULL) {
		up->failed_work = true;
		return "";
	}
	if (nchars > max_chars)
		up->err[f] = too_long;
	return s;
}

static bool
upload_one_of(const char *v, const char *const *set, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v, set[i]) == 0)
			return true;
	return false;
}

/* A trimmed copy without leading and trailing spaces. */
static const char *
upload_trim(struct upload *up, const char *s)
{
	size_t len;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
	                      s[len - 1] == '\r' || s[len - 1] == '\n'))
		len--;
	return arena_strndup(&up->arena, s, len);
}

static bool
upload_valid_date(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };
	int y, m, d, i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	if (m == 2 && d == 29 &&
	    !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return false;
	return true;
}

/* The same rule the worker sends by (mail_addr_ok()), so that an address
 * it would not send to is refused here, where the tipster can fix it. */
static bool
upload_valid_email(const char *s)
{
	return strlen(s) <= UPLOAD_MAX_EMAIL && mail_addr_ok(s);
}

static void
upload_check_fields(struct upload *up)
{
	struct intake *in = up->in;
	const struct form_part *p;
	const char *v, *errstr;
	char canon[UPLOAD_MAX_URL * 2], today[11];
	size_t i, k;

	up->val[UF_DESCRIPTION] = upload_text(up, UF_DESCRIPTION,
	    (size_t)in->cfg->max_description_chars, "err.description.long");
	v = upload_trim(up, up->val[UF_DESCRIPTION]);
	if (v == NULL || v[0] == '\0') {
		if (up->err[UF_DESCRIPTION] == NULL)
			up->err[UF_DESCRIPTION] = "err.description.missing";
	}

	up->val[UF_CHANNEL] = upload_text(up, UF_CHANNEL, 16, NULL);
	if (!upload_one_of(up->val[UF_CHANNEL],
	        (const char *const[]){ "online", "place", "both" }, 3))
		up->err[UF_CHANNEL] = "err.channel.missing";

	up->val[UF_PLATFORM] = upload_text(up, UF_PLATFORM, 16, NULL);
	if (up->val[UF_PLATFORM][0] != '\0' &&
	    !upload_one_of(up->val[UF_PLATFORM], vocab_platforms,
	        ARRAY_SIZE(vocab_platforms)))
		up->err[UF_PLATFORM] = "err.platform.invalid";

	up->val[UF_URL] = upload_trim(up,
	    upload_text(up, UF_URL, UPLOAD_MAX_URL, "err.url.invalid"));
	if (up->val[UF_URL] != NULL && up->val[UF_URL][0] != '\0' &&
	    up->err[UF_URL] == NULL &&
	    url_canonical(up->val[UF_URL], strlen(up->val[UF_URL]), canon,
	        sizeof(canon), &errstr) < 0)
		up->err[UF_URL] = "err.url.invalid";

	up->val[UF_MUNICIPALITY] = upload_text(up, UF_MUNICIPALITY, 8, NULL);
	if (up->val[UF_MUNICIPALITY][0] != '\0') {
		if (intake_muni_find(in, up->val[UF_MUNICIPALITY]) == NULL)
			up->err[UF_MUNICIPALITY] = "err.municipality.invalid";
	} else if (up->err[UF_CHANNEL] == NULL &&
	           strcmp(up->val[UF_CHANNEL], "online") != 0)
		up->err[UF_MUNICIPALITY] = "err.municipality.missing";

	up->val[UF_PLACE] = upload_trim(up,
	    upload_text(up, UF_PLACE, UPLOAD_MAX_PLACE, "err.place.long"));

	up->val[UF_DATE] = upload_trim(up, upload_text(up, UF_DATE, 16, NULL));
	if (up->val[UF_DATE] != NULL && up->val[UF_DATE][0] != '\0') {
		intake_today(today);
		if (!upload_valid_date(up->val[UF_DATE]))
			up->err[UF_DATE] = "err.date.invalid";
		else if (strcmp(up->val[UF_DATE], today) > 0)
			up->err[UF_DATE] = "err.date.future";
	}

	for (i = 0; i < up->form.nparts; i++) {
		p = &up->form.parts[i];
		if (p->name.len != 6 || memcmp(p->name.p, "motive", 6) != 0)
			continue;
		for (k = 0; k < ARRAY_SIZE(vocab_motives); k++)
			if (p->body.len == strlen(vocab_motives[k]) &&
			    memcmp(p->body.p, vocab_motives[k], p->body.len) ==
			        0)
				break;
		if (k == ARRAY_SIZE(vocab_motives))
			up->err[UF_MOTIVE] = "err.motive.invalid";
		else
			up->motives |= 1u << k;
	}

	up->val[UF_FEEDBACK] = upload_text(up, UF_FEEDBACK, 16, NULL);
	if (up->val[UF_FEEDBACK][0] == '\0')
		up->val[UF_FEEDBACK] = "receipt";
	if (!upload_one_of(up->val[UF_FEEDBACK],
	        (const char *const[]){ "none", "receipt", "email" }, 3))
		up->err[UF_FEEDBACK] = "err.feedback.invalid";

	up->val[UF_EMAIL] = upload_trim(up,
	    upload_text(up, UF_EMAIL, UPLOAD_MAX_EMAIL, "err.email.invalid"));
	if (up->val[UF_EMAIL] == NULL)
		up->val[UF_EMAIL] = "";
	if (strcmp(up->val[UF_FEEDBACK], "email") == 0) {
		if (up->val[UF_EMAIL][0] == '\0')
			up->err[UF_EMAIL] = "err.email.missing";
		else if (!upload_valid_email(up->val[UF_EMAIL]))
			up->err[UF_EMAIL] = "err.email.invalid";
	}
	for (i = 0; i < UF_COUNT; i++)
		if (up->val[i] == NULL)
			up->val[i] = "";
}

/* The file name as the tipster's browser sent it, for the page only:
 * printable characters, valid UTF-8, at most UPLOAD_NAME_BYTES - 1. */
static void
upload_display_name(char out[UPLOAD_NAME_BYTES], struct span fn)
{
	size_t o = 0, j, nchars;

	for (j = 0; j < fn.len && o < UPLOAD_NAME_BYTES - 1; j++)
		if (fn.p[j] >= 0x20 && fn.p[j] != 0x7f && fn.p[j] != '/' &&
		    fn.p[j] != '\\')
			out[o++] = (char)fn.p[j];
	out[o] = '\0';
	/* A name cut inside a character loses the broken tail. */
	while (o > 0 && !text_valid(out, o, &nchars))
		out[--o] = '\0';
}

void
upload_files_collect(struct upload_files *up, const struct form *form,
    struct arena *a, size_t limit)
{
	struct intake *in = up->in;
	const struct form_part *p, *kp;
	struct stash_entry *se;
	size_t i, k, nfiles = 0;
	char idx[24];
	bool keep;

	/* At most CFG_MAX_FILES_PER_TIP: cfg.c refuses more. */
	if (limit > CFG_MAX_FILES_PER_TIP)
		limit = CFG_MAX_FILES_PER_TIP;
	kp = form_get(form, "kept");
	se = kp != NULL && kp->body.len == 32
	         ? stash_take(in, arena_strndup(a, kp->body.p, 32))
	         : NULL;
	for (i = 0; se != NULL && i < se->n; i++) {
		snprintf(idx, sizeof(idx), "%zu", i + 1);
		keep = false;
		for (k = 0; k < form->nparts; k++) {
			p = &form->parts[k];
			if (p->name.len == 4 &&
			    memcmp(p->name.p, "keep", 4) == 0 &&
			    p->body.len == strlen(idx) &&
			    memcmp(p->body.p, idx, p->body.len) == 0)
				keep = true;
		}
		if (keep && nfiles < limit) {
			up->files[nfiles].kept = true;
			up->files[nfiles].clean = se->clean[i];
			memset(&se->clean[i], 0, sizeof(se->clean[i]));
			memcpy(up->files[nfiles].name, se->name[i],
			    UPLOAD_NAME_BYTES);
			nfiles++;
		}
	}
	if (se != NULL) {
		/* Not in the list any more: free what was not kept. */
		for (i = 0; i < se->n; i++)
			img_clean_free(&se->clean[i]);
		sodium_memzero(se, sizeof(*se));
		free(se);
	}
	for (i = 0; i < form->nparts; i++) {
		p = &form->parts[i];
		if (!p->is_file || p->name.len != 10 ||
		    memcmp(p->name.p, "screenshot", 10) != 0)
			continue;
		/* Browsers send an empty part when no file was chosen. */
		if (p->body.len == 0 && !p->truncated)
			continue;
		if (nfiles >= limit) {
			up->err = "err.screenshot.too_many";
			continue;
		}
		up->files[nfiles].data = p->body;
		upload_display_name(up->files[nfiles].name, p->filename);
		if (p->truncated ||
		    p->body.len > (size_t)in->cfg->max_file_bytes) {
			up->files[nfiles].err = IMG_E_TOO_BIG;
			up->too_big = true;
		}
		nfiles++;
	}
	up->nfiles = nfiles;
}

void
upload_files_page(struct upload_files *up, enum lang lang, json_t *ctx,
    json_t *errs)
{
	json_t *ferrs, *files;
	const char *token;
	char id[64];
	size_t i;

	ferrs = json_array();
	for (i = 0; i < up->nfiles; i++) {
		if (up->files[i].err == IMG_OK)
			continue;
		snprintf(id, sizeof(id), "err.screenshot.%s",
		    img_err_name(up->files[i].err));
		if (i18n_get(lang, id) == NULL)
			snprintf(id, sizeof(id), "err.screenshot.corrupt");
		json_array_append_new(ferrs,
		    json_pack("{s:I, s:s, s:s}", "n", (json_int_t)i + 1, "name",
		        up->files[i].name, "msg", i18n_get(lang, id)));
		if (errs != NULL)
			json_array_append_new(errs,
			    json_pack("{s:s, s:s}", "field", "screenshot",
			        "msg", i18n_get(lang, id)));
	}
	json_object_set_new(ctx, "file_errors", ferrs);

	/* Keep what passed for the next try. */
	files = json_array();
	for (i = 0; i < up->nfiles; i++)
		if (up->files[i].clean.data != NULL)
			json_array_append_new(files,
			    json_pack("{s:I, s:s, s:I}", "n",
			        (json_int_t)json_array_size(files) + 1, "name",
			        up->files[i].name, "kib",
			        (json_int_t)(up->files[i].clean.len + 1023) /
			            1024));
	if ((token = stash_put(up)) != NULL)
		json_object_set_new(ctx, "kept",
		    json_pack("{s:s, s:o}", "token", token, "files", files));
	else
		json_decref(files);
}

void
upload_files_free(struct upload_files *up)
{
	size_t i;

	for (i = 0; i < up->nfiles; i++) {
		img_clean_free(&up->files[i].clean);
		if (up->files[i].sealed != NULL)
			util_free_secret(up->files[i].sealed,
			    up->files[i].sealed_len);
	}
	up->nfiles = 0;
}

/* ---- storing ---- */

static void upload_on_stored(void *, PGresult *);

/* Appends a PostgreSQL array literal element. */
static void
upload_array_add(struct buf *b, const char *elem)
{
	buf_puts(b, b->len > 1 ? "," : "");
	buf_puts(b, elem);
}

void
upload_files_arrays(const struct upload_files *up, struct upload_arrays *arr)
{
	struct buf *all[5] = { &arr->mimes, &arr->widths, &arr->heights,
		&arr->shas, &arr->phashes };
	char hex[65], elem[80];
	size_t i;
	int k;

	for (k = 0; k < 5; k++) {
		buf_init(all[k], 0);
		buf_puts(all[k], "{");
	}
	for (i = 0; i < up->nfiles; i++) {
		const struct img_clean *c = &up->files[i].clean;

		upload_array_add(&arr->mimes, img_type_mime(c->type));
		snprintf(elem, sizeof(elem), "%u", c->width);
		upload_array_add(&arr->widths, elem);
		snprintf(elem, sizeof(elem), "%u", c->height);
		upload_array_add(&arr->heights, elem);
		sodium_bin2hex(hex, sizeof(hex), c->sha256, 32);
		snprintf(elem, sizeof(elem), "\"\\\\x%s\"", hex);
		upload_array_add(&arr->shas, elem);
		snprintf(elem, sizeof(elem), "%lld",
		    (long long)(int64_t)c->phash);
		upload_array_add(&arr->phashes, elem);
	}
	arr->err = false;
	for (k = 0; k < 5; k++) {
		buf_puts(all[k], "}");
		arr->err |= all[k]->err;
	}
}

void
upload_arrays_reset(struct upload_arrays *arr)
{
	buf_reset(&arr->mimes);
	buf_reset(&arr->widths);
	buf_reset(&arr->heights);
	buf_reset(&arr->shas);
	buf_reset(&arr->phashes);
}

static void
upload_store(struct upload *up)
{
	struct intake *in = up->in;
	/* The sealed texts, in the order of texts[] below. */
	static const enum tip_submit_param sealed_param[4] = {
		TIP_SUBMIT_P_DESCRIPTION, TIP_SUBMIT_P_URL, TIP_SUBMIT_P_PLACE,
		TIP_SUBMIT_P_EMAIL
	};
	const char *values[TIP_SUBMIT_NPARAMS] = { NULL };
	int lengths[TIP_SUBMIT_NPARAMS] = { 0 };
	int formats[TIP_SUBMIT_NPARAMS] = { 0 };
	uint8_t rhash[RECEIPT_HASH_LEN], reply_pk[RECEIPT_REPLY_PK_LEN];
	uint8_t reply_sk[RECEIPT_REPLY_SK_LEN];
	uint8_t *sealed[4] = { NULL, NULL, NULL, NULL };
	size_t slen[4] = { 0, 0, 0, 0 };
	char code[RECEIPT_SHOWN_LEN + 1], digits[RECEIPT_DIGITS + 1];
	char truncate[24];
	struct upload_arrays arr;
	struct buf motives;
	enum receipt_err rerr;
	const char *texts[4];
	size_t i;
	int k;

	up->state = UPLOAD_S_STORE;
	receipt_new(code);
	if (receipt_parse(code, strlen(code), digits, &rerr) == -1)
		fatalx("%s: fresh receipt does not parse (%d)", __func__, rerr);
	receipt_hash(in->pepper, digits, rhash);
	receipt_reply_keys(in->pepper, digits, reply_pk, reply_sk);
	sodium_memzero(reply_sk, sizeof(reply_sk));
	/* Keep the shown code with the request until COMMIT. */
	memcpy(up->receipt, code, sizeof(code));
	sodium_memzero(digits, sizeof(digits));

	texts[0] = up->val[UF_DESCRIPTION];
	texts[1] = up->val[UF_URL];
	texts[2] = up->val[UF_PLACE];
	texts[3] =
	    strcmp(up->val[UF_FEEDBACK], "email") == 0 ? up->val[UF_EMAIL] : "";
	for (k = 0; k < 4; k++) {
		if (texts[k][0] == '\0' && k > 0)
			continue;
		slen[k] = strlen(texts[k]) + SEAL_OVERHEAD;
		if ((sealed[k] = seal_box(in->public_key, texts[k],
		         strlen(texts[k]))) == NULL)
			goto fail;
	}

	buf_init(&motives, 0);
	buf_puts(&motives, "{");
	for (i = 0; i < ARRAY_SIZE(vocab_motives); i++)
		if (up->motives & (1u << i))
			upload_array_add(&motives, vocab_motives[i]);
	buf_puts(&motives, "}");
	upload_files_arrays(&up->shots, &arr);
	snprintf(truncate, sizeof(truncate), "%lld",
	    in->cfg->arrival_truncate_ms / 1000);

	/* Text parameters stay NULL where not set; binary ones say so. */
#define BIN(i, p, n)                                                           \
	do {                                                                   \
		values[i] = (const char *)(p);                                 \
		lengths[i] = (int)(n);                                         \
		formats[i] = 1;                                                \
	} while (0)
	BIN(TIP_SUBMIT_P_RECEIPT_HASH, rhash, sizeof(rhash));
	values[TIP_SUBMIT_P_TRUNCATE_S] = truncate;
	values[TIP_SUBMIT_P_LANG] = i18n_code(up->lang);
	values[TIP_SUBMIT_P_CHANNEL] = up->val[UF_CHANNEL];
	if (up->val[UF_PLATFORM][0] != '\0')
		values[TIP_SUBMIT_P_PLATFORM] = up->val[UF_PLATFORM];
	if (up->val[UF_MUNICIPALITY][0] != '\0')
		values[TIP_SUBMIT_P_MUNICIPALITY] = up->val[UF_MUNICIPALITY];
	if (up->val[UF_DATE][0] != '\0')
		values[TIP_SUBMIT_P_EVENT_DATE] = up->val[UF_DATE];
	values[TIP_SUBMIT_P_MOTIVES] = buf_cstr(&motives);
	values[TIP_SUBMIT_P_FEEDBACK] = up->val[UF_FEEDBACK];
	BIN(TIP_SUBMIT_P_REPLY_PK, reply_pk, sizeof(reply_pk));
	for (k = 0; k < 4; k++)
		if (sealed[k] != NULL)
			BIN(sealed_param[k], sealed[k], slen[k]);
	values[TIP_SUBMIT_P_MIMES] = buf_cstr(&arr.mimes);
	values[TIP_SUBMIT_P_WIDTHS] = buf_cstr(&arr.widths);
	values[TIP_SUBMIT_P_HEIGHTS] = buf_cstr(&arr.heights);
	values[TIP_SUBMIT_P_SHA256S] = buf_cstr(&arr.shas);
	values[TIP_SUBMIT_P_PHASHES] = buf_cstr(&arr.phashes);
	for (i = 0; i < up->shots.nfiles; i++)
		BIN(TIP_SUBMIT_P_IMG1 + i, up->shots.files[i].sealed,
		    up->shots.files[i].sealed_len);
#undef BIN
	if (motives.err || arr.err)
		up->q = NULL;
	else
		up->q =
		    db_send(in->db, STMT_INTAKE_TIP_SUBMIT, TIP_SUBMIT_NPARAMS,
		        values, lengths, formats, upload_on_stored, up);
	buf_reset(&motives);
	upload_arrays_reset(&arr);
	for (k = 0; k < 4; k++)
		if (sealed[k] != NULL)
			util_free_secret(sealed[k], slen[k]);
	sodium_memzero(rhash, sizeof(rhash));
	if (up->q == NULL) {
		rlog_warnx(up, "database unavailable, tip not stored");
		upload_answer_form(up, 503, "err.db");
		upload_free(up);
	}
	return;
fail:
	for (k = 0; k < 4; k++)
		if (sealed[k] != NULL)
			util_free_secret(sealed[k], slen[k]);
	rlog_warnx(up, "sealing failed");
	upload_answer_form(up, 500, "err.db");
	upload_free(up);
}

static void
upload_on_stored(void *arg, PGresult *res)
{
	struct upload *up = arg;

	if (up->state != UPLOAD_S_STORE)
		fatalx("%s: upload in state %d", __func__, up->state);
	up->q = NULL;
	if (res == NULL && db_outcome_unknown(up->in->db)) {
		/* It may have committed: "nothing was stored" could be
		 * false, and a second copy would have no receipt. */
		rlog_warnx(up, "storing the tip: outcome unknown");
		upload_answer_unconfirmed(up, up->receipt);
		sodium_memzero(up->receipt, sizeof(up->receipt));
		upload_free(up);
		return;
	}
	/* An error result (the server's statement_timeout or a cancel among
	 * them) means that nothing was committed. */
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		rlog_warnx(up, "storing the tip failed, sqlstate %s",
		    db_sqlstate(res));
		upload_answer_form(up, 503, "err.db");
		upload_free(up);
		return;
	}
	/* Debug only: a line per tip, at the second it is stored, would date
	 * it more precisely than its truncated arrival time. */
	rlog_debug(up, "stored tip: %zu files", up->shots.nfiles);
	upload_answer_receipt(up, up->receipt);
	sodium_memzero(up->receipt, sizeof(up->receipt));
	upload_free(up);
}

/* ---- screenshots on the thread pool ---- */

/* Runs on a pool thread: touches only its own upload_file. */
static void
upload_file_work(void *arg)
{
	struct upload_file *uf = arg;
	const struct cfg *cfg = uf->set->in->cfg;
	struct img_limits lim;

	if (!uf->kept) {
		lim.max_bytes = (size_t)cfg->max_file_bytes;
		/* No more than its header showed upload_files_budget(). */
		lim.max_pixels = uf->pixels;
		if (img_sanitise(uf->data.p, uf->data.len, &lim, &uf->clean,
		        &uf->err) == -1)
			return;
	}
	uf->sealed =
	    seal_box(uf->set->in->public_key, uf->clean.data, uf->clean.len);
	if (uf->sealed == NULL)
		uf->err = IMG_E_NOMEM;
	else
		uf->sealed_len = uf->clean.len + SEAL_OVERHEAD;
}

static void
upload_file_done(void *arg)
{
	struct upload_file *uf = arg;
	struct upload_files *set = uf->set;

	if (--set->pending == 0)
		set->done(set->arg);
}

/*
 * Before any file is decoded: each new file's header against the limits
 * (img_probe()), and the pixels of all, kept ones first, against
 * max_pixels_per_tip: a file that would take the sum past it is refused
 * (the tipster can add it in a follow-up), the others go on.  Headers
 * only, on the event loop: microseconds a file, 8 ms for a hostile
 * 10 MB JPEG of nothing but empty segments.
 */
static void
upload_files_budget(struct upload_files *up)
{
	const struct cfg *cfg = up->in->cfg;
	struct img_limits lim = { (size_t)cfg->max_file_bytes,
		(uint64_t)cfg->max_pixels };
	uint64_t total = 0, budget = (uint64_t)cfg->max_pixels_per_tip;
	struct upload_file *uf;
	struct img_info info;
	size_t i;

	for (i = 0; i < up->nfiles; i++) {
		uf = &up->files[i];
		if (uf->kept)
			uf->pixels =
			    (uint64_t)uf->clean.width * uf->clean.height;
		else if (uf->err != IMG_OK ||
		         img_probe(uf->data.p, uf->data.len, &lim, &info,
		             &uf->err) == -1)
			continue;
		else
			uf->pixels = (uint64_t)info.width * info.height;
		/* Kept files were decoded already: they count, and stay. */
		if (!uf->kept && total + uf->pixels > budget)
			uf->err = IMG_E_TIP_PIXELS;
		else
			total += uf->pixels;
	}
}

void
upload_files_start(struct upload_files *up, void (*done)(void *), void *arg)
{
	size_t i;

	upload_files_budget(up);
	up->done = done;
	up->arg = arg;
	up->pending = 1;
	for (i = 0; i < up->nfiles; i++) {
		if (up->files[i].err != IMG_OK)
			continue;
		up->files[i].set = up;
		if (tpool_submit(up->in->tpool, upload_file_work,
		        upload_file_done, &up->files[i]) == -1) {
			up->failed_work = true;
			break;
		}
		up->pending++;
	}
	if (--up->pending == 0)
		done(arg);
}

bool
upload_files_failed(const struct upload_files *up)
{
	size_t i;

	for (i = 0; i < up->nfiles; i++)
		if (up->files[i].err == IMG_E_NOMEM ||
		    up->files[i].err == IMG_E_INTERNAL)
			return true;
	return up->failed_work;
}

bool
upload_files_refused(const struct upload_files *up)
{
	size_t i;

	for (i = 0; i < up->nfiles; i++)
		if (up->files[i].err != IMG_OK)
			return true;
	return up->err != NULL;
}

static bool
upload_has_errors(const struct upload *up)
{
	size_t i;

	for (i = 0; i < UF_COUNT; i++)
		if (up->err[i] != NULL)
			return true;
	return upload_files_refused(&up->shots);
}

/* Every screenshot is done: answer with errors, or store. */
static void
upload_on_sanitised(void *arg)
{
	struct upload *up = arg;
	size_t i, nbytes = 0;

	if (up->state != UPLOAD_S_SANITISE)
		fatalx("%s: upload in state %d", __func__, up->state);
	if (upload_files_failed(&up->shots))
		up->failed_work = true;
	for (i = 0; i < up->shots.nfiles; i++)
		nbytes += up->shots.files[i].clean.len;
	if (up->failed_work) {
		rlog_warnx(up, "screenshot work failed");
		upload_answer_form(up, 503, "err.busy");
		upload_free(up);
		return;
	}
	if (upload_has_errors(up)) {
		/* Debug: the corrected form usually follows within a minute. */
		rlog_debug(up, "tip refused: form has errors");
		upload_answer_form(up, up->shots.too_big ? 413 : 422, NULL);
		upload_free(up);
		return;
	}
	rlog_debug(up, "sanitised %zu files, %zu bytes", up->shots.nfiles,
	    nbytes);
	upload_store(up);
}

/* ---- the entry point ---- */

int
upload_body_parse(struct web_req *wr, struct arena *a, struct form *form,
    const char **errstr)
{
	struct form_limits lim = { 256, 4096 };
	const char *ctype;
	struct span boundary;
	const uint8_t *data;
	size_t len;
	ssize_t n;

	if (wr->form != NULL)
		return web_form_result(wr, form, errstr);
	data = web_body(wr, &len);
	ctype = web_in_header(wr, "Content-Type");
	if (ctype == NULL || (len > 0 && data == NULL)) {
		*errstr = "no body or no content type";
		return -1;
	}
	if (strncasecmp(ctype, "multipart/form-data", 19) == 0) {
		if (form_boundary(ctype, &boundary, errstr) == -1)
			return -1;
		n = form_parse(data, len, boundary, &lim, a, form, errstr);
	} else if (strncasecmp(ctype, "application/x-www-form-urlencoded",
	               33) == 0)
		n = form_parse_urlencoded(data, len, &lim, a, form, errstr);
	else {
		*errstr = "unsupported content type";
		n = -1;
	}
	if (n == PARSE_PARTIAL)
		*errstr = "body ends early";
	return n < 0 ? -1 : 0;
}

static void
upload_bad_request(struct upload *up)
{
	upload_answer_form(up, 400, "err.bad_request");
	upload_free(up);
}

void
upload_start(struct web_req *wr)
{
	struct intake *in = wr->w->app;
	const char *errstr;
	const struct form_part *p;
	struct upload *up;
	enum lang lang;

	if ((up = calloc(1, sizeof(*up))) == NULL) {
		web_send_text(wr, 503, "busy");
		return;
	}
	up->in = in;
	up->wr = wr;
	up->id = wr->id;
	up->state = UPLOAD_S_SANITISE;
	up->lang = wr->lang;
	arena_init(&up->arena, UPLOAD_ARENA_BYTES);
	up->shots.in = in;
	in->uploads++;

	if (upload_body_parse(wr, &up->arena, &up->form, &errstr) == -1) {
		rlog_info(up, "bad request: %s", errstr);
		upload_bad_request(up);
		return;
	}
	if ((p = form_get(&up->form, "lang")) != NULL &&
	    i18n_from_code((const char *)p->body.p, p->body.len, &lang) == 0)
		up->lang = lang;
	if (web_form_busy(wr)) {
		/* The memory for uploads was taken: the text comes back. */
		rlog_info(up, "busy: no memory left for screenshots");
		upload_check_fields(up);
		upload_answer_form(up, 503, "err.busy");
		upload_free(up);
		return;
	}

	/* A bot filled the field people never see: look the same, keep
	 * nothing. */
	if ((p = form_get(&up->form, "website")) != NULL && p->body.len > 0) {
		char code[RECEIPT_SHOWN_LEN + 1];

		rlog_info(up, "honeypot filled, nothing stored");
		receipt_new(code);
		upload_answer_receipt(up, code);
		upload_free(up);
		return;
	}

	upload_check_fields(up);
	upload_files_collect(&up->shots, &up->form, &up->arena,
	    (size_t)in->cfg->files_per_tip);
	if (up->shots.err != NULL)
		up->err[UF_SCREENSHOT] = up->shots.err;
	if (up->failed_work) {
		upload_answer_form(up, 503, "err.busy");
		upload_free(up);
		return;
	}
	/* Every tip a client sends counts, also one sent back for a fix:
	 * the limit leaves room for that.  A proof of work from the form's
	 * script pays from a larger bucket. */
	p = form_get(&up->form, "pow");
	if (!intake_allow_tip(in, wr, p != NULL ? p->body.p : NULL,
	        p != NULL ? p->body.len : 0, &up->retry_s)) {
		char retry[24];

		rlog_info(up, "refused: too many tips");
		snprintf(retry, sizeof(retry), "%llu", up->retry_s);
		web_header(wr, "Retry-After", retry);
		upload_answer_form(up, 429, "err.too_many_tips");
		upload_free(up);
		return;
	}
	if (in->uploads > in->cfg->intake_max_uploads) {
		rlog_info(up, "busy: %d uploads in progress", in->uploads - 1);
		upload_answer_form(up, 503, "err.busy");
		upload_free(up);
		return;
	}
	/* Sanitise even when fields have errors, so that good screenshots
	 * are kept for the next try; skip files already refused. */
	upload_files_start(&up->shots, upload_on_sanitised, up);
}
