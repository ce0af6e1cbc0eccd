/* The messages a discovery, monitoring or vulnscan job queues. */
#include "job_notify.h"
#include "notify.h"
#include "outbox.h"
#include "output.h"
#include "report.h"
#include "sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The report rendered in one format, as a string the caller frees. */
static char *render(const cJSON *report, enum cs_report_format format, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL)
        return NULL;
    enum cs_rc rc = cs_report_render(report, format, f, err, errlen);
    if (fclose(f) != 0 || rc != CS_OK) {
        free(text);
        return NULL;
    }
    return text;
}

/* The email of the job to the network's alert_to. */
static enum cs_rc queue_email(struct cs_store *s, const struct cs_network *net,
                              const struct cs_job *job, const cJSON *report, char *err,
                              size_t errlen)
{
    enum cs_rc rc = CS_ERR_NOMEM;
    char key[64];
    const cJSON *subject = cJSON_GetObjectItemCaseSensitive(report, "subject");
    char *text = render(report, CS_REPORT_TEXT, err, errlen);
    char *html = render(report, CS_REPORT_HTML, err, errlen);
    cJSON *payload = NULL;

    if (text != NULL && html != NULL)
        payload = cs_email_payload_new(
            net->alert_to, cJSON_IsString(subject) ? subject->valuestring : "certsweep report",
            text, html);
    if (payload != NULL) {
        snprintf(key, sizeof(key), "job-%lld.%lld-email", (long long)job->id,
                 (long long)job->started_at);
        rc = cs_outbox_add(s, key, "email", cs_job_kind_name(job->kind), job->id, payload,
                           job->finished_at, err, errlen);
    } else {
        cs_fail(err, errlen, rc, "out of memory building the %s email",
                cs_job_kind_name(job->kind));
    }
    cJSON_Delete(payload);
    free(text);
    free(html);
    return rc;
}

/* The one-line summary of the job for syslog. */
static enum cs_rc queue_summary(struct cs_store *s, const struct cs_network *net,
                                const struct cs_job *job, const cJSON *report, char *err,
                                size_t errlen)
{
    const cJSON *subject = cJSON_GetObjectItemCaseSensitive(report, "subject");
    const cJSON *count = cJSON_GetObjectItemCaseSensitive(report, "subject_count");
    unsigned long long attention =
        cJSON_IsNumber(count) ? (unsigned long long)count->valuedouble : 0;
    char key[64], number[24];

    cJSON *p = cs_syslog_payload_new(attention ? CS_SYSLOG_WARNING : CS_SYSLOG_NOTICE,
                                     "job_summary", job->finished_at, "job@32473",
                                     cJSON_IsString(subject) ? subject->valuestring : "");
    if (p == NULL)
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory building the job summary");
    bool ok = true;
    snprintf(number, sizeof(number), "%lld", (long long)job->id);
    ok &= cs_syslog_payload_param(p, "job_id", number);
    ok &= cs_syslog_payload_param(p, "kind", cs_job_kind_name(job->kind));
    ok &= cs_syslog_payload_param(p, "network", net->name);
    ok &= cs_syslog_payload_param(p, "state", cs_job_state_name(job->state));
    snprintf(number, sizeof(number), "%llu", (unsigned long long)job->endpoints_scanned);
    ok &= cs_syslog_payload_param(p, "endpoints_scanned", number);
    for (int st = 0; st < CS_STATUS_COUNT; st++) {
        snprintf(number, sizeof(number), "%llu", (unsigned long long)job->counts[st]);
        ok &= cs_syslog_payload_param(p, cs_status_name((enum cs_status)st), number);
    }
    snprintf(number, sizeof(number), "%llu", attention);
    ok &= cs_syslog_payload_param(p, "need_attention", number);

    if (!ok) {
        cJSON_Delete(p);
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory building the job summary");
    }
    snprintf(key, sizeof(key), "job-%lld.%lld-syslog", (long long)job->id,
             (long long)job->started_at);
    enum cs_rc rc =
        cs_outbox_add(s, key, "syslog", "job_summary", job->id, p, job->finished_at, err, errlen);
    cJSON_Delete(p);
    return rc;
}

