#include "job.h"
#include "job_notify.h"
#include "log.h"
#include "network.h"
#include "resolve.h"
#include "certcache.h"

#include <netinet/in.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A transaction holds at most this many endpoints, and is committed at the
 * next tick of the scan loop (every COMMIT_TICK_MS) whatever its size: large
 * enough that a /16 is a few hundred commits, short enough that a kill loses
 * little and that another process writing the inventory (SQLite has one
 * writer at a time) never waits long. */
#define WRITES_PER_TRANSACTION 256
#define COMMIT_TICK_MS 250

/* ---- the known endpoints of the network, by (ip, port, sni) ------------- */

struct known {
    char *key; /* "ip|port|sni"; NULL for an empty slot */
    struct cs_endpoint_row row;
};

struct known_map {
    struct known *slots;
    size_t cap, count;
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static void make_key(char *buf, size_t len, const char *ip, uint16_t port, const char *sni)
{
    snprintf(buf, len, "%s|%u|%s", ip, port, sni ? sni : "");
}

static struct known *known_find(struct known_map *m, const char *key)
{
    if (m->cap == 0)
        return NULL;
    for (size_t i = fnv1a(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (m->slots[i].key == NULL)
            return NULL;
        if (strcmp(m->slots[i].key, key) == 0)
            return &m->slots[i];
    }
}

/* Moves row into the map (which must have room): the map owns its strings
 * from now on. */
static bool known_add(struct known_map *m, const char *key, const struct cs_endpoint_row *row)
{
    size_t i = fnv1a(key) & (m->cap - 1);
    while (m->slots[i].key != NULL)
        i = (i + 1) & (m->cap - 1);
    struct known *k = &m->slots[i];
    if ((k->key = strdup(key)) == NULL)
        return false;
    k->row = *row;
    m->count++;
    return true;
}

static void known_free(struct known_map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key != NULL) {
            free(m->slots[i].key);
            cs_endpoint_row_clear(&m->slots[i].row);
        }
    free(m->slots);
    memset(m, 0, sizeof(*m));
}

struct load_ctx {
    struct cs_endpoint_row *rows;
    size_t n, cap;
    bool oom;
};

static void collect_row(const struct cs_endpoint_row *ep, void *arg)
{
    struct load_ctx *ctx = arg;
    if (ctx->n == ctx->cap) {
        size_t cap = ctx->cap ? ctx->cap * 2 : 64;
        struct cs_endpoint_row *rows = realloc(ctx->rows, cap * sizeof(*rows));
        if (rows == NULL) {
            ctx->oom = true;
            return;
        }
        ctx->rows = rows;
        ctx->cap = cap;
    }
    /* The row is valid only during the callback: keep copies. */
    struct cs_endpoint_row *r = &ctx->rows[ctx->n++];
    *r = *ep;
    r->sni = strdup(ep->sni ? ep->sni : "");
    r->last_reason = strdup(ep->last_reason ? ep->last_reason : "");
    r->cert_sha256 = ep->cert_sha256 ? strdup(ep->cert_sha256) : NULL;
    if (r->sni == NULL || r->last_reason == NULL || (ep->cert_sha256 && r->cert_sha256 == NULL))
        ctx->oom = true;
}

static enum cs_rc known_load(struct cs_store *s, int64_t network_id, struct known_map *m, char *err,
                             size_t errlen)
{
    struct cs_endpoint_filter filter = {.network_id = network_id};
    struct load_ctx ctx = {0};
    enum cs_rc rc = cs_store_endpoint_list(s, &filter, collect_row, &ctx, err, errlen);
    char key[128];

    if (rc == CS_OK && ctx.oom)
        rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory loading endpoints");
    if (rc == CS_OK) {
        m->cap = 64;
        while (m->cap < ctx.n * 2)
            m->cap *= 2;
        m->slots = calloc(m->cap, sizeof(*m->slots));
        if (m->slots == NULL)
            rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory loading endpoints");
    }
    for (size_t i = 0; i < ctx.n; i++) {
        make_key(key, sizeof(key), ctx.rows[i].ip, ctx.rows[i].port, ctx.rows[i].sni);
        if (rc == CS_OK && known_add(m, key, &ctx.rows[i]))
            continue; /* the map owns the row now */
        if (rc == CS_OK)
            rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory loading endpoints");
        cs_endpoint_row_clear(&ctx.rows[i]);
    }
    free(ctx.rows);
    return rc;
}

/* ---- recording results -------------------------------------------------- */

struct job_run {
    struct cs_store *store;
    const struct cs_job_opts *opts;
    const struct cs_network *net;
    struct cs_job *job;
    struct known_map *known;
    struct cs_cert_cache *cache;
    struct cs_report *report;
    time_t now;
    struct cs_store_batch batch; /* the results, a few hundred a transaction */
};

/* Stores cert, with its facts, its SANs as JSON and its DER. */
static enum cs_rc store_cert(struct job_run *run, X509 *cert, const struct cs_cert_facts *facts)
{
    struct cs_cert_row row = {
        .subject = facts->subject,
        .subject_cn = facts->subject_cn,
        .issuer = facts->issuer,
        .serial = facts->serial,
        .not_after_epoch = facts->not_after_epoch,
        .key_type = (char *)facts->key_type,
        .key_bits = facts->key_bits,
        .sig_alg = (char *)facts->sig_alg,
        .self_signed = facts->self_signed,
    };
    cJSON *sans = cJSON_CreateArray();
    for (size_t i = 0; sans && i < facts->nsans; i++)
        cJSON_AddItemToArray(sans, cJSON_CreateString(facts->sans[i]));
    memcpy(row.sha256, facts->sha256, sizeof(row.sha256));
    memcpy(row.not_before, facts->not_before, sizeof(row.not_before));
    memcpy(row.not_after, facts->not_after, sizeof(row.not_after));
    row.sans_json = sans ? cJSON_PrintUnformatted(sans) : NULL;
    cJSON_Delete(sans);
    int len = i2d_X509(cert, &row.der);
    row.der_len = len > 0 ? (size_t)len : 0;

