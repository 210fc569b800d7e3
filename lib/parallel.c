/* SPDX-License-Identifier: MIT */
/*
 * One set of threads for all parallel work: a worker pool hashing a file's
 * data level in ranges (the caller builds the upper levels), and an ordered
 * queue of whole items (small files hashed, signed or verified ahead) that
 * the same workers serve while no range is waiting.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mbverity/tree.h"
#include "merkle.h"

/* Bytes of data one worker reads and hashes at a time (rounded to blocks). */
#define CHUNK_BYTES (1024 * 1024)
/* Chunks in flight per thread: enough to keep workers busy while the caller drains. */
#define SLOTS_PER_THREAD 2

struct slot {
	uint64_t chunk;		/* which chunk this slot holds */
	bool ready;
	int err;
	uint8_t *digests;	/* the chunk's data-block hashes */
};

/* One mbv_pool_compute_tree() call, shared by the workers. */
struct job {
	const struct mbv_tree_hash *th;
	mbv_pread_fn pread;
	void *read_ctx;
	uint64_t file_size;
	uint32_t block_size;
	size_t chunk_bytes;
	uint64_t nchunks;
	uint64_t next_chunk;	/* the next chunk a worker takes */
	uint64_t consumed;	/* chunks the caller has taken out of the slots */
	bool abort;
	struct slot *slots;
	size_t nslots;
};

/* An ordered queue on the pool (mbv_queue_new()); guarded by the pool's lock. */
struct mbv_queue {
	struct mbv_pool *pool;
	mbv_work_fn work;
	void *ctx;
	size_t depth, item_size;
	uint8_t *items;
	bool *needs_work, *done;
	/* Sequence numbers: popped < head <= next_take <= tail pushed. */
	size_t head, next_take, tail;
	unsigned int running;	/* items in work outside the lock */
};

struct mbv_pool {
	unsigned int nthreads;	/* hashing threads: the workers plus the caller */
	pthread_t *threads;	/* nthreads - 1 workers */
	uint8_t **buffers;	/* one data buffer per thread; [0] is the caller's */
	size_t buffer_bytes;
	pthread_mutex_t lock;
	pthread_cond_t work;	/* a job arrived, a slot was freed, or shutdown */
	pthread_cond_t done;	/* a slot became ready, or a worker went idle */
	struct job *job;
	unsigned int busy;	/* workers inside the current job */
	struct mbv_queue *queue;	/* at most one at a time */
	/*
	 * Who sleeps on which condition: a wake-up is a futex call and, in a
	 * virtual machine, an inter-processor interrupt, so signal only sleepers.
	 */
	unsigned int workers_waiting;
	bool caller_waiting;
	bool shutdown;
	mbv_progress_fn progress;	/* called in the caller's thread */
	void *progress_ctx;
};

struct worker_arg {
	struct mbv_pool *pool;
	unsigned int index;
};

/* Read and hash one chunk into @digests: whole blocks, the last zero-padded. */
static int hash_chunk(const struct job *j, uint64_t chunk, uint8_t *buf,
		      uint8_t *digests)
{
	uint64_t off = chunk * j->chunk_bytes;
	size_t len = j->file_size - off < j->chunk_bytes ?
		     (size_t)(j->file_size - off) : j->chunk_bytes;
	/* Read and hash in L2-sized pieces: the hash then reads what pread just wrote from cache. */
	size_t piece = MBV_READ_CHUNK > j->block_size ?
		       MBV_READ_CHUNK / j->block_size * j->block_size : j->block_size;
	size_t done = 0;

	while (done < len) {
		size_t n = len - done < piece ? len - done : piece;
		size_t nblocks = (n + j->block_size - 1) / j->block_size;
		int err = j->pread(j->read_ctx, buf, n, off + done);

		if (err)
			return err < 0 ? err : -EIO;
		memset(buf + n, 0, nblocks * j->block_size - n);
		mbv_tree_hash_blocks(j->th, buf, nblocks, j->block_size,
				     digests + done / j->block_size * j->th->digest_size);
		done += n;
	}
	return 0;
}

/* Can a thread take the next chunk?  (Its slot must have been drained.) */
static bool chunk_available(const struct job *j)
{
	return j && !j->abort && j->next_chunk < j->nchunks &&
	       j->next_chunk < j->consumed + j->nslots;
}

