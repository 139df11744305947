/*
 * The officer's work: the queue (keyset pages of the department's cases,
 * never OFFSET), the case page (its tips text first, screenshots blurred
 * and grey until revealed, why each tip joined, the history, notes) and
 * the actions on a case.
 *
 * Every query names the reviewer's department, so a case of another
 * department is "not found" whatever id is typed; actions are functions
 * in the database that check the department, the reviewer and the case's
 * version again and write the history and the audit log in the same
 * transaction.  A case page is shown only once its view is in the audit
 * log.
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
#include "search.h"
#include "seal.h"
#include "url.h"
#include "vocab.h"

#define CASE_PAGE_ROWS 50
/* Tips on one case page: a hundred reports of one post are plenty to
 * read at once, and a case of 500 would be 800 KB and 1,500 boxes to
 * open.  The statement takes one more to know whether more follow, and
 * pages by OFFSET: bounded by one case's tips, not by the queue. */
#define CASE_TIPS_PAGE 100
#define CASE_TIPS_MAX  10000000
#define CASE_MAX_TEXT  4000

/* ---- small things ---- */

/* A positive decimal id, or -1. */
static long long
case_parse_id(const char *s)
{
	long long v = 0;
	size_t i;

	if (s == NULL || s[0] == '\0' || strlen(s) > 18)
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v > 0 ? v : -1;
}

bool
console_is_uuid(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

static const char *
case_label(struct web_req *wr, const char *prefix, const char *word)
{
	char id[96];
	const char *t;

	snprintf(id, sizeof(id), "%s%s", prefix, word);
	t = i18n_get(wr->lang, id);
	return t != NULL ? t : word;
}

static const char *
case_platform_label(struct web_req *wr, const char *p)
{
	int i = vocab_find(vocab_platforms, VOCAB_NPLATFORMS, p, strlen(p));

	if (i < 0)
		return p;
	if (vocab_platform_names[i] != NULL)
		return vocab_platform_names[i];
	return case_label(wr, "form.platform.", p);
}

/* "a,b" (array_to_string) into labels joined by ", ". */
static const char *
case_labels(struct web_req *wr, const char *prefix, const char *csv)
{
	struct buf b;
	char word[64];
	const char *p = csv, *out;
	size_t n;

	buf_init(&b, 4096);
	while (*p != '\0') {
		n = strcspn(p, ",");
		snprintf(word, sizeof(word), "%.*s", (int)n, p);
		if (b.len > 0)
			buf_puts(&b, ", ");
		buf_puts(&b, case_label(wr, prefix, word));
		p += n;
		if (*p == ',')
			p++;
	}
	out = arena_strndup(&wr->arena, b.p != NULL ? (char *)b.p : "", b.len);
	buf_reset(&b);
	return out != NULL ? out : "";
}

static void
case_age(struct web_req *wr, long long secs, char *out, size_t len)
{
	if (secs < 3600)
		snprintf(out, len, "%lld %s", secs / 60 > 0 ? secs / 60 : 1,
		    i18n_get(wr->lang, "console.unit.min"));
	else if (secs < 2 * 86400)
		snprintf(out, len, "%lld %s", secs / 3600,
		    i18n_get(wr->lang, "console.unit.h"));
	else
		snprintf(out, len, "%lld %s", secs / 86400,
		    i18n_get(wr->lang, "console.unit.d"));
}

static const char *
case_dept_id(struct web_req *wr, char buf[8])
{
	snprintf(buf, 8, "%d", console_sess(wr)->department);
	return buf;
}

/* ---- the admin's home: accounts, no case content ---- */

static void
admin_on_reviewers(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	json_t *ctx, *rows;
	int i;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		web_error(wr, 503);
		return;
	}
	rows = json_array();
	for (i = 0; i < PQntuples(res); i++)
		json_array_append_new(rows,
		    json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:b}", "username",
		        PQgetvalue(res, i, 0), "name", PQgetvalue(res, i, 1),
		        "role",
		        case_label(wr, "console.role.", PQgetvalue(res, i, 2)),
		        "department", PQgetvalue(res, i, 3), "enrolled",
		        PQgetvalue(res, i, 4)[0] == 't', "disabled",
		        PQgetvalue(res, i, 5)[0] == 't', "locked",
		        PQgetvalue(res, i, 6)[0] == 't'));
	ctx = console_ctx(wr, "console.admin.title");
	json_object_set_new(ctx, "reviewers", rows);
	console_page(wr, 200, "admin", ctx);
}

/* ---- the queue ---- */

struct queue_q {
	char sort[16];   /* "priority", "age", "closed" */
	char status[16]; /* "", "new", "in_progress" */
	char motive[16];
	char platform[16];
	char channel[16];
	char flags[4]; /* m: mine, r: needs routing, l: late */
	char after[48];
};

static void
queue_copy(char *dst, size_t len, const char *v, const char *const *allowed,
    size_t n)
{
	dst[0] = '\0';
	if (v != NULL && vocab_find(allowed, n, v, strlen(v)) >= 0)
		snprintf(dst, len, "%s", v);
}

static void
queue_read(struct web_req *wr, struct queue_q *q)
{
	static const char *const sorts[] = { "priority", "age", "closed" };
	static const char *const statuses[] = { "new", "in_progress" };
	static const char *const channels[] = { "online", "place", "both" };
	const char *a;
	size_t i, n = 0;

	memset(q, 0, sizeof(*q));
	queue_copy(q->sort, sizeof(q->sort), web_query(wr, "sort"), sorts, 3);
	if (q->sort[0] == '\0')
		snprintf(q->sort, sizeof(q->sort), "priority");
	queue_copy(q->status, sizeof(q->status), web_query(wr, "status"),
	    statuses, 2);
	queue_copy(q->motive, sizeof(q->motive), web_query(wr, "motive"),
	    vocab_motives, VOCAB_NMOTIVES);
	queue_copy(q->platform, sizeof(q->platform), web_query(wr, "platform"),
	    vocab_platforms, VOCAB_NPLATFORMS);
	queue_copy(q->channel, sizeof(q->channel), web_query(wr, "channel"),
	    channels, 3);
	if (web_query(wr, "mine") != NULL)
		q->flags[n++] = 'm';
	if (web_query(wr, "routing") != NULL)
		q->flags[n++] = 'r';
	if (web_query(wr, "late") != NULL)
		q->flags[n++] = 'l';
	/* "KEY.ID" as queue_on_rows() wrote it: two numbers, nothing else. */
	a = web_query(wr, "after");
	if (a != NULL && strlen(a) < sizeof(q->after)) {
		size_t dots = 0;

		for (i = 0; a[i] != '\0'; i++) {
			if (a[i] == '.')
				dots++;
			else if (!isdigit((unsigned char)a[i]) &&
			         !(a[i] == '-' && (i == 0 || a[i - 1] == '.')))
				break;
		}
		if (a[i] == '\0' && dots == 1 && a[0] != '.' && a[i - 1] != '.')
			snprintf(q->after, sizeof(q->after), "%s", a);
	}
}

