/* SPDX-License-Identifier: MIT */
/* The mbverity subcommands (one file each) and the table naming them (commands.c). */
#ifndef MBV_PROGRAMS_COMMANDS_H
#define MBV_PROGRAMS_COMMANDS_H

#include <stddef.h>

int cmd_digest(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_enable(int argc, char **argv);
int cmd_measure(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_dump_metadata(int argc, char **argv);
int cmd_mkfs(int argc, char **argv);

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;	/* one line for `mbverity --help` */
	const char *usage;	/* the synopsis errors and COMMAND --help print */
};
extern const struct command commands[];
extern const size_t n_commands;

/* Each command's usage, as in the table. */
extern const char digest_usage[], sign_usage[], enable_usage[], measure_usage[],
	verify_usage[], dump_usage[], mkfs_usage[];

/*
 * Many files (digest, verify, enable --all, mkfs): files up to this size
 * are done whole by one thread of the pool's queue (mbv_queue_new());
 * larger ones are split across the pool instead.
 */
#define AHEAD_MAX_FILE_BYTES (4u << 20)
/* Files in flight (for hashing: trees of at most 32 KiB each). */
#define AHEAD_FILES 64

#endif