    enum cs_rc rc =
        row.sans_json && row.der
            ? cs_store_cert_put(run->store, &row, run->batch.err, sizeof(run->batch.err))
            : cs_fail(run->batch.err, sizeof(run->batch.err), CS_ERR_NOMEM,
                      "out of memory storing a certificate");
    free(row.sans_json);
    OPENSSL_free(row.der);
    return rc;
}

static void report_result(struct job_run *run, const struct cs_probe_result *r, const char *ip,
                          const struct known *prev, const struct cs_cert_facts *cert)
{
    bool monitoring = run->job->kind == CS_JOB_MONITORING;
    cs_report_count(run->report, r->status);
    if (cert != NULL) {
        cs_report_check_expiry(run->report, ip, r->port, r->sni, cert->subject_cn, cert->not_after,
                               cert->not_after_epoch);
        if (monitoring && prev && prev->row.cert_sha256 &&
            strcmp(prev->row.cert_sha256, cert->sha256) != 0) {
            struct cs_cert_row old = {0};
            char e[CS_ERRLEN];
            bool have_old =
                cs_store_cert_get(run->store, prev->row.cert_sha256, &old, e, sizeof(e)) == CS_OK;
            cs_report_add_changed(run->report, ip, r->port, r->sni, prev->row.cert_sha256,
                                  have_old ? old.not_after : NULL, cert->sha256, cert->not_after);
            cs_cert_row_clear(&old);
        }
    } else if (monitoring || cs_status_accepted_tcp(r->status)) {
        cs_report_add_no_certificate(run->report, ip, r->port, r->sni, r->status, r->reason);
    }
}

static void record_result(const struct cs_probe_result *r, void *arg)
{
    struct job_run *run = arg;
    char ip[INET6_ADDRSTRLEN] = "", key[160];
    struct cs_cert_facts cert = {0};
    X509 *leaf = r->chain && sk_X509_num(r->chain) > 0 ? sk_X509_value(r->chain, 0) : NULL;
    bool have_cert = false, seen_in_job = false;

    if (r->addr != NULL)
        cs_addr_format(r->addr, ip, sizeof(ip));
    make_key(key, sizeof(key), ip, r->port, r->sni);
    struct known *prev = r->addr ? known_find(run->known, key) : NULL;

    /* A certificate already in this job's cache was stored when it got
     * there: it is written once per job, not once per endpoint. */
    if (leaf != NULL)
        have_cert = cs_cert_cache_get(run->cache, leaf, &cert, &seen_in_job) == CS_OK;
    report_result(run, r, ip, prev, have_cert ? &cert : NULL);
    run->job->counts[r->status]++;
    run->job->endpoints_scanned++;

    /* Only endpoints that ever accepted a connection get rows. */
    if (run->batch.failed != CS_OK || r->addr == NULL ||
        (!prev && !cs_status_accepted_tcp(r->status)))
        goto out;
    struct cs_endpoint_row ep = {
        .id = prev ? prev->row.id : 0,
        .network_id = run->net->id,
        .port = r->port,
        .sni = (char *)(r->sni ? r->sni : ""),
        .first_seen = prev ? prev->row.first_seen : run->now,
        .last_seen = cs_status_accepted_tcp(r->status) || !prev ? run->now : prev->row.last_seen,
        .last_status = r->status,
        .last_reason = (char *)r->reason,
        /* The certificate last seen stays when an endpoint returns none, so
         * the next change is measured against it. */
        .cert_sha256 = have_cert ? cert.sha256
                       : prev    ? prev->row.cert_sha256
                                 : NULL,
        .monitored = (prev && prev->row.monitored) ||
                     (run->net->auto_monitor && r->status == CS_STATUS_CERTIFICATE_FOUND),
        .last_job_id = run->job->id,
    };
    snprintf(ep.ip, sizeof(ep.ip), "%s", ip);
    cs_store_batch_begin(&run->batch);
    if (have_cert && !seen_in_job && run->batch.failed == CS_OK)
        run->batch.failed = store_cert(run, leaf, &cert);
    if (run->batch.failed == CS_OK)
        run->batch.failed =
            cs_store_endpoint_put(run->store, &ep, run->batch.err, sizeof(run->batch.err));
    if (run->batch.failed == CS_OK)
        run->batch.failed = cs_store_history_add(
            run->store, ep.id, run->job->id, run->now, r->status, r->reason,
            have_cert ? cert.sha256 : NULL, run->batch.err, sizeof(run->batch.err));
    /* A monitored endpoint that showed a certificate last time and none
     * now is lost: its syslog message goes into the same transaction. */
    if (run->batch.failed == CS_OK && run->job->kind == CS_JOB_MONITORING && prev && !have_cert &&
        prev->row.last_status == CS_STATUS_CERTIFICATE_FOUND)
        run->batch.failed =
            cs_job_notify_lost(run->store, run->opts->config, run->net, run->job, ip, r->port,
                               ep.sni, prev->row.cert_sha256, r->status, r->reason, run->now,
                               run->batch.err, sizeof(run->batch.err));
    cs_store_batch_count(&run->batch, WRITES_PER_TRANSACTION);
out:
    cs_cert_facts_clear(&cert);
}

/* The scan loop's tick: record the progress, commit what is pending, then
 * report progress. */
static void on_tick(uint64_t done, uint64_t total, double elapsed_s, void *arg)
{
    struct job_run *run = arg;
    cs_store_batch_progress(&run->batch, done, total);
    cs_store_batch_commit(&run->batch);
    if (run->opts->on_progress)
        run->opts->on_progress(done, total, elapsed_s, run->opts->progress_arg);
}

/* ---- targets of a job --------------------------------------------------- */

/* The monitored endpoints of the network, as single-address targets with
 * their own port and SNI. */
static enum cs_rc monitored_targets(const struct known_map *m, struct cs_target_list *targets,
                                    char *err, size_t errlen)
{
    char token[96];
    for (size_t i = 0; i < m->cap; i++) {
        const struct known *k = &m->slots[i];
        if (k->key == NULL || !k->row.monitored)
            continue;
        snprintf(token, sizeof(token), strchr(k->row.ip, ':') ? "[%s]:%u" : "%s:%u", k->row.ip,
                 k->row.port);
        enum cs_rc rc = cs_target_parse(targets, token, 0, err, errlen);
        if (rc != CS_OK)
            return rc;
        if (k->row.sni[0] != '\0' &&
            (targets->items[targets->count - 1].sni = strdup(k->row.sni)) == NULL)
            return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    }
    return CS_OK;
}

enum cs_rc cs_job_run(struct cs_store *s, const char *name, enum cs_job_kind kind,
                      const struct cs_job_opts *opts, cJSON **report_out, char *err, size_t errlen)
{
    struct cs_network net = {0};
    struct cs_job job = {.kind = kind, .state = CS_JOB_RUNNING};
    struct known_map known = {0};
    struct cs_target_list targets = {0}, excludes = {0};
    struct cs_portlist ports = {0};
    struct cs_plan *plan = NULL;
    struct job_run run = {.store = s, .opts = opts, .net = &net, .job = &job, .known = &known};
    enum cs_rc rc;

    *report_out = NULL;
    if ((rc = cs_store_network_get(s, name, &net, err, errlen)) != CS_OK)
        goto out;
    if (!net.enabled) {
        rc = cs_fail(err, errlen, CS_ERR_USAGE,
                     "network '%s' is disabled; 'certsweep network "
                     "enable %s' turns it back on",
                     name, name);
        goto out;
    }
    if ((rc = cs_store_network_lock(s, net.id, err, errlen)) != CS_OK ||
        (rc = known_load(s, net.id, &known, err, errlen)) != CS_OK)
        goto out;

    if (kind == CS_JOB_DISCOVERY) {
        rc = cs_network_targets(&net, &targets, &excludes, &ports, err, errlen);
        struct cs_target_list *lists[] = {&targets, &excludes};
        struct cs_resolve_opts ropts = {.servers = opts->dns_servers, .timeout_ms = 3000};
        if (rc == CS_OK)
            rc = cs_resolve_targets(lists, 2, &ropts, err, errlen);
    } else {
        rc = cs_portlist_parse("443", &ports, err, errlen);
        if (rc == CS_OK)
            rc = monitored_targets(&known, &targets, err, errlen);
    }
    if (rc != CS_OK ||
        (rc = cs_plan_build(&targets, &excludes, &ports, NULL, &plan, err, errlen)) != CS_OK)
        goto out;

    run.now = time(NULL);
    run.report = cs_report_new(kind, net.name, net.expiry_days, net.max_email_rows, run.now);
    run.cache = cs_cert_cache_new();
    job.network_id = net.id;
    job.started_at = run.now;
    if (run.report == NULL || run.cache == NULL) {
        rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = cs_store_job_begin(s, &job, err, errlen)) != CS_OK)
        goto out;
    run.batch = (struct cs_store_batch){.store = s, .job_id = job.id};