/* The query string of q with another "after". */
static const char *
queue_link(struct web_req *wr, const struct queue_q *q, const char *after)
{
	struct buf b;
	const char *out;

	buf_init(&b, 1024);
	buf_printf(&b, "/?sort=%s", q->sort);
	if (q->status[0] != '\0')
		buf_printf(&b, "&status=%s", q->status);
	if (q->motive[0] != '\0')
		buf_printf(&b, "&motive=%s", q->motive);
	if (q->platform[0] != '\0')
		buf_printf(&b, "&platform=%s", q->platform);
	if (q->channel[0] != '\0')
		buf_printf(&b, "&channel=%s", q->channel);
	if (strchr(q->flags, 'm') != NULL)
		buf_puts(&b, "&mine=1");
	if (strchr(q->flags, 'r') != NULL)
		buf_puts(&b, "&routing=1");
	if (strchr(q->flags, 'l') != NULL)
		buf_puts(&b, "&late=1");
	if (after != NULL)
		buf_printf(&b, "&after=%s", after);
	out = arena_strndup(&wr->arena, b.p, b.len);
	buf_reset(&b);
	return out != NULL ? out : "/";
}

/* The choices of a filter's <select>, the current one marked. */
static json_t *
queue_options(struct web_req *wr, const char *const *list, size_t n,
    const char *prefix, const char *cur)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(arr,
		    json_pack("{s:s, s:s, s:b}", "value", list[i], "label",
		        prefix != NULL ? case_label(wr, prefix, list[i])
		                       : case_platform_label(wr, list[i]),
		        "selected", strcmp(list[i], cur) == 0));
	return arr;
}

static void
queue_on_rows(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct queue_q *q = wr->data;
	static const char *const statuses[] = { "new", "in_progress" };
	static const char *const channels[] = { "online", "place", "both" };
	json_t *ctx, *rows, *row, *filters;
	char age[32], after[48];
	int i, n;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		rlog_warnx(wr, "queue failed, sqlstate %s", db_sqlstate(res));
		web_error(wr, 503);
		return;
	}
	n = PQntuples(res);
	rows = json_array();
	for (i = 0; i < n && i < CASE_PAGE_ROWS; i++) {
		case_age(wr, strtoll(PQgetvalue(res, i, 14), NULL, 10), age,
		    sizeof(age));
		row = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:b}",
		    "id", PQgetvalue(res, i, 0), "status",
		    case_label(wr, "console.status.", PQgetvalue(res, i, 1)),
		    "ntips", PQgetvalue(res, i, 2), "age", age, "assignee",
		    PQgetvalue(res, i, 6), "routing",
		    PQgetvalue(res, i, 5)[0] == 't', "late_ack",
		    PQgetvalue(res, i, 7)[0] == 't', "late_decide",
		    PQgetvalue(res, i, 8)[0] == 't', "mine",
		    PQgetvalue(res, i, 13)[0] == 't');
		json_object_set_new(row, "platform",
		    json_string(
		        PQgetvalue(res, i, 9)[0] != '\0'
		            ? case_platform_label(wr, PQgetvalue(res, i, 9))
		            : ""));
		json_object_set_new(row, "motives",
		    json_string(case_labels(wr, "form.motive.",
		        PQgetvalue(res, i, 10))));
		json_object_set_new(row, "excerpt",
		    json_string(console_excerpt(wr, PQgetvalue(res, i, 16),
		        PQgetvalue(res, i, 12))));
		json_object_set_new(row, "new_info",
		    json_boolean(PQgetvalue(res, i, 17)[0] == 't'));
		json_array_append_new(rows, row);
	}
	ctx = console_ctx(wr, "console.queue.title");
	json_object_set_new(ctx, "rows", rows);
	json_object_set_new(ctx, "empty", json_boolean(n == 0));
	if (n > CASE_PAGE_ROWS) {
		i = CASE_PAGE_ROWS - 1;
		snprintf(after, sizeof(after), "%s.%s",
		    PQgetvalue(res, i,
		        strcmp(q->sort, "age") == 0      ? 15
		        : strcmp(q->sort, "closed") == 0 ? 0
		                                         : 3),
		    PQgetvalue(res, i, 0));
		json_object_set_new(ctx, "next",
		    json_string(queue_link(wr, q, after)));
	}
	if (q->after[0] != '\0')
		json_object_set_new(ctx, "first",
		    json_string(queue_link(wr, q, NULL)));
	filters = json_object();
	json_object_set_new(filters, "sort_priority",
	    json_boolean(strcmp(q->sort, "priority") == 0));
	json_object_set_new(filters, "sort_age",
	    json_boolean(strcmp(q->sort, "age") == 0));
	json_object_set_new(filters, "sort_closed",
	    json_boolean(strcmp(q->sort, "closed") == 0));
	json_object_set_new(filters, "statuses",
	    queue_options(wr, statuses, 2, "console.status.", q->status));
	json_object_set_new(filters, "motives",
	    queue_options(wr, vocab_motives, VOCAB_NMOTIVES, "form.motive.",
	        q->motive));
	json_object_set_new(filters, "platforms",
	    queue_options(wr, vocab_platforms, VOCAB_NPLATFORMS, NULL,
	        q->platform));
	json_object_set_new(filters, "channels",
	    queue_options(wr, channels, 3, "console.channel.", q->channel));
	json_object_set_new(filters, "mine",
	    json_boolean(strchr(q->flags, 'm') != NULL));
	json_object_set_new(filters, "routing",
	    json_boolean(strchr(q->flags, 'r') != NULL));
	json_object_set_new(filters, "late",
	    json_boolean(strchr(q->flags, 'l') != NULL));
	json_object_set_new(ctx, "f", filters);
	console_page(wr, 200, "queue", ctx);
}

static void
queue_start(struct web_req *wr)
{
	struct console_session *s = console_sess(wr);
	struct queue_q *q;
	char dept[8], k1[24], k2[24], rev[16];
	const char *values[9];
	size_t stmt;

	if ((q = calloc(1, sizeof(*q))) == NULL) {
		web_error(wr, 503);
		return;
	}
	wr->data = q;
	wr->data_free = free;
	queue_read(wr, q);
	/* The keyset: where the previous page ended. */
	snprintf(k1, sizeof(k1), "%s", "2147483647");
	snprintf(k2, sizeof(k2), "%s", "9223372036854775807");
	if (strcmp(q->sort, "age") == 0)
		snprintf(k1, sizeof(k1), "%s", "0");
	if (strcmp(q->sort, "age") == 0)
		snprintf(k2, sizeof(k2), "%s", "0");
	if (q->after[0] != '\0' && strchr(q->after, '.') != NULL) {
		snprintf(k1, sizeof(k1), "%.*s",
		    (int)(strchr(q->after, '.') - q->after), q->after);
		snprintf(k2, sizeof(k2), "%s", strchr(q->after, '.') + 1);
	}
	snprintf(rev, sizeof(rev), "%d", s->reviewer);
	stmt = strcmp(q->sort, "age") == 0      ? STMT_CONSOLE_QUEUE_AGE
	       : strcmp(q->sort, "closed") == 0 ? STMT_CONSOLE_QUEUE_CLOSED
	                                        : STMT_CONSOLE_QUEUE_PRIORITY;
	values[0] = case_dept_id(wr, dept);
	values[1] = q->status;
	values[2] = k1;
	values[3] = k2;
	values[4] = q->motive;
	values[5] = q->platform;
	values[6] = q->channel;
	values[7] = q->flags;
	values[8] = rev;
	if (db_send(console_of(wr)->db, stmt, 9, values, NULL, NULL,
	        queue_on_rows, wr) == NULL)
		queue_on_rows(wr, NULL);
}

void
console_home(struct web_req *wr)
{
	if (console_sess(wr)->role == ROLE_ADMIN) {
		if (db_send(console_of(wr)->db, STMT_CONSOLE_REVIEWERS, 0, NULL,
		        NULL, NULL, admin_on_reviewers, wr) == NULL)
			admin_on_reviewers(wr, NULL);
		return;
	}
	queue_start(wr);
}

