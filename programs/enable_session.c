/* SPDX-License-Identifier: MIT */
/* Enabling fs-verity on many files of one image: shared by enable --all and mkfs. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* The pool's progress: bytes of the file being enabled, each counted once. */
static void count_hashed(void *ctx, uint64_t bytes)
{
	struct enable_session *s = ctx;
	uint64_t n = s->cur_size - s->cur_counted < bytes ? s->cur_size - s->cur_counted : bytes;

	s->cur_counted += n;
	progress_add_bytes(n);
}

int enable_session_open(struct enable_session *s, const char *path, const char *image,
			const struct tree_options *tree, const char *key,
			const char *cert, unsigned int threads, bool quiet,
			uint64_t timestamp)
{
	struct image_msg m = { image, NULL };
	int err;

	memset(s, 0, sizeof(*s));
	s->image_fd = -1;
	s->image = image;
	s->tree = tree;
	s->quiet = quiet;
	if (key) {
		/* Loaded once for every file and thread (and checked before the image is touched). */
		err = signer_new_or_error(key, cert, &s->signer);
		if (err)
			return err;
	}
	err = mbv_pool_new(threads, &s->pool);
	if (!err)
		mbv_pool_set_progress(s->pool, count_hashed, s);
	if (err) {
		error_msg("cannot start %u threads: %s", threads, strerror(-err));
		mbv_signer_free(s->signer);
		s->signer = NULL;
		return err;
	}
	err = mbv_ext4_open(path, 1, &s->fs, image_error, &m);
	/* A block in use but marked free in the bitmap could be handed out again. */
	if (!err && (err = mbv_ext4_check_bitmaps(s->fs, image_error, &m)) != 0) {
		mbv_ext4_close(s->fs, NULL, NULL);
		s->fs = NULL;
	}
	if (err) {
		mbv_pool_free(s->pool);
		mbv_signer_free(s->signer);
		s->pool = NULL;
		s->signer = NULL;
		return err;
	}
	/* libext2fs stamps the superblock with fs->now when it is set. */
	if (timestamp)
		s->fs->now = (time_t)timestamp;
	/* For hashing ahead in other threads; without it, files are hashed at enable. */
	s->image_fd = open(path, O_RDONLY | O_CLOEXEC);
	return 0;
}

int hash_first(ext2_filsys fs, int image_fd, const struct mbv_ext4_enable_params *p,
	       ext2_ino_t ino, struct image_msg *m, const char *why,
	       struct mbv_ext4_detached **d, struct mbv_tree_result *res)
{
	char msg[512];
	int err;

	if (mbv_ext4_detach(fs, ino, image_fd, d, image_error, m) != 0)
		return 1;
	err = mbv_ext4_detached_hash(*d, p, res, NULL, NULL);
	if (err) {
		snprintf(msg, sizeof(msg), "cannot hash the file %s: %s", why, strerror(-err));
		image_error(m, msg);
		return 1;
	}
	return 0;
}

/* The tree parameters and flags every file of the session gets. */
static void enable_params_of(const struct enable_session *s, struct mbv_ext4_enable_params *p)
{
	memset(p, 0, sizeof(*p));
	p->version = MBV_EXT4_ENABLE_PARAMS_VERSION;
	tree_spec_from_options(&p->spec, s->tree);
	p->pool = s->pool;
	p->flags = s->batch ? MBV_EXT4_ENABLE_BATCH : 0;
}

/*
 * Enable one file, signing its digest first when a key is given, unless
 * @prehashed brings its tree (and @ahead_sig its signature) from the pipeline.
 */
