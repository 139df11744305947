/*
 * Follow-ups into the audit log, late on purpose: see job_audit.h.  One
 * statement a sweep; a batch cut short by a crash is simply found again,
 * since each row is marked in the same transaction that writes it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "db_stmt.h"
#include "job_audit.h"
#include "queue.h"

static void
audit_on_done(void *arg, PGresult *res)
{
	struct queue *q = arg;

	q->auditing = false;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		if (res != NULL)
			log_warnx("auditing follow-ups failed, sqlstate %s",
			    db_sqlstate(res));
		return;
	}
	if (strtol(PQgetvalue(res, 0, 0), NULL, 10) > 0)
		log_info("audited %s follow-ups", PQgetvalue(res, 0, 0));
}

void
job_audit_tick(struct queue *q)
{
	char secs[24];
	const char *values[1];

	if (q->auditing || q->stopping)
		return;
	snprintf(secs, sizeof(secs), "%lld",
	    q->cfg->arrival_truncate_ms / 1000);
	values[0] = secs;
	if (db_send(q->db, STMT_WORKER_FOLLOWUP_AUDIT, 1, values, NULL, NULL,
	        audit_on_done, q) != NULL)
		q->auditing = true;
}