/* ---- the case page ---- */

enum case_part {
	CP_AUDIT,
	CP_CASE,
	CP_TIPS,
	CP_SHOTS,
	CP_EVENTS,
	CP_NOTES,
	CP_DEPTS,
	CP_FEEDBACK,
	CP_FOLLOWUPS,
	CP_PLATFORMS,
	CP_COUNT
};

struct case_page {
	long long id;
	int pending;
	bool failed;
	bool found;
	char reveal[48];     /* "TIP.SEQ" revealed without JavaScript */
	int status;          /* of the answer */
	long long tips_from; /* the first tip shown, from 0 */
	bool tips_more;      /* more tips after those shown */
	const char *notice_id;
	json_t *typed;      /* what the officer typed, when re-shown */
	json_t *dept_names; /* the case's department in fi, sv, en */
	json_t *parts[CP_COUNT];
};

static void
case_page_free(void *p)
{
	struct case_page *cp = p;
	int i;

	for (i = 0; i < CP_COUNT; i++)
		json_decref(cp->parts[i]);
	json_decref(cp->typed);
	json_decref(cp->dept_names);
	free(cp);
}

static json_t *
case_checks(struct web_req *wr, const char *const *list, size_t n,
    const char *prefix, const char *csv)
{
	json_t *arr = json_array();
	char pat[40];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(pat, sizeof(pat), ",%s,", list[i]);
		json_array_append_new(arr,
		    json_pack("{s:s, s:s, s:b}", "value", list[i], "label",
		        case_label(wr, prefix, list[i]), "checked",
		        csv != NULL && strstr(csv, pat) != NULL));
	}
	return arr;
}

/* Which tips are shown, and links to the others, when not all fit. */
static void
case_tip_pages(json_t *ctx, const struct case_page *cp, size_t shown)
{
	json_t *pages;

	if (cp->tips_from == 0 && !cp->tips_more)
		return;
	pages = json_pack("{s:I, s:I}", "from", (json_int_t)cp->tips_from + 1,
	    "to", (json_int_t)cp->tips_from + (json_int_t)shown);
	/* A string: the template takes the number 0 for "none". */
	if (cp->tips_from > 0)
		json_object_set_new(pages, "prev",
		    json_sprintf("%lld", cp->tips_from > CASE_TIPS_PAGE
		                             ? cp->tips_from - CASE_TIPS_PAGE
		                             : 0));
	if (cp->tips_more)
		json_object_set_new(pages, "next",
		    json_integer(cp->tips_from + CASE_TIPS_PAGE));
	json_object_set_new(ctx, "tip_pages", pages);
	if (cp->tips_from > 0)
		json_object_set_new(ctx, "tips_at",
		    json_integer(cp->tips_from));
}

static void
case_render(struct web_req *wr)
{
	struct case_page *cp = wr->data;
	struct console_session *s = console_sess(wr);
	json_t *ctx, *c = cp->parts[CP_CASE], *tips = cp->parts[CP_TIPS];
	json_t *shots = cp->parts[CP_SHOTS], *tip, *list, *shot;
	const char *tid, *grounds, *offences;
	char wrapped[600];
	size_t i, j;

	ctx = console_ctx(wr, "console.case.title");
	json_object_set(ctx, "case", c);
	json_object_set_new(ctx, "case_id", json_integer(cp->id));
	/* Screenshots under their tips. */
	json_array_foreach(tips, i, tip)
	{
		tid = json_string_value(json_object_get(tip, "id"));
		list = json_array();
		json_array_foreach(shots, j, shot)
		{
			if (strcmp(
			        json_string_value(json_object_get(shot, "tip")),
			        tid) != 0)
				continue;
			json_object_set_new(shot, "revealed",
			    json_boolean(
			        s->reveal_images ||
			        strcmp(json_string_value(
			                   json_object_get(shot, "key")),
			            cp->reveal) == 0));
			json_array_append(list, shot);
		}
		json_object_set_new(tip, "shots", list);
	}
	console_followups_place(tips, cp->parts[CP_FOLLOWUPS], c, cp->reveal,
	    s->reveal_images);
	json_object_set(ctx, "tips", tips);
	json_object_set_new(ctx, "split",
	    json_boolean(strcmp(json_string_value(json_object_get(c, "ntips")),
	                     "1") != 0));
	case_tip_pages(ctx, cp, json_array_size(tips));
	json_object_set(ctx, "events", cp->parts[CP_EVENTS]);
	json_object_set(ctx, "notes", cp->parts[CP_NOTES]);
	json_object_set(ctx, "departments", cp->parts[CP_DEPTS]);
	json_object_set_new(ctx, "outcomes",
	    case_checks(wr, vocab_outcomes, VOCAB_NOUTCOMES, "console.outcome.",
	        NULL));
	snprintf(wrapped, sizeof(wrapped), ",%s,",
	    json_string_value(json_object_get(c, "grounds_csv")));
	grounds = arena_strndup(&wr->arena, wrapped, strlen(wrapped));
	snprintf(wrapped, sizeof(wrapped), ",%s,",
	    json_string_value(json_object_get(c, "offences_csv")));
	offences = arena_strndup(&wr->arena, wrapped, strlen(wrapped));
	json_object_set_new(ctx, "grounds",
	    case_checks(wr, vocab_grounds, VOCAB_NGROUNDS, "form.motive.",
	        grounds));
	json_object_set_new(ctx, "offences",
	    case_checks(wr, vocab_offences, VOCAB_NOFFENCES, "console.offence.",
	        offences));
	if (cp->notice_id != NULL)
		json_object_set_new(ctx, "notice",
		    json_string(i18n_get(wr->lang, cp->notice_id)));
	if (cp->typed != NULL)
		json_object_set(ctx, "typed", cp->typed);
	console_feedback_render(wr, ctx, cp->parts[CP_FEEDBACK], tips, c,
	    cp->typed != NULL ? json_object_get(cp->typed, "feedback") : NULL,
	    cp->dept_names);
	json_object_set_new(ctx, "platform",
	    console_platform_ctx(wr, cp->parts[CP_PLATFORMS], cp->typed,
	        json_is_true(json_object_get(c, "closed"))));
	console_page(wr, cp->status, "case", ctx);
}

static void
case_part_done(struct web_req *wr)
{
	struct case_page *cp = wr->data;

	if (--cp->pending > 0)
		return;
	if (cp->failed) {
		web_header(wr, "Retry-After", "10");
		web_error(wr, 503);
		return;
	}
	if (!cp->found) {
		web_error(wr, 404);
		return;
	}
	case_render(wr);
}

static bool
case_part_ok(struct web_req *wr, PGresult *res)
{
	struct case_page *cp = wr->data;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		rlog_warnx(wr, "case page query failed, sqlstate %s",
		    db_sqlstate(res));
		cp->failed = true;
		return false;
	}
	return true;
}

static void
case_on_audit(void *arg, PGresult *res)
{
	struct web_req *wr = arg;

	(void)case_part_ok(wr, res);
	case_part_done(wr);
}