/* Take the next chunk, hash it unlocked into its slot; called and returns locked. */
static void take_and_hash(struct mbv_pool *pool, struct job *j, uint8_t *buf)
{
	uint64_t chunk = j->next_chunk++;
	struct slot *s = &j->slots[chunk % j->nslots];
	int err;

	pthread_mutex_unlock(&pool->lock);
	err = hash_chunk(j, chunk, buf, s->digests);
	pthread_mutex_lock(&pool->lock);
	s->chunk = chunk;
	s->err = err;
	s->ready = true;
}

static void *queue_item(struct mbv_queue *q, size_t seq)
{
	return q->items + (seq % q->depth) * q->item_size;
}

/* The next queued item needing work, or SIZE_MAX; called locked. */
static size_t queue_take(struct mbv_queue *q)
{
	while (q && q->next_take < q->tail) {
		size_t seq = q->next_take++;

		if (q->needs_work[seq % q->depth])
			return seq;
	}
	return SIZE_MAX;
}

/* Work on item @seq unlocked; called and returns locked. */
static void queue_run(struct mbv_queue *q, size_t seq)
{
	q->running++;
	pthread_mutex_unlock(&q->pool->lock);
	q->work(q->ctx, queue_item(q, seq));
	pthread_mutex_lock(&q->pool->lock);
	q->done[seq % q->depth] = true;
	q->running--;
}

static void *worker_main(void *p)
{
	struct worker_arg *arg = p;
	struct mbv_pool *pool = arg->pool;
	unsigned int index = arg->index;

	free(arg);
	pthread_mutex_lock(&pool->lock);
	for (;;) {
		struct job *j = pool->job;
		size_t seq;

		if (pool->shutdown)
			break;
		/* A tree's ranges first: the caller waits on them; then items ahead. */
		if (chunk_available(j)) {
			pool->busy++;
			/* The buffers are resized between jobs, so look them up each time. */
			take_and_hash(pool, j, pool->buffers[index]);
			pool->busy--;
		} else if ((seq = queue_take(pool->queue)) != SIZE_MAX) {
			queue_run(pool->queue, seq);
		} else {
			pool->workers_waiting++;
			pthread_cond_wait(&pool->work, &pool->lock);
			pool->workers_waiting--;
			continue;
		}
		if (pool->caller_waiting)
			pthread_cond_signal(&pool->done);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

int mbv_pool_new(unsigned int threads, struct mbv_pool **out)
{
	struct mbv_pool *pool;
	unsigned int i;

	*out = NULL;
	if (threads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		threads = n > 0 ? (unsigned int)n : 1;
	}
	/* Choose the SHA-256 kernel now, before any thread asks for it. */
	mbv_sha256_best();
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return -ENOMEM;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->work, NULL);
	pthread_cond_init(&pool->done, NULL);
	pool->nthreads = 1;
	if (threads == 1) {
		*out = pool;	/* no workers: the caller does everything */
		return 0;
	}
	pool->threads = calloc(threads - 1, sizeof(*pool->threads));
	pool->buffers = calloc(threads, sizeof(*pool->buffers));
	if (!pool->threads || !pool->buffers)
		goto nomem;
	for (i = 1; i < threads; i++) {
		struct worker_arg *arg = malloc(sizeof(*arg));

		if (!arg)
			goto nomem;
		arg->pool = pool;
		arg->index = i;
		/* Sized on first use: block sizes above CHUNK_BYTES need more. */
		pool->buffers[i] = NULL;
		if (pthread_create(&pool->threads[i - 1], NULL, worker_main, arg) != 0) {
			free(arg);
			mbv_pool_free(pool);
			return -EAGAIN;
		}
		pool->nthreads++;
	}
	*out = pool;
	return 0;
nomem:
	mbv_pool_free(pool);
	return -ENOMEM;
}

void mbv_pool_free(struct mbv_pool *pool)
{
	unsigned int i;

	if (!pool)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->shutdown = true;
	pthread_cond_broadcast(&pool->work);
	pthread_mutex_unlock(&pool->lock);
	for (i = 1; i < pool->nthreads; i++)
		pthread_join(pool->threads[i - 1], NULL);
	if (pool->buffers)
		for (i = 0; i < pool->nthreads; i++)
			free(pool->buffers[i]);
	free(pool->buffers);
	free(pool->threads);
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->work);
	pthread_cond_destroy(&pool->done);
	free(pool);
}

unsigned int mbv_pool_threads(const struct mbv_pool *pool)
{
	return pool ? pool->nthreads : 1;
}

void mbv_pool_set_progress(struct mbv_pool *pool, mbv_progress_fn fn, void *ctx)
{
	pool->progress = fn;
	pool->progress_ctx = ctx;
}

static void report_progress(const struct mbv_pool *pool, uint64_t bytes)
{
	if (pool && pool->progress)
		pool->progress(pool->progress_ctx, bytes);
}

