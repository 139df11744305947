/*
 * The audit log's rows of tipsters' follow-ups, written on the worker's
 * sweep once the hour (arrival_truncate) they came in is over, so that no
 * row keeps their exact time (schema/0014_followup.sql, followup_audit).
 */
#ifndef TL_JOB_AUDIT_H
#define TL_JOB_AUDIT_H

struct queue;

/* Writes the rows now due, unless a batch is in flight. */
void job_audit_tick(struct queue *);

#endif
