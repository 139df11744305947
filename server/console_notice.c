/*
 * The notice of illegal content to a platform (EU Digital Services Act,
 * Article 16), and what the platform answered.
 *
 * GET /case/N/notice?lang=fi|sv|en[&platform=P] is a page to print and
 * GET /case/N/notice.txt the same words as plain text.  Both hold the four
 * things Article 16(2) asks for, each under its own heading: (a) why the
 * content is illegal (the Criminal Code's sections from the officer's
 * offence titles, the grounds, the outcome), (b) where it is (each
 * distinct canonical link of the case's tips and each screenshot's
 * SHA-256, by platform), (c) who gives notice (the police unit of the
 * [notifier] config: a tip given anonymously is no notice by itself) and
 * (d) the statement of good faith; with the case number and the date.
 * Nothing a tipster wrote other than a link goes in, and nothing about
 * tipsters.  An officer or national reviewer of the case's department may
 * see it, as the case page; each view is in the audit log before it is
 * shown.
 *
 * The case page's "platform's answer" forms post to /case/N/platform
 * (console_case.c); the helpers below check their fields and lay out what
 * is known of each platform's notice (schema/0015_notice.sql).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <jansson.h>
#include <sodium.h>

#include "buf.h"
#include "console.h"
#include "db_stmt.h"
#include "log.h"
#include "seal.h"
#include "url.h"
#include "vocab.h"

/* The Criminal Code's sections of the officer's offence titles
 * (vocab_offences; their words are the messages notice.law.*). */
static const struct {
	const char *offence;
	const char *section; /* "chapter:section", "" for other */
} notice_sections[] = {
	{ "agitation", "11:10" },
	{ "defamation", "24:9" },
	{ "menace", "25:7" },
	{ "assault", "21:5" },
	{ "discrimination", "11:11" },
	{ "other", "" },
};

/* The notice's fixed words, by their names in the page (notice.a.grounds
 * is "a_grounds"). */
static const char *const notice_words[] = { "title", "basis", "case", "date",
	"service", "a", "a.offences", "a.no_offences", "a.grounds", "a.outcome",
	"a.open", "b", "b.links", "b.shots", "b.none", "b.no_service", "c",
	"c.name", "c.email", "c.police", "c.reply", "d", "d.statement" };

static const char *const notice_decisions[] = { "removed", "restricted",
	"refused" };

enum notice_part {
	NP_AUDIT,
	NP_CASE,
	NP_ITEMS,
	NP_COUNT
};

/* A link ('u': sealed, then opened and made canonical on the pool) or a
 * screenshot's hash ('s'), with its tip's platform. */
struct notice_item {
	char kind;
	char platform[16];
	char *value; /* malloc'd; NULL once dropped */
};

struct notice_req {
	long long id;
	enum lang lang;    /* of the notice, not of the console */
	bool text;         /* text/plain rather than a page */
	char platform[16]; /* only this platform's part; "" for all */
	int pending;
	bool failed;
	bool found;
	char outcome[32]; /* "" while the case is open */
	char grounds[160];
	char offences[160];
	char date[16];
	struct notice_item *items;
	size_t nitems;
	const struct console_keys *keys; /* read-only while we live */
};

static void
notice_req_free(void *p)
{
	struct notice_req *nr = p;
	size_t i;

	for (i = 0; i < nr->nitems; i++)
		free(nr->items[i].value);
	free(nr->items);
	free(nr);
}

static const char *
notice_word(enum lang lang, const char *prefix, const char *word)
{
	char id[96];
	const char *t;

	snprintf(id, sizeof(id), "%s%s", prefix, word);
	t = i18n_get(lang, id);
	return t != NULL ? t : word;
}

static const char *
notice_platform_label(enum lang lang, const char *p)
{
	int i = vocab_find(vocab_platforms, VOCAB_NPLATFORMS, p, strlen(p));

	if (p[0] == '\0')
		return i18n_get(lang, "notice.b.no_service");
	if (i >= 0 && vocab_platform_names[i] != NULL)
		return vocab_platform_names[i];
	return notice_word(lang, "form.platform.", p);
}

