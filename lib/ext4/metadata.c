/* SPDX-License-Identifier: MIT */
/* Finding, checking and reading the verity metadata of an ext4 file. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endian_util.h"
#include "metadata.h"
#include "merkle.h"

/*
 * As fs/ext4/verity.c: the le32 descriptor size sits in the last 4 bytes of
 * the last extent; the descriptor starts at the block boundary at or below
 * size_pos - desc_size, and not before round_up(i_size, 64K).
 */
int mbv_e4_verity_locate(struct ext4_file *f, struct ext4_verity_loc *loc)
{
	const struct ext4_ext *last;
	uint64_t end, desc_pos;
	uint8_t le[4];
	uint32_t desc_size;
	int err;

	memset(loc, 0, sizeof(*loc));
	loc->meta_pos = ext4_round_up(f->size, EXT4_VERITY_META_ALIGN);
	if (!f->n_ext)
		return mbv_e4_fail(f, -EFSCORRUPTED,
				 "verity file has no extents: cannot find its descriptor");
	last = &f->ext[f->n_ext - 1];
	end = (last->lblk + last->len) << f->blkbits;
	loc->size_pos = end - 4;
	err = mbv_e4_file_pread(f, le, 4, loc->size_pos);
	if (err)
		return err;
	desc_size = get_le32(le);
	if (desc_size > FSVERITY_MAX_DESCRIPTOR_SIZE)
		return mbv_e4_fail(f, -EMSGSIZE,
				 "descriptor size %u (at byte %llu) is over the kernel's %d",
				 desc_size, (unsigned long long)loc->size_pos,
				 FSVERITY_MAX_DESCRIPTOR_SIZE);
	if (desc_size < MBV_DESCRIPTOR_SIZE || desc_size > loc->size_pos)
		return mbv_e4_fail(f, -EFSCORRUPTED,
				 "descriptor size %u (at byte %llu) is invalid",
				 desc_size, (unsigned long long)loc->size_pos);
	desc_pos = (loc->size_pos - desc_size) & ~(uint64_t)(f->bs - 1);
	if (desc_pos < loc->meta_pos)
		return mbv_e4_fail(f, -EFSCORRUPTED,
				 "descriptor at byte %llu would start before the metadata area at %llu",
				 (unsigned long long)desc_pos,
				 (unsigned long long)loc->meta_pos);
	loc->desc_pos = desc_pos;
	loc->desc_size = desc_size;
	return 0;
}

int mbv_e4_verity_read_desc(struct ext4_file *f, const struct ext4_verity_loc *loc,
			  uint8_t **desc)
{
	uint8_t *d = malloc(loc->desc_size);
	int err;

	if (!d)
		return mbv_e4_fail(f, -ENOMEM, "out of memory");
	err = mbv_e4_file_pread(f, d, loc->desc_size, loc->desc_pos);
	if (err) {
		free(d);
		return err;
	}
	*desc = d;
	return 0;
}

struct check_state {
	void (*bad)(void *ctx, const char *field, int severity, const char *msg);
	void *ctx;
	int worst;
};