/* The job's summary as a "notify" event to the network's webhooks. */
static enum cs_rc queue_webhooks(struct cs_store *s, const struct cs_network *net,
                                 const struct cs_job *job, const cJSON *report, char *err,
                                 size_t errlen)
{
    const cJSON *subject = cJSON_GetObjectItemCaseSensitive(report, "subject");
    const cJSON *count = cJSON_GetObjectItemCaseSensitive(report, "subject_count");
    bool attention = cJSON_IsNumber(count) && count->valuedouble > 0;
    char *names = strdup(net->webhooks), *text = render(report, CS_REPORT_TEXT, err, errlen);
    char key[300], ch[160];
    enum cs_rc rc = names && text ? CS_OK : CS_ERR_NOMEM;

    for (char *save = NULL, *name = rc == CS_OK ? strtok_r(names, " ", &save) : NULL;
         rc == CS_OK && name != NULL; name = strtok_r(NULL, " ", &save)) {
        snprintf(ch, sizeof(ch), "webhook.%s", name);
        cJSON *p = cJSON_CreateObject();
        if (p == NULL || !cJSON_AddStringToObject(p, "action", "notify") ||
            !cJSON_AddStringToObject(p, "kind", cs_job_kind_name(job->kind)) ||
            !cJSON_AddStringToObject(p, "subject",
                                     cJSON_IsString(subject) ? subject->valuestring : "") ||
            !cJSON_AddStringToObject(p, "description", text) ||
            !cJSON_AddStringToObject(p, "severity", attention ? "warning" : "info")) {
            cJSON_Delete(p);
            rc = CS_ERR_NOMEM;
            break;
        }
        snprintf(key, sizeof(key), "job-%lld.%lld-%s", (long long)job->id,
                 (long long)job->started_at, ch);
        rc = cs_outbox_add(s, key, ch, cs_job_kind_name(job->kind), job->id, p, job->finished_at,
                           err, errlen);
        cJSON_Delete(p);
    }
    if (rc == CS_ERR_NOMEM)
        cs_fail(err, errlen, rc, "out of memory building the webhook events");
    free(names);
    free(text);
    return rc;
}

enum cs_rc cs_job_notify_done(struct cs_store *s, const struct cs_config *cfg,
                              const struct cs_network *net, const struct cs_job *job,
                              const cJSON *report, char *err, size_t errlen)
{
    enum cs_rc rc = CS_OK;
    if (net->alert_to[0] != '\0' && job->state == CS_JOB_DONE)
        rc = queue_email(s, net, job, report, err, errlen);
    if (rc == CS_OK && cfg != NULL && cfg->syslog.configured)
        rc = queue_summary(s, net, job, report, err, errlen);
    if (rc == CS_OK && job->state == CS_JOB_DONE && net->webhooks[0] != '\0')
        rc = queue_webhooks(s, net, job, report, err, errlen);
    return rc;
}

enum cs_rc cs_job_notify_lost(struct cs_store *s, const struct cs_config *cfg,
                              const struct cs_network *net, const struct cs_job *job,
                              const char *ip, uint16_t port, const char *sni,
                              const char *old_sha256, enum cs_status status, const char *reason,
                              time_t at, char *err, size_t errlen)
{
    if (cfg == NULL || !cfg->syslog.configured)
        return CS_OK;

    char where[320], msg[512], key[400], port_text[8];
    cs_endpoint_format(where, sizeof(where), ip, port, sni);
    snprintf(msg, sizeof(msg), "monitored endpoint %s of %s returned no certificate: %s (%s)",
             where, net->name, cs_status_name(status), reason ? reason : "");
    cJSON *payload =
        cs_syslog_payload_new(CS_SYSLOG_ERR, "endpoint_lost", at, "endpoint@32473", msg);
    if (payload == NULL)
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory building a syslog message");
    bool ok = true;
    snprintf(port_text, sizeof(port_text), "%u", port);
    ok &= cs_syslog_payload_param(payload, "network", net->name);
    ok &= cs_syslog_payload_param(payload, "ip", ip);
    ok &= cs_syslog_payload_param(payload, "port", port_text);
    ok &= cs_syslog_payload_param(payload, "sni", sni);
    ok &= cs_syslog_payload_param(payload, "status", cs_status_name(status));
    ok &= cs_syslog_payload_param(payload, "reason", reason);
    ok &= cs_syslog_payload_param(payload, "old_sha256", old_sha256);

    if (!ok) {
        cJSON_Delete(payload);
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory building a syslog message");
    }
    snprintf(key, sizeof(key), "job-%lld.%lld-lost-%s", (long long)job->id,
             (long long)job->started_at, where);
    enum cs_rc rc =
        cs_outbox_add(s, key, "syslog", "endpoint_lost", job->id, payload, at, err, errlen);
    cJSON_Delete(payload);
    return rc;
}

