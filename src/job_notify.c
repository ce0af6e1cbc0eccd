/* The messages a discovery or monitoring job queues. */
#include "job_notify.h"
#include "notify.h"
#include "outbox.h"
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Adds a ["name", "value"] pair to a syslog message's parameters. */
static void add_param(cJSON *params, const char *name, const char *value)
{
    cJSON *pair = cJSON_CreateArray();
    cJSON_AddItemToArray(pair, cJSON_CreateString(name));
    cJSON_AddItemToArray(pair, cJSON_CreateString(value ? value : ""));
    cJSON_AddItemToArray(params, pair);
}

static void add_param_u64(cJSON *params, const char *name, unsigned long long value)
{
    char text[24];
    snprintf(text, sizeof(text), "%llu", value);
    add_param(params, name, text);
}

/* A syslog payload (notify.h) without parameters yet; they go into the
 * returned *params. */
static cJSON *syslog_payload(enum cs_syslog_severity severity, const char *msgid, time_t at,
                             const char *sd_id, const char *msg, cJSON **params)
{
    char when[21];
    cs_store_format_time(at, when);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "severity", severity);
    cJSON_AddStringToObject(p, "msgid", msgid);
    cJSON_AddStringToObject(p, "timestamp", when);
    cJSON_AddStringToObject(p, "sd_id", sd_id);
    *params = cJSON_AddArrayToObject(p, "params");
    cJSON_AddStringToObject(p, "msg", msg);
    return p;
}

/* The email of the job to the network's alert_to. */
static enum cs_rc queue_email(struct cs_store *s, const struct cs_network *net,
                              const struct cs_job *job, const cJSON *report, char *err,
                              size_t errlen)
{
    enum cs_rc rc = CS_ERR_NOMEM;
    char key[64];
    char *text = NULL, *html = NULL, *addresses = NULL;
    cJSON *payload = cJSON_CreateObject();
    cJSON *to = cJSON_AddArrayToObject(payload, "to");

    addresses = strdup(net->alert_to);
    text = render(report, CS_REPORT_TEXT, err, errlen);
    html = render(report, CS_REPORT_HTML, err, errlen);
    if (payload == NULL || to == NULL || addresses == NULL || text == NULL || html == NULL)
        goto out;
    for (char *save = NULL, *a = strtok_r(addresses, " ", &save); a != NULL;
         a = strtok_r(NULL, " ", &save))
        cJSON_AddItemToArray(to, cJSON_CreateString(a));
    const cJSON *subject = cJSON_GetObjectItemCaseSensitive(report, "subject");
    cJSON_AddStringToObject(payload, "subject",
                            cJSON_IsString(subject) ? subject->valuestring : "certsweep report");
    cJSON_AddStringToObject(payload, "text", text);
    cJSON_AddStringToObject(payload, "html", html);

    snprintf(key, sizeof(key), "job-%lld-email", (long long)job->id);
    rc = cs_outbox_add(s, key, "email", cs_job_kind_name(job->kind), job->id, payload,
                       job->finished_at, err, errlen);
out:
    if (rc == CS_ERR_NOMEM)
        cs_fail(err, errlen, rc, "out of memory building the %s email",
                cs_job_kind_name(job->kind));
    cJSON_Delete(payload);
    free(addresses);
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
    char key[64], job_id[24];
    cJSON *params;

    cJSON *payload = syslog_payload(attention ? CS_SYSLOG_WARNING : CS_SYSLOG_NOTICE, "job_summary",
                                    job->finished_at, "job@32473",
                                    cJSON_IsString(subject) ? subject->valuestring : "", &params);
    snprintf(job_id, sizeof(job_id), "%lld", (long long)job->id);
    add_param(params, "job_id", job_id);
    add_param(params, "kind", cs_job_kind_name(job->kind));
    add_param(params, "network", net->name);
    add_param(params, "state", cs_job_state_name(job->state));
    add_param_u64(params, "endpoints_scanned", job->endpoints_scanned);
    for (int st = 0; st < CS_STATUS_COUNT; st++)
        add_param_u64(params, cs_status_name((enum cs_status)st), job->counts[st]);
    add_param_u64(params, "need_attention", attention);

    snprintf(key, sizeof(key), "job-%lld-syslog", (long long)job->id);
    enum cs_rc rc = cs_outbox_add(s, key, "syslog", "job_summary", job->id, payload,
                                  job->finished_at, err, errlen);
    cJSON_Delete(payload);
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
    cJSON *params;
    snprintf(where, sizeof(where), "%s%s%s:%u%s%s", strchr(ip, ':') ? "[" : "", ip,
             strchr(ip, ':') ? "]" : "", port, sni[0] ? "/" : "", sni);
    snprintf(msg, sizeof(msg), "monitored endpoint %s of %s returned no certificate: %s (%s)",
             where, net->name, cs_status_name(status), reason ? reason : "");
    cJSON *payload =
        syslog_payload(CS_SYSLOG_ERR, "endpoint_lost", at, "endpoint@32473", msg, &params);
    snprintf(port_text, sizeof(port_text), "%u", port);
    add_param(params, "network", net->name);
    add_param(params, "ip", ip);
    add_param(params, "port", port_text);
    add_param(params, "sni", sni);
    add_param(params, "status", cs_status_name(status));
    add_param(params, "reason", reason);
    add_param(params, "old_sha256", old_sha256);

    snprintf(key, sizeof(key), "job-%lld-lost-%s", (long long)job->id, where);
    enum cs_rc rc =
        cs_outbox_add(s, key, "syslog", "endpoint_lost", job->id, payload, at, err, errlen);
    cJSON_Delete(payload);
    return rc;
}