/* The caller-only path: sequential reads into one buffer. */
static int compute_serial(const struct mbv_pool *pool, const struct mbv_tree_params *params,
			  mbv_pread_fn pread, void *read_ctx, struct mbv_tree_result *res,
			  mbv_error_fn error, void *error_ctx)
{
	struct mbv_tree_builder *b;
	uint64_t off = 0;
	uint8_t *buf = NULL;
	int err;

	err = mbv_tree_new(params, &b, error, error_ctx);
	if (err)
		return err;
	if (params->file_size) {
		/* Small files are common (mkfs): no bigger buffer than the file. */
		size_t bytes = params->file_size < MBV_READ_CHUNK ?
			       (size_t)(params->file_size + 4095) / 4096 * 4096 : MBV_READ_CHUNK;

		buf = aligned_alloc(4096, bytes);
		if (!buf) {
			err = -ENOMEM;
			goto out;
		}
	}
	while (off < params->file_size) {
		size_t n = params->file_size - off < MBV_READ_CHUNK ?
			   (size_t)(params->file_size - off) : MBV_READ_CHUNK;

		err = pread(read_ctx, buf, n, off);
		if (err > 0)
			err = -EIO;
		if (!err)
			err = mbv_tree_update(b, buf, n);
		if (err)
			goto out;
		report_progress(pool, n);
		off += n;
	}
	err = mbv_tree_finish(b, res);
out:
	free(buf);
	mbv_tree_free(b);
	return err;
}

/* Grow the workers' buffers to @bytes (callers hold no lock: workers are idle). */
static int size_buffers(struct mbv_pool *pool, size_t bytes)
{
	unsigned int i;

	if (pool->buffer_bytes >= bytes)
		return 0;
	for (i = 0; i < pool->nthreads; i++) {
		free(pool->buffers[i]);
		pool->buffers[i] = aligned_alloc(4096, bytes);
		if (!pool->buffers[i]) {
			pool->buffer_bytes = 0;
			return -ENOMEM;
		}
	}
	pool->buffer_bytes = bytes;
	return 0;
}

int mbv_pool_compute_tree(struct mbv_pool *pool,
			  const struct mbv_tree_params *params,
			  mbv_pread_fn pread, void *read_ctx,
			  struct mbv_tree_result *res,
			  mbv_error_fn error, void *error_ctx)
{
	struct mbv_tree_builder *b;
	struct mbv_tree_spec spec;
	struct job j = { 0 };
	size_t digest_bytes, i;
	uint32_t bs;
	int err;

	err = mbv_tree_params_check(params, &spec, error, error_ctx);
	if (err)
		return err;
	bs = spec.block_size;
	j.chunk_bytes = CHUNK_BYTES / bs * bs;
	if (j.chunk_bytes == 0)
		j.chunk_bytes = bs;
	/* Small files, or no workers: not worth a hand-off. */
	if (!pool || pool->nthreads < 2 || params->file_size <= j.chunk_bytes)
		return compute_serial(pool, params, pread, read_ctx, res, error, error_ctx);

	err = mbv_tree_new(params, &b, error, error_ctx);
	if (err)
		return err;
	err = size_buffers(pool, j.chunk_bytes);
	if (err)
		goto out_builder;
	j.th = mbv_tree_builder_hash(b);
	j.pread = pread;
	j.read_ctx = read_ctx;
	j.file_size = params->file_size;
	j.block_size = bs;
	j.nchunks = (params->file_size + j.chunk_bytes - 1) / j.chunk_bytes;
	j.nslots = (size_t)pool->nthreads * SLOTS_PER_THREAD;
	digest_bytes = j.chunk_bytes / bs * j.th->digest_size;
	j.slots = calloc(j.nslots, sizeof(*j.slots));
	if (!j.slots) {
		err = -ENOMEM;
		goto out_builder;
	}
	for (i = 0; i < j.nslots; i++) {
		j.slots[i].digests = malloc(digest_bytes);
		if (!j.slots[i].digests) {
			err = -ENOMEM;
			goto out_slots;
		}
	}

	pthread_mutex_lock(&pool->lock);
	pool->job = &j;
	if (pool->workers_waiting)
		pthread_cond_broadcast(&pool->work);
	while (j.consumed < j.nchunks) {
		struct slot *s = &j.slots[j.consumed % j.nslots];
		uint64_t off = j.consumed * j.chunk_bytes;
		uint64_t len;

		if (!s->ready) {
			/* The caller hashes too, rather than sleep. */
			if (chunk_available(&j)) {
				take_and_hash(pool, &j, pool->buffers[0]);
			} else {
				pool->caller_waiting = true;
				pthread_cond_wait(&pool->done, &pool->lock);
				pool->caller_waiting = false;
			}
			continue;
		}
		pthread_mutex_unlock(&pool->lock);
		/* Chunks are drained in order, so the tree comes out the same. */
		len = j.file_size - off < j.chunk_bytes ? j.file_size - off : j.chunk_bytes;
		err = s->err;
		if (!err)
			err = mbv_tree_add_data_hashes(b, s->digests,
						       (size_t)((len + bs - 1) / bs), len);
		if (!err)
			report_progress(pool, len);
		pthread_mutex_lock(&pool->lock);
		s->ready = false;
		j.consumed++;
		if (err) {
			j.abort = true;
			break;
		}
		if (pool->workers_waiting)
			pthread_cond_signal(&pool->work);
	}
	/* Wait until no worker still touches this job. */
	j.abort = true;
	while (pool->busy) {
		pool->caller_waiting = true;
		pthread_cond_wait(&pool->done, &pool->lock);
		pool->caller_waiting = false;
	}
	pool->job = NULL;
	pthread_mutex_unlock(&pool->lock);
	if (!err)
		err = mbv_tree_finish(b, res);
out_slots:
	for (i = 0; i < j.nslots; i++)
		free(j.slots[i].digests);
	free(j.slots);
out_builder:
	mbv_tree_free(b);
	return err;
}

