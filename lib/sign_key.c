// SPDX-License-Identifier: MIT
/* Signing keys: files, OpenSSL store URIs, PKCS#11 tokens; passphrases and PINs. */
/*
 * The PKCS#11 options reach tokens through OpenSSL's ENGINE interface, which
 * OpenSSL 3 deprecates and OpenSSL 4 removes: this file alone silences the
 * deprecation, and everything ENGINE goes away with it (MBV_HAVE_ENGINE).
 * Store URIs work without ENGINE wherever a provider serves them.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/store.h>
#include <openssl/ui.h>
#include <openssl/x509.h>

#if defined(MBV_HAVE_ENGINE) && !defined(OPENSSL_NO_ENGINE)
#include <openssl/engine.h>
#define USE_ENGINE 1
#else
#define USE_ENGINE 0
#endif

#include "sign_key.h"

#define PASS_MAX 1024

/* The secret for this load: read once from --passin, or asked for. */
struct pass_ctx {
	const struct mbv_key_spec *spec;
	const char *what;	/* the key, for the question */
	char pass[PASS_MAX];
	int len;		/* -1: no passin */
	bool asked;		/* OpenSSL wanted a secret */
	bool given;		/* ... and got one */
	bool refused;		/* ... and the asker had none: never ask again */
};

/* The pem_password_cb every loader here ends in (UI methods wrap it). */
static int pass_cb(char *buf, int size, int rwflag, void *u)
{
	struct pass_ctx *p = u;
	int n = -1;

	if (!p)
		return -1;
	p->asked = true;
	/*
	 * OpenSSL's decoders may ask again (another decoder, a refusal): one
	 * prompt per key, so an answer is kept and a refusal stays one.
	 */
	if (p->len < 0 && !p->refused && p->spec->ask_passphrase) {
		int size1 = size < PASS_MAX ? size : PASS_MAX;

		n = p->spec->ask_passphrase(p->pass, size1, p->what, p->spec->ask_arg);
		if (n < 0 || n > size1)
			p->refused = true;
		else
			p->len = n;
	}
	if (p->len < 0)
		return -1;
	n = p->len < size ? p->len : size;
	memcpy(buf, p->pass, (size_t)n);
	p->given = true;
	return n;
}

/* First line of @fd into @p, without reading past it (fd: may be shared). */
static int read_line_fd(int fd, struct pass_ctx *p)
{
	int n = 0;

	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0 || c == '\n')
			break;
		if (n >= PASS_MAX)
			return -E2BIG;
		p->pass[n++] = c;
	}
	if (n > 0 && p->pass[n - 1] == '\r')
		n--;
	p->len = n;
	return 0;
}

/* OpenSSL's passphrase arguments (openssl-passphrase-options(1)). */
static int read_passin(const char *src, struct pass_ctx *p, struct errout *e)
{
	const char *v;
	int err;

	p->len = -1;
	if (!src)
		return 0;
	if (!strncmp(src, "pass:", 5)) {
		size_t n = strlen(src + 5);

		if (n > PASS_MAX)
			goto too_long;
		memcpy(p->pass, src + 5, n);
		p->len = (int)n;
		return 0;
	}
	if (!strncmp(src, "env:", 4)) {
		size_t n;

		v = getenv(src + 4);
		if (!v) {
			mbv_sig_set_error(e, "cannot read the passphrase from '%s': no such environment variable",
					  src);
			return -EINVAL;
		}
		n = strlen(v);
		if (n > PASS_MAX)
			goto too_long;
		memcpy(p->pass, v, n);
		p->len = (int)n;
		return 0;
	}
	if (!strncmp(src, "file:", 5)) {
		int fd = open(src + 5, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			err = -errno;
			mbv_sig_set_error(e, "cannot read the passphrase from '%s': %s", src,
					  strerror(-err));
			return err;
		}
		err = read_line_fd(fd, p);
		close(fd);
	} else if (!strncmp(src, "fd:", 3) || !strcmp(src, "stdin")) {
		char *end;
		long fd = 0;

		if (src[0] == 'f') {
			errno = 0;
			fd = strtol(src + 3, &end, 10);
			if (!src[3] || *end || errno || fd < 0 || fd > INT_MAX) {
				mbv_sig_set_error(e, "cannot read the passphrase from '%s': not a file descriptor",
						  src);
				return -EINVAL;
			}
		}
		err = read_line_fd((int)fd, p);
	} else {
		/* Never echo it: it may be a passphrase given without pass:. */
		mbv_sig_set_error(e, "bad passphrase source: expected pass:, env:, file:, fd: or stdin");
		return -EINVAL;
	}
	if (err == -E2BIG)
		goto too_long;
	if (err)
		mbv_sig_set_error(e, "cannot read the passphrase from '%s': %s", src, strerror(-err));
	return err;
too_long:
	mbv_sig_set_error(e, "passphrase from '%.5s...' is longer than %d bytes", src, PASS_MAX);
	return -E2BIG;
}

