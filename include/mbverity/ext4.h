/* SPDX-License-Identifier: MIT */
/*
 * mbverity/ext4.h - fs-verity on files inside ext4 images, offline, through
 * libext2fs, whose header this one includes.
 */
#ifndef MBVERITY_EXT4_H
#define MBVERITY_EXT4_H

#include <sys/types.h>	/* ext2fs.h uses dev_t and mode_t without it */
#include <ext2fs/ext2fs.h>

#include "tree.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * These functions work on a filesystem opened with libext2fs (or with
 * mbv_ext4_open()).  Messages go to an optional per-call mbv_error_fn, one
 * line without a trailing newline and without the image or path name (the
 * caller knows them).
 */

/* Run every check (inode, parameters, space) but change nothing. */
#define MBV_EXT4_ENABLE_CHECK_ONLY	(1u << 0)
/* Set the filesystem's verity feature (RO_COMPAT 0x8000) if it is missing. */
#define MBV_EXT4_ENABLE_SET_FEATURE	(1u << 1)
/*
 * Skip the flushes that order the writes for crash safety (an image being
 * built, which is thrown away if the build stops): the caller's
 * mbv_ext4_close() writes everything once.  Many small files go much faster.
 */
#define MBV_EXT4_ENABLE_BATCH		(1u << 2)

struct mbv_ext4_detached;

/**
 * struct mbv_ext4_enable_params - how to enable fs-verity on a file
 * @version: MBV_EXT4_ENABLE_PARAMS_VERSION
 * @reserved0: must be zero
 * @spec: hash algorithm, block size (0: 4096; the kernel reads 1024 to
 *	min(4096, filesystem block size)) and salt, as mbv_tree_spec_check()
 *	takes them
 * @sig_size: bytes of @signature, at most MBV_MAX_SIGNATURE_SIZE; 0 for none
 * @signature: a built-in signature (DER PKCS#7), stored after the
 *	descriptor as FS_IOC_ENABLE_VERITY's sig_ptr would; refused as
 *	mbv_parse_signature() refuses it, but not checked against any key
 * @flags: MBV_EXT4_ENABLE_*
 * @pool: optional worker pool hashing the data (mbv_pool_new()); NULL
 *	hashes in the calling thread
 * @prehashed: optional; a tree built ahead by mbv_ext4_detached_hash()
 *	with the same tree parameters, written instead of hashing the data
 * @reserved: must be zero
 */
#define MBV_EXT4_ENABLE_PARAMS_VERSION	1

struct mbv_ext4_enable_params {
	uint32_t version;
	uint32_t reserved0;
	struct mbv_tree_spec spec;
	uint32_t sig_size;
	uint32_t flags;
	const uint8_t *signature;
	struct mbv_pool *pool;
	const struct mbv_ext4_detached *prehashed;
	uint64_t reserved[6];
};


/**
 * mbv_ext4_enable() - enable fs-verity on a regular file of an ext4 image
 * @fs: the filesystem, opened read-write (EXT2_FLAG_RW | EXT2_FLAG_64BITS)
 * @ino: the file's inode number
 * @params: the tree parameters and optional signature
 * @res: on success the tree's root hash, the file digest and descriptor;
 *	may be NULL
 * @error: optional error callback; @error_ctx is passed to it
 *
 * Does offline what FS_IOC_ENABLE_VERITY does on ext4: builds the Merkle
 * tree from the file's data (holes and unwritten extents read as zeros) and
 * stores it at round_up(i_size, 65536), then the descriptor (with the
 * signature) at the next filesystem block boundary and its size in the last
 * 4 bytes of the last block, in newly allocated initialized extents; blocks
 * past EOF are removed first and a non-zero tail after EOF in the last data
 * block is zeroed (those bytes are not file data).  Writes go to the new
 * blocks first, then the extent tree, bitmaps and inode are flushed, and
 * EXT4_VERITY_FL is set last; on a quota filesystem the new blocks are then
 * charged to the file's user, group and project, as the kernel charges
 * them.  Every refusal happens before any write, and leaves @fs clean:
 * closing it then writes nothing.  A filesystem with errors recorded, not
 * cleanly unmounted, with orphans, or whose quota file lacks the owner's
 * entry is refused (-EUCLEAN, the message naming e2fsck).
 *
 * Before its first write it frees libext2fs's copy of the superblock as
 * read (fs->orig_super): libext2fs then writes the superblock whole rather
 * than the changed bytes in several writes, which a kill between them
 * would leave with a checksum e2fsck -p cannot get past.  Nothing else of
 * @fs changes besides what enabling writes.
 *
 * Return: 0; -EEXIST (already verity), -EISDIR, -EINVAL (not a regular
 * file, bad parameters), -EOPNOTSUPP (no extents, inline data, encrypted,
 * missing verity feature, bigalloc), -EPERM (immutable or append-only),
 * -EFBIG, -ENOSPC, -EUCLEAN (corrupt image), -EIO, -ENOMEM; a signature
 * mbv_parse_signature() refuses gets its code (-EBADMSG, -ENOPKG,
 * -EKEYREJECTED...) before anything is written; -ESTALE when
 * @params->prehashed does not fit: another file, other parameters, not run,
 * or the file's size or data blocks changed since.
 */
