/*
 * `certsweep serve`: the service. One process: the main thread runs the
 * scheduler and supervises the jobs, which run as child processes
 * (children.h); one HTTP thread answers the REST API, the metrics and the
 * dashboard (httpd.h). docs/service.md describes the whole.
 */
#ifndef CS_SERVE_H
#define CS_SERVE_H

#include "cs.h"

#include <stdio.h>

struct cs_serve_opts {
    const char *db;          /* the inventory location, as --db takes it */
    const char *config_path; /* the configuration file the user named (--config or
                              * CERTSWEEP_CONFIG); NULL: the default, where a
                              * missing file is an empty configuration */
    const char *listen;      /* "127.0.0.1:8080", "[::1]:8080"; NULL: [serve] listen,
                              * else 127.0.0.1:8080 */
    const char *tls_cert;    /* PEM files; NULL: [serve] tls_cert / tls_key */
    const char *tls_key;
};

/*
 * Runs the service until SIGTERM or SIGINT, then stops the jobs that run
 * (each may take up to its network's connect + download timeout to record
 * what it has) and returns CS_OK. CS_ERR_USAGE, with err saying exactly
 * what is missing, when the configuration is bad, the listen address does
 * not parse, or it is not a loopback address and TLS or a token is
 * missing; another error when the inventory, the address or the threads
 * cannot be had. Logs go to stderr, one line each with a timestamp.
 */
enum cs_rc cs_serve_run(const struct cs_serve_opts *opts, char *err, size_t errlen);

/* Writes one log line to stderr: "2026-11-23T07:00:00Z certsweep serve: ...". */
void cs_serve_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