static int enable_one(struct enable_session *s, const struct image_file *f,
		      const struct mbv_ext4_detached *prehashed, const uint8_t *ahead_sig,
		      size_t ahead_sig_size, struct mbv_tree_result *res)
{
	struct image_msg m = { s->image, f->path };
	struct mbv_ext4_enable_params p;
	struct mbv_ext4_detached *own = NULL;
	uint8_t *sig = NULL;
	size_t sig_size = 0;
	int err;

	enable_params_of(s, &p);
	p.prehashed = prehashed;
	p.signature = ahead_sig;
	p.sig_size = (uint32_t)ahead_sig_size;
	if (s->signer && !prehashed) {
		/*
		 * The signature's size fixes the layout, so the digest comes
		 * first: a large file is hashed once through the pool, its tree
		 * kept for enable (read through libext2fs without an image fd).
		 */
		err = hash_first(s->fs, s->image_fd, &p, f->ino, &m, "to sign it", &own, res) ?
		      -EIO : 0;
		p.prehashed = own;
		if (!err)
			err = sign_digest_or_error(s->signer, res->hash_algorithm, res->digest,
						   f->path, &sig, &sig_size);
		if (err) {
			mbv_ext4_detached_free(own);
			return err;
		}
		p.signature = sig;
		p.sig_size = (uint32_t)sig_size;
	}
	err = mbv_ext4_enable(s->fs, f->ino, &p, res, image_error, &m);
	mbv_ext4_detached_free(own);
	free(sig);
	return err;
}

/*
 * A file that has fs-verity already is left as it is (its stored digest goes
 * to the manifest), so that enable --all can run again on the same image.
 */
static bool already_verity(struct enable_session *s, const struct image_file *f,
			   struct mbv_tree_result *res)
{
	struct mbv_ext4_verity_info info;

	if (mbv_ext4_measure(s->fs, f->ino, &info, NULL, NULL) != 0)
		return false;	/* not verity, or broken: enable says which */
	memset(res, 0, sizeof(*res));
	res->hash_algorithm = info.hash_algorithm;
	res->digest_size = info.digest_size;
	memcpy(res->digest, info.digest, info.digest_size);
	return true;
}

/*
 * The pipeline: libext2fs stays in the calling thread, which looks up the
 * next files' extents and enables files in path order, while every thread
 * reads, hashes and signs small files ahead straight from the image.
 * Large files are split across the pool at enable instead.
 */
struct ahead {
	const struct image_file *file;
	bool skip;			/* already verity: res is its stored digest */
	bool other_name;		/* a hard link to a file queued before */
	const char *refused;		/* why the kernel would refuse it: skipped */
	struct mbv_ext4_detached *d;	/* NULL: hashed at enable */
	int sig_err;
	char sig_why[MBV_SIG_ERRBUF_SIZE];
	uint8_t *sig;
	size_t sig_size;
	struct mbv_tree_result res;
};

/* Hash and sign one file ahead (no libext2fs: any thread). */
static void do_ahead(void *ctx, void *item)
{
	struct enable_session *s = ctx;
	struct ahead *a = item;
	struct mbv_ext4_enable_params p;

	enable_params_of(s, &p);
	p.pool = NULL;	/* many of these run at once, in the pool's own threads */
	if (mbv_ext4_detached_hash(a->d, &p, &a->res, NULL, NULL) != 0) {
		/* enable reads it through libext2fs again, and says what is wrong */
		mbv_ext4_detached_free(a->d);
		a->d = NULL;
		return;
	}
	if (s->signer)
		a->sig_err = mbv_signer_sign(s->signer, a->res.hash_algorithm, a->res.digest,
					     &a->sig, &a->sig_size, keep_reason, a->sig_why);
}

/*
 * Why FS_IOC_ENABLE_VERITY would refuse the file (from the flags it had when
 * listed), or NULL.  enable --all and mkfs skip such files and go on.
 * Inline data is not converted: ext2fs_inline_data_expand() writes the
 * inode without its data before the data block, so a kill in between
 * would lose the file.
 */
static const char *refusal(const struct image_file *f)
{
	if (f->flags & EXT2_IMMUTABLE_FL)
		return "file is immutable";
	if (f->flags & EXT2_APPEND_FL)
		return "file is append-only";
	if (f->flags & EXT4_INLINE_DATA_FL)
		return "file has inline data (not converted to extents offline)";
	if (f->flags & EXT4_ENCRYPT_FL)
		return "file is encrypted";
	if (!(f->flags & EXT4_EXTENTS_FL))
		return "file is block-mapped (no extents)";
	return NULL;
}

