/* SPDX-License-Identifier: MIT */
/* One-line messages on stderr, usage errors, digests on stdout. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <getopt.h>

#include "mbverity/sign.h"
#include "mbverity/tree.h"
#include "messages.h"
#include "progress.h"

void keep_reason(void *ctx, const char *msg)
{
	snprintf(ctx, MBV_SIG_ERRBUF_SIZE, "%s", msg);
}

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
	const char *cmd = strncmp(usage, "mbverity ", 9) == 0 ? usage + 9 : usage;
	va_list ap;

	progress_clear();
	fflush(stdout);
	fputs("mbverity: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; 'mbverity %.*s --help' shows the usage\n", (int)strcspn(cmd, " \n"), cmd);
	return 2;
}

int option_error(const char *usage, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";

	/* main() sets opterr = 0: getopt's own two-line complaint is not printed. */
	if (optopt == 0)
		return usage_error(usage, "unrecognized option '%s'", arg);
	if (strncmp(arg, "--", 2) == 0)
		return usage_error(usage, "option '%s' needs a value", arg);
	return usage_error(usage, "bad option '-%c'", optopt);
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

void image_error(void *ctx, const char *msg)
{
	const struct image_msg *m = ctx;

	if (m->path)
		error_msg("%s: %s: %s", m->image, m->path, msg);
	else
		error_msg("%s: %s", m->image, msg);
}
