#include "store_int.h"

#include "log.h"
#include "sbuf.h"

#include <inttypes.h>
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

/* ---- a job's writes ------------------------------------------------------- */

void cs_store_batch_begin(struct cs_store_batch *b)
{
    if (b->failed != CS_OK || b->open)
        return;
    b->failed = cs_store_begin(b->store, b->err, sizeof(b->err));
    b->open = b->failed == CS_OK;
}

void cs_store_batch_commit(struct cs_store_batch *b)
{
    if (!b->open)
        return;
    b->open = false;
    b->writes = 0;
    if (b->failed == CS_OK)
        b->failed = cs_store_commit(b->store, b->err, sizeof(b->err));
    if (b->failed != CS_OK)
        cs_store_rollback(b->store); /* a failed COMMIT leaves it open */
}

void cs_store_batch_count(struct cs_store_batch *b, unsigned max)
{
    if (++b->writes >= max)
        cs_store_batch_commit(b);
}

void cs_store_batch_progress(struct cs_store_batch *b, uint64_t done, uint64_t total)
{
    char e[CS_ERRLEN];

    if (b->failed != CS_OK || (done == b->progress_done && total == b->progress_total))
        return;
    if (cs_store_job_progress(b->store, b->job_id, done, total, e, sizeof(e)) != CS_OK) {
        CS_LOG(CS_LOG_WARN, CS_LOGC_MAIN, "job %" PRId64 ": cannot record its progress: %s",
               b->job_id, e);
        return;
    }
    b->progress_done = done;
    b->progress_total = total;
}

/* ---- findings ------------------------------------------------------------ */

enum cs_rc cs_store_finding_list(struct cs_store *s, const struct cs_finding_filter *filter,
                                 void (*fn)(const struct cs_finding_row *row, void *arg), void *arg,
                                 char *err, size_t errlen)
{
    if (filter != NULL && (unsigned)filter->min_severity > CS_SEVERITY_CRITICAL)
        return cs_fail(err, errlen, CS_ERR_USAGE, "no severity number %d",
                       (int)filter->min_severity);
    return s->ops->finding_list(s, filter, fn, arg, err, errlen);
}

/* The findings an endpoint has in the inventory, open and fixed. */
struct row_set {
    struct cs_finding_row *rows;
    size_t n, cap;
    bool oom;
};

static char *dup_or_null(const char *text, bool *oom)
{
    char *copy;
    if (text == NULL)
        return NULL;
    if ((copy = strdup(text)) == NULL)
        *oom = true;
    return copy;
}

static void keep_row(const struct cs_finding_row *row, void *arg)
{
    struct row_set *set = arg;
    struct cs_finding_row *r;

    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 16;
        struct cs_finding_row *rows = realloc(set->rows, cap * sizeof(*rows));
        if (rows == NULL) {
            set->oom = true;
            return;
        }
        set->rows = rows;
        set->cap = cap;
    }
    /* The row is valid only during the call: keep a copy of its own. */
    r = &set->rows[set->n++];
    *r = *row;
    r->check_id = dup_or_null(row->check_id, &set->oom);
    r->title = dup_or_null(row->title, &set->oom);
    r->detail = dup_or_null(row->detail, &set->oom);
    r->cve = dup_or_null(row->cve, &set->oom);
    r->cert_sha256 = dup_or_null(row->cert_sha256, &set->oom);
    r->network_name = dup_or_null(row->network_name, &set->oom);
    r->sni = dup_or_null(row->sni, &set->oom);
}

static void row_set_free(struct row_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        cs_finding_row_clear(&set->rows[i]);
    free(set->rows);
    memset(set, 0, sizeof(*set));
}

/* One check's finding as it will be stored: several findings of one check
 * in a scan's list are one row. */
struct merged {
    const struct cs_check *check;
    enum cs_severity severity;
    struct cs_sbuf detail;
};