static bool
notice_configured(const struct cfg *cfg)
{
	return cfg->notifier_name[0] != '\0' && cfg->notifier_email[0] != '\0';
}

/* ---- what the notice says ---- */

/* "a,b" (array_to_string) of words into an array of their labels. */
static json_t *
notice_list(enum lang lang, const char *prefix, const char *csv)
{
	json_t *arr = json_array();
	char word[64];
	size_t n;

	while (*csv != '\0') {
		n = strcspn(csv, ",");
		snprintf(word, sizeof(word), "%.*s", (int)n, csv);
		json_array_append_new(arr,
		    json_string(notice_word(lang, prefix, word)));
		csv += n;
		if (*csv == ',')
			csv++;
	}
	return arr;
}

static json_t *
notice_offences(enum lang lang, const char *csv)
{
	json_t *arr = json_array();
	char word[64];
	size_t n, i;

	while (*csv != '\0') {
		n = strcspn(csv, ",");
		snprintf(word, sizeof(word), "%.*s", (int)n, csv);
		for (i = 0; i < ARRAY_SIZE(notice_sections); i++)
			if (strcmp(notice_sections[i].offence, word) == 0)
				json_array_append_new(arr,
				    json_pack("{s:s, s:s, s:s}", "code", word,
				        "section", notice_sections[i].section,
				        "text",
				        notice_word(lang, "notice.law.",
				            word)));
		csv += n;
		if (*csv == ',')
			csv++;
	}
	return arr;
}

/* The group of platform p in services, made if new. */
static json_t *
notice_service(json_t *services, enum lang lang, const char *p)
{
	json_t *s;
	size_t i;

	json_array_foreach(services, i, s)
	{
		if (strcmp(json_string_value(json_object_get(s, "code")), p) ==
		    0)
			return s;
	}
	s = json_pack("{s:s, s:s, s:[], s:[]}", "code", p, "label",
	    notice_platform_label(lang, p), "links", "shots");
	json_array_append_new(services, s);
	return s;
}

static void
notice_add_once(json_t *list, const char *v)
{
	json_t *x;
	size_t i;

	json_array_foreach(list, i, x)
	{
		if (strcmp(json_string_value(x), v) == 0)
			return;
	}
	json_array_append_new(list, json_string(v));
}

/* Every platform of the case's links and screenshots, first seen first;
 * of each, the distinct canonical links and hashes. */
static json_t *
notice_services(const struct notice_req *nr)
{
	json_t *services = json_array(), *s;
	const struct notice_item *it;
	size_t i;

	for (i = 0; i < nr->nitems; i++) {
		it = &nr->items[i];
		if (it->value == NULL)
			continue;
		s = notice_service(services, nr->lang, it->platform);
		if (it->kind == 'u')
			notice_add_once(json_object_get(s, "links"), it->value);
		else
			/* bytea in text form: "\x" and lower-case hex. */
			notice_add_once(json_object_get(s, "shots"),
			    it->value + 2);
	}
	return services;
}

/* The strings of list joined by ", ". */
static const char *
notice_join(struct web_req *wr, json_t *list)
{
	struct buf b;
	json_t *x;
	const char *out;
	size_t i;

	buf_init(&b, 4096);
	json_array_foreach(list, i, x)
	{
		buf_printf(&b, "%s%s", i == 0 ? "" : ", ",
		    json_string_value(x));
	}
	out = arena_strndup(&wr->arena, b.p != NULL ? (char *)b.p : "", b.len);
	buf_reset(&b);
	return out != NULL ? out : "";
}

