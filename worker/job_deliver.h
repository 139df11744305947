/*
 * Delivering the police's messages: each message written on a case is
 * sealed again, to the reply key of each tip of the case that asked for
 * feedback (schema/0013_feedback.sql), in batches, when the console says
 * there is a message and on the worker's sweep timer.
 */
#ifndef TL_JOB_DELIVER_H
#define TL_JOB_DELIVER_H

struct queue;

/* Delivers the next batch waiting, unless a batch is in flight. */
void job_deliver_tick(struct queue *);

#endif
