// SPDX-License-Identifier: MIT
/* The key options every signing command takes, and the passphrase prompt. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "commands.h"
#include "mbverity.h"
#include "messages.h"
#include "options.h"

/* The command line's: one set per process, as getopt's own state is. */
static struct {
	const char *passin, *engine, *module, *keyid;
} ko;

/* Documented in utils.h. */
const char *parse_key_option(int opt, const char *arg)
{
	const char **slot;
	const char *name;

	switch (opt) {
	case OPT_KEY_PASSIN: slot = &ko.passin; name = "--key-passin"; break;
	case OPT_PKCS11_ENGINE: slot = &ko.engine; name = "--pkcs11-engine"; break;
	case OPT_PKCS11_MODULE: slot = &ko.module; name = "--pkcs11-module"; break;
	case OPT_PKCS11_KEYID: slot = &ko.keyid; name = "--pkcs11-keyid"; break;
	default: return "bad option";
	}
	if (*slot)
		return name;
	*slot = arg;
	return NULL;
}

/* Documented in utils.h. */
const char *check_key_options(const char **key, const char *cert)
{
	if (ko.engine || ko.keyid) {
		if (*key)
			return "--key does not go with --pkcs11-engine or --pkcs11-keyid";
		if (!ko.engine || !ko.module)
			return "--pkcs11-engine and --pkcs11-module go together (--pkcs11-keyid is optional)";
		if (!cert)
			return "--pkcs11-engine needs --cert";
		/* What the commands test to know they sign; the spec says the rest. */
		*key = ko.keyid ? ko.keyid : "(the token's default key)";
		return NULL;
	}
	if (ko.module && !*key)
		return "--pkcs11-module goes with --pkcs11-engine, or with --key=pkcs11:URI";
	if (ko.passin && !*key)
		return "--key-passin goes with a key";
	return NULL;
}

/* The terminal as it was before the prompt turned echo off. */
static struct termios tty_saved;

/* Ctrl-C at the prompt: echo back on, then die of the signal as before. */
static void restore_tty_and_die(int sig)
{
	tcsetattr(STDIN_FILENO, TCSANOW, &tty_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * The passphrase or PIN from the terminal, echo off, when stdin is one;
 * -1 otherwise, so scripts get the one-line error naming --key-passin.
 */
static int ask_on_tty(char *buf, int size, const char *what, void *arg)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa = { .sa_handler = restore_tty_and_die }, old_sa[4];
	struct termios quiet;
	bool restore;
	int n = 0;
	size_t i;

	if (!isatty(STDIN_FILENO) || size <= 0)
		return -1;
	/* Echo off before the question: what is typed right after it must not show. */
	restore = tcgetattr(STDIN_FILENO, &tty_saved) == 0;
	if (restore) {
		quiet = tty_saved;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		for (i = 0; i < 4; i++)
			sigaction(sigs[i], &sa, &old_sa[i]);
		tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
	}
	fprintf(stderr, "Passphrase or PIN for %s: ", what);
	fflush(stderr);
	for (;;) {
		char c;
		ssize_t r = read(STDIN_FILENO, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (n == 0)
				n = -1;	/* end of input: nothing given */
			break;
		}
		if (c == '\n' || c == '\r')
			break;
		if (n < size)
			buf[n++] = c;
	}
	if (restore) {
		tcsetattr(STDIN_FILENO, TCSANOW, &tty_saved);
		for (i = 0; i < 4; i++)
			sigaction(sigs[i], &old_sa[i], NULL);
	} else
		fputc('\n', stderr);
	return n;
}

/* Documented in commands.h. */
int signer_new_or_error(const char *key, const char *cert, struct mbv_signer **signer)
{
	struct mbv_key_spec spec = {
		.version = MBV_KEY_SPEC_VERSION,
		.key = ko.engine ? NULL : key,
		.pkcs11_engine = ko.engine,
		.pkcs11_module = ko.module,
		.pkcs11_keyid = ko.keyid,
		.passin = ko.passin,
		.ask_passphrase = ask_on_tty,
	};
	char why[MBV_SIG_ERRBUF_SIZE];
	int err = mbv_signer_new_spec(&spec, cert, signer, keep_reason, why);

	if (err == -ENOKEY && !ko.passin && !isatty(STDIN_FILENO))
		error_msg("%s: give it with --key-passin= (stdin is not a terminal to ask on)", why);
	else if (err == -ENOKEY && !ko.passin)
		error_msg("%s: none typed (or give it with --key-passin=)", why);
	else if (err)
		error_msg("%s", why);
	return err;
}

int sign_digest_or_error(const struct mbv_signer *signer, uint32_t hash_alg,
			 const uint8_t *digest, const char *name,
			 uint8_t **sig, size_t *sig_size)
{
	char why[MBV_SIG_ERRBUF_SIZE];
	int err = mbv_signer_sign(signer, hash_alg, digest, sig, sig_size, keep_reason, why);

	if (err)
		error_msg("cannot sign '%s': %s", name, why);
	return err;
}
