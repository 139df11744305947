/*
 * tiplinectl templates: each department's own wording of the feedback
 * templates (schema/0013_feedback.sql, feedback_template).  Where a
 * department has none, officers start from the built-in text of the
 * console's catalogue (feedback.template.* in lib/messages_console.tsv).
 * In a text, {department} stands for the department's name; a template
 * may be several lines.  Every change is written to the audit log.
 *
 *   templates list [CODE]                 which are the department's own
 *   templates show CODE TEMPLATE LANG     the text officers start from
 *   templates set CODE TEMPLATE LANG FILE the department's own (- : stdin)
 *   templates reset CODE TEMPLATE LANG    back to the built-in text
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ctl.h"
#include "i18n.h"
#include "text.h"
#include "vocab.h"

#define TEMPLATE_MAX 4000 /* characters, as the table allows */

static int
tmpl_check(const char *t, const char *lang)
{
	enum lang l;

	if (vocab_find(vocab_templates, VOCAB_NTEMPLATES, t, strlen(t)) < 0) {
		fprintf(stderr,
		    "tiplinectl: no template %s; templates are:", t);
		for (size_t i = 0; i < VOCAB_NTEMPLATES; i++)
			fprintf(stderr, " %s", vocab_templates[i]);
		fprintf(stderr, "\n");
		return -1;
	}
	if (i18n_from_code(lang, strlen(lang), &l) == -1) {
		fprintf(stderr,
		    "tiplinectl: no language %s; languages are:", lang);
		for (int i = 0; i < LANG_COUNT; i++)
			fprintf(stderr, " %s", i18n_code((enum lang)i));
		fprintf(stderr, "\n");
		return -1;
	}
	return 0;
}

/* The built-in text, with the catalogue's "\n" made a newline. */
static void
tmpl_builtin(const char *t, const char *lang, struct buf *out)
{
	char id[64];
	const char *p;
	enum lang l;

	if (i18n_from_code(lang, strlen(lang), &l) == -1)
		return;
	snprintf(id, sizeof(id), "feedback.template.%s", t);
	if ((p = i18n_get(l, id)) == NULL)
		return;
	for (; *p != '\0'; p++) {
		if (p[0] == '\\' && p[1] == 'n') {
			buf_puts(out, "\n");
			p++;
		} else
			buf_append(out, p, 1);
	}
}

static int
tmpl_list(PGconn *pg, const char *code)
{
	const char *params[3];
	PGresult *res;
	struct buf all, langs;
	size_t k;
	int i;

	buf_init(&all, 0);
	buf_puts(&all, "{");
	for (k = 0; k < VOCAB_NTEMPLATES; k++)
		buf_printf(&all, "%s%s", k == 0 ? "" : ",", vocab_templates[k]);
	buf_puts(&all, "}");
	buf_init(&langs, 0);
	for (i = 0; i < LANG_COUNT; i++)
		buf_printf(&langs, "%s%s", i == 0 ? "{" : ",",
		    i18n_code((enum lang)i));
	buf_puts(&langs, "}");
	params[0] = code;
	params[1] = buf_cstr(&all);
	params[2] = buf_cstr(&langs);

	res = PQexecParams(pg,
	    "SELECT d.code, v.t, l.lang, EXISTS (SELECT 1 FROM "
	    "feedback_template f WHERE f.department_id = d.id "
	    "AND f.template = v.t AND f.lang = l.lang) "
	    "FROM department d CROSS JOIN unnest($2::text[]) "
	    "WITH ORDINALITY v (t, n) "
	    "CROSS JOIN unnest($3::text[]) WITH ORDINALITY l (lang, k) "
	    "WHERE $1::text IS NULL OR d.code = $1 ORDER BY d.id, v.n, l.k",
	    3, NULL, params, NULL, NULL, 0);
	buf_reset(&all);
	buf_reset(&langs);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "tiplinectl: %s", PQerrorMessage(pg));
		PQclear(res);
		return 1;
	}
	if (PQntuples(res) == 0) {
		fprintf(stderr, "tiplinectl: no department %s\n", code);
		PQclear(res);
		return 1;
	}
	printf("%-16s %-20s %-4s %s\n", "department", "template", "lang",
	    "text");
	for (i = 0; i < PQntuples(res); i++)
		printf("%-16s %-20s %-4s %s\n", PQgetvalue(res, i, 0),
		    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
		    PQgetvalue(res, i, 3)[0] == 't' ? "department's own"
		                                    : "built-in");
	PQclear(res);
	return 0;
}

