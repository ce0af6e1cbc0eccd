#include "vulnjob.h"
#include "job_notify.h"
#include "log.h"
#include "report.h"
#include "vulnscan.h"
#include "x509info.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Endpoints whose findings one transaction holds at most; committed at each
 * progress tick too (see job.c for the reasoning). */
#define WRITES_PER_TRANSACTION 64
#define COMMIT_TICK_MS 250

/* The network's endpoints to scan, sorted by key for lookups. */
struct target_ep {
    char key[128]; /* "ip|port|sni" */
    struct cs_endpoint_row row;
};

struct vjob {
    struct cs_store *store;
    const struct cs_vulnjob_opts *opts;
    const struct cs_config *config;
    const struct cs_network *net;
    struct cs_job *job;
    struct cs_report *report;
    struct cs_vulnjob_summary *summary;
    unsigned checks; /* enum cs_vcheck_flags that run */
    struct target_ep *eps;
    size_t neps;
    time_t now;
    struct cs_store_batch batch; /* the results, a few hundred a transaction */
};

static void make_key(char *buf, size_t len, const char *ip, unsigned port, const char *sni)
{
    snprintf(buf, len, "%s|%u|%s", ip, port, sni ? sni : "");
}

static int ep_cmp(const void *a, const void *b)
{
    return strcmp(((const struct target_ep *)a)->key, ((const struct target_ep *)b)->key);
}

/* ---- loading the endpoints -------------------------------------------- */

struct load {
    struct target_ep *eps;
    size_t n, cap;
    bool oom;
};

static void keep_endpoint(const struct cs_endpoint_row *ep, void *arg)
{
    struct load *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct target_ep *eps = realloc(l->eps, cap * sizeof(*eps));
        if (eps == NULL) {
            l->oom = true;
            return;
        }
        l->eps = eps;
        l->cap = cap;
    }
    struct target_ep *t = &l->eps[l->n++];
    memset(t, 0, sizeof(*t));
    make_key(t->key, sizeof(t->key), ep->ip, ep->port, ep->sni);
    t->row.id = ep->id;
    t->row.port = ep->port;
    snprintf(t->row.ip, sizeof(t->row.ip), "%s", ep->ip);
    t->row.sni = strdup(ep->sni ? ep->sni : "");
    t->row.cert_sha256 = ep->cert_sha256 ? strdup(ep->cert_sha256) : NULL;
    if (t->row.sni == NULL || (ep->cert_sha256 && t->row.cert_sha256 == NULL))
        l->oom = true;
}

static void endpoints_free(struct target_ep *eps, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cs_endpoint_row_clear(&eps[i].row);
    free(eps);
}

/* The endpoints of the network that showed a certificate at their last
 * probe, and the plan that scans them, each with its own port and SNI. */
static enum cs_rc load_targets(struct vjob *vj, struct cs_plan **plan, char *err, size_t errlen)
{
    struct cs_endpoint_filter filter = {.network_id = vj->net->id,
                                        .status = CS_STATUS_CERTIFICATE_FOUND + 1};
    struct load l = {0};
    struct cs_target_list targets = {0};
    struct cs_portlist ports = {0};
    char token[96];
    enum cs_rc rc = cs_store_endpoint_list(vj->store, &filter, keep_endpoint, &l, err, errlen);

    if (rc == CS_OK && l.oom)
        rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory loading endpoints");
    for (size_t i = 0; rc == CS_OK && i < l.n; i++) {
        const struct cs_endpoint_row *ep = &l.eps[i].row;
        snprintf(token, sizeof(token), strchr(ep->ip, ':') ? "[%s]:%u" : "%s:%u", ep->ip, ep->port);
        rc = cs_target_parse(&targets, token, 0, err, errlen);
        if (rc == CS_OK && ep->sni[0] != '\0' &&
            (targets.items[targets.count - 1].sni = strdup(ep->sni)) == NULL)
            rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    }
    if (rc == CS_OK)
        rc = cs_portlist_parse("443", &ports, err, errlen); /* unused: every target has its port */
    if (rc == CS_OK)
        rc = cs_plan_build(&targets, NULL, &ports, NULL, plan, err, errlen);
    cs_target_list_free(&targets);
    cs_portlist_free(&ports);
    if (rc != CS_OK) {
        endpoints_free(l.eps, l.n);
        return rc;
    }
    if (l.n > 0)
        qsort(l.eps, l.n, sizeof(*l.eps), ep_cmp);
    vj->eps = l.eps;
    vj->neps = l.n;
    return CS_OK;
}

