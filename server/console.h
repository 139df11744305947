/*
 * tipline-console: the reviewers' HTTPS daemon.  Officers log in with a
 * password and a one-time code, work through their department's queue of
 * cases, read the tips (text first, screenshots blurred until asked) and
 * act on them; every step is written to the hash-chained audit log.  It
 * has its own listener, certificate and database role, and it holds the
 * private key that opens sealed tips.
 *
 * console.c        routes, the session gate, pages, the audit helper
 * console_auth.c   login with TOTP, enrolment, logout, settings
 * console_case.c   the queue, the case page, screenshots, actions
 * console_feedback.c  messages to tipsters on the case page
 * console_followup.c  a case page's follow-ups from tipsters
 * console_notice.c the notice to a platform (DSA Art. 16), its answer
 * console_stats.c  the weekly figures, their charts and downloads
 */
#ifndef TL_CONSOLE_H
#define TL_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/event_struct.h>
#include <jansson.h>

#include "cfg.h"
#include "db.h"
#include "form.h"
#include "page.h"
#include "tls.h"
#include "tpool.h"
#include "web.h"

#define CONSOLE_COOKIE       "__Host-tipline_session"
#define CONSOLE_LOGIN_COOKIE "__Host-tipline_login"
#define CONSOLE_TOKEN_BYTES  32
#define CONSOLE_CSRF_HEX     64

/* Roles, as bits for the route table. */
enum console_role {
	ROLE_OFFICER = 1 << 0,
	ROLE_NATIONAL = 1 << 1,
	ROLE_ADMIN = 1 << 2,
};
#define ROLE_CASES (ROLE_OFFICER | ROLE_NATIONAL)

/* SQLSTATEs our functions raise (schema/0007_console.sql). */
#define SQLSTATE_TL_FORBIDDEN "TL403"
#define SQLSTATE_TL_CONFLICT  "TL409"
#define SQLSTATE_TL_INVALID   "TL422"

struct console_keys {
	uint8_t public_key[32];
	uint8_t secret_key[32];
	uint8_t search_key[32];
	uint8_t excerpt_key[32]; /* derived from secret_key by console_init */
};

struct console {
	struct cfg *cfg;
	struct event_base *base;
	struct db_pool *db;
	struct tls *tls;
	struct web web;
	struct page_set pages;
	struct tpool *tpool;     /* password hashing, at a lower priority */
	struct tpool *open_pool; /* opening a big case's sealed texts */
	struct console_keys keys;
	/* Signs the login form's token (a fresh key per start). */
	uint8_t login_key[32];
	struct event audit_timer; /* writes the chain's head out */
	char audit_head[96];      /* the last one written: "ID HASH" */
	bool stopping;
};

/* The logged-in reviewer, set by the gate. */
struct console_session {
	uint8_t token[CONSOLE_TOKEN_BYTES];
	uint8_t token_hash[32];
	char csrf[CONSOLE_CSRF_HEX + 1];
	int reviewer;
	char username[65];
	char name[201];
	enum console_role role;
	int department; /* 0 for an admin */
	char department_name[128];
	bool enrolling; /* must confirm a TOTP code first */
	bool reveal_images;
};

static inline struct console *
console_of(struct web_req *wr)
{
	return wr->w->app;
}

static inline struct console_session *
console_sess(struct web_req *wr)
{
	return wr->session;
}

/* console.c */
json_t *console_ctx(struct web_req *, const char *title_id);
void console_page(struct web_req *, int status, const char *tmpl, json_t *ctx);
void console_message(struct web_req *, int status, const char *msg_id);
/* Parses an urlencoded POST body into f (arena of wr); -1 answered 400. */
TL_MUSTCHECK int console_form(struct web_req *, struct form *f);
/* A field's value as a C string in the arena ("" if absent). */
const char *console_field(struct web_req *, const struct form *,
    const char *name);
/* A page to go back to after a login: "/", "/settings" or "/case/N". */
bool console_next_ok(const char *path);
/* Appends to the audit log; fire and forget (failures are logged).
 * Takes ownership of detail. */
void console_audit(struct console *, int reviewer, const char *action,
    long long case_id, json_t *detail, const char *sealed_text);
