/* SPDX-License-Identifier: MIT */
/*
 * Kill-safe enable: mbv_ext4_enable() stopped dead after its k-th write to
 * the image (as if killed: what libext2fs still caches is lost), or handed
 * an I/O error on its k-th write, for every k of an enable run, over several
 * files and parameters.  After each, e2fsck -fn is clean or e2fsck -p repairs
 * the image; the file holds its data and is either the plain file it was
 * (and a second enable then works) or completely verity with the digest
 * `fsverity digest` gives.
 *
 * The fault hook: this program defines pwrite/pwrite64/write, which take
 * precedence over libc's for libext2fs, and counts the writes a forked child
 * makes to the image.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ext2fs/ext2fs.h>

#include "mbverity.h"

/* ---- the fault hook --------------------------------------------------------- */

/*
 * F_EIO fails the k-th write once (and the lseek+write retry libext2fs's
 * unix_io makes after a failed pwrite); F_EIO_ALL fails it and every write
 * after it, as a disk that went bad.
 */
enum fault { F_NONE, F_COUNT, F_KILL, F_EIO, F_EIO_ALL };
static enum fault fault_mode;
static unsigned long fault_at;
/* Shared with the parent, which reads a child's count. */
static unsigned long *write_count;
static bool retry_fails;	/* the k-th pwrite failed: so does its retry */

/* Count a write to anything but stdin/out/err; true: fail it with EIO. */
static bool hook(int fd, bool is_pwrite)
{
	bool fail;

	if (fault_mode == F_NONE || fd <= 2)
		return false;
	if (retry_fails && !is_pwrite) {
		retry_fails = false;
		return true;
	}
	retry_fails = false;
	++*write_count;
	fail = (fault_mode == F_EIO && *write_count == fault_at) ||
	       (fault_mode == F_EIO_ALL && *write_count >= fault_at);
	retry_fails = fail && is_pwrite && fault_mode == F_EIO;
	return fail;
}

/* After the write: die on the k-th, as a kill would. */
static void after(void)
{
	if (fault_mode == F_KILL && *write_count == fault_at)
		_exit(0);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	ssize_t r;

	if (fault_mode == F_COUNT && fd > 2 && getenv("MBV_KILLSAFE_TRACE"))
		fprintf(stderr, "write %lu: %zu bytes at %lld\n", *write_count + 1, n,
			(long long)off);
	if (hook(fd, true)) {
		errno = EIO;
		return -1;
	}
	r = syscall(SYS_pwrite64, fd, buf, n, off);
	after();
	return r;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	return pwrite64(fd, buf, n, off);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	ssize_t r;

	if (fault_mode == F_COUNT && fd > 2 && getenv("MBV_KILLSAFE_TRACE"))
		fprintf(stderr, "write %lu: %zu bytes at offset %lld\n", *write_count + 1, n,
			(long long)lseek(fd, 0, SEEK_CUR));
	if (hook(fd, false)) {
		errno = EIO;
		return -1;
	}
	r = syscall(SYS_write, fd, buf, n);
	after();
	return r;
}

/* ---- helpers ------------------------------------------------------------------ */

static char dir[] = "/tmp/mbv-killsafe.XXXXXX";
static int failures;
static unsigned long total_runs;

/* MBV_KILLSAFE_KEEP=1: stop at the first failure and keep work.img for a look. */
static void failed(void)
{
	failures++;
	if (getenv("MBV_KILLSAFE_KEEP")) {
		fprintf(stderr, "kept %s\n", dir);
		exit(1);
	}
}

/* The image a run works on, its e2fsck -p copy, e2fsck's output. */
static char work_img[512], fixed_img[512], fsck_out[512];

/* A path in the scratch directory; valid until the fourth call after. */
static const char *path(const char *fmt, ...)
{
	static char bufs[4][512];
	static int next;
	char *p = bufs[next++ % 4];
	int n = snprintf(p, 512, "%s/", dir);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p + n, (size_t)(512 - n), fmt, ap);
	va_end(ap);
	return p;
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
	static char buf[1 << 16];
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ssize_t n = 0;

	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			n = -1;
	if (in < 0 || out < 0 || n < 0 || close(out)) {
		fprintf(stderr, "FAIL: cannot copy %s to %s\n", from, to);
		exit(1);
	}
	close(in);
}