/* The notice itself, the same for the page and the text. */
static json_t *
notice_doc(struct web_req *wr, const struct notice_req *nr)
{
	const struct cfg *cfg = console_of(wr)->cfg;
	json_t *doc, *t, *services, *one, *s, *grounds;
	char id[48], key[48], *k;
	size_t i;

	t = json_object();
	for (i = 0; i < ARRAY_SIZE(notice_words); i++) {
		snprintf(id, sizeof(id), "notice.%s", notice_words[i]);
		snprintf(key, sizeof(key), "%s", notice_words[i]);
		for (k = key; *k != '\0'; k++)
			if (*k == '.')
				*k = '_';
		json_object_set_new(t, key,
		    json_string(i18n_get(nr->lang, id)));
	}
	services = notice_services(nr);
	if (nr->platform[0] != '\0') {
		one = json_array();
		json_array_foreach(services, i, s)
		{
			if (strcmp(
			        json_string_value(json_object_get(s, "code")),
			        nr->platform) == 0)
				json_array_append(one, s);
		}
		json_decref(services);
		services = one;
	}
	grounds = notice_list(nr->lang, "form.motive.", nr->grounds);
	doc = json_pack("{s:s, s:o, s:I, s:s, s:o, s:o, s:o, s:{s:s, s:s}}",
	    "lang", i18n_code(nr->lang), "t", t, "case", (json_int_t)nr->id,
	    "date", nr->date, "offences",
	    notice_offences(nr->lang, nr->offences), "grounds", grounds,
	    "services", services, "notifier", "name", cfg->notifier_name,
	    "email", cfg->notifier_email);
	if (doc == NULL)
		return NULL;
	if (nr->outcome[0] != '\0')
		json_object_set_new(doc, "outcome",
		    json_string(notice_word(nr->lang, "console.outcome.",
		        nr->outcome)));
	if (nr->platform[0] != '\0')
		json_object_set_new(doc, "service",
		    json_string(notice_platform_label(nr->lang, nr->platform)));
	/* For the page's template, which tests truth, not length. */
	json_object_set_new(doc, "has_offences",
	    json_boolean(
	        json_array_size(json_object_get(doc, "offences")) > 0));
	json_object_set_new(doc, "has_grounds",
	    json_boolean(json_array_size(grounds) > 0));
	json_object_set_new(doc, "grounds_text",
	    json_string(notice_join(wr, grounds)));
	json_array_foreach(services, i, s)
	{
		json_object_set_new(s, "has_links",
		    json_boolean(
		        json_array_size(json_object_get(s, "links")) > 0));
		json_object_set_new(s, "has_shots",
		    json_boolean(
		        json_array_size(json_object_get(s, "shots")) > 0));
	}
	return doc;
}

/* ---- the text ---- */

static const char *
doc_t(json_t *doc, const char *key)
{
	const char *s =
	    json_string_value(json_object_get(json_object_get(doc, "t"), key));

	return s != NULL ? s : "";
}

/* A heading and a line under it as long as it is (in characters). */
static void
notice_heading(struct buf *b, const char *text, char under)
{
	const unsigned char *p;
	size_t n = 0;

	buf_printf(b, "%s\n", text);
	for (p = (const unsigned char *)text; *p != '\0'; p++)
		if ((*p & 0xc0) != 0x80)
			n++;
	while (n-- > 0)
		buf_append(b, &under, 1);
	buf_puts(b, "\n");
}

/* Each of (a) to (d) starts with a line "a) ..." or "(a) ..." (the
 * letter of Article 16(2)) underlined with dashes. */