int mbv_queue_new(struct mbv_pool *pool, size_t depth, size_t item_size,
		  mbv_work_fn work, void *ctx, struct mbv_queue **out)
{
	struct mbv_queue *q;

	*out = NULL;
	if (!pool || !depth || !item_size || !work || pool->queue)
		return -EINVAL;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->pool = pool;
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
		return -ENOMEM;
	}
	pthread_mutex_lock(&pool->lock);
	pool->queue = q;
	pthread_mutex_unlock(&pool->lock);
	*out = q;
	return 0;
}

void *mbv_queue_slot(struct mbv_queue *q)
{
	void *p;

	pthread_mutex_lock(&q->pool->lock);
	p = q->tail - q->head < q->depth ? queue_item(q, q->tail) : NULL;
	pthread_mutex_unlock(&q->pool->lock);
	if (p)
		memset(p, 0, q->item_size);
	return p;
}

void mbv_queue_push(struct mbv_queue *q, int needs_work)
{
	struct mbv_pool *pool = q->pool;

	pthread_mutex_lock(&pool->lock);
	q->needs_work[q->tail % q->depth] = needs_work;
	q->done[q->tail % q->depth] = !needs_work;
	q->tail++;
	if (needs_work && pool->workers_waiting)
		pthread_cond_signal(&pool->work);
	pthread_mutex_unlock(&pool->lock);
}

void *mbv_queue_head(struct mbv_queue *q)
{
	struct mbv_pool *pool = q->pool;
	void *p = NULL;

	pthread_mutex_lock(&pool->lock);
	while (q->head < q->tail) {
		size_t seq;

		if (q->done[q->head % q->depth]) {
			p = queue_item(q, q->head);
			break;
		}
		/* The caller works too, rather than sleep. */
		seq = queue_take(q);
		if (seq != SIZE_MAX) {
			queue_run(q, seq);
		} else {
			pool->caller_waiting = true;
			pthread_cond_wait(&pool->done, &pool->lock);
			pool->caller_waiting = false;
		}
	}
	pthread_mutex_unlock(&pool->lock);
	return p;
}

void mbv_queue_pop(struct mbv_queue *q)
{
	pthread_mutex_lock(&q->pool->lock);
	q->head++;
	if (q->next_take < q->head)
		q->next_take = q->head;
	pthread_mutex_unlock(&q->pool->lock);
}

void mbv_queue_free(struct mbv_queue *q, void (*drop)(void *item))
{
	struct mbv_pool *pool;

	if (!q)
		return;
	pool = q->pool;
	pthread_mutex_lock(&pool->lock);
	/* No new item is taken; wait for those in work. */
	q->next_take = q->tail;
	while (q->running) {
		pool->caller_waiting = true;
		pthread_cond_wait(&pool->done, &pool->lock);
		pool->caller_waiting = false;
	}
	pool->queue = NULL;
	pthread_mutex_unlock(&pool->lock);
	for (; q->head < q->tail; q->head++)
		if (drop)
			drop(queue_item(q, q->head));
	free(q->items);
	free(q->needs_work);
	free(q->done);
	free(q);
}
