/*
 * The named statements of each program.  Index constants are in
 * db_stmt.h; keep the order of the two in step.
 */
#include "db_stmt.h"
#include "stats_report.h"

/* "p_receipt_hash => $1::bytea", ", p_truncate_s => $2::integer", ... */
#define TIP_SUBMIT_ARG(n, e, name, type) "p_" #name " => $" #n "::" type
#define TIP_SUBMIT_NEXT_ARG(n, e, name, type)                                  \
	", " TIP_SUBMIT_ARG(n, e, name, type)

/* Each $n is the index of its name + 1. */
#define TIP_SUBMIT_CHECK(n, e, name, type)                                     \
	_Static_assert(n == TIP_SUBMIT_P_##e + 1,                              \
	    "tip_submit(): $" #n " is not TIP_SUBMIT_P_" #e " + 1");
TIP_SUBMIT_PARAMS(TIP_SUBMIT_CHECK, TIP_SUBMIT_CHECK)
#undef TIP_SUBMIT_CHECK

const struct db_stmt db_stmts_intake[STMT_INTAKE_COUNT] = {
	[STMT_INTAKE_PING] = { "intake_ping", "SELECT 1", 0, false },
	[STMT_INTAKE_MUNICIPALITIES] = { "intake_municipalities",
	    "SELECT m.code, m.name_fi, m.name_sv, d.kind "
	    "FROM municipality m JOIN department d ON d.id = m.department_id "
	    "ORDER BY m.code",
	    0, false },
	[STMT_INTAKE_TIP_SUBMIT] = { "intake_tip_submit",
	    "SELECT tip_submit(" TIP_SUBMIT_PARAMS(TIP_SUBMIT_ARG,
	        TIP_SUBMIT_NEXT_ARG) ")",
	    TIP_SUBMIT_NPARAMS, false },
	/* The messages as three lists in one order: days, boxes in hex
	 * (status.c opens them with the tip's reply key) and languages. */
	[STMT_INTAKE_TIP_STATUS] = { "intake_tip_status",
	    "SELECT s.receipt_hash, s.received_local, s.state, "
	    "coalesce(s.outcome, ''), "
	    "coalesce(array_to_string(s.offences, ','), ''), "
	    "coalesce(s.closed_local, ''), s.followup_open, "
	    "array_to_string(s.message_days, ','), "
	    "(SELECT coalesce(string_agg(encode(m.b, 'hex'), ',' "
	    "ORDER BY m.n), '') "
	    "FROM unnest(s.message_sealed) WITH ORDINALITY m (b, n)), "
	    "array_to_string(s.message_langs, ',') "
	    "FROM tip_status_full($1::bytea, $2::integer) s",
	    2, false },
	[STMT_INTAKE_FOLLOWUP_ADD] = { "intake_followup_add",
	    "SELECT tip_followup_add($1::bytea, $2::integer, $3::integer, "
	    "$4::integer, $5::bytea, $6::text[], $7::integer[], "
	    "$8::integer[], $9::bytea[], $10::bigint[], $11::bytea, "
	    "$12::bytea, $13::bytea)",
	    13, false },
};

const struct db_stmt db_stmts_worker[STMT_WORKER_COUNT] = {
	[STMT_WORKER_CLAIM] = { "worker_claim",
	    "SELECT id, kind, tip_id, attempts, sealed_description, "
	    "sealed_url, nattachments "
	    "FROM job_claim($1::double precision, $2::integer, $3::integer, "
	    "$4::integer)",
	    4, false },
	/* The tips' own screenshots, not their follow-ups', with the
	 * language of the tip's page (OCR's hint at the script). */
	[STMT_WORKER_SHOTS] = { "worker_shots",
	    "SELECT x.i, a.seq, a.sealed, t.lang "
	    "FROM unnest($1::uuid[]) WITH ORDINALITY x (id, i) "
	    "JOIN attachment a ON a.tip_id = x.id "
	    "JOIN tip t ON t.id = x.id "
	    "WHERE a.followup_id IS NULL ORDER BY x.i, a.seq",
	    1, false },
	[STMT_WORKER_APPLY] = { "worker_apply",
	    "SELECT job_id, case_id FROM ingest_batch($1::bigint[], "
	    "$2::integer[], $3::uuid[], $4::bytea[], $5::bytea[], "
	    "$6::bigint[], $7::integer[], $8::integer[], $9::bigint[], "
	    "$10::bytea[], $11::integer, $12::integer, $13::integer, "
	    "$14::integer)",
	    14, false },
	[STMT_WORKER_FAIL] = { "worker_fail",
	    "SELECT job_fail($1::bigint, $2::integer, $3::text, $4::integer, "
	    "$5::double precision)",
	    5, false },
	[STMT_WORKER_PURGE_SCHEDULE] = { "worker_purge_schedule",
	    "SELECT purge_schedule()", 0, false },
	[STMT_WORKER_PURGE_BATCH] = { "worker_purge_batch",
	    "SELECT purge_batch($1::integer, $2::integer, $3::integer)", 3,
	    false },
	/* Tips in a case and not indexed, after $2 in id order, each one's
	 * sealed texts a row (grouped by tip) with its kind: 'd'escription,
	 * 'u'rl, 'p'lace, 's'creenshot text.  The waiting tips come from
	 * the partial index, from where the last batch ended (so that the
	 * entries of tips just indexed are not read again), then those in a
	 * case are kept. */
	[STMT_WORKER_INDEX_PENDING] = { "worker_index_pending",
	    "WITH w AS MATERIALIZED (SELECT t.id FROM tip t "
	    "WHERE NOT t.indexed AND t.id > $2::uuid ORDER BY t.id "
	    "LIMIT 5 * $1::integer), "
	    "t AS (SELECT w.id FROM w WHERE EXISTS (SELECT 1 FROM case_join j "
	    "WHERE j.tip_id = w.id) LIMIT $1::integer) "
	    "SELECT t.id, x.kind, x.sealed FROM t JOIN tip ti ON ti.id = t.id "
	    "CROSS JOIN LATERAL (SELECT 'd', ti.sealed_description UNION ALL "
	    "SELECT 'u', ti.sealed_url UNION ALL SELECT 'p', ti.sealed_place "
	    "UNION ALL SELECT 's', a.sealed_text FROM attachment a "
	    "WHERE a.tip_id = t.id) x (kind, sealed) "
	    "WHERE x.sealed IS NOT NULL ORDER BY 1",
	    2, false },
	[STMT_WORKER_INDEX_STORE] = { "worker_index_store",
	    "WITH x AS (SELECT x.id, x.tokens::integer[] AS tokens, "
	    "decode(nullif(x.excerpt, ''), 'hex') AS excerpt "
	    "FROM unnest($1::uuid[], $2::text[], $3::text[]) "
	    "x (id, tokens, excerpt) JOIN tip t ON t.id = x.id), "
	    "s AS (INSERT INTO tip_search (tip_id, tokens) "
	    "SELECT id, tokens FROM x ON CONFLICT (tip_id) "
	    "DO UPDATE SET tokens = EXCLUDED.tokens) "
	    "UPDATE tip SET indexed = true, excerpt = x.excerpt "
	    "FROM x WHERE tip.id = x.id",
	    3, false },
	[STMT_WORKER_DELIVER_PENDING] = { "worker_deliver_pending",
	    "SELECT case_id, gen, message_id, sealed, tip_id, reply_pk "
	    "FROM deliver_pending($1::integer)",
	    1, false },
	[STMT_WORKER_DELIVER_STORE] = { "worker_deliver_store",
	    "SELECT deliver_store($1::bigint[], $2::uuid[], $3::bytea[], "
	    "$4::bigint[], $5::integer[])",
	    5, false },
	[STMT_WORKER_FOLLOWUP_AUDIT] = { "worker_followup_audit",
	    "SELECT followup_audit($1::integer)", 1, false },
	[STMT_WORKER_STATS_FOLD] = { "worker_stats_fold",
	    "SELECT stats_fold($1::integer)", 1, false },
	[STMT_WORKER_FINISH] = { "worker_finish",
	    "SELECT job_finish($1::bigint, $2::integer)", 2, false },
	/* E-mail notices (schema/0016_email.sql). */
	[STMT_WORKER_EMAIL_CLAIM] = { "worker_email_claim",
	    "SELECT id, sealed_email, lang, attempts, message_sealed, "
	    "message_lang FROM email_claim($1::integer, $2::integer)",
	    2, false },
	[STMT_WORKER_EMAIL_SENT] = { "worker_email_sent",
	    "SELECT email_sent($1::uuid)", 1, false },
	[STMT_WORKER_EMAIL_FAILED] = { "worker_email_failed",
	    "SELECT email_failed($1::uuid, $2::integer, $3::integer)", 3,
	    false },
};

/*
 * The console's.  Every statement about cases takes the reviewer's
 * department and matches it: a case of another department is not found.
 * Actions are functions of schema/0007_console.sql that check the
 * reviewer, the department and the version themselves and write the case
 * history and the audit log in the same transaction.
 */
/* A queue row: the case and its first tip, which is the case's first entry
 * in case_join_case_first_idx (joined_at is the tip's arrival): one probe,
 * however many tips the case has.  The tip's excerpt (column 16), or its
 * sealed description (12) until the worker has made one. */
#define CONSOLE_QUEUE_COLUMNS                                                  \
	"SELECT c.id, c.status, c.ntips, c.priority, "                         \
	"to_char(c.opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), "      \
	"c.needs_routing, coalesce(r.display_name, ''), "                      \
	"(c.acknowledged_at IS NULL AND "                                      \
	"c.opened_at + d.ack_within < now()), "                                \
	"(c.opened_at + d.decide_within < now()), "                            \
	"coalesce(t.platform, ''), array_to_string(t.motives, ','), "          \
	"t.channel, "                                                          \
	"CASE WHEN t.excerpt IS NULL THEN t.sealed_description END, "          \
	"coalesce(c.assignee_id = $9, false), "                                \
	"extract(epoch FROM now() - c.opened_at)::bigint, "                    \
	"extract(epoch FROM c.opened_at)::bigint, t.excerpt, c.new_info "      \
	"FROM cases c JOIN department d ON d.id = c.department_id "            \
	"LEFT JOIN reviewer r ON r.id = c.assignee_id "                        \
	"LEFT JOIN LATERAL (SELECT t.platform, t.motives, t.channel, "         \
	"t.excerpt, t.sealed_description FROM (SELECT j.tip_id "               \
	"FROM case_join j "                                                    \
	"WHERE j.case_id = c.id "                                              \
	"ORDER BY j.matched <> 'new', j.joined_at, j.tip_id LIMIT 1) f "       \
	"JOIN tip t ON t.id = f.tip_id) t ON true "
/* $1 department, $2 statuses, $3/$4 the keyset, $5 motive, $6 platform,
 * $7 channel, $8 flags (mine, routing, late), $9 the reviewer. */
#define CONSOLE_QUEUE_FILTERS                                                  \
	"AND ($5::text = '' OR EXISTS (SELECT 1 FROM case_join j2 "            \
	"JOIN tip t2 ON t2.id = j2.tip_id WHERE j2.case_id = c.id "            \
	"AND $5::text = ANY (t2.motives))) "                                   \
	"AND ($6::text = '' OR EXISTS (SELECT 1 FROM case_join j3 "            \
	"JOIN tip t3 ON t3.id = j3.tip_id WHERE j3.case_id = c.id "            \
	"AND t3.platform = $6::text)) "                                        \
	"AND ($7::text = '' OR t.channel = $7::text) "                         \
	"AND ($8::text NOT LIKE '%m%' OR c.assignee_id = $9) "                 \
	"AND ($8::text NOT LIKE '%r%' OR c.needs_routing) "                    \
	"AND ($8::text NOT LIKE '%l%' OR (c.acknowledged_at IS NULL AND "      \
	"c.opened_at + d.ack_within < now()) OR "                              \
	"(c.status <> 'closed' AND c.opened_at + d.decide_within < now())) "

const struct db_stmt db_stmts_console[STMT_CONSOLE_COUNT] = {
	[STMT_CONSOLE_PING] = { "console_ping", "SELECT 1", 0, false },
	/* The session, if alive; it is marked as seen at most once a
	 * minute, so that most requests write nothing (and wait for no
	 * flush to disk). */
	[STMT_CONSOLE_SESSION] = { "console_session",
	    "WITH s AS (SELECT s.token_hash, s.last_seen_at, r.id, r.username, "
	    "r.display_name, r.role, coalesce(r.department_id, 0) AS dept, "
	    "s.stage, r.reveal_images, coalesce(d.name_fi, '') AS fi, "
	    "coalesce(d.name_sv, '') AS sv, coalesce(d.name_en, '') AS en "
	    "FROM reviewer_session s JOIN reviewer r ON r.id = s.reviewer_id "
	    "LEFT JOIN department d ON d.id = r.department_id "
	    "WHERE s.token_hash = $1::bytea AND NOT r.disabled "
	    "AND s.created_at >= r.credentials_at AND s.expires_at > now() "
	    "AND s.last_seen_at > now() - make_interval(secs => $2::integer)), "
	    "u AS (UPDATE reviewer_session x SET last_seen_at = now() FROM s "
	    "WHERE x.token_hash = s.token_hash "
	    "AND s.last_seen_at < now() - interval '1 minute') "
	    "SELECT id, username, display_name, role, dept, stage, "
	    "reveal_images, fi, sv, en FROM s",
	    2, false },
	[STMT_CONSOLE_AUDIT] = { "console_audit",
	    "SELECT audit_append($1::integer, $2::text, $3::bigint, "
	    "$4::jsonb, $5::bytea)",
	    5, false },
	[STMT_CONSOLE_AUDIT_HEAD] = { "console_audit_head",
	    "SELECT id, encode(hash, 'hex') FROM audit_log "
	    "ORDER BY id DESC LIMIT 1",
	    0, false },
	[STMT_CONSOLE_LOGIN_LOOKUP] = { "console_login_lookup",
	    "SELECT id, password_hash, totp_sealed, totp_enrolled, "
	    "totp_last_step, disabled, "
	    "coalesce(locked_until > now(), false) "
	    "FROM reviewer WHERE username = $1::text",
	    1, false },
	/* Past $2 failures in a row, each further one doubles the wait
	 * ($3 seconds first, at most $4). */
	[STMT_CONSOLE_LOGIN_FAILED] = { "console_login_failed",
	    "UPDATE reviewer SET failed_logins = failed_logins + 1, "
	    "locked_until = CASE WHEN failed_logins + 1 >= $2::integer "
	    "THEN now() + make_interval(secs => least($4::double precision, "
	    "$3::double precision * 2 ^ least(failed_logins + 1 - $2::integer, "
	    "30))) ELSE locked_until END WHERE id = $1::integer",
	    4, false },
	/* Each code once: only a later step than the last one used. */
	[STMT_CONSOLE_LOGIN_TOTP] = { "console_login_totp",
	    "UPDATE reviewer SET totp_last_step = $2::bigint, "
	    "failed_logins = 0, locked_until = NULL "
	    "WHERE id = $1::integer AND totp_enrolled "
	    "AND totp_last_step < $2::bigint AND NOT disabled RETURNING id",
	    2, false },
	[STMT_CONSOLE_LOGIN_PLAIN] = { "console_login_plain",
	    "UPDATE reviewer SET failed_logins = 0, locked_until = NULL "
	    "WHERE id = $1::integer AND NOT totp_enrolled AND NOT disabled "
	    "RETURNING id",
	    1, false },
	[STMT_CONSOLE_REHASH] = { "console_rehash",
	    "UPDATE reviewer SET password_hash = $2::text "
	    "WHERE id = $1::integer",
	    2, false },
	[STMT_CONSOLE_SESSION_NEW] = { "console_session_new",
	    "INSERT INTO reviewer_session (token_hash, reviewer_id, stage, "
	    "created_at, last_seen_at, expires_at) "
	    "VALUES ($1::bytea, $2::integer, $3::text, clock_timestamp(), "
	    "now(), now() + make_interval(secs => $4::integer))",
	    4, false },
	[STMT_CONSOLE_SESSION_END] = { "console_session_end",
	    "DELETE FROM reviewer_session WHERE token_hash = $1::bytea", 1,
	    false },
	[STMT_CONSOLE_SESSION_END_OTHERS] = { "console_session_end_others",
	    "DELETE FROM reviewer_session WHERE reviewer_id = $1::integer "
	    "AND token_hash <> $2::bytea",
	    2, false },
	[STMT_CONSOLE_TOTP_SECRET] = { "console_totp_secret",
	    "SELECT totp_sealed, totp_enrolled FROM reviewer "
	    "WHERE id = $1::integer",
	    1, false },
	[STMT_CONSOLE_ENROL] = { "console_enrol",
	    "WITH r AS (UPDATE reviewer SET totp_enrolled = true, "
	    "totp_last_step = $2::bigint WHERE id = $1::integer "
	    "AND NOT totp_enrolled RETURNING id) "
	    "UPDATE reviewer_session s SET stage = 'full' FROM r "
	    "WHERE s.token_hash = $3::bytea AND s.reviewer_id = r.id "
	    "RETURNING s.reviewer_id",
	    3, false },
	[STMT_CONSOLE_SETTINGS] = { "console_settings",
	    "UPDATE reviewer SET reveal_images = $2::boolean "
	    "WHERE id = $1::integer",
	    2, false },
	/* The open queue: the literal status test is the partial indexes'
	 * own, so that the scan comes out in order. */
	[STMT_CONSOLE_QUEUE_PRIORITY] = { "console_queue_priority",
	    CONSOLE_QUEUE_COLUMNS
	    "WHERE c.department_id = $1::smallint "
	    "AND c.status IN ('new', 'in_progress') "
	    "AND ($2::text = '' OR c.status = $2::text) "
	    "AND (c.priority, c.id) < ($3::integer, $4::bigint) " CONSOLE_QUEUE_FILTERS
	    "ORDER BY c.priority DESC, c.id DESC LIMIT 51",
	    9, false },
	[STMT_CONSOLE_QUEUE_AGE] = { "console_queue_age",
	    CONSOLE_QUEUE_COLUMNS
	    "WHERE c.department_id = $1::smallint "
	    "AND c.status IN ('new', 'in_progress') "
	    "AND ($2::text = '' OR c.status = $2::text) "
	    "AND (c.opened_at, c.id) > (to_timestamp($3::bigint), $4::bigint) " CONSOLE_QUEUE_FILTERS
	    "ORDER BY c.opened_at, c.id LIMIT 51",
	    9, false },
	/* Closed cases, the most recent first ($2 and $3 as above, unused
	 * but typed). */
	[STMT_CONSOLE_QUEUE_CLOSED] = { "console_queue_closed",
	    CONSOLE_QUEUE_COLUMNS
	    "WHERE c.department_id = $1::smallint AND c.status = 'closed' "
	    "AND $2::text IS NOT NULL AND $3::integer IS NOT NULL "
	    "AND c.id < $4::bigint " CONSOLE_QUEUE_FILTERS
	    "ORDER BY c.id DESC LIMIT 51",
	    9, false },
	[STMT_CONSOLE_CASE] = { "console_case",
	    "SELECT c.id, c.status, c.ntips, c.priority, c.version, "
	    "to_char(c.opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), "
	    "to_char(c.last_tip_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), "
	    "c.needs_routing, coalesce(c.assignee_id, 0), "
	    "coalesce(r.display_name, ''), coalesce(c.outcome, ''), "
	    "c.hate_confirmed, array_to_string(c.grounds, ','), "
	    "array_to_string(c.offences, ','), coalesce(c.merged_into, 0), "
	    "(c.acknowledged_at IS NULL AND "
	    "c.opened_at + d.ack_within < now()), "
	    "(c.status IN ('new', 'in_progress') AND "
	    "c.opened_at + d.decide_within < now()), "
	    "to_char((c.opened_at + d.ack_within) AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD HH24:MI'), "
	    "to_char((c.opened_at + d.decide_within) AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD HH24:MI') "
	    "FROM cases c JOIN department d ON d.id = c.department_id "
	    "LEFT JOIN reviewer r ON r.id = c.assignee_id "
	    "WHERE c.id = $1::bigint AND c.department_id = $2::smallint",
	    2, false },
	[STMT_CONSOLE_CASE_TIPS] = { "console_case_tips",
	    "SELECT t.id, to_char(t.received_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD HH24:MI'), t.lang, t.channel, "
	    "coalesce(t.platform, ''), coalesce(m.name_fi, ''), "
	    "coalesce(m.name_sv, ''), coalesce(t.event_date::text, ''), "
	    "array_to_string(t.motives, ','), t.feedback, "
	    "t.sealed_description, t.sealed_url, t.sealed_place, j.matched, "
	    "coalesce(j.distance, -1), t.nattachments, "
	    "t.feedback <> 'none' AND t.reply_pk IS NOT NULL "
	    "FROM case_join j JOIN tip t ON t.id = j.tip_id "
	    "JOIN cases c ON c.id = j.case_id "
	    "LEFT JOIN municipality m ON m.code = t.municipality "
	    "WHERE j.case_id = $1::bigint AND c.department_id = $2::smallint "
	    "ORDER BY j.matched <> 'new', t.received_at, j.joined_at, t.id "
	    "LIMIT 101 OFFSET $3::integer",
	    3, false },
	[STMT_CONSOLE_CASE_SHOTS] = { "console_case_shots",
	    "SELECT a.tip_id, a.seq, a.width, a.height, a.sealed_text "
	    "FROM case_join j JOIN attachment a ON a.tip_id = j.tip_id "
	    "JOIN cases c ON c.id = j.case_id "
	    "WHERE j.case_id = $1::bigint AND c.department_id = $2::smallint "
	    "AND a.followup_id IS NULL "
	    "ORDER BY a.tip_id, a.seq",
	    2, false },
	[STMT_CONSOLE_CASE_EVENTS] = { "console_case_events",
	    "SELECT to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), "
	    "coalesce(r.display_name, ''), e.kind, coalesce(e.reason, ''), "
	    "coalesce(e.detail::text, '{}') "
	    "FROM case_event e LEFT JOIN reviewer r ON r.id = e.reviewer_id "
	    "JOIN cases c ON c.id = e.case_id "
	    "WHERE e.case_id = $1::bigint AND c.department_id = $2::smallint "
	    "ORDER BY e.id",
	    2, false },
	[STMT_CONSOLE_CASE_NOTES] = { "console_case_notes",
	    "SELECT n.id, to_char(n.at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD HH24:MI'), coalesce(r.display_name, ''), n.sealed "
	    "FROM case_note n LEFT JOIN reviewer r ON r.id = n.reviewer_id "
	    "JOIN cases c ON c.id = n.case_id "
	    "WHERE n.case_id = $1::bigint AND c.department_id = $2::smallint "
	    "ORDER BY n.id",
	    2, false },
	[STMT_CONSOLE_SHOT] = { "console_shot",
	    "SELECT a.mime, a.sealed FROM attachment a "
	    "JOIN case_join j ON j.tip_id = a.tip_id "
	    "JOIN cases c ON c.id = j.case_id "
	    "WHERE j.case_id = $1::bigint AND c.department_id = $2::smallint "
	    "AND a.tip_id = $3::uuid AND a.seq = $4::integer",
	    4, false },
	[STMT_CONSOLE_DEPARTMENTS] = { "console_departments",
	    "SELECT id, code, name_fi, name_sv, name_en FROM department "
	    "ORDER BY id",
	    0, false },
	[STMT_CONSOLE_REVIEWERS] = { "console_reviewers",
	    "SELECT r.username, r.display_name, r.role, coalesce(d.code, ''), "
	    "r.totp_enrolled, r.disabled, coalesce(r.locked_until > now(), "
	    "false) FROM reviewer r "
	    "LEFT JOIN department d ON d.id = r.department_id "
	    "ORDER BY r.username",
	    0, false },
	[STMT_CONSOLE_ASSIGN] = { "console_assign",
	    "SELECT case_assign($1::integer, $2::bigint, $3::integer, "
	    "$4::integer)",
	    4, false },
	[STMT_CONSOLE_START] = { "console_start",
	    "SELECT case_start($1::integer, $2::bigint, $3::integer)", 3,
	    false },
	[STMT_CONSOLE_CLOSE] = { "console_close",
	    "SELECT case_close($1::integer, $2::bigint, $3::integer, "
	    "$4::text, $5::boolean, $6::text[], $7::text[], $8::text)",
	    8, false },
	[STMT_CONSOLE_REOPEN] = { "console_reopen",
	    "SELECT case_reopen($1::integer, $2::bigint, $3::integer, "
	    "$4::text)",
	    4, false },
	[STMT_CONSOLE_MOVE] = { "console_move",
	    "SELECT case_move($1::integer, $2::bigint, $3::integer, "
	    "$4::smallint, $5::text)",
	    5, false },
	[STMT_CONSOLE_MERGE] = { "console_merge",
	    "SELECT case_merge($1::integer, $2::bigint, $3::integer, "
	    "$4::bigint, $5::integer, $6::text)",
	    6, false },
	[STMT_CONSOLE_SPLIT] = { "console_split",
	    "SELECT case_split($1::integer, $2::bigint, $3::integer, "
	    "$4::uuid, $5::text)",
	    5, false },
	/* The department's tips holding all of $2's tokens, newest case
	 * first, each with its sealed texts a row for the console to check
	 * the match.  Planned for each query: for a rare word the GIN index
	 * finds its few tips, for a common one walking the newest cases is
	 * quicker; a generic plan, which PostgreSQL caches after five runs,
	 * took 4-8 s on a rare word at a million cases (bench/README.md). */
	[STMT_CONSOLE_SEARCH] = { "console_search",
	    "WITH h AS (SELECT j.case_id, s.tip_id FROM tip_search s "
	    "JOIN case_join j ON j.tip_id = s.tip_id "
	    "JOIN cases c ON c.id = j.case_id "
	    "WHERE s.tokens @> $2::integer[] AND c.department_id = $1::smallint "
	    "AND c.status <> 'merged' "
	    "ORDER BY j.case_id DESC, s.tip_id LIMIT $3::integer) "
	    "SELECT h.case_id, c.status, c.ntips, "
	    "to_char(c.opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), "
	    "coalesce(r.display_name, ''), h.tip_id, x.kind, x.sealed "
	    "FROM h JOIN cases c ON c.id = h.case_id "
	    "LEFT JOIN reviewer r ON r.id = c.assignee_id "
	    "JOIN tip t ON t.id = h.tip_id "
	    "CROSS JOIN LATERAL (SELECT 'd' AS kind, t.sealed_description "
	    "AS sealed UNION ALL SELECT 'u', t.sealed_url UNION ALL "
	    "SELECT 'p', t.sealed_place UNION ALL SELECT 's', a.sealed_text "
	    "FROM attachment a WHERE a.tip_id = t.id) x "
	    "WHERE x.sealed IS NOT NULL "
	    "ORDER BY h.case_id DESC, h.tip_id, x.kind",
	    3, true },
	/* A case page's audit row: a view of a case of the reviewer's
	 * department, or a refused one. */
	[STMT_CONSOLE_CASE_VIEWED] = { "console_case_viewed",
	    "SELECT audit_append($1::integer, CASE WHEN EXISTS (SELECT 1 "
	    "FROM cases c WHERE c.id = $2::bigint AND c.department_id = "
	    "$3::smallint) THEN 'case_view' ELSE 'case_view_refused' END, "
	    "$2::bigint, NULL, NULL)",
	    3, false },
	/* Three kinds of rows (server/console_feedback.c): the messages, the
	 * tips that asked for feedback by language, the department's
	 * templates; and today's date in Finland. */
	[STMT_CONSOLE_CASE_FEEDBACK] = { "console_case_feedback",
	    "SELECT 'm', m.id::text, to_char(m.at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD HH24:MI'), coalesce(r.display_name, ''), m.lang, "
	    "coalesce(m.template, ''), coalesce(m.tip_id::text, ''), "
	    "m.sealed::text, (SELECT count(*) FROM tip_message d "
	    "WHERE d.message_id = m.id)::text, m.id "
	    "FROM case_message m LEFT JOIN reviewer r ON r.id = m.reviewer_id "
	    "JOIN cases c ON c.id = m.case_id "
	    "WHERE m.case_id = $1::bigint AND c.department_id = $2::smallint "
	    "UNION ALL "
	    "SELECT 'a', t.lang, count(*)::text, '', '', '', '', '', '', 0 "
	    "FROM case_join j JOIN tip t ON t.id = j.tip_id "
	    "JOIN cases c ON c.id = j.case_id "
	    "WHERE j.case_id = $1::bigint AND c.department_id = $2::smallint "
	    "AND t.feedback <> 'none' AND t.reply_pk IS NOT NULL "
	    "GROUP BY t.lang "
	    "UNION ALL "
	    "SELECT 't', f.template, f.lang, f.body, '', '', '', '', '', 0 "
	    "FROM feedback_template f WHERE f.department_id = $2::smallint "
	    "UNION ALL "
	    "SELECT 'd', to_char(now() AT TIME ZONE 'Europe/Helsinki', "
	    "'YYYY-MM-DD'), '', '', '', '', '', '', '', 0 "
	    "ORDER BY 1, 10",
	    2, false },
	[STMT_CONSOLE_FEEDBACK] = { "console_feedback",
	    "SELECT case_feedback($1::integer, $2::bigint, $3::uuid, $4::text, "
	    "$5::text, $6::bytea)",
	    6, false },
	/* The case's follow-ups by tip, each with its screenshots as
	 * "seq:width:height,..."; first, as the reviewer ($3) opens the page,
	 * whether the case had new information (cleared now). */
	[STMT_CONSOLE_CASE_FOLLOWUPS] = { "console_case_followups",
	    "WITH s AS MATERIALIZED (SELECT coalesce(case_seen($3::integer, "
	    "$1::bigint), false) AS was_new) "
	    "SELECT s.was_new, f.id, f.tip_id, f.at, f.sealed_text, f.shots "
	    "FROM s LEFT JOIN LATERAL (SELECT f.id, f.tip_id, "
	    "to_char(f.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') "
	    "AS at, f.sealed_text, (SELECT coalesce(string_agg(a.seq || ':' "
	    "|| a.width || ':' || a.height, ',' ORDER BY a.seq), '') "
	    "FROM attachment a WHERE a.followup_id = f.id) AS shots "
	    "FROM tip_followup f JOIN case_join j ON j.tip_id = f.tip_id "
	    "JOIN cases c ON c.id = j.case_id "
	    "WHERE j.case_id = $1::bigint AND c.department_id = $2::smallint) "
	    "f ON true ORDER BY f.tip_id, f.id",
	    3, false },
	[STMT_CONSOLE_NOTE] = { "console_note",
	    "SELECT case_note_add($1::integer, $2::bigint, $3::bytea)", 3,
	    false },
	/* A notice's audit row, as a case page's: how it was shown (its
	 * language, HTML or text, one platform's part only), never what. */
	[STMT_CONSOLE_NOTICE_VIEWED] = { "console_notice_viewed",
	    "SELECT audit_append($1::integer, CASE WHEN EXISTS (SELECT 1 "
	    "FROM cases c WHERE c.id = $2::bigint AND c.department_id = "
	    "$3::smallint) THEN 'notice_view' ELSE 'notice_view_refused' END, "
	    "$2::bigint, jsonb_build_object('lang', $4::text, 'format', "
	    "$5::text, 'platform', nullif($6::text, '')), NULL)",
	    6, false },
	/* What a notice says of the case: the officer's classification and
	 * today's date, in Finnish time. */
	[STMT_CONSOLE_NOTICE_CASE] = { "console_notice_case",
	    "SELECT c.id, c.status, coalesce(c.outcome, ''), "
	    "array_to_string(c.grounds, ','), "
	    "array_to_string(c.offences, ','), "
	    "to_char(now() AT TIME ZONE 'Europe/Helsinki', 'YYYY-MM-DD') "
	    "FROM cases c WHERE c.id = $1::bigint "
	    "AND c.department_id = $2::smallint",
	    2, false },
	/* Where the content is: each tip's sealed link ('u') and its
	 * screenshots' hashes ('s'), with the tip's platform, tips in the
	 * case page's order.  Nothing else of a tip. */
	[STMT_CONSOLE_NOTICE_ITEMS] = { "console_notice_items",
	    "SELECT x.kind, coalesce(t.platform, ''), x.v "
	    "FROM case_join j JOIN cases c ON c.id = j.case_id "
	    "JOIN tip t ON t.id = j.tip_id "
	    "CROSS JOIN LATERAL (SELECT 'u' AS kind, 0 AS seq, t.sealed_url "
	    "AS v UNION ALL SELECT 's', a.seq, a.sha256 FROM attachment a "
	    "WHERE a.tip_id = t.id) x "
	    "WHERE j.case_id = $1::bigint AND c.department_id = $2::smallint "
	    "AND x.v IS NOT NULL "
	    "ORDER BY j.matched <> 'new', t.received_at, j.joined_at, t.id, "
	    "x.kind DESC, x.seq",
	    2, false },
	/* The case page's platforms: those of its tips and those it has
	 * notices to, each with what is known of its notice. */
	[STMT_CONSOLE_CASE_PLATFORMS] = { "console_case_platforms",
	    "SELECT p.platform, coalesce(to_char(n.sent_on, 'YYYY-MM-DD'), ''), "
	    "coalesce(to_char(n.acknowledged_on, 'YYYY-MM-DD'), ''), "
	    "coalesce(n.decision, ''), "
	    "coalesce(to_char(n.decided_on, 'YYYY-MM-DD'), ''), "
	    "coalesce(r.display_name, ''), "
	    "coalesce(to_char(n.updated_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD HH24:MI'), ''), "
	    "coalesce(n.decided_on - n.sent_on, -1) "
	    "FROM (SELECT t.platform FROM case_join j "
	    "JOIN tip t ON t.id = j.tip_id "
	    "WHERE j.case_id = $1::bigint AND t.platform IS NOT NULL "
	    "UNION SELECT q.platform FROM platform_notice q "
	    "WHERE q.case_id = $1::bigint) p "
	    "JOIN cases c ON c.id = $1::bigint "
	    "AND c.department_id = $2::smallint "
	    "LEFT JOIN platform_notice n ON n.case_id = c.id "
	    "AND n.platform = p.platform "
	    "LEFT JOIN reviewer r ON r.id = n.updated_by "
	    "ORDER BY p.platform",
	    2, false },
	[STMT_CONSOLE_NOTICE_TRACK] = { "console_notice_track",
	    "SELECT case_notice_track($1::integer, $2::bigint, $3::text, "
	    "$4::date, $5::date, $6::text, $7::date)",
	    7, false },
	/* Statistics (lib/stats_report.c, the same as tiplinectl stats). */
	[STMT_CONSOLE_STATS_DEPTS] = { "console_stats_depts",
	    stats_departments_sql, 1, false },
	[STMT_CONSOLE_STATS] = { "console_stats", stats_report_sql,
	    STATS_REPORT_NPARAMS, false },
	[STMT_CONSOLE_STATS_TREND] = { "console_stats_trend", stats_trend_sql,
	    STATS_TREND_NPARAMS, false },
};
