/* Prometheus metrics of `certsweep serve` (metrics.h). */
#define _GNU_SOURCE /* open_memstream */
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SEVERITIES = CS_SEVERITY_CRITICAL + 1 };

struct net_name {
    int64_t id;
    char *name;
};

struct render {
    FILE *f;
    struct net_name *nets;
    size_t nnets;
    bool nomem;
    time_t now;
    /* findings_open: counts per network and severity */
    uint64_t (*findings)[SEVERITIES];
    uint64_t outbox[3];
};

static void family(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value, escaped as the text format requires. */
static void label(FILE *f, const char *name, const char *value, bool first)
{
    fprintf(f, "%s%s=\"", first ? "" : ",", name);
    for (const char *p = value ? value : ""; *p; p++) {
        if (*p == '\\' || *p == '"')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static const char *net_name(const struct render *r, int64_t id)
{
    for (size_t i = 0; i < r->nnets; i++)
        if (r->nets[i].id == id)
            return r->nets[i].name;
    return "";
}

static size_t net_index(const struct render *r, int64_t id)
{
    for (size_t i = 0; i < r->nnets; i++)
        if (r->nets[i].id == id)
            return i;
    return r->nnets;
}

static void collect_network(const struct cs_network *net, void *arg)
{
    struct render *r = arg;
    struct net_name *grown = realloc(r->nets, (r->nnets + 1) * sizeof(*grown));
    if (grown == NULL) {
        r->nomem = true;
        return;
    }
    r->nets = grown;
    r->nets[r->nnets].id = net->id;
    if ((r->nets[r->nnets].name = strdup(net->name)) == NULL)
        r->nomem = true;
    else
        r->nnets++;
}

/* network, ip, port and sni labels of an endpoint. */
static void endpoint_labels(const struct render *r, const struct cs_endpoint_row *ep)
{
    char port[8];
    snprintf(port, sizeof(port), "%u", ep->port);
    label(r->f, "network", net_name(r, ep->network_id), true);
    label(r->f, "ip", ep->ip, false);
    label(r->f, "port", port, false);
    label(r->f, "sni", ep->sni, false);
}

static void cert_sample(const struct cs_cert_row *c, const struct cs_endpoint_row *ep, void *arg)
{
    struct render *r = arg;
    if (c->not_after_epoch == 0)
        return;
    fputs("certsweep_cert_not_after_seconds{", r->f);
    endpoint_labels(r, ep);
    label(r->f, "cn", c->subject_cn, false);
    fprintf(r->f, "} %lld\n", (long long)c->not_after_epoch);
}

static void status_sample(const struct cs_endpoint_row *ep, void *arg)
{
    struct render *r = arg;
    fputs("certsweep_endpoint_status{", r->f);
    endpoint_labels(r, ep);
    label(r->f, "status", cs_status_name(ep->last_status), false);
    fputs("} 1\n", r->f);
}

static void count_finding(const struct cs_finding_row *row, void *arg)
{
    struct render *r = arg;
    size_t i = net_index(r, row->network_id);
    if (i < r->nnets && (unsigned)row->severity < SEVERITIES)
        r->findings[i][row->severity]++;
}

static void count_message(const struct cs_outbox_row *row, void *arg)
{
    struct render *r = arg;
    if ((unsigned)row->state < 3)
        r->outbox[row->state]++;
}

/* The job families, one network and kind at a time: every family must
 * have its samples together, so each is a pass over the latest jobs. */
enum job_family { JF_DURATION, JF_START, JF_ENDPOINTS, JF_RATE, JF_STATE, JF_COUNT };

static const struct {
    const char *name, *type, *help;
} job_families[JF_COUNT] = {
    [JF_DURATION] = {"certsweep_job_last_duration_seconds", "gauge",
                     "How long the last job of the kind took (so far, while it runs)."},
    [JF_START] = {"certsweep_job_last_start_timestamp_seconds", "gauge",
                  "When the last job of the kind started, in seconds since the epoch."},
    [JF_ENDPOINTS] = {"certsweep_job_last_endpoints", "gauge",
                      "Endpoints of the last job of the kind, by status."},
    [JF_RATE] = {"certsweep_scan_rate_endpoints_per_second", "gauge",
                 "Endpoints scanned per second by the last job of the kind."},
    [JF_STATE] = {"certsweep_job_last_state", "gauge",
                  "The state of the last job of the kind (1 for its state)."},
};

static void job_samples(struct render *r, enum job_family fam, const struct cs_job *job,
                        const char *network)
{
    time_t end = job->finished_at ? job->finished_at : r->now;
    double elapsed = end > job->started_at ? (double)(end - job->started_at) : 0;
    uint64_t scanned = job->state == CS_JOB_RUNNING ? job->progress_done : job->endpoints_scanned;

    if (fam == JF_ENDPOINTS) {
        for (int s = 0; s < CS_STATUS_COUNT; s++) {
            fprintf(r->f, "%s{", job_families[fam].name);
            label(r->f, "network", network, true);
            label(r->f, "kind", cs_job_kind_name(job->kind), false);
            label(r->f, "status", cs_status_name((enum cs_status)s), false);
            fprintf(r->f, "} %llu\n", (unsigned long long)job->counts[s]);
        }
        return;
    }
    fprintf(r->f, "%s{", job_families[fam].name);
    label(r->f, "network", network, true);
    label(r->f, "kind", cs_job_kind_name(job->kind), false);
    switch (fam) {
    case JF_DURATION:
        fprintf(r->f, "} %.0f\n", elapsed);
        break;
    case JF_START:
        fprintf(r->f, "} %lld\n", (long long)job->started_at);
        break;
    case JF_RATE:
        fprintf(r->f, "} %.3f\n", elapsed > 0 ? (double)scanned / elapsed : 0.0);
        break;
    default:
        label(r->f, "state", cs_job_state_name(job->state), false);
        fputs("} 1\n", r->f);
        break;
    }
}

enum cs_rc cs_metrics_render(struct cs_store *s, struct cs_children *children, time_t now,
                             char **text, size_t *len, char *err, size_t errlen)
{
    struct render r = {.now = now};
    struct cs_cert_filter cf = {0};
    struct cs_endpoint_filter ef = {0};
    struct cs_finding_filter ff = {.min_severity = CS_SEVERITY_INFO};
    struct cs_outbox_filter of = {0};
    struct cs_job *jobs = NULL;
    enum cs_rc rc;

    *text = NULL;
    *len = 0;
    if ((r.f = open_memstream(text, len)) == NULL)
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    if ((rc = cs_store_network_list(s, collect_network, &r, err, errlen)) != CS_OK)
        goto out;
    if (r.nomem || (r.findings = calloc(r.nnets + 1, sizeof(*r.findings))) == NULL ||
        (jobs = calloc(r.nnets * 3 + 1, sizeof(*jobs))) == NULL) {
        rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        goto out;
    }

    family(r.f, "certsweep_up", "gauge", "1 while certsweep serve answers.");
    fputs("certsweep_up 1\n", r.f);

    family(r.f, "certsweep_cert_not_after_seconds", "gauge",
           "When the leaf certificate an endpoint presents expires, in seconds since the epoch.");
    if ((rc = cs_store_cert_list(s, &cf, cert_sample, &r, err, errlen)) != CS_OK)
        goto out;
    family(r.f, "certsweep_endpoint_status", "gauge",
           "The status of each endpoint at its last probe (1 for its status).");
    if ((rc = cs_store_endpoint_list(s, &ef, status_sample, &r, err, errlen)) != CS_OK)
        goto out;

    for (size_t i = 0; i < r.nnets; i++)
        for (int k = 0; k < 3; k++) {
            rc = cs_store_job_latest(s, r.nets[i].id, (enum cs_job_kind)k, &jobs[i * 3 + k], err,
                                     errlen);
            if (rc != CS_OK && rc != CS_ERR_NOT_FOUND)
                goto out;
            rc = CS_OK;
        }
    for (int fam = 0; fam < JF_COUNT; fam++) {
        family(r.f, job_families[fam].name, job_families[fam].type, job_families[fam].help);
        for (size_t i = 0; i < r.nnets * 3; i++)
            if (jobs[i].id != 0)
                job_samples(&r, fam, &jobs[i], r.nets[i / 3].name);
    }
    family(r.f, "certsweep_jobs_running", "gauge", "Jobs that certsweep serve runs now.");
    fprintf(r.f, "certsweep_jobs_running %u\n", cs_children_count(children, CS_CHILD_JOB));

    if ((rc = cs_store_outbox_list(s, &of, count_message, &r, err, errlen)) != CS_OK)
        goto out;
    family(r.f, "certsweep_outbox_messages", "gauge", "Messages in the outbox, by state.");
    for (int st = 0; st < 3; st++)
        fprintf(r.f, "certsweep_outbox_messages{state=\"%s\"} %llu\n",
                cs_outbox_state_name((enum cs_outbox_state)st), (unsigned long long)r.outbox[st]);

    if ((rc = cs_store_finding_list(s, &ff, count_finding, &r, err, errlen)) != CS_OK)
        goto out;
    family(r.f, "certsweep_findings_open", "gauge",
           "Open findings of vulnerability scans, by network and severity.");
    for (size_t i = 0; i < r.nnets; i++)
        for (int sev = 0; sev < SEVERITIES; sev++) {
            fputs("certsweep_findings_open{", r.f);
            label(r.f, "network", r.nets[i].name, true);
            label(r.f, "severity", cs_severity_name((enum cs_severity)sev), false);
            fprintf(r.f, "} %llu\n", (unsigned long long)r.findings[i][sev]);
        }
out:
    if (fclose(r.f) != 0 && rc == CS_OK)
        rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    if (rc != CS_OK) {
        free(*text);
        *text = NULL;
        *len = 0;
    }
    for (size_t i = 0; jobs != NULL && i < r.nnets * 3; i++)
        cs_job_clear(&jobs[i]);
    free(jobs);
    for (size_t i = 0; i < r.nnets; i++)
        free(r.nets[i].name);
    free(r.nets);
    free(r.findings);
    return rc;
}
