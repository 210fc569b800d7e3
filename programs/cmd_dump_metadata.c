/* SPDX-License-Identifier: MIT */
/* mbverity dump_metadata: what FS_IOC_READ_VERITY_METADATA would return, from an image. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "utils.h"

static const char dump_usage[] =
	"mbverity dump_metadata merkle_tree|descriptor|signature IMAGE PATH\n"
	"       [--offset=OFFSET] [--length=LENGTH]";

#define DUMP_CHUNK (1024 * 1024)

int cmd_dump_metadata(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "offset", required_argument, NULL, OPT_OFFSET },
		{ "length", required_argument, NULL, OPT_LENGTH },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	struct struct_ext2_filsys *fs = NULL;
	struct image_msg m;
	uint64_t offset = 0, length = UINT64_MAX;
	uint8_t *buf = NULL;
	uint32_t ino;
	int opt, type, status = 1;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_OFFSET:
			if (!parse_u64(optarg, &offset))
				return usage_error(dump_usage, "invalid offset '%s'", optarg);
			break;
		case OPT_LENGTH:
			if (!parse_u64(optarg, &length))
				return usage_error(dump_usage, "invalid length '%s'", optarg);
			break;
		case OPT_HELP:
			printf("usage: %s\n", dump_usage);
			return 0;
		default:
			return usage_error(dump_usage, "bad option");
		}
	}
	if (argc - optind != 3)
		return usage_error(dump_usage, "need TYPE, IMAGE and PATH");
	if (strcmp(argv[optind], "merkle_tree") == 0)
		type = MBV_METADATA_MERKLE_TREE;
	else if (strcmp(argv[optind], "descriptor") == 0)
		type = MBV_METADATA_DESCRIPTOR;
	else if (strcmp(argv[optind], "signature") == 0)
		type = MBV_METADATA_SIGNATURE;
	else
		return usage_error(dump_usage, "unknown metadata type '%s'", argv[optind]);
	m.image = argv[optind + 1];
	m.path = NULL;
	buf = malloc(DUMP_CHUNK);
	if (!buf) {
		error_msg("out of memory");
		return 1;
	}
	if (mbv_ext4_open(m.image, 0, &fs, image_error, &m) != 0)
		goto out;
	m.path = argv[optind + 2];
	if (mbv_ext4_lookup(fs, m.path, &ino, image_error, &m) != 0)
		goto out;
	while (length) {
		size_t want = length < DUMP_CHUNK ? (size_t)length : DUMP_CHUNK, done;

		if (mbv_ext4_read_metadata(fs, ino, type, offset, buf, want, &done,
					   image_error, &m) != 0)
			goto out;
		if (!done)
			break;
		if (fwrite(buf, 1, done, stdout) != done) {
			error_msg("cannot write the output: %s", strerror(errno));
			goto out;
		}
		offset += done;
		length -= done;
	}
	if (fflush(stdout) != 0) {
		error_msg("cannot write the output: %s", strerror(errno));
		goto out;
	}
	status = 0;
out:
	m.path = NULL;
	if (fs && mbv_ext4_close(fs, image_error, &m) != 0)
		status = 1;
	free(buf);
	return status;
}
