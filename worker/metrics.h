/*
 * The worker's counters for Prometheus, on a loopback-only plain HTTP
 * listener: GET /metrics.
 */
#ifndef TL_METRICS_H
#define TL_METRICS_H

#include <stddef.h>

#include <event2/event.h>

#include "util.h"

struct queue;

/* Listens on addr ("127.0.0.1:9465"; empty: no listener).  -1 with errbuf
 * if addr is not a loopback address or cannot be bound. */
TL_MUSTCHECK int metrics_start(struct event_base *, const char *addr,
    struct queue *, char *errbuf, size_t errlen);
void metrics_stop(void);

#endif
