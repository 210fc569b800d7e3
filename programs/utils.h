/* SPDX-License-Identifier: MIT */
/* Helpers shared by the mbverity subcommands. */
#ifndef MBV_PROGRAMS_UTILS_H
#define MBV_PROGRAMS_UTILS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <sys/types.h>

#include "mbverity.h"

/* Long options shared by several commands (values above any short option). */
enum {
	OPT_HASH_ALG = 256,
	OPT_BLOCK_SIZE,
	OPT_SALT,
	OPT_OUT_MERKLE_TREE,
	OPT_OUT_DESCRIPTOR,
	OPT_COMPACT,
	OPT_FOR_BUILTIN_SIG,
	OPT_KEY,
	OPT_CERT,
	OPT_SIGNATURE,
	OPT_OFFSET,
	OPT_LENGTH,
	OPT_THREADS,
	OPT_QUIET,
	OPT_FORCE,
	OPT_ALL,
	OPT_SET_FEATURE,
	OPT_REQUIRE_SIGNATURES,
	OPT_IMAGE,
	OPT_KEY_PASSIN,
	OPT_PKCS11_ENGINE,
	OPT_PKCS11_MODULE,
	OPT_PKCS11_KEYID,
	OPT_HELP,
};

#define TREE_LONG_OPTIONS \
	{ "hash-alg", required_argument, NULL, OPT_HASH_ALG }, \
	{ "block-size", required_argument, NULL, OPT_BLOCK_SIZE }, \
	{ "salt", required_argument, NULL, OPT_SALT }

/* The key options beside --key of every command that signs (programs/key_options.c). */
#define KEY_LONG_OPTIONS \
	{ "key-passin", required_argument, NULL, OPT_KEY_PASSIN }, \
	{ "pkcs11-engine", required_argument, NULL, OPT_PKCS11_ENGINE }, \
	{ "pkcs11-module", required_argument, NULL, OPT_PKCS11_MODULE }, \
	{ "pkcs11-keyid", required_argument, NULL, OPT_PKCS11_KEYID }
#define CASE_KEY_OPTIONS \
	case OPT_KEY_PASSIN: case OPT_PKCS11_ENGINE: case OPT_PKCS11_MODULE: case OPT_PKCS11_KEYID
/* Take one of KEY_LONG_OPTIONS; NULL, or the option's name when given twice. */
const char *parse_key_option(int opt, const char *arg);
/*
 * After the options: NULL, or the usage error.  With --pkcs11-engine, sets
 * *@key (NULL until then) to something non-NULL, so "is there a key" stays
 * one test; signer_new_or_error() then takes the token's key.
 */
const char *check_key_options(const char **key, const char *cert);
/*
 * A salt longer than fs-verity's 32 bytes is held too: as with fsverity,
 * the tree code refuses it (exit 1), and for a live file the kernel does.
 */
#define CLI_MAX_SALT_SIZE	256

struct tree_options {
	uint32_t hash_alg;
	uint32_t block_size;
	uint8_t salt[CLI_MAX_SALT_SIZE];
	uint32_t salt_size;
};

/* Print "mbverity: MESSAGE" on stderr, one line. */
void error_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Print "mbverity: MESSAGE; 'mbverity COMMAND --help' shows the usage" (one
 * line; COMMAND from @usage, "mbverity COMMAND ...") and return the usage
 * exit status, 2.
 */