    for (size_t i = 0; i < plan->nunresolved; i++) {
        struct cs_probe_result r = {.port = plan->unresolved[i].port,
                                    .sni = plan->unresolved[i].host,
                                    .status = CS_STATUS_DNS_FAILED,
                                    .reason = plan->unresolved[i].dns_error};
        record_result(&r, &run);
    }
    struct cs_scan_opts sopts = {
        .connect_timeout_ms = net.connect_timeout_ms,
        .download_timeout_ms = net.download_timeout_ms,
        .concurrency = opts->concurrency ? opts->concurrency : 8192,
        .stop = opts->stop,
        .pause = opts->pause,
    };
    struct cs_scan_callbacks cbs = {
        .on_result = record_result,
        .on_progress = on_tick,
        .progress_interval_ms = COMMIT_TICK_MS,
        .arg = &run,
    };
    enum cs_rc scan_rc = cs_scan_run(plan, &sopts, &cbs, err, errlen);
    cs_store_batch_commit(&run.batch);
    if (run.batch.failed != CS_OK) {
        rc = cs_fail(err, errlen, run.batch.failed, "%s", run.batch.err);
        job.state = CS_JOB_FAILED;
    } else if (scan_rc != CS_OK) {
        rc = scan_rc;
        job.state = scan_rc == CS_ERR_INTERRUPTED ? CS_JOB_INTERRUPTED : CS_JOB_FAILED;
    } else {
        job.state = CS_JOB_DONE;
    }
    job.finished_at = time(NULL);
    cJSON *report = cs_report_to_json(run.report, job.id, job.started_at, job.finished_at);
    job.report_json = report ? cJSON_PrintUnformatted(report) : NULL;
    /* The job's end and the messages it causes are one transaction: a
     * finished job always has its email queued, and never twice. Should
     * queuing fail (out of memory), the job's end is still recorded, alone,
     * and the failure reported. */
    char finish_err[CS_ERRLEN], notify_err[CS_ERRLEN] = "out of memory building the report";
    enum cs_rc nrc = report ? CS_OK : CS_ERR_NOMEM;
    enum cs_rc frc = cs_store_begin(s, finish_err, sizeof(finish_err));
    if (frc == CS_OK)
        frc = cs_store_job_finish(s, &job, finish_err, sizeof(finish_err));
    if (frc == CS_OK && nrc == CS_OK)
        nrc =
            cs_job_notify_done(s, opts->config, &net, &job, report, notify_err, sizeof(notify_err));
    if (frc == CS_OK && nrc == CS_OK)
        frc = cs_store_commit(s, finish_err, sizeof(finish_err));
    if (frc != CS_OK || nrc != CS_OK)
        cs_store_rollback(s);
    if (frc == CS_OK && nrc != CS_OK) {
        frc = cs_store_job_finish(s, &job, finish_err, sizeof(finish_err));
        if (rc == CS_OK)
            rc =
                cs_fail(err, errlen, nrc, "job %lld is recorded, but its notifications are not: %s",
                        (long long)job.id, notify_err);
    }
    if (rc == CS_OK && frc != CS_OK)
        rc = cs_fail(err, errlen, frc, "%s", finish_err);
    if (rc == CS_OK)
        *report_out = report;
    else
        cJSON_Delete(report);
out:
    if (run.batch.open)
        cs_store_rollback(s);
    cs_report_free(&run.report);
    cs_cert_cache_free(&run.cache);
    cs_plan_free(&plan);
    cs_target_list_free(&targets);
    cs_target_list_free(&excludes);
    cs_portlist_free(&ports);
    known_free(&known);
    cs_network_clear(&net);
    cs_job_clear(&job);
    return rc;
}