static enum cs_rc merge_found(const struct cs_findings *found, struct merged **out, size_t *count,
                              char *err, size_t errlen)
{
    size_t n = 0, total = found != NULL ? found->count : 0;
    struct merged *m = calloc(total > 0 ? total : 1, sizeof(*m));
    bool oom = m == NULL;

    for (size_t i = 0; !oom && i < total; i++) {
        const struct cs_finding *f = &found->items[i];
        size_t j = 0;
        if (f->check == NULL || f->check->id == NULL) {
            for (j = 0; j < n; j++)
                cs_sbuf_free(&m[j].detail);
            free(m);
            return cs_fail(err, errlen, CS_ERR_USAGE, "a finding without a check");
        }
        while (j < n && strcmp(m[j].check->id, f->check->id) != 0)
            j++;
        if (j == n) {
            m[n].check = f->check;
            m[n].severity = f->severity;
            cs_sbuf_add(&m[n].detail, "", 0); /* "" rather than NULL */
            n++;
        } else {
            if (f->severity > m[j].severity)
                m[j].severity = f->severity;
            if (m[j].detail.len > 0 && f->detail != NULL && f->detail[0] != '\0')
                cs_sbuf_str(&m[j].detail, "; ");
        }
        cs_sbuf_str(&m[j].detail, f->detail != NULL ? f->detail : "");
        oom = m[j].detail.oom;
    }
    if (oom) {
        for (size_t j = 0; m != NULL && j < n; j++)
            cs_sbuf_free(&m[j].detail);
        free(m);
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory recording findings");
    }
    *out = m;
    *count = n;
    return CS_OK;
}

static struct cs_finding_row *row_of(struct row_set *set, const char *check_id)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->rows[i].check_id, check_id) == 0)
            return &set->rows[i];
    return NULL;
}

/*
 * Built on the backend's finding_put and finding_list, so that both
 * backends decide alike what is new, reopened and fixed: the endpoint's rows
 * are read first (a few at most), then each finding is written.
 */
enum cs_rc cs_store_findings_sync(struct cs_store *s, const struct cs_findings_sync *sync,
                                  char *err, size_t errlen)
{
    struct cs_finding_filter filter = {.endpoint_id = sync->endpoint_id, .include_fixed = true};
    struct row_set have = {0};
    struct merged *found = NULL;
    size_t nfound = 0;
    time_t now = sync->now != 0 ? sync->now : time(NULL);
    enum cs_rc rc;

    if (sync->endpoint_id == 0)
        return cs_fail(err, errlen, CS_ERR_USAGE, "findings need an endpoint");
    if ((rc = merge_found(sync->found, &found, &nfound, err, errlen)) != CS_OK)
        return rc;
    if ((rc = s->ops->finding_list(s, &filter, keep_row, &have, err, errlen)) != CS_OK)
        goto out;
    if (have.oom) {
        rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory reading findings");
        goto out;
    }

    for (size_t i = 0; i < nfound; i++) {
        struct cs_finding_row *prev = row_of(&have, found[i].check->id);
        struct cs_finding_row row = {
            .endpoint_id = sync->endpoint_id,
            .check_id = (char *)found[i].check->id,
            .severity = found[i].severity,
            .title = (char *)found[i].check->title,
            .detail = found[i].detail.p,
            .cve = (char *)found[i].check->cve,
            .cert_sha256 = (char *)sync->cert_sha256,
            .first_seen = prev != NULL ? prev->first_seen : now,
            .last_seen = now,
            .job_id = sync->job_id,
        };
        enum cs_finding_change change = prev == NULL          ? CS_FINDING_NEW
                                        : prev->fixed_at != 0 ? CS_FINDING_REOPENED
                                                              : CS_FINDING_SEEN;
        if ((rc = s->ops->finding_put(s, &row, err, errlen)) != CS_OK)
            goto out;
        if (sync->on_change != NULL)
            sync->on_change(&row, change, sync->arg);
    }

    /* What was looked for and is gone is fixed; the rest stays as it was. */
    for (size_t i = 0; i < have.n; i++) {
        struct cs_finding_row *row = &have.rows[i];
        bool seen = false;
        for (size_t j = 0; j < nfound && !seen; j++)
            seen = strcmp(found[j].check->id, row->check_id) == 0;
        if (seen || row->fixed_at != 0 ||
            (sync->checked != NULL && !sync->checked(row->check_id, sync->arg)))
            continue;
        row->fixed_at = now;
        if ((rc = s->ops->finding_put(s, row, err, errlen)) != CS_OK)
            goto out;
        if (sync->on_change != NULL)
            sync->on_change(row, CS_FINDING_FIXED, sync->arg);
    }
out:
    for (size_t i = 0; i < nfound; i++)
        cs_sbuf_free(&found[i].detail);
    free(found);
    row_set_free(&have);
    return rc;
}

