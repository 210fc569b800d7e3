/* SPDX-License-Identifier: MIT */
/*
 * Live files through the kernel's fs-verity ioctls (<linux/fsverity.h>).
 * Messages keep fsverity-utils' wording after our "mbverity: " prefix
 * ("FS_IOC_ENABLE_VERITY failed on 'F': strerror"), so scripts that match
 * them keep working; a short reason in parentheses follows for the errors
 * the kernel's fsverity.rst documents.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fsverity.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "live.h"
#include "key_options.h"
#include "messages.h"
#include "out_file.h"
#include "file_tree.h"
#include "signals.h"
#include "options.h"

/* fsverity-utils reads a signature file of up to this many bytes; the kernel judges the rest. */
#define LIVE_MAX_SIG_FILE 1000000
/* fsverity-utils' default read size for dump_metadata. */
#define LIVE_DUMP_CHUNK 32768

bool is_ext4_image(const char *path)
{
	uint8_t magic[2];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	bool yes;

	if (fd < 0)
		return false;
	yes = pread(fd, magic, 2, 1080) == 2 && magic[0] == 0x53 && magic[1] == 0xef;
	close(fd);
	return yes;
}

/* What the errno of a fs-verity ioctl means (fs/verity, Documentation/filesystems/fsverity.rst). */
static const char *ioctl_reason(unsigned long req, int err)
{
	switch (err) {
	case ENOTTY:
		return "this filesystem has no fs-verity";
	case EOPNOTSUPP:
		return "fs-verity is not enabled on this filesystem or not built into the kernel; "
		       "ext4: tune2fs -O verity";
	case ENODATA:
		return req == FS_IOC_READ_VERITY_METADATA ? NULL : "the file does not have fs-verity";
	case EEXIST:
		return "the file already has fs-verity";
	case ETXTBSY:
		return "the file is open for writing";
	case ENOKEY:
		return "the signature's certificate is not in the .fs-verity keyring";
	case EKEYREJECTED:
		return "the signature does not match the file's digest";
	case EBADMSG:
		return "the signature is malformed";
	case EPERM:
		return req == FS_IOC_ENABLE_VERITY ?
		       "the file is append-only or immutable, or signatures are required "
		       "(fs.verity.require_signatures) and none was given" : NULL;
	case EFBIG:
		return "the file is too large for fs-verity";
	case EMSGSIZE:
		return "the salt or the signature is too long";
	case EINVAL:
		return req == FS_IOC_ENABLE_VERITY ?
		       "the kernel or filesystem refuses this hash algorithm, block size or salt, "
		       "or the file is not a regular file" : NULL;
	case ENOPKG:
		return "the kernel lacks this hash algorithm";
	case EROFS:
		return "the filesystem is read-only";
	}
	return NULL;
}

static const char *ioctl_name(unsigned long req)
{
	return req == FS_IOC_ENABLE_VERITY ? "FS_IOC_ENABLE_VERITY" :
	       req == FS_IOC_MEASURE_VERITY ? "FS_IOC_MEASURE_VERITY" :
	       "FS_IOC_READ_VERITY_METADATA";
}

/*
 * "IOCTL failed on 'PATH': strerror (reason)", and when @path holds an ext4
 * image (the old `CMD IMAGE PATH` spelling) the --image form.
 */
static void ioctl_error(unsigned long req, const char *path, int err, const char *why)
{
	const char *reason = why ? why : ioctl_reason(req, err);

	bool image = is_ext4_image(path);

	error_msg("%s failed on '%s': %s%s%s%s%s%s%s", ioctl_name(req), path, strerror(err),
		  reason ? " (" : "", reason ? reason : "", reason ? ")" : "",
		  image ? "; it is an ext4 image: for files inside it, --image=" : "",
		  image ? path : "", image ? " PATH..." : "");
}

static int open_for_reading(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		error_msg("can't open '%s' for reading: %s", path, strerror(errno));
	return fd;
}

static void print_measured(const struct fsverity_digest *d, const char *name)
{
	const char *alg = mbv_hash_alg_name(d->digest_algorithm);

	if (alg)
		printf("%s:", alg);
	else
		printf("ALG_%u:", (unsigned int)d->digest_algorithm);
	print_hex(stdout, d->digest, d->digest_size);
	printf(" %s\n", name);
}

