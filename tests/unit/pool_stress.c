/* SPDX-License-Identifier: MIT */
/*
 * The worker pool and its ordered work queue (lib/parallel.c: one set of
 * threads serves both) started, used and stopped many times with 1 to 4
 * threads: every tree equals the one-thread tree, also when trees are built
 * while queue items are in work, every item comes back in order with its
 * work done, and nothing hangs (check's timeout fails a hang).
 * Run natively, under ThreadSanitizer (scripts/test.sh) and under
 * qemu-aarch64 (scripts/cross-arm64.sh), where ARM's weak memory ordering
 * would expose a plain flag read outside the lock.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mbverity.h"

#define ROUNDS 40

static uint8_t *data;
#define DATA_BYTES ((5u << 20) / 2 + 4095)	/* 3 chunks of the pool's 1 MiB */

static int mem_pread(void *ctx, void *buf, size_t count, uint64_t offset)
{
	memcpy(buf, (const uint8_t *)ctx + offset, count);
	return 0;
}

static void tree_of(struct mbv_pool *pool, uint32_t alg, uint64_t size,
		    struct mbv_tree_result *res)
{
	struct mbv_tree_params p;

	memset(&p, 0, sizeof(p));
	p.version = 1;
	p.spec.hash_algorithm = alg;
	p.spec.block_size = 4096;
	p.file_size = size;
	ck_assert_int_eq(mbv_pool_compute_tree(pool, &p, mem_pread, data, res, NULL, NULL), 0);
}

/*
 * The sizes the pool treats differently: empty and 10 bytes (the caller
 * alone, workers idle: issue 15's hang was reported here), one chunk plus
 * a byte (a hand-off), three chunks (every worker busy, slots recycled).
 */
static const uint64_t sizes[] = { 0, 10, (1u << 20) + 1, DATA_BYTES };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

START_TEST(pool_many_lifetimes)
{
	struct mbv_tree_result want[2][NSIZES], got;
	static const uint32_t algs[2] = { MBV_HASH_ALG_SHA256, MBV_HASH_ALG_SHA512 };
	unsigned int r, a;
	size_t i;

	for (a = 0; a < 2; a++)
		for (i = 0; i < NSIZES; i++)
			tree_of(NULL, algs[a], sizes[i], &want[a][i]);
	for (r = 0; r < ROUNDS; r++) {
		unsigned int threads = 2 + r % 3;
		struct mbv_pool *pool;

		ck_assert_int_eq(mbv_pool_new(threads, &pool), 0);
		ck_assert_uint_eq(mbv_pool_threads(pool), threads);
		/* Some pools are freed before any job: workers may not have started. */
		for (i = 0; r % 5 != 4 && i < NSIZES; i++) {
			a = (r + i) % 2;
			tree_of(pool, algs[a], sizes[i], &got);
			ck_assert_msg(memcmp(got.digest, want[a][i].digest, got.digest_size) == 0,
				      "round %u, %u threads, %llu bytes", r, threads,
				      (unsigned long long)sizes[i]);
		}
		mbv_pool_free(pool);
	}
}
END_TEST

struct item {
	unsigned int seq;
	unsigned int result;
};

static void square(void *ctx, void *p)
{
	struct item *it = p;

	it->result = it->seq * it->seq + 1;
}

/* Items pushed and taken back in order; queues freed full, empty or half-drained. */
START_TEST(queue_many_lifetimes)
{
	unsigned int r;

	struct mbv_tree_result want, got;

	tree_of(NULL, MBV_HASH_ALG_SHA256, DATA_BYTES, &want);
	for (r = 0; r < 4 * ROUNDS; r++) {
		unsigned int threads = 1 + r % 4, pushed = 0, popped = 0;
		unsigned int total = r % 4 == 3 ? 0 : 1 + r % 37;
		struct mbv_pool *pool;
		struct mbv_queue *q, *second;
		struct item *it;

		ck_assert_int_eq(mbv_pool_new(threads, &pool), 0);
		ck_assert_int_eq(mbv_queue_new(pool, 8, sizeof(struct item), square, NULL, &q), 0);
		/* One queue per pool. */
		ck_assert_int_eq(mbv_queue_new(pool, 8, sizeof(struct item), square, NULL, &second),
				 -EINVAL);
		for (;;) {
			while (pushed < total && (it = mbv_queue_slot(q)) != NULL) {
				it->seq = pushed++;
				/* Every third is done already: no worker may touch it. */
				if (it->seq % 3 == 2)
					it->result = 7;
				mbv_queue_push(q, it->seq % 3 != 2);
			}
			/* Some queues are freed with work still queued. */
			if (r % 4 == 1 && popped == total / 2)
				break;
			it = mbv_queue_head(q);
			if (!it)
				break;
			ck_assert_uint_eq(it->seq, popped);
			ck_assert_uint_eq(it->result, it->seq % 3 == 2 ? 7 : it->seq * it->seq + 1);
			mbv_queue_pop(q);
			popped++;
			/* A large file split across the same threads while items wait (enable --all). */
			if (r % 8 == 5 && popped == 3) {
				tree_of(pool, MBV_HASH_ALG_SHA256, DATA_BYTES, &got);
				ck_assert_mem_eq(got.digest, want.digest, want.digest_size);
			}
		}
		if (r % 4 != 1)
			ck_assert_uint_eq(popped, total);
		mbv_queue_free(q, NULL);
		mbv_pool_free(pool);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pool_stress");
	TCase *tc = tcase_create("stress");
	SRunner *sr;
	size_t i;
	int failed;

	data = malloc(DATA_BYTES);
	if (!data)
		return 99;
	for (i = 0; i < DATA_BYTES; i++)
		data[i] = (uint8_t)(i * 131 + (i >> 12));
	tcase_add_test(tc, pool_many_lifetimes);
	tcase_add_test(tc, queue_many_lifetimes);
	/* Generous for qemu and TSan; a hang is a failure, not a stuck CI job. */
	tcase_set_timeout(tc, 240);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	free(data);
	return failed ? 1 : 0;
}