/* ---- schema version 5 ---------------------------------------------------- */

enum cs_rc cs_store_job_latest(struct cs_store *s, int64_t network_id, enum cs_job_kind kind,
                               struct cs_job *out, char *err, size_t errlen)
{
    return s->ops->job_latest(s, network_id, kind, out, err, errlen);
}

enum cs_rc cs_store_job_progress(struct cs_store *s, int64_t job_id, uint64_t done, uint64_t total,
                                 char *err, size_t errlen)
{
    return s->ops->job_progress(s, job_id, done, total, err, errlen);
}

enum cs_rc cs_store_endpoint_get_by_id(struct cs_store *s, int64_t id, struct cs_endpoint_row *out,
                                       char *err, size_t errlen)
{
    return s->ops->endpoint_get_by_id(s, id, out, err, errlen);
}

enum cs_rc cs_store_history_list(struct cs_store *s, int64_t endpoint_id, unsigned limit,
                                 void (*fn)(const struct cs_history_row *row, void *arg), void *arg,
                                 char *err, size_t errlen)
{
    return s->ops->history_list(s, endpoint_id, limit, fn, arg, err, errlen);
}

enum cs_rc cs_store_token_add(struct cs_store *s, const char *name, const char *sha256, time_t now,
                              char *err, size_t errlen)
{
    size_t len = name != NULL ? strlen(name) : 0;

    /* The name is what `token list` and `token revoke` go by: printable,
     * without spaces, and short enough for struct cs_token_row. */
    if (len == 0 || len > CS_TOKEN_NAME_MAX)
        return cs_fail(err, errlen, CS_ERR_USAGE, "invalid token name '%s': 1 to %d characters",
                       name ? name : "", CS_TOKEN_NAME_MAX);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] <= ' ' || name[i] == 0x7f)
            return cs_fail(err, errlen, CS_ERR_USAGE,
                           "invalid token name '%s': no spaces or control characters", name);
    if (sha256 == NULL || strlen(sha256) != 64 || strspn(sha256, "0123456789abcdef") != 64)
        return cs_fail(err, errlen, CS_ERR_USAGE,
                       "a token is stored by the lowercase hex of its SHA-256");
    return s->ops->token_add(s, name, sha256, now, err, errlen);
}

enum cs_rc cs_store_token_find(struct cs_store *s, const char *sha256, struct cs_token_row *out,
                               char *err, size_t errlen)
{
    return s->ops->token_find(s, sha256, out, err, errlen);
}

enum cs_rc cs_store_token_list(struct cs_store *s,
                               void (*fn)(const struct cs_token_row *row, void *arg), void *arg,
                               char *err, size_t errlen)
{
    return s->ops->token_list(s, fn, arg, err, errlen);
}

enum cs_rc cs_store_token_remove(struct cs_store *s, const char *name, char *err, size_t errlen)
{
    return s->ops->token_remove(s, name, err, errlen);
}

enum cs_rc cs_store_token_used(struct cs_store *s, int64_t id, time_t at, char *err, size_t errlen)
{
    return s->ops->token_used(s, id, at, err, errlen);
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
    free(net->tickets);
    free(net->discover_every);
    free(net->monitor_every);
    free(net->vulnscan_every);
    free(net->quiet_hours);
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
    free(alert->run_every);
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

void cs_finding_row_clear(struct cs_finding_row *row)
{
    free(row->check_id);
    free(row->title);
    free(row->detail);
    free(row->cve);
    free(row->cert_sha256);
    free(row->network_name);
    free(row->sni);
    memset(row, 0, sizeof(*row));
}

/* Indexed by enum cs_job_kind. */
static const char *const job_kind_names[] = {"discovery", "monitoring", "vulnscan"};

const char *cs_job_kind_name(enum cs_job_kind kind)
{
    return (unsigned)kind < sizeof(job_kind_names) / sizeof(job_kind_names[0])
               ? job_kind_names[kind]
               : "unknown";
}

bool cs_job_kind_parse(const char *name, enum cs_job_kind *out)
{
    for (size_t i = 0; name != NULL && i < sizeof(job_kind_names) / sizeof(job_kind_names[0]); i++)
        if (strcmp(name, job_kind_names[i]) == 0) {
            *out = (enum cs_job_kind)i;
            return true;
        }
    return false;
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
