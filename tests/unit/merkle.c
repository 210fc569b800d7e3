/* SPDX-License-Identifier: MIT */
/* The tree builder against fsverity-utils' known answers, under every SHA-256 and SHA-512 implementation. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>

#include "mbverity.h"
#include "merkle.h"
#include "hash.h"
#include "kat.h"

static struct kat *kats;

/*
 * Allocation failure injected under the library (linked with
 * -Wl,--wrap=calloc): while set, the builder's digest array - the only
 * calloc of 64 digests - fails, as if memory ran out.
 */
static int fail_digest_array;
void *__real_calloc(size_t nmemb, size_t size);
void *__wrap_calloc(size_t nmemb, size_t size);

void *__wrap_calloc(size_t nmemb, size_t size)
{
	if (fail_digest_array && nmemb == 64 && (size == 32 || size == 64)) {
		fail_digest_array++;
		return NULL;
	}
	return __real_calloc(nmemb, size);
}
static size_t nkats;

struct tree_buf {
	uint8_t *p;
	uint64_t size;
	uint64_t written;	/* sum of block sizes handed over */
};

static int collect_block(void *ctx, const void *block, size_t size, uint64_t offset)
{
	struct tree_buf *t = ctx;

	ck_assert_uint_le(offset + size, t->size);
	memcpy(t->p + offset, block, size);
	t->written += size;
	return 0;
}

static void params_for(struct mbv_tree_params *p, const struct kat *k,
		       struct tree_buf *t, uint32_t flags)
{
	memset(p, 0, sizeof(*p));
	p->version = 1;
	p->hash_algorithm = k->hash_alg;
	p->block_size = k->block_size;
	p->salt = k->salt;
	p->salt_size = k->salt_size;
	p->file_size = k->size;
	p->flags = flags;
	p->tree_block = collect_block;
	p->ctx = t;
}

/* Build the tree of @k, feeding pieces of pseudo-random sizes (0 = whole). */
static void check_kat(const struct kat *k, const uint8_t *data, unsigned int seed,
		      uint32_t flags)
{
	struct mbv_tree_params p;
	struct mbv_tree_builder *b;
	struct mbv_tree_result res;
	struct tree_buf t = { 0 };
	uint8_t sha[32];
	uint64_t off = 0;

	t.size = k->tree_size;
	t.p = malloc(t.size ? t.size : 1);
	ck_assert_ptr_nonnull(t.p);
	params_for(&p, k, &t, flags);
	ck_assert_int_eq(mbv_tree_new(&p, &b), 0);
	while (off < k->size) {
		uint64_t n = k->size - off;

		if (seed) {
			uint64_t r = (uint64_t)rand_r(&seed) % (3 * k->block_size + 1);

			if (r < n)
				n = r;
		}
		ck_assert_int_eq(mbv_tree_update(b, data + off, (size_t)n), 0);
		off += n;
	}
	ck_assert_int_eq(mbv_tree_finish(b, &res), 0);
	mbv_tree_free(b);

	ck_assert_msg(memcmp(res.digest, k->digest, res.digest_size) == 0, "digest of %s", k->id);
	ck_assert_msg(memcmp(res.root_hash, k->root_hash, res.digest_size) == 0, "root of %s", k->id);
	ck_assert_uint_eq(res.tree_size, k->tree_size);
	ck_assert_uint_eq(t.written, k->tree_size);
	SHA256(t.p, (size_t)t.size, sha);
	ck_assert_msg(memcmp(sha, k->tree_sha256, 32) == 0, "tree of %s", k->id);
	ck_assert_uint_eq(res.descriptor[0], 1);
	free(t.p);
}

/*
 * Every known answer, whole buffers and ragged pieces, heap and stack
 * digests: loop index i < the SHA-256 table's length forces SHA-256 kernel
 * i for the SHA-256 rows; the next indices force each SHA-512 kernel for
 * the SHA-512 rows.
 */
