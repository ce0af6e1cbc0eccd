/*
 * Listings of the inventory commands: one row per call, as an aligned
 * table, JSON lines or CSV, chosen by --format (a table on a terminal,
 * JSON lines otherwise).
 */
#ifndef CS_CLI_LISTING_H
#define CS_CLI_LISTING_H

#include "output.h"

#include <stdbool.h>
#include <stddef.h>

/* One listing column: its name and its width in the table. */
struct cs_column {
    const char *name;
    int width;
};

struct cs_listing {
    enum cs_format format;
    const struct cs_column *cols;
    size_t ncols;
    bool header_done;
};

/* Prints one row (values[i] for cols[i], NULL = none), after the header
 * on the first call; values NULL prints only the header. */
void cs_listing_emit(struct cs_listing *l, const char *const *values);

/* Parses --format; prints "certsweep CMD: invalid --format ..." when bad. */
bool cs_listing_parse_format(const char *text, enum cs_format *out, const char *cmd);

/* A table on a terminal, JSON lines otherwise. */
enum cs_format cs_listing_default_format(void);

#endif
