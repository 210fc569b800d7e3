/* SPDX-License-Identifier: MIT */
/* mbverity measure: the fs-verity digest of live files, or of files inside an ext4 image. */
#include <getopt.h>

#include "commands.h"
#include "live.h"
#include "mbverity.h"
#include "messages.h"
#include "options.h"

int cmd_measure(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "image", required_argument, NULL, OPT_IMAGE },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	struct struct_ext2_filsys *fs;
	struct image_msg m = { NULL, NULL };
	int opt, i, status = 0;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (opt == OPT_IMAGE) {
			m.image = optarg;
			continue;
		}
		if (opt == OPT_HELP)
			return print_help(measure_usage);
		return option_error(measure_usage, argv);
	}
	if (!m.image) {
		if (argc - optind < 1)
			return usage_error(measure_usage, "need at least one FILE");
		return live_measure(argc - optind, argv + optind);
	}
	if (argc - optind < 1)
		return usage_error(measure_usage, "--image=IMAGE needs at least one PATH");
	if (mbv_ext4_open(m.image, 0, &fs, image_error, &m) != 0)
		return 1;
	for (i = optind; i < argc; i++) {
		struct mbv_ext4_verity_info info;
		uint32_t ino;

		m.path = argv[i];
		if (mbv_ext4_lookup(fs, m.path, &ino, image_error, &m) != 0 ||
		    mbv_ext4_measure(fs, ino, &info, image_error, &m) != 0) {
			status = 1;
			continue;
		}
		print_digest_line(info.hash_algorithm, info.digest, m.path);
	}
	m.path = NULL;
	if (mbv_ext4_close(fs, image_error, &m) != 0)
		status = 1;
	if (fflush(stdout) != 0) {
		error_msg("cannot write the output");
		status = 1;
	}
	return status;
}