/* A struct fsverity_digest with room for the largest digest. */
struct measured {
	struct fsverity_digest d;
	uint8_t digest[MBV_MAX_DIGEST_SIZE];
};

static int measure_fd(int fd, struct measured *m)
{
	m->d.digest_size = MBV_MAX_DIGEST_SIZE;
	return ioctl(fd, FS_IOC_MEASURE_VERITY, &m->d) == 0 ? 0 : -errno;
}

int live_measure(int n, char **paths)
{
	int i, fd, err;

	for (i = 0; i < n; i++) {
		struct measured m;

		fd = open_for_reading(paths[i]);
		if (fd < 0)
			return 1;
		err = measure_fd(fd, &m);
		close(fd);
		if (err) {
			ioctl_error(FS_IOC_MEASURE_VERITY, paths[i], -err, NULL);
			return 1;
		}
		print_measured(&m.d, paths[i]);
	}
	if (fflush(stdout) != 0) {
		error_msg("cannot write the output: %s", strerror(errno));
		return 1;
	}
	return 0;
}

int live_enable(const char *path, const struct tree_options *t, const char *sig_path,
		const char *key, const char *cert, unsigned int threads)
{
	struct fsverity_enable_arg arg;
	struct mbv_signer *signer = NULL;
	uint8_t *sig = NULL;
	size_t sig_size = 0;
	int fd = -1, err, status = 1;

	if (sig_path) {
		err = read_whole_file(sig_path, LIVE_MAX_SIG_FILE, &sig, &sig_size);
		if (err == -EFBIG) {
			error_msg("signature file '%s' is too large", sig_path);
			return 1;
		}
		if (err) {
			error_msg("can't open '%s' for reading: %s", sig_path, strerror(-err));
			return 1;
		}
		if (!sig_size) {
			error_msg("signature file '%s' is empty", sig_path);
			goto out;
		}
	}
	if (key) {
		/* Sign the digest of the data as it is now; the kernel checks it against the same. */
		struct mbv_pool *pool = NULL;
		struct mbv_tree_result res;

		if (signer_new_or_error(key, cert, &signer) != 0)
			goto out;
		if (mbv_pool_new(threads, &pool) != 0) {
			error_msg("cannot start %u threads", threads);
			goto out;
		}
		err = file_tree(path, t, pool, NULL, NULL, &res);
		mbv_pool_free(pool);
		if (err || sign_digest_or_error(signer, res.hash_algorithm, res.digest, path,
						&sig, &sig_size) != 0)
			goto out;
	}
	fd = open_for_reading(path);
	if (fd < 0)
		goto out;
	memset(&arg, 0, sizeof(arg));
	arg.version = 1;
	arg.hash_algorithm = t->hash_alg;
	arg.block_size = t->block_size;
	arg.salt_size = t->salt_size;
	arg.salt_ptr = (uintptr_t)t->salt;
	arg.sig_size = (uint32_t)sig_size;
	arg.sig_ptr = (uintptr_t)sig;
	if (ioctl(fd, FS_IOC_ENABLE_VERITY, &arg) != 0) {
		ioctl_error(FS_IOC_ENABLE_VERITY, path, errno, NULL);
		goto out;
	}
	status = 0;
out:
	if (fd >= 0 && close(fd) != 0 && !status) {
		error_msg("cannot close '%s': %s", path, strerror(errno));
		status = 1;
	}
	mbv_signer_free(signer);
	free(sig);
	return status;
}

/* One FS_IOC_READ_VERITY_METADATA call: bytes read, or -errno. */
static long read_metadata(int fd, int type, uint64_t offset, void *buf, uint64_t len)
{
	struct fsverity_read_metadata_arg arg;
	int n;

	memset(&arg, 0, sizeof(arg));
	arg.metadata_type = (uint64_t)type;
	arg.offset = offset;
	arg.length = len;
	arg.buf_ptr = (uintptr_t)buf;
	n = ioctl(fd, FS_IOC_READ_VERITY_METADATA, &arg);
	return n < 0 ? -errno : n;
}

