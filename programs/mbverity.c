/* SPDX-License-Identifier: MIT */
/* mbverity: the command line, dispatching to one file per subcommand. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "commands.h"
#include "signals.h"
#include "mbverity.h"


static void print_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: mbverity COMMAND [ARGS...]\n\ncommands:\n");
	for (i = 0; i < n_commands; i++)
		fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'mbverity COMMAND --help' shows a command's options;"
		" 'mbverity --version' the version and SHA-256/SHA-512 implementations.\n");
}

static void print_version(void)
{
	printf("mbverity %s (sha256: %s, sha512: %s)\n", PACKAGE_VERSION,
	       mbv_sha256_impl_name(), mbv_sha512_impl_name());
}

/* COMMAND ... --version ...: every command answers it, as fsverity's do. */
static bool asks_version(int argc, char **argv)
{
	int i;

	for (i = 2; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--version") == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	size_t i;

	/* Bad options are reported by option_error(), in one line. */
	opterr = 0;

	if (argc < 2) {
		print_usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		print_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		print_version();
		return 0;
	}
	for (i = 0; i < n_commands; i++)
		if (strcmp(argv[1], commands[i].name) == 0) {
			/* enable stops between files; the others remove their temporaries and die. */
			int status, sig;

			if (asks_version(argc, argv)) {
				print_version();
				return 0;
			}
			signals_init(strcmp(argv[1], "enable") == 0);
			status = commands[i].run(argc - 1, argv + 1);
			sig = stop_requested();
			if (sig) {
				fflush(NULL);
				signal(sig, SIG_DFL);
				raise(sig);
				return 128 + sig;
			}
			return status;
		}
	fprintf(stderr, "mbverity: unknown command '%s'\n", argv[1]);
	print_usage(stderr);
	return 2;
}