static void
notice_text(json_t *doc, struct buf *b)
{
	json_t *v, *s, *x;
	size_t i, j;

	notice_heading(b, doc_t(doc, "title"), '=');
	buf_printf(b, "\n%s\n\n", doc_t(doc, "basis"));
	buf_printf(b, "%s: #%lld\n", doc_t(doc, "case"),
	    (long long)json_integer_value(json_object_get(doc, "case")));
	buf_printf(b, "%s: %s\n", doc_t(doc, "date"),
	    json_string_value(json_object_get(doc, "date")));
	if ((v = json_object_get(doc, "service")) != NULL)
		buf_printf(b, "%s: %s\n", doc_t(doc, "service"),
		    json_string_value(v));

	buf_puts(b, "\n");
	notice_heading(b, doc_t(doc, "a"), '-');
	v = json_object_get(doc, "offences");
	if (json_array_size(v) > 0) {
		buf_printf(b, "%s\n", doc_t(doc, "a_offences"));
		json_array_foreach(v, i, x)
		{
			buf_printf(b, "- %s\n",
			    json_string_value(json_object_get(x, "text")));
		}
	} else
		buf_printf(b, "%s\n", doc_t(doc, "a_no_offences"));
	if (json_is_true(json_object_get(doc, "has_grounds")))
		buf_printf(b, "%s %s\n", doc_t(doc, "a_grounds"),
		    json_string_value(json_object_get(doc, "grounds_text")));
	if ((v = json_object_get(doc, "outcome")) != NULL)
		buf_printf(b, "%s %s\n", doc_t(doc, "a_outcome"),
		    json_string_value(v));
	else
		buf_printf(b, "%s\n", doc_t(doc, "a_open"));

	buf_puts(b, "\n");
	notice_heading(b, doc_t(doc, "b"), '-');
	v = json_object_get(doc, "services");
	if (json_array_size(v) == 0)
		buf_printf(b, "%s\n", doc_t(doc, "b_none"));
	json_array_foreach(v, i, s)
	{
		buf_printf(b, "%s%s:\n", i == 0 ? "" : "\n",
		    json_string_value(json_object_get(s, "label")));
		if (json_array_size(json_object_get(s, "links")) > 0)
			buf_printf(b, "%s\n", doc_t(doc, "b_links"));
		json_array_foreach(json_object_get(s, "links"), j, x)
		{
			buf_printf(b, "- %s\n", json_string_value(x));
		}
		if (json_array_size(json_object_get(s, "shots")) > 0)
			buf_printf(b, "%s\n", doc_t(doc, "b_shots"));
		json_array_foreach(json_object_get(s, "shots"), j, x)
		{
			buf_printf(b, "- SHA-256 %s\n", json_string_value(x));
		}
	}

	buf_puts(b, "\n");
	notice_heading(b, doc_t(doc, "c"), '-');
	v = json_object_get(doc, "notifier");
	buf_printf(b, "%s: %s\n", doc_t(doc, "c_name"),
	    json_string_value(json_object_get(v, "name")));
	buf_printf(b, "%s: %s\n", doc_t(doc, "c_email"),
	    json_string_value(json_object_get(v, "email")));
	buf_printf(b, "%s\n%s\n", doc_t(doc, "c_police"),
	    doc_t(doc, "c_reply"));

	buf_puts(b, "\n");
	notice_heading(b, doc_t(doc, "d"), '-');
	buf_printf(b, "%s\n", doc_t(doc, "d_statement"));
}

/* ---- the page ---- */

/* /case/N/notice[.txt]?lang=L[&platform=P] */
static const char *
notice_href(struct web_req *wr, const struct notice_req *nr, bool text,
    enum lang lang, const char *platform)
{
	char buf[128];
	const char *out;

	snprintf(buf, sizeof(buf), "/case/%lld/notice%s?lang=%s%s%s", nr->id,
	    text ? ".txt" : "", i18n_code(lang),
	    platform[0] != '\0' ? "&platform=" : "", platform);
	out = arena_strndup(&wr->arena, buf, strlen(buf));
	return out != NULL ? out : "/";
}

/* The page's own links: languages, one platform's part, the text. */
static json_t *
notice_tools(struct web_req *wr, const struct notice_req *nr, json_t *services)
{
	static const char *const names[LANG_STAFF_COUNT] = { "suomeksi",
		"på svenska", "in English" };
	json_t *tools, *langs, *parts, *s;
	const char *code;
	size_t i;

	langs = json_array();
	for (i = 0; i < LANG_STAFF_COUNT; i++)
		json_array_append_new(langs,
		    json_pack("{s:s, s:s, s:s, s:b}", "code",
		        i18n_code((enum lang)i), "label", names[i], "href",
		        notice_href(wr, nr, false, (enum lang)i, nr->platform),
		        "current", (enum lang)i == nr->lang));
	tools = json_pack("{s:o, s:s, s:I}", "langs", langs, "text_href",
	    notice_href(wr, nr, true, nr->lang, nr->platform), "case",
	    (json_int_t)nr->id);
	/* One platform's part, when there is more than one, or one was
	 * chosen. */
	if (json_array_size(services) > 1 || nr->platform[0] != '\0') {
		parts = json_array();
		json_array_append_new(parts,
		    json_pack("{s:s, s:s, s:b}", "label",
		        i18n_get(wr->lang, "console.notice.all_services"),
		        "href", notice_href(wr, nr, false, nr->lang, ""),
		        "current", nr->platform[0] == '\0'));
		json_array_foreach(services, i, s)
		{
			code = json_string_value(json_object_get(s, "code"));
			if (code[0] == '\0')
				continue;
			json_array_append_new(parts,
			    json_pack("{s:s, s:s, s:b}", "label",
			        json_string_value(json_object_get(s, "label")),
			        "href",
			        notice_href(wr, nr, false, nr->lang, code),
			        "current", strcmp(code, nr->platform) == 0));
		}
		json_object_set_new(tools, "parts",
		    json_pack("{s:o}", "items", parts));
	}
	return tools;
}

