#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct cs_store_ops *backend_for(const char *location)
{
    if (strncmp(location, "postgresql://", 13) == 0 || strncmp(location, "postgres://", 11) == 0)
        return &cs_store_pg_ops;
    return &cs_store_sqlite_ops;
}

enum cs_rc cs_store_open(const char *location, struct cs_store **out, char *err, size_t errlen)
{
    const struct cs_store_ops *ops = backend_for(location);
    enum cs_rc rc = ops->open(location, out, err, errlen);
    if (rc == CS_OK)
        (*out)->ops = ops;
    return rc;
}

void cs_store_close(struct cs_store **s)
{
    if (s == NULL || *s == NULL)
        return;
    (*s)->ops->close(*s);
    *s = NULL;
}

enum cs_rc cs_store_begin(struct cs_store *s, char *err, size_t errlen)
{
    return s->ops->exec(s, "BEGIN", err, errlen);
}

enum cs_rc cs_store_commit(struct cs_store *s, char *err, size_t errlen)
{
    return s->ops->exec(s, "COMMIT", err, errlen);
}

void cs_store_rollback(struct cs_store *s)
{
    s->ops->exec(s, "ROLLBACK", NULL, 0);
}

/* The rest forwards to the backend. */

enum cs_rc cs_store_network_add(struct cs_store *s, struct cs_network *net, char *err,
                                size_t errlen)
{
    return s->ops->network_add(s, net, err, errlen);
}

enum cs_rc cs_store_network_update(struct cs_store *s, const struct cs_network *net, char *err,
                                   size_t errlen)
{
    return s->ops->network_update(s, net, err, errlen);
}

enum cs_rc cs_store_network_remove(struct cs_store *s, const char *name, char *err, size_t errlen)
{
    /* Never from under a running job, whose next write would meet a
     * missing network: take the job lock first (held until close). */
    struct cs_network net = {0};
    enum cs_rc rc = s->ops->network_get(s, name, &net, err, errlen);
    if (rc == CS_OK)
        rc = s->ops->network_lock(s, net.id, err, errlen);
    if (rc == CS_OK)
        rc = s->ops->network_remove(s, name, err, errlen);
    cs_network_clear(&net);
    return rc;
}

enum cs_rc cs_store_network_get(struct cs_store *s, const char *name, struct cs_network *out,
                                char *err, size_t errlen)
{
    return s->ops->network_get(s, name, out, err, errlen);
}

enum cs_rc cs_store_network_list(struct cs_store *s,
                                 void (*fn)(const struct cs_network *net, void *arg), void *arg,
                                 char *err, size_t errlen)
{
    return s->ops->network_list(s, fn, arg, err, errlen);
}

enum cs_rc cs_store_network_lock(struct cs_store *s, int64_t network_id, char *err, size_t errlen)
{
    return s->ops->network_lock(s, network_id, err, errlen);
}

enum cs_rc cs_store_job_begin(struct cs_store *s, struct cs_job *job, char *err, size_t errlen)
{
    return s->ops->job_begin(s, job, err, errlen);
}

enum cs_rc cs_store_job_finish(struct cs_store *s, const struct cs_job *job, char *err,
                               size_t errlen)
{
    return s->ops->job_finish(s, job, err, errlen);
}

enum cs_rc cs_store_job_get(struct cs_store *s, int64_t id, struct cs_job *out, char *err,
                            size_t errlen)
{
    return s->ops->job_get(s, id, out, err, errlen);
}

enum cs_rc cs_store_job_list(struct cs_store *s, int64_t network_id,
                             void (*fn)(const struct cs_job *job, void *arg), void *arg, char *err,
                             size_t errlen)
{
    return s->ops->job_list(s, network_id, fn, arg, err, errlen);
}

enum cs_rc cs_store_cert_put(struct cs_store *s, const struct cs_cert_row *cert, char *err,
                             size_t errlen)
{
    return s->ops->cert_put(s, cert, err, errlen);
}

enum cs_rc cs_store_cert_get(struct cs_store *s, const char *sha256, struct cs_cert_row *out,
                             char *err, size_t errlen)
{
    return s->ops->cert_get(s, sha256, out, err, errlen);
}

enum cs_rc cs_store_cert_list(struct cs_store *s, const struct cs_cert_filter *filter,
                              void (*fn)(const struct cs_cert_row *cert,
                                         const struct cs_endpoint_row *ep, void *arg),
                              void *arg, char *err, size_t errlen)
{
    return s->ops->cert_list(s, filter, fn, arg, err, errlen);
}

