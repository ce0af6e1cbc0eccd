/* A one-line progress display on stderr for long scans on a terminal. */
#ifndef CS_PROGRESS_H
#define CS_PROGRESS_H

#include <stdint.h>

/* Redraws the line: done/total, percentage, rate and time left. */
void cs_progress_draw(uint64_t done, uint64_t total, double elapsed_s);

/* Erases the line so that what follows starts clean. */
void cs_progress_clear(void);

#endif
