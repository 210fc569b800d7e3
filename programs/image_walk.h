/* SPDX-License-Identifier: MIT */
/* Listing the regular files of an ext4 image, in a fixed (path) order. */
#ifndef MBV_PROGRAMS_IMAGE_WALK_H
#define MBV_PROGRAMS_IMAGE_WALK_H

#include <stddef.h>
#include <ext2fs/ext2fs.h>

struct image_file {
	char *path;		/* absolute, inside the image */
	ext2_ino_t ino;
	uint64_t size;
	uint32_t flags;		/* i_flags when listed */
	size_t first_name;	/* another name of the same file comes first: its index; or SIZE_MAX */
};

/*
 * Every regular file of @fs reachable from the root, sorted by path; a
 * hard-linked file under each of its names, first_name telling the later
 * ones which came first.  Prints an error naming @image.
 * Return: 0 or -errno.
 */
int image_list_files(ext2_filsys fs, const char *image, struct image_file **files,
		     size_t *count);
void image_files_free(struct image_file *files, size_t count);

/*
 * Set the access, change and creation times of every inode in use to @t
 * (modification times stay): source atimes drift, and would otherwise make
 * two builds of the same tree differ.  Return: 0 or -errno (printed).
 */
int image_stamp_times(ext2_filsys fs, const char *image, uint64_t t);

#endif
