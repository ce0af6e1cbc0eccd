/*
 * The scan engine: one epoll loop, non-blocking sockets, deadlines in a
 * timer heap, and a per-connection state machine that fetches a server's
 * certificate chain and classifies every endpoint.
 *
 *   CONNECTING --connect ok--> HANDSHAKING --chain in hand--> done
 *       |                          |
 *       +-- RST / unreachable /    +-- not TLS / alert / EOF / RST /
 *           connect deadline           download deadline --> done
 *
 * Nothing TLS-related is allocated before the TCP connection succeeds, and
 * the handshake is suspended (not completed) as soon as the chain arrives.
 */
#ifndef CS_PROBE_H
#define CS_PROBE_H

#include "status.h"
#include "target.h"

#include <signal.h>

struct cs_scan_opts {
    unsigned connect_timeout_ms;  /* SYN to connected */
    unsigned download_timeout_ms; /* connected to chain received: a deadline */
    unsigned concurrency;         /* connections in flight, at least 1 */
    unsigned rate;                /* new connections per second; 0 = unlimited */
    /* When set (by a signal handler, say) and *stop becomes non-zero, the
     * scan drops what is in flight and returns CS_ERR_INTERRUPTED. */
    const volatile sig_atomic_t *stop;
    /* When set and *pause is non-zero, no new connection starts (those in
     * flight go on): quiet hours of `certsweep serve`, which pauses a job
     * with SIGUSR1 and resumes it with SIGUSR2. */
    const volatile sig_atomic_t *pause;
};

struct cs_scan_callbacks {
    /* Called once per endpoint, in completion order. */
    void (*on_result)(const struct cs_probe_result *result, void *arg);
    /* Called every progress_interval_ms (if set) and once at the end. */
    void (*on_progress)(uint64_t done, uint64_t total, double elapsed_s, void *arg);
    unsigned progress_interval_ms;
    void *arg;
};

/*
 * Probes every endpoint of plan. Results arrive through callbacks while the
 * function runs; it returns when the last endpoint is done. Fails (and stops
 * early) only on a local problem, such as no socket can be created at all;
 * whatever the servers do is a result, never an error.
 */
enum cs_rc cs_scan_run(const struct cs_plan *plan, const struct cs_scan_opts *opts,
                       const struct cs_scan_callbacks *callbacks, char *err, size_t errlen);

/* Largest certificate message accepted, and the most bytes read from one
 * server before it is cut off: bounds the memory a hostile server costs. */
#define CS_PROBE_MAX_CERT_LIST (512 * 1024)
#define CS_PROBE_MAX_BYTES_IN (1024 * 1024)

#endif
