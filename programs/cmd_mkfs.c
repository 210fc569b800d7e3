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
#include "progress.h"
#include "key_options.h"
#include "messages.h"
#include "out_file.h"
#include "selection.h"
#include "signals.h"
#include "options.h"

enum {
	OPT_SIZE = OPT_HELP + 1,
	OPT_FS_BLOCK_SIZE,
	OPT_LABEL,
	OPT_UUID,
	OPT_TIMESTAMP,
	OPT_INCLUDE,
	OPT_EXCLUDE,
	OPT_MANIFEST,
	OPT_MKE2FS,
	OPT_MKE2FS_OPTION,
};

struct mkfs_options {
	const char *dir, *image, *label, *uuid, *manifest;
	uint64_t timestamp;		/* 0 = the clock */
	const char *key, *cert;
	uint64_t size;			/* bytes; 0 = work it out */
	uint32_t fs_block_size;
	struct tree_options tree;
	struct file_selection select;
	const char *mke2fs;		/* --mke2fs, or NULL: search */
	char **mke2fs_args;		/* --mke2fs-option words, in order (malloc'ed) */
	size_t n_mke2fs_args;
	char *mke2fs_ext;		/* every -E value, ours first, joined by commas */
	uint64_t user_inodes;		/* a -N given, or 0 */
	uint32_t inode_size;		/* -I, or 256 */
	bool user_inode_ratio;		/* -i given: no -N of ours */
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
		struct mbv_tree_spec spec;
		uint64_t tree = 0;