int mbv_ext4_enable(ext2_filsys fs, ext2_ino_t ino,
		    const struct mbv_ext4_enable_params *params,
		    struct mbv_tree_result *res,
		    mbv_error_fn error, void *error_ctx);

/**
 * struct mbv_ext4_verity_info - what a verity file's stored metadata says
 * @hash_algorithm: MBV_HASH_ALG_*
 * @digest_size: bytes of @root_hash and @digest
 * @block_size: Merkle tree block size
 * @salt_size: bytes of @salt
 * @sig_size: bytes of the stored signature (0 for none)
 * @salt: the salt
 * @data_size: the file size
 * @tree_size: bytes of the stored tree
 * @tree_pos: file offset of the tree (round_up(i_size, 65536))
 * @desc_pos: file offset of the descriptor
 * @desc_size: bytes of descriptor plus signature, as stored
 * @root_hash: the descriptor's root hash
 * @digest: the fs-verity file digest, as FS_IOC_MEASURE_VERITY gives it
 * @descriptor: the descriptor as FS_IOC_READ_VERITY_METADATA gives it
 *	(sig_size zeroed, no signature)
 * @reserved: zeroed (room to grow)
 */
struct mbv_ext4_verity_info {
	uint32_t hash_algorithm;
	uint32_t digest_size;
	uint32_t block_size;
	uint32_t salt_size;
	uint32_t sig_size;
	uint8_t salt[MBV_MAX_SALT_SIZE];
	uint64_t data_size;
	uint64_t tree_size;
	uint64_t tree_pos;
	uint64_t desc_pos;
	uint32_t desc_size;
	uint8_t root_hash[MBV_MAX_DIGEST_SIZE];
	uint8_t digest[MBV_MAX_DIGEST_SIZE];
	uint8_t descriptor[MBV_DESCRIPTOR_SIZE];
	uint64_t reserved[8];
};

/**
 * mbv_ext4_measure() - the stored fs-verity digest of a file, without
 * reading its data
 * @fs: the filesystem (read-only is enough)
 * @ino: the file's inode number
 * @info: filled on success
 * @error: optional error callback; @error_ctx is passed to it
 *
 * Finds and checks the descriptor as the kernel does when it opens the file.
 * Return: 0; -ENODATA when the file has no fs-verity; -EUCLEAN for a
 * metadata layout or descriptor the kernel would reject; -EMSGSIZE for a
 * descriptor over 16384 bytes; -EISDIR, -EINVAL, -EIO, -ENOMEM.
 */
int mbv_ext4_measure(ext2_filsys fs, ext2_ino_t ino,
		     struct mbv_ext4_verity_info *info,
		     mbv_error_fn error, void *error_ctx);

/* FS_IOC_READ_VERITY_METADATA's metadata types. */
#define MBV_METADATA_MERKLE_TREE	1
#define MBV_METADATA_DESCRIPTOR		2
#define MBV_METADATA_SIGNATURE		3

