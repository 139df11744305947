/*
 * The named statements of each program.  Index constants are in
 * db_stmt.h; keep the order of the two in step.
 */
#include "db_stmt.h"

const struct db_stmt db_stmts_intake[STMT_INTAKE_COUNT] = {
	[STMT_INTAKE_PING] = { "intake_ping", "SELECT 1", 0 },
	[STMT_INTAKE_MUNICIPALITIES] = { "intake_municipalities",
	    "SELECT m.code, m.name_fi, m.name_sv, d.kind "
	    "FROM municipality m JOIN department d ON d.id = m.department_id "
	    "ORDER BY m.code",
	    0 },
};
