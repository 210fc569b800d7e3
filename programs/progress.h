/* SPDX-License-Identifier: MIT */
/* A progress line on stderr for long work, only when stderr is a terminal. */
#ifndef MBV_PROGRAMS_PROGRESS_H
#define MBV_PROGRAMS_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

/* Start counting toward @total_bytes in @total_files; silent if @quiet or not a tty. */
void progress_start(uint64_t total_bytes, uint64_t total_files, bool quiet);
/* Count bytes processed; safe from any thread; redraws at most 5 times a second. */
void progress_add_bytes(uint64_t n);
void progress_add_file(void);
/* Erase the line before printing something else (it comes back on the next count). */
void progress_clear(void);
/* Erase the line and stop drawing. */
void progress_end(void);

#endif