static void
case_on_case(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct case_page *cp = wr->data;
	const char *status;
	char opened[32], last[32], ack[32], decide[32];
	json_t *c;

	if (case_part_ok(wr, res) && PQntuples(res) == 1) {
		cp->found = true;
		status = PQgetvalue(res, 0, 1);
		console_format_time(PQgetvalue(res, 0, 5), opened,
		    sizeof(opened));
		console_format_time(PQgetvalue(res, 0, 6), last, sizeof(last));
		console_format_time(PQgetvalue(res, 0, 17), ack, sizeof(ack));
		console_format_time(PQgetvalue(res, 0, 18), decide,
		    sizeof(decide));
		c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, "
		              "s:b, s:b, s:b, s:b, s:b, s:b}",
		    "id", PQgetvalue(res, 0, 0), "status_label",
		    case_label(wr, "console.status.", status), "status", status,
		    "ntips", PQgetvalue(res, 0, 2), "version",
		    PQgetvalue(res, 0, 4), "opened", opened, "last_tip", last,
		    "routing", PQgetvalue(res, 0, 7)[0] == 't', "assignee",
		    PQgetvalue(res, 0, 9), "mine",
		    (int)db_ll(res, 0, 8) == console_sess(wr)->reviewer,
		    "assigned", (int)db_ll(res, 0, 8) != 0, "open",
		    strcmp(status, "new") == 0 ||
		        strcmp(status, "in_progress") == 0,
		    "is_new", strcmp(status, "new") == 0, "closed",
		    strcmp(status, "closed") == 0, "late_ack",
		    PQgetvalue(res, 0, 15)[0] == 't');
		json_object_set_new(c, "late_decide",
		    json_boolean(PQgetvalue(res, 0, 16)[0] == 't'));
		json_object_set_new(c, "ack_by", json_string(ack));
		json_object_set_new(c, "decide_by", json_string(decide));
		json_object_set_new(c, "merged_into",
		    json_string(PQgetvalue(res, 0, 14)[0] != '0'
		                    ? PQgetvalue(res, 0, 14)
		                    : ""));
		json_object_set_new(c, "outcome_code",
		    json_string(PQgetvalue(res, 0, 10)));
		if (PQgetvalue(res, 0, 10)[0] != '\0')
			json_object_set_new(c, "outcome",
			    json_string(case_label(wr, "console.outcome.",
			        PQgetvalue(res, 0, 10))));
		if (!PQgetisnull(res, 0, 11))
			json_object_set_new(c, "hate",
			    json_string(i18n_get(wr->lang,
			        PQgetvalue(res, 0, 11)[0] == 't'
			            ? "console.hate.yes"
			            : "console.hate.no")));
		json_object_set_new(c, "grounds_csv",
		    json_string(PQgetvalue(res, 0, 12)));
		json_object_set_new(c, "offences_csv",
		    json_string(PQgetvalue(res, 0, 13)));
		json_object_set_new(c, "grounds_label",
		    json_string(case_labels(wr, "form.motive.",
		        PQgetvalue(res, 0, 12))));
		json_object_set_new(c, "offences_label",
		    json_string(case_labels(wr, "console.offence.",
		        PQgetvalue(res, 0, 13))));
		cp->parts[CP_CASE] = c;
	}
	case_part_done(wr);
}

/*
 * A case's sealed texts (each tip's description, link and place) are
 * opened on the console's open pool, in as many slices as it has threads:
 * 1,500 boxes of a 500-tip case are 60 ms of X25519 that would otherwise
 * hold up every other request on the loop.  The tips' other fields are
 * put in place first; the texts follow when the slices are done.
 */
#define CASE_TEXTS     3  /* description, link, place */
#define CASE_SLICE_MIN 16 /* tips worth a slice of their own */

struct case_open {
	struct web_req *wr;
	const struct console_keys *keys; /* read-only while the page lives */
	int ntips;
	char **text; /* ntips * CASE_TEXTS: hex in, plain text out */
	int slices;  /* still running */
};

struct case_slice {
	struct case_open *o;
	int from, to;
};

/* Pool thread: opens the texts of tips [from, to) in place. */
static void
case_open_work(void *arg)
{
	struct case_slice *sl = arg;
	const struct console_keys *keys = sl->o->keys;
	char **t = sl->o->text;
	uint8_t *plain;
	size_t plen;
	int i;

	for (i = sl->from * CASE_TEXTS; i < sl->to * CASE_TEXTS; i++) {
		if (t[i] == NULL)
			continue;
		plain = NULL;
		if (t[i][0] != '\0')
			plain = seal_open_hex(keys->public_key,
			    keys->secret_key, t[i], &plen);
		free(t[i]);
		t[i] = (char *)plain; /* NUL-terminated by seal_open */
	}
}

static void
case_open_free(struct case_open *o)
{
	int i;

	for (i = 0; i < o->ntips * CASE_TEXTS; i++)
		if (o->text[i] != NULL)
			util_free_secret(o->text[i], strlen(o->text[i]));
	free(o->text);
	free(o);
}

/* Loop: puts the opened texts of every tip in place. */
static void
case_open_place(struct case_open *o)
{
	struct case_page *cp = o->wr->data;
	const char *errstr, *url, *place;
	char canon[URL_MAX_BYTES + 1];
	json_t *t;
	int i;

	for (i = 0; i < o->ntips; i++) {
		t = json_array_get(cp->parts[CP_TIPS], (size_t)i);
		json_object_set_new(t, "description",
		    json_string(o->text[i * CASE_TEXTS] != NULL
		                    ? o->text[i * CASE_TEXTS]
		                    : ""));
		url = o->text[i * CASE_TEXTS + 1];
		if (url != NULL && url[0] != '\0') {
			json_object_set_new(t, "url", json_string(url));
			if (url_canonical(url, strlen(url), canon,
			        sizeof(canon), &errstr) > 0 &&
			    strcmp(canon, url) != 0)
				json_object_set_new(t, "canonical",
				    json_string(canon));
		}
		place = o->text[i * CASE_TEXTS + 2];
		if (place != NULL && place[0] != '\0')
			json_object_set_new(t, "place", json_string(place));
	}
}

static void
case_open_done(void *arg)
{
	struct case_slice *sl = arg;
	struct case_open *o = sl->o;
	struct web_req *wr = o->wr;

	free(sl);
	if (--o->slices == 0) {
		case_open_place(o);
		case_open_free(o);
	}
	case_part_done(wr);
}

/* Starts opening; each slice is one more part the page waits for.  With
 * the pool full, opens on the loop rather than fail the page. */
static void
case_open_start(struct web_req *wr, struct case_open *o)
{
	struct case_page *cp = wr->data;
	struct case_slice *sl;
	int nslices, per, i;

	nslices = o->ntips / CASE_SLICE_MIN;
	if (nslices < 1)
		nslices = 1;
	if (nslices > (int)console_of(wr)->cfg->console_threads)
		nslices = (int)console_of(wr)->cfg->console_threads;
	per = (o->ntips + nslices - 1) / nslices;
	for (i = 0; i < nslices; i++) {
		sl = xcalloc(1, sizeof(*sl));
		sl->o = o;
		sl->from = i * per;
		sl->to = sl->from + per < o->ntips ? sl->from + per : o->ntips;
		o->slices++;
		cp->pending++;
		if (tpool_submit(console_of(wr)->open_pool, case_open_work,
		        case_open_done, sl) == -1) {
			case_open_work(sl);
			case_open_done(sl);
		}
	}
}

