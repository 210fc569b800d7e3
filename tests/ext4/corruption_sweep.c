/* SPDX-License-Identifier: MIT */
/*
 * Corruption sweep: flip every byte of each verity file's tree, paddings,
 * descriptor, signature and size field, and a sample of its data and of the
 * zero tail after EOF, one at a time, in place; mbv_ext4_verify() (plus the
 * signature check `mbverity verify --cert` does) must fail every time and
 * name the place.  Usage: corruption_sweep IMAGE CERT PATH...
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ext2fs/ext2fs.h>

#include "mbverity.h"

/* The places a byte can be in, and the counts per place. */
enum region {
	R_TREE, R_TREE_PAD, R_DESC, R_SIG, R_DESC_PAD, R_SIZE, R_DATA, R_TAIL, R_N
};
static const char *const region_name[R_N] = {
	"tree", "padding after tree", "descriptor", "signature",
	"padding after descriptor", "size field", "data (sample)", "EOF tail (sample)",
};

/* @exempt: flips documented as undetectable (see null_param_tags()). */
struct counts {
	unsigned long flips, detected, named, exempt;
};
static struct counts total[R_N];
static const char *cert;
static int failures;
/* The image, written behind libext2fs's back (its block cache is off). */
static int image_fd = -1;

/* Under ASan every verify costs ~15 times more: sample the tree there. */
#if defined(__SANITIZE_ADDRESS__)
#define TREE_STRIDE 17
#else
#define TREE_STRIDE 1
#endif

/* What one verify run said. */
#define MAX_PROBLEMS 16
struct outcome {
	int err;
	size_t n;
	struct {
		uint32_t kind, level;
		uint64_t index;
		char field[32];
		char msg[200];
	} p[MAX_PROBLEMS];
	char error[300];
	bool sig_bad;
};

static void on_problem(void *ctx, const struct mbv_ext4_problem *p)
{
	struct outcome *o = ctx;

	if (o->n == MAX_PROBLEMS)
		return;
	o->p[o->n].kind = p->kind;
	o->p[o->n].level = p->level;
	o->p[o->n].index = p->index;
	snprintf(o->p[o->n].field, sizeof(o->p[o->n].field), "%s", p->field ? p->field : "");
	snprintf(o->p[o->n].msg, sizeof(o->p[o->n].msg), "%s", p->message);
	o->n++;
}

static void on_error(void *ctx, const char *msg)
{
	struct outcome *o = ctx;

	if (!o->error[0])
		snprintf(o->error, sizeof(o->error), "%s", msg);
}

struct file {
	ext2_filsys fs;
	uint32_t ino;
	const char *path;
	struct ext2_inode_large inode;
	uint64_t size;
	uint32_t bs;		/* filesystem block size */
	struct mbv_ext4_verity_info info;
	uint64_t meta_pos, desc_pos, size_pos;
	unsigned int levels;
	uint64_t level_start[8], level_blocks[8];	/* offsets in the tree, root first */
	bool *exempt_sig;	/* signature bytes whose flip nothing can see */
	size_t n_exempt_sig;
};

static uint64_t round_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) / a * a;
}

/* Run verify and the signature check, as `mbverity verify --cert` does. */
static void run_verify(struct file *f, struct outcome *o)
{
	struct mbv_ext4_verity_info info;

	memset(o, 0, sizeof(*o));
	o->err = mbv_ext4_verify(f->fs, f->ino, NULL, on_problem, o, &info, on_error, o);
	if (o->err == 0 && info.sig_size && cert) {
		uint8_t *sig = malloc(info.sig_size);
		size_t done = 0;

		if (!sig || mbv_ext4_read_metadata(f->fs, f->ino, MBV_METADATA_SIGNATURE, 0, sig,
						   info.sig_size, &done, on_error, o) ||
		    done != info.sig_size ||
		    mbv_verify_signature(info.hash_algorithm, info.digest, sig, done, cert,
					 NULL, NULL))
			o->sig_bad = true;
		free(sig);
	}
}