/* @uri for messages: a PIN given in it (pin-value=) shows as "***". */
static char *redacted(const char *uri)
{
	static const char key[] = "pin-value=";
	size_t n = strlen(uri);
	char *r = malloc(n + 4 * (n / sizeof(key) + 1) + 1), *o = r;
	const char *v = uri;

	if (!r)
		return NULL;
	while (*v) {
		if (!strncmp(v, key, sizeof(key) - 1)) {
			o = stpcpy(o, key);
			o = stpcpy(o, "***");
			v += sizeof(key) - 1;
			v += strcspn(v, ";?&");
		} else {
			*o++ = *v++;
		}
	}
	*o = '\0';
	return r;
}

/* A store URI: no file of that name, and "scheme:" in front (RFC 3986). */
static bool is_uri(const char *s)
{
	const char *c = s;

	if (access(s, F_OK) == 0 || !isalpha((unsigned char)*c))
		return false;
	while (isalnum((unsigned char)*c) || *c == '+' || *c == '-' || *c == '.')
		c++;
	return *c == ':' && c - s > 1;	/* "C:" is no scheme */
}

/* After a failed load: what went wrong with the secret, if anything. */
static int pass_failure(struct pass_ctx *p, const char *name, struct errout *e)
{
	if (!p->asked)
		return 0;
	if (!p->given) {
		ERR_clear_error();
		mbv_sig_set_error(e, "cannot use private key '%s': it is encrypted and no passphrase was given",
				  name);
		return -ENOKEY;
	}
	ERR_clear_error();	/* "bad decrypt" says less than this */
	mbv_sig_set_error(e, "cannot use private key '%s': wrong passphrase", name);
	return -EKEYREJECTED;
}

static int open_file(const char *path, BIO **bio, struct errout *e)
{
	errno = 0;
	*bio = BIO_new_file(path, "rb");
	if (!*bio) {
		int err = errno ? -errno : -EIO;

		ERR_clear_error();	/* the errno says it better */
		mbv_sig_set_error(e, "cannot open private key '%s': %s", path, strerror(-err));
		return err;
	}
	return 0;
}

/* PEM first, then DER (encrypted PKCS#8, then plain PKCS#8 or traditional). */
static int load_file(const char *path, struct pass_ctx *p, EVP_PKEY **pkey,
		     struct errout *e)
{
	BIO *bio;
	int err = open_file(path, &bio, e);

	if (err)
		return err;
	*pkey = PEM_read_bio_PrivateKey(bio, NULL, pass_cb, p);
	if (!*pkey && !p->asked && BIO_reset(bio) == 0)
		*pkey = d2i_PKCS8PrivateKey_bio(bio, NULL, pass_cb, p);
	if (!*pkey && !p->asked && BIO_reset(bio) == 0)
		*pkey = d2i_PrivateKey_bio(bio, NULL);
	BIO_free(bio);
	if (*pkey)
		return 0;
	err = pass_failure(p, path, e);
	if (err)
		return err;
	ERR_clear_error();
	mbv_sig_set_error(e, "cannot parse private key '%s': not a PEM or DER private key", path);
	return -EBADMSG;
}

#if USE_ENGINE
/* libp11 prints its reasons on stderr unless told not to: ours is one line. */
static int engine_ready(ENGINE *en, const char *module, struct pass_ctx *p,
			struct errout *e, const char *what)
{
	ENGINE_ctrl_cmd_string(en, "QUIET", NULL, 1);
	if (module && !ENGINE_ctrl_cmd_string(en, "MODULE_PATH", module, 0)) {
		mbv_sig_set_error(e, "engine '%s' does not take a PKCS#11 module", what);
		return -EINVAL;
	}
	if (!ENGINE_init(en)) {
		mbv_sig_set_error(e, "cannot start engine '%s' with PKCS#11 module '%s'", what,
				  module ? module : "(default)");
		return -ELIBACC;
	}
	if (p->len >= 0) {
		char pin[PASS_MAX + 1];
		int ok;

		memcpy(pin, p->pass, (size_t)p->len);
		pin[p->len] = '\0';
		ok = ENGINE_ctrl_cmd_string(en, "PIN", pin, 0);
		OPENSSL_cleanse(pin, sizeof(pin));
		if (!ok) {
			ENGINE_finish(en);
			mbv_sig_set_error(e, "engine '%s' does not take a PIN", what);
			return -EINVAL;
		}
	}
	return 0;
}