static void
case_on_tips(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct case_page *cp = wr->data;
	struct case_open *o = NULL;
	const char *matched, *muni;
	enum lang tl;
	char when[32], dist[16];
	json_t *arr, *t;
	int i, k;

	if (case_part_ok(wr, res)) {
		arr = json_array();
		o = xcalloc(1, sizeof(*o));
		o->wr = wr;
		o->keys = &console_of(wr)->keys;
		o->ntips = PQntuples(res);
		if (o->ntips > CASE_TIPS_PAGE) {
			cp->tips_more = true;
			o->ntips = CASE_TIPS_PAGE;
		}
		o->text =
		    xcalloc((size_t)o->ntips * CASE_TEXTS + 1, sizeof(char *));
		for (i = 0; i < o->ntips; i++) {
			console_format_time(PQgetvalue(res, i, 1), when,
			    sizeof(when));
			matched = PQgetvalue(res, i, 13);
			t = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			    "id", PQgetvalue(res, i, 0), "received", when,
			    "lang",
			    case_label(wr, "console.lang.",
			        PQgetvalue(res, i, 2)),
			    "channel",
			    case_label(wr, "console.channel.",
			        PQgetvalue(res, i, 3)),
			    "date", PQgetvalue(res, i, 7), "motives",
			    case_labels(wr, "form.motive.",
			        PQgetvalue(res, i, 8)),
			    "feedback",
			    case_label(wr, "console.feedback.",
			        PQgetvalue(res, i, 9)));
			json_object_set_new(t, "n",
			    json_integer(cp->tips_from + i + 1));
			json_object_set_new(t, "asks",
			    json_boolean(PQgetvalue(res, i, 16)[0] == 't'));
			/* Sent from a page in a language the staff may not
			 * read: said plainly, never machine-translated. */
			if (i18n_from_code(PQgetvalue(res, i, 2), 2, &tl) ==
			        0 &&
			    tl >= LANG_STAFF_COUNT)
				json_object_set_new(t, "lang_note",
				    json_true());
			for (k = 0; k < CASE_TEXTS; k++)
				o->text[i * CASE_TEXTS + k] =
				    xstrdup(PQgetvalue(res, i, 10 + k));
			/* null, not absent: the template would find the
			 * page's own "platform" instead. */
			json_object_set_new(t, "platform",
			    PQgetvalue(res, i, 4)[0] != '\0'
			        ? json_string(case_platform_label(wr,
			              PQgetvalue(res, i, 4)))
			        : json_null());
			muni = PQgetvalue(res, i, wr->lang == LANG_SV ? 6 : 5);
			if (muni[0] != '\0')
				json_object_set_new(t, "municipality",
				    json_string(muni));
			json_object_set_new(t, "matched",
			    json_string(
			        case_label(wr, "console.matched.", matched)));
			if ((int)db_ll(res, i, 14) >= 0) {
				snprintf(dist, sizeof(dist), "%s",
				    PQgetvalue(res, i, 14));
				json_object_set_new(t, "distance",
				    json_string(dist));
			}
			json_array_append_new(arr, t);
		}
		cp->parts[CP_TIPS] = arr;
		if (o->ntips > 0)
			case_open_start(wr, o);
		else
			case_open_free(o);
	}
	case_part_done(wr);
}

static void
case_on_shots(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct case_page *cp = wr->data;
	char key[64];
	json_t *arr;
	int i;

	if (case_part_ok(wr, res)) {
		arr = json_array();
		for (i = 0; i < PQntuples(res); i++) {
			snprintf(key, sizeof(key), "%s.%s",
			    PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
			json_array_append_new(arr,
			    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}",
			        "tip", PQgetvalue(res, i, 0), "seq",
			        PQgetvalue(res, i, 1), "key", key, "width",
			        PQgetvalue(res, i, 2), "height",
			        PQgetvalue(res, i, 3), "text",
			        console_unseal_text(wr, PQgetvalue(res, i, 4)),
			        "case", (json_int_t)cp->id));
		}
		cp->parts[CP_SHOTS] = arr;
	}
	case_part_done(wr);
}

/* What an event's detail adds for a person: the outcome of a closing,
 * the case a merge or a split went into. */
static const char *
case_event_extra(struct web_req *wr, const char *kind, const char *detail)
{
	json_t *d = json_loads(detail, 0, NULL), *v;
	char buf[160];
	const char *out = NULL;

	if (d == NULL)
		return NULL;
	if (strcmp(kind, "close") == 0 &&
	    json_is_string(v = json_object_get(d, "outcome")))
		out = case_label(wr, "console.outcome.", json_string_value(v));
	else if ((strcmp(kind, "merge") == 0 || strcmp(kind, "split") == 0) &&
	         json_is_integer(v = json_object_get(d, "into"))) {
		snprintf(buf, sizeof(buf), "→ #%lld",
		    (long long)json_integer_value(v));
		out = arena_strndup(&wr->arena, buf, strlen(buf));
	} else if (strcmp(kind, "notice") == 0 &&
	           json_is_string(v = json_object_get(d, "platform")))
		out = case_platform_label(wr, json_string_value(v));
	json_decref(d);
	return out;
}

static void
case_on_events(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct case_page *cp = wr->data;
	const char *extra;
	char when[32];
	json_t *arr, *ev;
	int i;

	if (case_part_ok(wr, res)) {
		arr = json_array();
		for (i = 0; i < PQntuples(res); i++) {
			console_format_time(PQgetvalue(res, i, 0), when,
			    sizeof(when));
			ev = json_pack("{s:s, s:s, s:s, s:s}", "at", when,
			    "who", PQgetvalue(res, i, 1), "what",
			    case_label(wr, "console.event.",
			        PQgetvalue(res, i, 2)),
			    "reason", PQgetvalue(res, i, 3));
			extra = case_event_extra(wr, PQgetvalue(res, i, 2),
			    PQgetvalue(res, i, 4));
			if (extra != NULL)
				json_object_set_new(ev, "extra",
				    json_string(extra));
			json_array_append_new(arr, ev);
		}
		cp->parts[CP_EVENTS] = arr;
	}
	case_part_done(wr);
}

static void
case_on_notes(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct case_page *cp = wr->data;
	char when[32];
	json_t *arr;
	int i;

	if (case_part_ok(wr, res)) {
		arr = json_array();
		for (i = 0; i < PQntuples(res); i++) {
			console_format_time(PQgetvalue(res, i, 1), when,
			    sizeof(when));
			json_array_append_new(arr,
			    json_pack("{s:s, s:s, s:s}", "at", when, "who",
			        PQgetvalue(res, i, 2), "text",
			        console_unseal_text(wr,
			            PQgetvalue(res, i, 3))));
		}
		cp->parts[CP_NOTES] = arr;
	}
	case_part_done(wr);
}

static void
case_on_feedback(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct case_page *cp = wr->data;

	if (case_part_ok(wr, res))
		cp->parts[CP_FEEDBACK] = console_feedback_part(wr, res);
	case_part_done(wr);
}

static void
case_on_followups(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct case_page *cp = wr->data;

	if (case_part_ok(wr, res))
		cp->parts[CP_FOLLOWUPS] = console_followups(wr, res, cp->id);
	case_part_done(wr);
}

static void
case_on_depts(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct case_page *cp = wr->data;
	json_t *arr;
	int i;

	if (case_part_ok(wr, res)) {
		arr = json_array();
		for (i = 0; i < PQntuples(res); i++) {
			if ((int)db_ll(res, i, 0) ==
			    console_sess(wr)->department) {
				json_decref(cp->dept_names);
				cp->dept_names = json_pack("[s, s, s]",
				    PQgetvalue(res, i, 2),
				    PQgetvalue(res, i, 3),
				    PQgetvalue(res, i, 4));
				continue;
			}
			json_array_append_new(arr,
			    json_pack("{s:s, s:s}", "id", PQgetvalue(res, i, 0),
			        "name", PQgetvalue(res, i, 2 + (int)wr->lang)));
		}
		cp->parts[CP_DEPTS] = arr;
	}
	case_part_done(wr);
}

