/*
 * The ingest job: a new tip joins the case its keys match, or opens one
 * routed to the right police.  Jobs are claimed, read and applied in
 * batches (see job_ingest.c).
 */
#ifndef TL_JOB_INGEST_H
#define TL_JOB_INGEST_H

#include <stdint.h>

#include <libpq-fe.h>

struct job;
struct queue;

void job_ingest_init(struct queue *);
void job_ingest_free(struct queue *);
/* Batches applied since start. */
uint64_t job_ingest_batches(const struct queue *);
/* Starts the ingest jobs of one claim; rows[i] is jobs[i]'s row of res
 * (sealed_description, sealed_url and nattachments in columns 4 to 6). */
void job_ingest_start(struct job **jobs, const int *rows, int n,
    const PGresult *res);

#endif