static bool has(const struct outcome *o, uint32_t kind)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (o->p[i].kind == kind)
			return true;
	return false;
}

static bool has_field(const struct outcome *o, const char *field)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (o->p[i].kind == MBV_EXT4_BAD_DESCRIPTOR && !strcmp(o->p[i].field, field))
			return true;
	return false;
}

static bool has_block(const struct outcome *o, uint32_t kind, uint32_t level, uint64_t index)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (o->p[i].kind == kind && o->p[i].level == level && o->p[i].index == index)
			return true;
	return false;
}

static const char *desc_field(unsigned int off)
{
	if (off < 1) return "version";
	if (off < 2) return "hash_algorithm";
	if (off < 3) return "log_blocksize";
	if (off < 4) return "salt_size";
	if (off < 8) return "sig_size";
	if (off < 16) return "data_size";
	if (off < 80) return "root_hash";
	if (off < 112) return "salt";
	return "reserved";
}

/* Did the outcome name the place of the byte at file offset @pos in @r? */
static bool named(const struct file *f, enum region r, uint64_t pos, const struct outcome *o)
{
	uint64_t off;
	unsigned int l;

	switch (r) {
	case R_TREE:
		off = pos - f->meta_pos;
		for (l = 0; l < f->levels; l++)
			if (off >= f->level_start[l] &&
			    off < f->level_start[l] + f->level_blocks[l] * f->info.block_size)
				return has_block(o, MBV_EXT4_BAD_TREE_BLOCK, f->levels - 1 - l,
						 (off - f->level_start[l]) / f->info.block_size);
		return false;
	case R_TREE_PAD:
	case R_DESC_PAD:
		return has(o, MBV_EXT4_BAD_LAYOUT);
	case R_DESC:
		off = pos - f->desc_pos;
		/* sig_size and the size field disagree: either may be the bad one. */
		if (off >= 4 && off < 8 && has(o, MBV_EXT4_BAD_LAYOUT))
			return true;
		/* One data block: its salted hash is the root hash, nothing tells
		 * the block, the salt and root_hash apart ("data block 0 ... (or
		 * the descriptor field root_hash is bad)"). */
		if (!f->levels && off >= 16 && off < 112 && !has(o, MBV_EXT4_BAD_DESCRIPTOR) &&
		    has_block(o, MBV_EXT4_BAD_DATA_BLOCK, 0, 0))
			return true;
		return has_field(o, desc_field((unsigned int)off));
	case R_SIG:
		return o->sig_bad;
	case R_SIZE:
		return strstr(o->error, "descriptor size") || has(o, MBV_EXT4_BAD_LAYOUT);
	case R_DATA:
		return has_block(o, MBV_EXT4_BAD_DATA_BLOCK, 0, pos / f->info.block_size);
	case R_TAIL:
		return has(o, MBV_EXT4_BAD_EOF_TAIL);
	default:
		return false;
	}
}