		tree_spec_from_options(&spec, need.tree);
		mbv_tree_size(&spec, (uint64_t)st->st_size, &tree, NULL, NULL);
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

static uint64_t auto_size(const struct mkfs_options *o)
{
	uint64_t bs = o->fs_block_size;
	uint64_t inodes = o->user_inodes > need.inodes ? o->user_inodes : need.inodes;
	uint64_t inode_blocks = div_round_up(inodes * o->inode_size, bs);
	int journal;
	/* 10% and 4 MiB of headroom for group metadata and extent blocks. */
	uint64_t blocks = need.blocks + need.blocks / 10 + inode_blocks +
			  (4 << 20) / bs;

	/* The journal mke2fs will make (libext2fs's own sizing; < 0: none). */
	journal = ext2fs_default_journal_size(blocks);
	if (journal > 0)
		blocks += (uint64_t)journal;
	/* Below 16 MiB mke2fs leaves ext4 without a journal. */
	if (blocks * bs < (16 << 20))
		blocks = (16 << 20) / bs;
	return blocks * bs;
}

static uint64_t inode_count(void)
{
	return need.inodes + need.inodes / 4 + 64;
}

/*
 * mke2fs: --mke2fs, else the first in PATH, else /usr/sbin or /sbin (a
 * normal user's PATH often has neither).  Return: a path, or NULL (printed).
 */
static const char *find_mke2fs(const struct mkfs_options *o, char *buf, size_t size)
{
	static const char *const fallback[] = { "/usr/sbin", "/sbin" };
	const char *path = getenv("PATH");
	size_t i;

	if (o->mke2fs) {
		if (access(o->mke2fs, X_OK) != 0) {
			error_msg("cannot run mke2fs '%s': %s", o->mke2fs, strerror(errno));
			return NULL;
		}
		return o->mke2fs;
	}
	while (path && *path) {
		size_t len = strcspn(path, ":");

		/* An empty PATH entry is the current directory. */
		if (snprintf(buf, size, "%.*s/mke2fs", (int)len, len ? path : ".") < (int)size &&
		    access(buf, X_OK) == 0)
			return buf;
		path += len + (path[len] == ':');
	}
	for (i = 0; i < sizeof(fallback) / sizeof(fallback[0]); i++) {
		snprintf(buf, size, "%s/mke2fs", fallback[i]);
		if (access(buf, X_OK) == 0)
			return buf;
	}
	error_msg("cannot find mke2fs in PATH, /usr/sbin or /sbin (install e2fsprogs, or give --mke2fs=PATH)");
	return NULL;
}

/* mke2fs's options that take a value (its getopt string). */
static bool mke2fs_takes_value(char c)
{
	return c && strchr("bCdEeGgIiJLlMmNoOrTtUz", c) != NULL;
}

static int add_mke2fs_word(struct mkfs_options *o, const char *w, size_t len)
{
	char **a = realloc(o->mke2fs_args, (o->n_mke2fs_args + 1) * sizeof(*a));

	if (!a)
		return -ENOMEM;
	o->mke2fs_args = a;
	a[o->n_mke2fs_args] = strndup(w, len);
	return a[o->n_mke2fs_args++] ? 0 : -ENOMEM;
}

/* One --mke2fs-option: "-E root_owner=0:0" (an option, a space, its value) is two words. */
static int add_mke2fs_option(struct mkfs_options *o, const char *arg)
{
	if (arg[0] == '-' && mke2fs_takes_value(arg[1]) && arg[2] == ' ') {
		const char *val = arg + 2 + strspn(arg + 2, " ");

		int err = add_mke2fs_word(o, arg, 2);

		return err ? err : add_mke2fs_word(o, val, strlen(val));
	}
	return add_mke2fs_word(o, arg, strlen(arg));
}

/*
 * Check the --mke2fs-option words and take what mkfs must know from them:
 * -E values are merged with ours (mke2fs keeps only its last -E), -N and
 * -I size the image.  Return: 0, or 2 (a usage error, printed).
 */
static int scan_mke2fs_args(struct mkfs_options *o, const char *usage)
{
	size_t i;

	for (i = 0; i < o->n_mke2fs_args; i++) {
		const char *w = o->mke2fs_args[i], *c;

		if (w[0] != '-' || !w[1])
			return usage_error(usage, "--mke2fs-option '%s': not an option (mkfs gives "
					   "mke2fs its device and size)", w);
		for (c = w + 1; *c; c++) {
			const char *val = NULL;

			if (mke2fs_takes_value(*c)) {
				val = c[1] ? c + 1 : (i + 1 < o->n_mke2fs_args ?
						      o->mke2fs_args[++i] : NULL);
				if (!val)
					return usage_error(usage, "--mke2fs-option '%s' needs a value "
							   "(the next --mke2fs-option)", w);
			}
			switch (*c) {
			case 'b':
				return usage_error(usage, "--mke2fs-option: use --fs-block-size, not -b");
			case 'd':
				return usage_error(usage, "--mke2fs-option: use mkfs -d DIR, not mke2fs -d");
			case 't':
			case 'n':
			case 'S':
			case 'V':
				return usage_error(usage, "--mke2fs-option: -%c does not make an ext4 image", *c);
			case 'O':
				if (strstr(val, "^verity") || strstr(val, "^extent") ||
				    strstr(val, "-verity") || strstr(val, "-extent"))
					return usage_error(usage, "--mke2fs-option -O %s: fs-verity needs "
							   "the verity and extent features", val);
				break;
			case 'E': {
				size_t len = (o->mke2fs_ext ? strlen(o->mke2fs_ext) + 1 : 0) + strlen(val) + 1;
				char *e = malloc(len);

				if (!e)
					return usage_error(usage, "out of memory");
				snprintf(e, len, "%s%s%s", o->mke2fs_ext ? o->mke2fs_ext : "",
					 o->mke2fs_ext ? "," : "", val);
				free(o->mke2fs_ext);
				o->mke2fs_ext = e;
				break;
			}
			case 'N':
				if (!parse_u64(val, &o->user_inodes) || !o->user_inodes)
					return usage_error(usage, "--mke2fs-option -N %s: not a count", val);
				break;
			case 'I': {
				uint64_t v;

				if (!parse_u64(val, &v) || v < 128 || v > 65536)
					return usage_error(usage, "--mke2fs-option -I %s: not an inode size", val);
				o->inode_size = (uint32_t)v;
				break;
			}
			case 'i':
				o->user_inode_ratio = true;
				break;
			}
			if (val)
				break;	/* the rest of the word was the value */
		}
	}
	return 0;
}

/* Run mke2fs on @tmp; its own messages reach the user as they are. */
static int run_mke2fs(const struct mkfs_options *o, const char *tmp, uint64_t size)
{
	char size_arg[32], bs_arg[16], inodes_arg[32], time_arg[32], found[PATH_MAX];
	char phase[PATH_MAX + 64];
	const char **argv;
	char *ext = NULL;
	const char *mke2fs;
	int argc = 0, status, err = 0;
	sigset_t old_mask;
	pid_t pid;
	size_t i;

	mke2fs = find_mke2fs(o, found, sizeof(found));
	if (!mke2fs)
		return -ENOENT;
	argv = calloc(32 + o->n_mke2fs_args, sizeof(*argv));
	if (!argv)
		return -ENOMEM;
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
	if (!o->user_inodes && !o->user_inode_ratio) {
		argv[argc++] = "-N";
		argv[argc++] = inodes_arg;
	}
	if (o->label) {
		argv[argc++] = "-L";
		argv[argc++] = o->label;
	}
	if (o->uuid) {
		argv[argc++] = "-U";
		argv[argc++] = o->uuid;
	}
	/* Theirs after ours: a user's -N, -I, -m, -O, -L win. */
	for (i = 0; i < o->n_mke2fs_args; i++)
		argv[argc++] = o->mke2fs_args[i];
	/* One -E (mke2fs keeps the last): the directory hash seed, or htree blocks differ run to run. */
	if (o->uuid || o->mke2fs_ext) {
		size_t len = 64 + (o->uuid ? strlen(o->uuid) : 0) +
			     (o->mke2fs_ext ? strlen(o->mke2fs_ext) : 0);

		ext = malloc(len);
		if (!ext) {
			free(argv);
			return -ENOMEM;
		}
		snprintf(ext, len, "%s%s%s%s", o->uuid ? "hash_seed=" : "", o->uuid ? o->uuid : "",
			 o->uuid && o->mke2fs_ext ? "," : "", o->mke2fs_ext ? o->mke2fs_ext : "");
		argv[argc++] = "-E";
		argv[argc++] = ext;
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
		err = -errno;
		signals_restore(&old_mask);
		error_msg("cannot start mke2fs: %s", strerror(-err));
		goto out;
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
		execv(mke2fs, (char *const *)argv);
		fprintf(stderr, "mbverity: cannot run %s: %s\n", mke2fs, strerror(errno));
		_exit(127);
	}
	signals_set_child(pid);
	signals_restore(&old_mask);
	/* mke2fs counts nothing we can see: say what runs, and for how long. */
	snprintf(phase, sizeof(phase), "mke2fs: copying %llu files and directories from %s",
		 (unsigned long long)need.inodes, o->dir);
	progress_phase(o->quiet, phase);
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
		usleep(100 * 1000);
		progress_phase_tick();
	}
	progress_end();
	signals_set_child(0);
	if (!err && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
		error_msg("mke2fs failed making '%s' from '%s'%s", o->image, o->dir,
			  o->size ? " (is --size large enough?)" : "");
		err = -EIO;
	}
out:
	free(ext);
	free(argv);
	return err;
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
		      struct out_file *manifest, uint64_t *nfiles, uint64_t *nskipped,
		      uint64_t *nbytes)
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
	*nbytes = s.n_bytes;
	return enable_session_close(&s, err);
}

