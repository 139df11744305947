/*
 * The named statements of each program.  Index constants are in
 * db_stmt.h; keep the order of the two in step.
 */
#include "db_stmt.h"

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
	[STMT_INTAKE_PING] = { "intake_ping", "SELECT 1", 0 },
	[STMT_INTAKE_MUNICIPALITIES] = { "intake_municipalities",
	    "SELECT m.code, m.name_fi, m.name_sv, d.kind "
	    "FROM municipality m JOIN department d ON d.id = m.department_id "
	    "ORDER BY m.code",
	    0 },
	[STMT_INTAKE_TIP_SUBMIT] = { "intake_tip_submit",
	    "SELECT tip_submit(" TIP_SUBMIT_PARAMS(TIP_SUBMIT_ARG,
	        TIP_SUBMIT_NEXT_ARG) ")",
	    TIP_SUBMIT_NPARAMS },
	[STMT_INTAKE_TIP_STATUS] = { "intake_tip_status",
	    "SELECT receipt_hash, received_local, status "
	    "FROM tip_status($1::bytea)",
	    1 },
};

const struct db_stmt db_stmts_worker[STMT_WORKER_COUNT] = {
	[STMT_WORKER_CLAIM] = { "worker_claim",
	    "SELECT id, kind, tip_id, attempts, sealed_description, "
	    "sealed_url, nattachments "
	    "FROM job_claim($1::double precision, $2::integer, $3::integer, "
	    "$4::integer)",
	    4 },
	[STMT_WORKER_SHOTS] = { "worker_shots",
	    "SELECT x.i, a.seq, a.sealed "
	    "FROM unnest($1::uuid[]) WITH ORDINALITY x (id, i) "
	    "JOIN attachment a ON a.tip_id = x.id ORDER BY x.i, a.seq",
	    1 },
	[STMT_WORKER_APPLY] = { "worker_apply",
	    "SELECT job_id, case_id FROM ingest_batch($1::bigint[], "
	    "$2::integer[], $3::uuid[], $4::bytea[], $5::bytea[], "
	    "$6::bigint[], $7::integer[], $8::integer[], $9::bigint[], "
	    "$10::bytea[], $11::integer, $12::integer, $13::integer, "
	    "$14::integer)",
	    14 },
	[STMT_WORKER_FAIL] = { "worker_fail",
	    "SELECT job_fail($1::bigint, $2::integer, $3::text, $4::integer, "
	    "$5::double precision)",
	    5 },
	[STMT_WORKER_PURGE_SCHEDULE] = { "worker_purge_schedule",
	    "SELECT purge_schedule()", 0 },
	[STMT_WORKER_PURGE_BATCH] = { "worker_purge_batch",
	    "SELECT purge_batch($1::integer, $2::integer, $3::integer)", 3 },
	[STMT_WORKER_FINISH] = { "worker_finish",
	    "SELECT job_finish($1::bigint, $2::integer)", 2 },
};
