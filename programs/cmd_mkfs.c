/* SPDX-License-Identifier: MIT */
/* mbverity mkfs: an ext4 image from a directory, with fs-verity on its files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ext2fs/ext2fs.h>
#include <et/com_err.h>

#include "commands.h"
#include "enable_session.h"
#include "image_walk.h"

static const char mkfs_usage[] =
	"mbverity mkfs -d DIR IMAGE [--size=SIZE] [--fs-block-size=N] [--label=L]\n"
	"       [--uuid=UUID] [--timestamp=EPOCH] [--hash-alg=HASH_ALG]\n"
	"       [--block-size=BLOCK_SIZE] [--salt=SALT] [--key=PEM --cert=PEM]\n"
	"       [--include=GLOB]... [--exclude=GLOB]... [--manifest=FILE]\n"
	"       [--threads=N] [--quiet] [--force]";

enum {
	OPT_SIZE = OPT_HELP + 1,
	OPT_FS_BLOCK_SIZE,
	OPT_LABEL,
	OPT_UUID,
	OPT_TIMESTAMP,
	OPT_INCLUDE,
	OPT_EXCLUDE,
	OPT_MANIFEST,
};

struct mkfs_options {
	const char *dir, *image, *label, *uuid, *manifest;
	uint64_t timestamp;		/* 0 = the clock */
	const char *key, *cert;
	uint64_t size;			/* bytes; 0 = work it out */
	uint32_t fs_block_size;
	struct tree_options tree;
	struct file_selection select;
	unsigned int threads;
	bool quiet, force;
};

/* What the source tree needs, for sizing the image. */
static struct {
	uint64_t blocks;		/* data, verity metadata and directories */
	uint64_t inodes;
	uint32_t fs_block_size;
	const struct tree_options *tree;
	bool signing;
} need;

static uint64_t div_round_up(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

static int count_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	uint64_t bs = need.fs_block_size;

	need.inodes++;
	if (type == FTW_F && S_ISREG(st->st_mode)) {
		uint64_t tree = 0;

		mbv_tree_size(need.tree->hash_alg, need.tree->block_size,
			      (uint64_t)st->st_size, &tree);
		/* Data, tree, a descriptor (and signature), an extent block. */
		need.blocks += div_round_up((uint64_t)st->st_size, bs) +
			       div_round_up(tree, bs) +
			       div_round_up(MBV_DESCRIPTOR_SIZE + 4 +
					    (need.signing ? MBV_MAX_SIGNATURE_SIZE : 0), bs) + 1;
	} else if (type == FTW_D) {
		need.blocks += 1 + div_round_up(64 * 32, bs);	/* room for entries */
	} else if (type == FTW_SL) {
		need.blocks += 1;
	} else if (type == FTW_DNR || type == FTW_NS) {
		error_msg("cannot read '%s'", path);
		return -1;
	}
	return 0;
}

/* Journal blocks mke2fs picks for a filesystem of @blocks (ext2fs_default_journal_size). */
static uint64_t journal_blocks(uint64_t blocks)
{
	if (blocks < 2048)
		return 0;
	if (blocks < 32768)
		return 1024;
	if (blocks < 256 * 1024)
		return 4096;
	if (blocks < 512 * 1024)
		return 8192;
	if (blocks < 4096 * 1024)
		return 16384;
	return 65536;
}

static uint64_t auto_size(const struct mkfs_options *o)
{
	uint64_t bs = o->fs_block_size;
	uint64_t inode_blocks = div_round_up(need.inodes * 256, bs);
	/* 10% and 4 MiB of headroom for group metadata and extent blocks. */
	uint64_t blocks = need.blocks + need.blocks / 10 + inode_blocks +
			  (4 << 20) / bs;

	blocks += journal_blocks(blocks);
	/* Below 16 MiB mke2fs leaves ext4 without a journal. */
	if (blocks * bs < (16 << 20))
		blocks = (16 << 20) / bs;
	return blocks * bs;
}

