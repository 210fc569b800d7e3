/* SPDX-License-Identifier: MIT */
/* The regular files of an ext4 image (through mbv_ext4_walk()), in a fixed (path) order. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <et/com_err.h>

#include "image_walk.h"
#include "mbverity/ext4.h"
#include "messages.h"

struct listing {
	struct image_file *files;
	size_t count, cap;
};

/* mbv_ext4_walk()'s callback: every regular file, under each of its names. */
static int add_file(void *ctx, const char *path, ext2_ino_t ino, const struct ext2_inode *inode)
{
	struct listing *l = ctx;

	if (!LINUX_S_ISREG(inode->i_mode))
		return 0;
	if (l->count == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 256;
		struct image_file *f = realloc(l->files, cap * sizeof(*f));

		if (!f)
			return -ENOMEM;
		l->files = f;
		l->cap = cap;
	}
	l->files[l->count].path = strdup(path);
	if (!l->files[l->count].path)
		return -ENOMEM;
	l->files[l->count].ino = ino;
	l->files[l->count].size = EXT2_I_SIZE(inode);
	l->files[l->count].flags = inode->i_flags;
	l->files[l->count].first_name = SIZE_MAX;
	l->count++;
	return 0;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct image_file *)a)->path,
		      ((const struct image_file *)b)->path);
}

/* Sorting index by inode, then path order: for finding each file's first name. */
static const struct image_file *sort_files;

static int by_ino(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	ext2_ino_t x = sort_files[i].ino, y = sort_files[j].ino;

	return x != y ? (x < y ? -1 : 1) : (i < j ? -1 : i > j);
}

/* first_name: the index of the first name (in path order) of a hard-linked file. */
static int mark_other_names(struct image_file *files, size_t count)
{
	size_t *idx = malloc((count ? count : 1) * sizeof(*idx));
	size_t i;

	if (!idx)
		return -ENOMEM;
	for (i = 0; i < count; i++)
		idx[i] = i;
	sort_files = files;
	qsort(idx, count, sizeof(*idx), by_ino);
	for (i = 1; i < count; i++)
		if (files[idx[i]].ino == files[idx[i - 1]].ino)
			files[idx[i]].first_name = files[idx[i - 1]].first_name != SIZE_MAX ?
						   files[idx[i - 1]].first_name : idx[i - 1];
	free(idx);
	return 0;
}

int image_list_files(ext2_filsys fs, const char *image, struct image_file **files,
		     size_t *count)
{
	struct image_msg m = { .image = image };
	struct listing l = { 0 };
	int err;

	err = mbv_ext4_walk(fs, 0, add_file, &l, image_error, &m);
	if (err) {
		if (err == -ENOMEM)
			error_msg("%s: out of memory listing files", image);
		image_files_free(l.files, l.count);
		return err;
	}
	/* Directory order depends on hashing; paths give a fixed order. */
	qsort(l.files, l.count, sizeof(*l.files), by_path);
	if (mark_other_names(l.files, l.count) != 0) {
		error_msg("%s: out of memory listing files", image);
		image_files_free(l.files, l.count);
		return -ENOMEM;
	}
	*files = l.files;
	*count = l.count;
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