static void
notice_render(struct web_req *wr)
{
	struct notice_req *nr = wr->data;
	struct evbuffer *body;
	json_t *doc, *ctx, *services;
	struct buf b;
	char disp[96];

	if ((doc = notice_doc(wr, nr)) == NULL) {
		web_error(wr, 500);
		return;
	}
	if (nr->text) {
		buf_init(&b, 4 << 20);
		notice_text(doc, &b);
		json_decref(doc);
		if (b.err || (body = evbuffer_new()) == NULL) {
			buf_reset(&b);
			web_send_text(wr, 500, "internal error");
			return;
		}
		evbuffer_add(body, b.p, b.len);
		buf_reset(&b);
		snprintf(disp, sizeof(disp),
		    "inline; filename=\"notice-%lld-%s.txt\"", nr->id,
		    i18n_code(nr->lang));
		web_header(wr, "Content-Type", "text/plain; charset=utf-8");
		web_header(wr, "Content-Language", i18n_code(nr->lang));
		web_header(wr, "Content-Disposition", disp);
		web_send(wr, 200, body);
		evbuffer_free(body);
		return;
	}
	ctx = console_ctx(wr, "console.notice.title");
	json_object_set_new(ctx, "notice_css", json_true());
	json_object_set_new(ctx, "case_id", json_integer(nr->id));
	services = notice_services(nr);
	json_object_set_new(ctx, "tools", notice_tools(wr, nr, services));
	json_decref(services);
	json_object_set_new(ctx, "incomplete",
	    json_boolean(
	        json_array_size(json_object_get(doc, "offences")) == 0));
	json_object_set_new(ctx, "n", doc);
	console_page(wr, 200, "notice", ctx);
}

static void
notice_part_done(struct web_req *wr)
{
	struct notice_req *nr = wr->data;

	if (--nr->pending > 0)
		return;
	if (nr->failed) {
		web_header(wr, "Retry-After", "10");
		web_error(wr, 503);
		return;
	}
	if (!nr->found) {
		web_error(wr, 404);
		return;
	}
	notice_render(wr);
}

static bool
notice_part_ok(struct web_req *wr, PGresult *res)
{
	struct notice_req *nr = wr->data;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		rlog_warnx(wr, "notice query failed, sqlstate %s",
		    db_sqlstate(res));
		nr->failed = true;
		return false;
	}
	return true;
}

static void
notice_on_audit(void *arg, PGresult *res)
{
	struct web_req *wr = arg;

	(void)notice_part_ok(wr, res);
	notice_part_done(wr);
}

static void
notice_on_case(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct notice_req *nr = wr->data;

	if (notice_part_ok(wr, res) && PQntuples(res) == 1) {
		nr->found = true;
		snprintf(nr->outcome, sizeof(nr->outcome), "%s",
		    PQgetvalue(res, 0, 2));
		snprintf(nr->grounds, sizeof(nr->grounds), "%s",
		    PQgetvalue(res, 0, 3));
		snprintf(nr->offences, sizeof(nr->offences), "%s",
		    PQgetvalue(res, 0, 4));
		snprintf(nr->date, sizeof(nr->date), "%s",
		    PQgetvalue(res, 0, 5));
	}
	notice_part_done(wr);
}

/* Pool thread: opens each link and puts its canonical form in its
 * place; a link that does not open or is no link is dropped (what a
 * tipster typed in the link field is not passed on otherwise). */
