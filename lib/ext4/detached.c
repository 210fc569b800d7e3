/* SPDX-License-Identifier: MIT */
/* Files read straight from the image file, so that any thread can hash or verify them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "detached.h"
#include "merkle.h"
#include "metadata.h"
#include "verify.h"

/* A file read without libext2fs (the public mbv_ext4_detach*), and perhaps its tree. */
struct mbv_ext4_detached {
	struct ext4_file f;		/* direct reads; f.fs only identifies the filesystem */
	/* From mbv_ext4_detached_hash(): */
	bool hashed;
	uint32_t alg, block_size, salt_size;
	uint8_t salt[MBV_MAX_SALT_SIZE];
	uint8_t *tree;			/* the whole tree, root level first */
	uint64_t tree_size;
	struct mbv_tree_result result;
};

int mbv_ext4_detach(struct struct_ext2_filsys *fs, uint32_t ino, int image_fd,
		    struct mbv_ext4_detached **out, mbv_error_fn error, void *error_ctx)
{
	struct mbv_ext4_detached *d;
	int err;

	*out = NULL;
	if (image_fd < -1)
		return mbv_report(error, error_ctx, -EINVAL, "bad image descriptor %d", image_fd);
	d = calloc(1, sizeof(*d));
	if (!d)
		return mbv_report(error, error_ctx, -ENOMEM, "out of memory");
	err = mbv_e4_file_open(&d->f, fs, ino, error, error_ctx);
	if (err) {
		mbv_ext4_detached_free(d);
		return err;
	}
	/* From here on other threads read it: no libext2fs, messages to each call's callback. */
	d->f.direct = image_fd >= 0;
	d->f.direct_fd = image_fd;
	d->f.error = NULL;
	*out = d;
	return 0;
}

static int keep_tree_block(void *ctx, const void *block, size_t size, uint64_t offset)
{
	struct mbv_ext4_detached *d = ctx;

	memcpy(d->tree + offset, block, size);
	return 0;
}

/* Messages of one call go to that call's callback, in the calling thread. */
static void call_begins(struct mbv_ext4_detached *d, mbv_error_fn error, void *error_ctx)
{
	d->f.error = error;
	d->f.error_ctx = error_ctx;
	d->f.reported = false;
}

int mbv_e4_enable_params_check(const struct mbv_ext4_enable_params *p,
			       struct mbv_tree_spec *resolved,
			       mbv_error_fn error, void *error_ctx)
{
	int err;

	if (p->version != MBV_EXT4_ENABLE_PARAMS_VERSION)
		return mbv_report(error, error_ctx, -EINVAL,
				     "unsupported parameter version %u (this library takes %d)",
				     p->version, MBV_EXT4_ENABLE_PARAMS_VERSION);
	if (p->reserved0)
		return mbv_report(error, error_ctx, -EINVAL,
				     "reserved0 is reserved and must be zero");
	err = mbv_reserved_check(p->reserved, sizeof(p->reserved) / sizeof(p->reserved[0]),
				 "reserved", error, error_ctx);
	return err ? err : mbv_tree_spec_check(&p->spec, resolved, error, error_ctx);
}

