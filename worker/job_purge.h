/*
 * The purge job: deletes what is past retention, in batches.
 */
#ifndef TL_JOB_PURGE_H
#define TL_JOB_PURGE_H

struct job;
struct queue;

void job_purge_start(struct job *);
/* Queues a purge job (unless one waits); called from a timer. */
void job_purge_schedule(struct queue *);

#endif