static uint64_t inode_count(void)
{
	return need.inodes + need.inodes / 4 + 64;
}

/* Run mke2fs on @tmp; its own messages reach the user as they are. */
static int run_mke2fs(const struct mkfs_options *o, const char *tmp, uint64_t size)
{
	char size_arg[32], bs_arg[16], inodes_arg[32], seed_arg[64], time_arg[32];
	const char *argv[32];
	int argc = 0, status;
	sigset_t old_mask;
	pid_t pid;

	snprintf(size_arg, sizeof(size_arg), "%lluk", (unsigned long long)(size / 1024));
	snprintf(bs_arg, sizeof(bs_arg), "%u", o->fs_block_size);
	snprintf(inodes_arg, sizeof(inodes_arg), "%llu", (unsigned long long)inode_count());
	argv[argc++] = "mke2fs";
	argv[argc++] = "-q";
	argv[argc++] = "-F";
	argv[argc++] = "-t";
	argv[argc++] = "ext4";
	argv[argc++] = "-O";
	argv[argc++] = "verity";
	argv[argc++] = "-b";
	argv[argc++] = bs_arg;
	argv[argc++] = "-N";
	argv[argc++] = inodes_arg;
	if (o->label) {
		argv[argc++] = "-L";
		argv[argc++] = o->label;
	}
	if (o->uuid) {
		/* The directory hash seed too, or htree blocks differ run to run. */
		argv[argc++] = "-U";
		argv[argc++] = o->uuid;
		snprintf(seed_arg, sizeof(seed_arg), "hash_seed=%s", o->uuid);
		argv[argc++] = "-E";
		argv[argc++] = seed_arg;
	}
	argv[argc++] = "-d";
	argv[argc++] = o->dir;
	argv[argc++] = tmp;
	if (size)	/* else a block device's whole size */
		argv[argc++] = size_arg;
	argv[argc] = NULL;

	fflush(NULL);
	/* The signal handler must know the child before any signal can arrive. */
	signals_block(&old_mask);
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		signals_restore(&old_mask);
		error_msg("cannot start mke2fs: %s", strerror(-err));
		return err;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signals_restore(&old_mask);

		/* mke2fs -d lists each file on stdout even with -q. */
		if (devnull >= 0)
			dup2(devnull, STDOUT_FILENO);
		if (o->timestamp) {
			snprintf(time_arg, sizeof(time_arg), "%llu",
				 (unsigned long long)o->timestamp);
			setenv("E2FSPROGS_FAKE_TIME", time_arg, 1);
		}
		execvp("mke2fs", (char *const *)argv);
		fprintf(stderr, "mbverity: cannot run mke2fs: %s\n", strerror(errno));
		_exit(127);
	}
	signals_set_child(pid);
	signals_restore(&old_mask);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			signals_set_child(0);
			return -errno;
		}
	signals_set_child(0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		error_msg("mke2fs failed making '%s' from '%s'%s", o->image, o->dir,
			  o->size ? " (is --size large enough?)" : "");
		return -EIO;
	}
	return 0;
}

static int parse_size(const char *arg, uint64_t *size)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *arg == '-')
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': mult = 1ull << 10; end++; break;
	case 'm': case 'M': mult = 1ull << 20; end++; break;
	case 'g': case 'G': mult = 1ull << 30; end++; break;
	case 't': case 'T': mult = 1ull << 40; end++; break;
	}
	if (*end || v > UINT64_MAX / mult)
		return -EINVAL;
	*size = v * mult;
	return 0;
}

/* Enable fs-verity on every selected file of the image; digests go to @manifest. */
static int enable_all(const struct mkfs_options *o, const char *tmp,
		      struct out_file *manifest, uint64_t *nfiles, uint64_t *nskipped)
{
	struct enable_session s;
	int err;