enum cs_rc cs_store_endpoint_get(struct cs_store *s, int64_t network_id, const char *ip,
                                 uint16_t port, const char *sni, struct cs_endpoint_row *out,
                                 char *err, size_t errlen)
{
    return s->ops->endpoint_get(s, network_id, ip, port, sni, out, err, errlen);
}

enum cs_rc cs_store_endpoint_put(struct cs_store *s, struct cs_endpoint_row *ep, char *err,
                                 size_t errlen)
{
    return s->ops->endpoint_put(s, ep, err, errlen);
}

enum cs_rc cs_store_endpoint_list(struct cs_store *s, const struct cs_endpoint_filter *filter,
                                  void (*fn)(const struct cs_endpoint_row *ep, void *arg),
                                  void *arg, char *err, size_t errlen)
{
    return s->ops->endpoint_list(s, filter, fn, arg, err, errlen);
}

enum cs_rc cs_store_history_add(struct cs_store *s, int64_t endpoint_id, int64_t job_id,
                                time_t probed_at, enum cs_status status, const char *reason,
                                const char *cert_sha256, char *err, size_t errlen)
{
    return s->ops->history_add(s, endpoint_id, job_id, probed_at, status, reason, cert_sha256, err,
                               errlen);
}

enum cs_rc cs_store_outbox_add(struct cs_store *s, struct cs_outbox_row *row, char *err,
                               size_t errlen)
{
    return s->ops->outbox_add(s, row, err, errlen);
}

enum cs_rc cs_store_outbox_get(struct cs_store *s, int64_t id, struct cs_outbox_row *out, char *err,
                               size_t errlen)
{
    return s->ops->outbox_get(s, id, out, err, errlen);
}

enum cs_rc cs_store_outbox_list(struct cs_store *s, const struct cs_outbox_filter *filter,
                                void (*fn)(const struct cs_outbox_row *row, void *arg), void *arg,
                                char *err, size_t errlen)
{
    if (filter != NULL && (filter->state < 0 || filter->state > CS_OUTBOX_FAILED + 1))
        return cs_fail(err, errlen, CS_ERR_USAGE, "no outbox state number %d", filter->state - 1);
    return s->ops->outbox_list(s, filter, fn, arg, err, errlen);
}

enum cs_rc cs_store_outbox_claim(struct cs_store *s, int64_t id, time_t now, time_t lease_until,
                                 const char *note, char *err, size_t errlen)
{
    return s->ops->outbox_claim(s, id, now, lease_until, note, err, errlen);
}

enum cs_rc cs_store_outbox_finish(struct cs_store *s, int64_t id, unsigned attempts,
                                  enum cs_outbox_state state, time_t next_attempt_at,
                                  time_t sent_at, const char *error, char *err, size_t errlen)
{
    if ((unsigned)state > CS_OUTBOX_FAILED)
        return cs_fail(err, errlen, CS_ERR_USAGE, "no outbox state number %d", (int)state);
    return s->ops->outbox_finish(s, id, attempts, state, next_attempt_at, sent_at, error, err,
                                 errlen);
}

enum cs_rc cs_store_outbox_retry(struct cs_store *s, int64_t id, time_t now, char *err,
                                 size_t errlen)
{
    return s->ops->outbox_retry(s, id, now, err, errlen);
}

enum cs_rc cs_store_alert_add(struct cs_store *s, struct cs_alert *alert, char *err, size_t errlen)
{
    return s->ops->alert_add(s, alert, err, errlen);
}

enum cs_rc cs_store_alert_get(struct cs_store *s, const char *name, struct cs_alert *out, char *err,
                              size_t errlen)
{
    return s->ops->alert_get(s, name, out, err, errlen);
}

enum cs_rc cs_store_alert_list(struct cs_store *s,
                               void (*fn)(const struct cs_alert *alert, void *arg), void *arg,
                               char *err, size_t errlen)
{
    return s->ops->alert_list(s, fn, arg, err, errlen);
}

enum cs_rc cs_store_alert_remove(struct cs_store *s, const char *name, char *err, size_t errlen)
{
    return s->ops->alert_remove(s, name, err, errlen);
}

enum cs_rc cs_store_alert_ran(struct cs_store *s, int64_t alert_id, time_t at, char *err,
                              size_t errlen)
{
    return s->ops->alert_ran(s, alert_id, at, err, errlen);
}

enum cs_rc cs_store_alert_reported_get(struct cs_store *s, int64_t alert_id, const char *sha256,
                                       time_t *reported_at, char *err, size_t errlen)
{
    return s->ops->alert_reported_get(s, alert_id, sha256, reported_at, err, errlen);
}

enum cs_rc cs_store_alert_reported_mark(struct cs_store *s, int64_t alert_id, const char *sha256,
                                        time_t at, char *err, size_t errlen)
{
    return s->ops->alert_reported_mark(s, alert_id, sha256, at, err, errlen);
}