START_TEST(known_answers)
{
	size_t n256 = 0, i, nrows = 0;
	const char *name;
	uint32_t alg;
	int usable;

	while (mbv_sha256_impls[n256])
		n256++;
	if ((size_t)_i < n256) {
		const struct mbv_sha256_impl *impl = mbv_sha256_impls[_i];

		alg = MBV_HASH_ALG_SHA256;
		name = impl->name;
		usable = mbv_sha256_impl_usable(impl);
		if (usable)
			ck_assert_int_eq(mbv_sha256_force(name), 0);
	} else {
		const struct mbv_sha512_impl *impl = mbv_sha512_impls[_i - n256];

		alg = MBV_HASH_ALG_SHA512;
		name = impl->name;
		usable = mbv_sha512_impl_usable(impl);
		if (usable)
			ck_assert_int_eq(mbv_sha512_force(name), 0);
	}
	if (!usable) {
		/* test_hash_impls fails when a kernel the CPU has is unusable. */
		fprintf(stderr, "test_merkle: %s is not usable on this CPU\n", name);
		return;
	}
	for (i = 0; i < nkats; i++) {
		const struct kat *k = &kats[i];
		uint8_t *data, sha[32];

		if (k->hash_alg != alg)
			continue;
		nrows++;
		data = kat_content(k);
		ck_assert_ptr_nonnull(data);
		SHA256(data, (size_t)k->size, sha);
		ck_assert_msg(memcmp(sha, k->content_sha256, 32) == 0, "content of %s", k->id);
		check_kat(k, data, 0, 0);
		/* Ragged pieces are slow on 64 MiB: one mode per big input is enough. */
		if (k->size <= 4 << 20) {
			check_kat(k, data, (unsigned int)i + 1, 0);
			check_kat(k, data, 0, MBV_TREE_FLAG_STACK_DIGESTS);
			/* A real allocation failure takes the stack path too. */
			fail_digest_array = 1;
			check_kat(k, data, (unsigned int)i + 7, 0);
			ck_assert_int_eq(fail_digest_array, 2);
			fail_digest_array = 0;
		}
		free(data);
	}
	/* Both algorithms have rows at 1 KiB, 4 KiB and 64 KiB blocks. */
	ck_assert_uint_ge(nrows, 3 * 11);
	mbv_sha256_force(NULL);
	mbv_sha512_force(NULL);
}
END_TEST

struct mem_data {
	const uint8_t *p;
	uint64_t fail_at;	/* offset whose read fails, or UINT64_MAX */
};

static int mem_pread(void *ctx, void *buf, size_t count, uint64_t offset)
{
	const struct mem_data *m = ctx;

	if (offset <= m->fail_at && m->fail_at < offset + count)
		return -EIO;
	memcpy(buf, m->p + offset, count);
	return 0;
}

/* Known answers through a pool of 1..3 threads: the same tree bytes. */
START_TEST(pool_known_answers)
{
	unsigned int threads = (unsigned int)_i + 1;
	struct mbv_pool *pool;
	size_t i;

	ck_assert_int_eq(mbv_pool_new(threads, &pool), 0);
	ck_assert_uint_eq(mbv_pool_threads(pool), threads);
	for (i = 0; i < nkats; i++) {
		const struct kat *k = &kats[i];
		struct mem_data m = { kat_content(k), UINT64_MAX };
		struct mbv_tree_params p;
		struct mbv_tree_result res;
		struct tree_buf t = { 0 };
		uint8_t sha[32];

		t.size = k->tree_size;
		t.p = malloc(t.size ? t.size : 1);
		params_for(&p, k, &t, 0);
		ck_assert_int_eq(mbv_pool_compute_tree(pool, &p, mem_pread, &m, &res), 0);
		ck_assert_msg(memcmp(res.digest, k->digest, res.digest_size) == 0,
			      "digest of %s with %u threads", k->id, threads);
		SHA256(t.p, (size_t)t.size, sha);
		ck_assert_msg(memcmp(sha, k->tree_sha256, 32) == 0, "tree of %s", k->id);
		ck_assert_uint_eq(t.written, k->tree_size);
		free(t.p);
		free((void *)m.p);
	}
	mbv_pool_free(pool);
}
END_TEST

/* A read failing in a worker, early or late, stops the build with its error. */
START_TEST(pool_read_error_surfaces)
{
	static const uint64_t fail_at[] = { 0, 5 << 20, (12 << 20) - 1 };
	struct mbv_pool *pool;
	uint8_t *data = calloc(1, 12 << 20);
	size_t i;

	ck_assert_int_eq(mbv_pool_new(2, &pool), 0);
	for (i = 0; i < 3; i++) {
		struct mem_data m = { data, fail_at[i] };
		struct mbv_tree_params p = { .version = 1, .file_size = 12 << 20 };
		struct mbv_tree_result res;

		ck_assert_int_eq(mbv_pool_compute_tree(pool, &p, mem_pread, &m, &res), -EIO);
	}
	/* The pool still works afterwards. */
	{
		struct mem_data m = { data, UINT64_MAX };
		struct mbv_tree_params p = { .version = 1, .file_size = 12 << 20 };
		struct mbv_tree_result a, b;

		ck_assert_int_eq(mbv_pool_compute_tree(pool, &p, mem_pread, &m, &a), 0);
		ck_assert_int_eq(mbv_pool_compute_tree(NULL, &p, mem_pread, &m, &b), 0);
		ck_assert_mem_eq(a.digest, b.digest, 32);
	}
	mbv_pool_free(pool);
	free(data);
}
END_TEST

