/* SPDX-License-Identifier: MIT */
/* Work done ahead in worker threads, taken back in order by the caller. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ahead.h"

#define MAX_WORKERS 64

struct ahead_queue {
	ahead_work_fn work;
	void *ctx;
	size_t depth, item_size;
	uint8_t *items;
	bool *needs_work, *done;
	/* Sequence numbers: popped < head <= next_take <= tail pushed. */
	size_t head, next_take, tail;
	pthread_mutex_t lock;
	pthread_cond_t work_cond, done_cond;
	/* A wake-up is a futex call and, in a VM, an inter-processor interrupt: only for sleepers. */
	unsigned int workers_waiting;
	bool caller_waiting, stop;
	pthread_t threads[MAX_WORKERS];
	unsigned int nthreads;
};

static void *item(struct ahead_queue *q, size_t seq)
{
	return q->items + (seq % q->depth) * q->item_size;
}

/* The next queued item needing work, or SIZE_MAX; called locked. */
static size_t take(struct ahead_queue *q)
{
	while (q->next_take < q->tail) {
		size_t seq = q->next_take++;

		if (q->needs_work[seq % q->depth])
			return seq;
	}
	return SIZE_MAX;
}

/* Work on item @seq unlocked; called and returns locked. */
static void run(struct ahead_queue *q, size_t seq)
{
	pthread_mutex_unlock(&q->lock);
	q->work(q->ctx, item(q, seq));
	pthread_mutex_lock(&q->lock);
	q->done[seq % q->depth] = true;
}

static void *worker(void *arg)
{
	struct ahead_queue *q = arg;

	pthread_mutex_lock(&q->lock);
	while (!q->stop) {
		size_t seq = take(q);

		if (seq == SIZE_MAX) {
			q->workers_waiting++;
			pthread_cond_wait(&q->work_cond, &q->lock);
			q->workers_waiting--;
			continue;
		}
		run(q, seq);
		if (q->caller_waiting)
			pthread_cond_signal(&q->done_cond);
	}
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

struct ahead_queue *ahead_new(unsigned int threads, size_t depth, size_t item_size,
			      ahead_work_fn work, void *ctx)
{
	struct ahead_queue *q = calloc(1, sizeof(*q));
	unsigned int i;

	if (!q)
		return NULL;
	q->work = work;
	q->ctx = ctx;
	q->depth = depth;
	q->item_size = item_size;
	q->items = calloc(depth, item_size);
	q->needs_work = calloc(depth, sizeof(bool));
	q->done = calloc(depth, sizeof(bool));
	if (!q->items || !q->needs_work || !q->done) {
		free(q->items);
		free(q->needs_work);
		free(q->done);
		free(q);
		return NULL;
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->work_cond, NULL);
	pthread_cond_init(&q->done_cond, NULL);
	/* Fewer workers than asked only means less parallelism, never a failure. */
	for (i = 1; i < threads && q->nthreads < MAX_WORKERS; i++)
		if (pthread_create(&q->threads[q->nthreads], NULL, worker, q) == 0)
			q->nthreads++;
	return q;
}

void *ahead_slot(struct ahead_queue *q)
{
	void *p;

	pthread_mutex_lock(&q->lock);
	p = q->tail - q->head < q->depth ? item(q, q->tail) : NULL;
	pthread_mutex_unlock(&q->lock);
	if (p)
		memset(p, 0, q->item_size);
	return p;
}

void ahead_push(struct ahead_queue *q, bool needs_work)
{
	pthread_mutex_lock(&q->lock);
	q->needs_work[q->tail % q->depth] = needs_work;
	q->done[q->tail % q->depth] = !needs_work;
	q->tail++;
	if (needs_work && q->workers_waiting)
		pthread_cond_signal(&q->work_cond);
	pthread_mutex_unlock(&q->lock);
}

void *ahead_head(struct ahead_queue *q)
{
	void *p = NULL;

	pthread_mutex_lock(&q->lock);
	while (q->head < q->tail) {
		size_t seq;

		if (q->done[q->head % q->depth]) {
			p = item(q, q->head);
			break;
		}
		seq = take(q);
		if (seq != SIZE_MAX) {
			run(q, seq);
		} else {
			q->caller_waiting = true;
			pthread_cond_wait(&q->done_cond, &q->lock);
			q->caller_waiting = false;
		}
	}
	pthread_mutex_unlock(&q->lock);
	return p;
}

void ahead_pop(struct ahead_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->head++;
	if (q->next_take < q->head)
		q->next_take = q->head;
	pthread_mutex_unlock(&q->lock);
}

void ahead_free(struct ahead_queue *q, void (*drop)(void *item))
{
	unsigned int i;

	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->stop = true;
	pthread_cond_broadcast(&q->work_cond);
	pthread_mutex_unlock(&q->lock);
	for (i = 0; i < q->nthreads; i++)
		pthread_join(q->threads[i], NULL);
	for (; q->head < q->tail; q->head++)
		if (drop)
			drop(item(q, q->head));
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->work_cond);
	pthread_cond_destroy(&q->done_cond);
	free(q->items);
	free(q->needs_work);
	free(q->done);
	free(q);
}
