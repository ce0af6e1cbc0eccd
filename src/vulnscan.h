/*
 * The vulnerability scan of many endpoints: a discovery pass (probe.c)
 * fetches each chain and classifies the endpoint, then one epoll loop runs
 * the raw probes of every endpoint that answered TLS (vulncheck.c decides
 * which), at most per_host connections to one address at a time and
 * concurrency in all. Deadlines live in a timer heap; no thread per
 * connection; a check's memory is allocated when it starts, not before.
 */
#ifndef CS_VULNSCAN_H
#define CS_VULNSCAN_H

#include "certcheck.h"
#include "finding.h"
#include "status.h"
#include "target.h"
#include "vulncheck.h"

#include <signal.h>

struct cs_vuln_opts {
    unsigned connect_timeout_ms;
    unsigned read_timeout_ms; /* connected to answer, per probe: a deadline */
    unsigned concurrency;     /* connections in flight in all */
    unsigned per_host;        /* connections in flight to one address */
    unsigned checks;          /* enum cs_vcheck_flags */
    struct cs_certcheck_opts cert;
    /* Revocation (revocation.c): off by default, as it calls out to the
     * OCSP responders and CRL servers named in the certificates. */
    bool revocation;
    unsigned revocation_timeout_ms;     /* per OCSP request or CRL download; 0 = 10000 */
    const volatile sig_atomic_t *stop;  /* non-zero: drop everything, CS_ERR_INTERRUPTED */
    const volatile sig_atomic_t *pause; /* non-zero: start no new connection (probe.h) */
    unsigned rate; /* new connections per second in all, both passes; 0 = unlimited */
};

/* One endpoint's outcome. Everything belongs to the scan and is valid only
 * during the callback. */
struct cs_vuln_result {
    const struct cs_addr *addr;
    uint16_t port;
    const char *sni;
    enum cs_status status; /* of the discovery pass */
    const char *reason;
    const struct cs_vfacts *facts; /* NULL when the endpoint did not answer TLS */
    STACK_OF(X509) * chain;        /* NULL without certificate */
    const struct cs_findings *findings;
    uint64_t elapsed_ms; /* both passes */
};

struct cs_vuln_callbacks {
    void (*on_result)(const struct cs_vuln_result *result, void *arg);
    void (*on_progress)(uint64_t done, uint64_t total, double elapsed_s, void *arg);
    unsigned progress_interval_ms;
    void *arg;
};

/* Scans every endpoint of plan; results arrive through callbacks in
 * completion order. Fails only on a local problem (no sockets, a CA file
 * that cannot be read); whatever a server does is a result. */
enum cs_rc cs_vuln_run(const struct cs_plan *plan, const struct cs_vuln_opts *opts,
                       const struct cs_vuln_callbacks *callbacks, char *err, size_t errlen);

#endif
