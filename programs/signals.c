/* SPDX-License-Identifier: MIT */
/* Signals: temporaries removed, a child stopped, enable stopped between files. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "progress.h"
#include "signals.h"

/*
 * Signals: temporary files to remove and a child to stop when SIGINT,
 * SIGTERM or SIGHUP arrive.  Fixed slots, never freed, so that the handler
 * (in any thread) reads no memory another thread frees.
 */
#define MAX_CLEANUP 8
static char cleanup_paths[MAX_CLEANUP][PATH_MAX + 32];
static volatile sig_atomic_t cleanup_used[MAX_CLEANUP];
static volatile pid_t cleanup_child;
static volatile sig_atomic_t stop_signal;
static bool stop_deferred;

static void on_stop_signal(int sig)
{
	int saved = errno, i;

	if (cleanup_child > 0) {
		kill(cleanup_child, sig);
		waitpid(cleanup_child, NULL, 0);
		cleanup_child = 0;
	}
	if (stop_deferred && !stop_signal) {
		/* enable stops between files, the image closed properly */
		stop_signal = sig;
		errno = saved;
		return;
	}
	for (i = 0; i < MAX_CLEANUP; i++)
		if (cleanup_used[i])
			unlink(cleanup_paths[i]);
	/* Die of the signal itself (128 + signo to a shell) once this returns. */
	signal(sig, SIG_DFL);
	raise(sig);
	errno = saved;
}

void signals_init(bool deferred)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa, old;
	size_t i;

	stop_deferred = deferred;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		/* An ignored signal stays ignored (nohup, background jobs). */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaddset(&sa.sa_mask, sigs[i]);
	}
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigismember(&sa.sa_mask, sigs[i]))
			sigaction(sigs[i], &sa, NULL);
}

int stop_requested(void)
{
	return stop_signal;
}

const char *signal_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" :
	       sig == SIGHUP ? "SIGHUP" : "a signal";
}

void signals_block(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

void signals_restore(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

void signals_set_child(pid_t pid)
{
	cleanup_child = pid;
}

/* Called with the signals blocked. */
int cleanup_add(const char *path)
{
	int i;

	if (strlen(path) >= sizeof(cleanup_paths[0]))
		return -1;
	for (i = 0; i < MAX_CLEANUP; i++)
		if (!cleanup_used[i]) {
			strcpy(cleanup_paths[i], path);
			cleanup_used[i] = 1;
			return i;
		}
	return -1;	/* only a signal would leave this one behind */
}

void cleanup_drop(int slot)
{
	if (slot >= 0)
		cleanup_used[slot] = 0;
}