/* The key @id (NULL: the token's default) from the initialised @en. */
static int engine_key(ENGINE *en, const char *id, const char *name, struct pass_ctx *p,
		      EVP_PKEY **pkey, struct errout *e)
{
	UI_METHOD *ui = UI_UTIL_wrap_read_pem_callback(pass_cb, 0);
	const char *reason;
	unsigned long code;

	if (!ui) {
		mbv_sig_set_error(e, "out of memory");
		return -ENOMEM;
	}
	ERR_clear_error();
	*pkey = ENGINE_load_private_key(en, id, ui, p);
	UI_destroy_method(ui);
	if (*pkey)
		return 0;
	if (p->asked && !p->given) {
		ERR_clear_error();
		mbv_sig_set_error(e, "cannot use PKCS#11 key '%s': the token wants a PIN and none was given",
				  name);
		return -ENOKEY;
	}
	/*
	 * libp11 queues the token's reason first ("PIN incorrect", "object not
	 * found"), then ENGINE's "failed loading private key": keep the first.
	 */
	code = ERR_peek_error();
	reason = code ? ERR_reason_error_string(code) : NULL;
	mbv_sig_set_error(e, "cannot load PKCS#11 key '%s'", name);
	return reason && strstr(reason, "PIN") ? -EKEYREJECTED : -ENOENT;
}

/* fsverity 1.5's --pkcs11-engine/--pkcs11-module/--pkcs11-keyid. */
static int load_engine_so(const struct mbv_key_spec *spec, struct pass_ctx *p,
			  struct mbv_loaded_key *k, struct errout *e)
{
	ENGINE *en = ENGINE_by_id("dynamic");
	int err;

	if (!en) {
		mbv_sig_set_error(e, "OpenSSL has no dynamic engine loader");
		return -ENOTSUP;
	}
	/* LIST_ADD 0: no engine lands in OpenSSL's process-wide list. */
	if (!ENGINE_ctrl_cmd_string(en, "SO_PATH", spec->pkcs11_engine, 0) ||
	    !ENGINE_ctrl_cmd_string(en, "LIST_ADD", "0", 0) ||
	    !ENGINE_ctrl_cmd_string(en, "LOAD", NULL, 0)) {
		ERR_clear_error();
		mbv_sig_set_error(e, "cannot load engine '%s': not an OpenSSL engine", spec->pkcs11_engine);
		ENGINE_free(en);
		return -ELIBBAD;
	}
	err = engine_ready(en, spec->pkcs11_module, p, e, spec->pkcs11_engine);
	if (err) {
		ENGINE_free(en);
		return err;
	}
	k->engine = en;
	return engine_key(en, spec->pkcs11_keyid, k->name, p, &k->pkey, e);
}

/* A pkcs11: URI no provider serves (Debian 12: none does): libp11's engine. */
static int load_engine_uri(const struct mbv_key_spec *spec, struct pass_ctx *p,
			   struct mbv_loaded_key *k, struct errout *e)
{
	ENGINE *en;
	int err;

	ERR_clear_error();
	en = ENGINE_by_id("pkcs11");
	if (!en) {
		ERR_clear_error();
		mbv_sig_set_error(e, "cannot open key '%s': no OpenSSL provider serves pkcs11: URIs and the pkcs11 engine is not installed (Debian: libengine-pkcs11-openssl)",
				  k->name);
		return -ENOTSUP;
	}
	err = engine_ready(en, spec->pkcs11_module, p, e, "pkcs11");
	if (err) {
		ENGINE_free(en);
		return err;
	}
	k->engine = en;
	return engine_key(en, spec->key, k->name, p, &k->pkey, e);
}
#endif

/* Any URI a loaded provider's store serves: the first private key in it. */
static int load_store(const struct mbv_key_spec *spec, struct pass_ctx *p,
		      struct mbv_loaded_key *k, struct errout *e)
{
	UI_METHOD *ui = UI_UTIL_wrap_read_pem_callback(pass_cb, 0);
	OSSL_STORE_CTX *st;
	int err;

