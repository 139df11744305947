/*
 * Worker threads take items from a mutex-protected FIFO; finished items go
 * to a second FIFO and a byte written to a pipe wakes the event loop, which
 * runs their done callbacks.  The pipe keeps libevent single-threaded: no
 * evthread locking is needed anywhere else.
 */
#include <sys/queue.h>
#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event_struct.h>

#include "log.h"
#include "tpool.h"

#define TPOOL_MAX_QUEUED 1024

struct tpool_item {
	STAILQ_ENTRY(tpool_item) entry;
	tpool_work_fn *work;
	tpool_done_fn *done;
	void *arg;
};

STAILQ_HEAD(tpool_list, tpool_item);

struct tpool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct tpool_list todo;
	struct tpool_list finished;
	int nqueued;
	int pending;
	bool stop;
	pthread_t *threads;
	int nthreads;
	int nice; /* of the threads */
	int wake[2];
	struct event ev;
};

static void *
tpool_thread(void *arg)
{
	struct tpool *tp = arg;
	struct tpool_item *it;
	char c = 1;

	/* On Linux a thread has a nice value of its own. */
	if (tp->nice != 0 &&
	    setpriority(PRIO_PROCESS, (id_t)gettid(), tp->nice) == -1)
		log_warn("thread priority");
	pthread_mutex_lock(&tp->mu);
	for (;;) {
		while (!tp->stop && STAILQ_EMPTY(&tp->todo))
			pthread_cond_wait(&tp->cv, &tp->mu);
		if (STAILQ_EMPTY(&tp->todo))
			break;
		it = STAILQ_FIRST(&tp->todo);
		STAILQ_REMOVE_HEAD(&tp->todo, entry);
		tp->nqueued--;
		pthread_mutex_unlock(&tp->mu);
		it->work(it->arg);
		pthread_mutex_lock(&tp->mu);
		STAILQ_INSERT_TAIL(&tp->finished, it, entry);
		while (write(tp->wake[1], &c, 1) == -1 && errno == EINTR)
			;
	}
	pthread_mutex_unlock(&tp->mu);
	return NULL;
}

static void
tpool_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tpool *tp = arg;
	struct tpool_list done;
	struct tpool_item *it;
	char drain[64];

	(void)what;
	while (read(fd, drain, sizeof(drain)) > 0)
		;
	STAILQ_INIT(&done);
	pthread_mutex_lock(&tp->mu);
	STAILQ_CONCAT(&done, &tp->finished);
	pthread_mutex_unlock(&tp->mu);
	while ((it = STAILQ_FIRST(&done)) != NULL) {
		STAILQ_REMOVE_HEAD(&done, entry);
		tp->pending--;
		it->done(it->arg);
		free(it);
	}
}

struct tpool *
tpool_new(struct event_base *base, int nthreads)
{
	return tpool_new_nice(base, nthreads, 0);
}

struct tpool *
tpool_new_nice(struct event_base *base, int nthreads, int nice)
{
	struct tpool *tp;
	int i;

	tp = xcalloc(1, sizeof(*tp));
	tp->nice = nice;
	pthread_mutex_init(&tp->mu, NULL);
	pthread_cond_init(&tp->cv, NULL);
	STAILQ_INIT(&tp->todo);
	STAILQ_INIT(&tp->finished);
	if (pipe2(tp->wake, O_CLOEXEC | O_NONBLOCK) == -1)
		fatal("pipe2");
	event_assign(&tp->ev, base, tp->wake[0], EV_READ | EV_PERSIST,
	    tpool_wake_cb, tp);
	event_add(&tp->ev, NULL);
	tp->threads = xcalloc((size_t)nthreads, sizeof(pthread_t));
	tp->nthreads = nthreads;
	for (i = 0; i < nthreads; i++)
		if ((errno = pthread_create(&tp->threads[i], NULL, tpool_thread,
		         tp)) != 0)
			fatal("pthread_create");
	return tp;
}

void
tpool_free(struct tpool *tp)
{
	int i;

	if (tp == NULL)
		return;
	pthread_mutex_lock(&tp->mu);
	tp->stop = true;
	pthread_cond_broadcast(&tp->cv);
	pthread_mutex_unlock(&tp->mu);
	for (i = 0; i < tp->nthreads; i++)
		pthread_join(tp->threads[i], NULL);
	/* Run what finished so every owner hears back exactly once. */
	tpool_wake_cb(tp->wake[0], EV_READ, tp);
	event_del(&tp->ev);
	close(tp->wake[0]);
	close(tp->wake[1]);
	pthread_mutex_destroy(&tp->mu);
	pthread_cond_destroy(&tp->cv);
	free(tp->threads);
	free(tp);
}

int
tpool_submit(struct tpool *tp, tpool_work_fn *work, tpool_done_fn *done,
    void *arg)
{
	struct tpool_item *it;

	if ((it = malloc(sizeof(*it))) == NULL)
		return -1;
	it->work = work;
	it->done = done;
	it->arg = arg;
	pthread_mutex_lock(&tp->mu);
	if (tp->stop || tp->nqueued >= TPOOL_MAX_QUEUED) {
		pthread_mutex_unlock(&tp->mu);
		free(it);
		return -1;
	}
	STAILQ_INSERT_TAIL(&tp->todo, it, entry);
	tp->nqueued++;
	tp->pending++;
	pthread_cond_signal(&tp->cv);
	pthread_mutex_unlock(&tp->mu);
	return 0;
}

int
tpool_pending(struct tpool *tp)
{
	return tp->pending;
}
