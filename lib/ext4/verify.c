/* SPDX-License-Identifier: MIT */
/* Checking a verity file of an ext4 image: data, stored tree and descriptor. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endian_util.h"
#include "metadata.h"
#include "verify.h"
#include "merkle.h"

/* The first bad block of a level and how many there are. */
struct bad_blocks {
	uint64_t first;
	uint64_t count;
};

struct index_list {
	uint64_t *v;
	size_t n, cap;
};

struct verify_ctx {
	struct ext4_file *f;
	struct ext4_verity_loc loc;
	struct mbv_ext4_verity_info info;
	struct mbv_tree_geometry g;
	struct mbv_tree_hash th;
	mbv_ext4_report_fn report;
	void *report_ctx;
	unsigned int problems;

	/* Stored blocks that do not match the hash their (sound) parent holds. */
	struct bad_blocks inconsistent[MBV_MAX_LEVELS];
	/* Those and every block below them: sorted indices per level. */
	struct index_list untrusted[MBV_MAX_LEVELS];
	uint64_t raw_failures;		/* blocks failing their parent, sound or not */
	bool top_bad;			/* the top block vs the descriptor's root hash */

	/* Rebuilt blocks that differ from the stored ones. */
	struct bad_blocks differs[MBV_MAX_LEVELS];
	struct bad_blocks data;		/* data blocks whose hash differs */
	uint8_t *stored;		/* one tree block */
	/* Data block hashes compared, and how many differ (all: a bad salt). */
	uint64_t leaf_hashes, leaf_hashes_differ;
};

static void __attribute__((format(printf, 7, 8)))
report(struct verify_ctx *v, uint32_t kind, uint32_t level, uint64_t index,
       uint64_t count, const char *field, const char *fmt, ...)
{
	struct mbv_ext4_problem p;
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v->problems++;
	if (!v->report)
		return;
	memset(&p, 0, sizeof(p));
	p.kind = kind;
	p.level = level;
	p.index = index;
	p.count = count ? count : 1;
	p.field = field;
	p.message = msg;
	v->report(v->report_ctx, &p);
}

static void note(struct bad_blocks *b, uint64_t index)
{
	if (!b->count++)
		b->first = index;
}

static void desc_problem(void *ctx, const char *field, int severity, const char *msg)
{
	struct verify_ctx *v = ctx;

	(void)severity;
	if (field)
		report(v, MBV_EXT4_BAD_DESCRIPTOR, 0, 0, 1, field, "descriptor field %s: %s",
		       field, msg);
	else
		report(v, MBV_EXT4_BAD_LAYOUT, 0, 0, 1, NULL, "%s", msg);
}

static int read_stored(struct verify_ctx *v, uint8_t *buf, uint64_t offset)
{
	return mbv_e4_file_pread(v->f, buf, v->info.block_size, v->loc.meta_pos + offset);
}

static uint64_t block_offset(const struct verify_ctx *v, unsigned int level, uint64_t i)
{
	return v->g.level_offset[level] + i * v->info.block_size;
}

static bool in_list(const struct index_list *l, uint64_t index)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->v[mid] < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < l->n && l->v[lo] == index;
}

static int add_to_list(struct verify_ctx *v, struct index_list *l, uint64_t index)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		uint64_t *n = realloc(l->v, cap * sizeof(*n));

		if (!n)
			return mbv_e4_fail(v->f, -ENOMEM, "out of memory");
		l->v = n;
		l->cap = cap;
	}
	l->v[l->n++] = index;
	return 0;
}

/*
 * Check each stored block against the hash its parent (or the descriptor)
 * holds, top down.  A block under a bad one cannot be judged: it is only
 * marked untrusted, so one bad byte names one block.
 */