	err = enable_session_open(&s, tmp, o->image, &o->tree, o->key, o->cert,
				  o->threads, o->quiet, o->timestamp);
	if (err)
		return err;
	/* A temporary image nobody uses until it is renamed: no crash ordering. */
	s.batch = true;
	if (o->timestamp)
		err = image_stamp_times(s.fs, o->image, o->timestamp);
	if (!err)
		err = enable_session_all(&s, &o->select, manifest, nfiles);
	*nskipped = s.n_skipped;
	return enable_session_close(&s, err);
}

int cmd_mkfs(int argc, char **argv)
{
	static const struct option longopts[] = {
		TREE_LONG_OPTIONS,
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "fs-block-size", required_argument, NULL, OPT_FS_BLOCK_SIZE },
		{ "label", required_argument, NULL, OPT_LABEL },
		{ "uuid", required_argument, NULL, OPT_UUID },
		{ "timestamp", required_argument, NULL, OPT_TIMESTAMP },
		{ "include", required_argument, NULL, OPT_INCLUDE },
		{ "exclude", required_argument, NULL, OPT_EXCLUDE },
		{ "manifest", required_argument, NULL, OPT_MANIFEST },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	struct mkfs_options o = { .fs_block_size = 4096 };
	struct out_file manifest, image;
	const char *tmp;
	uint64_t size, nfiles = 0, nskipped = 0, v;
	struct stat st, out_st;
	FILE *summary;
	DIR *d;
	int opt, err;

	tree_options_init(&o.tree);
	/* Reproducible builds' convention; --timestamp overrides it. */
	o.timestamp = source_date_epoch();
	while ((opt = getopt_long(argc, argv, "d:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd': o.dir = optarg; break;
		case OPT_HASH_ALG:
		case OPT_BLOCK_SIZE:
		case OPT_SALT:
			if (!parse_tree_option(&o.tree, opt, optarg))
				return 2;
			break;
		case OPT_SIZE:
			if (parse_size(optarg, &o.size) || o.size == 0)
				return usage_error(mkfs_usage, "invalid size '%s'", optarg);
			break;
		case OPT_FS_BLOCK_SIZE:
			if (!parse_u64(optarg, &v) || (v != 1024 && v != 2048 && v != 4096))
				return usage_error(mkfs_usage,
						   "invalid filesystem block size '%s': 1024, 2048 or 4096",
						   optarg);
			o.fs_block_size = (uint32_t)v;
			break;
		case OPT_LABEL: o.label = optarg; break;
		case OPT_UUID: o.uuid = optarg; break;
		case OPT_TIMESTAMP:
			if (!parse_u64(optarg, &o.timestamp) || o.timestamp == 0)
				return usage_error(mkfs_usage, "invalid timestamp '%s'", optarg);
			break;
		case OPT_INCLUDE:
		case OPT_EXCLUDE:
			if (!selection_add(&o.select, opt == OPT_INCLUDE, optarg))
				return 1;
			break;
		case OPT_MANIFEST: o.manifest = optarg; break;
		case OPT_KEY: o.key = optarg; break;
		case OPT_CERT: o.cert = optarg; break;
		case OPT_THREADS:
			if (!parse_threads(optarg, &o.threads))
				return 2;
			break;
		case OPT_QUIET: o.quiet = true; break;
		case OPT_FORCE: o.force = true; break;
		case OPT_HELP:
			printf("usage: %s\n", mkfs_usage);
			return 0;
		default:
			return usage_error(mkfs_usage, "bad option");
		}
	}
	if (!o.dir || optind != argc - 1)
		return usage_error(mkfs_usage, "need -d DIR and one IMAGE");
	o.image = argv[optind];
	if (check_tree_options(&o.tree) != 0)
		return 2;
	if (!o.key != !o.cert)
		return usage_error(mkfs_usage, "--key and --cert go together");
	if (o.tree.block_size < 1024 || o.tree.block_size > o.fs_block_size) {
		error_msg("Merkle tree block size %u: the kernel needs 1024 to the filesystem "
			  "block size (%u)", o.tree.block_size, o.fs_block_size);
		return 2;
	}

	d = opendir(o.dir);
	if (!d) {
		error_msg("cannot read directory '%s': %s", o.dir, strerror(errno));
		return 1;
	}
	closedir(d);
	/* A file or a partition is replaced only with --force; a FIFO or stdout is written. */
	if (stat(o.image, &st) == 0 && (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) && !o.force) {
		error_msg("'%s' exists; use --force to replace it", o.image);
		return 1;
	}
	if (lstat(o.image, &st) == 0 && S_ISLNK(st.st_mode) && stat(o.image, &st) != 0 &&
	    !o.force) {
		error_msg("'%s' is a dangling symlink; use --force to create its target", o.image);
		return 1;
	}

	need.fs_block_size = o.fs_block_size;
	need.tree = &o.tree;
	need.signing = o.key != NULL;
	if (nftw(o.dir, count_entry, 64, FTW_PHYS) != 0) {
		error_msg("cannot read the whole of '%s'", o.dir);
		return 1;
	}
	size = o.size ? o.size : auto_size(&o);

	/*
	 * Build under a temporary name: no half-made image under IMAGE (a
	 * FIFO or stdout gets the image once it is made).  A block device is
	 * written in place, as mke2fs does, its whole size unless --size.
	 */
	err = out_file_open_flags(&image, o.image, OUT_FILE_DIRECT_BLOCK_DEVICE);
	if (err) {
		error_msg("cannot create '%s': %s", o.image, strerror(-err));
		selection_free(&o.select);
		return 1;
	}
	tmp = image.tmp_path;
	if (image.direct && !o.size)
		size = 0;
	if (o.manifest && (err = out_file_open(&manifest, o.manifest)) != 0) {
		error_msg("cannot create '%s': %s", o.manifest, strerror(-err));
		goto fail;
	}
	err = run_mke2fs(&o, tmp, size);
	if (!err)
		err = enable_all(&o, tmp, o.manifest ? &manifest : NULL, &nfiles, &nskipped);
	if (o.manifest) {
		int close_err = out_file_close(&manifest, !err);

		if (close_err && !err) {
			error_msg("cannot write '%s': %s", o.manifest, strerror(-close_err));
			err = close_err;
		}
	}
	if (err)
		goto fail;
	if (!size) {
		/* The whole block device: its size is where its end is. */
		int fd = open(tmp, O_RDONLY | O_CLOEXEC);
		off_t end = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;

		size = end > 0 ? (uint64_t)end : 0;
		if (fd >= 0)
			close(fd);
	}
	/* The summary must not land in an image going to stdout. */
	summary = image.dest_fd >= 0 && fstat(image.dest_fd, &st) == 0 &&
		  fstat(STDOUT_FILENO, &out_st) == 0 && st.st_dev == out_st.st_dev &&
		  st.st_ino == out_st.st_ino ? stderr : stdout;
	err = out_file_close(&image, true);
	if (err) {
		error_msg("cannot write '%s': %s", o.image, strerror(-err));
		selection_free(&o.select);
		return 1;
	}
	if (!o.quiet) {
		fprintf(summary, "%s: %llu files with fs-verity (%s, %u-byte blocks%s), ",
			o.image, (unsigned long long)nfiles, mbv_hash_alg_name(o.tree.hash_alg),
			o.tree.block_size, o.key ? ", signed" : "");
		if (nskipped)
			fprintf(summary, "%llu skipped, ", (unsigned long long)nskipped);
		fprintf(summary, "%llu MiB image\n", (unsigned long long)(size >> 20));
	}
	selection_free(&o.select);
	return 0;
fail:
	if (image.direct)
		error_msg("'%s' holds a half-made filesystem", o.image);
	out_file_close(&image, false);
	selection_free(&o.select);
	return 1;
}
