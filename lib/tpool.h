/*
 * A fixed pool of worker threads for CPU-heavy work (image decoding,
 * hashing, sealing).  Work runs off the event loop; its completion runs on
 * the loop, so completion code may touch libevent and the request freely.
 */
#ifndef TL_TPOOL_H
#define TL_TPOOL_H

#include <event2/event.h>

#include "util.h"

/* Runs on a pool thread: must not touch libevent or shared state. */
typedef void tpool_work_fn(void *arg);
/* Runs on the event loop thread after the work is done. */
typedef void tpool_done_fn(void *arg);

struct tpool;

/* Caller frees with tpool_free(), which waits for running work. */
struct tpool *tpool_new(struct event_base *, int nthreads);
/* The same with threads at a lower priority (nice 1..19), for long work
 * that must not slow down answering (password hashing). */
struct tpool *tpool_new_nice(struct event_base *, int nthreads, int nice);
void tpool_free(struct tpool *);

/*
 * Queues work; done is called on the loop with the same arg.  At most
 * max_queued items wait; past that returns -1 and nothing is queued.
 */
TL_MUSTCHECK int tpool_submit(struct tpool *, tpool_work_fn *, tpool_done_fn *,
    void *);

/* Items queued or running. */
int tpool_pending(struct tpool *);

#endif