void console_hash_token(const uint8_t *token, uint8_t out[32]);
/* "2026-11-24 14:05" in Finnish time, from a timestamptz text. */
void console_format_time(const char *iso, char *out, size_t len);
/* Opens a sealed text column (bytea in hex text form) into a string in
 * the arena; "" if NULL or not ours. */
const char *console_unseal_text(struct web_req *, const char *hexbytea);
/* The excerpt of an opened text (lib/text.c, text_excerpt). */
const char *console_excerpt_of(struct web_req *, const char *text);
/* A tip's excerpt for a list: its box from the worker (tip.excerpt) if
 * there is one, else made from the sealed description. */
const char *console_excerpt(struct web_req *, const char *excerpt_hex,
    const char *sealed_hex);

/* console_case.c */
bool console_is_uuid(const char *);
/* The case page again, with a notice and the forms as typed (owned). */
void console_case_show(struct web_req *, long long id, int status,
    const char *notice_id, json_t *typed);
/* Runs an action's statement; on success back to the case, on failure the
 * case again with typed (owned) in its forms.  wr->data is the action. */
void console_case_action(struct web_req *, long long id, size_t stmt, int n,
    const char *const *values, const int *lengths, const int *formats,
    json_t *typed);

/* console_feedback.c */
json_t *console_feedback_part(struct web_req *, PGresult *);
void console_feedback_render(struct web_req *, json_t *ctx, json_t *part,
    json_t *tips, json_t *c, json_t *typed, json_t *dept_names);
void console_feedback_post(struct web_req *, long long id, const struct form *);

/* console_auth.c */
void console_login_get(struct web_req *);
void console_login_post(struct web_req *);
void console_enrol_get(struct web_req *);
void console_enrol_qr(struct web_req *);
void console_enrol_post(struct web_req *);
void console_logout(struct web_req *);
void console_settings_get(struct web_req *);
void console_settings_post(struct web_req *);
void console_sessions_end(struct web_req *);
/* A form sent after its session ended: the login again, with what was
 * typed shown to copy and the form's page to go back to. */
void console_login_again(struct web_req *);
/* A settings form with an old token: the page again, as chosen. */
void console_settings_refused(struct web_req *);

/* console_case.c */
void console_home(struct web_req *);
void console_case_get(struct web_req *);
void console_case_post(struct web_req *);
/* A case form with an old token: the case again, with what was typed. */
void console_case_refused(struct web_req *);
void console_shot_get(struct web_req *);
void console_search(struct web_req *);

/* console_followup.c */
/* The rows of STMT_CONSOLE_CASE_FOLLOWUPS: {new_info, list: [follow-up,
 * each with its tip, time, opened text and screenshots]}. */
json_t *console_followups(struct web_req *, PGresult *, long long case_id);
/* Puts each follow-up under its tip (tip.followups), marks its screenshots
 * revealed as the tip's own are, and sets the case's new_info. */
void console_followups_place(json_t *tips, json_t *followups, json_t *c,
    const char *reveal, bool reveal_all);
/* console_notice.c */
void console_notice_get(struct web_req *);
void console_notice_text(struct web_req *);
/* The platform form's fields as case_notice_track()'s $3 to $7 (NULL for
 * empty); -1 if one is not a platform, a day or a decision. */
TL_MUSTCHECK int console_notice_track_values(struct web_req *,
    const struct form *, const char *values[5]);
/* The case page's platforms (STMT_CONSOLE_CASE_PLATFORMS) as JSON. */
json_t *console_platform_rows(struct web_req *, PGresult *);
/* The case page's "platform's answer": the rows with what was typed
 * (typed.platform) in its form; shown on a closed case or one with a
 * notice recorded.  Does not take rows or typed. */
json_t *console_platform_ctx(struct web_req *, json_t *rows, json_t *typed,
    bool closed);

/* console_stats.c */
void console_stats_get(struct web_req *);
void console_stats_csv(struct web_req *);
void console_stats_json(struct web_req *);
void console_stats_bars(struct web_req *);
void console_stats_line(struct web_req *);

/* Sets up pages, database pool and listener; exits on failure. */
void console_init(struct console *, struct event_base *, struct cfg *,
    struct tls *, const struct console_keys *);
void console_reload(struct console *);
void console_stop(struct console *);
void console_free(struct console *);
/* The route table, for `tipline-console -r` and its tests. */
void console_print_routes(void);

#endif
