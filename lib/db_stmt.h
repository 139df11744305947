/*
 * Every SQL statement a program runs, by program: each daemon prepares its
 * own table on connect, so a statement its role may not run fails at
 * startup, not in the middle of a request.
 */
#ifndef TL_DB_STMT_H
#define TL_DB_STMT_H

#include <stddef.h>

#include "db.h"

enum intake_stmt {
	STMT_INTAKE_PING,
	STMT_INTAKE_MUNICIPALITIES,
	STMT_INTAKE_TIP_SUBMIT,
	STMT_INTAKE_TIP_STATUS,
	STMT_INTAKE_FOLLOWUP_ADD,
	STMT_INTAKE_COUNT,
};

/*
 * tip_submit()'s parameters, one a line: its $n in the statement, the
 * name of its index in values[], lengths[] and formats[] (upload.c), its
 * name in the function (schema/0013_feedback.sql) and its SQL type.
 * The statement passes each by name ("p_lang => $3::text"), so a name the
 * function lacks fails when the statement is prepared, and db_stmt.c
 * checks when compiling that each $n is its index + 1: adding or removing
 * one cannot shift the others silently.  The images come last, one for
 * each screenshot.  The first is FIRST(), which the statement writes
 * without a comma before it.
 */
#define TIP_SUBMIT_PARAMS(FIRST, X)                                            \
	FIRST(1, RECEIPT_HASH, receipt_hash, "bytea")                          \
	X(2, TRUNCATE_S, truncate_s, "integer")                                \
	X(3, LANG, lang, "text")                                               \
	X(4, CHANNEL, channel, "text")                                         \
	X(5, PLATFORM, platform, "text")                                       \
	X(6, MUNICIPALITY, municipality, "text")                               \
	X(7, EVENT_DATE, event_date, "date")                                   \
	X(8, MOTIVES, motives, "text[]")                                       \
	X(9, FEEDBACK, feedback, "text")                                       \
	X(10, DESCRIPTION, description, "bytea")                               \
	X(11, URL, url, "bytea")                                               \
	X(12, PLACE, place, "bytea")                                           \
	X(13, EMAIL, email, "bytea")                                           \
	X(14, REPLY_PK, reply_pk, "bytea")                                     \
	X(15, MIMES, mimes, "text[]")                                          \
	X(16, WIDTHS, widths, "integer[]")                                     \
	X(17, HEIGHTS, heights, "integer[]")                                   \
	X(18, SHA256S, sha256s, "bytea[]")                                     \
	X(19, PHASHES, phashes, "bigint[]")                                    \
	X(20, IMG1, img1, "bytea")                                             \
	X(21, IMG2, img2, "bytea")                                             \
	X(22, IMG3, img3, "bytea")                                             \
	X(23, IMG4, img4, "bytea")                                             \
	X(24, IMG5, img5, "bytea")

#define TIP_SUBMIT_ENUM(n, e, name, type) TIP_SUBMIT_P_##e,
enum tip_submit_param {
	/* TIP_SUBMIT_P_RECEIPT_HASH, ... */
	TIP_SUBMIT_PARAMS(TIP_SUBMIT_ENUM, TIP_SUBMIT_ENUM) TIP_SUBMIT_NPARAMS
};
#undef TIP_SUBMIT_ENUM

enum worker_stmt {
	STMT_WORKER_CLAIM,
	STMT_WORKER_SHOTS,
	STMT_WORKER_APPLY,
	STMT_WORKER_FAIL,
	STMT_WORKER_PURGE_SCHEDULE,
	STMT_WORKER_PURGE_BATCH,
	STMT_WORKER_FINISH,
	STMT_WORKER_INDEX_PENDING,
	STMT_WORKER_INDEX_STORE,
	STMT_WORKER_DELIVER_PENDING,
	STMT_WORKER_DELIVER_STORE,
	STMT_WORKER_FOLLOWUP_AUDIT,
	STMT_WORKER_STATS_FOLD,
	STMT_WORKER_EMAIL_CLAIM,
	STMT_WORKER_EMAIL_SENT,
	STMT_WORKER_EMAIL_FAILED,
	STMT_WORKER_COUNT,
};

enum console_stmt {
	STMT_CONSOLE_PING,
	STMT_CONSOLE_SESSION,
	STMT_CONSOLE_AUDIT,
	STMT_CONSOLE_AUDIT_HEAD,
	STMT_CONSOLE_LOGIN_LOOKUP,
	STMT_CONSOLE_LOGIN_FAILED,
	STMT_CONSOLE_LOGIN_TOTP,
	STMT_CONSOLE_LOGIN_PLAIN,
	STMT_CONSOLE_REHASH,
	STMT_CONSOLE_SESSION_NEW,
	STMT_CONSOLE_SESSION_END,
	STMT_CONSOLE_SESSION_END_OTHERS,
	STMT_CONSOLE_TOTP_SECRET,
	STMT_CONSOLE_ENROL,
	STMT_CONSOLE_SETTINGS,
	STMT_CONSOLE_QUEUE_PRIORITY,
	STMT_CONSOLE_QUEUE_AGE,
	STMT_CONSOLE_QUEUE_CLOSED,
	STMT_CONSOLE_CASE,
	STMT_CONSOLE_CASE_TIPS,
	STMT_CONSOLE_CASE_SHOTS,
	STMT_CONSOLE_CASE_EVENTS,
	STMT_CONSOLE_CASE_NOTES,
	STMT_CONSOLE_SHOT,
	STMT_CONSOLE_DEPARTMENTS,
	STMT_CONSOLE_REVIEWERS,
	STMT_CONSOLE_ASSIGN,
	STMT_CONSOLE_START,
	STMT_CONSOLE_CLOSE,
	STMT_CONSOLE_REOPEN,
	STMT_CONSOLE_MOVE,
	STMT_CONSOLE_MERGE,
	STMT_CONSOLE_SPLIT,
	STMT_CONSOLE_NOTE,
	STMT_CONSOLE_SEARCH,
	STMT_CONSOLE_CASE_VIEWED,
	STMT_CONSOLE_CASE_FEEDBACK,
	STMT_CONSOLE_FEEDBACK,
	STMT_CONSOLE_CASE_FOLLOWUPS,
	STMT_CONSOLE_NOTICE_VIEWED,
	STMT_CONSOLE_NOTICE_CASE,
	STMT_CONSOLE_NOTICE_ITEMS,
	STMT_CONSOLE_CASE_PLATFORMS,
	STMT_CONSOLE_NOTICE_TRACK,
	STMT_CONSOLE_STATS_DEPTS,
	STMT_CONSOLE_STATS,
	STMT_CONSOLE_STATS_TREND,
	STMT_CONSOLE_COUNT,
};

extern const struct db_stmt db_stmts_intake[STMT_INTAKE_COUNT];
extern const struct db_stmt db_stmts_console[STMT_CONSOLE_COUNT];
extern const struct db_stmt db_stmts_worker[STMT_WORKER_COUNT];

#endif
