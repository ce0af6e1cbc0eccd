/*
 * What a discovery or monitoring job tells the outside, queued in the
 * outbox inside the job's own transactions:
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

#endif
