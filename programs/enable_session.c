/* SPDX-License-Identifier: MIT */
/* Enabling fs-verity on many files of one image: shared by enable --all and mkfs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
	s->image = image;
	s->tree = tree;
	s->key = key;
	s->cert = cert;
	s->quiet = quiet;
	err = mbv_pool_new(threads, &s->pool);
	if (err) {
		error_msg("cannot start %u threads: %s", threads, strerror(-err));
		return err;
	}
	err = mbv_ext4_open(path, 1, &s->fs, image_error, &m);
	if (err) {
		mbv_pool_free(s->pool);
		s->pool = NULL;
		return err;
	}
	/* libext2fs stamps the superblock with fs->now when it is set. */
	if (timestamp)
		s->fs->now = (time_t)timestamp;
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

/* Enable one file, signing its digest first when a key is given. */
static int enable_one(struct enable_session *s, const struct image_file *f,
		      struct mbv_tree_result *res)
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
	};
	uint8_t *sig = NULL;
	size_t sig_size = 0;
	int err;

	if (s->key) {
		/* The signature's size fixes the layout, so the digest comes first. */
		err = image_file_digest(s, f, res);
		if (!err)
			err = sign_digest_or_error(res->hash_algorithm, res->digest, f->path,
						   s->key, s->cert, &sig, &sig_size);
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

int enable_session_all(struct enable_session *s, const struct file_selection *sel,
		       struct out_file *manifest, uint64_t *nfiles)
{
	struct image_file *files;
	size_t count, i;
	uint64_t total = 0, selected = 0;
	int err;

	*nfiles = 0;
	err = image_list_files(s->fs, s->image, &files, &count);
	if (err)
		return err;
	for (i = 0; i < count; i++) {
		if (selection_match(sel, files[i].path)) {
			total += files[i].size;
			selected++;
		}
	}
	progress_start(total, selected, s->quiet);
	for (i = 0; i < count && !err; i++) {
		struct mbv_tree_result res;
		char line[2 * MBV_MAX_DIGEST_SIZE + 16];

		if (!selection_match(sel, files[i].path))
			continue;
		err = already_verity(s, &files[i], &res) ? 0 : enable_one(s, &files[i], &res);
		if (err)
			break;
		progress_add_bytes(files[i].size);
		progress_add_file();
		(*nfiles)++;
		if (manifest) {
			size_t n = (size_t)snprintf(line, sizeof(line), "%s:",
						    mbv_hash_alg_name(res.hash_algorithm));
			size_t j;

			for (j = 0; j < res.digest_size; j++)
				n += (size_t)snprintf(line + n, sizeof(line) - n, "%02x",
						      res.digest[j]);
			err = out_file_write(manifest, line, n);
			if (!err)
				err = out_file_write(manifest, " ", 1);
			if (!err)
				err = out_file_write(manifest, files[i].path, strlen(files[i].path));
			if (!err)
				err = out_file_write(manifest, "\n", 1);
			if (err)
				error_msg("cannot write the manifest: %s", strerror(-err));
		}
	}
	progress_end();
	image_files_free(files, count);
	return err;
}

int enable_session_close(struct enable_session *s, int err)
{
	struct image_msg m = { s->image, NULL };
	int close_err = s->fs ? mbv_ext4_close(s->fs, image_error, &m) : 0;

	mbv_pool_free(s->pool);
	s->fs = NULL;
	s->pool = NULL;
	return err ? err : close_err;
}
