/* SPDX-License-Identifier: MIT */
/*
 * A failure inside enable's extent-tree update names the step that failed
 * (issue 12 item 6), never the bare "cannot write the inode: ...".
 *
 * The image (tests/ext4/fixtures_alloc.sh alloc_fx_scattered_data): the
 * file's data fills an extent leaf block, so enable reads that leaf to add
 * the metadata extents and copies it to convert them.  Faults, through
 * pread64/pwrite64/write defined here (libext2fs calls them): every read of
 * the leaf after the first (the extent map read at open) fails, and must be
 * reported as adding the extents; then each write of an enable run fails in
 * turn, and every message must be one of the named steps.  After each
 * failure the file must still be the plain file it was.  Then enable is
 * killed after each of its writes, on this image and on one whose metadata
 * lands in eight single free blocks (alloc_fx_fragmented): e2fsck -fp
 * repairs the image, the file is plain or verity with the right digest.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ext2fs/ext2fs.h>

#include "mbverity.h"

/* ---- the fault hook --------------------------------------------------------- */

enum fault { F_NONE, F_COUNT, F_WRITE, F_KILL, F_LEAF_READ };
static enum fault fault_mode;
static unsigned long fault_at;		/* F_WRITE: the write that fails */
static unsigned long writes, leaf_reads;
static off_t leaf_off;
static bool retry_fails;		/* unix_io retries a failed pwrite with write */
static bool read_retry_fails;		/* and a failed pread with read */

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	ssize_t r;

	if (fd > 2 && (fault_mode == F_COUNT || fault_mode == F_WRITE || fault_mode == F_KILL)) {
		retry_fails = false;
		if (++writes == fault_at && fault_mode == F_WRITE) {
			retry_fails = true;
			errno = EIO;
			return -1;
		}
	}
	r = syscall(SYS_pwrite64, fd, buf, n, off);
	/* Killed right after this write: what libext2fs still caches is lost. */
	if (fd > 2 && fault_mode == F_KILL && writes == fault_at)
		_exit(0);
	return r;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	return pwrite64(fd, buf, n, off);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	if (fd > 2 && retry_fails) {
		retry_fails = false;
		errno = EIO;
		return -1;
	}
	return syscall(SYS_write, fd, buf, n);
}

ssize_t pread64(int fd, void *buf, size_t n, off_t off)
{
	if (fd > 2 && fault_mode == F_LEAF_READ && off <= leaf_off &&
	    leaf_off < off + (off_t)n && ++leaf_reads > 1) {
		read_retry_fails = true;
		errno = EIO;
		return -1;
	}
	read_retry_fails = false;
	return syscall(SYS_pread64, fd, buf, n, off);
}

/* unix_io retries a failed pread with lseek + read. */
ssize_t read(int fd, void *buf, size_t n)
{
	if (fd > 2 && read_retry_fails) {
		read_retry_fails = false;
		errno = EIO;
		return -1;
	}
	return syscall(SYS_read, fd, buf, n);
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	return pread64(fd, buf, n, off);
}

/* ---- helpers ------------------------------------------------------------------ */

static char dir[] = "/tmp/mbv-steps.XXXXXX";
static char base_img[512], work_img[512], victim[512], frag_img[512], frag_victim[512];
static int failures;

/* MBV_STEPS_KEEP=1: stop at the first failure and keep the scratch directory. */
#define FAIL(...) do { fprintf(stderr, "FAIL: " __VA_ARGS__); fputc('\n', stderr); \
		       failures++; \
		       if (getenv("MBV_STEPS_KEEP")) { fprintf(stderr, "kept %s\n", dir); exit(1); } \
		     } while (0)

/* What a child reports: its messages, one per line, and enable's return. */
struct shared {
	char msgs[4096];
	size_t len;
	int n_msgs;
	int ret;
	unsigned long writes;
};
static struct shared *sh;

static void on_error(void *ctx, const char *msg)
{
	size_t n = strlen(msg);

	sh->n_msgs++;
	if (sh->len + n + 2 < sizeof(sh->msgs)) {
		memcpy(sh->msgs + sh->len, msg, n);
		sh->len += n;
		sh->msgs[sh->len++] = '\n';
		sh->msgs[sh->len] = 0;
	}
}

static int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void copy(const char *from, const char *to)
{
	if (run("cp '%s' '%s'", from, to)) {
		fprintf(stderr, "FAIL: cannot copy %s\n", from);
		exit(1);
	}
}

