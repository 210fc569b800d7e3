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

#endif
