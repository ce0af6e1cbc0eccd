/*
 * Discovery and monitoring jobs: scan a network (or its monitored
 * endpoints), write what was found into the inventory, and build the
 * report. The inventory is written in transactions of a few hundred
 * endpoints, so a job killed half way leaves it consistent.
 */
#ifndef CS_JOB_H
#define CS_JOB_H

#include "config.h"
#include "probe.h"
#include "report.h"
#include "store.h"

struct cs_job_opts {
    const char *dns_servers; /* NULL: /etc/resolv.conf */
    unsigned concurrency;    /* 0: the scanner's default of 8192 */
    const volatile sig_atomic_t *stop;
    const volatile sig_atomic_t *pause; /* as in struct cs_scan_opts */
    /* The delivery channels: with a [syslog] section, jobs queue syslog
     * messages too (job_notify.h). NULL: emails only. */
    const struct cs_config *config;
    /* Optional progress, as in struct cs_scan_callbacks. */
    void (*on_progress)(uint64_t done, uint64_t total, double elapsed_s, void *arg);
    void *progress_arg;
};

/*
 * Runs a job of the given kind on the named network and returns its report
 * (the caller owns *report). CS_ERR_USAGE for an unknown or disabled
 * network, CS_ERR_BUSY when a job already runs on it. A job interrupted by
 * opts->stop is recorded as interrupted and returns CS_ERR_INTERRUPTED.
 */
enum cs_rc cs_job_run(struct cs_store *s, const char *network, enum cs_job_kind kind,
                      const struct cs_job_opts *opts, cJSON **report, char *err, size_t errlen);

#endif