static int
tmpl_show(PGconn *pg, char **argv)
{
	const char *params[3] = { argv[0], argv[1], argv[2] };
	PGresult *res;
	struct buf b;
	int rv = 0;

	if (tmpl_check(argv[1], argv[2]) == -1)
		return 2;
	res = PQexecParams(pg,
	    "SELECT d.id, f.body FROM department d "
	    "LEFT JOIN feedback_template f ON f.department_id = d.id "
	    "AND f.template = $2 AND f.lang = $3 WHERE d.code = $1",
	    3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "tiplinectl: %s", PQerrorMessage(pg));
		rv = 1;
	} else if (PQntuples(res) != 1) {
		fprintf(stderr, "tiplinectl: no department %s\n", argv[0]);
		rv = 1;
	} else if (!PQgetisnull(res, 0, 1))
		printf("%s\n", PQgetvalue(res, 0, 1));
	else {
		buf_init(&b, 0);
		tmpl_builtin(argv[1], argv[2], &b);
		printf("%s\n", buf_cstr(&b));
		buf_reset(&b);
	}
	PQclear(res);
	return rv;
}

/* The file's text (or stdin's), trailing newlines dropped; -1 if it
 * cannot be read, is not UTF-8 or is empty or too long. */
static int
tmpl_read(const char *path, struct buf *b)
{
	char chunk[4096];
	size_t n, nchars;
	FILE *f;

	if (strcmp(path, "-") == 0)
		f = stdin;
	else if ((f = fopen(path, "r")) == NULL) {
		perror(path);
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 &&
	       b->len < TEMPLATE_MAX * 4 + 1)
		buf_append(b, chunk, n);
	if (f != stdin)
		fclose(f);
	while (b->len > 0 &&
	       (b->p[b->len - 1] == '\n' || b->p[b->len - 1] == '\r'))
		b->len--;
	if (b->err || b->len == 0 ||
	    !text_valid((const char *)b->p, b->len, &nchars) ||
	    nchars > TEMPLATE_MAX) {
		fprintf(stderr,
		    "tiplinectl: %s: a template is 1 to %d characters of "
		    "UTF-8\n",
		    path, TEMPLATE_MAX);
		return -1;
	}
	return 0;
}

static int
tmpl_set(PGconn *pg, char **argv, bool reset)
{
	const char *params[4] = { argv[0], argv[1], argv[2], NULL };
	PGresult *res;
	struct buf b;
	int rv = 0;

	if (tmpl_check(argv[1], argv[2]) == -1)
		return 2;
	buf_init(&b, 0);
	if (!reset) {
		if (tmpl_read(argv[3], &b) == -1) {
			buf_reset(&b);
			return 1;
		}
		params[3] = buf_cstr(&b);
	}
	res = PQexecParams(pg,
	    "WITH d AS (SELECT id FROM department WHERE code = $1), "
	    "del AS (DELETE FROM feedback_template f USING d "
	    "WHERE $4::text IS NULL AND f.department_id = d.id "
	    "AND f.template = $2 AND f.lang = $3), "
	    "ins AS (INSERT INTO feedback_template (department_id, template, "
	    "lang, body) SELECT d.id, $2, $3, $4 FROM d WHERE $4 IS NOT NULL "
	    "ON CONFLICT (department_id, template, lang) DO UPDATE "
	    "SET body = EXCLUDED.body, updated_at = now()) "
	    "SELECT audit_append(NULL, CASE WHEN $4 IS NULL "
	    "THEN 'template_reset' ELSE 'template_set' END, NULL, "
	    "jsonb_build_object('department', $1::text, 'template', $2::text, "
	    "'lang', $3::text), NULL) FROM d",
	    4, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "tiplinectl: %s", PQerrorMessage(pg));
		rv = 1;
	} else if (PQntuples(res) != 1) {
		fprintf(stderr, "tiplinectl: no department %s\n", argv[0]);
		rv = 1;
	} else
		printf("department %s: template %s (%s) %s\n", argv[0], argv[1],
		    argv[2], reset ? "is the built-in one" : "set");
	PQclear(res);
	buf_reset(&b);
	return rv;
}

int
ctl_templates(const struct cfg *cfg, int argc, char **argv)
{
	PGconn *pg;
	int rv;

	if (argc < 1 || !((strcmp(argv[0], "list") == 0 && argc <= 2) ||
	                    (strcmp(argv[0], "show") == 0 && argc == 4) ||
	                    (strcmp(argv[0], "set") == 0 && argc == 5) ||
	                    (strcmp(argv[0], "reset") == 0 && argc == 4)))
		ctl_usage();
	if ((pg = ctl_connect(cfg)) == NULL)
		return 1;
	if (strcmp(argv[0], "list") == 0)
		rv = tmpl_list(pg, argc == 2 ? argv[1] : NULL);
	else if (strcmp(argv[0], "show") == 0)
		rv = tmpl_show(pg, argv + 1);
	else
		rv = tmpl_set(pg, argv + 1, strcmp(argv[0], "reset") == 0);
	PQfinish(pg);
	return rv;
}
