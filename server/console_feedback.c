/*
 * Feedback to tipsters, on the case page: the messages written on the
 * case, and the form that writes one.  The officer starts from a
 * template (the department's own wording, or the built-in one of the
 * console's catalogue, feedback.template.*), edits it, may preview it as
 * the tipster will see it on /status, and sends it to every tip of the
 * case that asked for feedback or to one of them.  Without JavaScript,
 * "fill in" and "preview" are buttons of the same form that bring the
 * page back with the form as it was.  The message is sealed to the
 * deployment's public key; the worker delivers it to each tip, sealed to
 * the tip's reply key (schema/0013_feedback.sql).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "console.h"
#include "db_stmt.h"
#include "i18n.h"
#include "log.h"
#include "seal.h"
#include "text.h"
#include "util.h"
#include "vocab.h"

#define FEEDBACK_MAX 4000 /* characters a message may have */

static bool
feedback_template_ok(const char *t)
{
	return vocab_find(vocab_templates, VOCAB_NTEMPLATES, t, strlen(t)) >= 0;
}

/*
 * The part's rows, three kinds in one result (STMT_CONSOLE_CASE_FEEDBACK):
 *   m  id, at, who, lang, template, tip, sealed, delivered
 *   a  lang, tips that asked for feedback in that language
 *   t  template, lang, the department's wording
 */
