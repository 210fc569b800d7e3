/* SPDX-License-Identifier: MIT */
/* --include/--exclude globs. */
#include <fnmatch.h>
#include <stdlib.h>

#include "messages.h"
#include "selection.h"

bool selection_add(struct file_selection *sel, bool include, const char *glob)
{
	const char ***list = include ? &sel->include : &sel->exclude;
	size_t *n = include ? &sel->n_include : &sel->n_exclude;
	const char **grown = realloc(*list, (*n + 1) * sizeof(**list));

	if (!grown) {
		error_msg("out of memory");
		return false;
	}
	grown[(*n)++] = glob;
	*list = grown;
	return true;
}

/* fnmatch without FNM_PATHNAME: '*' also matches '/', so '*.so' works anywhere. */
static bool any_match(const char *const *globs, size_t n, const char *path)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fnmatch(globs[i], path, 0) == 0)
			return true;
	return false;
}

bool selection_match(const struct file_selection *sel, const char *path)
{
	if (sel->n_include && !any_match(sel->include, sel->n_include, path))
		return false;
	return !any_match(sel->exclude, sel->n_exclude, path);
}

void selection_free(struct file_selection *sel)
{
	free(sel->include);
	free(sel->exclude);
	sel->include = sel->exclude = NULL;
	sel->n_include = sel->n_exclude = 0;
}