static int check_stored_tree(struct verify_ctx *v)
{
	uint32_t bs = v->info.block_size, ds = v->info.digest_size;
	unsigned int top = v->g.num_levels - 1;
	uint64_t hpb = bs / ds;
	uint8_t *blk = malloc(bs), *parent = malloc(bs);
	uint8_t hash[MBV_MAX_DIGEST_SIZE];
	int level, err = 0;

	if (!blk || !parent) {
		err = mbv_e4_fail(v->f, -ENOMEM, "out of memory");
		goto out;
	}
	for (level = (int)top; level >= 0 && !err; level--) {
		uint64_t i, parent_index = UINT64_MAX;

		for (i = 0; i < v->g.level_blocks[level]; i++) {
			const uint8_t *want, *p = blk;
			bool parent_bad = false, fail;

			err = read_stored(v, blk, block_offset(v, (unsigned int)level, i));
			if (err)
				break;
			mbv_tree_hash_many(&v->th, &p, 1, bs, hash);
			if ((unsigned int)level == top) {
				want = v->info.root_hash;
			} else {
				if (i / hpb != parent_index) {
					parent_index = i / hpb;
					err = read_stored(v, parent,
							  block_offset(v, (unsigned int)level + 1,
								       parent_index));
					if (err)
						break;
				}
				want = parent + (i % hpb) * ds;
				parent_bad = in_list(&v->untrusted[level + 1], parent_index);
			}
			fail = memcmp(hash, want, ds) != 0;
			if (fail)
				v->raw_failures++;
			if (fail && !parent_bad) {
				note(&v->inconsistent[level], i);
				if ((unsigned int)level == top)
					v->top_bad = true;
			}
			if ((fail || parent_bad) &&
			    (err = add_to_list(v, &v->untrusted[level], i)))
				break;
		}
	}
out:
	free(blk);
	free(parent);
	return err;
}

/* Report the first non-zero byte of the file's [@from, @to), if any. */
static int expect_zeros(struct verify_ctx *v, uint64_t from, uint64_t to, const char *where)
{
	uint32_t bs = v->f->bs;
	uint8_t *buf;
	int err = 0;

	if (from >= to)
		return 0;
	buf = malloc(bs);
	if (!buf)
		return mbv_e4_fail(v->f, -ENOMEM, "out of memory");
	while (from < to && !err) {
		size_t k = to - from < bs ? (size_t)(to - from) : bs, i;

		err = mbv_e4_file_pread(v->f, buf, k, from);
		for (i = 0; !err && i < k; i++)
			if (buf[i]) {
				report(v, MBV_EXT4_BAD_LAYOUT, 0, 0, 1, NULL,
				       "file byte %llu (%s) is not zero",
				       (unsigned long long)(from + i), where);
				from = to;
				break;
			}
		from += k;
	}
	free(buf);
	return err;
}

/*
 * What the kernel ignores but enable never writes: a size field larger than
 * descriptor + signature, a descriptor away from the tree's end, non-zero
 * padding around them.  The file digest covers none of it.
 */
static int check_padding(struct verify_ctx *v, const uint8_t *desc, bool geometry)
{
	uint32_t sig_size = get_le32(desc + 4);
	uint64_t used = MBV_DESCRIPTOR_SIZE, tree_end, want;
	int err;

	if (sig_size <= v->loc.desc_size - MBV_DESCRIPTOR_SIZE) {
		used += sig_size;
		if (used != v->loc.desc_size)
			report(v, MBV_EXT4_BAD_LAYOUT, 0, 0, 1, NULL,
			       "the size field says %u bytes, but descriptor and signature take %llu",
			       v->loc.desc_size, (unsigned long long)used);
	}
	err = expect_zeros(v, v->loc.desc_pos + used, v->loc.size_pos,
			   "padding between the descriptor and its size field");
	if (err || !geometry)
		return err;
	tree_end = v->loc.meta_pos + v->info.tree_size;
	want = ext4_round_up(tree_end, v->f->bs);
	if (v->loc.desc_pos > want) {
		report(v, MBV_EXT4_BAD_LAYOUT, 0, 0, 1, NULL,
		       "the descriptor is at byte %llu, not at byte %llu right after the tree",
		       (unsigned long long)v->loc.desc_pos, (unsigned long long)want);
		return 0;
	}
	return expect_zeros(v, tree_end, v->loc.desc_pos, "padding after the Merkle tree");
}