/* Enable /victim on the work image in a child under @mode; the child's report in *sh. */
static void enable_child(enum fault mode, unsigned long at)
{
	pid_t pid;
	int st;

	memset(sh, 0, sizeof(*sh));
	sh->ret = 1;	/* stays so if the child is "killed" */
	pid = fork();
	if (pid == 0) {
		struct struct_ext2_filsys *fs;
		struct mbv_ext4_enable_params p = { .version = 1 };
		uint32_t ino;

		if (mbv_ext4_open(work_img, 1, &fs, on_error, NULL) ||
		    mbv_ext4_lookup(fs, "/victim", &ino, on_error, NULL))
			_exit(2);
		fault_mode = mode;
		fault_at = at;
		sh->ret = mbv_ext4_enable(fs, ino, &p, NULL, on_error, NULL);
		fault_mode = F_NONE;
		if (!sh->ret)
			sh->ret = mbv_ext4_close(fs, on_error, NULL);
		else
			mbv_ext4_close(fs, NULL, NULL);
		sh->writes = writes;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "FAIL: the enable child died (%s)\n", sh->msgs);
		exit(1);
	}
}

/* The file is the plain file it was: data as written, no verity flag. */
static void check_plain(const char *what, const char *src)
{
	if (run("debugfs -R 'cat /victim' '%s' 2>/dev/null | cmp -s - '%s'", work_img, src))
		FAIL("%s: /victim's data changed", what);
	if (!run("debugfs -R 'stat /victim' '%s' 2>/dev/null | grep -q 'Flags: 0x1.....'",
		 work_img))
		FAIL("%s: /victim has the verity flag after a failure", what);
}

/*
 * After a failure or a kill: e2fsck -fn is clean or e2fsck -fp repairs the
 * image, and /victim is either the plain file it was or verity with
 * fsverity's digest.
 */
static void check_state(const char *what, const char *src, const char *mbverity)
{
	if (run("e2fsck -fn '%s' >/dev/null 2>&1", work_img) &&
	    (run("e2fsck -fp '%s' >/dev/null 2>&1", work_img) > 1 ||
	     run("e2fsck -fn '%s' >/dev/null 2>&1", work_img))) {
		FAIL("%s: e2fsck -fp does not repair the image", what);
		return;
	}
	if (!run("'%s' measure --image='%s' /victim >/dev/null 2>&1", mbverity, work_img)) {
		if (run("test \"$('%s' measure --image='%s' /victim | cut -d' ' -f1)\" = "
			"\"$(fsverity digest '%s' | cut -d' ' -f1)\"", mbverity, work_img, src))
			FAIL("%s: /victim is verity with the wrong digest", what);
	} else {
		check_plain(what, src);
	}
}

/* The physical block of the inode's only index entry: the leaf (depth 1). */
static blk64_t leaf_block(unsigned int *blocksize)
{
	ext2_filsys fs;
	ext2_ino_t ino;
	struct ext2_inode inode;
	const uint8_t *ib = (const uint8_t *)inode.i_block;
	blk64_t b = 0;

	if (ext2fs_open(base_img, 0, 0, 0, unix_io_manager, &fs))
		return 0;
	if (!ext2fs_namei(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, "victim", &ino) &&
	    !ext2fs_read_inode(fs, ino, &inode) && (ib[6] | ib[7] << 8) == 1)
		b = (blk64_t)(ib[16] | ib[17] << 8 | ib[18] << 16 | (uint32_t)ib[19] << 24) |
		    (blk64_t)(ib[20] | ib[21] << 8) << 32;
	*blocksize = fs->blocksize;
	ext2fs_close(fs);
	return b;
}

/* The messages a failure of the commit may give, each naming its step. */
static const char *const steps[] = {
	"cannot write block ",			/* tree and descriptor blocks */
	"cannot zero the block tail after EOF: ",
	"cannot flush the image: ",
	"cannot write the bitmaps: ",
	"cannot count the metadata blocks in i_blocks: ",
	"cannot open the extent tree: ",
	"cannot add the metadata extents to the extent tree: ",
	"cannot write the inode with the new extents: ",
	"cannot flush the inode with the new extents: ",
	"cannot mark the metadata extents written in the inode: ",
	"cannot copy extent tree block ",
	"cannot write the inode with the verity flag: ",
	"cannot flush the inode with the verity flag: ",
	"cannot free the old extent tree blocks: ",
	"cannot write the image: ",		/* mbv_ext4_close() */
};

static int step_of(const char *msg)
{
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (!strncmp(msg, steps[i], strlen(steps[i])))
			return (int)i;
	return -1;
}