static void __attribute__((format(printf, 4, 5)))
problem(struct check_state *s, const char *field, int severity, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (severity > s->worst)
		s->worst = severity;
	if (s->bad)
		s->bad(s->ctx, field, severity, msg);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

int mbv_e4_verity_check_desc(const struct ext4_file *f,
			   const struct ext4_verity_loc *loc,
			   const uint8_t *desc, struct mbv_ext4_verity_info *info,
			   void (*bad)(void *ctx, const char *field, int severity,
				       const char *msg),
			   void *ctx)
{
	struct check_state s = { bad, ctx, -1 };
	uint32_t alg = desc[1], log_bs = desc[2], salt_size = desc[3];
	uint32_t sig_size = get_le32(desc + 4);
	uint64_t data_size = get_le64(desc + 8);
	unsigned int ds = mbv_hash_digest_size(alg);
	bool geometry = true;

	memset(info, 0, sizeof(*info));
	info->tree_pos = loc->meta_pos;
	info->desc_pos = loc->desc_pos;
	info->desc_size = loc->desc_size;
	info->data_size = data_size;

	if (desc[0] != 1)
		problem(&s, "version", EXT4_DESC_REJECTED, "version %u is not 1", desc[0]);
	if (!ds) {
		problem(&s, "hash_algorithm", EXT4_DESC_FATAL,
			"hash algorithm %u is unknown", alg);
		geometry = false;
	}
	if (log_bs < FSVERITY_MIN_LOG_BLOCKSIZE || log_bs > FSVERITY_MAX_LOG_BLOCKSIZE ||
	    log_bs > f->blkbits || (ds && (1u << log_bs) < 2 * ds)) {
		problem(&s, "log_blocksize", EXT4_DESC_FATAL,
			"log_blocksize %u is not readable here (10 to %u)", log_bs,
			f->blkbits < FSVERITY_MAX_LOG_BLOCKSIZE ? f->blkbits :
			FSVERITY_MAX_LOG_BLOCKSIZE);
		geometry = false;
	}
	if (salt_size > MBV_MAX_SALT_SIZE) {
		problem(&s, "salt_size", EXT4_DESC_FATAL, "salt_size %u is over %d",
			salt_size, MBV_MAX_SALT_SIZE);
		geometry = false;
	}
	if (sig_size > loc->desc_size - MBV_DESCRIPTOR_SIZE)
		problem(&s, "sig_size", EXT4_DESC_REJECTED,
			"sig_size %u overflows the stored %u bytes", sig_size,
			loc->desc_size);
	if (data_size != f->size)
		problem(&s, "data_size", EXT4_DESC_REJECTED,
			"data_size %llu differs from i_size %llu",
			(unsigned long long)data_size, (unsigned long long)f->size);
	if (!all_zero(desc + 112, MBV_DESCRIPTOR_SIZE - 112))
		problem(&s, "reserved", EXT4_DESC_REJECTED, "reserved bytes are not zero");
	if (ds && !all_zero(desc + 16 + ds, MBV_MAX_DIGEST_SIZE - ds))
		problem(&s, "root_hash", EXT4_DESC_EXTRA,
			"bytes after the %u-byte root hash are not zero", ds);
	if (salt_size <= MBV_MAX_SALT_SIZE &&
	    !all_zero(desc + 80 + salt_size, MBV_MAX_SALT_SIZE - salt_size))
		problem(&s, "salt", EXT4_DESC_EXTRA,
			"bytes after the %u-byte salt are not zero", salt_size);

	if (ds) {
		info->hash_algorithm = alg;
		info->digest_size = ds;
		memcpy(info->root_hash, desc + 16, ds);
		memcpy(info->descriptor, desc, MBV_DESCRIPTOR_SIZE);
		put_le32(info->descriptor + 4, 0);	/* as the kernel hashes and returns it */
		mbv_descriptor_digest(alg, info->descriptor, MBV_DESCRIPTOR_SIZE,
				      info->digest);
	}
	if (salt_size <= MBV_MAX_SALT_SIZE) {
		info->salt_size = salt_size;
		memcpy(info->salt, desc + 80, salt_size);
	}
	if (sig_size <= loc->desc_size - MBV_DESCRIPTOR_SIZE)
		info->sig_size = sig_size;
	if (geometry) {
		struct mbv_tree_geometry g;

		info->block_size = 1u << log_bs;
		if (mbv_tree_geometry(alg, info->block_size, f->size, &g) != 0 ||
		    g.num_levels > FSVERITY_MAX_LEVELS) {
			problem(&s, "log_blocksize", EXT4_DESC_FATAL,
				"the tree would have more than %d levels",
				FSVERITY_MAX_LEVELS);
		} else {
			info->tree_size = g.tree_size;
			if (loc->meta_pos + g.tree_size > loc->desc_pos)
				problem(&s, NULL, EXT4_DESC_EXTRA,
					"the %llu-byte tree at byte %llu overlaps the descriptor at byte %llu",
					(unsigned long long)g.tree_size,
					(unsigned long long)loc->meta_pos,
					(unsigned long long)loc->desc_pos);
		}
	}
	return s.worst;
}

struct first_bad {
	char msg[300];
	bool set;
};

static void note_first_rejection(void *ctx, const char *field, int severity,
				 const char *msg)
{
	struct first_bad *fb = ctx;

	if (severity < EXT4_DESC_REJECTED || fb->set)
		return;
	snprintf(fb->msg, sizeof(fb->msg), "descriptor %s%s%s", field ? field : "",
		 field ? ": " : "", msg);
	fb->set = true;
}

int mbv_e4_verity_load(struct ext4_file *f, struct ext4_verity_loc *loc,
		     uint8_t **desc, struct mbv_ext4_verity_info *info)
{
	struct first_bad fb = { .set = false };
	int err;

	if (!(f->inode.i_flags & EXT4_VERITY_INODE_FL))
		return mbv_e4_fail(f, -ENODATA, "file does not have fs-verity enabled");
	err = mbv_e4_verity_locate(f, loc);
	if (err)
		return err;
	err = mbv_e4_verity_read_desc(f, loc, desc);
	if (err)
		return err;
	if (mbv_e4_verity_check_desc(f, loc, *desc, info, note_first_rejection, &fb) >=
	    EXT4_DESC_REJECTED) {
		free(*desc);
		*desc = NULL;
		return mbv_e4_fail(f, -EFSCORRUPTED, "%s", fb.msg);
	}
	return 0;
}

int mbv_ext4_measure(struct struct_ext2_filsys *fs, uint32_t ino,
		     struct mbv_ext4_verity_info *info,
		     mbv_error_fn error, void *error_ctx)
{
	struct ext4_file f;
	struct ext4_verity_loc loc;
	uint8_t *desc = NULL;
	int err;

	err = mbv_e4_file_open(&f, fs, ino, error, error_ctx);
	if (!err)
		err = mbv_e4_verity_load(&f, &loc, &desc, info);
	free(desc);
	mbv_e4_file_close(&f);
	return err;
}

int mbv_e4_read_metadata_file(struct ext4_file *f, int type, uint64_t offset, void *buf,
			      size_t length, size_t *done)
{
	struct mbv_ext4_verity_info info;
	struct ext4_verity_loc loc;
	uint8_t *desc = NULL;
	const uint8_t *src = NULL;
	uint64_t size = 0;
	int err;

	*done = 0;
	if (type < MBV_METADATA_MERKLE_TREE || type > MBV_METADATA_SIGNATURE)
		return mbv_e4_fail(f, -EINVAL, "unknown metadata type %d", type);
	err = mbv_e4_verity_load(f, &loc, &desc, &info);
	if (err)
		goto out;
	switch (type) {
	case MBV_METADATA_MERKLE_TREE:
		size = info.tree_size;
		break;
	case MBV_METADATA_DESCRIPTOR:
		size = MBV_DESCRIPTOR_SIZE;
		src = info.descriptor;
		break;
	case MBV_METADATA_SIGNATURE:
		if (!info.sig_size) {
			err = mbv_e4_fail(f, -ENODATA, "file has no built-in signature");
			goto out;
		}
		size = info.sig_size;
		src = desc + MBV_DESCRIPTOR_SIZE;
		break;
	}
	if (offset >= size)
		goto out;
	if (length > size - offset)
		length = (size_t)(size - offset);
	if (src)
		memcpy(buf, src + offset, length);
	else
		err = mbv_e4_file_pread(f, buf, length, loc.meta_pos + offset);
	if (!err)
		*done = length;
out:
	free(desc);
	return err;
}

int mbv_ext4_read_metadata(struct struct_ext2_filsys *fs, uint32_t ino,
			   int type, uint64_t offset, void *buf, size_t length,
			   size_t *done, mbv_error_fn error, void *error_ctx)
{
	struct ext4_file f;
	int err;

	*done = 0;
	/* Before the inode is read, as always: a bad type is the caller's error. */
	if (type < MBV_METADATA_MERKLE_TREE || type > MBV_METADATA_SIGNATURE)
		return mbv_report(error, error_ctx, -EINVAL,
				   "unknown metadata type %d", type);
	err = mbv_e4_file_open(&f, fs, ino, error, error_ctx);
	if (!err)
		err = mbv_e4_read_metadata_file(&f, type, offset, buf, length, done);
	mbv_e4_file_close(&f);
	return err;
}