/* ---- recording results ------------------------------------------------- */

/* What one endpoint's scan looked for: the groups that ran to a
 * conclusion, and revocation when it was on. */
struct looked_for {
    unsigned groups;
    bool revocation;
};

static bool was_checked(const char *check_id, void *arg)
{
    const struct looked_for *lf = arg;
    if (strcmp(check_id, "inconclusive") == 0)
        return true; /* the scan ran: no note now means none is due */
    unsigned group = cs_vcheck_group_of(check_id);
    return group != 0 ? (lf->groups & group) != 0 : lf->revocation;
}

/* The facts of an endpoint's leaf that its findings' tickets carry. */
struct leaf {
    struct cs_cert_facts facts;
    bool known;
    char domain[256];
};

/* What cs_store_findings_sync hands to both callbacks. looked comes
 * first: was_checked reads it through the context's address. */
struct sync_ctx {
    struct looked_for looked;
    struct vjob *vj;
    const struct cs_endpoint_row *ep;
    const struct leaf *leaf;
};

static void on_finding(const struct cs_finding_row *row, enum cs_finding_change change, void *arg)
{
    struct sync_ctx *ctx = arg;
    struct vjob *vj = ctx->vj;
    /* Rows as written carry no endpoint: give them this one's. */
    struct cs_finding_row r = *row;
    snprintf(r.ip, sizeof(r.ip), "%s", ctx->ep->ip);
    r.port = ctx->ep->port;
    r.sni = ctx->ep->sni;
    r.network_id = vj->net->id;
    r.network_name = vj->net->name;
    row = &r;
    struct cs_vulnjob_summary *sum = vj->summary;
    static const enum cs_report_finding as_report[] = {
        [CS_FINDING_NEW] = CS_REPORT_FINDING_NEW,
        [CS_FINDING_REOPENED] = CS_REPORT_FINDING_NEW,
        [CS_FINDING_SEEN] = CS_REPORT_FINDING_SEEN,
        [CS_FINDING_FIXED] = CS_REPORT_FINDING_FIXED,
    };

    cs_report_add_finding(vj->report, row->ip, row->port, row->sni, row->check_id, row->severity,
                          row->detail, as_report[change]);
    if (change == CS_FINDING_FIXED) {
        sum->fixed++;
    } else {
        sum->by_severity[row->severity]++;
        sum->found++;
        sum->opened += change == CS_FINDING_NEW;
        sum->reopened += change == CS_FINDING_REOPENED;
    }
    if (vj->batch.failed != CS_OK)
        return;
    struct cs_finding_event ev = {
        .row = row,
        .change = change,
        .domain = ctx->leaf->domain,
        .sig_alg = ctx->leaf->known ? ctx->leaf->facts.sig_alg : NULL,
        .not_after = ctx->leaf->known ? ctx->leaf->facts.not_after : NULL,
    };
    vj->batch.failed = cs_job_notify_finding(vj->store, vj->config, vj->net, vj->job, &ev, vj->now,
                                             vj->batch.err, sizeof(vj->batch.err));
}

/* The name a ticket calls the endpoint by: its SNI, else its certificate's
 * common name or first SAN, else its address. */
static void leaf_of(const struct cs_vuln_result *r, const char *ip, struct leaf *leaf)
{
    X509 *cert = r->chain && sk_X509_num(r->chain) > 0 ? sk_X509_value(r->chain, 0) : NULL;
    char err[CS_ERRLEN];
    leaf->known = cert != NULL && cs_cert_facts_get(cert, &leaf->facts, err, sizeof(err)) == CS_OK;
    const char *name = r->sni                                  ? r->sni
                       : leaf->known && leaf->facts.subject_cn ? leaf->facts.subject_cn
                       : leaf->known && leaf->facts.nsans > 0  ? leaf->facts.sans[0]
                                                               : ip;
    snprintf(leaf->domain, sizeof(leaf->domain), "%s", name);
}

