/*
 * The search index: tips that joined a case get their search tokens
 * (lib/search.c), in batches, on the worker's sweep timer.
 */
#ifndef TL_JOB_INDEX_H
#define TL_JOB_INDEX_H

struct queue;

/* Indexes the next batch of tips waiting, unless a batch is in flight. */
void job_index_tick(struct queue *);

#endif