json_t *
console_feedback_part(struct web_req *wr, PGresult *res)
{
	json_t *part, *msgs, *askers, *tmpls;
	const char *k;
	char when[32], key[64];
	int i;

	part = json_object();
	msgs = json_array();
	askers = json_object();
	tmpls = json_object();
	for (i = 0; i < PQntuples(res); i++) {
		k = PQgetvalue(res, i, 0);
		if (k[0] == 'm') {
			console_format_time(PQgetvalue(res, i, 2), when,
			    sizeof(when));
			json_array_append_new(msgs,
			    json_pack(
			        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			        "id", PQgetvalue(res, i, 1), "at", when, "who",
			        PQgetvalue(res, i, 3), "lang",
			        PQgetvalue(res, i, 4), "template",
			        PQgetvalue(res, i, 5), "tip",
			        PQgetvalue(res, i, 6), "text",
			        console_unseal_text(wr, PQgetvalue(res, i, 7)),
			        "delivered", PQgetvalue(res, i, 8)));
		} else if (k[0] == 'a')
			json_object_set_new(askers, PQgetvalue(res, i, 1),
			    json_integer(
			        strtol(PQgetvalue(res, i, 2), NULL, 10)));
		else if (k[0] == 'd')
			json_object_set_new(part, "today",
			    json_string(PQgetvalue(res, i, 1)));
		else if (k[0] == 't') {
			snprintf(key, sizeof(key), "%s.%s",
			    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
			json_object_set_new(tmpls, key,
			    json_string(PQgetvalue(res, i, 3)));
		}
	}
	json_object_set_new(part, "messages", msgs);
	json_object_set_new(part, "askers", askers);
	json_object_set_new(part, "templates", tmpls);
	return part;
}

/* The template's text in lang: the department's, else the built-in one,
 * with {department} filled in. */
static const char *
feedback_fill(struct web_req *wr, json_t *part, const char *tmpl,
    enum lang lang, json_t *dept_names)
{
	const char *body, *name, *p;
	char key[64];
	struct buf b;
	const char *out;

	snprintf(key, sizeof(key), "%s.%s", tmpl, i18n_code(lang));
	body = json_string_value(
	    json_object_get(json_object_get(part, "templates"), key));
	if (body == NULL) {
		snprintf(key, sizeof(key), "feedback.template.%s", tmpl);
		if ((body = i18n_get(lang, key)) == NULL)
			return "";
	}
	/* The departments have names in the staff's languages; the others
	 * read the English one. */
	name = json_string_value(json_array_get(dept_names,
	    (size_t)(lang < LANG_STAFF_COUNT ? lang : LANG_EN)));
	if (name == NULL)
		name = "";
	buf_init(&b, 0);
	/* {department} is the department's name; the catalogue cannot
	 * hold a newline, so "\\n" stands for one there. */
	for (p = body; *p != '\0';) {
		if (strncmp(p, "{department}", 12) == 0) {
			buf_puts(&b, name);
			p += 12;
		} else if (p[0] == '\\' && p[1] == 'n') {
			buf_puts(&b, "\n");
			p += 2;
		} else
			buf_append(&b, p++, 1);
	}
	out = arena_strndup(&wr->arena, buf_cstr(&b), b.len);
	buf_reset(&b);
	return out != NULL ? out : "";
}

/* The language most of the asking tips wrote in (Finnish on a tie or
 * when none asked). */
static enum lang
feedback_main_lang(json_t *askers)
{
	enum lang best = LANG_FI, l;
	json_int_t most = 0, n;

	for (l = LANG_FI; l < LANG_COUNT; l++) {
		n = json_integer_value(json_object_get(askers, i18n_code(l)));
		if (n > most) {
			most = n;
			best = l;
		}
	}
	return best;
}

void
console_feedback_render(struct web_req *wr, json_t *ctx, json_t *part,
    json_t *tips, json_t *c, json_t *typed, json_t *dept_names)
{
	json_t *fb, *msgs, *m, *opts, *langs, *tipopts, *tip, *preview;
	json_t *askers = json_object_get(part, "askers");
	const char *outcome, *tmpl = NULL, *text = NULL, *tipsel = "";
	const char *v, *tid;
	char day[32], label[160];
	enum lang lang, l;
	json_int_t total = 0;
	struct buf others;
	bool want_preview = false;
	size_t i, j;

	fb = json_object();
	/* The messages so far, each with the tip it went to when only one. */
	msgs = json_object_get(part, "messages");
	json_array_foreach(msgs, i, m)
	{
		if (i18n_from_code(
		        json_string_value(json_object_get(m, "lang")), 2, &l) ==
		    0) {
			snprintf(label, sizeof(label), "console.lang.%s",
			    i18n_code(l));
			json_object_set_new(m, "lang_label",
			    json_string(i18n_get(wr->lang, label)));
		}
		tid = json_string_value(json_object_get(m, "tip"));
		if (tid[0] != '\0') {
			json_object_set_new(m, "one_tip", json_true());
			json_array_foreach(tips, j, tip)
			{
				if (strcmp(json_string_value(
				               json_object_get(tip, "id")),
				        tid) == 0)
					json_object_set(m, "tip_n",
					    json_object_get(tip, "n"));
			}
		}
		if ((v = json_string_value(json_object_get(m, "template"))) !=
		        NULL &&
		    v[0] != '\0') {
			snprintf(label, sizeof(label),
			    "console.feedback.template.%s", v);
			json_object_set_new(m, "template_label",
			    json_string(i18n_get(wr->lang, label) != NULL
			                    ? i18n_get(wr->lang, label)
			                    : v));
		}
	}
	json_object_set(fb, "messages", msgs);

	/* Who will receive it. */
	buf_init(&others, 0);
	for (l = LANG_FI; l < LANG_COUNT; l++) {
		json_int_t n =
		    json_integer_value(json_object_get(askers, i18n_code(l)));

		if (n == 0)
			continue;
		total += n;
		snprintf(label, sizeof(label), "console.lang.%s", i18n_code(l));
		buf_printf(&others, "%s%s %lld", others.len > 0 ? ", " : "",
		    i18n_get(wr->lang, label), (long long)n);
	}
	json_object_set_new(fb, "askers", json_integer(total));
	json_object_set_new(fb, "askers_by_lang",
	    json_string(others.len > 0 ? buf_cstr(&others) : ""));
	buf_reset(&others);

	/* The form: as typed, or filled in from a template in the main
	 * language of the asking tips (the outcome's template for a closed
	 * case, an acknowledgement for an open one). */
	lang = feedback_main_lang(askers);
	if (typed != NULL) {
		v = json_string_value(json_object_get(typed, "lang"));
		if (v != NULL)
			(void)i18n_from_code(v, strlen(v), &lang);
		tmpl = json_string_value(json_object_get(typed, "template"));
		text = json_string_value(json_object_get(typed, "message"));
		tipsel = json_string_value(json_object_get(typed, "tip"));
		if (tipsel == NULL)
			tipsel = "";
		want_preview = json_is_true(json_object_get(typed, "preview"));
		if (json_is_true(json_object_get(typed, "fill")))
			text = NULL;
	}
	if (tmpl == NULL || !feedback_template_ok(tmpl)) {
		outcome = json_string_value(json_object_get(c, "outcome_code"));
		tmpl = outcome != NULL && feedback_template_ok(outcome)
		           ? outcome
		           : "received";
	}
	if (text == NULL)
		text = feedback_fill(wr, part, tmpl, lang, dept_names);
	json_object_set_new(fb, "message", json_string(text));

	opts = json_array();
	for (i = 0; i < VOCAB_NTEMPLATES; i++) {
		snprintf(label, sizeof(label), "console.feedback.template.%s",
		    vocab_templates[i]);
		json_array_append_new(opts,
		    json_pack("{s:s, s:s, s:b}", "value", vocab_templates[i],
		        "label", i18n_get(wr->lang, label), "selected",
		        strcmp(tmpl, vocab_templates[i]) == 0));
	}
	json_object_set_new(fb, "templates", opts);
	langs = json_array();
	for (l = LANG_FI; l < LANG_COUNT; l++) {
		snprintf(label, sizeof(label), "console.lang.%s", i18n_code(l));
		json_array_append_new(langs,
		    json_pack("{s:s, s:s, s:b}", "value", i18n_code(l), "label",
		        i18n_get(wr->lang, label), "selected", l == lang));
	}
	json_object_set_new(fb, "langs", langs);
	/* One tip alone: those of this page that asked. */
	tipopts = json_array();
	json_array_foreach(tips, i, tip)
	{
		if (!json_is_true(json_object_get(tip, "asks")))
			continue;
		tid = json_string_value(json_object_get(tip, "id"));
		json_array_append_new(tipopts,
		    json_pack("{s:s, s:O, s:O, s:b}", "value", tid, "n",
		        json_object_get(tip, "n"), "lang",
		        json_object_get(tip, "lang"), "selected",
		        strcmp(tid, tipsel) == 0));
	}
	json_object_set_new(fb, "tips", tipopts);

	/* The preview: the message as /status shows it, in the language's
	 * own words and date. */
	if (want_preview && text[0] != '\0') {
		i18n_day(json_string_value(json_object_get(part, "today")),
		    lang, day, sizeof(day));
		preview = json_pack("{s:s, s:s, s:s, s:s}", "heading",
		    i18n_get(lang, "status.messages"), "from",
		    i18n_get(lang, "status.message"), "day", day, "text", text);
		json_object_set_new(preview, "lang",
		    json_string(i18n_code(lang)));
		json_object_set_new(preview, "dir",
		    json_string(i18n_dir(lang)));
		json_object_set_new(fb, "preview", preview);
	}
	json_object_set_new(ctx, "feedback", fb);
}

/* POST /case/N/feedback: do=fill (a template), do=preview, do=send. */
void
console_feedback_post(struct web_req *wr, long long id, const struct form *f)
{
	struct console *co = console_of(wr);
	const char *doit = console_field(wr, f, "do");
	const char *message = console_field(wr, f, "message");
	const char *lang = console_field(wr, f, "lang");
	const char *tmpl = console_field(wr, f, "template");
	const char *tip = console_field(wr, f, "tip");
	const char *values[6];
	int lengths[6] = { 0 }, formats[6] = { 0 };
	char rev[16], cid[24];
	size_t mlen = strlen(message), nchars;
	uint8_t *sealed;
	enum lang l;
	json_t *typed;

	typed = json_pack("{s:{s:s, s:s, s:s, s:s}}", "feedback", "message",
	    message, "lang", lang, "template", tmpl, "tip", tip);
	if (strcmp(doit, "fill") == 0 || strcmp(doit, "preview") == 0) {
		json_object_set_new(json_object_get(typed, "feedback"),
		    doit[0] == 'f' ? "fill" : "preview", json_true());
		console_case_show(wr, id, 200, NULL, typed);
		return;
	}
	if (strcmp(doit, "send") != 0 || message[0] == '\0' ||
	    !text_valid(message, mlen, &nchars) || nchars > FEEDBACK_MAX ||
	    i18n_from_code(lang, strlen(lang), &l) == -1 ||
	    (tmpl[0] != '\0' && !feedback_template_ok(tmpl)) ||
	    (tip[0] != '\0' && !console_is_uuid(tip))) {
		console_case_show(wr, id, 422, "console.feedback.invalid",
		    typed);
		return;
	}
	if ((sealed = seal_box(co->keys.public_key, message, mlen)) == NULL) {
		json_decref(typed);
		web_error(wr, 503);
		return;
	}
	snprintf(rev, sizeof(rev), "%d", console_sess(wr)->reviewer);
	snprintf(cid, sizeof(cid), "%lld", id);
	values[0] = rev;
	values[1] = cid;
	values[2] = tip[0] != '\0' ? tip : NULL;
	values[3] = i18n_code(l);
	values[4] = tmpl[0] != '\0' ? tmpl : NULL;
	values[5] = (const char *)sealed;
	lengths[5] = (int)(mlen + SEAL_OVERHEAD);
	formats[5] = 1;
	console_case_action(wr, id, STMT_CONSOLE_FEEDBACK, 6, values, lengths,
	    formats, typed);
	util_free_secret(sealed, mlen + SEAL_OVERHEAD);
}