	if (!ui) {
		mbv_sig_set_error(e, "out of memory");
		return -ENOMEM;
	}
	ERR_clear_error();
	st = OSSL_STORE_open_ex(spec->key, NULL, NULL, ui, p, NULL, NULL, NULL);
	if (!st) {
		UI_destroy_method(ui);
#if USE_ENGINE
		if (!strncmp(spec->key, "pkcs11:", 7))
			return load_engine_uri(spec, p, k, e);
#endif
		mbv_sig_set_error(e, "cannot open key '%s': no OpenSSL store serves it", k->name);
		return -ENOENT;
	}
	OSSL_STORE_expect(st, OSSL_STORE_INFO_PKEY);
	while (!k->pkey && !OSSL_STORE_eof(st)) {
		OSSL_STORE_INFO *info = OSSL_STORE_load(st);

		if (!info) {
			if (p->asked || OSSL_STORE_error(st))
				break;
			continue;
		}
		if (OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY)
			k->pkey = OSSL_STORE_INFO_get1_PKEY(info);
		OSSL_STORE_INFO_free(info);
	}
	OSSL_STORE_close(st);
	UI_destroy_method(ui);
	if (k->pkey)
		return 0;
	err = pass_failure(p, k->name, e);
	if (err)
		return err;
	mbv_sig_set_error(e, "cannot load key '%s': the store holds no private key there", k->name);
	return -ENOENT;
}

static bool zero(const void *v, size_t n)
{
	const unsigned char *c = v;

	while (n--)
		if (*c++)
			return false;
	return true;
}

/* Documented in sign_key.h. */
int mbv_key_load(const struct mbv_key_spec *spec, struct mbv_loaded_key *k,
		 struct errout *e)
{
	struct pass_ctx p = { .spec = spec };
	int err;

	memset(k, 0, sizeof(*k));
	if (spec && spec->version != MBV_KEY_SPEC_VERSION) {
		mbv_sig_set_error(e, "bad key spec: version %u, this library takes %d",
				  spec->version, MBV_KEY_SPEC_VERSION);
		return -EINVAL;
	}
	if (spec && (spec->reserved0 || !zero(spec->reserved, sizeof(spec->reserved)))) {
		mbv_sig_set_error(e, "bad key spec: %s is reserved and must be zero",
				  spec->reserved0 ? "reserved0" : "reserved[]");
		return -EINVAL;
	}
	if (!spec || !spec->key == !spec->pkcs11_engine ||
	    (spec->pkcs11_keyid && !spec->pkcs11_engine)) {
		mbv_sig_set_error(e, "bad key spec: give a key, or a PKCS#11 engine");
		return -EINVAL;
	}
	if (spec->pkcs11_engine && !USE_ENGINE) {
		mbv_sig_set_error(e, "cannot use engine '%s': this OpenSSL has no ENGINE support (use a pkcs11: key URI and a provider)",
				  spec->pkcs11_engine);
		return -ENOTSUP;
	}
	if (spec->key)
		k->name = redacted(spec->key);
	else if (spec->pkcs11_keyid)
		k->name = redacted(spec->pkcs11_keyid);
	else
		k->name = strdup("the token's default key");
	if (!k->name) {
		mbv_sig_set_error(e, "out of memory");
		return -ENOMEM;
	}
	p.what = k->name;
	err = read_passin(spec->passin, &p, e);
	if (err)
		goto out;
	if (spec->pkcs11_engine) {
#if USE_ENGINE
		err = load_engine_so(spec, &p, k, e);
#endif
	} else if (is_uri(spec->key)) {
		err = load_store(spec, &p, k, e);
	} else {
		k->is_file = true;
		err = load_file(spec->key, &p, &k->pkey, e);
	}
out:
	OPENSSL_cleanse(p.pass, sizeof(p.pass));
	if (err)
		mbv_key_unload(k);
	ERR_clear_error();
	return err;
}

/* Documented in sign_key.h. */
void mbv_key_unload(struct mbv_loaded_key *k)
{
	EVP_PKEY_free(k->pkey);
#if USE_ENGINE
	if (k->engine) {
		ENGINE_finish(k->engine);
		ENGINE_free(k->engine);
	}
#endif
	free(k->name);
	memset(k, 0, sizeof(*k));
}

/* Documented in mbverity.h. */
int mbv_key_engine_supported(void)
{
	return USE_ENGINE;
}