/* tree_block callback: compare each rebuilt block with the stored one. */
static int compare_block(void *ctx, const void *block, size_t size, uint64_t offset)
{
	struct verify_ctx *v = ctx;
	uint32_t ds = v->info.digest_size;
	unsigned int level;
	uint64_t index, j, hpb = size / ds;
	int err;

	for (level = 0; level + 1 < v->g.num_levels; level++)
		if (offset >= v->g.level_offset[level])
			break;
	index = (offset - v->g.level_offset[level]) / size;
	err = read_stored(v, v->stored, offset);
	if (err)
		return err;
	for (j = 0; level == 0 && j < hpb && index * hpb + j < v->g.data_blocks; j++) {
		v->leaf_hashes++;
		if (memcmp((const uint8_t *)block + j * ds, v->stored + j * ds, ds))
			v->leaf_hashes_differ++;
	}
	if (!memcmp(block, v->stored, size))
		return 0;
	note(&v->differs[level], index);
	/* A sound stored leaf block that disagrees names the bad data blocks. */
	if (level != 0 || in_list(&v->untrusted[0], index))
		return 0;
	for (j = 0; j < hpb; j++) {
		uint64_t data_block = index * hpb + j;

		if (data_block >= v->g.data_blocks)
			break;
		if (memcmp((const uint8_t *)block + j * ds, v->stored + j * ds, ds))
			note(&v->data, data_block);
	}
	return 0;
}

static void report_tree(struct verify_ctx *v, const struct mbv_tree_result *rebuilt)
{
	unsigned int top = v->g.num_levels - 1, level;
	uint64_t total = 0, bad = 0;
	uint32_t ds = v->info.digest_size;

	if (v->g.data_blocks == 0) {
		if (memcmp(rebuilt->root_hash, v->info.root_hash, ds))
			report(v, MBV_EXT4_BAD_DESCRIPTOR, 0, 0, 1, "root_hash",
			       "descriptor field root_hash is not all zeros for an empty file");
		return;
	}
	if (v->g.num_levels == 0) {
		/* One data block: its hash is the root hash itself. */
		if (memcmp(rebuilt->root_hash, v->info.root_hash, ds))
			report(v, MBV_EXT4_BAD_DATA_BLOCK, 0, 0, 1, NULL,
			       "data block 0 does not match the root hash (or the descriptor "
			       "field root_hash is bad)");
		return;
	}
	for (level = 0; level < v->g.num_levels; level++) {
		total += v->g.level_blocks[level];
		bad += v->inconsistent[level].count;
	}
	/* One bad block spoils one hash: every one differing means another salt. */
	if (v->raw_failures == total &&
	    (total > 1 || (v->leaf_hashes > 1 && v->leaf_hashes_differ == v->leaf_hashes))) {
		report(v, MBV_EXT4_BAD_DESCRIPTOR, 0, 0, 1, "salt",
		       "descriptor field salt (or hash_algorithm): no stored tree block "
		       "matches its parent hash");
		return;
	}
	if (v->top_bad && v->inconsistent[top].count == 1 && bad == 1 &&
	    !v->differs[top].count) {
		/* The stored tree is sound and equals the rebuilt one up to the top. */
		report(v, MBV_EXT4_BAD_DESCRIPTOR, 0, 0, 1, "root_hash",
		       "descriptor field root_hash does not match the Merkle tree");
	} else {
		for (level = v->g.num_levels; level-- > 0;) {
			const struct bad_blocks *b = &v->inconsistent[level];

			if (b->count)
				report(v, MBV_EXT4_BAD_TREE_BLOCK, level, b->first, b->count,
				       NULL, "tree level %u block %llu does not match its hash "
				       "%s (%llu bad block%s at this level)", level,
				       (unsigned long long)b->first,
				       level == top ? "in the descriptor" : "in the level above",
				       (unsigned long long)b->count, b->count == 1 ? "" : "s");
		}
	}
	if (v->data.count)
		report(v, MBV_EXT4_BAD_DATA_BLOCK, 0, v->data.first, v->data.count, NULL,
		       "data block %llu (byte %llu) does not match its hash in the Merkle "
		       "tree (%llu bad data block%s)", (unsigned long long)v->data.first,
		       (unsigned long long)(v->data.first * v->info.block_size),
		       (unsigned long long)v->data.count, v->data.count == 1 ? "" : "s");
	/* Differences no stored block explains (e.g. padding) still count. */
	if (!v->problems && memcmp(rebuilt->root_hash, v->info.root_hash, ds))
		report(v, MBV_EXT4_BAD_DESCRIPTOR, 0, 0, 1, "root_hash",
		       "descriptor field root_hash does not match the rebuilt tree");
}

