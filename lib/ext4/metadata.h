/* SPDX-License-Identifier: MIT */
/* Where a verity file's metadata sits and what it says, as the kernel reads it at open (lib/ext4/metadata.c). */
#ifndef MBV_EXT4_METADATA_H
#define MBV_EXT4_METADATA_H

#include "file.h"

/* Where the verity metadata sits, as the kernel finds it. */
struct ext4_verity_loc {
	uint64_t meta_pos;		/* round_up(i_size, 64K) */
	uint64_t desc_pos;
	uint32_t desc_size;		/* descriptor + signature */
	uint64_t size_pos;		/* the le32 desc_size */
};

/* Find the descriptor from the end of the last extent, as the kernel does. */
int mbv_e4_verity_locate(struct ext4_file *f, struct ext4_verity_loc *loc);

/* Read the stored descriptor and signature: loc->desc_size bytes, malloc'ed. */
int mbv_e4_verity_read_desc(struct ext4_file *f, const struct ext4_verity_loc *loc,
			  uint8_t **desc);

/* How bad a descriptor problem is. */
enum ext4_desc_severity {
	EXT4_DESC_EXTRA,	/* the kernel accepts it; fsverity-utils would differ */
	EXT4_DESC_REJECTED,	/* the kernel refuses to open the file */
	EXT4_DESC_FATAL,	/* refused, and the tree geometry is unknown */
};

/*
 * Check a stored descriptor as the kernel does when it opens the file, and
 * a little more (padding of root_hash and salt, the tree fitting before the
 * descriptor).  @bad gets each problem with the field's name (NULL for the
 * layout).  @info is filled as far as the fields allow.
 * Return: the worst enum ext4_desc_severity seen, or -1 if none.
 */
int mbv_e4_verity_check_desc(const struct ext4_file *f,
			   const struct ext4_verity_loc *loc,
			   const uint8_t *desc, struct mbv_ext4_verity_info *info,
			   void (*bad)(void *ctx, const char *field, int severity,
				       const char *msg),
			   void *ctx);

/*
 * Locate, read and check a verity file's metadata as the kernel does at
 * open: -ENODATA without fs-verity, -EUCLEAN (or -EMSGSIZE) for metadata
 * the kernel would reject.  *@desc is malloc'ed (loc->desc_size bytes).
 */
int mbv_e4_verity_load(struct ext4_file *f, struct ext4_verity_loc *loc,
		     uint8_t **desc, struct mbv_ext4_verity_info *info);

/* mbv_ext4_read_metadata() on an opened file. */
int mbv_e4_read_metadata_file(struct ext4_file *f, int type, uint64_t offset, void *buf,
			      size_t length, size_t *done);

#endif
