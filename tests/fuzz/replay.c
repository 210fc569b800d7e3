/* SPDX-License-Identifier: MIT */
/* Replays fuzz inputs (files or directories of them) through a fuzz target without libFuzzer. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"

static unsigned long replayed;

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long size;

	if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		perror(path);
		return 1;
	}
	/* Exactly the input's size, so that ASan sees any read past it. */
	buf = malloc(size ? (size_t)size : 1);
	if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
		perror(path);
		return 1;
	}
	fclose(f);
	if (getenv("MBV_FUZZ_VERBOSE"))
		fprintf(stderr, "replaying %s\n", path);
	LLVMFuzzerTestOneInput(buf, (size_t)size);
	free(buf);
	replayed++;
	return 0;
}

static int only_visible(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static int replay(const char *path)
{
	struct dirent **names;
	struct stat st;
	int n, i, ret = 0;

	if (stat(path, &st)) {
		perror(path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	n = scandir(path, &names, only_visible, alphasort);
	if (n < 0) {
		perror(path);
		return 1;
	}
	for (i = 0; i < n; i++) {
		char sub[4096];

		snprintf(sub, sizeof(sub), "%s/%s", path, names[i]->d_name);
		ret |= replay(sub);
		free(names[i]);
	}
	free(names);
	return ret;
}

int main(int argc, char **argv)
{
	int i, ret = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++)
		ret |= replay(argv[i]);
	printf("%s: %lu inputs replayed\n", argv[0], replayed);
	return ret;
}
