/*
 * What a job tells the outside, queued in the outbox inside the job's own
 * transactions:
 *
 *  - the discovery or monitoring email to the network's alert_to, with the
 *    report as text and HTML and the seed's subject ("certsweep discovery
 *    of dmz: 7 endpoints need attention"), for a job that ran to its end;
 *  - with a [syslog] section, one summary message per job (whatever its
 *    end state) and one message per monitored endpoint that was lost: it
 *    returned a certificate last time and none now. An endpoint that stays
 *    lost is not announced again; the monitoring email lists it each time.
 */
#ifndef CS_JOB_NOTIFY_H
#define CS_JOB_NOTIFY_H

#include "config.h"
#include "store.h"

#include <time.h>

#include <cjson/cJSON.h>

/* Queues the job's email and summary. Call inside the transaction that
 * finishes the job. cfg may be NULL (no syslog). */
enum cs_rc cs_job_notify_done(struct cs_store *s, const struct cs_config *cfg,
                              const struct cs_network *net, const struct cs_job *job,
                              const cJSON *report, char *err, size_t errlen);

/* Queues the syslog message of a monitored endpoint that lost its
 * certificate (or went silent), inside the transaction that records it. */
enum cs_rc cs_job_notify_lost(struct cs_store *s, const struct cs_config *cfg,
                              const struct cs_network *net, const struct cs_job *job,
                              const char *ip, uint16_t port, const char *sni,
                              const char *old_sha256, enum cs_status status, const char *reason,
                              time_t at, char *err, size_t errlen);

/*
 * A vulnscan finding on an endpoint, as its job recorded it
 * (cs_store_findings_sync), and what it tells the outside:
 *   new or back   a syslog message (with [syslog]) and a ticket "raise" to
 *                 each of the network's ticket channels, which opens one
 *                 ticket per vulnerability ("Vulnerabilities for DOMAIN")
 *   seen again    a "raise" too: a note on the open ticket, or a new ticket
 *                 when someone closed the old one by hand
 *   fixed         a "resolve": the closing note, and the ticket resolved
 * The ticket key is "vuln:IP:PORT:SNI:CHECK", stable across scans.
 */
struct cs_finding_event {
    const struct cs_finding_row *row; /* ip, port, sni, check, severity, detail... */
    enum cs_finding_change change;
    const char *domain;    /* the SNI, else the leaf's CN or first SAN, else the ip */
    const char *sig_alg;   /* of the leaf; NULL when unknown */
    const char *not_after; /* of the leaf, RFC 3339; NULL when unknown */
};
enum cs_rc cs_job_notify_finding(struct cs_store *s, const struct cs_config *cfg,
                                 const struct cs_network *net, const struct cs_job *job,
                                 const struct cs_finding_event *ev, time_t at, char *err,
                                 size_t errlen);

#endif