/* Queue file @f (caller's thread: libext2fs).  Return: whether it has work to do ahead. */
static bool fill_one(struct enable_session *s, struct ahead *a, const struct image_file *f,
		     bool other_name)
{
	a->file = f;
	a->other_name = other_name;
	if (other_name)
		return false;	/* its first name does the work */
	a->skip = already_verity(s, f, &a->res);
	if (!a->skip)
		a->refused = refusal(f);
	/* Errors stay quiet here: enable reports them for this file in order. */
	if (!a->skip && !a->refused && s->image_fd >= 0 && f->size <= AHEAD_MAX_FILE_BYTES &&
	    mbv_ext4_detach(s->fs, f->ino, s->image_fd, &a->d, NULL, NULL) != 0)
		a->d = NULL;
	return a->d != NULL;
}

static void drop_ahead(void *item)
{
	struct ahead *a = item;

	mbv_ext4_detached_free(a->d);
	free(a->sig);
	a->d = NULL;
	a->sig = NULL;
}

/* The name as sha256sum prints it: \\, \n and \r escaped when @escape. */
static int write_name(struct out_file *manifest, const char *path, bool escape)
{
	const char *p = path, *q;
	int err = 0;

	if (!escape)
		return out_file_write(manifest, path, strlen(path));
	while (!err && *p) {
		for (q = p; *q && *q != '\\' && *q != '\n' && *q != '\r'; q++)
			;
		err = out_file_write(manifest, p, (size_t)(q - p));
		if (!err && *q)
			err = out_file_write(manifest, *q == '\\' ? "\\\\" :
						       *q == '\n' ? "\\n" : "\\r", 2);
		p = *q ? q + 1 : q;
	}
	return err;
}

/*
 * "sha256:HEX /path", or "\\sha256:HEX /pa\\nth" when the name has a
 * backslash, newline or carriage return: sha256sum's escaping, so that
 * no name can split a line or pass for another.
 */