static void
case_on_platforms(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct case_page *cp = wr->data;

	if (case_part_ok(wr, res))
		cp->parts[CP_PLATFORMS] = console_platform_rows(wr, res);
	case_part_done(wr);
}

/* Sends every query of the page at once; the page is rendered when the
 * last one is back.  Takes ownership of typed. */
static void
case_show(struct web_req *wr, long long id, int status, const char *notice_id,
    json_t *typed, const char *reveal)
{
	struct console *co = console_of(wr);
	struct console_session *s = console_sess(wr);
	static db_result_fn *const fns[CP_COUNT] = { case_on_audit,
		case_on_case, case_on_tips, case_on_shots, case_on_events,
		case_on_notes, case_on_depts, case_on_feedback,
		case_on_followups, case_on_platforms };
	static const size_t stmts[CP_COUNT] = { STMT_CONSOLE_CASE_VIEWED,
		STMT_CONSOLE_CASE, STMT_CONSOLE_CASE_TIPS,
		STMT_CONSOLE_CASE_SHOTS, STMT_CONSOLE_CASE_EVENTS,
		STMT_CONSOLE_CASE_NOTES, STMT_CONSOLE_DEPARTMENTS,
		STMT_CONSOLE_CASE_FEEDBACK, STMT_CONSOLE_CASE_FOLLOWUPS,
		STMT_CONSOLE_CASE_PLATFORMS };
	struct case_page *cp;
	char cid[24], dept[8], rev[16], from[24];
	const char *values[5], *tips = web_query(wr, "tips"), *errstr;
	int i, nparams;

	if ((cp = calloc(1, sizeof(*cp))) == NULL) {
		json_decref(typed);
		web_error(wr, 503);
		return;
	}
	if (wr->data_free != NULL && wr->data != NULL)
		wr->data_free(wr->data);
	wr->data = cp;
	wr->data_free = case_page_free;
	cp->id = id;
	cp->status = status;
	cp->notice_id = notice_id;
	cp->typed = typed;
	if (reveal != NULL && strlen(reveal) < sizeof(cp->reveal))
		snprintf(cp->reveal, sizeof(cp->reveal), "%s", reveal);
	/* A page of tips from ?tips=, on a page's boundary; anything else
	 * is the first page. */
	if (tips == NULL || util_parse_ll(tips, 0, CASE_TIPS_MAX,
	                        &cp->tips_from, &errstr) == -1)
		cp->tips_from = 0;
	cp->tips_from -= cp->tips_from % CASE_TIPS_PAGE;
	snprintf(from, sizeof(from), "%lld", cp->tips_from);
	snprintf(cid, sizeof(cid), "%lld", id);
	snprintf(rev, sizeof(rev), "%d", s->reviewer);
	cp->pending = CP_COUNT;
	for (i = 0; i < CP_COUNT; i++) {
		if (i == CP_AUDIT) {
			values[0] = rev;
			values[1] = cid;
			values[2] = case_dept_id(wr, dept);
			nparams = 3;
		} else if (i == CP_DEPTS)
			nparams = 0;
		else {
			values[0] = cid;
			values[1] = case_dept_id(wr, dept);
			values[2] = i == CP_FOLLOWUPS ? rev : from;
			nparams = i == CP_TIPS || i == CP_FOLLOWUPS ? 3 : 2;
		}
		if (db_send(co->db, stmts[i], nparams, values, NULL, NULL,
		        fns[i], wr) == NULL)
			fns[i](wr, NULL);
	}
}

void
console_case_get(struct web_req *wr)
{
	long long id = case_parse_id(wr->args[0]);

	if (id < 0) {
		web_error(wr, 404);
		return;
	}
	case_show(wr, id, 200, NULL, NULL, web_query(wr, "reveal"));
}

/* ---- screenshots ---- */

static void
shot_on_row(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct console *co = console_of(wr);
	struct evbuffer *body;
	uint8_t *plain;
	size_t plen;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		web_error(wr, 503);
		return;
	}
	if (PQntuples(res) != 1) {
		web_error(wr, 404);
		return;
	}
	plain = seal_open_hex(co->keys.public_key, co->keys.secret_key,
	    PQgetvalue(res, 0, 1), &plen);
	if (plain == NULL || (body = evbuffer_new()) == NULL) {
		if (plain != NULL)
			util_free_secret(plain, plen);
		rlog_warnx(wr, "screenshot does not open");
		web_error(wr, 500);
		return;
	}
	evbuffer_add(body, plain, plen);
	util_free_secret(plain, plen);
	/* Only a screenshot shown is a reveal: the ids were checked against
	 * the reviewer's department by the statement. */
	if (web_query(wr, "reveal") != NULL)
		console_audit(co, console_sess(wr)->reviewer, "image_reveal",
		    case_parse_id(wr->args[0]),
		    json_pack("{s:s, s:I}", "tip", wr->args[1], "seq",
		        (json_int_t)case_parse_id(wr->args[2])),
		    NULL);
	web_header(wr, "Content-Type", PQgetvalue(res, 0, 0));
	web_header(wr, "Content-Disposition", "inline");
	web_header(wr, "Cache-Control", "private, no-store");
	web_send(wr, 200, body);
	evbuffer_free(body);
}

void
console_shot_get(struct web_req *wr)
{
	long long id = case_parse_id(wr->args[0]);
	long long seq = case_parse_id(wr->args[2]);
	const char *values[4];
	char dept[8], seqs[8];

	/* seq: a smallint; follow-ups' screenshots number on after the
	 * tip's own. */
	if (id < 0 || !console_is_uuid(wr->args[1]) || seq < 0 || seq > 32767) {
		web_error(wr, 404);
		return;
	}
	snprintf(seqs, sizeof(seqs), "%lld", seq);
	values[0] = wr->args[0];
	values[1] = case_dept_id(wr, dept);
	values[2] = wr->args[1];
	values[3] = seqs;
	if (db_send(console_of(wr)->db, STMT_CONSOLE_SHOT, 4, values, NULL,
	        NULL, shot_on_row, wr) == NULL)
		shot_on_row(wr, NULL);
}

/* ---- actions ---- */

struct action {
	long long id;
	const char *name;
	const char *reason;
	const char *note;
	const char *other;
	const char *tip;
	const char *dept;
	json_t *typed; /* the form as typed, for an action with its own */
	struct form form;
};

/* What the officer typed, under the action's name, for the form it came
 * from: {"close": {"reason": ...}}. */
static json_t *
case_typed(struct web_req *wr, const char *action, const struct form *f)
{
	static const char *const fields[] = { "reason", "note", "other",
		"platform", "sent_on", "acknowledged_on", "decision",
		"decided_on", "message", "lang", "template", "tip" };
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fields); i++)
		json_object_set_new(o, fields[i],
		    json_string(console_field(wr, f, fields[i])));
	return json_pack("{s:o}", action, o);
}

static json_t *
action_typed(struct web_req *wr, struct action *a)
{
	if (a->typed != NULL)
		return json_incref(a->typed);
	return case_typed(wr, a->name, &a->form);
}