int mbv_ext4_detached_hash(struct mbv_ext4_detached *d,
			   const struct mbv_ext4_enable_params *params,
			   struct mbv_tree_result *res,
			   mbv_error_fn error, void *error_ctx)
{
	struct mbv_tree_spec spec;
	struct mbv_tree_params tp;
	struct mbv_tree_geometry g;
	int err;

	d->hashed = false;
	free(d->tree);
	d->tree = NULL;
	err = mbv_e4_enable_params_check(params, &spec, error, error_ctx);
	if (err)
		return err;
	err = mbv_tree_geometry(spec.hash_algorithm, spec.block_size, d->f.size, &g);
	if (err)
		return mbv_report(error, error_ctx, err, "the Merkle tree would be too deep");
	if (g.tree_size && !(d->tree = malloc(g.tree_size)))
		return mbv_report(error, error_ctx, -ENOMEM, "out of memory");
	d->alg = spec.hash_algorithm;
	d->block_size = spec.block_size;
	d->salt_size = spec.salt_size;
	if (spec.salt_size)
		memcpy(d->salt, spec.salt, spec.salt_size);
	d->tree_size = g.tree_size;
	memset(&tp, 0, sizeof(tp));
	tp.version = MBV_TREE_PARAMS_VERSION;
	tp.spec = spec;
	tp.spec.salt = d->salt_size ? d->salt : NULL;
	tp.file_size = d->f.size;
	tp.tree_block = keep_tree_block;
	tp.ctx = d;
	/* A large file is split across the pool's threads, as at enable. */
	err = mbv_pool_compute_tree(params->pool, &tp, mbv_e4_file_pread_data, &d->f, &d->result,
				    error, error_ctx);
	if (err)
		return err;
	d->hashed = true;
	if (res)
		*res = d->result;
	return 0;
}

int mbv_ext4_detached_verify(struct mbv_ext4_detached *d, struct mbv_pool *pool,
			     mbv_ext4_report_fn report, void *report_ctx,
			     struct mbv_ext4_verity_info *info,
			     mbv_error_fn error, void *error_ctx)
{
	int err;

	call_begins(d, error, error_ctx);
	err = mbv_e4_verify_file(&d->f, pool, report, report_ctx, info);
	call_begins(d, NULL, NULL);
	return err;
}

int mbv_ext4_detached_read_metadata(struct mbv_ext4_detached *d, int type, uint64_t offset,
				    void *buf, size_t length, size_t *done,
				    mbv_error_fn error, void *error_ctx)
{
	int err;

	call_begins(d, error, error_ctx);
	err = mbv_e4_read_metadata_file(&d->f, type, offset, buf, length, done);
	call_begins(d, NULL, NULL);
	return err;
}

uint64_t mbv_ext4_detached_size(const struct mbv_ext4_detached *d)
{
	return d->f.size;
}

void mbv_ext4_detached_free(struct mbv_ext4_detached *d)
{
	if (!d)
		return;
	mbv_e4_file_close(&d->f);
	free(d->tree);
	free(d);
}

/* Extents clipped to the first @nblocks blocks: the ones the data lives in. */
static bool same_data_extents(const struct ext4_file *a, const struct ext4_file *b,
			      uint64_t nblocks)
{
	size_t i = 0, j = 0;

	for (;;) {
		bool more_a = i < a->n_ext && a->ext[i].lblk < nblocks;
		bool more_b = j < b->n_ext && b->ext[j].lblk < nblocks;
		const struct ext4_ext *x, *y;

		if (!more_a || !more_b)
			return more_a == more_b;
		x = &a->ext[i++];
		y = &b->ext[j++];
		if (x->lblk != y->lblk || x->pblk != y->pblk || x->uninit != y->uninit)
			return false;
		/* The last one may have lost blocks past EOF since. */
		if ((x->lblk + x->len < nblocks ? x->len : nblocks - x->lblk) !=
		    (y->lblk + y->len < nblocks ? y->len : nblocks - y->lblk))
			return false;
	}
}

bool mbv_e4_prehashed_tree(const struct mbv_ext4_detached *d, const struct ext4_file *f,
			   const struct mbv_tree_spec *spec,
			   const uint8_t **tree, uint64_t *tree_size, struct mbv_tree_result *res)
{
	uint64_t nblocks = (f->size + f->bs - 1) >> f->blkbits;

	if (!(d->hashed && d->f.fs == f->fs && d->f.ino == f->ino &&
	      d->alg == spec->hash_algorithm && d->block_size == spec->block_size &&
	      d->salt_size == spec->salt_size &&
	      (!d->salt_size || memcmp(d->salt, spec->salt, d->salt_size) == 0) &&
	      d->f.size == f->size && same_data_extents(&d->f, f, nblocks)))
		return false;
	*tree = d->tree;
	*tree_size = d->tree_size;
	*res = d->result;
	return true;
}
