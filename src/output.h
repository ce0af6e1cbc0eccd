/*
 * Writing scan results as a table, JSON lines or CSV, streamed as they
 * arrive. A file named with -o is written to a temporary file beside it and
 * renamed into place when the scan completes, so a reader never sees half a
 * report.
 */
#ifndef CS_OUTPUT_H
#define CS_OUTPUT_H

#include "status.h"

#include <stdbool.h>
#include <stdio.h>

enum cs_format { CS_FORMAT_TABLE, CS_FORMAT_JSONL, CS_FORMAT_CSV };

/* Writes one CSV field, quoted (RFC 4180) when it holds a comma, quote or
 * line break; NULL writes an empty field. */
void cs_output_csv_field(FILE *f, const char *value);

/* "10.0.0.5:443", "[2001:db8::1]:8443/www.example.com": an endpoint as the
 * inventory commands and notifications name it (IP:PORT[/SNI]). */
void cs_endpoint_format(char *buf, size_t len, const char *ip, unsigned port, const char *sni);

/* Parses "table", "jsonl" or "csv"; false for anything else. */
bool cs_format_parse(const char *name, enum cs_format *out);

struct cs_output;

/* Opens an output to path, or to stdout when path is NULL. The caller owns
 * *out and releases it with cs_output_close(). */
enum cs_rc cs_output_open(enum cs_format format, const char *path, struct cs_output **out,
                          char *err, size_t errlen);

/* Writes one record. A write error is remembered and returned by close. */
void cs_output_write(struct cs_output *out, const struct cs_probe_result *result);

/* The same for the results of a vulnerability scan (vulnscan.h): jsonl has
 * one object per endpoint, table and csv one row per finding. */
struct cs_vuln_result;
enum cs_rc cs_output_open_vuln(enum cs_format format, const char *path, struct cs_output **out,
                               char *err, size_t errlen);
void cs_output_write_vuln(struct cs_output *out, const struct cs_vuln_result *result);

/* Finishes the output: the table's closing counts, flush, and for a file
 * the rename into place (commit true) or removal (commit false). Accepts
 * NULL and sets *out to NULL. */
enum cs_rc cs_output_close(struct cs_output **out, bool commit, char *err, size_t errlen);

#endif
