/* SPDX-License-Identifier: MIT */
/* COMMAND --help: the usage, then what each of its options does and its default. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "messages.h"

struct option_help {
	const char *commands;	/* the commands it is said for ("" = any that has it) */
	const char *name;	/* as the usage writes it, up to '=' */
	const char *text;
};

/* The first entry naming the command (or "") and the option wins. */
static const struct option_help option_help[] = {
	{ "", "-d", "the directory whose tree becomes the image's root (required)" },
	{ "", "--image", "work on files inside this ext4 image file (no mount, no kernel) "
	  "instead of live files" },
	{ "", "--all", "every regular file of the image" },
	{ "", "--hash-alg", "Merkle tree hash: sha256 or sha512 (default: sha256)" },
	{ "", "--block-size", "Merkle tree block size, a power of 2 (default: 4096; the "
	  "kernel takes 1024 up to the page and filesystem block size)" },
	{ "", "--salt", "salt prepended to every hashed block, in hex, at most 32 bytes "
	  "(default: none)" },
	{ "", "--out-merkle-tree", "also write the Merkle tree to FILE (default: not written)" },
	{ "", "--out-descriptor", "also write the fs-verity descriptor to FILE (default: not written)" },
	{ "", "--compact", "print the digest alone, in hex" },
	{ "", "--for-builtin-sig", "print the digest as the kernel's built-in signatures sign it "
	  "(struct fsverity_formatted_digest), in hex" },
	{ "sign", "--key", "private key that signs: a PEM or DER file, or an OpenSSL store "
	  "URI (pkcs11:..., file:...) (required)" },
	{ "sign", "--cert", "certificate of the key, put in the signature (default: from the "
	  "key's PEM file when it holds one)" },
	{ "verify", "--cert", "check each signature against this certificate (default: report "
	  "signed files as not checked)" },
	{ "", "--key", "private key that signs each file's digest: a PEM or DER file, or an "
	  "OpenSSL store URI (pkcs11:..., file:...) (default: unsigned)" },
	{ "", "--key-passin", "the key's passphrase or the token's PIN: pass:TEXT, env:VAR, "
	  "file:PATH, fd:N or stdin (default: asked on the terminal)" },
	{ "", "--pkcs11-engine", "OpenSSL ENGINE library for a PKCS#11 token, as fsverity "
	  "1.5 (default: none)" },
	{ "", "--pkcs11-module", "PKCS#11 module of the token (with --pkcs11-engine)" },
	{ "", "--pkcs11-keyid", "the key's id or label on the token (default: the "
	  "engine's choice)" },
	{ "", "--cert", "certificate of --key, put in each signature" },
	{ "", "--signature", "store this built-in signature (from sign) with the file "
	  "(default: none); with --cert checked first" },
	{ "", "--set-feature", "set the image's verity feature flag if it is not set "
	  "(default: refuse such an image)" },
	{ "", "--require-signatures", "fail files that have no signature" },
	{ "", "--offset", "start at byte OFFSET of the metadata (default: 0)" },
	{ "", "--length", "read at most LENGTH bytes (default: to the end)" },
	{ "", "--size", "image size, with K, M, G or T (default: computed from DIR; "
	  "a block device: its whole size)" },
	{ "", "--fs-block-size", "filesystem block size: 1024, 2048 or 4096 (default: 4096)" },
	{ "", "--label", "filesystem label (default: none)" },
	{ "", "--uuid", "filesystem UUID, also the directory hash seed (default: random)" },
	{ "", "--timestamp", "every time stored in the image, in seconds since 1970 "
	  "(default: $SOURCE_DATE_EPOCH, else now)" },
	{ "", "--include", "only files whose absolute path in the image matches GLOB "
	  "(repeatable; default: every file)" },
	{ "", "--exclude", "leave files matching GLOB without fs-verity (repeatable; "
	  "default: none)" },
	{ "", "--manifest", "write 'sha256:HEX /path' lines for every file to FILE "
	  "(default: none)" },
	{ "", "--mke2fs", "the mke2fs to run (default: the first in PATH, else /usr/sbin "
	  "or /sbin)" },
	{ "", "--mke2fs-option", "one more argument for mke2fs, after mkfs's own "
	  "(repeatable), e.g. '-E root_owner=0:0'" },
	{ "", "--force", "replace an existing IMAGE file or write over a block device" },
	{ "", "--threads", "threads hashing (default: every online CPU); the results are "
	  "the same for any N" },
	{ "", "--quiet", "no progress line and no summary (default: a progress line on a "
	  "terminal)" },
};

static bool says_command(const char *list, const char *cmd)
{
	size_t n = strlen(cmd);
	const char *p;

	if (!*list)
		return true;
	for (p = strstr(list, cmd); p; p = strstr(p + 1, cmd))
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

/* @usage names option @name ("--salt" in "[--salt=SALT]", not in "--salty"). */
static bool usage_has(const char *usage, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = strstr(usage, name); p; p = strstr(p + 1, name))
		if (strchr(" [", p[-1]) && !(p[n] == '-' || (p[n] >= 'a' && p[n] <= 'z')))
			return true;
	return false;
}

/* "  NAME  TEXT", TEXT wrapped at 79 columns under itself. */
static void print_option(const char *name, const char *text)
{
	enum { INDENT = 22, WIDTH = 79 };
	int col = printf("  %s", name);

	while (*text) {
		size_t n = strcspn(text, " ");

		if (col >= INDENT && col + 1 + (int)n > WIDTH) {
			putchar('\n');
			col = 0;
		}
		col += printf("%*s%.*s", col < INDENT ? INDENT - col : 1, "", (int)n, text);
		text += n + (text[n] == ' ');
	}
	putchar('\n');
}

int print_help(const char *usage)
{
	const char *cmd = strncmp(usage, "mbverity ", 9) == 0 ? usage + 9 : usage;
	char name[32];
	size_t i, j;

	snprintf(name, sizeof(name), "%.*s", (int)strcspn(cmd, " \n"), cmd);
	printf("usage: %s\n\noptions:\n", usage);
	for (i = 0; i < sizeof(option_help) / sizeof(option_help[0]); i++) {
		const struct option_help *h = &option_help[i];

		if (!says_command(h->commands, name) || !usage_has(usage, h->name))
			continue;
		for (j = 0; j < i; j++)	/* said already, for this command */
			if (strcmp(option_help[j].name, h->name) == 0 &&
			    says_command(option_help[j].commands, name))
				break;
		if (j == i)
			print_option(h->name, h->text);
	}
	print_option("--help", "this text");
	print_option("--version", "the version and the SHA-256 and SHA-512 code in use");
	return 0;
}
