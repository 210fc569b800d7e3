/* SPDX-License-Identifier: MIT */
/* The key options of every command that signs, the passphrase prompt, and signing (key_options.c). */
#ifndef MBV_PROGRAMS_KEY_OPTIONS_H
#define MBV_PROGRAMS_KEY_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "mbverity/sign.h"
#include "options.h"

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
 * mbv_signer_new_spec() for @key (a file or URI) or the --pkcs11-* token,
 * with --key-passin or a terminal prompt, printing the reason on failure.
 * Return: 0 or -errno.
 */
int signer_new_or_error(const char *key, const char *cert, struct mbv_signer **signer);

/*
 * Sign the digest of @name with mbv_signer_sign(), printing
 * "cannot sign '@name': REASON" on failure.  *@sig is malloc'ed.
 * Safe in several threads at once.  Return: 0 or -errno.
 */
int sign_digest_or_error(const struct mbv_signer *signer, uint32_t hash_alg,
			 const uint8_t *digest, const char *name,
			 uint8_t **sig, size_t *sig_size);

#endif