enum cs_rc cs_store_ticket_get(struct cs_store *s, const char *channel, const char *key,
                               struct cs_ticket_row *out, char *err, size_t errlen)
{
    return s->ops->ticket_get(s, channel, key, out, err, errlen);
}

enum cs_rc cs_store_ticket_put(struct cs_store *s, struct cs_ticket_row *row, char *err,
                               size_t errlen)
{
    time_t now = time(NULL);

    if ((unsigned)row->state > CS_TICKET_CLOSED)
        return cs_fail(err, errlen, CS_ERR_USAGE, "no ticket state number %d", (int)row->state);
    /* The times as both backends store them, written back: 0 is now (a new
     * ticket was last updated when it was opened), a ticket closed without
     * a time was closed when last updated, and an open one has no
     * closed_at. */
    if (row->id == 0 && row->opened_at == 0)
        row->opened_at = now;
    if (row->updated_at == 0)
        row->updated_at = row->id == 0 ? row->opened_at : now;
    if (row->state == CS_TICKET_OPEN)
        row->closed_at = 0;
    else if (row->closed_at == 0)
        row->closed_at = row->updated_at;
    return s->ops->ticket_put(s, row, err, errlen);
}

enum cs_rc cs_store_ticket_list_open(struct cs_store *s, const char *channel,
                                     const char *key_prefix,
                                     void (*fn)(const struct cs_ticket_row *row, void *arg),
                                     void *arg, char *err, size_t errlen)
{
    return s->ops->ticket_list_open(s, channel, key_prefix, fn, arg, err, errlen);
}

/* ---- rows ---------------------------------------------------------------- */

void cs_network_clear(struct cs_network *net)
{
    free(net->name);
    free(net->description);
    free(net->ranges);
    free(net->excludes);
    free(net->ports);
    free(net->snis);
    free(net->alert_to);
    free(net->webhooks);
    memset(net, 0, sizeof(*net));
}

void cs_job_clear(struct cs_job *job)
{
    free(job->network_name);
    free(job->report_json);
    memset(job, 0, sizeof(*job));
}

void cs_cert_row_clear(struct cs_cert_row *cert)
{
    free(cert->subject);
    free(cert->subject_cn);
    free(cert->issuer);
    free(cert->serial);
    free(cert->sans_json);
    free(cert->key_type);
    free(cert->sig_alg);
    free(cert->der);
    memset(cert, 0, sizeof(*cert));
}

void cs_endpoint_row_clear(struct cs_endpoint_row *ep)
{
    free(ep->sni);
    free(ep->last_reason);
    free(ep->cert_sha256);
    memset(ep, 0, sizeof(*ep));
}

void cs_outbox_row_clear(struct cs_outbox_row *row)
{
    free(row->idem_key);
    free(row->channel);
    free(row->kind);
    free(row->payload);
    free(row->last_error);
    memset(row, 0, sizeof(*row));
}

void cs_alert_clear(struct cs_alert *alert)
{
    free(alert->name);
    free(alert->network_name);
    free(alert->recipients);
    free(alert->subject);
    free(alert->body);
    free(alert->channels);
    memset(alert, 0, sizeof(*alert));
}

void cs_ticket_row_clear(struct cs_ticket_row *row)
{
    free(row->channel);
    free(row->key);
    free(row->remote_id);
    free(row->remote_number);
    memset(row, 0, sizeof(*row));
}

const char *cs_job_kind_name(enum cs_job_kind kind)
{
    return kind == CS_JOB_MONITORING ? "monitoring" : "discovery";
}

const char *cs_job_state_name(enum cs_job_state state)
{
    static const char *const names[] = {"running", "done", "interrupted", "failed"};
    return (unsigned)state < 4 ? names[state] : "unknown";
}

const char *cs_outbox_state_name(enum cs_outbox_state state)
{
    static const char *const names[] = {"pending", "sent", "failed"};
    return (unsigned)state < 3 ? names[state] : "unknown";
}

void cs_store_format_time(time_t t, char *buf)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

time_t cs_store_parse_time(const char *text)
{
    struct tm tm = {0};
    if (text == NULL || sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon,
                               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
}

bool cs_outbox_state_parse(const char *name, enum cs_outbox_state *out)
{
    for (int st = CS_OUTBOX_PENDING; st <= CS_OUTBOX_FAILED; st++)
        if (name != NULL && strcmp(name, cs_outbox_state_name((enum cs_outbox_state)st)) == 0) {
            *out = (enum cs_outbox_state)st;
            return true;
        }
    return false;
}