static void
action_on_done(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct action *a = wr->data;
	const char *state = db_sqlstate(res);
	char loc[64];

	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK) {
		if (strcmp(a->name, "move") == 0) {
			web_redirect(wr, "/?done=moved");
			return;
		}
		snprintf(loc, sizeof(loc), "/case/%s%s",
		    strcmp(a->name, "merge") == 0 ? PQgetvalue(res, 0, 0)
		                                  : wr->args[0],
		    strcmp(a->name, "feedback") == 0 ? "#feedback-h" : "");
		web_redirect(wr, loc);
		return;
	}
	if (res != NULL && strcmp(state, SQLSTATE_TL_FORBIDDEN) == 0) {
		web_error(wr, 404);
		return;
	}
	if (res != NULL && strcmp(state, SQLSTATE_TL_CONFLICT) == 0) {
		rlog_info(wr, "conflict on case %lld", a->id);
		case_show(wr, a->id, 409, "console.case.conflict",
		    action_typed(wr, a), NULL);
		return;
	}
	if (res != NULL && strcmp(state, SQLSTATE_TL_INVALID) == 0) {
		case_show(wr, a->id, 422,
		    strcmp(a->name, "platform") == 0
		        ? "console.platform.invalid"
		        : "console.case.invalid",
		    action_typed(wr, a), NULL);
		return;
	}
	rlog_warnx(wr, "action %s failed, sqlstate %s", a->name, state);
	web_header(wr, "Retry-After", "10");
	case_show(wr, a->id, 503, "console.error.unavailable",
	    action_typed(wr, a), NULL);
}

/* "a,b" of a repeated field's valid values, as a text[] literal. */
static const char *
action_array(struct web_req *wr, const struct form *f, const char *field,
    const char *const *list, size_t n)
{
	struct buf b;
	const char *out;
	size_t i;

	buf_init(&b, 1024);
	buf_puts(&b, "{");
	for (i = 0; i < f->nparts; i++) {
		const struct form_part *p = &f->parts[i];

		if (p->name.len != strlen(field) ||
		    memcmp(p->name.p, field, p->name.len) != 0 ||
		    vocab_find(list, n, (const char *)p->body.p, p->body.len) <
		        0)
			continue;
		if (b.len > 1)
			buf_puts(&b, ",");
		buf_append(&b, p->body.p, p->body.len);
	}
	buf_puts(&b, "}");
	out = arena_strndup(&wr->arena, b.p, b.len);
	buf_reset(&b);
	return out != NULL ? out : "{}";
}

/* The version the officer saw, to merge with; then the merge. */
static void
action_on_other(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct action *a = wr->data;
	char rev[16], id[24], version[16];
	const char *values[6];

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		action_on_done(wr, NULL);
		return;
	}
	if (PQntuples(res) != 1) {
		case_show(wr, a->id, 422, "console.case.no_other",
		    action_typed(wr, a), NULL);
		return;
	}
	snprintf(rev, sizeof(rev), "%d", console_sess(wr)->reviewer);
	snprintf(id, sizeof(id), "%lld", a->id);
	snprintf(version, sizeof(version), "%s",
	    console_field(wr, &a->form, "version"));
	values[0] = rev;
	values[1] = id;
	values[2] = version;
	values[3] = PQgetvalue(res, 0, 0);
	values[4] = PQgetvalue(res, 0, 4);
	values[5] = a->reason;
	if (db_send(console_of(wr)->db, STMT_CONSOLE_MERGE, 6, values, NULL,
	        NULL, action_on_done, wr) == NULL)
		action_on_done(wr, NULL);
}

static void
action_free(void *p)
{
	struct action *a = p;

	json_decref(a->typed);
	free(a);
}

void
console_case_show(struct web_req *wr, long long id, int status,
    const char *notice_id, json_t *typed)
{
	case_show(wr, id, status, notice_id, typed, NULL);
}

void
console_case_action(struct web_req *wr, long long id, size_t stmt, int n,
    const char *const *values, const int *lengths, const int *formats,
    json_t *typed)
{
	struct action *a = wr->data;

	a->typed = typed;
	if (db_send(console_of(wr)->db, stmt, n, values, lengths, formats,
	        action_on_done, wr) == NULL)
		action_on_done(wr, NULL);
	(void)id;
}

void
console_case_refused(struct web_req *wr)
{
	long long id = case_parse_id(wr->args[0]);
	struct form f;

	if (id < 0) {
		web_error(wr, 404);
		return;
	}
	if (console_form(wr, &f) == -1)
		return;
	case_show(wr, id, 403, "console.error.refused",
	    case_typed(wr, wr->args[1], &f), NULL);
}

void
console_case_post(struct web_req *wr)
{
	struct console *co = console_of(wr);
	struct console_session *s = console_sess(wr);
	const char *values[8], *version, *hate;
	char rev[16], dept[8];
	uint8_t *sealed;
	size_t stmt, n = 0, slen;
	int lengths[8] = { 0 }, formats[8] = { 0 };
	struct action *a;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		web_error(wr, 503);
		return;
	}
	wr->data = a;
	wr->data_free = action_free;
	a->id = case_parse_id(wr->args[0]);
	a->name = wr->args[1];
	if (a->id < 0) {
		web_error(wr, 404);
		return;
	}
	if (console_form(wr, &a->form) == -1)
		return;
	if (strcmp(a->name, "feedback") == 0) {
		console_feedback_post(wr, a->id, &a->form);
		return;
	}
	a->reason = console_field(wr, &a->form, "reason");
	a->note = console_field(wr, &a->form, "note");
	a->other = console_field(wr, &a->form, "other");
	a->tip = console_field(wr, &a->form, "tip");
	a->dept = console_field(wr, &a->form, "department");
	version = console_field(wr, &a->form, "version");
	/* The platform's answer changes no case, so takes no version. */
	if (strlen(a->reason) > CASE_MAX_TEXT ||
	    strlen(a->note) > CASE_MAX_TEXT ||
	    (case_parse_id(version) < 0 && strcmp(a->name, "platform") != 0)) {
		case_show(wr, a->id, 422, "console.case.invalid",
		    action_typed(wr, a), NULL);
		return;
	}
	snprintf(rev, sizeof(rev), "%d", s->reviewer);
	values[0] = rev;
	values[1] = wr->args[0];
	values[2] = version;
	if (strcmp(a->name, "assign") == 0 ||
	    strcmp(a->name, "unassign") == 0) {
		stmt = STMT_CONSOLE_ASSIGN;
		values[3] = strcmp(a->name, "assign") == 0 ? rev : NULL;
		n = 4;
	} else if (strcmp(a->name, "start") == 0) {
		stmt = STMT_CONSOLE_START;
		n = 3;
	} else if (strcmp(a->name, "close") == 0) {
		stmt = STMT_CONSOLE_CLOSE;
		hate = console_field(wr, &a->form, "hate");
		values[3] = console_field(wr, &a->form, "outcome");
		values[4] = strcmp(hate, "yes") == 0  ? "true"
		            : strcmp(hate, "no") == 0 ? "false"
		                                      : NULL;
		values[5] = action_array(wr, &a->form, "ground", vocab_grounds,
		    VOCAB_NGROUNDS);
		values[6] = action_array(wr, &a->form, "offence",
		    vocab_offences, VOCAB_NOFFENCES);
		values[7] = a->reason;
		n = 8;
	} else if (strcmp(a->name, "reopen") == 0) {
		stmt = STMT_CONSOLE_REOPEN;
		values[3] = a->reason;
		n = 4;
	} else if (strcmp(a->name, "move") == 0) {
		stmt = STMT_CONSOLE_MOVE;
		if (case_parse_id(a->dept) < 0 ||
		    case_parse_id(a->dept) > 32767) {
			case_show(wr, a->id, 422, "console.case.invalid",
			    action_typed(wr, a), NULL);
			return;
		}
		values[3] = a->dept;
		values[4] = a->reason;
		n = 5;
	} else if (strcmp(a->name, "split") == 0) {
		stmt = STMT_CONSOLE_SPLIT;
		if (!console_is_uuid(a->tip)) {
			case_show(wr, a->id, 422, "console.case.invalid",
			    action_typed(wr, a), NULL);
			return;
		}
		values[3] = a->tip;
		values[4] = a->reason;
		n = 5;
	} else if (strcmp(a->name, "merge") == 0) {
		if (case_parse_id(a->other) < 0) {
			case_show(wr, a->id, 422, "console.case.no_other",
			    action_typed(wr, a), NULL);
			return;
		}
		values[0] = a->other;
		values[1] = case_dept_id(wr, dept);
		if (db_send(co->db, STMT_CONSOLE_CASE, 2, values, NULL, NULL,
		        action_on_other, wr) == NULL)
			action_on_other(wr, NULL);
		return;
	} else if (strcmp(a->name, "platform") == 0) {
		stmt = STMT_CONSOLE_NOTICE_TRACK;
		if (console_notice_track_values(wr, &a->form, values + 2) ==
		    -1) {
			case_show(wr, a->id, 422, "console.platform.invalid",
			    action_typed(wr, a), NULL);
			return;
		}
		n = 7;
	} else if (strcmp(a->name, "note") == 0) {
		if (a->note[0] == '\0') {
			case_show(wr, a->id, 422, "console.case.invalid",
			    action_typed(wr, a), NULL);
			return;
		}
		slen = strlen(a->note);
		if ((sealed = seal_box(co->keys.public_key, a->note, slen)) ==
		    NULL) {
			web_error(wr, 503);
			return;
		}
		values[2] = (const char *)sealed;
		lengths[2] = (int)(slen + SEAL_OVERHEAD);
		formats[2] = 1;
		if (db_send(co->db, STMT_CONSOLE_NOTE, 3, values, lengths,
		        formats, action_on_done, wr) == NULL)
			action_on_done(wr, NULL);
		util_free_secret(sealed, slen + SEAL_OVERHEAD);
		return;
	} else {
		web_error(wr, 404);
		return;
	}
	if (db_send(co->db, stmt, (int)n, values, NULL, NULL, action_on_done,
	        wr) == NULL)
		action_on_done(wr, NULL);
}

