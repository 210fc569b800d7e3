/* SPDX-License-Identifier: MIT */
/* --include/--exclude: which files of a tree a command takes. */
#ifndef MBV_PROGRAMS_SELECTION_H
#define MBV_PROGRAMS_SELECTION_H

#include <stdbool.h>
#include <stddef.h>

/* --include/--exclude globs, matched against absolute paths in the image. */
struct file_selection {
	const char **include, **exclude;
	size_t n_include, n_exclude;
};
/* Add a glob; false (after an error message) when out of memory. */
bool selection_add(struct file_selection *sel, bool include, const char *glob);
/* Selected: matched by an --include (or there is none) and by no --exclude. */
bool selection_match(const struct file_selection *sel, const char *path);
void selection_free(struct file_selection *sel);

#endif
