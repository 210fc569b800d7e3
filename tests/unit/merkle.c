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
		       struct tree_buf *t)
{
	memset(p, 0, sizeof(*p));
	p->version = 1;
	p->spec.hash_algorithm = k->hash_alg;
	p->spec.block_size = k->block_size;
	p->spec.salt = k->salt;
	p->spec.salt_size = k->salt_size;
	p->file_size = k->size;
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
	params_for(&p, k, &t);
	/* The test-only flag goes through the library-internal entry. */
	ck_assert_int_eq(mbv_tree_new_flags(&p, flags, &b, NULL, NULL), 0);
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
		params_for(&p, k, &t);
		ck_assert_int_eq(mbv_pool_compute_tree(pool, &p, mem_pread, &m, &res, NULL, NULL), 0);
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

		ck_assert_int_eq(mbv_pool_compute_tree(pool, &p, mem_pread, &m, &res, NULL, NULL), -EIO);
	}
	/* The pool still works afterwards. */
	{
		struct mem_data m = { data, UINT64_MAX };
		struct mbv_tree_params p = { .version = 1, .file_size = 12 << 20 };
		struct mbv_tree_result a, b;

		ck_assert_int_eq(mbv_pool_compute_tree(pool, &p, mem_pread, &m, &a, NULL, NULL), 0);
		ck_assert_int_eq(mbv_pool_compute_tree(NULL, &p, mem_pread, &m, &b, NULL, NULL), 0);
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

	ck_assert_int_eq(mbv_compute_tree(&p, failing_read, &calls, &res, NULL, NULL), -EIO);
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

	ck_assert_int_eq(mbv_tree_new(&p, &b, NULL, NULL), 0);
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

	ck_assert_int_eq(mbv_tree_new(&p, &b, NULL, NULL), 0);
	ck_assert_int_eq(mbv_tree_update(b, salt, 11), -EINVAL);	/* too much */
	ck_assert_int_eq(mbv_tree_update(b, salt, 9), 0);
	ck_assert_int_eq(mbv_tree_finish(b, &res), -EINVAL);		/* too little */
	mbv_tree_free(b);

	p.version = 2;
	ck_assert_int_eq(mbv_tree_new(&p, &b, NULL, NULL), -EINVAL);
	p.version = 1;
	p.reserved[3] = 1;
	ck_assert_int_eq(mbv_tree_new(&p, &b, NULL, NULL), -EINVAL);
	p.reserved[3] = 0;
	p.spec.block_size = 3000;
	ck_assert_int_eq(mbv_tree_new(&p, &b, NULL, NULL), -EINVAL);
	p.spec.block_size = 32;	/* below 2 x SHA-256 digest */
	ck_assert_int_eq(mbv_tree_new(&p, &b, NULL, NULL), -EINVAL);
	p.spec.block_size = 64;
	p.spec.hash_algorithm = MBV_HASH_ALG_SHA512;
	ck_assert_int_eq(mbv_tree_new(&p, &b, NULL, NULL), -EINVAL);
	p.spec.hash_algorithm = 3;
	p.spec.block_size = 4096;
	ck_assert_int_eq(mbv_tree_new(&p, &b, NULL, NULL), -EINVAL);
	p.spec.hash_algorithm = 0;
	p.spec.salt = salt;
	p.spec.salt_size = 33;
	ck_assert_int_eq(mbv_tree_new(&p, &b, NULL, NULL), -EINVAL);
}
END_TEST

/* What an mbv_error_fn was told: how often, and the last line. */
struct told {
	int calls;
	char last[256];
};

static void tell_me(void *ctx, const char *msg)
{
	struct told *t = ctx;

	t->calls++;
	snprintf(t->last, sizeof(t->last), "%s", msg);
}

/* Refused with -EINVAL, told once, and the line says @want. */
#define ck_refused(call, t, want) do {						\
	(t)->calls = 0;								\
	(t)->last[0] = '\0';							\
	ck_assert_int_eq((call), -EINVAL);					\
	ck_assert_int_eq((t)->calls, 1);					\
	ck_assert_msg(strstr((t)->last, (want)) != NULL,			\
		      "'%s' does not say '%s'", (t)->last, (want));		\
	ck_assert_ptr_null(strchr((t)->last, '\n'));				\
} while (0)