int mbv_e4_verify_file(struct ext4_file *f, struct mbv_pool *pool,
		       mbv_ext4_report_fn report_fn, void *report_ctx,
		       struct mbv_ext4_verity_info *info)
{
	struct verify_ctx v;
	struct mbv_tree_params tp;
	struct mbv_tree_result rebuilt;
	uint8_t *desc = NULL;
	bool tail_nonzero;
	blk64_t tail_pblk;
	int worst, err, i;

	memset(&v, 0, sizeof(v));
	v.f = f;
	v.report = report_fn;
	v.report_ctx = report_ctx;
	if (!(f->inode.i_flags & EXT4_VERITY_INODE_FL)) {
		err = mbv_e4_fail(f, -ENODATA, "file does not have fs-verity enabled");
		goto out;
	}
	err = mbv_e4_verity_locate(f, &v.loc);
	if (!err)
		err = mbv_e4_verity_read_desc(f, &v.loc, &desc);
	if (err)
		goto out;
	worst = mbv_e4_verity_check_desc(f, &v.loc, desc, &v.info, desc_problem, &v);
	if (info)
		*info = v.info;

	err = mbv_e4_file_eof_tail(f, &tail_nonzero, &tail_pblk);
	if (err)
		goto out;
	if (tail_nonzero)
		report(&v, MBV_EXT4_BAD_EOF_TAIL, 0, f->size >> f->blkbits, 1, NULL,
		       "bytes after EOF in the last data block (file block %llu, disk block "
		       "%llu) are not zero: the kernel would fail to read it",
		       (unsigned long long)(f->size >> f->blkbits), (unsigned long long)tail_pblk);
	err = check_padding(&v, desc, worst < EXT4_DESC_FATAL);
	if (err || worst >= EXT4_DESC_FATAL)
		goto out;

	err = mbv_tree_hash_init(&v.th, v.info.hash_algorithm, v.info.salt, v.info.salt_size);
	if (!err)
		err = mbv_tree_geometry(v.info.hash_algorithm, v.info.block_size, f->size, &v.g);
	if (err) {
		mbv_e4_fail(f, err, "bad tree parameters");
		goto out;
	}
	err = check_stored_tree(&v);
	if (err)
		goto out;

	memset(&tp, 0, sizeof(tp));
	tp.version = MBV_TREE_PARAMS_VERSION;
	tp.spec.hash_algorithm = v.info.hash_algorithm;
	tp.spec.block_size = v.info.block_size;
	tp.spec.salt_size = v.info.salt_size;
	tp.spec.salt = v.info.salt;
	tp.file_size = f->size;
	tp.tree_block = compare_block;
	tp.ctx = &v;
	v.stored = malloc(v.info.block_size);
	if (!v.stored) {
		err = mbv_e4_fail(f, -ENOMEM, "out of memory");
		goto out;
	}
	err = mbv_pool_compute_tree(pool, &tp, mbv_e4_file_pread_data, f, &rebuilt, NULL, NULL);
	if (err) {
		if (!f->reported)
			mbv_e4_fail(f, err, "rebuilding the Merkle tree failed: %s", strerror(-err));
		goto out;
	}
	report_tree(&v, &rebuilt);
out:
	if (!err && v.problems)
		err = -EBADMSG;
	free(v.stored);
	for (i = 0; i < MBV_MAX_LEVELS; i++)
		free(v.untrusted[i].v);
	free(desc);
	return err;
}

int mbv_ext4_verify(struct struct_ext2_filsys *fs, uint32_t ino,
		    struct mbv_pool *pool,
		    mbv_ext4_report_fn report_fn, void *report_ctx,
		    struct mbv_ext4_verity_info *info,
		    mbv_error_fn error, void *error_ctx)
{
	struct ext4_file f;
	int err = mbv_e4_file_open(&f, fs, ino, error, error_ctx);

	if (!err)
		err = mbv_e4_verify_file(&f, pool, report_fn, report_ctx, info);
	mbv_e4_file_close(&f);
	return err;
}