/* ENODATA on the signature of a verity file: it has none. */
static void read_metadata_error(int fd, int type, const char *path, int err)
{
	struct measured m;
	const char *why = NULL;

	if (err == ENODATA)
		why = type == MBV_METADATA_SIGNATURE && measure_fd(fd, &m) == 0 ?
		      "the file has no built-in signature" : "the file does not have fs-verity";
	ioctl_error(FS_IOC_READ_VERITY_METADATA, path, err, why);
}

int live_dump_metadata(int type, const char *path, bool ranged, uint64_t offset,
		       uint64_t length)
{
	uint64_t chunk = ranged ? length : LIVE_DUMP_CHUNK;
	uint8_t *buf;
	int fd, status = 1;
	long n;

	/* fsverity-utils allocates the whole --length for its one read; so do we. */
	buf = (size_t)chunk == chunk ? calloc(1, chunk ? (size_t)chunk : 1) : NULL;
	if (!buf) {
		error_msg("out of memory for %llu bytes", (unsigned long long)chunk);
		return 1;
	}
	fd = open_for_reading(path);
	if (fd < 0)
		goto out;
	do {
		n = read_metadata(fd, type, offset, buf, chunk);
		if (n < 0) {
			read_metadata_error(fd, type, path, (int)-n);
			goto out;
		}
		if (n == 0)
			break;
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
			error_msg("cannot write the output: %s", strerror(errno));
			goto out;
		}
		offset += (uint64_t)n;
	} while (!ranged);
	if (fflush(stdout) != 0) {
		error_msg("cannot write the output: %s", strerror(errno));
		goto out;
	}
	status = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return status;
}

/* Reads through the page cache: the kernel verifies each block before it is returned. */
struct live_reader {
	int fd;
	int read_err;	/* the first read error (any thread) */
};

static int pread_live(void *ctx, void *buf, size_t count, uint64_t offset)
{
	struct live_reader *r = ctx;
	uint8_t *p = buf;

	while (count) {
		ssize_t n = pread(r->fd, p, count, (off_t)offset);
		int err;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : EIO;	/* 0: the file shrank */
			__atomic_store_n(&r->read_err, err, __ATOMIC_RELAXED);
			return -err;
		}
		p += n;
		offset += (uint64_t)n;
		count -= (size_t)n;
	}
	return 0;
}

/* The live file's stored signature against --cert, or its presence for --require-signatures. */
static int check_live_signature(int fd, const char *path, const struct measured *m,
				const struct mbv_sig_verifier *v, bool require)
{
	char why[MBV_SIG_ERRBUF_SIZE];
	uint8_t *sig = malloc(MBV_MAX_SIGNATURE_SIZE);
	long n;
	int err = 0;

	if (!sig) {
		error_msg("out of memory");
		return -ENOMEM;
	}
	n = read_metadata(fd, MBV_METADATA_SIGNATURE, 0, sig, MBV_MAX_SIGNATURE_SIZE);
	if (n == -ENODATA) {
		if (require) {
			error_msg("%s: no signature (--require-signatures)", path);
			err = -EPERM;
		}
	} else if (n < 0) {
		read_metadata_error(fd, MBV_METADATA_SIGNATURE, path, (int)-n);
		err = (int)n;
	} else if (v && mbv_sig_verifier_check(v, m->d.digest_algorithm, m->d.digest, sig,
					       (size_t)n, keep_reason, why) != 0) {
		error_msg("%s: bad signature: %s", path, why);
		err = -EKEYREJECTED;
	}
	free(sig);
	return err;
}

/* Parse the kernel's descriptor into tree options; false (printed) if we cannot rebuild it. */
static bool descriptor_options(const uint8_t *desc, const char *path, uint64_t size,
			       struct tree_options *t)
{
	uint64_t data_size = 0;
	int i;

