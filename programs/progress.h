/* SPDX-License-Identifier: MIT */
/* A progress line on stderr for long work, only when stderr is a terminal. */
#ifndef MBV_PROGRAMS_PROGRESS_H
#define MBV_PROGRAMS_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Start counting toward @total_bytes in @total_files; silent if @quiet or not a tty. */
void progress_start(uint64_t total_bytes, uint64_t total_files, bool quiet);
/* Count bytes processed; safe from any thread; redraws at most 5 times a second. */
void progress_add_bytes(uint64_t n);
void progress_add_file(void);
/* Bytes counted since progress_start(). */
uint64_t progress_bytes(void);
/*
 * A line saying what runs now, for work that counts nothing (mke2fs):
 * drawn at once and again with the time spent on each progress_phase_tick().
 */
void progress_phase(bool quiet, const char *what);
void progress_phase_tick(void);
/* Erase the line before printing something else (it comes back on the next count). */
void progress_clear(void);
/* Erase the line and stop drawing. */
void progress_end(void);

/* "1.5 GiB", "12.0 MiB", "512 KiB", "17 bytes": for summaries. */
void format_bytes(char *buf, size_t size, uint64_t bytes);
/* "0.4 s", "12 s", "3m05s", "2h07m". */
void format_duration(char *buf, size_t size, double seconds);
/* Ends a summary line: "; 12.0 MiB hashed in 0.4 s\n". */
void print_hashed_summary(FILE *f, uint64_t bytes, double seconds);
/* Seconds on the monotonic clock. */
double monotonic_seconds(void);

#endif
