/*
 * Vulnerability scan jobs (`certsweep vulnscan NETWORK`): the endpoints of
 * a network that last showed a certificate are checked with vulnscan.h,
 * and what each shows is recorded as findings (store.h, schema version 4)
 * in the transaction that finishes the job. The job is one of the
 * network's jobs, of kind vulnscan: it takes the network's lock, so it
 * never runs beside a discovery, a monitoring or another vulnscan.
 *
 * A finding is marked fixed only by a scan that looked for it: a run with
 * fewer --checks, an endpoint that did not answer TLS this time (a server
 * that is down is not a server that was fixed), or a check that came out
 * inconclusive leaves the findings it could not see as they were.
 */
#ifndef CS_VULNJOB_H
#define CS_VULNJOB_H

#include "config.h"
#include "finding.h"
#include "store.h"

#include <signal.h>
#include <stdint.h>

struct cs_vulnjob_opts {
    unsigned checks;      /* enum cs_vcheck_flags; 0: every check */
    bool revocation;      /* OCSP and CRL checks, which call out to the certificates' URLs;
                           * also on when the network says so */
    const char *ca_file;  /* PEM bundle to trust; NULL: the system's store */
    unsigned per_host;    /* connections at once to one address; 0: 5 */
    unsigned concurrency; /* connections at once in all; 0: 1024 */
    unsigned rate;        /* new connections per second; 0: unlimited */
    const volatile sig_atomic_t *stop;
    const volatile sig_atomic_t *pause; /* as in struct cs_scan_opts */
    /* The delivery channels: syslog messages need a [syslog] section, the
     * network's tickets their [ticketing.NAME] sections. NULL: none. */
    const struct cs_config *config;
    /* Optional progress of the raw probes, as in struct cs_vuln_callbacks. */
    void (*on_progress)(uint64_t done, uint64_t total, double elapsed_s, void *arg);
    void *progress_arg;
};

/* What a vulnscan job did. */
struct cs_vulnjob_summary {
    int64_t job_id;
    uint64_t endpoints; /* scanned: the network's endpoints with a certificate */
    uint64_t answered;  /* of those, the ones that answered TLS */
    uint64_t skipped;   /* results of endpoints gone from the inventory meanwhile */
    /* Findings seen by this scan (one per endpoint and check id), by
     * severity, indexed by enum cs_severity. */
    uint64_t by_severity[CS_SEVERITY_CRITICAL + 1];
    uint64_t found;    /* their sum */
    uint64_t opened;   /* of those, never seen on their endpoint before */
    uint64_t reopened; /* fixed once, and back */
    uint64_t fixed;    /* open before, and not found any more */
    char *report_json; /* the job's report as stored in jobs.report_json; owned */
};
void cs_vulnjob_summary_clear(struct cs_vulnjob_summary *summary);

/*
 * Runs a vulnscan job on the named network and fills *summary (the caller
 * clears it, whatever the result). The certificate checks use the network's
 * expiry days, the probes its connect and download timeouts.
 *
 * CS_ERR_USAGE for an unknown or disabled network, --checks or a CA file
 * that cannot be used (before any job is recorded); CS_ERR_BUSY when a job
 * already runs on the network. Once the job is recorded it is finished as
 * done, interrupted (opts->stop: CS_ERR_INTERRUPTED, with the findings of
 * the endpoints done so far) or failed.
 */
enum cs_rc cs_vulnjob_run(struct cs_store *s, const char *network,
                          const struct cs_vulnjob_opts *opts, struct cs_vulnjob_summary *summary,
                          char *err, size_t errlen);

#endif