/* mbv_tree_spec_check(): each bad field refused with a reason naming it. */
START_TEST(spec_check_names_the_field)
{
	static const uint8_t salt[40];
	static const struct {
		struct mbv_tree_spec spec;
		const char *want;
	} bad[] = {
		{ { .hash_algorithm = 7 }, "unknown hash algorithm 7" },
		{ { .block_size = 96 }, "block size 96 is not a power of two" },
		{ { .block_size = 3000 }, "block size 3000 is not a power of two" },
		{ { .block_size = 1u << 31 }, "block size 2147483648 is over 1073741824" },
		{ { .block_size = 32 }, "block size 32 is under twice the sha256 digest (64)" },
		{ { .hash_algorithm = MBV_HASH_ALG_SHA512, .block_size = 64 },
		  "block size 64 is under twice the sha512 digest (128)" },
		{ { .salt_size = 40, .salt = salt }, "salt of 40 bytes is over 32" },
		{ { .salt_size = 33, .salt = salt }, "salt of 33 bytes is over 32" },
		{ { .salt_size = 4 }, "salt size 4 without a salt" },
		{ { .reserved0 = 1 }, "spec.reserved0 is reserved and must be zero" },
		{ { .reserved = { 0, 9 } }, "spec.reserved[1] is reserved and must be zero" },
	};
	struct mbv_tree_spec r;
	struct told t;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&r, 0xa5, sizeof(r));
		ck_refused(mbv_tree_spec_check(&bad[i].spec, &r, tell_me, &t), &t, bad[i].want);
		/* Without a callback: the same answer, nothing else. */
		ck_assert_int_eq(mbv_tree_spec_check(&bad[i].spec, NULL, NULL, NULL), -EINVAL);
		/* mbv_tree_size() refuses the same spec the same way. */
		{
			uint64_t size = 123;

			ck_refused(mbv_tree_size(&bad[i].spec, 4096, &size, tell_me, &t), &t,
				   bad[i].want);
			ck_assert_uint_eq(size, 123);
		}
	}

	/* The defaults, applied in one place; the callback is not called. */
	{
		struct mbv_tree_spec zero = { 0 };

		t.calls = 0;
		memset(&r, 0xa5, sizeof(r));
		ck_assert_int_eq(mbv_tree_spec_check(&zero, &r, tell_me, &t), 0);
		ck_assert_int_eq(t.calls, 0);
		ck_assert_uint_eq(r.hash_algorithm, MBV_HASH_ALG_SHA256);
		ck_assert_uint_eq(r.block_size, 4096);
		ck_assert_uint_eq(r.salt_size, 0);
		ck_assert_ptr_null(r.salt);
	}
	{
		struct mbv_tree_spec ok = { .hash_algorithm = MBV_HASH_ALG_SHA512, .block_size = 128,
					    .salt_size = 32, .salt = salt };

		ck_assert_int_eq(mbv_tree_spec_check(&ok, &r, tell_me, &t), 0);
		ck_assert_uint_eq(r.hash_algorithm, MBV_HASH_ALG_SHA512);
		ck_assert_uint_eq(r.block_size, 128);
		ck_assert_ptr_eq(r.salt, salt);
		ck_assert_uint_eq(r.salt_size, 32);
	}
}
END_TEST

/*
 * Every tree entry point refuses a version, reserved field or spec it does
 * not know, and says which: mbv_tree_new(), mbv_compute_tree(),
 * mbv_pool_compute_tree() without a pool and with one (its own path).
 */
static int zero_read(void *ctx, void *buf, size_t count)
{
	memset(buf, 0, count);
	return 0;
}

static int zero_pread(void *ctx, void *buf, size_t count, uint64_t offset)
{
	memset(buf, 0, count);
	return 0;
}