static void
notice_open_work(void *arg)
{
	struct web_req *wr = arg;
	struct notice_req *nr = wr->data;
	struct notice_item *it;
	char canon[URL_MAX_BYTES + 1];
	const char *errstr;
	uint8_t *plain;
	size_t i, plen;

	for (i = 0; i < nr->nitems; i++) {
		it = &nr->items[i];
		if (it->kind != 'u')
			continue;
		plain = seal_open_hex(nr->keys->public_key,
		    nr->keys->secret_key, it->value, &plen);
		free(it->value);
		it->value = NULL;
		if (plain == NULL)
			continue;
		if (url_canonical((const char *)plain, plen, canon,
		        sizeof(canon), &errstr) > 0)
			it->value = strdup(canon);
		util_free_secret(plain, plen);
	}
	sodium_memzero(canon, sizeof(canon));
}

static void
notice_open_done(void *arg)
{
	notice_part_done(arg);
}

static void
notice_on_items(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct notice_req *nr = wr->data;
	struct notice_item *it;
	int i, n;

	if (!notice_part_ok(wr, res)) {
		notice_part_done(wr);
		return;
	}
	n = PQntuples(res);
	nr->items = xcalloc((size_t)n + 1, sizeof(*nr->items));
	for (i = 0; i < n; i++) {
		it = &nr->items[nr->nitems++];
		it->kind = PQgetvalue(res, i, 0)[0];
		snprintf(it->platform, sizeof(it->platform), "%s",
		    PQgetvalue(res, i, 1));
		it->value = xstrdup(PQgetvalue(res, i, 2));
	}
	/* One more part: the links, opened off the loop (or on it when the
	 * pool is full, rather than fail the page). */
	nr->pending++;
	if (tpool_submit(console_of(wr)->open_pool, notice_open_work,
	        notice_open_done, wr) == -1) {
		notice_open_work(wr);
		notice_open_done(wr);
	}
	notice_part_done(wr);
}

static void
notice_start(struct web_req *wr, bool text)
{
	struct console *co = console_of(wr);
	struct console_session *s = console_sess(wr);
	static db_result_fn *const fns[NP_COUNT] = { notice_on_audit,
		notice_on_case, notice_on_items };
	static const size_t stmts[NP_COUNT] = { STMT_CONSOLE_NOTICE_VIEWED,
		STMT_CONSOLE_NOTICE_CASE, STMT_CONSOLE_NOTICE_ITEMS };
	const char *lang = web_query(wr, "lang");
	const char *platform = web_query(wr, "platform");
	const char *values[6], *errstr;
	char cid[24], dept[8], rev[16];
	struct notice_req *nr;
	long long id;
	enum lang nl = LANG_FI;
	json_t *ctx;
	int i;

	if (strspn(wr->args[0], "0123456789") != strlen(wr->args[0]) ||
	    util_parse_ll(wr->args[0], 1, 999999999999999999LL, &id, &errstr) ==
	        -1) {
		web_error(wr, 404);
		return;
	}
	if ((lang != NULL && i18n_from_code_n(lang, strlen(lang),
	                         LANG_STAFF_COUNT, &nl) == -1) ||
	    (platform != NULL && platform[0] != '\0' &&
	        vocab_find(vocab_platforms, VOCAB_NPLATFORMS, platform,
	            strlen(platform)) < 0)) {
		web_error(wr, 400);
		return;
	}
	if (!notice_configured(co->cfg)) {
		rlog_info(wr, "notice refused: notifier not configured");
		if (text) {
			web_send_text(wr, 503,
			    i18n_get(wr->lang, "console.notice.unconfigured"));
			return;
		}
		ctx = console_ctx(wr, "console.notice.title");
		json_object_set_new(ctx, "unconfigured", json_true());
		json_object_set_new(ctx, "case_id", json_integer(id));
		console_page(wr, 503, "notice", ctx);
		return;
	}
	if ((nr = calloc(1, sizeof(*nr))) == NULL) {
		web_error(wr, 503);
		return;
	}
	wr->data = nr;
	wr->data_free = notice_req_free;
	nr->id = id;
	nr->lang = nl;
	nr->text = text;
	nr->keys = &co->keys;
	if (platform != NULL)
		snprintf(nr->platform, sizeof(nr->platform), "%s", platform);
	snprintf(cid, sizeof(cid), "%lld", id);
	snprintf(dept, sizeof(dept), "%d", s->department);
	snprintf(rev, sizeof(rev), "%d", s->reviewer);
	nr->pending = NP_COUNT;
	for (i = 0; i < NP_COUNT; i++) {
		if (i == NP_AUDIT) {
			values[0] = rev;
			values[1] = cid;
			values[2] = dept;
			values[3] = i18n_code(nl);
			values[4] = text ? "text" : "html";
			values[5] = nr->platform;
		} else {
			values[0] = cid;
			values[1] = dept;
		}
		if (db_send(co->db, stmts[i], i == NP_AUDIT ? 6 : 2, values,
		        NULL, NULL, fns[i], wr) == NULL)
			fns[i](wr, NULL);
	}
}

