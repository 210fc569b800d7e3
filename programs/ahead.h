/* SPDX-License-Identifier: MIT */
/*
 * Work done ahead, in order: the calling thread queues items (it alone may
 * call libext2fs), worker threads do each item's work (hashing, signing,
 * verifying), and the caller takes the items back in the order it queued
 * them, so output and images do not depend on the thread count.
 */
#ifndef MBV_PROGRAMS_AHEAD_H
#define MBV_PROGRAMS_AHEAD_H

#include <stdbool.h>
#include <stddef.h>

struct ahead_queue;

/* Files done ahead whole by one thread; larger ones are split across the pool instead. */
#define AHEAD_MAX_FILE_BYTES (4u << 20)
/* Files in flight (for hashing: trees of at most 32 KiB each). */
#define AHEAD_FILES 64

/* Does @item's work; runs in any thread, and must not call libext2fs. */
typedef void (*ahead_work_fn)(void *ctx, void *item);

/*
 * @threads: threads doing work in all, the caller included (it works
 * rather than wait); @depth items of @item_size bytes at most in flight.
 * Return: the queue, or NULL out of memory.
 */
struct ahead_queue *ahead_new(unsigned int threads, size_t depth, size_t item_size,
			      ahead_work_fn work, void *ctx);
/* A zeroed slot for the next item, or NULL when full (take the head first). */
void *ahead_slot(struct ahead_queue *q);
/* Queue the slot ahead_slot() gave; @needs_work false: it is done already. */
void ahead_push(struct ahead_queue *q, bool needs_work);
/* The oldest item once its work is done, or NULL when none is queued. */
void *ahead_head(struct ahead_queue *q);
/* Forget the head item (its contents are the caller's to free first). */
void ahead_pop(struct ahead_queue *q);
/* Stop the workers, @drop (if not NULL) every item not popped, free. */
void ahead_free(struct ahead_queue *q, void (*drop)(void *item));

#endif