START_TEST(entry_points_check_reserved)
{
	struct mbv_tree_params good = { .version = MBV_TREE_PARAMS_VERSION, .file_size = 8 << 20 };
	struct mbv_tree_params p;
	struct mbv_tree_builder *b;
	struct mbv_tree_result res;
	struct mbv_pool *pool;
	struct told t;
	int which, e;

	ck_assert_int_eq(mbv_pool_new(2, &pool), 0);
	for (e = 0; e < 5; e++) {
		const char *want;

		p = good;
		switch (e) {
		case 0: p.version = 2; want = "version 2"; break;
		case 1: p.reserved0 = 1; want = "reserved0 is reserved"; break;
		case 2: p.reserved[5] = 1; want = "reserved[5] is reserved"; break;
		case 3: p.spec.reserved[0] = 1; want = "spec.reserved[0] is reserved"; break;
		default: p.spec.block_size = 96; want = "block size 96"; break;
		}
		for (which = 0; which < 4; which++) {
			switch (which) {
			case 0:
				b = (struct mbv_tree_builder *)&b;
				ck_refused(mbv_tree_new(&p, &b, tell_me, &t), &t, want);
				ck_assert_ptr_null(b);
				break;
			case 1:
				ck_refused(mbv_compute_tree(&p, zero_read, NULL, &res, tell_me, &t),
					   &t, want);
				break;
			case 2:
				ck_refused(mbv_pool_compute_tree(NULL, &p, zero_pread, NULL, &res,
								 tell_me, &t), &t, want);
				break;
			default:
				ck_refused(mbv_pool_compute_tree(pool, &p, zero_pread, NULL, &res,
								 tell_me, &t), &t, want);
				break;
			}
		}
	}
	/* The good ones pass, silently, through each. */
	t.calls = 0;
	ck_assert_int_eq(mbv_compute_tree(&good, zero_read, NULL, &res, tell_me, &t), 0);
	ck_assert_int_eq(mbv_pool_compute_tree(pool, &good, zero_pread, NULL, &res, tell_me, &t), 0);
	ck_assert_int_eq(t.calls, 0);
	mbv_pool_free(pool);

	/* A builder keeps its callback for what update and finish refuse. */
	good.file_size = 10;
	ck_assert_int_eq(mbv_tree_new(&good, &b, tell_me, &t), 0);
	ck_refused(mbv_tree_update(b, &res, 11), &t, "fed past the file size 10");
	ck_assert_int_eq(mbv_tree_update(b, &res, 9), 0);
	ck_refused(mbv_tree_finish(b, &res), &t, "finished after 9 bytes of a 10-byte file");
	mbv_tree_free(b);
}
END_TEST

/* Output structs end in reserved room, which comes back zeroed. */
START_TEST(result_reserved_zeroed)
{
	struct mbv_tree_params p = { .version = MBV_TREE_PARAMS_VERSION, .file_size = 5000 };
	static const uint64_t zero[sizeof(((struct mbv_tree_result *)0)->reserved) / 8];
	struct mbv_tree_result res;

	memset(&res, 0xa5, sizeof(res));
	ck_assert_int_eq(mbv_compute_tree(&p, zero_read, NULL, &res, NULL, NULL), 0);
	ck_assert_mem_eq(res.reserved, zero, sizeof(zero));
}
END_TEST

/* Geometry: the worked example of DESIGN.md (524289 bytes: 3 tree blocks). */
START_TEST(tree_size_matches_layout)
{
	struct mbv_tree_spec spec = { .hash_algorithm = MBV_HASH_ALG_SHA256, .block_size = 4096 };
	uint64_t size;

	ck_assert_int_eq(mbv_tree_size(&spec, 524289, &size, NULL, NULL), 0);
	ck_assert_uint_eq(size, 3 * 4096);
	ck_assert_int_eq(mbv_tree_size(&spec, 4096, &size, NULL, NULL), 0);
	ck_assert_uint_eq(size, 0);
	ck_assert_int_eq(mbv_tree_size(&spec, 0, &size, NULL, NULL), 0);
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
	tcase_add_test(tc, spec_check_names_the_field);
	tcase_add_test(tc, entry_points_check_reserved);
	tcase_add_test(tc, result_reserved_zeroed);
	tcase_set_timeout(tc, 600);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	free(kats);
	return failed ? 1 : 0;
}
