/* SPDX-License-Identifier: MIT */
/* The command table: each command's name, entry, summary and usage, in one place. */
#include "commands.h"

const char digest_usage[] =
	"mbverity digest FILE... [--hash-alg=HASH_ALG] [--block-size=BLOCK_SIZE]\n"
	"       [--salt=SALT] [--out-merkle-tree=FILE] [--out-descriptor=FILE]\n"
	"       [--compact] [--for-builtin-sig] [--threads=N] [--quiet]";
const char sign_usage[] =
	"mbverity sign FILE SIGFILE --key=KEYFILE|URI [--cert=CERTFILE]\n"
	"       [--key-passin=SRC]\n"
	"       [--pkcs11-engine=SOFILE --pkcs11-module=SOFILE [--pkcs11-keyid=KEYID]]\n"
	"       [--hash-alg=HASH_ALG] [--block-size=BLOCK_SIZE] [--salt=SALT]\n"
	"       [--out-merkle-tree=FILE] [--out-descriptor=FILE]";
const char enable_usage[] =
	"mbverity enable FILE [--hash-alg=HASH_ALG] [--block-size=BLOCK_SIZE]\n"
	"       [--salt=SALT] [--signature=SIGFILE | --key=PEM --cert=PEM] [--threads=N]\n"
	"   or: mbverity enable --image=IMAGE PATH... [tree options]\n"
	"       [--signature=SIGFILE [--cert=PEM] | --key=PEM --cert=PEM]\n"
	"       [--set-feature] [--threads=N]\n"
	"   or: mbverity enable --all --image=IMAGE (or --all IMAGE) [tree options]\n"
	"       [--key=PEM --cert=PEM] [--threads=N] [--quiet]\n"
	"   key options: --key=FILE|URI [--key-passin=SRC] [--pkcs11-module=SOFILE], or\n"
	"       --pkcs11-engine=SOFILE --pkcs11-module=SOFILE [--pkcs11-keyid=KEYID]";
const char measure_usage[] =
	"mbverity measure FILE...\n"
	"   or: mbverity measure --image=IMAGE PATH...";
const char verify_usage[] =
	"mbverity verify FILE... [--threads=N] [--quiet] [--cert=PEM]\n"
	"       [--require-signatures]\n"
	"   or: mbverity verify --image=IMAGE [PATH...] [--threads=N] [--quiet]\n"
	"       [--cert=PEM] [--require-signatures]";
const char dump_usage[] =
	"mbverity dump_metadata merkle_tree|descriptor|signature FILE\n"
	"       [--offset=OFFSET --length=LENGTH]\n"
	"   or: mbverity dump_metadata merkle_tree|descriptor|signature\n"
	"       --image=IMAGE PATH [--offset=OFFSET] [--length=LENGTH]";
const char mkfs_usage[] =
	"mbverity mkfs -d DIR IMAGE [--size=SIZE] [--fs-block-size=N] [--label=L]\n"
	"       [--uuid=UUID] [--timestamp=EPOCH] [--hash-alg=HASH_ALG]\n"
	"       [--block-size=BLOCK_SIZE] [--salt=SALT] [--key=PEM --cert=PEM]\n"
	"       [--include=GLOB]... [--exclude=GLOB]... [--manifest=FILE]\n"
	"       [--mke2fs=PATH] [--mke2fs-option=ARG]...\n"
	"       [--threads=N] [--quiet] [--force]\n"
	"   key options: --key=FILE|URI [--key-passin=SRC] [--pkcs11-module=SOFILE], or\n"
	"       --pkcs11-engine=SOFILE --pkcs11-module=SOFILE [--pkcs11-keyid=KEYID]";

const struct command commands[] = {
	{ "digest", cmd_digest, "compute the fs-verity digest of files",
	  digest_usage },
	{ "sign", cmd_sign, "sign a file's digest for fs-verity built-in signatures",
	  sign_usage },
	{ "enable", cmd_enable, "enable fs-verity on a file, or on files inside an ext4 image (--image)",
	  enable_usage },
	{ "measure", cmd_measure, "print the fs-verity digest of verity files (in an ext4 image: --image)",
	  measure_usage },
	{ "verify", cmd_verify, "check verity files against their data (in an ext4 image: --image)",
	  verify_usage },
	{ "dump_metadata", cmd_dump_metadata, "print a verity file's metadata (from an ext4 image: --image)",
	  dump_usage },
	{ "mkfs", cmd_mkfs, "make an ext4 image from a directory, with fs-verity on its files",
	  mkfs_usage },
};
const size_t n_commands = sizeof(commands) / sizeof(commands[0]);