/* ---- search ---- */

#define SEARCH_TIPS  300 /* tips checked for one query */
#define SEARCH_CASES 50  /* cases shown */

struct search_q {
	char q[256];
	struct buf norm;
};

static void
search_free(void *p)
{
	struct search_q *s = p;

	buf_reset(&s->norm);
	sodium_memzero(s, sizeof(*s));
	free(s);
}

static void
search_page(struct web_req *wr, int status, json_t *rows, bool searched)
{
	struct search_q *s = wr->data;
	json_t *ctx = console_ctx(wr, "console.search.title");

	json_object_set_new(ctx, "q", json_string(s != NULL ? s->q : ""));
	json_object_set_new(ctx, "searched", json_boolean(searched));
	if (rows != NULL) {
		json_object_set_new(ctx, "empty",
		    json_boolean(json_array_size(rows) == 0));
		json_object_set_new(ctx, "rows", rows);
	}
	console_page(wr, status, "search", ctx);
}

/* Rows come grouped by case, then tip: the tip's texts are opened and
 * joined, and the tip counts only if every word of the query is in them
 * (the index's tokens can collide, and a prefix is broader than what was
 * typed). */
static void
search_on_rows(void *arg, PGresult *res)
{
	struct web_req *wr = arg;
	struct search_q *s = wr->data;
	const char *text, *excerpt = NULL, *last_case = "";
	struct buf all;
	json_t *rows;
	int i, n;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		rlog_warnx(wr, "search failed, sqlstate %s", db_sqlstate(res));
		web_header(wr, "Retry-After", "10");
		web_error(wr, 503);
		return;
	}
	rows = json_array();
	n = PQntuples(res);
	buf_init(&all, 0);
	for (i = 0; i < n && json_array_size(rows) < SEARCH_CASES; i++) {
		text = console_unseal_text(wr, PQgetvalue(res, i, 7));
		if (PQgetvalue(res, i, 6)[0] == 'd')
			excerpt = text;
		buf_puts(&all, text);
		buf_puts(&all, " ");
		if (i + 1 < n && strcmp(PQgetvalue(res, i, 5),
		                     PQgetvalue(res, i + 1, 5)) == 0)
			continue;
		/* The tip's last text: does it match, for a case not
		 * listed yet? */
		if (strcmp(PQgetvalue(res, i, 0), last_case) != 0 &&
		    search_matches((const char *)s->norm.p, s->norm.len,
		        (const char *)all.p, all.len)) {
			last_case = PQgetvalue(res, i, 0);
			json_array_append_new(rows,
			    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id",
			        PQgetvalue(res, i, 0), "status",
			        case_label(wr, "console.status.",
			            PQgetvalue(res, i, 1)),
			        "ntips", PQgetvalue(res, i, 2), "opened",
			        PQgetvalue(res, i, 3), "assignee",
			        PQgetvalue(res, i, 4), "excerpt",
			        console_excerpt_of(wr,
			            excerpt != NULL ? excerpt : "")));
		}
		sodium_memzero(all.p, all.cap);
		all.len = 0;
		excerpt = NULL;
	}
	if (all.p != NULL)
		sodium_memzero(all.p, all.cap);
	buf_reset(&all);
	search_page(wr, 200, rows, true);
}

void
console_search(struct web_req *wr)
{
	struct console *co = console_of(wr);
	struct console_session *sess = console_sess(wr);
	const char *q = web_query(wr, "q");
	int32_t tokens[SEARCH_MAX_QUERY];
	struct search_q *s;
	struct buf lit;
	char dept[8], limit[16];
	const char *values[3];
	size_t n, i;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		web_error(wr, 503);
		return;
	}
	wr->data = s;
	wr->data_free = search_free;
	buf_init(&s->norm, 4096);
	if (q == NULL || q[0] == '\0') {
		search_page(wr, 200, NULL, false);
		return;
	}
	snprintf(s->q, sizeof(s->q), "%s", q);
	n = search_query(s->q, strlen(s->q), co->keys.search_key, tokens,
	    SEARCH_MAX_QUERY, &s->norm);
	/* The query is sealed in the audit log like tip content: who
	 * searched for a name is what an audit looks for. */
	console_audit(co, sess->reviewer, "search", 0,
	    json_pack("{s:i}", "words", (int)n), s->q);
	if (n == 0) {
		search_page(wr, 422, json_array(), true);
		return;
	}
	buf_init(&lit, 0);
	buf_puts(&lit, "{");
	for (i = 0; i < n; i++)
		buf_printf(&lit, "%s%d", i == 0 ? "" : ",", (int)tokens[i]);
	buf_puts(&lit, "}");
	snprintf(limit, sizeof(limit), "%d", SEARCH_TIPS);
	values[0] = case_dept_id(wr, dept);
	values[1] = buf_cstr(&lit);
	values[2] = limit;
	if (db_send(co->db, STMT_CONSOLE_SEARCH, 3, values, NULL, NULL,
	        search_on_rows, wr) == NULL)
		search_on_rows(wr, NULL);
	buf_reset(&lit);
}