/**
 * mbv_ext4_read_metadata() - read verity metadata as
 * FS_IOC_READ_VERITY_METADATA would
 * @fs: the filesystem
 * @ino: the file's inode number
 * @type: MBV_METADATA_*
 * @offset: byte offset into the metadata item
 * @buf: where to put up to @length bytes
 * @length: bytes wanted
 * @done: set to the bytes read; 0 at or past the end of the item
 * @error: optional error callback; @error_ctx is passed to it
 *
 * The tree comes root level first; the descriptor is the 256-byte one with
 * sig_size zeroed; the signature is the raw bytes.
 * Return: 0; -ENODATA when the file has no fs-verity or (for
 * MBV_METADATA_SIGNATURE) no signature; -EINVAL for a bad @type; as
 * mbv_ext4_measure() otherwise.
 */
int mbv_ext4_read_metadata(ext2_filsys fs, ext2_ino_t ino,
			   int type, uint64_t offset, void *buf, size_t length,
			   size_t *done, mbv_error_fn error, void *error_ctx);

/* What a mbv_ext4_problem is about. */
enum mbv_ext4_problem_kind {
	MBV_EXT4_BAD_DATA_BLOCK = 1,	/* @index: data block (tree block size units) */
	MBV_EXT4_BAD_TREE_BLOCK,	/* @level (0 = hashes of data), @index */
	MBV_EXT4_BAD_DESCRIPTOR,	/* @field names the descriptor field */
	MBV_EXT4_BAD_EOF_TAIL,		/* @index: the last data block (fs blocks) */
	MBV_EXT4_BAD_LAYOUT,		/* where the metadata sits */
};

/**
 * struct mbv_ext4_problem - one thing wrong with a verity file
 * @kind: enum mbv_ext4_problem_kind
 * @level: tree level for MBV_EXT4_BAD_TREE_BLOCK
 * @index: block index (see enum mbv_ext4_problem_kind)
 * @count: how many blocks of this kind are bad (at least 1)
 * @field: descriptor field name, or NULL
 * @message: one line, e.g. "data block 3 does not match its hash"
 * @reserved: zeroed (room to grow)
 */
struct mbv_ext4_problem {
	uint32_t kind;
	uint32_t level;
	uint64_t index;
	uint64_t count;
	const char *field;
	const char *message;
	uint64_t reserved[4];
};

/** mbv_ext4_report_fn - receives each problem found; valid during the call */
typedef void (*mbv_ext4_report_fn)(void *ctx, const struct mbv_ext4_problem *p);

/**
 * mbv_ext4_verify() - check a verity file's data, tree and descriptor
 * @fs: the filesystem (read-only is enough)
 * @ino: the file's inode number
 * @pool: optional worker pool hashing the data; NULL for the calling thread
 * @report: called for each problem found; may be NULL
 * @report_ctx: passed to @report
 * @info: optional; the stored metadata, as mbv_ext4_measure() gives it
 * @error: optional error callback for failures that stop the check
 * @error_ctx: passed to @error
 *
 * Rebuilds the tree from the data with the descriptor's parameters and
 * compares it with the stored one; each stored block is also checked
 * against its parent hash, so a bad data block, a bad tree block and a bad
 * root hash in the descriptor are told apart.  Also checks the bytes after
 * EOF in the last data block are zero, as the kernel needs.
 *
 * Return: 0 if all is well; -EBADMSG after reporting problems; -ENODATA when
 * the file has no fs-verity; -EUCLEAN when the metadata cannot even be
 * found; -EIO, -ENOMEM.
 */
int mbv_ext4_verify(ext2_filsys fs, ext2_ino_t ino,
		    struct mbv_pool *pool,
		    mbv_ext4_report_fn report, void *report_ctx,
		    struct mbv_ext4_verity_info *info,
		    mbv_error_fn error, void *error_ctx);

/*
 * Many files in parallel.  libext2fs is not thread-safe, so every call
 * taking @fs must stay in one thread; but once a file's inode and extent
 * map are read, its data and verity metadata can be read straight from
 * the image file, in any thread:
 *
 *	main thread:  mbv_ext4_detach() the next files
 *	any threads:  mbv_ext4_detached_hash() (and sign the digest it
 *	              gives), or mbv_ext4_detached_verify() and
 *	              mbv_ext4_detached_read_metadata()
 *	main thread:  mbv_ext4_enable() with params.prehashed, then
 *	              mbv_ext4_detached_free()
 *
 * A hashed tree is held in memory until enable writes it: 1/128 of the
 * data for SHA-256 and 4 KiB blocks (4 MiB for a 512 MiB file, 128 MiB for
 * 16 GiB).  The data level is split across params->pool's threads, so a
 * large file hashed this way (to sign its digest before enable) is as fast
 * as at enable; many small files are better hashed one per thread, each
 * with no pool.
 */