/* e2fsck OPTION IMAGE, its output to @log (or nowhere); its exit status. */
static int e2fsck(const char *option, const char *img, const char *log)
{
	pid_t pid = fork();
	int st, fd;

	if (pid == 0) {
		fd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		execlp("e2fsck", "e2fsck", option, img, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 127;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static uint8_t *slurp(const char *p, size_t *size)
{
	FILE *f = fopen(p, "rb");
	uint8_t *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		return NULL;
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*size = (size_t)n;
	return buf;
}

/* ---- one configuration -------------------------------------------------------- */

struct config {
	const char *name;	/* file in the image, /name; source in src/name */
	const char *image;	/* pristine image it lives in */
	const char *opts;	/* fsverity digest / sign options */
	uint32_t hash_alg, block_size;
	const char *salt_hex;
	bool signed_, set_feature;
};

struct outcomes {
	unsigned long runs, failed, clean_plain, clean_verity, repaired_plain, repaired_verity;
};

/* The enable run, in a child: open, enable, close, as `mbverity enable` does. */
static int do_enable(const struct config *c, const char *img)
{
	struct mbv_ext4_enable_params p;
	struct struct_ext2_filsys *fs;
	uint8_t salt[MBV_MAX_SALT_SIZE], *sig = NULL;
	char abs[256];
	size_t sig_size = 0, i;
	uint32_t ino;
	int err;

	memset(&p, 0, sizeof(p));
	p.version = 1;
	p.spec.hash_algorithm = c->hash_alg;
	p.spec.block_size = c->block_size;
	for (i = 0; c->salt_hex && c->salt_hex[2 * i]; i++)
		sscanf(c->salt_hex + 2 * i, "%2hhx", &salt[i]);
	p.spec.salt_size = (uint32_t)i;
	p.spec.salt = salt;
	if (c->signed_) {
		sig = slurp(path("%s.sig", c->name), &sig_size);
		if (!sig)
			return 1;
		p.signature = sig;
		p.sig_size = (uint32_t)sig_size;
	}
	if (c->set_feature)
		p.flags = MBV_EXT4_ENABLE_SET_FEATURE;
	if (mbv_ext4_open(img, 1, &fs, NULL, NULL))
		return 1;
	snprintf(abs, sizeof(abs), "/%s", c->name);
	err = mbv_ext4_lookup(fs, abs, &ino, NULL, NULL);
	if (!err)
		err = mbv_ext4_enable(fs, ino, &p, NULL, NULL, NULL);
	if (mbv_ext4_close(fs, NULL, NULL))
		err = err ? err : -EIO;
	free(sig);
	return err ? 1 : 0;
}

/* Fork a child that enables with the given fault; return its exit status. */
static int child_enable(const struct config *c, const char *img, enum fault mode,
			unsigned long at)
{
	pid_t pid;
	int st;

	*write_count = 0;
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		fault_mode = mode;
		fault_at = at;
		_exit(do_enable(c, img));
	}
	if (waitpid(pid, &st, 0) != pid)
		exit(1);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* What the file is now: 0 plain and intact, 1 verity with the right digest, -1 bad. */
static int file_state(const struct config *c, const char *img, const char *want_digest,
		      const uint8_t *data, size_t size, char *why, size_t why_size)
{
	struct struct_ext2_filsys *fs;
	struct ext2_inode_large inode;
	struct mbv_ext4_verity_info info;
	ext2_file_t file;
	char abs[256], hex[2 * MBV_MAX_DIGEST_SIZE + 1];
	uint8_t *got = NULL;
	unsigned int got_n = 0;
	uint32_t ino;
	int state = -1;
	unsigned int i;

	snprintf(abs, sizeof(abs), "/%s", c->name);
	if (mbv_ext4_open(img, 0, &fs, NULL, NULL)) {
		snprintf(why, why_size, "the image does not open");
		return -1;
	}
	if (mbv_ext4_lookup(fs, abs, &ino, NULL, NULL) ||
	    ext2fs_read_inode_full(fs, ino, (struct ext2_inode *)&inode, sizeof(inode))) {
		snprintf(why, why_size, "the file is gone");
		goto out;
	}
	if (EXT2_I_SIZE(&inode) != size) {
		snprintf(why, why_size, "i_size is %llu, not %zu",
			 (unsigned long long)EXT2_I_SIZE(&inode), size);
		goto out;
	}
	got = malloc(size + 1);
	if (!got || ext2fs_file_open(fs, ino, 0, &file)) {
		snprintf(why, why_size, "cannot read the file");
		goto out;
	}
	if (ext2fs_file_read(file, got, (unsigned int)size, &got_n) || got_n != size ||
	    memcmp(got, data, size)) {
		ext2fs_file_close(file);
		snprintf(why, why_size, "the file's data changed");
		goto out;
	}
	ext2fs_file_close(file);
	if (!(inode.i_flags & 0x00100000)) {
		state = 0;
		goto out;
	}
	if (mbv_ext4_verify(fs, ino, NULL, NULL, NULL, &info, NULL, NULL)) {
		snprintf(why, why_size, "verity flag set, but verify fails");
		goto out;
	}
	for (i = 0; i < info.digest_size; i++)
		sprintf(hex + 2 * i, "%02x", info.digest[i]);
	if (strcmp(hex, want_digest)) {
		snprintf(why, why_size, "digest %s, fsverity digest says %s", hex, want_digest);
		goto out;
	}
	state = 1;
out:
	free(got);
	mbv_ext4_close(fs, NULL, NULL);
	return state;
}

static const char *mode_name(enum fault m)
{
	return m == F_KILL ? "killed after write" :
	       m == F_EIO ? "I/O error on write" : "I/O errors from write";
}

/* Judge the image a faulted run left; count the outcome. */
static void judge(const struct config *c, enum fault mode, unsigned long k,
		  const char *want, const uint8_t *data, size_t size, struct outcomes *o)
{
	const char *img = work_img, *fixed = fixed_img;
	char why[300] = "";
	bool repaired = false;
	int state, st;

	o->runs++;
	if (e2fsck("-fn", img, NULL)) {
		copy(img, fixed);
		st = e2fsck("-fp", fixed, fsck_out);
		if (st > 1 || e2fsck("-fn", fixed, NULL)) {
			fprintf(stderr, "FAIL: /%s, %s %lu: e2fsck -p cannot repair the image "
				"(exit %d)\n", c->name, mode_name(mode), k, st);
			run("cat '%s' >&2", fsck_out);
			failed();
			return;
		}
		img = fixed;
		repaired = true;
	}
	state = file_state(c, img, want, data, size, why, sizeof(why));
	if (state < 0) {
		fprintf(stderr, "FAIL: /%s, %s %lu%s: %s\n", c->name, mode_name(mode), k,
			repaired ? " (after e2fsck -p)" : "", why);
		if (repaired)
			run("cat '%s' >&2", fsck_out);
		failed();
		return;
	}
	if (state == 0) {
		/* Still plain: a second enable must work. */
		if (child_enable(c, img, F_NONE, 0) ||
		    file_state(c, img, want, data, size, why, sizeof(why)) != 1 ||
		    e2fsck("-fn", img, NULL)) {
			fprintf(stderr, "FAIL: /%s, %s %lu: the second enable fails: %s\n",
				c->name, mode_name(mode), k, why);
			failed();
			return;
		}
	}
	if (repaired)
		state ? o->repaired_verity++ : o->repaired_plain++;
	else
		state ? o->clean_verity++ : o->clean_plain++;
}

static void try_config(const struct config *c)
{
	static const enum fault modes[] = { F_KILL, F_EIO, F_EIO_ALL };
	/* Under ASan each run costs several times more: kills only there; the
	 * plain build fails writes too. */
#if defined(__SANITIZE_ADDRESS__)
	const int n_modes = 1;
#else
	const int n_modes = 3;
#endif
	char want[2 * MBV_MAX_DIGEST_SIZE + 1], line[512];
	const char *work = work_img;
	struct outcomes o[3];
	uint8_t *data;
	size_t size;
	unsigned long n, k;
	FILE *p;
	int m;

	data = slurp(path("src/%s", c->name), &size);
	if (!data) {
		fprintf(stderr, "FAIL: cannot read src/%s\n", c->name);
		exit(1);
	}
	snprintf(line, sizeof(line), "fsverity digest %s '%s'", c->opts, path("src/%s", c->name));
	p = popen(line, "r");
	if (!p || !fgets(line, sizeof(line), p) || sscanf(line, "%*[^:]:%128[0-9a-f]", want) != 1) {
		fprintf(stderr, "FAIL: fsverity digest of %s\n", c->name);
		exit(1);
	}
	pclose(p);

	/* A run without faults: how many writes, and that it works at all. */
	copy(c->image, work);
	if (child_enable(c, work, F_COUNT, 0)) {
		fprintf(stderr, "FAIL: /%s: enable without faults failed\n", c->name);
		failed();
		return;
	}
	n = *write_count;
	memset(o, 0, sizeof(o));
	judge(c, F_KILL, n, want, data, size, &o[0]);
	if (o[0].clean_verity != 1) {
		fprintf(stderr, "FAIL: /%s: a whole enable does not leave a clean verity file\n",
			c->name);
		failures++;
	}
	memset(o, 0, sizeof(o));
	for (m = 0; m < n_modes; m++)
		for (k = 1; k <= n; k++) {
			copy(c->image, work);
			if (child_enable(c, work, modes[m], k))
				o[m].failed++;
			judge(c, modes[m], k, want, data, size, &o[m]);
		}
	for (m = 0; m < n_modes; m++) {
		total_runs += o[m].runs;
		printf("/%-8s %-22s k=1..%-2lu enable failed %2lu; left plain %2lu, verity %2lu, "
		       "plain after e2fsck -p %2lu, verity after e2fsck -p %2lu\n",
		       c->name, mode_name(modes[m]), n, o[m].failed, o[m].clean_plain,
		       o[m].clean_verity, o[m].repaired_plain, o[m].repaired_verity);
	}
	free(data);
}

int main(void)
{
	static const char salt[] = "0123456789abcdef";
	struct config configs[] = {
		{ "f1", "img4", "", 0, 0, NULL, false, false },
		{ "f4097", "img4", "--hash-alg=sha512 --salt=0123456789abcdef",
		  MBV_HASH_ALG_SHA512, 0, salt, false, false },
		{ "f150000", "img4", "--block-size=1024", 0, 1024, NULL, false, false },
		{ "sparse", "img4", "", 0, 0, NULL, false, false },
		{ "f70000", "img4", "", 0, 0, NULL, true, false },
		{ "f4097", "nofeature", "--block-size=1024", 0, 1024, NULL, false, true },
		/* The quota files are charged last: e2fsck -p corrects usage it missed. */
		{ "f150000", "quota", "", 0, 0, NULL, false, false },
	};
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	{
		char env[4096];

		snprintf(env, sizeof(env), "%s:/usr/sbin:/sbin", getenv("PATH") ? getenv("PATH") : "/bin:/usr/bin");
		setenv("PATH", env, 1);
	}
	write_count = mmap(NULL, sizeof(*write_count), PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (write_count == MAP_FAILED || !mkdtemp(dir)) {
		perror("setup");
		return 1;
	}
	snprintf(work_img, sizeof(work_img), "%s/work.img", dir);
	snprintf(fixed_img, sizeof(fixed_img), "%s/fixed.img", dir);
	snprintf(fsck_out, sizeof(fsck_out), "%s/fsck.out", dir);
	/* Sources: sizes around block boundaries, a file in 5 pieces (an extent
	 * block beyond the inode's 4 extents), a signed one. */
	if (run("set -e; cd %s; mkdir src; cd src; "
		"head -c 1 /dev/urandom >f1; head -c 4097 /dev/urandom >f4097; "
		"head -c 150000 /dev/urandom >f150000; head -c 70000 /dev/urandom >f70000; "
		"for i in 0 1 2 3 4; do head -c 5000 /dev/urandom | "
		"dd of=sparse bs=4096 seek=$((i * 10)) conv=notrunc 2>/dev/null; done; "
		"head -c 3000 /dev/urandom >plain", dir) ||
	    run("cd %s && openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem "
		"-out cert.pem -days 2 -subj /CN=killsafe >/dev/null 2>&1 && "
		"fsverity sign src/f70000 f70000.sig --key=key.pem --cert=cert.pem >/dev/null",
		dir) ||
	    run("PATH=$PATH:/usr/sbin:/sbin mke2fs -q -F -t ext4 -O verity -b 4096 -N 32 "
		"-d %s/src %s/img4 2M >/dev/null 2>&1", dir, dir) ||
	    run("PATH=$PATH:/usr/sbin:/sbin mke2fs -q -F -t ext4 -b 1024 -N 32 "
		"-d %s/src %s/nofeature 2M >/dev/null 2>&1", dir, dir) ||
	    /* An owner of its own; e2fsck -p writes the usage mke2fs -d left stale. */
	    run("PATH=$PATH:/usr/sbin:/sbin; cd %s && mke2fs -q -F -t ext4 -O verity,quota,project "
		"-E quotatype=usrquota:grpquota:prjquota -b 4096 -N 32 -d src quota 4M "
		">/dev/null 2>&1 && debugfs -w -f - quota >/dev/null 2>&1 <<EOF\n"
		"sif /f150000 uid 1000\nsif /f150000 gid 100\nsif /f150000 projid 7\nEOF\n"
		"e2fsck -fp quota >/dev/null 2>&1; [ $? -le 1 ] && e2fsck -fn quota >/dev/null 2>&1",
		dir)) {
		fprintf(stderr, "FAIL: cannot make the test images\n");
		return 1;
	}
	for (i = 0; i < sizeof(configs) / sizeof(configs[0]); i++) {
		configs[i].image = strdup(path("%s", configs[i].image));
		try_config(&configs[i]);
		free((char *)configs[i].image);
	}
	run("rm -rf %s", dir);
	printf("%lu faulted enable runs, %d failures\n", total_runs, failures);
	return failures ? 1 : 0;
}
