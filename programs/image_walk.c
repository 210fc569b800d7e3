/* SPDX-License-Identifier: MIT */
/* Listing the regular files of an ext4 image, in a fixed (path) order. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <et/com_err.h>

#include "image_walk.h"
#include "messages.h"

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

static int add_file(struct walk *w, const char *path, ext2_ino_t ino, uint64_t size,
		    uint32_t flags)
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
	w->files[w->count].flags = flags;
	w->files[w->count].first_name = SIZE_MAX;
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
	r = ext2fs_read_inode(w->fs, ino, &inode);
	if (r) {
		error_msg("%s: cannot read inode %u: %s", w->image, ino, error_message(r));
		w->err = -EIO;
		return DIRENT_ABORT;
	}
	/* Every name of a hard-linked file (the manifest lists each); a directory once. */
	if (ext2fs_test_inode_bitmap2(w->seen, ino) &&
	    !(LINUX_S_ISREG(inode.i_mode) && inode.i_links_count > 1))
		return 0;
	child = malloc(plen + (size_t)len + 2);
	if (!child) {
		w->err = -ENOMEM;
		return DIRENT_ABORT;
	}
	snprintf(child, plen + (size_t)len + 2, "%s/%.*s",
		 strcmp(w->path, "/") ? w->path : "", len, dirent->name);
	ext2fs_mark_inode_bitmap2(w->seen, ino);
	if (LINUX_S_ISREG(inode.i_mode)) {
		w->err = add_file(w, child, ino, EXT2_I_SIZE(&inode), inode.i_flags);
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
	if (mark_other_names(w.files, w.count) != 0) {
		error_msg("%s: out of memory listing files", image);
		image_files_free(w.files, w.count);
		return -ENOMEM;
	}
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