static void record_result(const struct cs_vuln_result *r, void *arg)
{
    struct vjob *vj = arg;
    char ip[64], key[160];
    struct target_ep probe;

    cs_addr_format(r->addr, ip, sizeof(ip));
    make_key(probe.key, sizeof(probe.key), ip, r->port, r->sni);
    memcpy(key, probe.key, sizeof(key));
    struct target_ep *ep = bsearch(&probe, vj->eps, vj->neps, sizeof(*vj->eps), ep_cmp);

    cs_report_count(vj->report, r->status);
    vj->job->counts[r->status]++;
    vj->job->endpoints_scanned++;
    if (r->facts == NULL) {
        /* No TLS this time: a server that is down is not a server that
         * was fixed, so its findings stay as they were. */
        cs_report_add_no_certificate(vj->report, ip, r->port, r->sni, r->status, r->reason);
        return;
    }
    vj->summary->answered++;
    if (ep == NULL) {
        CS_LOG(CS_LOG_WARN, CS_LOGC_MAIN, "vulnscan: %s is not in the inventory any more", key);
        vj->summary->skipped++;
        return;
    }

    struct leaf leaf = {0};
    leaf_of(r, ip, &leaf);
    struct sync_ctx ctx = {
        .looked = {.groups = vj->checks & ~cs_vcheck_inconclusive_groups(r->findings),
                   .revocation = (vj->opts->revocation || vj->net->revocation) &&
                                 !cs_vcheck_inconclusive_about(r->findings, "revocation")},
        .vj = vj,
        .ep = &ep->row,
        .leaf = &leaf,
    };
    struct cs_findings_sync sync = {
        .endpoint_id = ep->row.id,
        .job_id = vj->job->id,
        .cert_sha256 = leaf.known ? leaf.facts.sha256 : NULL,
        .found = r->findings,
        .now = vj->now,
        .checked = was_checked,
        .on_change = on_finding,
        .arg = &ctx,
    };
    cs_store_batch_begin(&vj->batch);
    if (vj->batch.failed == CS_OK)
        vj->batch.failed =
            cs_store_findings_sync(vj->store, &sync, vj->batch.err, sizeof(vj->batch.err));
    cs_store_batch_count(&vj->batch, WRITES_PER_TRANSACTION);
    cs_cert_facts_clear(&leaf.facts);
}

/* The scan loop's tick: as in job.c. */
static void on_tick(uint64_t done, uint64_t total, double elapsed_s, void *arg)
{
    struct vjob *vj = arg;
    cs_store_batch_progress(&vj->batch, done, total);
    cs_store_batch_commit(&vj->batch);
    if (vj->opts->on_progress)
        vj->opts->on_progress(done, total, elapsed_s, vj->opts->progress_arg);
}

/* ---- the job ------------------------------------------------------------ */

void cs_vulnjob_summary_clear(struct cs_vulnjob_summary *summary)
{
    free(summary->report_json);
    memset(summary, 0, sizeof(*summary));
}

/* Records the job's end and queues its report (email, syslog summary,
 * webhooks) in one transaction, as job.c does. */
static enum cs_rc finish_job(struct vjob *vj, enum cs_rc rc, char *err, size_t errlen)
{
    struct cs_job *job = vj->job;
    char finish_err[CS_ERRLEN], notify_err[CS_ERRLEN] = "out of memory building the report";

    job->finished_at = time(NULL);
    cJSON *report = cs_report_to_json(vj->report, job->id, job->started_at, job->finished_at);
    job->report_json = report ? cJSON_PrintUnformatted(report) : NULL;
    enum cs_rc nrc = job->report_json ? CS_OK : CS_ERR_NOMEM;
    enum cs_rc frc = cs_store_begin(vj->store, finish_err, sizeof(finish_err));
    if (frc == CS_OK)
        frc = cs_store_job_finish(vj->store, job, finish_err, sizeof(finish_err));
    if (frc == CS_OK && nrc == CS_OK)
        nrc = cs_job_notify_done(vj->store, vj->config, vj->net, job, report, notify_err,
                                 sizeof(notify_err));
    if (frc == CS_OK && nrc == CS_OK)
        frc = cs_store_commit(vj->store, finish_err, sizeof(finish_err));
    if (frc != CS_OK || nrc != CS_OK)
        cs_store_rollback(vj->store);
    if (frc == CS_OK && nrc != CS_OK) {
        frc = cs_store_job_finish(vj->store, job, finish_err, sizeof(finish_err));
        if (rc == CS_OK)
            rc =
                cs_fail(err, errlen, nrc, "job %lld is recorded, but its notifications are not: %s",
                        (long long)job->id, notify_err);
    }
    if (rc == CS_OK && frc != CS_OK)
        rc = cs_fail(err, errlen, frc, "%s", finish_err);
    if (job->report_json != NULL)
        vj->summary->report_json = strdup(job->report_json);
    cJSON_Delete(report);
    return rc;
}

