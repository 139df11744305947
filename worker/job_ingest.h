/*
 * The ingest job: a new tip joins the case its keys match, or opens one
 * routed to the right police.
 */
#ifndef TL_JOB_INGEST_H
#define TL_JOB_INGEST_H

struct job;

void job_ingest_start(struct job *);

#endif