int usage_error(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* COMMAND --help on stdout: @usage, then each option it names, what it does, its default; 0. */
int print_help(const char *usage);
/* getopt_long's '?' or ':' for @argv: usage_error() naming the option. */
int option_error(const char *usage, char **argv);

void tree_options_init(struct tree_options *t);
/* Handle --hash-alg, --block-size, --salt; false (after an error message) if bad. */
bool parse_tree_option(struct tree_options *t, int opt, const char *arg);
/* Fill @p from @t for a file of @file_size bytes. */
void tree_params_from_options(struct mbv_tree_params *p,
			      const struct tree_options *t, uint64_t file_size);
/*
 * What the tree code would refuse (block size vs digest size, salt size):
 * prints and returns -EINVAL; callers exit 1, as fsverity does.
 */
int check_tree_options(const struct tree_options *t);
bool parse_u64(const char *arg, uint64_t *v);
/* $SOURCE_DATE_EPOCH in seconds, or 0 when unset (a bad value is reported and ignored). */
uint64_t source_date_epoch(void);
/* --threads=N: 0 means one per online CPU; prints an error if bad. */
bool parse_threads(const char *arg, unsigned int *threads);

void print_hex(FILE *f, const uint8_t *p, size_t n);
/* "sha256:HEX" then " NAME" and a newline. */
void print_digest_line(uint32_t hash_alg, const uint8_t *digest, const char *name);

/*
 * An output file.  A regular file (or a new one), through any symlinks, is
 * written under a temporary name beside it and renamed over it on success,
 * keeping the old file's mode (a new one gets 0666 less the umask).  A
 * device, FIFO, socket, "-" or /dev/stdout (/dev/fd/N) is written in place:
 * spooled to a temporary file in $TMPDIR, copied out on success.  Writes
 * go to fd either way.
 */
struct out_file {
	char *path;		/* as given, for messages */
	char *final_path;	/* the regular file renamed over, or NULL */
	char *tmp_path;		/* where the bytes are until committed */
	int fd;			/* open on tmp_path; -1 when direct */
	int dest_fd;		/* written in place: the device, FIFO or descriptor; or -1 */
	bool direct;		/* a block device written at tmp_path (= path) itself */
	unsigned int mode;	/* a renamed file's permissions */
	int cleanup_slot;
};
/* out_file_open_flags(): a block device is written directly (mkfs's IMAGE; no fd). */
#define OUT_FILE_DIRECT_BLOCK_DEVICE 1u
int out_file_open(struct out_file *o, const char *path);
int out_file_open_flags(struct out_file *o, const char *path, unsigned int flags);
/* Give a mkstemp() file the mode a plain creat() would (0666 less the umask). */
int set_default_mode(int fd);
int out_file_write(struct out_file *o, const void *buf, size_t n);
/* Commit (rename into place, or copy out) if @ok, otherwise remove; returns 0 or -errno. */
int out_file_close(struct out_file *o, bool ok);

/*
 * SIGINT, SIGTERM, SIGHUP (unless ignored at start): stop a registered child,
 * remove the out_files' temporaries and die of the signal (128 + signo);
 * or, @deferred, only note it for stop_requested() (enable: between files),
 * a second signal dying at once.
 */
void signals_init(bool deferred);
/* The signal that asked to stop, or 0. */
int stop_requested(void);
const char *signal_name(int sig);
/* Block or restore the three signals in this thread (around fork and the like). */
void signals_block(sigset_t *old);
void signals_restore(const sigset_t *old);
/* A child the handler signals and reaps first (mke2fs); 0 for none. */
void signals_set_child(pid_t pid);
/* Read a whole (small) file; *buf is malloc'ed. */
int read_whole_file(const char *path, size_t max, uint8_t **buf, size_t *len);

/* --include/--exclude globs, matched against absolute paths in the image. */
struct file_selection {
	const char **include, **exclude;
	size_t n_include, n_exclude;
};
/* Add a glob; false (after an error message) when out of memory. */
bool selection_add(struct file_selection *sel, bool include, const char *glob);
/* Selected: matched by an --include (or there is none) and by no --exclude. */
bool selection_match(const struct file_selection *sel, const char *path);
void selection_free(struct file_selection *sel);

/* Tree-block callback writing into an out_file at the block's offset. */
int tree_block_to_file(void *ctx, const void *block, size_t size, uint64_t offset);

#endif
