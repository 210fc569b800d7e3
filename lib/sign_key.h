/* SPDX-License-Identifier: MIT */
/* Private to lib/sign.c and lib/sign_key.c: loading a signing key. */
#ifndef MBV_SIGN_KEY_H
#define MBV_SIGN_KEY_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "mbverity/sign.h"

#define MBV_PRIVATE __attribute__((visibility("hidden")))

/* Where a function's one-line reason goes; NULL buffer means "don't care". */
struct errout {
	char *buf;
	size_t size;
};

/* The reason, then the first queued OpenSSL reason; only the first call counts. */
MBV_PRIVATE void mbv_sig_set_error(struct errout *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A private key as loaded, with whatever must live as long as it. */
struct mbv_loaded_key {
	EVP_PKEY *pkey;
	void *engine;		/* ENGINE *, or NULL */
	char *name;		/* for messages: the path, URI or key id */
	bool is_file;		/* a plain file: may hold the certificate too */
};

/* Load @spec's key into @k (zeroed first).  Return: 0 or -errno, reason in @e. */
MBV_PRIVATE int mbv_key_load(const struct mbv_key_spec *spec, struct mbv_loaded_key *k,
			     struct errout *e);
MBV_PRIVATE void mbv_key_unload(struct mbv_loaded_key *k);

#endif