static int failing_read(void *ctx, void *buf, size_t count)
{
	int *calls = ctx;

	memset(buf, 0, count);
	return ++*calls == 2 ? -EIO : 0;
}

START_TEST(read_error_surfaces)
{
	struct mbv_tree_params p = { .version = 1, .file_size = 3 * MBV_READ_CHUNK };
	struct mbv_tree_result res;
	int calls = 0;

	ck_assert_int_eq(mbv_compute_tree(&p, failing_read, &calls, &res), -EIO);
	ck_assert_int_eq(calls, 2);
}
END_TEST

static int failing_block(void *ctx, const void *block, size_t size, uint64_t offset)
{
	return -ENOSPC;
}

START_TEST(callback_error_surfaces)
{
	struct mbv_tree_params p = { .version = 1, .file_size = 1 << 20,
				     .tree_block = failing_block };
	struct mbv_tree_builder *b;
	struct mbv_tree_result res;
	uint8_t *data = calloc(1, 1 << 20);
	int err;

	ck_assert_int_eq(mbv_tree_new(&p, &b), 0);
	err = mbv_tree_update(b, data, 1 << 20);
	if (!err)
		err = mbv_tree_finish(b, &res);
	ck_assert_int_eq(err, -ENOSPC);
	mbv_tree_free(b);
	free(data);
}
END_TEST

START_TEST(bad_params_rejected)
{
	struct mbv_tree_params p = { .version = 1, .file_size = 10 };
	struct mbv_tree_builder *b;
	struct mbv_tree_result res;
	uint8_t salt[33] = { 0 };

	ck_assert_int_eq(mbv_tree_new(&p, &b), 0);
	ck_assert_int_eq(mbv_tree_update(b, salt, 11), -EINVAL);	/* too much */
	ck_assert_int_eq(mbv_tree_update(b, salt, 9), 0);
	ck_assert_int_eq(mbv_tree_finish(b, &res), -EINVAL);		/* too little */
	mbv_tree_free(b);

	p.version = 2;
	ck_assert_int_eq(mbv_tree_new(&p, &b), -EINVAL);
	p.version = 1;
	p.reserved[3] = 1;
	ck_assert_int_eq(mbv_tree_new(&p, &b), -EINVAL);
	p.reserved[3] = 0;
	p.block_size = 3000;
	ck_assert_int_eq(mbv_tree_new(&p, &b), -EINVAL);
	p.block_size = 32;	/* below 2 x SHA-256 digest */
	ck_assert_int_eq(mbv_tree_new(&p, &b), -EINVAL);
	p.block_size = 64;
	p.hash_algorithm = MBV_HASH_ALG_SHA512;
	ck_assert_int_eq(mbv_tree_new(&p, &b), -EINVAL);
	p.hash_algorithm = 3;
	p.block_size = 4096;
	ck_assert_int_eq(mbv_tree_new(&p, &b), -EINVAL);
	p.hash_algorithm = 0;
	p.salt = salt;
	p.salt_size = 33;
	ck_assert_int_eq(mbv_tree_new(&p, &b), -EINVAL);
}
END_TEST

/* Geometry: the worked example of DESIGN.md (524289 bytes: 3 tree blocks). */
START_TEST(tree_size_matches_layout)
{
	uint64_t size;

	ck_assert_int_eq(mbv_tree_size(MBV_HASH_ALG_SHA256, 4096, 524289, &size), 0);
	ck_assert_uint_eq(size, 3 * 4096);
	ck_assert_int_eq(mbv_tree_size(MBV_HASH_ALG_SHA256, 4096, 4096, &size), 0);
	ck_assert_uint_eq(size, 0);
	ck_assert_int_eq(mbv_tree_size(MBV_HASH_ALG_SHA256, 4096, 0, &size), 0);
	ck_assert_uint_eq(size, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("merkle");
	TCase *tc = tcase_create("tree");
	const char *path = getenv("KAT_TSV");
	SRunner *sr;
	int failed, nimpl = 0;

	nkats = kat_load(path ? path : "tests/data/kat.tsv", &kats);
	while (mbv_sha256_impls[nimpl])
		nimpl++;
	for (int j = 0; mbv_sha512_impls[j]; j++)
		nimpl++;
	tcase_add_loop_test(tc, known_answers, 0, nimpl);
	tcase_add_loop_test(tc, pool_known_answers, 0, 3);
	tcase_add_test(tc, pool_read_error_surfaces);
	tcase_add_test(tc, read_error_surfaces);
	tcase_add_test(tc, callback_error_surfaces);
	tcase_add_test(tc, bad_params_rejected);
	tcase_add_test(tc, tree_size_matches_layout);
	tcase_set_timeout(tc, 600);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	free(kats);
	return failed ? 1 : 0;
}