enum cs_rc cs_vulnjob_run(struct cs_store *s, const char *network,
                          const struct cs_vulnjob_opts *opts, struct cs_vulnjob_summary *summary,
                          char *err, size_t errlen)
{
    struct cs_network net = {0};
    struct cs_job job = {.kind = CS_JOB_VULNSCAN, .state = CS_JOB_RUNNING};
    struct cs_plan *plan = NULL;
    struct vjob vj = {.store = s,
                      .opts = opts,
                      .config = opts->config,
                      .net = &net,
                      .job = &job,
                      .summary = summary,
                      .checks = opts->checks ? opts->checks : CS_VCHECK_ALL};
    X509_STORE *unused = NULL;
    enum cs_rc rc;

    if ((rc = cs_store_network_get(s, network, &net, err, errlen)) != CS_OK)
        goto out;
    if (!net.enabled) {
        rc = cs_fail(err, errlen, CS_ERR_USAGE,
                     "network '%s' is disabled; 'certsweep network enable %s' turns it back on",
                     network, network);
        goto out;
    }
    /* A CA file that cannot be used is the user's error, found before any
     * job is recorded. */
    struct cs_vuln_opts vopts = {
        .connect_timeout_ms = net.connect_timeout_ms,
        .read_timeout_ms = net.download_timeout_ms,
        .concurrency = opts->concurrency ? opts->concurrency : 1024,
        .per_host = opts->per_host ? opts->per_host : 5,
        .rate = opts->rate,
        .checks = vj.checks,
        .revocation = opts->revocation || net.revocation,
        .cert = {.ca_file = opts->ca_file, .expiring_days = (int)net.expiry_days},
        .stop = opts->stop,
        .pause = opts->pause,
    };
    if ((rc = cs_certcheck_store_new(&vopts.cert, &unused, err, errlen)) != CS_OK)
        goto out;
    X509_STORE_free(unused);
    if ((rc = cs_store_network_lock(s, net.id, err, errlen)) != CS_OK ||
        (rc = load_targets(&vj, &plan, err, errlen)) != CS_OK)
        goto out;

    vj.now = time(NULL);
    vj.report =
        cs_report_new(CS_JOB_VULNSCAN, net.name, net.expiry_days, net.max_email_rows, vj.now);
    if (vj.report == NULL) {
        rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        goto out;
    }
    job.network_id = net.id;
    job.started_at = vj.now;
    if ((rc = cs_store_job_begin(s, &job, err, errlen)) != CS_OK)
        goto out;
    vj.batch = (struct cs_store_batch){.store = s, .job_id = job.id};
    summary->job_id = job.id;
    summary->endpoints = plan->total;

    struct cs_vuln_callbacks cbs = {
        .on_result = record_result,
        .on_progress = on_tick,
        .progress_interval_ms = COMMIT_TICK_MS,
        .arg = &vj,
    };
    enum cs_rc scan_rc = cs_vuln_run(plan, &vopts, &cbs, err, errlen);
    cs_store_batch_commit(&vj.batch);
    if (vj.batch.failed != CS_OK) {
        rc = cs_fail(err, errlen, vj.batch.failed, "%s", vj.batch.err);
        job.state = CS_JOB_FAILED;
    } else if (scan_rc != CS_OK) {
        rc = scan_rc;
        job.state = scan_rc == CS_ERR_INTERRUPTED ? CS_JOB_INTERRUPTED : CS_JOB_FAILED;
    } else {
        job.state = CS_JOB_DONE;
    }
    rc = finish_job(&vj, rc, err, errlen);
out:
    if (vj.batch.open)
        cs_store_rollback(s);
    cs_report_free(&vj.report);
    cs_plan_free(&plan);
    endpoints_free(vj.eps, vj.neps);
    cs_network_clear(&net);
    cs_job_clear(&job);
    return rc;
}
