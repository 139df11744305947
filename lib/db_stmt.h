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
	STMT_INTAKE_COUNT,
};

enum worker_stmt {
	STMT_WORKER_CLAIM,
	STMT_WORKER_SHOTS,
	STMT_WORKER_APPLY,
	STMT_WORKER_FAIL,
	STMT_WORKER_PURGE_SCHEDULE,
	STMT_WORKER_PURGE_BATCH,
	STMT_WORKER_FINISH,
	STMT_WORKER_COUNT,
};

extern const struct db_stmt db_stmts_intake[STMT_INTAKE_COUNT];
extern const struct db_stmt db_stmts_worker[STMT_WORKER_COUNT];

#endif