/**
 * mbv_ext4_detach() - read a file's inode and extent map, to read its
 * blocks later without libext2fs
 * @fs: the filesystem
 * @ino: the file's inode number (a regular file using extents)
 * @image_fd: a descriptor reading the image @fs was opened from, at byte
 *	block * blocksize for each block; used with pread() only.  Blocks
 *	written through @fs and not yet flushed are not seen, so the file
 *	must not have changed through @fs since its last flush.  -1 reads
 *	through @fs's own I/O instead (the same reader enable uses): then
 *	every call on the object stays in @fs's thread.
 * @out: the new object, freed with mbv_ext4_detached_free()
 * @error: optional error callback; @error_ctx is passed to it
 *
 * Same thread as every other call on @fs.
 * Return: 0; -EINVAL, -EISDIR, -EOPNOTSUPP, -EUCLEAN, -EIO, -ENOMEM.
 */
int mbv_ext4_detach(ext2_filsys fs, ext2_ino_t ino, int image_fd,
		    struct mbv_ext4_detached **out, mbv_error_fn error, void *error_ctx);

/**
 * mbv_ext4_detached_hash() - build the tree mbv_ext4_enable() would build,
 * in memory
 * @params: the parameters enable will use: its @spec (hash, block size,
 *	salt) is hashed with; its @pool, if any, splits the data across threads
 *	(one call at a time per pool); version and reserved fields are checked
 *	as mbv_ext4_enable() checks them, the rest is left to enable
 * @res: the result enable will give with no signature: the digest to sign
 * @error: optional error callback; @error_ctx is passed to it
 *
 * Calls nothing in libext2fs: any thread, one call at a time per object.
 * Return: 0; -EINVAL for bad parameters; -EIO (or the read's errno), -ENOMEM.
 */
int mbv_ext4_detached_hash(struct mbv_ext4_detached *d,
			   const struct mbv_ext4_enable_params *params,
			   struct mbv_tree_result *res,
			   mbv_error_fn error, void *error_ctx);

/**
 * mbv_ext4_detached_verify() - mbv_ext4_verify() on a detached file
 *
 * Calls nothing in libext2fs: any thread, one call at a time per object;
 * @report and @error are called in that thread.
 */
int mbv_ext4_detached_verify(struct mbv_ext4_detached *d, struct mbv_pool *pool,
			     mbv_ext4_report_fn report, void *report_ctx,
			     struct mbv_ext4_verity_info *info,
			     mbv_error_fn error, void *error_ctx);

/**
 * mbv_ext4_detached_read_metadata() - mbv_ext4_read_metadata() on a
 * detached file: any thread, one call at a time per object
 */
int mbv_ext4_detached_read_metadata(struct mbv_ext4_detached *d, int type, uint64_t offset,
				    void *buf, size_t length, size_t *done,
				    mbv_error_fn error, void *error_ctx);

/** mbv_ext4_detached_size() - the file's size (i_size) */
uint64_t mbv_ext4_detached_size(const struct mbv_ext4_detached *d);

void mbv_ext4_detached_free(struct mbv_ext4_detached *d);

/* Opening images, finding files. */

/**
 * mbv_ext4_open() - open an ext2/3/4 image file with libext2fs
 * @path: the image
 * @writable: open read-write (needed by mbv_ext4_enable())
 * @fs: set to the filesystem; close with mbv_ext4_close()
 * @error: optional error callback; @error_ctx is passed to it
 * Holds a flock on the image file until mbv_ext4_close(): exclusive when
 * @writable, else shared, never waiting; it lives in fs->priv_data, which
 * the caller must leave alone.  A writable open also refuses an image the
 * kernel has mounted (a loop-mounted file or a block device).
 *
 * Return: 0; -EACCES, -ENOENT etc.; -EBUSY when another process has the
 * image open through mbverity ("image is in use by another process") or,
 * writable, it is mounted (the message names the mount point); -EUCLEAN
 * when it is not an ext2/3/4 filesystem or, writable only, its journal
 * needs recovery, it has errors recorded, was not cleanly unmounted, or
 * has orphans (the orphan list or the orphan file).
 */
