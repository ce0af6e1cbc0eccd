#include "progress.h"

#include <stdio.h>

void cs_progress_draw(uint64_t done, uint64_t total, double elapsed_s)
{
    double rate = elapsed_s > 0 ? (double)done / elapsed_s : 0;
    double pct = total ? 100.0 * (double)done / (double)total : 100.0;
    fprintf(stderr, "\r\033[K%llu/%llu endpoints  %5.1f%%  %.0f/s", (unsigned long long)done,
            (unsigned long long)total, pct, rate);
    if (rate > 0 && done < total) {
        unsigned long eta = (unsigned long)((double)(total - done) / rate + 0.5);
        fprintf(stderr, "  ETA %lum%02lus", eta / 60, eta % 60);
    }
    fflush(stderr);
}

void cs_progress_clear(void)
{
    fputs("\r\033[K", stderr);
    fflush(stderr);
}