static void describe(const struct outcome *o, char *buf, size_t n)
{
	size_t i, len = 0;

	buf[0] = '\0';
	if (o->error[0])
		len += (size_t)snprintf(buf + len, n - len, "error: %s; ", o->error);
	for (i = 0; i < o->n && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s; ", o->p[i].msg);
	if (o->sig_bad && len < n)
		snprintf(buf + len, n - len, "bad signature");
}

/* Flip the byte at file offset @pos, verify, put it back. */
static void flip(struct file *f, enum region r, uint64_t pos, struct counts *c)
{
	blk64_t pblk = 0;
	int flags = 0;
	struct outcome o;
	bool detected;
	off_t at;
	uint8_t b;

	if (ext2fs_bmap2(f->fs, f->ino, (struct ext2_inode *)&f->inode, NULL, 0,
				 pos / f->bs, &flags, &pblk) || !pblk ||
	    (flags & BMAP_RET_UNINIT)) {
		fprintf(stderr, "FAIL: %s: file byte %llu (%s) is not in a written block\n",
			f->path, (unsigned long long)pos, region_name[r]);
		failures++;
		return;
	}
	at = (off_t)pblk * f->bs + (off_t)(pos % f->bs);
	if (pread(image_fd, &b, 1, at) != 1)
		abort();
	b ^= 0xff;
	if (pwrite(image_fd, &b, 1, at) != 1)
		abort();
	run_verify(f, &o);
	b ^= 0xff;
	if (pwrite(image_fd, &b, 1, at) != 1)
		abort();

	detected = o.err != 0 || o.sig_bad;
	if (r == R_SIG && f->exempt_sig[pos - f->desc_pos - MBV_DESCRIPTOR_SIZE]) {
		/* Must pass: else the documented set is wrong. */
		if (detected) {
			fprintf(stderr, "FAIL: %s: flipped file byte %llu (a NULL parameter's tag in "
				"the signature) was expected to pass\n", f->path,
				(unsigned long long)pos);
			failures++;
		}
		c[r].exempt++;
		return;
	}
	c[r].flips++;
	if (detected)
		c[r].detected++;
	if (detected && named(f, r, pos, &o)) {
		c[r].named++;
	} else if (c[r].flips - c[r].named <= 3) {
		char what[1200];

		describe(&o, what, sizeof(what));
		fprintf(stderr, "FAIL: %s: flipped file byte %llu (%s): %s\n", f->path,
			(unsigned long long)pos, region_name[r],
			detected ? what : "verify passed");
	}
}

/*
 * The signature bytes a flip of which nothing detects: the tag (05) of a
 * NULL parameters field right after an OID, in the PKCS#7 AlgorithmIdentifiers
 * (sha256/sha512, rsaEncryption).  Flipped to FA it becomes an empty
 * private-tag element; "parameters ANY OPTIONAL" takes it, in OpenSSL and in
 * the kernel's PKCS#7 parser alike, and the RSA signature does not cover the
 * PKCS#7 wrapper.  The file's digest and the signed digest are unchanged.
 */
static size_t null_param_tags(const uint8_t *sig, size_t n, bool *exempt)
{
	size_t i, count = 0;

	memset(exempt, 0, n);
	for (i = 0; i + 2 < n; i++) {
		/* OID: 06 len bytes..., then 05 00 */
		size_t end = i + 2 + sig[i + 1];

		if (sig[i] == 0x06 && sig[i + 1] < 0x80 && end + 1 < n &&
		    sig[end] == 0x05 && sig[end + 1] == 0x00 && !exempt[end]) {
			exempt[end] = true;
			count++;
		}
	}
	return count;
}

static void sweep_range(struct file *f, enum region r, uint64_t from, uint64_t to,
			uint64_t stride, struct counts *c)
{
	uint64_t pos;

	for (pos = from; pos < to; pos += stride)
		flip(f, r, pos, c);
	/* The last byte of a sampled range too. */
	if (stride > 1 && from < to && (to - 1 - from) % stride)
		flip(f, r, to - 1, c);
}

static int sweep_file(ext2_filsys fs, const char *path)
{
	struct counts c[R_N];
	struct file f;
	struct outcome o;
	struct mbv_tree_spec spec = { 0 };
	uint64_t tree_size, data_end, n, off;
	unsigned int hpb, l, i;
	int r;

	memset(&f, 0, sizeof(f));
	memset(c, 0, sizeof(c));
	f.fs = fs;
	f.path = path;
	f.bs = fs->blocksize;
	if (mbv_ext4_lookup(fs, path, &f.ino, NULL, NULL) ||
	    ext2fs_read_inode_full(fs, f.ino, (struct ext2_inode *)&f.inode, sizeof(f.inode)) ||
	    mbv_ext4_measure(fs, f.ino, &f.info, NULL, NULL)) {
		fprintf(stderr, "FAIL: %s: not a readable verity file\n", path);
		return 1;
	}
	run_verify(&f, &o);
	if (o.err || o.sig_bad) {
		fprintf(stderr, "FAIL: %s: does not verify before the sweep\n", path);
		return 1;
	}
	/* The layout, worked out here rather than taken from the library. */
	f.size = EXT2_I_SIZE(&f.inode);
	f.meta_pos = round_up(f.size, 65536);
	spec.hash_algorithm = f.info.hash_algorithm;
	spec.block_size = f.info.block_size;
	if (mbv_tree_size(&spec, f.size, &tree_size, NULL, NULL) ||
	    tree_size != f.info.tree_size)
		return fprintf(stderr, "FAIL: %s: tree size\n", path), 1;
	f.desc_pos = round_up(f.meta_pos + tree_size, f.bs);
	f.size_pos = round_up(f.desc_pos + MBV_DESCRIPTOR_SIZE + f.info.sig_size + 4, f.bs) - 4;
	if (f.desc_pos != f.info.desc_pos)
		return fprintf(stderr, "FAIL: %s: descriptor position\n", path), 1;
	/* Levels, root first: how many blocks each holds. */
	hpb = f.info.block_size / f.info.digest_size;
	n = (f.size + f.info.block_size - 1) / f.info.block_size;
	while (n > 1 && f.levels < 8) {
		n = (n + hpb - 1) / hpb;
		f.level_blocks[f.levels++] = n;
	}
	for (l = 0; l < f.levels / 2; l++) {
		uint64_t t = f.level_blocks[l];

		f.level_blocks[l] = f.level_blocks[f.levels - 1 - l];
		f.level_blocks[f.levels - 1 - l] = t;
	}
	for (l = 0, off = 0; l < f.levels; l++) {
		f.level_start[l] = off;
		off += f.level_blocks[l] * f.info.block_size;
	}
	if (off != tree_size)
		return fprintf(stderr, "FAIL: %s: level sizes\n", path), 1;

	f.exempt_sig = calloc(f.info.sig_size + 1, 1);
	if (!f.exempt_sig)
		return fprintf(stderr, "FAIL: out of memory\n"), 1;
	if (f.info.sig_size) {
		uint8_t *sig = malloc(f.info.sig_size);
		size_t done = 0;

		if (!sig || mbv_ext4_read_metadata(fs, f.ino, MBV_METADATA_SIGNATURE, 0, sig,
						   f.info.sig_size, &done, NULL, NULL) ||
		    done != f.info.sig_size)
			return fprintf(stderr, "FAIL: %s: cannot read the signature\n", path), 1;
		f.n_exempt_sig = null_param_tags(sig, done, f.exempt_sig);
		free(sig);
	}
	/* Every byte of the tree, descriptor and signature; paddings sampled. */
	sweep_range(&f, R_TREE, f.meta_pos, f.meta_pos + tree_size, TREE_STRIDE, c);
	sweep_range(&f, R_TREE_PAD, f.meta_pos + tree_size, f.desc_pos,
		    (f.desc_pos - f.meta_pos - tree_size) / 64 + 1, c);
	sweep_range(&f, R_DESC, f.desc_pos, f.desc_pos + MBV_DESCRIPTOR_SIZE, 1, c);
	sweep_range(&f, R_SIG, f.desc_pos + MBV_DESCRIPTOR_SIZE,
		    f.desc_pos + MBV_DESCRIPTOR_SIZE + f.info.sig_size, 1, c);
	off = f.desc_pos + MBV_DESCRIPTOR_SIZE + f.info.sig_size;
	sweep_range(&f, R_DESC_PAD, off, f.size_pos, (f.size_pos - off) / 64 + 1, c);
	sweep_range(&f, R_SIZE, f.size_pos, f.size_pos + 4, 1, c);
	/* Data: a byte of each tree-block-sized data block (at most 64 blocks). */
	n = (f.size + f.info.block_size - 1) / f.info.block_size;
	for (i = 0; i < n; i += (unsigned int)(n / 64 + 1)) {
		uint64_t lo = (uint64_t)i * f.info.block_size;
		uint64_t len = f.size - lo < f.info.block_size ? f.size - lo : f.info.block_size;

		flip(&f, R_DATA, lo + (i * 2654435761u) % len, c);
	}
	if (f.size)
		flip(&f, R_DATA, f.size - 1, c);
	/* The zero tail after EOF in the last block: every byte, or 64 spread out. */
	data_end = round_up(f.size, f.bs);
	sweep_range(&f, R_TAIL, f.size, data_end, (data_end - f.size) / 64 + 1, c);

	run_verify(&f, &o);
	if (o.err || o.sig_bad) {
		fprintf(stderr, "FAIL: %s: does not verify after the sweep\n", path);
		return 1;
	}
	printf("%s (%llu bytes, %s, %u-byte tree blocks%s%s):\n", path,
	       (unsigned long long)f.size, mbv_hash_alg_name(f.info.hash_algorithm),
	       f.info.block_size, f.info.salt_size ? ", salted" : "",
	       f.info.sig_size ? ", signed" : "");
	for (r = 0; r < R_N; r++) {
		if (!c[r].flips)
			continue;
		printf("  %-26s %6lu flips %6lu detected %6lu named", region_name[r],
		       c[r].flips, c[r].detected, c[r].named);
		if (c[r].exempt)
			printf("  (+%lu undetectable by design)", c[r].exempt);
		putchar('\n');
		total[r].flips += c[r].flips;
		total[r].detected += c[r].detected;
		total[r].named += c[r].named;
		total[r].exempt += c[r].exempt;
		if (c[r].detected != c[r].flips || c[r].named != c[r].flips)
			failures++;
	}
	if (c[R_SIG].exempt != f.n_exempt_sig) {
		fprintf(stderr, "FAIL: %s: %lu of the %zu NULL parameter tags flipped\n", path,
			c[R_SIG].exempt, f.n_exempt_sig);
		failures++;
	}
	free(f.exempt_sig);
	return 0;
}

int main(int argc, char **argv)
{
	struct struct_ext2_filsys *fs;
	unsigned long flips = 0, detected = 0, named_ = 0;
	int i, r;

	if (argc < 4) {
		fprintf(stderr, "usage: %s IMAGE CERT PATH...\n", argv[0]);
		return 2;
	}
	cert = argv[2];
	/* Each verify allocates and frees a 256 KiB read buffer: keep it off mmap. */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 128 << 20);
	image_fd = open(argv[1], O_RDWR);
	if (image_fd < 0 || mbv_ext4_open(argv[1], 0, &fs, NULL, NULL) ||
	    io_channel_set_options(fs->io, "cache=off")) {
		fprintf(stderr, "FAIL: cannot open %s\n", argv[1]);
		return 1;
	}
	for (i = 3; i < argc; i++)
		failures += sweep_file(fs, argv[i]);
	printf("%s, all files:\n", argv[1]);
	for (r = 0; r < R_N; r++) {
		if (!total[r].flips)
			continue;
		printf("  %-26s %6lu flips %6lu detected %6lu named", region_name[r],
		       total[r].flips, total[r].detected, total[r].named);
		if (total[r].exempt)
			printf("  (+%lu undetectable by design)", total[r].exempt);
		putchar('\n');
		flips += total[r].flips;
		detected += total[r].detected;
		named_ += total[r].named;
	}
	printf("  %-26s %6lu flips %6lu detected %6lu named\n", "total", flips, detected, named_);
	if (mbv_ext4_close(fs, NULL, NULL))
		failures++;
	return failures ? 1 : 0;
}