int mbv_ext4_open(const char *path, int writable,
		  ext2_filsys *fs,
		  mbv_error_fn error, void *error_ctx);

/**
 * mbv_ext4_close() - close a filesystem from mbv_ext4_open()
 * Writes whatever is still dirty (nothing, after only refusals), then
 * releases the image's lock.
 * Return: 0 or -errno.
 */
int mbv_ext4_close(ext2_filsys fs,
		   mbv_error_fn error, void *error_ctx);

/**
 * mbv_ext4_check_bitmaps() - check that the block bitmap marks every block in use
 * @fs: a filesystem from mbv_ext4_open() (its bitmaps are read if not yet)
 * @error: optional error callback; @error_ctx is passed to it
 *
 * As e2fsck's passes 1 and 5 would: every block of every in-use inode
 * (data, extent tree and indirect blocks, extended attribute block) and
 * the filesystem's own blocks (superblocks, descriptors, bitmaps, inode
 * tables, journal) must be marked in use, or the next allocation could
 * hand one out again.  mbv_ext4_enable() never allocates the filesystem's
 * own blocks in any case; this finds the damage that hides other files.
 * Reads every inode table once; changes nothing.
 * Return: 0; -EUCLEAN with a message naming a block and e2fsck; -ENOMEM, -EIO.
 */
int mbv_ext4_check_bitmaps(ext2_filsys fs,
			   mbv_error_fn error, void *error_ctx);

/**
 * mbv_ext4_lookup() - the inode number of an absolute @path in @fs
 * Symbolic links in the last component are not followed.
 * Return: 0; -ENOENT; -EINVAL for a relative path; -EIO.
 */
int mbv_ext4_lookup(ext2_filsys fs, const char *path,
		    ext2_ino_t *ino, mbv_error_fn error, void *error_ctx);

/* Directories nested deeper are hostile: a path would not fit PATH_MAX anyway. */
#define MBV_EXT4_MAX_DIR_DEPTH		2048
/* mbv_ext4_walk(): skip what cannot be read instead of stopping. */
#define MBV_EXT4_WALK_SKIP_BROKEN	(1u << 0)

/**
 * mbv_ext4_walk() - visit every name reachable from the root, depth first
 * @fs: the filesystem
 * @flags: 0 or MBV_EXT4_WALK_SKIP_BROKEN
 * @fn: called with each entry's absolute path (valid during the call), its
 *	inode number and inode, before a directory's own entries; "." and ".."
 *	are not visited.  A directory is entered once; a file is visited under
 *	each of its names only when its link count says it has several.  A
 *	non-zero return stops the walk and is returned.
 * @ctx: passed to @fn
 * @error: optional error callback; @error_ctx is passed to it
 *
 * Entries come in directory order (hash order on most images): sort the
 * paths for a fixed order.  An entry naming an inode past the last, an
 * unreadable inode or directory, or directories nested deeper than
 * MBV_EXT4_MAX_DIR_DEPTH stop the walk, or with MBV_EXT4_WALK_SKIP_BROKEN
 * are skipped.
 * Return: 0, @fn's value, -EUCLEAN, -EIO, -ELOOP, -EINVAL (unknown flags), -ENOMEM.
 */
int mbv_ext4_walk(ext2_filsys fs, unsigned int flags,
		  int (*fn)(void *ctx, const char *path, ext2_ino_t ino,
			    const struct ext2_inode *inode),
		  void *ctx, mbv_error_fn error, void *error_ctx);

/**
 * mbv_ext4_for_each_verity_file() - call @fn for every in-use inode with
 * EXT4_VERITY_FL, in inode order
 * @fn: gets the inode number and a path to it ("<inode N>" if none is
 *	found); a non-zero return stops the walk and is returned
 * Return: 0, @fn's value, or -errno.
 */
int mbv_ext4_for_each_verity_file(ext2_filsys fs,
				  int (*fn)(void *ctx, ext2_ino_t ino,
					    const char *path),
				  void *ctx, mbv_error_fn error,
				  void *error_ctx);

#ifdef __cplusplus
}
#endif

#endif
