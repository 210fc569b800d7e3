/* SPDX-License-Identifier: MIT */
/* Enabling fs-verity on many files of one image: shared by enable --all and mkfs. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <et/com_err.h>

#include "commands.h"
#include "enable_session.h"
#include "image_walk.h"
#include "progress.h"

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
	if (err) {
		error_msg("cannot start %u threads: %s", threads, strerror(-err));
		mbv_signer_free(s->signer);
		s->signer = NULL;
		return err;
	}
	err = mbv_ext4_open(path, 1, &s->fs, image_error, &m);
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

struct ext2_reader {
	ext2_file_t file;
	errcode_t err;
};

static int read_ext2_file(void *ctx, void *buf, size_t count)
{
	struct ext2_reader *r = ctx;
	uint8_t *p = buf;

	while (count) {
		unsigned int got = 0;
		unsigned int want = count > (1u << 30) ? 1u << 30 : (unsigned int)count;

		r->err = ext2fs_file_read(r->file, p, want, &got);
		if (r->err || got == 0)
			return -EIO;
		p += got;
		count -= got;
	}
	return 0;
}

/* The digest a file will have, read through libext2fs (for signing before enabling). */
static int image_file_digest(struct enable_session *s, const struct image_file *f,
			     struct mbv_tree_result *res)
{
	struct mbv_tree_params params;
	struct ext2_reader r = { 0 };
	errcode_t e;
	int err;

	e = ext2fs_file_open(s->fs, f->ino, 0, &r.file);
	if (e) {
		error_msg("%s: %s: cannot open: %s", s->image, f->path, error_message(e));
		return -EIO;
	}
	tree_params_from_options(&params, s->tree, ext2fs_file_get_size(r.file));
	err = mbv_compute_tree(&params, read_ext2_file, &r, res);
	if (err)
		error_msg("%s: %s: cannot read the data: %s", s->image, f->path,
			  r.err ? error_message(r.err) : strerror(-err));
	ext2fs_file_close(r.file);
	return err;
}

int image_file_digest_of(ext2_filsys fs, const char *image, const struct tree_options *tree,
			 ext2_ino_t ino, const char *path, struct mbv_tree_result *res)
{
	struct enable_session s = { .fs = fs, .image = image, .tree = tree };
	struct image_file f = { .path = (char *)path, .ino = ino };

	return image_file_digest(&s, &f, res);
}

/*
 * Enable one file, signing its digest first when a key is given, unless
 * @ph brings its tree (and @sig its signature) from the pipeline.
 */
