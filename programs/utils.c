/* SPDX-License-Identifier: MIT */
/* Helpers shared by the mbverity subcommands. */
#include <errno.h>
#include <fnmatch.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "utils.h"
#include "progress.h"

void error_msg(const char *fmt, ...)
{
	va_list ap;

	progress_clear();
	fflush(stdout);		/* results before this message, also when both go to one file */
	flockfile(stderr);	/* one whole line, even from several threads */
	fputs("mbverity: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}

int usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fputs("mbverity: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s\n", usage);
	return 2;
}

void tree_options_init(struct tree_options *t)
{
	memset(t, 0, sizeof(*t));
	t->hash_alg = MBV_HASH_ALG_SHA256;
	t->block_size = 4096;
}

bool parse_u64(const char *arg, uint64_t *v)
{
	char *end;

	if (!*arg || *arg == '-')
		return false;
	errno = 0;
	*v = strtoull(arg, &end, 10);
	return !errno && !*end;
}

uint64_t source_date_epoch(void)
{
	const char *env = getenv("SOURCE_DATE_EPOCH");
	uint64_t v;

	if (!env || !*env)
		return 0;
	if (!parse_u64(env, &v)) {
		error_msg("ignoring SOURCE_DATE_EPOCH='%s': not a number of seconds", env);
		return 0;
	}
	return v;
}

bool parse_threads(const char *arg, unsigned int *threads)
{
	uint64_t v;

	if (!parse_u64(arg, &v) || v > 1024) {
		error_msg("invalid thread count '%s': 0 (all CPUs) to 1024", arg);
		return false;
	}
	*threads = (unsigned int)v;
	return true;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool parse_tree_option(struct tree_options *t, int opt, const char *arg)
{
	uint64_t v;
	size_t i, n;

	switch (opt) {
	case OPT_HASH_ALG:
		t->hash_alg = mbv_hash_alg_by_name(arg);
		if (!t->hash_alg) {
			error_msg("unknown hash algorithm '%s' (known: sha256 sha512)", arg);
			return false;
		}
		return true;
	case OPT_BLOCK_SIZE:
		if (!parse_u64(arg, &v) || v == 0 || (v & (v - 1)) ||
		    v > (1u << MBV_MAX_BLOCK_SIZE_LOG2)) {
			error_msg("invalid block size '%s': must be a power of 2 up to %u",
				  arg, 1u << MBV_MAX_BLOCK_SIZE_LOG2);
			return false;
		}
		t->block_size = (uint32_t)v;
		return true;
	case OPT_SALT:
		n = strlen(arg);
		if (n % 2) {
			error_msg("invalid salt '%s': odd number of hex digits", arg);
			return false;
		}
		if (n / 2 > MBV_MAX_SALT_SIZE) {
			error_msg("invalid salt: %zu bytes, at most %d allowed", n / 2,
				  MBV_MAX_SALT_SIZE);
			return false;
		}
		for (i = 0; i < n / 2; i++) {
			int hi = hex_value(arg[2 * i]), lo = hex_value(arg[2 * i + 1]);

			if (hi < 0 || lo < 0) {
				error_msg("invalid salt '%s': not a hex string", arg);
				return false;
			}
			t->salt[i] = (uint8_t)(hi << 4 | lo);
		}
		t->salt_size = (uint32_t)(n / 2);
		return true;
	}
	return false;
}

int check_tree_options(const struct tree_options *t)
{
	unsigned int ds = mbv_hash_digest_size(t->hash_alg);

	if (t->block_size < 2 * ds) {
		error_msg("invalid block size %u: %s needs at least %u", t->block_size,
			  mbv_hash_alg_name(t->hash_alg), 2 * ds);
		return -EINVAL;
	}
	return 0;
}

void tree_params_from_options(struct mbv_tree_params *p,
			      const struct tree_options *t, uint64_t file_size)
{
	memset(p, 0, sizeof(*p));
	p->version = 1;
	p->hash_algorithm = t->hash_alg;
	p->block_size = t->block_size;
	p->salt_size = t->salt_size;
	p->salt = t->salt;
	p->file_size = file_size;
}

void print_hex(FILE *f, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

void print_digest_line(uint32_t hash_alg, const uint8_t *digest, const char *name)
{
	printf("%s:", mbv_hash_alg_name(hash_alg));
	print_hex(stdout, digest, mbv_hash_digest_size(hash_alg));
	printf(" %s\n", name);
}

int out_file_open(struct out_file *o, const char *path)
{
	size_t n = strlen(path);

	o->path = strdup(path);
	o->tmp_path = malloc(n + 16);
	if (!o->path || !o->tmp_path) {
		free(o->path);
		free(o->tmp_path);
		return -ENOMEM;
	}
	snprintf(o->tmp_path, n + 16, "%s.tmp.XXXXXX", path);
	o->fd = mkstemp(o->tmp_path);
	if (o->fd < 0) {
		int err = -errno;

		free(o->path);
		free(o->tmp_path);
		return err;
	}
	return 0;
}

static int write_all_at(int fd, const void *buf, size_t n, off_t off)
{
	const uint8_t *p = buf;

	while (n) {
		ssize_t r = pwrite(fd, p, n, off);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

int out_file_write(struct out_file *o, const void *buf, size_t n)
{
	off_t end = lseek(o->fd, 0, SEEK_END);

	if (end < 0)
		return -errno;
	return write_all_at(o->fd, buf, n, end);
}

int tree_block_to_file(void *ctx, const void *block, size_t size, uint64_t offset)
{
	struct out_file *o = ctx;

	return write_all_at(o->fd, block, size, (off_t)offset);
}

int set_default_mode(int fd)
{
	mode_t m = umask(0);

	umask(m);
	return fchmod(fd, 0666 & ~m) ? -errno : 0;
}

int out_file_close(struct out_file *o, bool ok)
{
	int err = 0;

	if (ok)
		err = set_default_mode(o->fd);
	if (close(o->fd) != 0 && !err)
		err = -errno;
	if (ok && !err && rename(o->tmp_path, o->path) != 0)
		err = -errno;
	if (!ok || err)
		unlink(o->tmp_path);
	free(o->path);
	free(o->tmp_path);
	return err;
}

int read_whole_file(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	struct stat st;
	uint8_t *p;
	size_t done = 0;
	int fd, err = 0;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		err = -EFBIG;
		goto out;
	}
	p = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!p) {
		err = -ENOMEM;
		goto out;
	}
	while (done < (size_t)st.st_size) {
		ssize_t r = read(fd, p + done, (size_t)st.st_size - done);

		if (r <= 0) {
			err = r < 0 ? -errno : -EIO;
			free(p);
			goto out;
		}
		done += (size_t)r;
	}
	*buf = p;
	*len = done;
out:
	close(fd);
	return err;
}

bool selection_add(struct file_selection *sel, bool include, const char *glob)
{
	const char ***list = include ? &sel->include : &sel->exclude;
	size_t *n = include ? &sel->n_include : &sel->n_exclude;
	const char **grown = realloc(*list, (*n + 1) * sizeof(**list));

	if (!grown) {
		error_msg("out of memory");
		return false;
	}
	grown[(*n)++] = glob;
	*list = grown;
	return true;
}

/* fnmatch without FNM_PATHNAME: '*' also matches '/', so '*.so' works anywhere. */
static bool any_match(const char *const *globs, size_t n, const char *path)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fnmatch(globs[i], path, 0) == 0)
			return true;
	return false;
}

bool selection_match(const struct file_selection *sel, const char *path)
{
	if (sel->n_include && !any_match(sel->include, sel->n_include, path))
		return false;
	return !any_match(sel->exclude, sel->n_exclude, path);
}

void selection_free(struct file_selection *sel)
{
	free(sel->include);
	free(sel->exclude);
	sel->include = sel->exclude = NULL;
	sel->n_include = sel->n_exclude = 0;
}
