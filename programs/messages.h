/* SPDX-License-Identifier: MIT */
/* One-line messages on stderr, usage errors, digests on stdout. */
#ifndef MBV_PROGRAMS_MESSAGES_H
#define MBV_PROGRAMS_MESSAGES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Print "mbverity: MESSAGE" on stderr, one line. */
/* An mbv_error_fn keeping the library's reason in @ctx, a char[MBV_SIG_ERRBUF_SIZE]. */
void keep_reason(void *ctx, const char *msg);

void error_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Print "mbverity: MESSAGE; 'mbverity COMMAND --help' shows the usage" (one
 * line; COMMAND from @usage, "mbverity COMMAND ...") and return the usage
 * exit status, 2.
 */
int usage_error(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* getopt_long's '?' or ':' for @argv: usage_error() naming the option. */
int option_error(const char *usage, char **argv);

void print_hex(FILE *f, const uint8_t *p, size_t n);
/* "sha256:HEX" then " NAME" and a newline. */
void print_digest_line(uint32_t hash_alg, const uint8_t *digest, const char *name);

/* Who an ext4 command's message is about: "mbverity: IMAGE[: PATH]: MSG". */
struct image_msg {
	const char *image;
	const char *path;	/* NULL for the image itself */
};
/* An mbv_error_fn printing that line (@ctx is a struct image_msg). */
void image_error(void *ctx, const char *msg);

/* COMMAND --help on stdout: @usage, then each option it names, what it does, its default; 0 (help.c). */
int print_help(const char *usage);

#endif