void
console_notice_get(struct web_req *wr)
{
	notice_start(wr, false);
}

void
console_notice_text(struct web_req *wr)
{
	notice_start(wr, true);
}

/* ---- the platform's answer, on the case page ---- */

/* YYYY-MM-DD of a real day. */
static bool
notice_date_ok(const char *s)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int y, m, d, i;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return false;
	for (y = 0, i = 0; i < 4; i++)
		y = y * 10 + (s[i] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	return m != 2 || d < 29 ||
	       (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

int
console_notice_track_values(struct web_req *wr, const struct form *f,
    const char *values[5])
{
	static const char *const dates[] = { "sent_on", "acknowledged_on",
		"decided_on" };
	const char *platform = console_field(wr, f, "platform");
	const char *decision = console_field(wr, f, "decision");
	const char *v;
	size_t i;

	if (vocab_find(vocab_platforms, VOCAB_NPLATFORMS, platform,
	        strlen(platform)) < 0)
		return -1;
	if (decision[0] != '\0' &&
	    vocab_find(notice_decisions, ARRAY_SIZE(notice_decisions), decision,
	        strlen(decision)) < 0)
		return -1;
	values[0] = platform;
	values[3] = decision[0] != '\0' ? decision : NULL;
	for (i = 0; i < ARRAY_SIZE(dates); i++) {
		v = console_field(wr, f, dates[i]);
		if (v[0] != '\0' && !notice_date_ok(v))
			return -1;
		values[i == 2 ? 4 : i + 1] = v[0] != '\0' ? v : NULL;
	}
	return 0;
}

static json_t *
notice_decision_options(struct web_req *wr, const char *cur)
{
	json_t *arr = json_array();
	size_t i;

	json_array_append_new(arr,
	    json_pack("{s:s, s:s, s:b}", "value", "", "label",
	        i18n_get(wr->lang, "console.platform.decision.none"),
	        "selected", cur[0] == '\0'));
	for (i = 0; i < ARRAY_SIZE(notice_decisions); i++)
		json_array_append_new(arr,
		    json_pack("{s:s, s:s, s:b}", "value", notice_decisions[i],
		        "label",
		        notice_word(wr->lang, "console.platform.decision.",
		            notice_decisions[i]),
		        "selected", strcmp(notice_decisions[i], cur) == 0));
	return arr;
}

/* "Notice sent 2026-05-04 · Receipt acknowledged 2026-05-04 · removed
 * the content 2026-05-06 (2 d)" */
static const char *
notice_summary(struct web_req *wr, const char *sent, const char *ack,
    const char *decision, const char *decided, const char *days)
{
	struct buf b;
	const char *out;

	buf_init(&b, 4096);
	buf_printf(&b, "%s %s", i18n_get(wr->lang, "console.platform.sent_on"),
	    sent);
	if (ack[0] != '\0')
		buf_printf(&b, " · %s %s",
		    i18n_get(wr->lang, "console.platform.acknowledged_on"),
		    ack);
	if (decision[0] != '\0')
		buf_printf(&b, " · %s %s (%s %s)",
		    notice_word(wr->lang, "console.platform.decision.",
		        decision),
		    decided, days, i18n_get(wr->lang, "console.unit.d"));
	out = arena_strndup(&wr->arena, b.p != NULL ? (char *)b.p : "", b.len);
	buf_reset(&b);
	return out != NULL ? out : "";
}

static json_t *
notice_platform_row(struct web_req *wr, const char *platform, const char *sent,
    const char *ack, const char *decision, const char *decided)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "platform",
	    platform, "label", notice_platform_label(wr->lang, platform),
	    "sent_on", sent, "acknowledged_on", ack, "decision", decision,
	    "decided_on", decided, "decisions",
	    notice_decision_options(wr, decision));
}

