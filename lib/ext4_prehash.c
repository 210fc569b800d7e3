/* SPDX-License-Identifier: MIT */
/* Trees built ahead of mbv_ext4_enable(), in any thread, from the image file itself. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ext4_verity.h"
#include "merkle.h"

int mbv_ext4_prehash_new(struct struct_ext2_filsys *fs, uint32_t ino,
			 const struct mbv_ext4_enable_params *params, int image_fd,
			 struct mbv_ext4_prehash **out,
			 mbv_error_fn error, void *error_ctx)
{
	struct mbv_ext4_prehash *ph;
	uint32_t alg = params->hash_algorithm ? params->hash_algorithm : MBV_HASH_ALG_SHA256;
	uint32_t bs = params->block_size ? params->block_size : 4096;
	int err;

	*out = NULL;
	if (params->version != 1 || image_fd < 0 ||
	    mbv_check_tree_params(alg, bs, params->salt_size) != 0 ||
	    (params->salt_size && !params->salt))
		return mbv_e4_report(error, error_ctx, -EINVAL, "invalid prehash parameters");
	ph = calloc(1, sizeof(*ph));
	if (!ph)
		return mbv_e4_report(error, error_ctx, -ENOMEM, "out of memory");
	err = mbv_e4_file_open(&ph->f, fs, ino, error, error_ctx);
	if (err) {
		mbv_ext4_prehash_free(ph);
		return err;
	}
	/* From here on only run() reads it, perhaps in another thread: no libext2fs, no messages. */
	ph->f.direct = true;
	ph->f.direct_fd = image_fd;
	ph->f.error = NULL;
	ph->fs = fs;
	ph->alg = alg;
	ph->block_size = bs;
	ph->salt_size = params->salt_size;
	if (params->salt_size)
		memcpy(ph->salt, params->salt, params->salt_size);
	*out = ph;
	return 0;
}

static int keep_tree_block(void *ctx, const void *block, size_t size, uint64_t offset)
{
	struct mbv_ext4_prehash *ph = ctx;

	memcpy(ph->tree + offset, block, size);
	return 0;
}

int mbv_ext4_prehash_run(struct mbv_ext4_prehash *ph, struct mbv_tree_result *res)
{
	struct mbv_tree_params tp;
	struct mbv_tree_geometry g;
	int err;

	ph->built = false;
	err = mbv_tree_geometry(ph->alg, ph->block_size, ph->f.size, &g);
	if (err)
		return err;
	free(ph->tree);
	ph->tree = NULL;
	ph->tree_size = g.tree_size;
	if (g.tree_size && !(ph->tree = malloc(g.tree_size)))
		return -ENOMEM;
	memset(&tp, 0, sizeof(tp));
	tp.version = 1;
	tp.hash_algorithm = ph->alg;
	tp.block_size = ph->block_size;
	tp.salt_size = ph->salt_size;
	tp.salt = ph->salt_size ? ph->salt : NULL;
	tp.file_size = ph->f.size;
	tp.tree_block = keep_tree_block;
	tp.ctx = ph;
	err = mbv_pool_compute_tree(NULL, &tp, mbv_e4_file_pread_data, &ph->f, &ph->result);
	if (err)
		return err;
	ph->built = true;
	if (res)
		*res = ph->result;
	return 0;
}

void mbv_ext4_prehash_free(struct mbv_ext4_prehash *ph)
{
	if (!ph)
		return;
	mbv_e4_file_close(&ph->f);
	free(ph->tree);
	free(ph);
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

bool mbv_e4_prehash_fits(const struct mbv_ext4_prehash *ph, const struct ext4_file *f,
			 uint32_t alg, uint32_t block_size,
			 const struct mbv_ext4_enable_params *params)
{
	uint64_t nblocks = (f->size + f->bs - 1) >> f->blkbits;

	return ph->built && ph->fs == f->fs && ph->f.ino == f->ino &&
	       ph->alg == alg && ph->block_size == block_size &&
	       ph->salt_size == params->salt_size &&
	       (!ph->salt_size || memcmp(ph->salt, params->salt, ph->salt_size) == 0) &&
	       ph->f.size == f->size && same_data_extents(&ph->f, f, nblocks);
}