int main(void)
{
	const char *top = getenv("top_srcdir");
	unsigned int bs = 0;
	blk64_t leaf;
	unsigned long total, k, kills = 0;
	const char *mbverity = getenv("MBVERITY");
	int img;
	bool seen[sizeof(steps) / sizeof(steps[0])] = { false };
	int s;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	snprintf(base_img, sizeof(base_img), "%s/base.img", dir);
	snprintf(work_img, sizeof(work_img), "%s/work.img", dir);
	snprintf(victim, sizeof(victim), "%s/w/victim", dir);
	snprintf(frag_img, sizeof(frag_img), "%s/frag.img", dir);
	snprintf(frag_victim, sizeof(frag_victim), "%s/f/victim", dir);
	if (!mbverity) {
		fprintf(stderr, "FAIL: MBVERITY is not set (make check sets it)\n");
		return 1;
	}
	if (run("PATH=$PATH:/usr/sbin:/sbin; . '%s/tests/ext4/fixtures_alloc.sh' && "
		"alloc_fx_scattered_data '%s' '%s/w' && alloc_fx_fragmented '%s' '%s/f'",
		top ? top : ".", base_img, dir, frag_img, dir)) {
		fprintf(stderr, "FAIL: cannot build the image\n");
		return 1;
	}
	leaf = leaf_block(&bs);
	if (!leaf) {
		fprintf(stderr, "FAIL: /victim has no extent leaf block\n");
		return 1;
	}

	/* The leaf cannot be read back when the extents go in. */
	copy(base_img, work_img);
	leaf_off = (off_t)(leaf * bs);
	enable_child(F_LEAF_READ, 0);
	if (!sh->ret)
		FAIL("enable succeeded with its extent leaf unreadable");
	else if (sh->n_msgs != 1)
		FAIL("unreadable leaf: %d messages: %s", sh->n_msgs, sh->msgs);
	else if (strncmp(sh->msgs, "cannot add the metadata extents to the extent tree: ", 52))
		FAIL("unreadable leaf: the message does not name the step: %s", sh->msgs);
	check_plain("unreadable leaf", victim);

	/* Count an enable's writes, then fail each in turn. */
	copy(base_img, work_img);
	enable_child(F_COUNT, 0);
	if (sh->ret || sh->n_msgs)
		FAIL("enable without a fault failed: %s", sh->msgs);
	total = sh->writes;
	if (total < 4)
		FAIL("only %lu writes counted", total);
	for (k = 1; k <= total; k++) {
		char what[96];

		snprintf(what, sizeof(what), "write %lu of %lu failing", k, total);
		copy(base_img, work_img);
		enable_child(F_WRITE, k);
		if (!sh->ret)
			continue;	/* a write whose failure libext2fs absorbs */
		if (sh->n_msgs != 1) {
			FAIL("%s: %d messages: %s", what, sh->n_msgs, sh->msgs);
			continue;
		}
		if (strstr(sh->msgs, "cannot write the inode: "))
			FAIL("%s: the old message that names no step: %s", what, sh->msgs);
		s = step_of(sh->msgs);
		if (s < 0)
			FAIL("%s: a message naming no known step: %s", what, sh->msgs);
		else
			seen[s] = true;
		/* Until the old leaves are freed, a failure leaves the plain file. */
		if (s >= 0 && s <= 12)
			check_plain(what, victim);
		check_state(what, victim, mbverity);
	}
	/* Killed after each write, here and on metadata over many single runs. */
	for (img = 0; img < 2; img++) {
		const char *src = img ? frag_victim : victim;

		copy(img ? frag_img : base_img, work_img);
		enable_child(F_COUNT, 0);
		if (sh->ret)
			FAIL("enable without a fault failed: %s", sh->msgs);
		total = sh->writes;
		for (k = 1; k <= total; k++) {
			char what[96];

			snprintf(what, sizeof(what), "killed after write %lu of %lu (%s)", k, total,
				 img ? "scattered metadata" : "scattered data");
			copy(img ? frag_img : base_img, work_img);
			enable_child(F_KILL, k);
			check_state(what, src, mbverity);
			kills++;
		}
	}
	/* The steps around the extent tree of a depth-1 file are each reached. */
	if (!seen[3])
		FAIL("no write failure was reported as writing the bitmaps");
	if (!seen[8])
		FAIL("no write failure was reported as flushing the inode with the new extents");
	if (!seen[10])
		FAIL("no write failure was reported as copying the extent tree");
	if (!seen[12])
		FAIL("no write failure was reported as flushing the inode with the verity flag");

	run("rm -rf '%s'", dir);
	if (failures)
		return 1;
	printf("PASS: write faults and an unreadable leaf, each named; %lu kills\n", kills);
	return 0;
}
