/* SPDX-License-Identifier: MIT */
/* SIGINT, SIGTERM, SIGHUP: temporaries removed, a child stopped, enable stopped between files. */
#ifndef MBV_PROGRAMS_SIGNALS_H
#define MBV_PROGRAMS_SIGNALS_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

/*
 * SIGINT, SIGTERM, SIGHUP (unless ignored at start): stop a registered child,
 * remove the out_files' temporaries and die of the signal (128 + signo);
 * or, @deferred, only note it for stop_requested() (enable: between files),
 * a second signal dying at once.
 */
void signals_init(bool deferred);
/* The signal that asked to stop, or 0. */
int stop_requested(void);
const char *signal_name(int sig);
/* Block or restore the three signals in this thread (around fork and the like). */
void signals_block(sigset_t *old);
void signals_restore(const sigset_t *old);
/* A child the handler signals and reaps first (mke2fs); 0 for none. */
void signals_set_child(pid_t pid);

/*
 * A temporary file the handler removes: a slot, or -1 when all are taken.
 * Called with the signals blocked (signals_block()).
 */
int cleanup_add(const char *path);
void cleanup_drop(int slot);

#endif