static int mkfs(struct mkfs_options *o, int argc, char **argv)
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
		{ "mke2fs", required_argument, NULL, OPT_MKE2FS },
		{ "mke2fs-option", required_argument, NULL, OPT_MKE2FS_OPTION },
		{ "key", required_argument, NULL, OPT_KEY },
		KEY_LONG_OPTIONS,
		{ "cert", required_argument, NULL, OPT_CERT },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	double start = monotonic_seconds();
	struct out_file manifest, image;
	const char *tmp;
	uint64_t size, nfiles = 0, nskipped = 0, n_bytes = 0, v;
	struct stat st, out_st;
	FILE *summary;
	DIR *d;
	const char *why;
	int opt, err;

	tree_options_init(&o->tree);
	/* Reproducible builds' convention; --timestamp overrides it. */
	o->timestamp = source_date_epoch();
	while ((opt = getopt_long(argc, argv, "d:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd': o->dir = optarg; break;
		CASE_TREE_OPTIONS:
			if (!parse_tree_option(&o->tree, opt, optarg))
				return 2;
			break;
		case OPT_SIZE:
			if (parse_size(optarg, &o->size) || o->size == 0)
				return usage_error(mkfs_usage, "invalid size '%s'", optarg);
			break;
		case OPT_FS_BLOCK_SIZE:
			if (!parse_u64(optarg, &v) || (v != 1024 && v != 2048 && v != 4096))
				return usage_error(mkfs_usage,
						   "invalid filesystem block size '%s': 1024, 2048 or 4096",
						   optarg);
			o->fs_block_size = (uint32_t)v;
			break;
		case OPT_LABEL: o->label = optarg; break;
		case OPT_UUID: o->uuid = optarg; break;
		case OPT_TIMESTAMP:
			if (!parse_u64(optarg, &o->timestamp) || o->timestamp == 0)
				return usage_error(mkfs_usage, "invalid timestamp '%s'", optarg);
			break;
		case OPT_INCLUDE:
		case OPT_EXCLUDE:
			if (!selection_add(&o->select, opt == OPT_INCLUDE, optarg))
				return 1;
			break;
		case OPT_MANIFEST: o->manifest = optarg; break;
		case OPT_MKE2FS: o->mke2fs = optarg; break;
		case OPT_MKE2FS_OPTION:
			if (add_mke2fs_option(o, optarg) != 0) {
				error_msg("out of memory");
				return 1;
			}
			break;
		case OPT_KEY: o->key = optarg; break;
		CASE_KEY_OPTIONS:
			if ((why = parse_key_option(opt, optarg)))
				return usage_error(mkfs_usage, "%s given twice", why);
			break;
		case OPT_CERT: o->cert = optarg; break;
		case OPT_THREADS:
			if (!parse_threads(optarg, &o->threads))
				return 2;
			break;
		case OPT_QUIET: o->quiet = true; break;
		case OPT_FORCE: o->force = true; break;
		case OPT_HELP:
			return print_help(mkfs_usage);
		default:
			return option_error(mkfs_usage, argv);
		}
	}
	if (!o->dir || optind != argc - 1)
		return usage_error(mkfs_usage, "need -d DIR and one IMAGE");
	o->image = argv[optind];
	if (check_tree_options(&o->tree) != 0)
		return 1;
	if ((why = check_key_options(&o->key, o->cert)))
		return usage_error(mkfs_usage, "%s", why);
	if (!o->key != !o->cert)
		return usage_error(mkfs_usage, "--key and --cert go together");
	if (scan_mke2fs_args(o, mkfs_usage) != 0)
		return 2;
	if (o->tree.block_size < 1024 || o->tree.block_size > o->fs_block_size) {
		error_msg("Merkle tree block size %u: the kernel needs 1024 to the filesystem "
			  "block size (%u)", o->tree.block_size, o->fs_block_size);
		return 2;
	}

	d = opendir(o->dir);
	if (!d) {
		error_msg("cannot read directory '%s': %s", o->dir, strerror(errno));
		return 1;
	}
	closedir(d);
	/* A file or a partition is replaced only with --force; a FIFO or stdout is written. */
	if (stat(o->image, &st) == 0 && (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) && !o->force) {
		error_msg("'%s' exists; use --force to replace it", o->image);
		return 1;
	}
	if (lstat(o->image, &st) == 0 && S_ISLNK(st.st_mode) && stat(o->image, &st) != 0 &&
	    !o->force) {
		error_msg("'%s' is a dangling symlink; use --force to create its target", o->image);
		return 1;
	}

	need.fs_block_size = o->fs_block_size;
	need.tree = &o->tree;
	need.signing = o->key != NULL;
	if (nftw(o->dir, count_entry, 64, FTW_PHYS) != 0) {
		error_msg("cannot read the whole of '%s'", o->dir);
		return 1;
	}
	size = o->size ? o->size : auto_size(o);

	/*
	 * Build under a temporary name: no half-made image under IMAGE (a
	 * FIFO or stdout gets the image once it is made).  A block device is
	 * written in place, as mke2fs does, its whole size unless --size.
	 */
	err = out_file_open_flags(&image, o->image, OUT_FILE_DIRECT_BLOCK_DEVICE);
	if (err) {
		error_msg("cannot create '%s': %s", o->image, strerror(-err));
				return 1;
	}
	tmp = image.tmp_path;
	if (image.direct && !o->size)
		size = 0;
	if (o->manifest && (err = out_file_open(&manifest, o->manifest)) != 0) {
		error_msg("cannot create '%s': %s", o->manifest, strerror(-err));
		goto fail;
	}
	err = run_mke2fs(o, tmp, size);
	if (!err)
		err = enable_all(o, tmp, o->manifest ? &manifest : NULL, &nfiles, &nskipped, &n_bytes);
	if (o->manifest) {
		int close_err = out_file_close(&manifest, !err);

		if (close_err && !err) {
			error_msg("cannot write '%s': %s", o->manifest, strerror(-close_err));
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
		error_msg("cannot write '%s': %s", o->image, strerror(-err));
				return 1;
	}
	if (!o->quiet) {
		fprintf(summary, "%s: %llu files with fs-verity (%s, %u-byte blocks%s), ",
			o->image, (unsigned long long)nfiles, mbv_hash_alg_name(o->tree.hash_alg),
			o->tree.block_size, o->key ? ", signed" : "");
		if (nskipped)
			fprintf(summary, "%llu skipped, ", (unsigned long long)nskipped);
		fprintf(summary, "%llu MiB image", (unsigned long long)(size >> 20));
		print_hashed_summary(summary, n_bytes, monotonic_seconds() - start);
	}
		return 0;
fail:
	if (image.direct)
		error_msg("'%s' holds a half-made filesystem", o->image);
	out_file_close(&image, false);
		return 1;
}

int cmd_mkfs(int argc, char **argv)
{
	struct mkfs_options opts = { .fs_block_size = 4096, .inode_size = 256 };
	int status = mkfs(&opts, argc, argv);

	selection_free(&opts.select);
	while (opts.n_mke2fs_args)
		free(opts.mke2fs_args[--opts.n_mke2fs_args]);
	free(opts.mke2fs_args);
	free(opts.mke2fs_ext);
	return status;
}