json_t *
console_platform_rows(struct web_req *wr, PGresult *res)
{
	json_t *arr = json_array(), *row;
	const char *sent;
	int i;

	for (i = 0; i < PQntuples(res); i++) {
		sent = PQgetvalue(res, i, 1);
		row = notice_platform_row(wr, PQgetvalue(res, i, 0), sent,
		    PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
		    PQgetvalue(res, i, 4));
		if (row == NULL)
			continue;
		if (sent[0] != '\0') {
			json_object_set_new(row, "tracked", json_true());
			json_object_set_new(row, "summary",
			    json_string(notice_summary(wr, sent,
			        PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
			        PQgetvalue(res, i, 4), PQgetvalue(res, i, 7))));
			json_object_set_new(row, "who",
			    json_string(PQgetvalue(res, i, 5)));
			json_object_set_new(row, "updated",
			    json_string(PQgetvalue(res, i, 6)));
		}
		json_array_append_new(arr, row);
	}
	return arr;
}

json_t *
console_platform_ctx(struct web_req *wr, json_t *rows, json_t *typed,
    bool closed)
{
	json_t *out, *list, *row, *t, *pick;
	const char *p, *f;
	bool shown = closed, found = false;
	size_t i;
	char when[32];

	list = rows != NULL ? json_deep_copy(rows) : NULL;
	if (list == NULL)
		list = json_array();
	json_array_foreach(list, i, row)
	{
		if (json_is_true(json_object_get(row, "tracked")))
			shown = true;
		if ((f = json_string_value(json_object_get(row, "updated"))) !=
		    NULL) {
			console_format_time(f, when, sizeof(when));
			json_object_set_new(row, "updated", json_string(when));
		}
	}
	/* A form that came back: what was typed, in its platform's form. */
	t = json_object_get(typed, "platform");
	p = json_string_value(json_object_get(t, "platform"));
	if (p != NULL &&
	    vocab_find(vocab_platforms, VOCAB_NPLATFORMS, p, strlen(p)) >= 0) {
		shown = true;
		json_array_foreach(list, i, row)
		{
			if (strcmp(json_string_value(
			               json_object_get(row, "platform")),
			        p) == 0) {
				found = true;
				break;
			}
		}
		row = notice_platform_row(wr, p,
		    json_string_value(json_object_get(t, "sent_on")),
		    json_string_value(json_object_get(t, "acknowledged_on")),
		    json_string_value(json_object_get(t, "decision")),
		    json_string_value(json_object_get(t, "decided_on")));
		if (row != NULL && found) {
			/* What is recorded stays in words above the form. */
			json_object_update_missing(row,
			    json_array_get(list, i));
			json_array_set_new(list, i, row);
		} else if (row != NULL)
			json_array_append_new(list, row);
	}
	out = json_pack("{s:b, s:o}", "show", shown, "rows", list);
	/* No platform known: the officer names it. */
	if (json_array_size(list) == 0) {
		pick = json_array();
		for (i = 0; i < VOCAB_NPLATFORMS; i++)
			json_array_append_new(pick,
			    json_pack("{s:s, s:s}", "value", vocab_platforms[i],
			        "label",
			        notice_platform_label(wr->lang,
			            vocab_platforms[i])));
		json_object_set_new(out, "pick",
		    json_pack("{s:o, s:o}", "platforms", pick, "decisions",
		        notice_decision_options(wr, "")));
	}
	return out;
}