/* ---- vulnscan findings ---------------------------------------------------- */

/* A ticket's severity (ticket.h) for a finding's. */
static const char *ticket_severity(enum cs_severity severity)
{
    return severity == CS_SEVERITY_CRITICAL ? "critical"
           : severity == CS_SEVERITY_HIGH   ? "error"
           : severity == CS_SEVERITY_MEDIUM ? "warning"
                                            : "info";
}

/* "Scanned by: certsweep running at X": [certsweep] url, else the host. */
static void scanned_by(const struct cs_config *cfg, char *buf, size_t len)
{
    char host[256] = "";
    if (cfg != NULL && cfg->public_url != NULL && cfg->public_url[0] != '\0') {
        snprintf(buf, len, "%s", cfg->public_url);
        return;
    }
    if (cfg != NULL && cfg->syslog.hostname != NULL && cfg->syslog.hostname[0] != '\0')
        snprintf(host, sizeof(host), "%s", cfg->syslog.hostname);
    else if (gethostname(host, sizeof(host) - 1) != 0)
        snprintf(host, sizeof(host), "localhost");
    snprintf(buf, len, "%s", host);
}

/* The ticket text of a finding, as the seed asks for it: the domain, the
 * vulnerability, the signature algorithm and expiry date, the scan time
 * and who scanned. */
static char *finding_description(const struct cs_config *cfg, const struct cs_network *net,
                                 const struct cs_job *job, const struct cs_finding_event *ev,
                                 const char *where, const char *scan_time)
{
    const struct cs_finding_row *f = ev->row;
    struct cs_sbuf b = {0};
    char by[300];

    scanned_by(cfg, by, sizeof(by));
    cs_sbuf_printf(&b, "Domain: %s\n", ev->domain);
    cs_sbuf_printf(&b, "Endpoint: %s (network %s)\n", where, net->name);
    cs_sbuf_printf(&b, "Vulnerability: %s (%s%s%s), severity %s\n", f->title, f->check_id,
                   f->cve ? ", " : "", f->cve ? f->cve : "", cs_severity_name(f->severity));
    if (f->detail != NULL && f->detail[0] != '\0')
        cs_sbuf_printf(&b, "Detail: %s\n", f->detail);
    cs_sbuf_printf(&b, "Signature algorithm: %s\n", ev->sig_alg ? ev->sig_alg : "unknown");
    cs_sbuf_printf(&b, "Expiry date: %s\n", ev->not_after ? ev->not_after : "unknown");
    cs_sbuf_printf(&b, "Scan Time: %s\n", scan_time);
    cs_sbuf_printf(&b, "Scanned by: certsweep running at %s (job %lld)\n", by, (long long)job->id);
    if (b.oom) {
        cs_sbuf_free(&b);
        return NULL;
    }
    return b.p;
}

/* The syslog message of a finding that is new or back. */
static cJSON *finding_syslog(const struct cs_network *net, const struct cs_finding_event *ev,
                             const char *where, time_t at)
{
    const struct cs_finding_row *f = ev->row;
    char msg[1024], port[8];
    snprintf(msg, sizeof(msg), "%s finding on %s of %s: %s%s%s",
             ev->change == CS_FINDING_REOPENED ? "returning" : "new", where, net->name, f->title,
             f->detail && f->detail[0] ? ": " : "", f->detail ? f->detail : "");
    cJSON *p = cs_syslog_payload_new(f->severity >= CS_SEVERITY_HIGH  ? CS_SYSLOG_ERR
                                     : f->severity >= CS_SEVERITY_LOW ? CS_SYSLOG_WARNING
                                                                      : CS_SYSLOG_NOTICE,
                                     "vuln_found", at, "vuln@32473", msg);
    bool ok = p != NULL;
    snprintf(port, sizeof(port), "%u", f->port);
    ok = ok && cs_syslog_payload_param(p, "network", net->name);
    ok &= cs_syslog_payload_param(p, "ip", f->ip);
    ok &= cs_syslog_payload_param(p, "port", port);
    ok &= cs_syslog_payload_param(p, "sni", f->sni);
    ok &= cs_syslog_payload_param(p, "check", f->check_id);
    ok &= cs_syslog_payload_param(p, "severity", cs_severity_name(f->severity));
    ok &= cs_syslog_payload_param(p, "cve", f->cve);
    ok &= cs_syslog_payload_param(p, "sha256", f->cert_sha256);
    if (!ok) {
        cJSON_Delete(p);
        return NULL;
    }
    return p;
}

