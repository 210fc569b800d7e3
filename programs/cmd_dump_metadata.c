/* SPDX-License-Identifier: MIT */
/* mbverity dump_metadata: FS_IOC_READ_VERITY_METADATA of a live file, or the same from an image. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "live.h"
#include "mbverity.h"
#include "messages.h"
#include "options.h"

#define DUMP_CHUNK (1024 * 1024)

int cmd_dump_metadata(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "offset", required_argument, NULL, OPT_OFFSET },
		{ "length", required_argument, NULL, OPT_LENGTH },
		{ "image", required_argument, NULL, OPT_IMAGE },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	struct struct_ext2_filsys *fs = NULL;
	struct image_msg m = { NULL, NULL };
	bool offset_given = false, length_given = false;
	uint64_t offset = 0, length = UINT64_MAX;
	uint8_t *buf = NULL;
	uint32_t ino;
	int opt, type, status = 1;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_OFFSET:
			if (offset_given)
				return usage_error(dump_usage, "--offset can only be given once");
			if (!parse_u64(optarg, &offset))
				return usage_error(dump_usage, "invalid offset '%s'", optarg);
			offset_given = true;
			break;
		case OPT_LENGTH:
			if (length_given)
				return usage_error(dump_usage, "--length can only be given once");
			if (!parse_u64(optarg, &length))
				return usage_error(dump_usage, "invalid length '%s'", optarg);
			length_given = true;
			break;
		case OPT_IMAGE:
			m.image = optarg;
			break;
		case OPT_HELP:
			return print_help(dump_usage);
		default:
			return option_error(dump_usage, argv);
		}
	}
	if (!m.image && argc - optind == 3)
		return usage_error(dump_usage, "dump_metadata takes TYPE FILE; for a file inside an ext4 image: "
				   "--image=%s %s", argv[optind + 1], argv[optind + 2]);
	if (argc - optind != 2)
		return usage_error(dump_usage, m.image ? "need TYPE and PATH" : "need TYPE and FILE");
	if (strcmp(argv[optind], "merkle_tree") == 0)
		type = MBV_METADATA_MERKLE_TREE;
	else if (strcmp(argv[optind], "descriptor") == 0)
		type = MBV_METADATA_DESCRIPTOR;
	else if (strcmp(argv[optind], "signature") == 0)
		type = MBV_METADATA_SIGNATURE;
	else
		return usage_error(dump_usage, "unknown metadata type '%s'", argv[optind]);
	if (!m.image) {
		/* As fsverity: one read of exactly that range, or the whole item. */
		if (offset_given != length_given)
			return usage_error(dump_usage, "--offset and --length go together");
		return live_dump_metadata(type, argv[optind + 1], offset_given, offset, length);
	}
	buf = malloc(DUMP_CHUNK);
	if (!buf) {
		error_msg("out of memory");
		return 1;
	}
	if (mbv_ext4_open(m.image, 0, &fs, image_error, &m) != 0)
		goto out;
	m.path = argv[optind + 1];
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
