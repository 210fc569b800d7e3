/* SPDX-License-Identifier: MIT */
/* The ext4 library API as mkfs tooling uses it: libext2fs handles in, verity files out. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ext2fs/ext2fs.h>

#include "mbverity.h"

static char dir[] = "/tmp/mbv-test-ext4.XXXXXX";

/* The files of the pristine image: name and size. */
static const struct {
	const char *name;
	size_t size;
} files[] = {
	{ "empty", 0 },
	{ "small", 5000 },
	{ "medium", 300000 },
	{ "large", 2 * 1024 * 1024 + 3 },	/* over one pool chunk */
};
#define NFILES (sizeof(files) / sizeof(files[0]))
static uint8_t *data[NFILES];

static const char *path(const char *name)
{
	static char buf[4][512];
	static unsigned int next;
	char *p = buf[next++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", dir, name);
	return p;
}

static uint8_t *read_file(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	uint8_t *buf;
	long n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n ? (size_t)n : 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Usable outside tests too (main), so no ck_assert here. */
static bool write_file_ok(const char *p, const void *buf, size_t len)
{
	FILE *f = fopen(p, "wb");
	bool ok;

	if (!f)
		return false;
	ok = fwrite(buf, 1, len, f) == len;
	return fclose(f) == 0 && ok;
}

static void write_file(const char *p, const void *buf, size_t len)
{
	ck_assert(write_file_ok(p, buf, len));
}

/* A fresh copy of the pristine image at img. */
static void fresh_image(void)
{
	size_t len;
	uint8_t *img = read_file(path("pristine.img"), &len);

	write_file(path("img"), img, len);
	free(img);
}

static bool same_as_pristine(void)
{
	size_t a, b;
	uint8_t *x = read_file(path("pristine.img"), &a);
	uint8_t *y = read_file(path("img"), &b);
	bool same = a == b && memcmp(x, y, a) == 0;

	free(x);
	free(y);
	return same;
}

static ext2_filsys open_fs(bool rw)
{
	ext2_filsys fs;
	int flags = EXT2_FLAG_64BITS | (rw ? EXT2_FLAG_RW : 0);

	ck_assert_int_eq(ext2fs_open(path("img"), flags, 0, 0, unix_io_manager, &fs), 0);
	if (rw)
		ck_assert_int_eq(ext2fs_read_bitmaps(fs), 0);
	return fs;
}

static ext2_ino_t lookup(ext2_filsys fs, const char *name)
{
	char p[64];
	ext2_ino_t ino;

	snprintf(p, sizeof(p), "/%s", name);
	ck_assert_int_eq(ext2fs_namei(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, p, &ino), 0);
	return ino;
}

/* Messages from the library, kept for the assertions. */
struct msgs {
	char last[512];
	int count;
};

static void on_error(void *ctx, const char *msg)
{
	struct msgs *m = ctx;

	snprintf(m->last, sizeof(m->last), "%s", msg);
	m->count++;
}

/* The expected tree and result, from the data in memory. */
struct expected {
	uint8_t *tree;
	size_t tree_size;
	struct mbv_tree_result res;
};

static int collect_block(void *ctx, const void *block, size_t size, uint64_t offset)
{
	struct expected *e = ctx;

	ck_assert_uint_le(offset + size, e->tree_size);
	memcpy(e->tree + offset, block, size);
	return 0;
}

struct mem_reader {
	const uint8_t *p;
};

static int read_mem(void *ctx, void *buf, size_t count)
{
	struct mem_reader *r = ctx;

	memcpy(buf, r->p, count);
	r->p += count;
	return 0;
}

static void expect(size_t i, uint32_t alg, uint32_t bs, const uint8_t *salt,
		   uint32_t salt_size, struct expected *e)
{
	struct mbv_tree_params tp = { 0 };
	struct mem_reader r = { data[i] };
	uint64_t size;

	struct mbv_tree_spec spec = { .hash_algorithm = alg, .block_size = bs };

	ck_assert_int_eq(mbv_tree_size(&spec, files[i].size, &size, NULL, NULL), 0);
	e->tree_size = (size_t)size;
	e->tree = malloc(e->tree_size ? e->tree_size : 1);
	ck_assert_ptr_nonnull(e->tree);
	tp.version = 1;
	tp.spec.hash_algorithm = alg;
	tp.spec.block_size = bs;
	tp.spec.salt = salt;
	tp.spec.salt_size = salt_size;
	tp.file_size = files[i].size;
	tp.tree_block = collect_block;
	tp.ctx = e;
	ck_assert_int_eq(mbv_compute_tree(&tp, read_mem, &r, &e->res, NULL, NULL), 0);
}

static const uint8_t salt[5] = { 1, 2, 3, 4, 5 };

/* A tree built ahead in another thread, as mkfs does for small files. */
struct prehash_job {
	struct mbv_ext4_detached *d;
	const struct mbv_ext4_enable_params *p;
	struct mbv_tree_result res;
	int err;
};

static void *run_prehash(void *arg)
{
	struct prehash_job *j = arg;

	j->err = mbv_ext4_detached_hash(j->d, j->p, &j->res, NULL, NULL);
	return NULL;
}

/*
 * Every file, SHA-256/4096 and SHA-512/1024 salted, with and without a pool,
 * hashed by enable or built ahead in another thread.
 */
START_TEST(test_enable_then_read_back)
{
	bool sha512 = _i & 1, use_pool = _i & 2, ahead = _i & 4;
	uint32_t alg = sha512 ? MBV_HASH_ALG_SHA512 : MBV_HASH_ALG_SHA256;
	uint32_t bs = sha512 ? 1024 : 4096;
	struct mbv_pool *pool = NULL;
	struct msgs m = { .count = 0 };
	ext2_filsys fs;
	size_t i;

	int image_fd;

	if (use_pool)
		ck_assert_int_eq(mbv_pool_new(2, &pool), 0);
	fresh_image();
	fs = open_fs(true);
	image_fd = open(path("img"), O_RDONLY);
	ck_assert_int_ge(image_fd, 0);
	for (i = 0; i < NFILES; i++) {
		struct mbv_ext4_enable_params p = { 0 };
		struct mbv_tree_result res;

		p.version = 1;
		p.spec.hash_algorithm = alg;
		p.spec.block_size = bs;
		if (sha512) {
			p.spec.salt = salt;
			p.spec.salt_size = sizeof(salt);
		}
		p.pool = pool;
		if (ahead) {
			struct prehash_job j = { 0 };
			pthread_t t;

			ck_assert_int_eq(mbv_ext4_detach(fs, lookup(fs, files[i].name), image_fd,
							 &j.d, on_error, &m), 0);
			j.p = &p;
			ck_assert_int_eq(pthread_create(&t, NULL, run_prehash, &j), 0);
			ck_assert_int_eq(pthread_join(t, NULL), 0);
			ck_assert_int_eq(j.err, 0);
			p.prehashed = j.d;
			ck_assert_int_eq(mbv_ext4_enable(fs, lookup(fs, files[i].name), &p, &res,
							 on_error, &m), 0);
			ck_assert_mem_eq(res.digest, j.res.digest, j.res.digest_size);
			mbv_ext4_detached_free(j.d);
		} else {
			ck_assert_int_eq(mbv_ext4_enable(fs, lookup(fs, files[i].name), &p, &res,
							 on_error, &m), 0);
		}
		{
			struct expected e;

			expect(i, alg, bs, p.spec.salt, p.spec.salt_size, &e);
			ck_assert_mem_eq(res.digest, e.res.digest, e.res.digest_size);
			free(e.tree);
		}
	}
	ck_assert_int_eq(ext2fs_close(fs), 0);
	ck_assert_int_eq(m.count, 0);

	/* Read everything back through a read-only handle. */
	fs = open_fs(false);
	for (i = 0; i < NFILES; i++) {
		ext2_ino_t ino = lookup(fs, files[i].name);
		struct mbv_ext4_verity_info info;
		struct expected e;
		uint8_t desc[MBV_DESCRIPTOR_SIZE + 10];
		uint8_t *tree;
		size_t done;

		expect(i, alg, bs, sha512 ? salt : NULL, sha512 ? sizeof(salt) : 0, &e);
		ck_assert_int_eq(mbv_ext4_measure(fs, ino, &info, on_error, &m), 0);
		ck_assert_mem_eq(info.digest, e.res.digest, e.res.digest_size);
		ck_assert_uint_eq(info.tree_size, e.tree_size);
		ck_assert_uint_eq(info.tree_pos % 65536, 0);
		ck_assert_uint_eq(info.data_size, files[i].size);

		tree = malloc(e.tree_size + 1);
		ck_assert_int_eq(mbv_ext4_read_metadata(fs, ino, MBV_METADATA_MERKLE_TREE, 0,
							tree, e.tree_size + 1, &done,
							on_error, &m), 0);
		ck_assert_uint_eq(done, e.tree_size);
		ck_assert_mem_eq(tree, e.tree, e.tree_size);
		free(tree);
		ck_assert_int_eq(mbv_ext4_read_metadata(fs, ino, MBV_METADATA_DESCRIPTOR, 0,
							desc, sizeof(desc), &done, on_error, &m), 0);
		ck_assert_uint_eq(done, MBV_DESCRIPTOR_SIZE);
		ck_assert_mem_eq(desc, e.res.descriptor, MBV_DESCRIPTOR_SIZE);
		ck_assert_int_eq(mbv_ext4_read_metadata(fs, ino, MBV_METADATA_DESCRIPTOR, 250,
							desc, sizeof(desc), &done, on_error, &m), 0);
		ck_assert_uint_eq(done, 6);
		ck_assert_int_eq(mbv_ext4_read_metadata(fs, ino, MBV_METADATA_SIGNATURE, 0,
							desc, sizeof(desc), &done, on_error, &m),
				 -ENODATA);
		ck_assert_int_eq(mbv_ext4_verify(fs, ino, pool, NULL, NULL, NULL, on_error, &m), 0);
		/* The same, detached: read with pread, as another thread would. */
		{
			struct mbv_ext4_detached *d;

			ck_assert_int_eq(mbv_ext4_detach(fs, ino, image_fd, &d, on_error, &m), 0);
			ck_assert_uint_eq(mbv_ext4_detached_size(d), files[i].size);
			ck_assert_int_eq(mbv_ext4_detached_verify(d, NULL, NULL, NULL, &info,
								  on_error, &m), 0);
			ck_assert_mem_eq(info.digest, e.res.digest, e.res.digest_size);
			tree = malloc(e.tree_size + 1);
			ck_assert_int_eq(mbv_ext4_detached_read_metadata(d, MBV_METADATA_MERKLE_TREE,
									 0, tree, e.tree_size + 1,
									 &done, on_error, &m), 0);
			ck_assert_uint_eq(done, e.tree_size);
			ck_assert_mem_eq(tree, e.tree, e.tree_size);
			free(tree);
			ck_assert_int_eq(mbv_ext4_detached_read_metadata(d, MBV_METADATA_DESCRIPTOR,
									 250, desc, sizeof(desc),
									 &done, on_error, &m), 0);
			ck_assert_uint_eq(done, 6);
			ck_assert_mem_eq(desc, e.res.descriptor + 250, 6);
			ck_assert_int_eq(mbv_ext4_detached_read_metadata(d, MBV_METADATA_SIGNATURE,
									 0, desc, sizeof(desc),
									 &done, on_error, &m), -ENODATA);
			mbv_ext4_detached_free(d);
		}
		free(e.tree);
	}
	ck_assert_int_eq(ext2fs_close(fs), 0);
	close(image_fd);
	mbv_pool_free(pool);
}
END_TEST

/* A tree built ahead is used only for the file, parameters and blocks it was built from. */
static void count_bytes(void *ctx, uint64_t bytes)
{
	*(uint64_t *)ctx += bytes;
}

/*
 * What enable --key does: the tree hashed ahead through the pool (to sign
 * its digest) and written by enable from memory: the data is hashed once.
 */
START_TEST(test_prehash_hashes_once)
{
	struct mbv_ext4_enable_params p = { .version = 1 };
	struct msgs m = { .count = 0 };
	struct mbv_ext4_detached *d;
	struct mbv_tree_result ahead, res;
	struct mbv_pool *pool;
	uint64_t hashed = 0;
	ext2_filsys fs;
	ext2_ino_t ino;
	int image_fd;

	ck_assert_int_eq(mbv_pool_new(2, &pool), 0);
	mbv_pool_set_progress(pool, count_bytes, &hashed);
	p.pool = pool;
	fresh_image();
	fs = open_fs(true);
	image_fd = open(path("img"), O_RDONLY);
	ck_assert_int_ge(image_fd, 0);
	ino = lookup(fs, "large");	/* over one pool chunk: split across threads */
	ck_assert_int_eq(mbv_ext4_detach(fs, ino, image_fd, &d, on_error, &m), 0);
	ck_assert_int_eq(mbv_ext4_detached_hash(d, &p, &ahead, NULL, NULL), 0);
	ck_assert_uint_eq(hashed, 2 * 1024 * 1024 + 3);
	p.prehashed = d;
	ck_assert_int_eq(mbv_ext4_enable(fs, ino, &p, &res, on_error, &m), 0);
	ck_assert_uint_eq(hashed, 2 * 1024 * 1024 + 3);	/* nothing hashed again */
	ck_assert_mem_eq(res.digest, ahead.digest, ahead.digest_size);
	mbv_ext4_detached_free(d);
	/* The peer: enable with nothing ahead hashes the data itself, once. */
	hashed = 0;
	p.prehashed = NULL;
	ck_assert_int_eq(mbv_ext4_enable(fs, lookup(fs, "medium"), &p, &res, on_error, &m), 0);
	ck_assert_uint_eq(hashed, 300000);
	close(image_fd);
	ck_assert_int_eq(ext2fs_close(fs), 0);
	mbv_pool_free(pool);
	ck_assert_int_eq(m.count, 0);
}
END_TEST

START_TEST(test_prehash_must_fit)
{
	struct mbv_ext4_enable_params p = { .version = 1 }, other;
	struct msgs m = { .count = 0 };
	struct mbv_ext4_detached *d, *unrun;
	ext2_filsys fs;
	ext2_ino_t small, medium;
	int image_fd;

	fresh_image();
	fs = open_fs(true);
	image_fd = open(path("img"), O_RDONLY);
	ck_assert_int_ge(image_fd, 0);
	small = lookup(fs, "small");
	medium = lookup(fs, "medium");
	ck_assert_int_eq(mbv_ext4_detach(fs, medium, image_fd, &d, on_error, &m), 0);
	ck_assert_int_eq(mbv_ext4_detached_hash(d, &p, NULL, NULL, NULL), 0);
	ck_assert_int_eq(mbv_ext4_detach(fs, medium, image_fd, &unrun, on_error, &m), 0);

	/* Another file, other parameters, never hashed: refused before any write. */
	other = p;
	other.prehashed = d;
	ck_assert_int_eq(mbv_ext4_enable(fs, small, &other, NULL, on_error, &m), -ESTALE);
	ck_assert_ptr_nonnull(strstr(m.last, "pre-hashed"));
	other.spec.block_size = 1024;
	ck_assert_int_eq(mbv_ext4_enable(fs, medium, &other, NULL, on_error, &m), -ESTALE);
	other = p;
	other.spec.salt = salt;
	other.spec.salt_size = sizeof(salt);
	other.prehashed = d;
	ck_assert_int_eq(mbv_ext4_enable(fs, medium, &other, NULL, on_error, &m), -ESTALE);
	other = p;
	other.prehashed = unrun;
	ck_assert_int_eq(mbv_ext4_enable(fs, medium, &other, NULL, on_error, &m), -ESTALE);
	ck_assert_int_eq(m.count, 4);
	/* Bad parameters to hash: nothing hashed, so enable refuses it too. */
	other = p;
	other.spec.block_size = 3000;
	ck_assert_int_eq(mbv_ext4_detached_hash(unrun, &other, NULL, NULL, NULL), -EINVAL);
	ck_assert_int_eq(ext2fs_close(fs), 0);
	ck_assert(same_as_pristine());

	/* The data blocks moved since: refused too. */
	fs = open_fs(true);
	{
		struct ext2_inode inode;

		ck_assert_int_eq(ext2fs_read_inode(fs, medium, &inode), 0);
		ck_assert_int_eq(ext2fs_punch(fs, medium, &inode, NULL, 3, 3), 0);
	}
	other = p;
	other.prehashed = d;
	ck_assert_int_eq(mbv_ext4_enable(fs, medium, &other, NULL, on_error, &m), -ESTALE);
	mbv_ext4_detached_free(d);
	mbv_ext4_detached_free(unrun);

	/*
	 * The tree enable writes is the one built ahead: data changed behind
	 * libext2fs's back after the hash does not get into it; verify, detached
	 * or not, sees it.
	 */
	{
		struct mbv_tree_result ahead, res;
		struct mbv_ext4_verity_info info;
		blk64_t pblk;
		int wfd = open(path("img"), O_RDWR);

		ck_assert_int_eq(mbv_ext4_detach(fs, small, image_fd, &d, on_error, &m), 0);
		ck_assert_int_eq(mbv_ext4_detached_hash(d, &p, &ahead, NULL, NULL), 0);
		ck_assert_int_eq(ext2fs_bmap2(fs, small, NULL, NULL, 0, 0, NULL, &pblk), 0);
		ck_assert_int_eq(pwrite(wfd, "X", 1, (off_t)(pblk * fs->blocksize)), 1);
		close(wfd);
		other = p;
		other.prehashed = d;
		ck_assert_int_eq(mbv_ext4_enable(fs, small, &other, &res, on_error, &m), 0);
		ck_assert_mem_eq(res.digest, ahead.digest, ahead.digest_size);
		mbv_ext4_detached_free(d);
		ck_assert_int_eq(mbv_ext4_measure(fs, small, &info, on_error, &m), 0);
		ck_assert_mem_eq(info.digest, ahead.digest, ahead.digest_size);
		ck_assert_int_eq(mbv_ext4_verify(fs, small, NULL, NULL, NULL, NULL, NULL, NULL),
				 -EBADMSG);
		ck_assert_int_eq(ext2fs_flush(fs), 0);
		ck_assert_int_eq(mbv_ext4_detach(fs, small, image_fd, &d, on_error, &m), 0);
		ck_assert_int_eq(mbv_ext4_detached_verify(d, NULL, NULL, NULL, NULL, NULL, NULL),
				 -EBADMSG);
		mbv_ext4_detached_free(d);
	}

	/* Bad arguments. */
	ck_assert_int_eq(mbv_ext4_detach(fs, medium, -2, &d, on_error, &m), -EINVAL);
	ck_assert_ptr_null(d);
	/* No image descriptor: read through libext2fs, the same tree. */
	{
		struct mbv_tree_result by_fd, by_fs;

		ck_assert_int_eq(mbv_ext4_detach(fs, medium, image_fd, &d, on_error, &m), 0);
		ck_assert_int_eq(mbv_ext4_detached_hash(d, &p, &by_fd, NULL, NULL), 0);
		mbv_ext4_detached_free(d);
		ck_assert_int_eq(mbv_ext4_detach(fs, medium, -1, &d, on_error, &m), 0);
		ck_assert_int_eq(mbv_ext4_detached_hash(d, &p, &by_fs, NULL, NULL), 0);
		mbv_ext4_detached_free(d);
		ck_assert_mem_eq(by_fs.digest, by_fd.digest, by_fd.digest_size);
	}
	ck_assert_int_eq(mbv_ext4_detach(fs, EXT2_ROOT_INO, image_fd, &d, on_error, &m), -EISDIR);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(ext2fs_close(fs), 0);
	close(image_fd);
}
END_TEST

/*
 * mbv_ext4_enable() and mbv_ext4_detached_hash() refuse a version,
 * reserved field or tree spec they do not know, with -EINVAL and a message
 * naming the field, before anything is written; the output structs' reserved
 * room comes back zeroed.
 */
START_TEST(test_reserved_refused)
{
	struct mbv_ext4_enable_params good = { .version = MBV_EXT4_ENABLE_PARAMS_VERSION };
	static const char *const want[] = {
		"version 2", "reserved0 is reserved", "reserved[4] is reserved",
		"spec.reserved0 is reserved", "spec.reserved[1] is reserved",
		"block size 96 is not a power of two", "unknown hash algorithm 9",
	};
	struct mbv_ext4_verity_info info;
	struct mbv_ext4_detached *d;
	struct mbv_tree_result res;
	struct msgs m = { .count = 0 };
	ext2_filsys fs;
	ext2_ino_t ino;
	int image_fd;
	size_t e;

	fresh_image();
	fs = open_fs(true);
	image_fd = open(path("img"), O_RDONLY);
	ck_assert_int_ge(image_fd, 0);
	ino = lookup(fs, "medium");
	ck_assert_int_eq(mbv_ext4_detach(fs, ino, image_fd, &d, on_error, &m), 0);
	for (e = 0; e < sizeof(want) / sizeof(want[0]); e++) {
		struct mbv_ext4_enable_params p = good;
		int call;

		switch (e) {
		case 0: p.version = 2; break;
		case 1: p.reserved0 = 1; break;
		case 2: p.reserved[4] = 1; break;
		case 3: p.spec.reserved0 = 1; break;
		case 4: p.spec.reserved[1] = 1; break;
		case 5: p.spec.block_size = 96; break;
		default: p.spec.hash_algorithm = 9; break;
		}
		for (call = 0; call < 2; call++) {
			m.count = 0;
			m.last[0] = '\0';
			if (call == 0)
				ck_assert_int_eq(mbv_ext4_enable(fs, ino, &p, NULL, on_error, &m),
						 -EINVAL);
			else
				ck_assert_int_eq(mbv_ext4_detached_hash(d, &p, NULL, on_error, &m),
						 -EINVAL);
			ck_assert_int_eq(m.count, 1);
			ck_assert_msg(strstr(m.last, want[e]) != NULL, "%s: '%s' does not say '%s'",
				      call ? "detached_hash" : "enable", m.last, want[e]);
		}
	}
	mbv_ext4_detached_free(d);
	ck_assert_int_eq(ext2fs_close(fs), 0);
	ck_assert(same_as_pristine());

	/* The good ones work; what comes out has its reserved room zeroed. */
	fs = open_fs(true);
	memset(&res, 0xa5, sizeof(res));
	ck_assert_int_eq(mbv_ext4_enable(fs, ino, &good, &res, on_error, &m), 0);
	memset(&info, 0xa5, sizeof(info));
	ck_assert_int_eq(mbv_ext4_measure(fs, ino, &info, on_error, &m), 0);
	for (e = 0; e < sizeof(res.reserved) / sizeof(res.reserved[0]); e++)
		ck_assert_uint_eq(res.reserved[e], 0);
	for (e = 0; e < sizeof(info.reserved) / sizeof(info.reserved[0]); e++)
		ck_assert_uint_eq(info.reserved[e], 0);
	ck_assert_int_eq(ext2fs_close(fs), 0);
	close(image_fd);
}
END_TEST

START_TEST(test_check_only_and_refusals)
{
	struct mbv_ext4_enable_params p = { 0 };
	struct msgs m = { .count = 0 };
	ext2_filsys fs;
	ext2_ino_t ino;

	fresh_image();
	fs = open_fs(true);
	ino = lookup(fs, "medium");
	p.version = 1;
	p.flags = MBV_EXT4_ENABLE_CHECK_ONLY;
	ck_assert_int_eq(mbv_ext4_enable(fs, ino, &p, NULL, on_error, &m), 0);

	/* Bad parameters: refused, with a message. */
	p.flags = 0;
	p.version = 2;
	ck_assert_int_eq(mbv_ext4_enable(fs, ino, &p, NULL, on_error, &m), -EINVAL);
	p.version = 1;
	p.reserved[3] = 1;
	ck_assert_int_eq(mbv_ext4_enable(fs, ino, &p, NULL, on_error, &m), -EINVAL);
	p.reserved[3] = 0;
	p.flags = 1u << 7;
	ck_assert_int_eq(mbv_ext4_enable(fs, ino, &p, NULL, on_error, &m), -EINVAL);
	p.flags = 0;
	p.spec.block_size = 512;
	ck_assert_int_eq(mbv_ext4_enable(fs, ino, &p, NULL, on_error, &m), -EINVAL);
	ck_assert_ptr_nonnull(strstr(m.last, "cannot be read by the kernel"));
	p.spec.block_size = 8192;
	ck_assert_int_eq(mbv_ext4_enable(fs, ino, &p, NULL, on_error, &m), -EINVAL);
	p.spec.block_size = 0;
	p.spec.hash_algorithm = 9;
	ck_assert_int_eq(mbv_ext4_enable(fs, ino, &p, NULL, on_error, &m), -EINVAL);
	p.spec.hash_algorithm = 0;
	p.sig_size = MBV_MAX_SIGNATURE_SIZE + 1;
	p.signature = data[3];
	ck_assert_int_eq(mbv_ext4_enable(fs, ino, &p, NULL, on_error, &m), -EMSGSIZE);
	p.sig_size = 0;
	p.signature = NULL;
	ck_assert_int_eq(mbv_ext4_enable(fs, EXT2_ROOT_INO, &p, NULL, on_error, &m), -EISDIR);
	ck_assert_int_eq(mbv_ext4_measure(fs, ino, &(struct mbv_ext4_verity_info){ 0 },
					  on_error, &m), -ENODATA);
	ck_assert_ptr_nonnull(strstr(m.last, "does not have fs-verity"));
	ck_assert_int_eq(m.count, 9);
	/* Nothing was written: closing leaves the image as it was. */
	ck_assert_int_eq(ext2fs_close(fs), 0);
	ck_assert(same_as_pristine());

	/* A read-only handle cannot enable. */
	fs = open_fs(false);
	ck_assert_int_eq(mbv_ext4_enable(fs, lookup(fs, "medium"), &p, NULL, on_error, &m),
			 -EROFS);
	ck_assert_int_eq(ext2fs_close(fs), 0);

	/* Twice: EEXIST, and the message says why; no callback is optional. */
	fs = open_fs(true);
	ck_assert_int_eq(mbv_ext4_enable(fs, ino, &p, NULL, NULL, NULL), 0);
	ck_assert_int_eq(mbv_ext4_enable(fs, ino, &p, NULL, on_error, &m), -EEXIST);
	ck_assert_ptr_nonnull(strstr(m.last, "already has fs-verity"));
	ck_assert_int_eq(mbv_ext4_read_metadata(fs, ino, 7, 0, NULL, 0,
						&(size_t){ 0 }, on_error, &m), -EINVAL);
	ck_assert_int_eq(ext2fs_close(fs), 0);
}
END_TEST

static size_t put_tlv(uint8_t *out, uint8_t tag, const uint8_t *val, size_t len)
{
	size_t h = len < 0x80 ? 2 : len < 0x100 ? 3 : 4;

	out[0] = tag;
	if (h == 2) {
		out[1] = (uint8_t)len;
	} else if (h == 3) {
		out[1] = 0x81;
		out[2] = (uint8_t)len;
	} else {
		out[1] = 0x82;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
	}
	memcpy(out + h, val, len);
	return h + len;
}

/*
 * A signature in the form `fsverity sign` writes (SHA-256, one RSA signer
 * by issuer and serial) with a made-up value of @vlen bytes: well-formed,
 * so enable stores it, though no key would verify it.  @out: vlen + 200.
 */
static size_t fake_signature(uint8_t *out, size_t vlen)
{
	static const uint8_t signer_head[] = {
		0x02, 0x01, 0x01,
		0x30, 0x14, 0x30, 0x0f, 0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55, 0x04, 0x03,
		0x0c, 0x04, 't', 'e', 's', 't', 0x02, 0x01, 0x01,
		0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
		0x05, 0x00,
		0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
		0x05, 0x00,
	};
	static const uint8_t sd_head[] = {
		0x02, 0x01, 0x01,
		0x31, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
		0x02, 0x01, 0x05, 0x00,
		0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01,
	};
	static const uint8_t ci_head[] = {
		0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
	};
	uint8_t *a = malloc(vlen + 200), *b = malloc(vlen + 200);
	size_t n;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	memset(b, 0x5a, vlen);
	memcpy(a, signer_head, sizeof(signer_head));
	n = sizeof(signer_head) + put_tlv(a + sizeof(signer_head), 0x04, b, vlen);
	n = put_tlv(b, 0x30, a, n);		/* SignerInfo */
	memcpy(a, sd_head, sizeof(sd_head));
	n = sizeof(sd_head) + put_tlv(a + sizeof(sd_head), 0x31, b, n);
	n = put_tlv(b, 0x30, a, n);		/* SignedData */
	memcpy(a, ci_head, sizeof(ci_head));
	n = sizeof(ci_head) + put_tlv(a + sizeof(ci_head), 0xa0, b, n);
	n = put_tlv(out, 0x30, a, n);		/* ContentInfo */
	free(a);
	free(b);
	return n;
}

START_TEST(test_signature_stored)
{
	struct mbv_ext4_enable_params p = { 0 };
	struct msgs m = { .count = 0 };
	uint8_t sig[3000], out[4000];
	size_t sig_size;
	struct mbv_ext4_verity_info info;
	struct mbv_tree_result res;
	ext2_filsys fs;
	ext2_ino_t ino;
	size_t done, i;

	for (i = 0; i < sizeof(sig); i++)
		sig[i] = (uint8_t)(i * 7 + 1);
	fresh_image();
	fs = open_fs(true);
	ino = lookup(fs, "small");
	p.version = 1;
	p.signature = sig;
	p.sig_size = sizeof(sig);
	/* Bytes the kernel would refuse at every open are refused before any write. */
	ck_assert_int_eq(mbv_ext4_enable(fs, ino, &p, &res, on_error, &m), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(m.last, "signature refused: malformed signature"));
	ck_assert_int_eq(fs->flags & EXT2_FLAG_DIRTY, 0);
	ck_assert_int_eq(mbv_ext4_measure(fs, ino, &info, NULL, NULL), -ENODATA);
	sig_size = fake_signature(sig, 2800);
	ck_assert_uint_le(sig_size, sizeof(sig));
	ck_assert_int_eq(mbv_parse_signature(MBV_HASH_ALG_SHA256, sig, sig_size, NULL, 0), 0);
	/* Another hash than the signer's digest: the kernel's key check could never pass. */
	p.spec.hash_algorithm = MBV_HASH_ALG_SHA512;
	ck_assert_int_eq(mbv_ext4_enable(fs, ino, &p, &res, on_error, &m), -EBADMSG);
	p.sig_size = (uint32_t)sig_size;
	ck_assert_int_eq(mbv_ext4_enable(fs, ino, &p, &res, on_error, &m), -EKEYREJECTED);
	ck_assert_ptr_nonnull(strstr(m.last, "the file's hash is sha512"));
	p.spec.hash_algorithm = 0;
	ck_assert_int_eq(mbv_ext4_enable(fs, ino, &p, &res, on_error, &m), 0);
	ck_assert_int_eq(mbv_ext4_read_metadata(fs, ino, MBV_METADATA_SIGNATURE, 0, out,
						sizeof(out), &done, on_error, &m), 0);
	ck_assert_uint_eq(done, sig_size);
	ck_assert_mem_eq(out, sig, sig_size);
	ck_assert_int_eq(mbv_ext4_measure(fs, ino, &info, on_error, &m), 0);
	ck_assert_uint_eq(info.sig_size, sig_size);
	ck_assert_uint_eq(info.desc_size, MBV_DESCRIPTOR_SIZE + sig_size);
	/* The digest and the returned descriptor ignore the signature. */
	ck_assert_mem_eq(info.digest, res.digest, res.digest_size);
	ck_assert_mem_eq(info.descriptor, res.descriptor, MBV_DESCRIPTOR_SIZE);
	ck_assert_int_eq(ext2fs_close(fs), 0);
}
END_TEST

/* Problems collected by mbv_ext4_verify(). */
struct problems {
	struct mbv_ext4_problem first;
	char field[32];
	int count;
};

static void on_problem(void *ctx, const struct mbv_ext4_problem *p)
{
	struct problems *pr = ctx;

	if (!pr->count++) {
		pr->first = *p;
		snprintf(pr->field, sizeof(pr->field), "%s", p->field ? p->field : "");
	}
}

/* Flip a byte at file offset @pos of @ino through the filesystem's own I/O. */
static void flip(ext2_filsys fs, ext2_ino_t ino, uint64_t pos)
{
	blk64_t pblk = 0;
	uint8_t *blk = malloc(fs->blocksize);

	ck_assert_int_eq(ext2fs_bmap2(fs, ino, NULL, NULL, 0, pos / fs->blocksize, NULL, &pblk), 0);
	ck_assert_uint_ne(pblk, 0);
	ck_assert_int_eq(io_channel_read_blk64(fs->io, pblk, 1, blk), 0);
	blk[pos % fs->blocksize] ^= 0x40;
	ck_assert_int_eq(io_channel_write_blk64(fs->io, pblk, 1, blk), 0);
	free(blk);
}

/* medium: 300000 bytes = 74 blocks; tree (one block) at 327680, descriptor at 331776. */
START_TEST(test_verify_names_the_place)
{
	static const struct {
		uint64_t pos;
		uint32_t kind;
		uint64_t index;
		const char *field;
	} cases[] = {
		{ 10 * 4096 + 3, MBV_EXT4_BAD_DATA_BLOCK, 10, "" },
		{ 327680 + 64, MBV_EXT4_BAD_TREE_BLOCK, 0, "" },
		{ 331776 + 20, MBV_EXT4_BAD_DESCRIPTOR, 0, "root_hash" },
		{ 331776 + 9, MBV_EXT4_BAD_DESCRIPTOR, 0, "data_size" },
		{ 300000 + 5, MBV_EXT4_BAD_EOF_TAIL, 73, "" },
	};
	struct mbv_ext4_enable_params p = { 0 };
	struct msgs m = { .count = 0 };
	struct problems pr = { .count = 0 };
	ext2_filsys fs;
	ext2_ino_t ino;

	fresh_image();
	fs = open_fs(true);
	ino = lookup(fs, "medium");
	p.version = 1;
	ck_assert_int_eq(mbv_ext4_enable(fs, ino, &p, NULL, on_error, &m), 0);
	flip(fs, ino, cases[_i].pos);
	ck_assert_int_eq(mbv_ext4_verify(fs, ino, NULL, on_problem, &pr, NULL, on_error, &m),
			 -EBADMSG);
	ck_assert_int_ge(pr.count, 1);
	ck_assert_uint_eq(pr.first.kind, cases[_i].kind);
	ck_assert_uint_eq(pr.first.index, cases[_i].index);
	ck_assert_str_eq(pr.field, cases[_i].field);
	ck_assert_int_eq(m.count, 0);
	ck_assert_int_eq(ext2fs_close(fs), 0);
}
END_TEST

struct seen {
	char paths[8][64];
	int n;
};

static int on_file(void *ctx, uint32_t ino, const char *p)
{
	struct seen *s = ctx;

	(void)ino;
	ck_assert_int_lt(s->n, 8);
	snprintf(s->paths[s->n++], sizeof(s->paths[0]), "%s", p);
	return 0;
}

START_TEST(test_helpers_and_walk)
{
	struct mbv_ext4_enable_params p = { 0 };
	struct msgs m = { .count = 0 };
	struct seen s = { .n = 0 };
	struct struct_ext2_filsys *fs;
	uint32_t ino;

	fresh_image();
	ck_assert_int_eq(mbv_ext4_open(path("img"), 1, &fs, on_error, &m), 0);
	p.version = 1;
	ck_assert_int_eq(mbv_ext4_lookup(fs, "/large", &ino, on_error, &m), 0);
	ck_assert_int_eq(mbv_ext4_enable(fs, ino, &p, NULL, on_error, &m), 0);
	ck_assert_int_eq(mbv_ext4_lookup(fs, "/empty", &ino, on_error, &m), 0);
	ck_assert_int_eq(mbv_ext4_enable(fs, ino, &p, NULL, on_error, &m), 0);
	ck_assert_int_eq(mbv_ext4_lookup(fs, "/nope", &ino, on_error, &m), -ENOENT);
	ck_assert_int_eq(mbv_ext4_lookup(fs, "large", &ino, on_error, &m), -EINVAL);
	ck_assert_int_eq(mbv_ext4_for_each_verity_file(fs, on_file, &s, on_error, &m), 0);
	ck_assert_int_eq(s.n, 2);
	/* Inode order: mke2fs -d adds files in directory order, so compare as a set. */
	ck_assert(strcmp(s.paths[0], "/large") == 0 || strcmp(s.paths[1], "/large") == 0);
	ck_assert(strcmp(s.paths[0], "/empty") == 0 || strcmp(s.paths[1], "/empty") == 0);
	ck_assert_int_eq(mbv_ext4_close(fs, on_error, &m), 0);
	ck_assert_int_eq(mbv_ext4_open(path("pristine.img.nope"), 0, &fs, on_error, &m), -ENOENT);
	ck_assert_int_eq(mbv_ext4_open(path("small.src"), 0, &fs, on_error, &m), -EUCLEAN);
	ck_assert_ptr_nonnull(strstr(m.last, "not an ext4 filesystem image"));
}
END_TEST

/* mbv_ext4_walk(): paths collected in visiting order, sorted afterwards. */
struct walked {
	char paths[16][64];
	size_t n;
	size_t stop_after;	/* stop with 42 after this many; 0: never */
};

static int on_name(void *ctx, const char *p, ext2_ino_t ino, const struct ext2_inode *inode)
{
	struct walked *w = ctx;

	ck_assert_uint_gt(ino, 0);
	ck_assert_int_ne(inode->i_mode, 0);
	ck_assert_uint_lt(w->n, 16);
	snprintf(w->paths[w->n++], sizeof(w->paths[0]), "%s%s", p,
		 LINUX_S_ISDIR(inode->i_mode) ? "/" : "");
	return w->stop_after && w->n == w->stop_after ? 42 : 0;
}

static int by_string(const void *a, const void *b)
{
	return strcmp(a, b);
}

START_TEST(test_walk_visits_each_name)
{
	static const char *const want[] = { "/a", "/d/", "/d/b", "/d/e/", "/d/e/a2", "/d/e/c",
					    "/lost+found/" };
	struct walked w = { .n = 0 };
	struct msgs m = { .count = 0 };
	char cmd[1024];
	ext2_filsys fs;
	size_t i;

	/* A tree with a hard link (two names of one file) and nested directories. */
	snprintf(cmd, sizeof(cmd),
		 "set -e; rm -rf %s/wsrc; mkdir -p %s/wsrc/d/e; echo a >%s/wsrc/a; "
		 "echo b >%s/wsrc/d/b; echo c >%s/wsrc/d/e/c; ln %s/wsrc/a %s/wsrc/d/e/a2; "
		 "PATH=$PATH:/usr/sbin:/sbin mke2fs -q -F -t ext4 -d %s/wsrc %s/walk.img 4M "
		 ">/dev/null 2>&1", dir, dir, dir, dir, dir, dir, dir, dir, dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(mbv_ext4_open(path("walk.img"), 0, &fs, on_error, &m), 0);
	ck_assert_int_eq(mbv_ext4_walk(fs, 0, on_name, &w, on_error, &m), 0);
	qsort(w.paths, w.n, sizeof(w.paths[0]), by_string);
	ck_assert_uint_eq(w.n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < w.n; i++)
		ck_assert_str_eq(w.paths[i], want[i]);
	/* The callback's value stops the walk and comes back. */
	memset(&w, 0, sizeof(w));
	w.stop_after = 2;
	ck_assert_int_eq(mbv_ext4_walk(fs, 0, on_name, &w, on_error, &m), 42);
	ck_assert_uint_eq(w.n, 2);
	ck_assert_int_eq(mbv_ext4_walk(fs, 1u << 7, on_name, &w, on_error, &m), -EINVAL);
	ck_assert_int_eq(mbv_ext4_close(fs, on_error, &m), 0);
}
END_TEST

/*
 * Crash order.  Writes go through a copy of unix_io's manager, write-through
 * (each write reaches the file at once, in program order), and all writes
 * after the first @budget are dropped, as if the process died there.  Every
 * such prefix must keep the file's data, never show the verity flag without
 * its metadata, and leave at most what e2fsck repairs without touching
 * i_size: leaked blocks, or extents past EOF on a non-verity file.
 */
static struct struct_io_manager crash_manager;
static long budget;

static errcode_t crash_write_blk64(io_channel ch, unsigned long long blk, int count,
				   const void *buf)
{
	if (budget == 0)
		return 0;
	budget--;
	return unix_io_manager->write_blk64(ch, blk, count, buf);
}

static errcode_t crash_write_blk(io_channel ch, unsigned long blk, int count, const void *buf)
{
	return crash_write_blk64(ch, blk, count, buf);
}

/*
 * libext2fs updates the primary superblock field by field with write_byte:
 * those writes take no budget, so each superblock update is all or nothing
 * here (a tear inside it is libext2fs's, and e2fsck falls back to a backup).
 */
static errcode_t crash_write_byte(io_channel ch, unsigned long off, int size, const void *buf)
{
	if (budget == 0)
		return 0;
	return unix_io_manager->write_byte(ch, off, size, buf);
}

/* e2fsck -fn is clean, or complains only about what a crash may leave. */
static void fsck_tolerable(const char *what, long n)
{
	static const char *const allowed[] = {
		"e2fsck ", "Pass ", "Block bitmap differences", "Free blocks count wrong",
		"end of extent exceeds allowed value", "(logical block",
		/* An extent block and the inode are two writes: accounting only. */
		", i_blocks is ",
		"IGNORED", "WARNING: Filesystem still has errors", " files (",
		"block bitmap does not match checksum",
	};
	char cmd[1024], line[512];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "PATH=$PATH:/usr/sbin:/sbin e2fsck -fn %s 2>&1", path("img"));
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	while (fgets(line, sizeof(line), p)) {
		size_t i;
		/* The question after a tolerated problem, on its own line. */
		bool ok = line[0] == '\n' || strncmp(line, "Fix? no", 7) == 0 ||
			  strncmp(line, "Clear? no", 9) == 0;

		for (i = 0; !ok && i < sizeof(allowed) / sizeof(allowed[0]); i++)
			ok = strstr(line, allowed[i]) != NULL;
		ck_assert_msg(ok, "%s, crash after %ld writes: e2fsck says %s", what, n, line);
	}
	pclose(p);
}

static void check_after_crash(const char *name, const uint8_t *want, size_t size, long n)
{
	struct msgs m = { .count = 0 };
	struct ext2_inode_large inode = { 0 };
	ext2_filsys fs;
	ext2_file_t file;
	ext2_ino_t ino;
	uint8_t *got = malloc(size + 1);
	unsigned int done = 0;

	fsck_tolerable(name, n);
	ck_assert_int_eq(ext2fs_open(path("img"), EXT2_FLAG_64BITS | EXT2_FLAG_IGNORE_CSUM_ERRORS,
				     0, 0, unix_io_manager, &fs), 0);
	ino = lookup(fs, name);
	ck_assert_int_eq(ext2fs_read_inode_full(fs, ino, (struct ext2_inode *)&inode,
						sizeof(inode)), 0);
	ck_assert_uint_eq(EXT2_I_SIZE(&inode), size);
	ck_assert_int_eq(ext2fs_file_open(fs, ino, 0, &file), 0);
	ck_assert_int_eq(ext2fs_file_read(file, got, (unsigned int)size + 1, &done), 0);
	ck_assert_uint_eq(done, size);
	ck_assert_msg(memcmp(got, want, size) == 0, "%s: data changed after %ld writes", name, n);
	ext2fs_file_close(file);
	if (inode.i_flags & 0x00100000)
		ck_assert_msg(mbv_ext4_verify(fs, ino, NULL, NULL, NULL, NULL, on_error, &m) == 0,
			      "%s: verity flag without sound metadata after %ld writes: %s",
			      name, n, m.last);
	ext2fs_close(fs);
	free(got);
}

/* _i: 0 = "medium" (extents in the inode), 1 = "frag" (an extent tree block). */
START_TEST(test_crash_order)
{
	const char *name = _i ? "frag" : "medium";
	size_t size;
	uint8_t *want;
	long n, total = -1;

	crash_manager = *unix_io_manager;
	crash_manager.write_blk = crash_write_blk;
	crash_manager.write_blk64 = crash_write_blk64;
	crash_manager.write_byte = crash_write_byte;
	want = _i ? read_file(path("src/frag"), &size) : data[2];
	if (!_i)
		size = files[2].size;
	for (n = 0; total < 0 || n <= total; n++) {
		struct mbv_ext4_enable_params p = { 0 };
		struct msgs m = { .count = 0 };
		ext2_filsys fs;
		int err;

		fresh_image();
		fs = open_fs(true);
		if (n == 0) {
			struct ext2_inode inode;

			/* eh_depth: 0 for medium, above 0 for frag. */
			ck_assert_int_eq(ext2fs_read_inode(fs, lookup(fs, name), &inode), 0);
			ck_assert_int_eq(((const uint8_t *)inode.i_block)[6] != 0, _i);
		}
		fs->io->manager = &crash_manager;
		fs->io->flags |= CHANNEL_FLAGS_WRITETHROUGH;
		budget = total < 0 ? -1 : n;
		p.version = 1;
		err = mbv_ext4_enable(fs, lookup(fs, name), &p, NULL, on_error, &m);
		if (total < 0) {
			ck_assert_msg(err == 0, "%s: enable failed: %s", name, m.last);
			/* The first run counts the writes of a whole enable. */
			total = -budget - 1;
			ck_assert_int_gt(total, 3);
			ext2fs_free(fs);
			n = -1;
			continue;
		}
		ext2fs_free(fs);	/* the crash: nothing more reaches the file */
		check_after_crash(name, want, size, n);
	}
	if (_i)
		free(want);
}
END_TEST

static Suite *ext4_suite(void)
{
	Suite *s = suite_create("ext4");
	TCase *tc = tcase_create("api");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_enable_then_read_back, 0, 8);
	tcase_add_test(tc, test_prehash_must_fit);
	tcase_add_test(tc, test_prehash_hashes_once);
	tcase_add_test(tc, test_check_only_and_refusals);
	tcase_add_test(tc, test_reserved_refused);
	tcase_add_test(tc, test_signature_stored);
	tcase_add_loop_test(tc, test_verify_names_the_place, 0, 5);
	tcase_add_test(tc, test_helpers_and_walk);
	tcase_add_test(tc, test_walk_visits_each_name);
	tcase_add_loop_test(tc, test_crash_order, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	char cmd[2048];
	SRunner *sr;
	size_t i, j;
	int failed;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "mkdir %s/src", dir);
	if (system(cmd) != 0)
		return 1;
	for (i = 0; i < NFILES; i++) {
		char name[64];

		data[i] = malloc(files[i].size + 1);
		if (!data[i])
			return 1;
		for (j = 0; j < files[i].size; j++)
			data[i][j] = (uint8_t)(j * 131 + i * 7 + (j >> 9));
		snprintf(name, sizeof(name), "src/%s", files[i].name);
		if (!write_file_ok(path(name), data[i], files[i].size))
			return 1;
	}
	if (!write_file_ok(path("small.src"), data[1], files[1].size))
		return 1;
	/* Nine islands of data: more extents than the inode holds, so a tree block. */
	{
		FILE *f = fopen(path("src/frag"), "wb");

		if (!f)
			return 1;
		for (i = 0; i < 9; i++) {
			if (fseek(f, (long)(i * 131072), SEEK_SET) != 0 ||
			    fwrite(data[3] + i * 5000, 1, 5000, f) != 5000)
				return 1;
		}
		if (fclose(f) != 0)
			return 1;
	}
	snprintf(cmd, sizeof(cmd),
		 "PATH=$PATH:/usr/sbin:/sbin mke2fs -q -F -t ext4 -O verity -b 4096 "
		 "-d %s/src %s/pristine.img 16M >/dev/null 2>&1", dir, dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "FAIL: mke2fs could not make the test image\n");
		return 1;
	}

	sr = srunner_create(ext4_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		failed++;
	for (i = 0; i < NFILES; i++)
		free(data[i]);
	return failed ? 1 : 0;
}