/* The raise or resolve event of a finding for one ticket channel. */
static cJSON *finding_ticket(const struct cs_config *cfg, const struct cs_network *net,
                             const struct cs_job *job, const struct cs_finding_event *ev,
                             const char *key, const char *where, const char *scan_time)
{
    const struct cs_finding_row *f = ev->row;
    bool fixed = ev->change == CS_FINDING_FIXED;
    char subject[512], note[1024];
    char *description = finding_description(cfg, net, job, ev, where, scan_time);

    snprintf(subject, sizeof(subject), "Vulnerabilities for %s", ev->domain);
    if (fixed)
        snprintf(note, sizeof(note),
                 "Fixed: the vulnerability scan of %s (job %lld) no longer finds \"%s\" on %s; "
                 "certsweep closes this.",
                 scan_time, (long long)job->id, f->title, where);
    else
        snprintf(note, sizeof(note),
                 "Still found by the vulnerability scan of %s (job %lld): %s%s%s", scan_time,
                 (long long)job->id, f->title, f->detail && f->detail[0] ? ": " : "",
                 f->detail ? f->detail : "");
    cJSON *p = cJSON_CreateObject();
    if (description == NULL || p == NULL ||
        !cJSON_AddStringToObject(p, "action", fixed ? "resolve" : "raise") ||
        !cJSON_AddStringToObject(p, "key", key) ||
        !cJSON_AddStringToObject(p, "kind", "vulnerability") ||
        !cJSON_AddStringToObject(p, "subject", subject) ||
        !cJSON_AddStringToObject(p, "description", description) ||
        !cJSON_AddStringToObject(p, "note", note) ||
        !cJSON_AddStringToObject(p, "severity", fixed ? "info" : ticket_severity(f->severity))) {
        cJSON_Delete(p);
        p = NULL;
    }
    free(description);
    return p;
}

enum cs_rc cs_job_notify_finding(struct cs_store *s, const struct cs_config *cfg,
                                 const struct cs_network *net, const struct cs_job *job,
                                 const struct cs_finding_event *ev, time_t at, char *err,
                                 size_t errlen)
{
    const struct cs_finding_row *f = ev->row;
    bool announce = ev->change == CS_FINDING_NEW || ev->change == CS_FINDING_REOPENED;
    char where[320], scan_time[21], key[400], idem[600], ch[160];
    char *names = NULL;
    enum cs_rc rc = CS_OK;

    cs_endpoint_format(where, sizeof(where), f->ip, f->port, f->sni);
    cs_store_format_time(at, scan_time);
    snprintf(key, sizeof(key), "vuln:%s:%u:%s:%s", f->ip, f->port, f->sni ? f->sni : "",
             f->check_id);
    if (announce && cfg != NULL && cfg->syslog.configured) {
        cJSON *p = finding_syslog(net, ev, where, at);
        if (p == NULL)
            return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory building a syslog message");
        snprintf(idem, sizeof(idem), "job-%lld.%lld-%s-syslog", (long long)job->id,
                 (long long)job->started_at, key);
        rc = cs_outbox_add(s, idem, "syslog", "vulnerability", job->id, p, at, err, errlen);
        cJSON_Delete(p);
    }
    if (rc == CS_OK && net->tickets != NULL && net->tickets[0] != '\0' &&
        (names = strdup(net->tickets)) == NULL)
        rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    for (char *save = NULL, *name = names ? strtok_r(names, " ", &save) : NULL;
         rc == CS_OK && name != NULL; name = strtok_r(NULL, " ", &save)) {
        cJSON *p = finding_ticket(cfg, net, job, ev, key, where, scan_time);
        if (p == NULL) {
            rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory building a ticket");
            break;
        }
        snprintf(ch, sizeof(ch), "ticketing.%s", name);
        snprintf(idem, sizeof(idem), "job-%lld.%lld-%s-%s", (long long)job->id,
                 (long long)job->started_at, key, ch);
        rc = cs_outbox_add(s, idem, ch,
                           ev->change == CS_FINDING_FIXED ? "vulnerability_fixed" : "vulnerability",
                           job->id, p, at, err, errlen);
        cJSON_Delete(p);
    }
    free(names);
    return rc;
}