static int enable_one(struct enable_session *s, const struct image_file *f,
		      const struct mbv_ext4_prehash *ph, const uint8_t *ahead_sig,
		      size_t ahead_sig_size, struct mbv_tree_result *res)
{
	struct image_msg m = { s->image, f->path };
	struct mbv_ext4_enable_params p = {
		.version = 1,
		.hash_algorithm = s->tree->hash_alg,
		.block_size = s->tree->block_size,
		.salt_size = s->tree->salt_size,
		.salt = s->tree->salt,
		.pool = s->pool,
		.flags = s->batch ? MBV_EXT4_ENABLE_BATCH : 0,
		.prehash = ph,
		.signature = ahead_sig,
		.sig_size = (uint32_t)ahead_sig_size,
	};
	uint8_t *sig = NULL;
	size_t sig_size = 0;
	int err;

	if (s->signer && !ph) {
		/* The signature's size fixes the layout, so the digest comes first. */
		err = image_file_digest(s, f, res);
		if (!err)
			err = sign_digest_or_error(s->signer, res->hash_algorithm, res->digest,
						   f->path, &sig, &sig_size);
		if (err)
			return err;
		p.signature = sig;
		p.sig_size = (uint32_t)sig_size;
	}
	err = mbv_ext4_enable(s->fs, f->ino, &p, res, image_error, &m);
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
 * (the caller too, when it would wait) reads, hashes and signs small files
 * ahead straight from the image.  Large files are split across the pool at
 * enable instead.
 */
#define AHEAD_MAX_BYTES (4u << 20)	/* larger files: hashed at enable, by the pool */
#define AHEAD_FILES 64			/* files in flight: trees of at most 32 KiB each */

struct ahead {
	const struct image_file *file;
	bool skip;			/* already verity: res is its stored digest */
	struct mbv_ext4_prehash *ph;	/* NULL: nothing to do ahead */
	bool done;			/* ph is built and signed, or failed */
	int sig_err;
	char sig_why[MBV_SIG_ERRBUF_SIZE];
	uint8_t *sig;
	size_t sig_size;
	struct mbv_tree_result res;
};

struct pipeline {
	struct enable_session *s;
	struct ahead ring[AHEAD_FILES];
	size_t head, tail, next_take;	/* enabled < head <= next_take <= tail filled */
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	unsigned int workers_waiting;
	bool caller_waiting, stop;
};

/* Hash and sign one file ahead (no libext2fs: any thread). */
static void do_ahead(struct pipeline *pl, struct ahead *a)
{
	struct enable_session *s = pl->s;

	if (mbv_ext4_prehash_run(a->ph, &a->res) != 0) {
		/* enable reads it through libext2fs again, and says what is wrong */
		mbv_ext4_prehash_free(a->ph);
		a->ph = NULL;
		return;
	}
	if (s->signer)
		a->sig_err = mbv_signer_sign(s->signer, a->res.hash_algorithm, a->res.digest,
					     &a->sig, &a->sig_size, a->sig_why, sizeof(a->sig_why));
}

/* The next file to hash ahead, or NULL; called locked. */
static struct ahead *take_ahead(struct pipeline *pl)
{
	while (pl->next_take < pl->tail) {
		struct ahead *a = &pl->ring[pl->next_take++ % AHEAD_FILES];

		if (a->ph)
			return a;
	}
	return NULL;
}

/* Work on @a unlocked; called and returns locked. */
static void run_ahead(struct pipeline *pl, struct ahead *a)
{
	pthread_mutex_unlock(&pl->lock);
	do_ahead(pl, a);
	pthread_mutex_lock(&pl->lock);
	a->done = true;
}

static void *ahead_worker(void *arg)
{
	struct pipeline *pl = arg;

	pthread_mutex_lock(&pl->lock);
	while (!pl->stop) {
		struct ahead *a = take_ahead(pl);

		if (!a) {
			pl->workers_waiting++;
			pthread_cond_wait(&pl->work, &pl->lock);
			pl->workers_waiting--;
			continue;
		}
		run_ahead(pl, a);
		/* Wake-ups cost an inter-processor interrupt: only for a sleeper. */
		if (pl->caller_waiting)
			pthread_cond_signal(&pl->done);
	}
	pthread_mutex_unlock(&pl->lock);
	return NULL;
}

/* Put file @f in the pipeline (caller's thread: libext2fs).  Called unlocked. */
static void fill_one(struct pipeline *pl, struct ahead *a, const struct image_file *f)
{
	struct enable_session *s = pl->s;
	struct mbv_ext4_enable_params p = {
		.version = 1,
		.hash_algorithm = s->tree->hash_alg,
		.block_size = s->tree->block_size,
		.salt_size = s->tree->salt_size,
		.salt = s->tree->salt,
	};

	memset(a, 0, sizeof(*a));
	a->file = f;
	a->skip = already_verity(s, f, &a->res);
	/* Errors stay quiet here: enable reports them for this file in order. */
	if (!a->skip && s->image_fd >= 0 && f->size <= AHEAD_MAX_BYTES &&
	    mbv_ext4_prehash_new(s->fs, f->ino, &p, s->image_fd, &a->ph, NULL, NULL) != 0)
		a->ph = NULL;
	a->done = !a->ph;
}

static void drop_ahead(struct ahead *a)
{
	mbv_ext4_prehash_free(a->ph);
	free(a->sig);
	a->ph = NULL;
	a->sig = NULL;
}

static int write_manifest_line(struct out_file *manifest, const struct mbv_tree_result *res,
			       const char *path)
{
	char line[2 * MBV_MAX_DIGEST_SIZE + 16];
	size_t n = (size_t)snprintf(line, sizeof(line), "%s:",
				    mbv_hash_alg_name(res->hash_algorithm));
	size_t j;
	int err;

	for (j = 0; j < res->digest_size; j++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%02x", res->digest[j]);
	err = out_file_write(manifest, line, n);
	if (!err)
		err = out_file_write(manifest, " ", 1);
	if (!err)
		err = out_file_write(manifest, path, strlen(path));
	if (!err)
		err = out_file_write(manifest, "\n", 1);
	if (err)
		error_msg("cannot write the manifest: %s", strerror(-err));
	return err;
}

/* Enable the file at the head of the pipeline (done ahead); called unlocked. */
static int enable_head(struct pipeline *pl, struct ahead *a, struct out_file *manifest)
{
	struct enable_session *s = pl->s;
	int err = 0;

	if (a->sig_err) {
		error_msg("cannot sign '%s': %s", a->file->path, a->sig_why);
		err = a->sig_err;
	} else if (!a->skip) {
		err = enable_one(s, a->file, a->ph, a->sig, a->sig_size, &a->res);
	}
	drop_ahead(a);
	if (err)
		return err;
	progress_add_bytes(a->file->size);
	progress_add_file();
	return manifest ? write_manifest_line(manifest, &a->res, a->file->path) : 0;
}

int enable_session_all(struct enable_session *s, const struct file_selection *sel,
		       struct out_file *manifest, uint64_t *nfiles)
{
	struct image_file *files;
	struct pipeline *pl;
	pthread_t tid[64];
	unsigned int nworkers = mbv_pool_threads(s->pool) - 1, started = 0, k;
	size_t count, next = 0;
	uint64_t total = 0, selected = 0;
	int err;

	*nfiles = 0;
	err = image_list_files(s->fs, s->image, &files, &count);
	if (err)
		return err;
	pl = calloc(1, sizeof(*pl));
	if (!pl) {
		image_files_free(files, count);
		error_msg("out of memory");
		return -ENOMEM;
	}
	pl->s = s;
	pthread_mutex_init(&pl->lock, NULL);
	pthread_cond_init(&pl->work, NULL);
	pthread_cond_init(&pl->done, NULL);
	for (next = 0; next < count; next++) {
		if (selection_match(sel, files[next].path)) {
			total += files[next].size;
			selected++;
		}
	}
	if (nworkers > 64)
		nworkers = 64;
	for (k = 0; k < nworkers; k++)
		if (pthread_create(&tid[started], NULL, ahead_worker, pl) == 0)
			started++;
	progress_start(total, selected, s->quiet);

	next = 0;
	pthread_mutex_lock(&pl->lock);
	while (!err) {
		struct ahead *a;
		bool filled = false;

		/* Top up the pipeline (libext2fs calls, so unlocked only from here). */
		while (pl->tail - pl->head < AHEAD_FILES && next < count) {
			const struct image_file *f = &files[next++];

			if (!selection_match(sel, f->path))
				continue;
			pthread_mutex_unlock(&pl->lock);
			fill_one(pl, &pl->ring[pl->tail % AHEAD_FILES], f);
			pthread_mutex_lock(&pl->lock);
			pl->tail++;
			filled = true;
		}
		if (filled && pl->workers_waiting)
			pthread_cond_broadcast(&pl->work);
		if (pl->head == pl->tail)
			break;	/* all done */
		a = &pl->ring[pl->head % AHEAD_FILES];
		if (!a->done) {
			struct ahead *mine = take_ahead(pl);

			if (mine) {
				run_ahead(pl, mine);
			} else {
				pl->caller_waiting = true;
				pthread_cond_wait(&pl->done, &pl->lock);
				pl->caller_waiting = false;
			}
			continue;
		}
		pthread_mutex_unlock(&pl->lock);
		err = enable_head(pl, a, manifest);
		if (!err)
			(*nfiles)++;
		pthread_mutex_lock(&pl->lock);
		pl->head++;
		if (pl->next_take < pl->head)
			pl->next_take = pl->head;
	}
	pl->stop = true;
	pthread_cond_broadcast(&pl->work);
	pthread_mutex_unlock(&pl->lock);
	for (k = 0; k < started; k++)
		pthread_join(tid[k], NULL);
	/* After a failure: what was filled but not enabled. */
	for (; pl->head < pl->tail; pl->head++)
		drop_ahead(&pl->ring[pl->head % AHEAD_FILES]);
	pthread_mutex_destroy(&pl->lock);
	pthread_cond_destroy(&pl->work);
	pthread_cond_destroy(&pl->done);
	free(pl);
	progress_end();
	image_files_free(files, count);
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