	for (i = 7; i >= 0; i--)
		data_size = data_size << 8 | desc[8 + i];
	if (desc[0] != 1 || !mbv_hash_digest_size(desc[1]) || desc[2] < 10 ||
	    desc[2] > MBV_MAX_BLOCK_SIZE_LOG2 || desc[3] > MBV_MAX_SALT_SIZE) {
		error_msg("%s: the kernel's descriptor has a version %u, hash algorithm %u, "
			  "log2 block size %u or salt size %u this program cannot rebuild",
			  path, desc[0], desc[1], desc[2], desc[3]);
		return false;
	}
	if (data_size != size) {
		error_msg("%s: the descriptor says %llu bytes, the file has %llu", path,
			  (unsigned long long)data_size, (unsigned long long)size);
		return false;
	}
	tree_options_init(t);
	t->hash_alg = desc[1];
	t->block_size = 1u << desc[2];
	t->salt_size = desc[3];
	memcpy(t->salt, desc + 80, t->salt_size);
	return true;
}

static int verify_one(const char *path, struct mbv_pool *pool, const struct mbv_sig_verifier *v,
		      const struct live_verify_options *o)
{
	struct live_reader r = { .fd = -1 };
	struct mbv_tree_params params;
	struct mbv_tree_result res;
	struct tree_options t;
	struct measured m;
	uint8_t desc[MBV_DESCRIPTOR_SIZE];
	struct stat st;
	long n;
	int err, status = 1;

	r.fd = open_for_reading(path);
	if (r.fd < 0)
		return 1;
	if (fstat(r.fd, &st) != 0) {
		error_msg("can't stat file '%s': %s", path, strerror(errno));
		goto out;
	}
	err = measure_fd(r.fd, &m);
	if (err) {
		ioctl_error(FS_IOC_MEASURE_VERITY, path, -err, NULL);
		goto out;
	}
	n = read_metadata(r.fd, MBV_METADATA_DESCRIPTOR, 0, desc, sizeof(desc));
	if (n < 0) {
		read_metadata_error(r.fd, MBV_METADATA_DESCRIPTOR, path, (int)-n);
		goto out;
	}
	if (n != sizeof(desc)) {
		error_msg("%s: the kernel's descriptor is %ld bytes, not %d", path, n,
			  MBV_DESCRIPTOR_SIZE);
		goto out;
	}
	if (!descriptor_options(desc, path, (uint64_t)st.st_size, &t))
		goto out;
	tree_params_from_options(&params, &t, (uint64_t)st.st_size);
	posix_fadvise(r.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	err = mbv_pool_compute_tree(pool, &params, pread_live, &r, &res, NULL, NULL);
	if (err) {
		int rerr = __atomic_load_n(&r.read_err, __ATOMIC_RELAXED);

		if (rerr)
			error_msg("cannot read '%s': %s%s", path, strerror(rerr),
				  rerr == EIO ? " (data that does not match the file's Merkle tree, "
						"or a device error)" : "");
		else
			error_msg("cannot compute the digest of '%s': %s", path, strerror(-err));
		goto out;
	}
	if (res.hash_algorithm != m.d.digest_algorithm || res.digest_size != m.d.digest_size ||
	    memcmp(res.digest, m.d.digest, res.digest_size) != 0) {
		error_msg("%s: the digest of the data read differs from the kernel's", path);
		goto out;
	}
	if ((v || o->require_signatures) &&
	    check_live_signature(r.fd, path, &m, v, o->require_signatures) != 0)
		goto out;
	if (!o->quiet) {
		printf("ok ");
		print_measured(&m.d, path);
	}
	status = 0;
out:
	close(r.fd);
	return status;
}

int live_verify(int n, char **paths, const struct live_verify_options *o)
{
	struct mbv_sig_verifier *v = NULL;
	struct mbv_pool *pool = NULL;
	int i, status = 0;

	if (o->cert) {
		char why[MBV_SIG_ERRBUF_SIZE];

		if (mbv_sig_verifier_new(o->cert, &v, keep_reason, why) != 0) {
			error_msg("%s", why);
			return 1;
		}
	}
	if (mbv_pool_new(o->threads, &pool) != 0) {
		error_msg("cannot start %u threads", o->threads);
		mbv_sig_verifier_free(v);
		return 1;
	}
	for (i = 0; i < n && !stop_requested(); i++)
		if (verify_one(paths[i], pool, v, o) != 0)
			status = 1;
	mbv_pool_free(pool);
	mbv_sig_verifier_free(v);
	if (fflush(stdout) != 0) {
		error_msg("cannot write the output: %s", strerror(errno));
		status = 1;
	}
	return status;
}
