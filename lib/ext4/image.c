/* SPDX-License-Identifier: MIT */
/* Opening ext4 images, resolving paths, finding every verity file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <et/com_err.h>

#include "alloc.h"
#include "image.h"

/*
 * What mbv_ext4_open() hangs off fs->priv_data: our own descriptor of the
 * image file holding a flock (libext2fs keeps its descriptor private), so
 * that two processes never write one image at once.
 */
#define IMAGE_LOCK_MAGIC 0x6d62764cu	/* "mbvL" */
struct image_lock {
	uint32_t magic;
	int fd;
};

static void unlock_image(struct image_lock *l)
{
	if (!l)
		return;
	/* Closing the last descriptor of the open file drops the flock. */
	close(l->fd);
	l->magic = 0;
	free(l);
}

/*
 * Take an exclusive (@writable) or shared lock on the image file, without
 * waiting: a writer fails at once while anyone else has the image open
 * through mbverity, rather than queueing behind an enable --all of an hour.
 * *@l stays NULL when the file cannot be opened here: ext2fs_open2() then
 * reports why.
 */
static int lock_image(const char *file, bool writable, struct image_lock **l,
		      mbv_error_fn error, void *error_ctx)
{
	int fd;

	*l = NULL;
	/* O_NONBLOCK: a FIFO given as the image must not hang us here. */
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return 0;
	if (flock(fd, (writable ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
		int e = errno;

		close(fd);
		if (e == EWOULDBLOCK)
			return mbv_report(error, error_ctx, -EBUSY,
					   "image is in use by another process");
		/* A filesystem without flock (some network ones): no lock to take. */
		if (e == ENOLCK || e == EOPNOTSUPP || e == EINVAL)
			return 0;
		return mbv_report(error, error_ctx, -e, "cannot lock the image: %s",
				   strerror(e));
	}
	*l = malloc(sizeof(**l));
	if (!*l) {
		close(fd);
		return mbv_report(error, error_ctx, -ENOMEM, "out of memory");
	}
	(*l)->magic = IMAGE_LOCK_MAGIC;
	(*l)->fd = fd;
	return 0;
}

/* Refuse to write a filesystem the kernel has mounted (a loop-mounted image file too). */
static int check_not_mounted(const char *file, mbv_error_fn error, void *error_ctx)
{
	char mtpt[PATH_MAX];
	int mflags = 0;
	errcode_t r;

	mtpt[0] = '\0';
	r = ext2fs_check_mount_point(file, &mflags, mtpt, sizeof(mtpt));
	if (r)
		return mbv_report(error, error_ctx, mbv_e4_errno(r),
				   "cannot tell whether the image is mounted: %s", mbv_e4_strerror(r));
	if (mflags & EXT2_MF_MOUNTED)
		return mbv_report(error, error_ctx, -EBUSY,
				   "the image is mounted on %s: unmount it first",
				   mtpt[0] ? mtpt : "an unknown mount point");
	if (mflags & EXT2_MF_SWAP)
		return mbv_report(error, error_ctx, -EBUSY, "the image is in use as swap space");
	if (mflags & EXT2_MF_BUSY)
		return mbv_report(error, error_ctx, -EBUSY,
				   "the device is in use by the system (opened exclusively)");
	return 0;
}

int mbv_e4_check_fs_state(ext2_filsys fs, char *why, size_t size)
{
	struct ext2_super_block *sb = fs->super;

	if ((sb->s_state & EXT2_ERROR_FS) || sb->s_error_count) {
		snprintf(why, size, "the filesystem has errors recorded: run e2fsck on the image first");
		return -EFSCORRUPTED;
	}
	if (!(sb->s_state & EXT2_VALID_FS)) {
		snprintf(why, size, "the filesystem was not cleanly unmounted: "
			 "run e2fsck on the image first");
		return -EFSCORRUPTED;
	}
	/*
	 * The kernel truncates orphans to i_size at the next mount, even a
	 * read-only one: that would cut the verity metadata off a file.
	 */
	if (sb->s_last_orphan) {
		snprintf(why, size, "inode %u is on the orphan list: run e2fsck on the image first",
			 sb->s_last_orphan);
		return -EFSCORRUPTED;
	}
	if (ext2fs_has_feature_orphan_present(sb)) {
		snprintf(why, size, "the orphan file has entries: run e2fsck on the image first");
		return -EFSCORRUPTED;
	}
	return 0;
}

/* Entries in the orphan file (orphan_file feature) mean the same as the orphan list. */
static int check_orphan_file(ext2_filsys fs, char *why, size_t size)
{
	ext2_ino_t ino = fs->super->s_orphan_file_inum;
	struct ext2_inode inode;
	uint64_t nblocks, b;
	unsigned int per = ext2fs_inodes_per_orphan_block(fs), i;
	uint32_t *buf;
	errcode_t r;
	int err = 0;

	if (!ext2fs_has_feature_orphan_file(fs->super) || !ino)
		return 0;
	r = ext2fs_read_inode(fs, ino, &inode);
	if (r) {
		snprintf(why, size, "cannot read the orphan file: %s", mbv_e4_strerror(r));
		return mbv_e4_errno(r);
	}
	nblocks = EXT2_I_SIZE(&inode) / fs->blocksize;
	/* e2fsck makes it at most 512 blocks; a larger one is not worth scanning. */
	if (nblocks > 4096) {
		snprintf(why, size, "the orphan file is %llu blocks long: run e2fsck on the image first",
			 (unsigned long long)nblocks);
		return -EFSCORRUPTED;
	}
	r = ext2fs_get_mem(fs->blocksize, &buf);
	if (r)
		return -ENOMEM;
	for (b = 0; !err && b < nblocks; b++) {
		blk64_t pblk = 0;
		int ret_flags = 0;

		r = ext2fs_bmap2(fs, ino, &inode, NULL, 0, b, &ret_flags, &pblk);
		if (!r && pblk && !(ret_flags & BMAP_RET_UNINIT))
			r = io_channel_read_blk64(fs->io, pblk, 1, buf);
		else if (!r)
			continue;	/* a hole holds no entries */
		if (r) {
			snprintf(why, size, "cannot read the orphan file: %s", mbv_e4_strerror(r));
			err = mbv_e4_errno(r);
			break;
		}
		for (i = 0; i < per; i++)
			if (buf[i]) {
				snprintf(why, size, "inode %u is in the orphan file: "
					 "run e2fsck on the image first", ext2fs_le32_to_cpu(buf[i]));
				err = -EFSCORRUPTED;
				break;
			}
	}
	ext2fs_free_mem(&buf);
	return err;
}

int mbv_ext4_open(const char *path, int writable, struct struct_ext2_filsys **out,
		  mbv_error_fn error, void *error_ctx)
{
	int flags = EXT2_FLAG_64BITS | (writable ? EXT2_FLAG_RW : 0);
	struct image_lock *lock = NULL;
	char why[256], *file;
	ext2_filsys fs;
	errcode_t r;
	int err;

	*out = NULL;
	/* libext2fs reads IMAGE?offset=N as the file IMAGE with io options. */
	file = strndup(path, strcspn(path, "?"));
	if (!file)
		return mbv_report(error, error_ctx, -ENOMEM, "out of memory");
	err = lock_image(file, writable, &lock, error, error_ctx);
	/* Mounted comes before anything the superblock says: it may be stale. */
	if (!err && writable)
		err = check_not_mounted(file, error, error_ctx);
	free(file);
	if (err) {
		unlock_image(lock);
		return err;
	}
	r = ext2fs_open2(path, NULL, flags, 0, 0, unix_io_manager, &fs);
	if (r) {
		unlock_image(lock);
		err = mbv_e4_errno(r);
		switch (r) {
		case EXT2_ET_BAD_MAGIC:
		case EXT2_ET_SHORT_READ:
		case EXT2_ET_SB_CSUM_INVALID:
		case EXT2_ET_CORRUPT_SUPERBLOCK:
		case EXT2_ET_UNEXPECTED_BLOCK_SIZE:
			return mbv_report(error, error_ctx, -EFSCORRUPTED,
					   "not an ext4 filesystem image (%s)", mbv_e4_strerror(r));
		}
		if (writable && (err == -EACCES || err == -EROFS || err == -EPERM))
			return mbv_report(error, error_ctx, err,
					   "cannot open the image for writing: %s", mbv_e4_strerror(r));
		return mbv_report(error, error_ctx, err, "cannot open the image: %s",
				   mbv_e4_strerror(r));
	}
	fs->priv_data = lock;
	/*
	 * Group descriptors pointing outside their group crash libext2fs's own
	 * bitmap and inode table reads (seen fuzzing): check them as e2fsck does.
	 */
	r = ext2fs_check_desc(fs);
	if (r) {
		err = mbv_report(error, error_ctx, -EFSCORRUPTED,
				  "corrupt group descriptors: %s (run e2fsck)", mbv_e4_strerror(r));
		goto fail;
	}
	if (writable) {
		struct stat st;
		uint64_t need = ext2fs_blocks_count(fs->super) * (uint64_t)fs->blocksize;

		/* Writing into a truncated image file would grow it. */
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size < need) {
			err = mbv_report(error, error_ctx, -EFSCORRUPTED,
					  "image is truncated: %llu bytes, its filesystem needs %llu",
					  (unsigned long long)st.st_size, (unsigned long long)need);
			goto fail;
		}
		if (ext2fs_has_feature_journal_needs_recovery(fs->super)) {
			err = mbv_report(error, error_ctx, -EFSCORRUPTED,
					  "the journal needs recovery: run e2fsck on the image first");
			goto fail;
		}
		/* Readers go on: they write nothing a later e2fsck could lose. */
		err = mbv_e4_check_fs_state(fs, why, sizeof(why));
		if (!err)
			err = check_orphan_file(fs, why, sizeof(why));
		if (err) {
			mbv_report(error, error_ctx, err, "%s", why);
			goto fail;
		}
		r = ext2fs_read_bitmaps(fs);
		if (r) {
			err = mbv_report(error, error_ctx, mbv_e4_errno(r),
					  "cannot read the bitmaps: %s", mbv_e4_strerror(r));
			goto fail;
		}
	}
	*out = fs;
	return 0;
fail:
	fs->priv_data = NULL;
	ext2fs_free(fs);
	unlock_image(lock);
	return err;
}

int mbv_ext4_close(struct struct_ext2_filsys *fs, mbv_error_fn error, void *error_ctx)
{
	struct image_lock *lock;
	errcode_t r;

	if (!fs)
		return 0;
	/* First: it hands back the lock it may have wrapped (lib/ext4_alloc.c). */
	mbv_e4_fs_priv_free(fs);
	lock = fs->priv_data;
	if (lock && lock->magic != IMAGE_LOCK_MAGIC)
		lock = NULL;	/* not ours: an fs from ext2fs_open() */
	else
		fs->priv_data = NULL;
	/* The lock goes only after the last write. */
	r = ext2fs_close2(fs, 0);
	if (r) {
		/* ext2fs_close2() keeps the handle when the final flush fails. */
		ext2fs_free(fs);
		unlock_image(lock);
		return mbv_report(error, error_ctx, mbv_e4_errno(r),
				   "cannot write the image: %s", mbv_e4_strerror(r));
	}
	unlock_image(lock);
	return 0;
}

/* Symbolic links followed in one lookup, as the kernel's limit. */
#define MAX_SYMLINKS 40

/*
 * The target of symlink @ino, NUL-terminated in @buf (@size bytes).  Sizes
 * come from a hostile image: anything longer than a block or @size is
 * refused (libext2fs's own ext2fs_namei() allocates i_size for an
 * inline-data link, unbounded).
 */
static errcode_t read_link(ext2_filsys fs, ext2_ino_t ino, struct ext2_inode *inode,
			   char *buf, size_t size)
{
	uint64_t len = EXT2_I_SIZE(inode);
	blk64_t pblk = 0;
	char *blk;
	errcode_t r;

	if (len == 0 || len >= size || len >= fs->blocksize)
		return EXT2_ET_INODE_CORRUPTED;
	if (inode->i_flags & EXT4_INLINE_DATA_FL) {
		size_t isize = 0;

		r = ext2fs_inline_data_size(fs, ino, &isize);
		if (r)
			return r;
		if (isize != len || isize > fs->blocksize)
			return EXT2_ET_INODE_CORRUPTED;
		r = ext2fs_get_mem(fs->blocksize, &blk);
		if (r)
			return r;
		r = ext2fs_inline_data_get(fs, ino, inode, blk, NULL);
	} else if (ext2fs_is_fast_symlink(inode)) {
		memcpy(buf, inode->i_block, (size_t)len);
		buf[len] = 0;
		return 0;
	} else {
		r = ext2fs_bmap2(fs, ino, inode, NULL, 0, 0, NULL, &pblk);
		if (!r && !pblk)
			r = EXT2_ET_INODE_CORRUPTED;
		if (r)
			return r;
		r = ext2fs_get_mem(fs->blocksize, &blk);
		if (r)
			return r;
		r = io_channel_read_blk64(fs->io, pblk, 1, blk);
	}
	if (!r) {
		memcpy(buf, blk, (size_t)len);
		buf[len] = 0;
	}
	ext2fs_free_mem(&blk);
	return r;
}

/*
 * Resolve @path from directory @dir (the root for an absolute path),
 * following symlinks but in the last component unless @follow_last.
 */
static errcode_t walk_path(ext2_filsys fs, ext2_ino_t dir, const char *path,
			   bool follow_last, int *links, ext2_ino_t *out)
{
	const char *p = path;
	ext2_ino_t cur = *p == '/' ? EXT2_ROOT_INO : dir;
	errcode_t r;

	for (;;) {
		struct ext2_inode inode;
		const char *end;
		ext2_ino_t next;
		bool last;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchrnul(p, '/');
		if (end - p > EXT2_NAME_LEN)
			return EXT2_ET_FILE_NOT_FOUND;
		r = ext2fs_lookup(fs, cur, p, (int)(end - p), NULL, &next);
		if (r)
			return r;
		last = !end[strspn(end, "/")];
		r = ext2fs_read_inode(fs, next, &inode);
		if (r)
			return r;
		if (LINUX_S_ISLNK(inode.i_mode) && (!last || follow_last)) {
			char target[PATH_MAX];

			if (++*links > MAX_SYMLINKS)
				return EXT2_ET_SYMLINK_LOOP;
			r = read_link(fs, next, &inode, target, sizeof(target));
			if (!r)
				r = walk_path(fs, cur, target, true, links, &next);
			if (r)
				return r;
		}
		cur = next;
		p = end;
	}
	*out = cur;
	return 0;
}

int mbv_ext4_lookup(struct struct_ext2_filsys *fs, const char *path, uint32_t *ino,
		    mbv_error_fn error, void *error_ctx)
{
	ext2_ino_t i;
	int links = 0;
	errcode_t r;

	if (path[0] != '/')
		return mbv_report(error, error_ctx, -EINVAL,
				   "path inside the image must be absolute");
	r = walk_path(fs, EXT2_ROOT_INO, path, false, &links, &i);
	if (r == EXT2_ET_FILE_NOT_FOUND)
		return mbv_report(error, error_ctx, -ENOENT, "no such file in the image");
	if (r == EXT2_ET_NO_DIRECTORY)
		return mbv_report(error, error_ctx, -ENOTDIR,
				   "a component of the path is not a directory");
	if (r == EXT2_ET_SYMLINK_LOOP)
		return mbv_report(error, error_ctx, -ELOOP, "too many symbolic links");
	if (r)
		return mbv_report(error, error_ctx, mbv_e4_errno(r), "cannot look it up: %s",
				   mbv_e4_strerror(r));
	*ino = i;
	return 0;
}

/* The one directory walker (mbv_ext4_walk()): depth first, a growing path. */
struct walk {
	ext2_filsys fs;
	unsigned int flags;
	int (*fn)(void *ctx, const char *path, ext2_ino_t ino, const struct ext2_inode *inode);
	void *ctx;
	mbv_error_fn error;
	void *error_ctx;
	ext2fs_inode_bitmap seen_dirs;	/* each directory entered once */
	char *path;
	size_t len, cap;
	unsigned int depth;
	int ret;			/* what stopped the walk */
};

static int walk_dir(struct walk *w, ext2_ino_t dir);

/* Append "/NAME" to the path; false out of memory. */
static bool path_push(struct walk *w, const char *name, size_t name_len)
{
	if (w->len + 1 + name_len + 1 > w->cap) {
		size_t cap = (w->len + 1 + name_len + 1) * 2;
		char *p = realloc(w->path, cap);

		if (!p)
			return false;
		w->path = p;
		w->cap = cap;
	}
	w->path[w->len] = '/';
	memcpy(w->path + w->len + 1, name, name_len);
	w->len += 1 + name_len;
	w->path[w->len] = '\0';
	return true;
}

static int walk_entry(ext2_ino_t dir, int entry, struct ext2_dir_entry *de,
		      int offset, int blocksize, char *buf, void *priv)
{
	struct walk *w = priv;
	size_t name_len = (size_t)ext2fs_dirent_name_len(de);
	size_t saved = w->len;
	struct ext2_inode inode;
	bool skip = w->flags & MBV_EXT4_WALK_SKIP_BROKEN;
	errcode_t r;

	if (!de->inode || (name_len == 1 && de->name[0] == '.') ||
	    (name_len == 2 && de->name[0] == '.' && de->name[1] == '.'))
		return 0;
	if (de->inode > w->fs->super->s_inodes_count) {
		if (skip)
			return 0;
		w->ret = mbv_report(w->error, w->error_ctx, -EFSCORRUPTED,
				       "directory %s names inode %u, past the last one",
				       w->len ? w->path : "/", de->inode);
		return DIRENT_ABORT;
	}
	r = ext2fs_read_inode(w->fs, de->inode, &inode);
	if (r) {
		if (skip)
			return 0;
		w->ret = mbv_report(w->error, w->error_ctx, mbv_e4_errno(r),
				       "cannot read inode %u: %s", de->inode, mbv_e4_strerror(r));
		return DIRENT_ABORT;
	}
	/* A directory once; a file under each name only when it has several. */
	if (LINUX_S_ISDIR(inode.i_mode) ? ext2fs_test_inode_bitmap2(w->seen_dirs, de->inode) :
	    (ext2fs_test_inode_bitmap2(w->seen_dirs, de->inode) && inode.i_links_count < 2))
		return 0;
	ext2fs_mark_inode_bitmap2(w->seen_dirs, de->inode);
	if (!path_push(w, de->name, name_len)) {
		w->ret = mbv_report(w->error, w->error_ctx, -ENOMEM, "out of memory");
		return DIRENT_ABORT;
	}
	w->ret = w->fn(w->ctx, w->path, de->inode, &inode);
	if (!w->ret && LINUX_S_ISDIR(inode.i_mode))
		w->ret = walk_dir(w, de->inode);
	w->len = saved;
	w->path[w->len] = '\0';
	return w->ret ? DIRENT_ABORT : 0;
}

static int walk_dir(struct walk *w, ext2_ino_t dir)
{
	errcode_t r;

	if (w->depth >= MBV_EXT4_MAX_DIR_DEPTH) {
		if (w->flags & MBV_EXT4_WALK_SKIP_BROKEN)
			return 0;
		return mbv_report(w->error, w->error_ctx, -ELOOP,
				     "directories nested deeper than %d", MBV_EXT4_MAX_DIR_DEPTH);
	}
	w->depth++;
	r = ext2fs_dir_iterate2(w->fs, dir, 0, NULL, walk_entry, w);
	w->depth--;
	if (w->ret)
		return w->ret;
	if (r && !(w->flags & MBV_EXT4_WALK_SKIP_BROKEN))
		return mbv_report(w->error, w->error_ctx, -EIO, "cannot read directory %s: %s",
				     w->len ? w->path : "/", mbv_e4_strerror(r));
	return 0;
}

int mbv_ext4_walk(struct struct_ext2_filsys *fs, unsigned int flags,
		  int (*fn)(void *ctx, const char *path, ext2_ino_t ino,
			    const struct ext2_inode *inode),
		  void *ctx, mbv_error_fn error, void *error_ctx)
{
	struct walk w = { .fs = fs, .flags = flags, .fn = fn, .ctx = ctx,
			  .error = error, .error_ctx = error_ctx };
	errcode_t r;
	int ret;

	if (flags & ~MBV_EXT4_WALK_SKIP_BROKEN)
		return mbv_report(error, error_ctx, -EINVAL, "unknown walk flags 0x%x", flags);
	r = ext2fs_allocate_inode_bitmap(fs, "visited directories", &w.seen_dirs);
	if (r)
		return mbv_report(error, error_ctx, mbv_e4_errno(r),
				     "cannot allocate an inode bitmap: %s", mbv_e4_strerror(r));
	ext2fs_mark_inode_bitmap2(w.seen_dirs, EXT2_ROOT_INO);
	ret = walk_dir(&w, EXT2_ROOT_INO);
	ext2fs_free_inode_bitmap(w.seen_dirs);
	free(w.path);
	return ret;
}

struct named_ino {
	ext2_ino_t ino;
	char *path;
};

/* Verity inodes sorted by number, named by the walk. */
struct naming {
	struct named_ino *files;
	size_t n, unnamed;
};

static struct named_ino *find_named(struct naming *nm, ext2_ino_t ino)
{
	size_t lo = 0, hi = nm->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (nm->files[mid].ino < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nm->n && nm->files[lo].ino == ino ? &nm->files[lo] : NULL;
}

/* Stops the walk once every file has a name (a private value, not an error). */
#define ALL_NAMED 1

static int name_entry(void *ctx, const char *path, ext2_ino_t ino, const struct ext2_inode *inode)
{
	struct naming *nm = ctx;
	struct named_ino *n = find_named(nm, ino);

	/* No program could pass a path of PATH_MAX bytes: such a file keeps "<inode N>". */
	if (n && !n->path && strlen(path) < PATH_MAX) {
		n->path = strdup(path);
		if (n->path)
			nm->unnamed--;
	}
	return nm->unnamed ? 0 : ALL_NAMED;
}

int mbv_ext4_for_each_verity_file(struct struct_ext2_filsys *fs,
				  int (*fn)(void *ctx, uint32_t ino, const char *path),
				  void *ctx, mbv_error_fn error, void *error_ctx)
{
	struct naming w;
	ext2_inode_scan scan;
	struct ext2_inode_large inode;
	ext2_ino_t ino;
	errcode_t r;
	size_t cap = 0, i;
	int ret = 0;

	memset(&w, 0, sizeof(w));
	r = ext2fs_open_inode_scan(fs, 0, &scan);
	if (r)
		return mbv_report(error, error_ctx, mbv_e4_errno(r),
				   "cannot scan the inodes: %s", mbv_e4_strerror(r));
	for (;;) {
		memset(&inode, 0, sizeof(inode));
		r = ext2fs_get_next_inode_full(scan, &ino, (struct ext2_inode *)&inode,
					       sizeof(inode));
		if (r == EXT2_ET_BAD_BLOCK_IN_INODE_TABLE || r == EXT2_ET_INODE_CSUM_INVALID ||
		    r == EXT2_ET_INODE_IS_GARBAGE)
			continue;	/* verify would fail on it anyway; skip */
		if (r) {
			ret = mbv_report(error, error_ctx, mbv_e4_errno(r),
					  "cannot scan the inodes: %s", mbv_e4_strerror(r));
			break;
		}
		if (!ino)
			break;
		if (!inode.i_links_count || inode.i_dtime ||
		    !(inode.i_flags & EXT4_VERITY_INODE_FL))
			continue;
		if (w.n == cap) {
			struct named_ino *n;

			cap = cap ? 2 * cap : 16;
			n = realloc(w.files, cap * sizeof(*n));
			if (!n) {
				ret = mbv_report(error, error_ctx, -ENOMEM, "out of memory");
				break;
			}
			w.files = n;
		}
		w.files[w.n].ino = ino;
		w.files[w.n].path = NULL;
		w.n++;
	}
	ext2fs_close_inode_scan(scan);

	if (!ret && w.n) {
		/* Names only: a broken directory costs names, not the listing. */
		w.unnamed = w.n;
		mbv_ext4_walk(fs, MBV_EXT4_WALK_SKIP_BROKEN, name_entry, &w, NULL, NULL);
	}
	for (i = 0; !ret && i < w.n; i++) {
		char name[32];

		if (!w.files[i].path)
			snprintf(name, sizeof(name), "<inode %u>", w.files[i].ino);
		ret = fn(ctx, w.files[i].ino, w.files[i].path ? w.files[i].path : name);
	}
	for (i = 0; i < w.n; i++)
		free(w.files[i].path);
	free(w.files);
	return ret;
}