static int write_manifest_line(struct out_file *manifest, const struct mbv_tree_result *res,
			       const char *path)
{
	bool escape_name = strpbrk(path, "\\\n\r") != NULL;
	char line[2 * MBV_MAX_DIGEST_SIZE + 16];
	size_t n = (size_t)snprintf(line, sizeof(line), "%s:",
				    mbv_hash_alg_name(res->hash_algorithm));
	size_t j;
	int err;

	for (j = 0; j < res->digest_size; j++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%02x", res->digest[j]);
	err = escape_name ? out_file_write(manifest, "\\", 1) : 0;
	if (!err)
		err = out_file_write(manifest, line, n);
	if (!err)
		err = out_file_write(manifest, " ", 1);
	if (!err)
		err = write_name(manifest, path, escape_name);
	if (!err)
		err = out_file_write(manifest, "\n", 1);
	if (err)
		error_msg("cannot write the manifest: %s", strerror(-err));
	return err;
}

/* Enable the file at the head of the pipeline, its work ahead done. */
static int enable_head(struct enable_session *s, struct ahead *a, struct out_file *manifest)
{
	int err = 0;

	if (a->other_name) {
		/* Listed under this name too once its first name has fs-verity. */
		if (!already_verity(s, a->file, &a->res))
			return 0;
		return manifest ? write_manifest_line(manifest, &a->res, a->file->path) : 0;
	}
	if (a->refused) {
		error_msg("%s: %s: skipped: %s", s->image, a->file->path, a->refused);
		s->n_skipped++;
		progress_add_file();
		return 0;
	}
	if (a->sig_err) {
		error_msg("cannot sign '%s': %s", a->file->path, a->sig_why);
		err = a->sig_err;
	} else if (!a->skip) {
		/* A large file is hashed now, through the pool, which counts its bytes. */
		s->cur_size = a->file->size;
		s->cur_counted = 0;
		err = enable_one(s, a->file, a->d, a->sig, a->sig_size, &a->res);
	}
	drop_ahead(a);
	if (err)
		return err;
	if (a->skip) {
		s->n_already++;
	} else {
		s->n_enabled++;
		s->n_bytes += a->file->size;
	}
	progress_add_bytes(a->file->size - (a->skip ? 0 : s->cur_counted));
	s->cur_size = s->cur_counted = 0;
	progress_add_file();
	return manifest ? write_manifest_line(manifest, &a->res, a->file->path) : 0;
}

/*
 * other[i]: file i is another name of a file selected before it (the first
 * selected name does the work).  Return: the array (malloc'ed), or NULL.
 */
static bool *other_names(const struct image_file *files, size_t count,
			 const struct file_selection *sel)
{
	bool *other = calloc(count ? count : 1, sizeof(*other));
	size_t *first_selected = malloc((count ? count : 1) * sizeof(*first_selected));
	size_t i;

	if (!other || !first_selected) {
		free(other);
		free(first_selected);
		return NULL;
	}
	for (i = 0; i < count; i++)
		first_selected[i] = SIZE_MAX;
	for (i = 0; i < count; i++) {
		size_t root = files[i].first_name != SIZE_MAX ? files[i].first_name : i;

		if (!selection_match(sel, files[i].path))
			continue;
		if (first_selected[root] == SIZE_MAX)
			first_selected[root] = i;
		else
			other[i] = true;
	}
	free(first_selected);
	return other;
}

int enable_session_all(struct enable_session *s, const struct file_selection *sel,
		       struct out_file *manifest, uint64_t *nfiles)
{
	struct image_file *files;
	struct mbv_queue *q = NULL;
	struct ahead *a;
	size_t count, next;
	uint64_t total = 0, selected = 0;
	bool *other;
	int err;

	*nfiles = 0;
	s->n_enabled = s->n_already = s->n_skipped = s->n_bytes = 0;
	s->start = monotonic_seconds();
	err = image_list_files(s->fs, s->image, &files, &count);
	if (err)
		return err;
	other = other_names(files, count, sel);
	if (!other || mbv_queue_new(s->pool, AHEAD_FILES, sizeof(struct ahead), do_ahead, s,
				    &q) != 0) {
		free(other);
		image_files_free(files, count);
		error_msg("out of memory");
		return -ENOMEM;
	}
	for (next = 0; next < count; next++) {
		if (!other[next] && selection_match(sel, files[next].path)) {
			total += files[next].size;
			selected++;
		}
	}
	progress_start(total, selected, s->quiet);
	next = 0;
	while (!err) {
		/* Top up the pipeline, then enable the oldest file. */
		while (next < count && (a = mbv_queue_slot(q)) != NULL) {
			const struct image_file *f = &files[next];

			if (selection_match(sel, f->path))
				mbv_queue_push(q, fill_one(s, a, f, other[next]));
			next++;
		}
		a = mbv_queue_head(q);
		if (!a)
			break;
		if (stop_requested()) {
			/* A safe point: every file so far done, the rest untouched. */
			error_msg("%s: stopped by %s before %s: %llu files enabled, the others as they were",
				  s->image, signal_name(stop_requested()), a->file->path,
				  (unsigned long long)s->n_enabled);
			err = -EINTR;
			break;
		}
		err = enable_head(s, a, manifest);
		mbv_queue_pop(q);
	}
	mbv_queue_free(q, drop_ahead);
	progress_end();
	image_files_free(files, count);
	free(other);
	*nfiles = s->n_enabled + s->n_already;
	return err;
}

int enable_session_close(struct enable_session *s, int err)
{
	struct image_msg m = { s->image, NULL };
	int close_err = s->fs ? mbv_ext4_close(s->fs, image_error, &m) : 0;

	mbv_pool_free(s->pool);
	mbv_signer_free(s->signer);
	s->signer = NULL;
	if (s->image_fd >= 0)
		close(s->image_fd);
	s->fs = NULL;
	s->pool = NULL;
	s->image_fd = -1;
	return err ? err : close_err;
}
