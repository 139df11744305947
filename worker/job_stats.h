/*
 * The statistics' rollup kept current: on each sweep the worker folds the
 * deltas the triggers appended into stats_day (schema/0017_stats.sql,
 * stats_fold), so that a new tip shows in the figures within a sweep.
 */
#ifndef TL_JOB_STATS_H
#define TL_JOB_STATS_H

struct queue;

/* Folds the deltas waiting, unless a fold is in flight. */
void job_stats_tick(struct queue *);

#endif
