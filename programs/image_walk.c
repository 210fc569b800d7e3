/* SPDX-License-Identifier: MIT */
/* Listing the regular files of an ext4 image, in a fixed (path) order. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <et/com_err.h>

#include "image_walk.h"
#include "utils.h"

/* Deeper trees than this are hostile: a path would not fit PATH_MAX anyway. */
#define MAX_DEPTH 2048

struct walk {
	ext2_filsys fs;
	const char *image;
	ext2fs_inode_bitmap seen;	/* directories and files already listed */
	struct image_file *files;
	size_t count, cap;
	char *path;			/* the directory being read */
	unsigned int depth;
	int err;
};

static int walk_dir(struct walk *w, ext2_ino_t dir);

static int add_file(struct walk *w, const char *path, ext2_ino_t ino, uint64_t size)
{
	if (w->count == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 256;
		struct image_file *f = realloc(w->files, cap * sizeof(*f));

		if (!f)
			return -ENOMEM;
		w->files = f;
		w->cap = cap;
	}
	w->files[w->count].path = strdup(path);
	if (!w->files[w->count].path)
		return -ENOMEM;
	w->files[w->count].ino = ino;
	w->files[w->count].size = size;
	w->count++;
	return 0;
}

static int visit_entry(ext2_ino_t dir, int entry, struct ext2_dir_entry *dirent,
		       int offset, int blocksize, char *buf, void *priv)
{
	struct walk *w = priv;
	int len = ext2fs_dirent_name_len(dirent);
	ext2_ino_t ino = dirent->inode;
	struct ext2_inode inode;
	size_t plen = strlen(w->path);
	char *child;
	errcode_t r;

	if (!ino || (len == 1 && dirent->name[0] == '.') ||
	    (len == 2 && dirent->name[0] == '.' && dirent->name[1] == '.'))
		return 0;
	if (ino > w->fs->super->s_inodes_count) {
		error_msg("%s: directory %s names inode %u, past the last one", w->image,
			  w->path, ino);
		w->err = -EUCLEAN;
		return DIRENT_ABORT;
	}
	if (ext2fs_test_inode_bitmap2(w->seen, ino))
		return 0;
	r = ext2fs_read_inode(w->fs, ino, &inode);
	if (r) {
		error_msg("%s: cannot read inode %u: %s", w->image, ino, error_message(r));
		w->err = -EIO;
		return DIRENT_ABORT;
	}
	child = malloc(plen + (size_t)len + 2);
	if (!child) {
		w->err = -ENOMEM;
		return DIRENT_ABORT;
	}
	snprintf(child, plen + (size_t)len + 2, "%s/%.*s",
		 strcmp(w->path, "/") ? w->path : "", len, dirent->name);
	ext2fs_mark_inode_bitmap2(w->seen, ino);
	if (LINUX_S_ISREG(inode.i_mode)) {
		w->err = add_file(w, child, ino, EXT2_I_SIZE(&inode));
	} else if (LINUX_S_ISDIR(inode.i_mode)) {
		char *parent = w->path;

		w->path = child;
		w->err = walk_dir(w, ino);
		w->path = parent;
	}
	free(child);
	return w->err ? DIRENT_ABORT : 0;
}

static int walk_dir(struct walk *w, ext2_ino_t dir)
{
	errcode_t r;

	if (++w->depth > MAX_DEPTH) {
		error_msg("%s: directories nested deeper than %d", w->image, MAX_DEPTH);
		return -ELOOP;
	}
	r = ext2fs_dir_iterate2(w->fs, dir, 0, NULL, visit_entry, w);
	w->depth--;
	if (w->err)
		return w->err;
	if (r) {
		error_msg("%s: cannot read directory %s: %s", w->image, w->path, error_message(r));
		return -EIO;
	}
	return 0;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct image_file *)a)->path,
		      ((const struct image_file *)b)->path);
}

int image_list_files(ext2_filsys fs, const char *image, struct image_file **files,
		     size_t *count)
{
	struct walk w = { .fs = fs, .image = image, .path = "/" };
	errcode_t r;
	int err;

	r = ext2fs_allocate_inode_bitmap(fs, "seen", &w.seen);
	if (r) {
		error_msg("%s: cannot allocate an inode bitmap: %s", image, error_message(r));
		return -ENOMEM;
	}
	ext2fs_mark_inode_bitmap2(w.seen, EXT2_ROOT_INO);
	err = walk_dir(&w, EXT2_ROOT_INO);
	ext2fs_free_inode_bitmap(w.seen);
	if (err) {
		if (err == -ENOMEM)
			error_msg("%s: out of memory listing files", image);
		image_files_free(w.files, w.count);
		return err;
	}
	/* Directory order depends on hashing; paths give a fixed order. */
	qsort(w.files, w.count, sizeof(*w.files), by_path);
	*files = w.files;
	*count = w.count;
	return 0;
}

void image_files_free(struct image_file *files, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		free(files[i].path);
	free(files);
}

int image_stamp_times(ext2_filsys fs, const char *image, uint64_t t)
{
	int size = EXT2_INODE_SIZE(fs->super);
	struct ext2_inode_large *inode = calloc(1, (size_t)size);
	ext2_inode_scan scan;
	ext2_ino_t ino;
	errcode_t r;

	if (!inode) {
		error_msg("%s: out of memory", image);
		return -ENOMEM;
	}
	r = ext2fs_open_inode_scan(fs, 0, &scan);
	while (!r) {
		r = ext2fs_get_next_inode_full(scan, &ino, (struct ext2_inode *)inode, size);
		if (r || !ino)
			break;
		if (!inode->i_links_count)
			continue;
		inode->i_atime = inode->i_ctime = (uint32_t)t;
		if (size > EXT2_GOOD_OLD_INODE_SIZE &&
		    inode->i_extra_isize >= offsetof(struct ext2_inode_large, i_crtime_extra) +
					    sizeof(inode->i_crtime_extra) - EXT2_GOOD_OLD_INODE_SIZE) {
			inode->i_atime_extra = inode->i_ctime_extra = 0;
			inode->i_crtime = (uint32_t)t;
			inode->i_crtime_extra = 0;
		}
		r = ext2fs_write_inode_full(fs, ino, (struct ext2_inode *)inode, size);
	}
	if (scan)
		ext2fs_close_inode_scan(scan);
	free(inode);
	if (r) {
		error_msg("%s: cannot set inode times: %s", image, error_message(r));
		return -EIO;
	}
	return 0;
}
